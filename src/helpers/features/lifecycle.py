"""Lifecycle KPIs per period, and the definitions shared by cohorts, stages and losses.

The work over sales lines (grouping lines into customer-periods and purchase days) is done
with Ibis expressions, so it runs on DuckDB and on Spark alike; what comes back is small
(one row per period, per cohort cell, per customer or per purchase day) and is finished in
pandas.

Definitions
-----------
Every function here, the cohort heatmap and notebook 02 use the same words:

order
    A distinct invoice. Guests' orders (no customer id) count in revenue, orders and
    average order value, never in customer counts.
period
    A calendar week (Monday to Sunday), month or quarter; ``k`` is a period, ``k-1`` the
    one before it.
active in period k
    A customer with at least one order dated in period ``k``.
new in k
    Active in ``k``, and ``k`` is the period of the customer's first order.
retained in k
    Active in ``k`` and active in ``k-1``.
reactivated (won back) in k
    Active in ``k``, not active in ``k-1``, but active in some period before ``k-1``.
    Every active customer is exactly one of new, retained or reactivated:
    ``active_k = new_k + retained_k + reactivated_k``.
churned in k
    Active in ``k-1`` but not in ``k``: ``churned_k = active_{k-1} - retained_k``, so
    ``active_k - active_{k-1} = new_k + reactivated_k - churned_k``.
cohort
    The customers whose first order falls in the same period; the cohort's age ``a`` in
    period ``k`` is ``k - cohort period``. Cohort retention at age ``a`` is the share of the
    cohort active (same definition as above) ``a`` periods after its first period.
purchase
    A distinct day on which a customer ordered (the buy-till-you-die convention of
    :mod:`helpers.features.customers`). Life-cycle stages, gaps between purchases and the
    first-to-second purchase conversion count purchases, so two invoices on one day are one
    purchase and a same-day add-on is not a "second purchase".

The first period of the data has no period before it: its retention and churn are not
defined (NaN), and when the analysis window starts after the shop opened, customers who
bought before the window look "new" in the first periods (left censoring).

The work is split by job: :mod:`helpers.features.periods` (the period table and calendar
helpers), :mod:`helpers.features.cohorts` (customer-periods and cohorts),
:mod:`helpers.features.stages` (purchase days and life-cycle stages) and
:mod:`helpers.features.losses` (lost customers); this module holds the KPIs per period and
re-exports the others' public names, so ``lifecycle.cohort_table`` and the like keep working.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from helpers.features.cohorts import cohort_matrix, cohort_table, customer_periods
from helpers.features.losses import (breakdown, customer_attributes, loss_events, losses_per_period, lost_profile,
                                     revenue_mix)
from helpers.features.periods import (PERIODS, check_period, index_of, lines_upto, period_end, period_grid,
                                      period_index, period_label, period_start, ratio)
from helpers.features.stages import (STAGE_ORDER, STAGES, StageRules, assign_stage, funnel, purchase_days,
                                     purchase_days_expr, rules_from_gaps, stage_history, stages_at)
from helpers.phrase import Number, Phrase, Share

__all__ = [
    # periods
    "PERIODS", "index_of", "period_end", "period_index", "period_label", "period_start",
    # cohorts
    "cohort_matrix", "cohort_table", "customer_periods",
    # stages
    "STAGES", "STAGE_ORDER", "StageRules", "assign_stage", "funnel", "purchase_days", "rules_from_gaps",
    "stage_history", "stages_at",
    # losses
    "breakdown", "customer_attributes", "loss_events", "losses_per_period", "lost_profile", "revenue_mix",
    # KPIs
    "explain_kpis", "kpi_summary", "kpi_table", "retention_value",
]


def kpi_table(lines, *, period: str = "month", analysis_date: dt.date, start: dt.date | None = None,
              conversion_days: int = 90) -> pd.DataFrame:
    """Customer and revenue KPIs per period, one row per period from the first order to the analysis date.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines (guests included): invoice, invoice_ts, customer_id, amount (currency).
    period : {"week", "month", "quarter"}
    analysis_date : date
        Last day counted (inclusive); its period is the last row.
    start : date, optional
        First day of the analysis window; a period that begins before it (or ends after
        ``analysis_date``) is marked ``complete = False``. Default: the first order's day.
    conversion_days : int
        Window for the repeat-purchase conversion (days after the first purchase).

    Returns
    -------
    pandas.DataFrame
        One row per period (periods without any order are kept, with zeros). Columns, with
        the formula of each (``k`` = this period, ``k-1`` the one before; see the module
        docstring for active / new / retained / reactivated):

        ==========================  ==============================================================
        period_start, period_end    first and last day of the period; ``period`` its label
        complete                    the whole period lies inside [start, analysis_date]
        active                      customers with >= 1 order in k
        new                         customers whose first order is in k (acquisition)
        retained                    active in k and in k-1
        reactivated                 active in k, not in k-1, active before k-1 (won back)
        churned                     active in k-1, not in k  (= active_{k-1} - retained)
        retention_rate              retained / active_{k-1}
        churn_rate                  churned / active_{k-1} = 1 - retention_rate
        customer_growth_rate        (active - active_{k-1}) / active_{k-1}
        customers_to_date           customers acquired up to and including k (sum of new)
        revenue                     sum of line amounts in k, guests included (currency)
        revenue_growth_rate         (revenue - revenue_{k-1}) / revenue_{k-1}
        orders                      distinct invoices in k, guests included
        aov                         average order value = revenue / orders (currency)
        customer_orders             orders of customers (guests excluded)
        purchase_frequency          customer_orders / active (orders per active customer)
        customer_revenue            revenue of customers (guests excluded, currency)
        revenue_per_active          customer_revenue / active (currency)
        new_revenue_share           revenue of customers new in k / customer_revenue
        returning_revenue_share     1 - new_revenue_share (retained + reactivated customers)
        guest_revenue_share         guests' revenue / revenue
        converted                   customers new in k with a second purchase (a later day)
                                    within ``conversion_days`` days of the first
        repeat_conversion_rate      converted / new; NaN while some of the period's new
                                    customers have had fewer than ``conversion_days`` days
        ==========================  ==============================================================

        Rates are fractions (0.25 = 25 %); a rate whose denominator is 0 is NaN.
    """
    check_period(period)
    cp = customer_periods(lines, period=period, analysis_date=analysis_date)
    s = cp.mutate(_new=cp.prev_index.isnull(),
                  _ret=(cp.prev_index == cp.period_index - 1).fill_null(False),
                  _react=(cp.prev_index < cp.period_index - 1).fill_null(False))
    cust = s.group_by("period_index").aggregate(
        active=s.count(), new=s._new.cast("int64").sum(), retained=s._ret.cast("int64").sum(),
        reactivated=s._react.cast("int64").sum(), customer_orders=s.orders.sum(),
        customer_revenue=s.revenue.sum(), new_revenue=s.revenue.sum(where=s._new)).execute()

    t = lines_upto(lines, analysis_date)
    t = t.mutate(period_index=period_index(t.invoice_ts.date(), period))
    allp = t.group_by("period_index").aggregate(
        revenue=t.amount.sum(), orders=t.invoice.nunique(),
        guest_revenue=t.amount.sum(where=t.customer_id.isnull())).execute()

    d = purchase_days_expr(lines, analysis_date)
    fc = d.group_by("customer_id").aggregate(first_day=d.day.min(), second_day=d.day.min(where=d.n == 2))
    fc = fc.mutate(period_index=period_index(fc.first_day, period),
                   _conv=(fc.second_day.delta(fc.first_day, unit="day") <= conversion_days).fill_null(False),
                   _seen=ibis.date(analysis_date).delta(fc.first_day, unit="day") >= conversion_days)
    conv = fc.group_by("period_index").aggregate(converted=fc._conv.cast("int64").sum(),
                                                 _eligible=fc._seen.cast("int64").sum()).execute()

    if allp.empty:
        raise ValueError(f"kpi_table: no order on or before the analysis date {analysis_date}")
    first = int(allp["period_index"].min())
    last = index_of(analysis_date, period)
    grid = period_grid(first, last)
    k = pd.DataFrame(index=grid)
    for frame in (cust, allp, conv):
        k = k.join(frame.set_index("period_index"))
    counts = ["active", "new", "retained", "reactivated", "customer_orders", "orders", "converted", "_eligible"]
    money = ["customer_revenue", "new_revenue", "revenue", "guest_revenue"]
    k[counts] = k[counts].fillna(0).astype("int64")
    k[money] = k[money].astype("float64").fillna(0.0)

    prev_active = k["active"].shift(1)
    k["churned"] = (prev_active - k["retained"]).astype("Int64")
    k["retention_rate"] = ratio(k["retained"], prev_active)
    k["churn_rate"] = ratio(k["churned"].astype("float64"), prev_active)
    k["customer_growth_rate"] = ratio(k["active"] - prev_active, prev_active)
    k["customers_to_date"] = k["new"].cumsum()
    k["revenue_growth_rate"] = ratio(k["revenue"] - k["revenue"].shift(1), k["revenue"].shift(1))
    k["aov"] = ratio(k["revenue"], k["orders"])
    k["purchase_frequency"] = ratio(k["customer_orders"], k["active"])
    k["revenue_per_active"] = ratio(k["customer_revenue"], k["active"])
    k["new_revenue_share"] = ratio(k["new_revenue"], k["customer_revenue"])
    k["returning_revenue_share"] = 1.0 - k["new_revenue_share"]
    k["guest_revenue_share"] = ratio(k["guest_revenue"], k["revenue"])
    k["repeat_conversion_rate"] = ratio(k["converted"], k["new"]).where(k["_eligible"] == k["new"])

    starts = period_start(grid.to_numpy(), period)
    ends = period_end(grid.to_numpy(), period)
    k.insert(0, "period", period_label(grid.to_numpy(), period))
    k.insert(1, "period_start", starts.to_numpy())
    k.insert(2, "period_end", ends.to_numpy())
    if start is not None:
        lo = pd.Timestamp(start)
    else:
        lo = pd.Timestamp(t.aggregate(lo=t.invoice_ts.min()).execute().iloc[0]["lo"]).normalize()
    k.insert(3, "complete", (k["period_start"] >= lo) & (k["period_end"] <= pd.Timestamp(analysis_date)))
    cols = ["period", "period_start", "period_end", "complete", "active", "new", "retained", "reactivated",
            "churned", "retention_rate", "churn_rate", "customer_growth_rate", "customers_to_date", "revenue",
            "revenue_growth_rate", "orders", "aov", "customer_orders", "purchase_frequency", "customer_revenue",
            "revenue_per_active", "new_revenue_share", "returning_revenue_share", "guest_revenue_share",
            "converted", "repeat_conversion_rate"]
    return k[cols].reset_index()


def kpi_summary(kpis: pd.DataFrame, last: int = 12) -> pd.DataFrame:
    """Means of the rates and totals of the counts over the last ``last`` complete periods.

    A one-column table for the notebook's headline ("over the last 12 months ..."): ints, and
    :class:`~helpers.phrase.Share`, :class:`~helpers.phrase.Number` or :class:`~helpers.phrase.Phrase` values
    for ``i18n.say_value`` to write in the report's language.
    """
    k = kpis[kpis["complete"]].tail(last)
    if k.empty:
        return pd.DataFrame({"value": pd.Series(dtype="object")})
    rows = {
        "periods": Phrase("kxs_periods", n=len(k), first=k["period"].iloc[0], last=k["period"].iloc[-1]),
        "new customers (total)": int(k["new"].sum()),
        "active customers (mean per period)": Number(k["active"].mean()),
        "retention rate (mean)": Share(k["retention_rate"].mean()),
        "churn rate (mean)": Share(k["churn_rate"].mean()),
        "reactivated customers (total)": int(k["reactivated"].sum()),
        "revenue (total)": Number(k["revenue"].sum()),
        "average order value (revenue / orders)": Number(k["revenue"].sum() / max(k["orders"].sum(), 1), 2),
        "orders per active customer (mean)": Number(k["purchase_frequency"].mean(), 2),
        "repeat-purchase conversion (mean of known periods)": Share(k["repeat_conversion_rate"].mean()),
    }
    return pd.DataFrame({"value": pd.Series(rows, dtype="object")})


def explain_kpis(kpis: pd.DataFrame, period: str | None = None) -> pd.DataFrame:
    """The formulas of one period's KPIs with its numbers filled in, to check by hand.

    ``period`` is a label of ``kpis["period"]``; default the last complete period that has
    a period before it.

    Returns
    -------
    pandas.DataFrame
        ``kpi``, ``formula`` (a :class:`~helpers.phrase.Phrase` with the numbers; ``i18n.say`` writes it),
        ``value`` (an int, :class:`~helpers.phrase.Share` or :class:`~helpers.phrase.Number`).
    """
    k = kpis.reset_index(drop=True)
    if period is None:
        ok = k.index[k["complete"] & (k.index > 0)]
        if len(ok) == 0:
            return pd.DataFrame(columns=["kpi", "formula", "value"])
        i = int(ok[-1])
    else:
        hits = k.index[k["period"] == period]
        if len(hits) == 0 or hits[0] == 0:
            raise ValueError(f"explain_kpis: period '{period}' is not in the table or has no period before it")
        i = int(hits[0])
    r, p = k.loc[i], k.loc[i - 1]
    cur, prev = {c: _plain(r[c]) for c in r.index}, {c: _plain(p[c]) for c in p.index}
    before = {"previous": prev["period"], "active_before": prev["active"]}
    money = {c: Number(cur[c], 2) for c in ("revenue", "customer_revenue")}
    rows = [
        ("active", Phrase("kxf_active", new=cur["new"], retained=cur["retained"], reactivated=cur["reactivated"]),
         cur["active"]),
        ("churned", Phrase("kxf_churned", retained=cur["retained"], **before), cur["churned"]),
        ("retention rate", Phrase("kxf_retention_rate", retained=cur["retained"], **before),
         Share(cur["retention_rate"])),
        ("churn rate", Phrase("kxf_churn_rate", churned=cur["churned"], **before), Share(cur["churn_rate"])),
        ("customer growth rate", Phrase("kxf_customer_growth_rate", active=cur["active"], **before),
         Share(cur["customer_growth_rate"])),
        ("revenue growth rate", Phrase("kxf_revenue_growth_rate", revenue=money["revenue"],
                                       revenue_before=Number(prev["revenue"], 2)), Share(cur["revenue_growth_rate"])),
        ("average order value", Phrase("kxf_average_order_value", revenue=money["revenue"], orders=cur["orders"]),
         Number(cur["aov"], 2)),
        ("purchase frequency", Phrase("kxf_purchase_frequency", customer_orders=cur["customer_orders"],
                                      active=cur["active"]), Number(cur["purchase_frequency"], 3)),
        ("revenue per active customer", Phrase("kxf_revenue_per_active_customer", active=cur["active"],
                                               customer_revenue=money["customer_revenue"]),
         Number(cur["revenue_per_active"], 2)),
        ("new-customer revenue share", Phrase("kxf_new_customer_revenue_share", new=cur["new"],
                                              customer_revenue=money["customer_revenue"]),
         Share(cur["new_revenue_share"])),
    ]
    known = k.index[k["repeat_conversion_rate"].notna() & (k.index <= i)]
    c = k.loc[int(known[-1])] if len(known) else r
    rows.append(("repeat-purchase conversion", Phrase("kxf_repeat_purchase_conversion", period=c["period"],
                                                      converted=int(c["converted"]), new=int(c["new"])),
                 Share(c["repeat_conversion_rate"])))
    out = pd.DataFrame(rows, columns=["kpi", "formula", "value"])
    out.attrs["period"] = r["period"]
    return out


def retention_value(kpis: pd.DataFrame, points: float = 5.0, last: int = 12) -> dict:
    """What ``points`` more percentage points of retention would have been worth in revenue.

    Over the last ``last`` complete periods with a period before them: extra retained
    customers in k = points / 100 x active_{k-1}; extra revenue = extra retained x revenue
    per active customer in k. A first-order effect: it ignores that a customer kept in k
    also buys in later periods, so the true value is higher.

    Returns
    -------
    dict
        ``periods``, ``extra_customers`` (sum), ``extra_revenue`` (currency),
        ``customer_revenue`` (of the same periods, currency) and ``uplift`` (share).
    """
    k = kpis.reset_index(drop=True)
    prev_active = k["active"].shift(1)
    sel = k[k["complete"] & prev_active.notna() & (k.index > 0)].tail(last)
    extra = points / 100.0 * prev_active.loc[sel.index]
    extra_rev = float((extra * sel["revenue_per_active"].fillna(0)).sum())
    cust_rev = float(sel["customer_revenue"].sum())
    return {"periods": len(sel), "extra_customers": float(extra.sum()), "extra_revenue": extra_rev,
            "customer_revenue": cust_rev, "uplift": extra_rev / cust_rev if cust_rev else float("nan")}


def _plain(x):
    """A table cell as a plain Python value (numpy ints as int, so they are written as counts)."""
    return x.item() if hasattr(x, "item") else x
