"""Lifecycle KPIs per period, cohorts, life-cycle stages and the lost-customer analysis.

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
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

PERIODS = ("week", "month", "quarter")
_WEEK0 = dt.date(1970, 1, 5)  # a Monday: week index 0 starts here


# --------------------------------------------------------------------------------------
# periods
# --------------------------------------------------------------------------------------
def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period '{period}' is not one of {', '.join(PERIODS)}")


def period_index(day, period: str):
    """Ibis expression: an integer numbering of the period of a date (or timestamp) expression.

    month: ``year * 12 + month - 1``; quarter: ``year * 4 + quarter - 1``; week: whole weeks
    since Monday 1970-01-05. Consecutive periods get consecutive numbers, so "the period
    before" is ``index - 1`` on every engine.
    """
    _check_period(period)
    if period == "month":
        return day.year() * 12 + day.month() - 1
    if period == "quarter":
        return day.year() * 4 + day.quarter() - 1
    return day.delta(ibis.date(_WEEK0), unit="day") // 7


def index_of(day: dt.date | pd.Timestamp, period: str) -> int:
    """The :func:`period_index` of one date, computed in Python."""
    _check_period(period)
    d = pd.Timestamp(day)
    if period == "month":
        return d.year * 12 + d.month - 1
    if period == "quarter":
        return d.year * 4 + d.quarter - 1
    return (d.normalize() - pd.Timestamp(_WEEK0)).days // 7


def period_start(index, period: str) -> pd.Series | pd.Timestamp:
    """First day of the period(s) numbered ``index`` (inverse of :func:`period_index`)."""
    _check_period(period)
    scalar = np.isscalar(index)
    idx = pd.Series(np.atleast_1d(np.asarray(index, dtype="int64")))
    if period == "month":
        out = pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1}))
    elif period == "quarter":
        out = pd.to_datetime(pd.DataFrame({"year": idx // 4, "month": 3 * (idx % 4) + 1, "day": 1}))
    else:
        out = pd.Timestamp(_WEEK0) + pd.to_timedelta(idx * 7, unit="D")
    out = out.astype("datetime64[us]")
    return out.iloc[0] if scalar else out


def period_end(index, period: str) -> pd.Series | pd.Timestamp:
    """Last day of the period(s) numbered ``index``."""
    nxt = period_start(np.asarray(index) + 1, period)
    return nxt - pd.Timedelta(days=1)


def period_label(index, period: str) -> list[str] | str:
    """Short labels: ``2024-03`` (month), ``2024-Q1`` (quarter), ``2024-03-04`` (week, its Monday)."""
    starts = period_start(np.atleast_1d(index), period)
    if period == "month":
        labels = [s.strftime("%Y-%m") for s in starts]
    elif period == "quarter":
        labels = [f"{s.year}-Q{(s.month - 1) // 3 + 1}" for s in starts]
    else:
        labels = [s.strftime("%Y-%m-%d") for s in starts]
    return labels[0] if np.isscalar(index) else labels


def _upto(lines, analysis_date: dt.date):
    return lines.filter(lines.invoice_ts.date() <= ibis.date(analysis_date))


# --------------------------------------------------------------------------------------
# KPIs per period
# --------------------------------------------------------------------------------------
def customer_periods(lines, *, period: str, analysis_date: dt.date):
    """One row per customer and period in which the customer was active (Ibis).

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: invoice, invoice_ts, customer_id, amount (currency).
    period : {"week", "month", "quarter"}
    analysis_date : date
        Lines after this day are ignored.

    Returns
    -------
    ibis.Table
        customer_id; ``period_index`` (:func:`period_index`); ``orders`` (distinct invoices);
        ``revenue`` (currency); ``prev_index`` = the customer's previous active period (null
        for the first); ``cohort_index`` = the customer's first active period.
    """
    t = _upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull())
    t = t.mutate(period_index=period_index(t.invoice_ts.date(), period))
    g = t.group_by(["customer_id", "period_index"]).aggregate(orders=t.invoice.nunique(), revenue=t.amount.sum())
    w = ibis.window(group_by=g.customer_id, order_by=g.period_index)
    return g.mutate(prev_index=g.period_index.lag().over(w),
                    cohort_index=g.period_index.min().over(ibis.window(group_by=g.customer_id)))


def _purchase_days_expr(lines, analysis_date: dt.date):
    t = _upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull()).mutate(day=t.invoice_ts.date())
    d = t.group_by(["customer_id", "day"]).aggregate(orders=t.invoice.nunique(), revenue=t.amount.sum())
    w = ibis.window(group_by=d.customer_id, order_by=d.day)
    return d.mutate(n=ibis.row_number().over(w) + 1, prev_day=d.day.lag().over(w))


def _grid(first: int, last: int) -> pd.Index:
    return pd.RangeIndex(first, last + 1, name="period_index")


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
    _check_period(period)
    cp = customer_periods(lines, period=period, analysis_date=analysis_date)
    s = cp.mutate(_new=cp.prev_index.isnull(),
                  _ret=(cp.prev_index == cp.period_index - 1).fill_null(False),
                  _react=(cp.prev_index < cp.period_index - 1).fill_null(False))
    cust = s.group_by("period_index").aggregate(
        active=s.count(), new=s._new.cast("int64").sum(), retained=s._ret.cast("int64").sum(),
        reactivated=s._react.cast("int64").sum(), customer_orders=s.orders.sum(),
        customer_revenue=s.revenue.sum(), new_revenue=s.revenue.sum(where=s._new)).execute()

    t = _upto(lines, analysis_date)
    t = t.mutate(period_index=period_index(t.invoice_ts.date(), period))
    allp = t.group_by("period_index").aggregate(
        revenue=t.amount.sum(), orders=t.invoice.nunique(),
        guest_revenue=t.amount.sum(where=t.customer_id.isnull())).execute()

    d = _purchase_days_expr(lines, analysis_date)
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
    grid = _grid(first, last)
    k = pd.DataFrame(index=grid)
    for frame in (cust, allp, conv):
        k = k.join(frame.set_index("period_index"))
    counts = ["active", "new", "retained", "reactivated", "customer_orders", "orders", "converted", "_eligible"]
    money = ["customer_revenue", "new_revenue", "revenue", "guest_revenue"]
    k[counts] = k[counts].fillna(0).astype("int64")
    k[money] = k[money].astype("float64").fillna(0.0)

    prev_active = k["active"].shift(1)
    k["churned"] = (prev_active - k["retained"]).astype("Int64")
    k["retention_rate"] = _ratio(k["retained"], prev_active)
    k["churn_rate"] = _ratio(k["churned"].astype("float64"), prev_active)
    k["customer_growth_rate"] = _ratio(k["active"] - prev_active, prev_active)
    k["customers_to_date"] = k["new"].cumsum()
    k["revenue_growth_rate"] = _ratio(k["revenue"] - k["revenue"].shift(1), k["revenue"].shift(1))
    k["aov"] = _ratio(k["revenue"], k["orders"])
    k["purchase_frequency"] = _ratio(k["customer_orders"], k["active"])
    k["revenue_per_active"] = _ratio(k["customer_revenue"], k["active"])
    k["new_revenue_share"] = _ratio(k["new_revenue"], k["customer_revenue"])
    k["returning_revenue_share"] = 1.0 - k["new_revenue_share"]
    k["guest_revenue_share"] = _ratio(k["guest_revenue"], k["revenue"])
    k["repeat_conversion_rate"] = _ratio(k["converted"], k["new"]).where(k["_eligible"] == k["new"])

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


def _ratio(num, den) -> pd.Series:
    num = pd.Series(num, dtype="float64")
    den = pd.Series(den, dtype="float64")
    return (num / den.where(den != 0)).astype("float64")


def kpi_summary(kpis: pd.DataFrame, last: int = 12) -> pd.DataFrame:
    """Means of the rates and totals of the counts over the last ``last`` complete periods.

    A one-column table for the notebook's headline ("over the last 12 months ...").
    """
    k = kpis[kpis["complete"]].tail(last)
    if k.empty:
        return pd.DataFrame({"value": pd.Series(dtype="object")})
    rows = {
        "periods": f"{len(k)} ({k['period'].iloc[0]} .. {k['period'].iloc[-1]})",
        "new customers (total)": f"{int(k['new'].sum()):,}",
        "active customers (mean per period)": f"{k['active'].mean():,.0f}",
        "retention rate (mean)": _pct(k["retention_rate"].mean()),
        "churn rate (mean)": _pct(k["churn_rate"].mean()),
        "reactivated customers (total)": f"{int(k['reactivated'].sum()):,}",
        "revenue (total)": f"{k['revenue'].sum():,.0f}",
        "average order value (revenue / orders)": f"{k['revenue'].sum() / max(k['orders'].sum(), 1):,.2f}",
        "orders per active customer (mean)": f"{k['purchase_frequency'].mean():.2f}",
        "repeat-purchase conversion (mean of known periods)": _pct(k["repeat_conversion_rate"].mean()),
    }
    return pd.DataFrame({"value": pd.Series(rows, dtype="object")})


def explain_kpis(kpis: pd.DataFrame, period: str | None = None) -> pd.DataFrame:
    """The formulas of one period's KPIs with its numbers filled in, to check by hand.

    ``period`` is a label of ``kpis["period"]``; default the last complete period that has
    a period before it.

    Returns
    -------
    pandas.DataFrame
        ``kpi``, ``formula`` (with the numbers), ``value``.
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
    rows = [
        ("active", f"new {r['new']:,} + retained {r['retained']:,} + reactivated {r['reactivated']:,}", f"{r['active']:,}"),
        ("churned", f"active in {p['period']} {p['active']:,} - retained {r['retained']:,}", f"{r['churned']:,}"),
        ("retention rate", f"retained {r['retained']:,} / active in {p['period']} {p['active']:,}", _pct(r["retention_rate"])),
        ("churn rate", f"churned {r['churned']:,} / active in {p['period']} {p['active']:,}", _pct(r["churn_rate"])),
        ("customer growth rate", f"({r['active']:,} - {p['active']:,}) / {p['active']:,}", _pct(r["customer_growth_rate"])),
        ("revenue growth rate", f"({r['revenue']:,.2f} - {p['revenue']:,.2f}) / {p['revenue']:,.2f}",
         _pct(r["revenue_growth_rate"])),
        ("average order value", f"revenue {r['revenue']:,.2f} / orders {r['orders']:,}", f"{r['aov']:,.2f}"),
        ("purchase frequency", f"customer orders {r['customer_orders']:,} / active {r['active']:,}",
         f"{r['purchase_frequency']:.3f}"),
        ("revenue per active customer", f"customer revenue {r['customer_revenue']:,.2f} / active {r['active']:,}",
         f"{r['revenue_per_active']:,.2f}"),
        ("new-customer revenue share", f"revenue of the {r['new']:,} new customers / customer revenue "
         f"{r['customer_revenue']:,.2f}", _pct(r["new_revenue_share"])),
    ]
    known = k.index[k["repeat_conversion_rate"].notna() & (k.index <= i)]
    c = k.loc[int(known[-1])] if len(known) else r
    rows.append(("repeat-purchase conversion", f"in {c['period']} (the last period whose new customers all had the "
                 f"full window): converted {c['converted']:,} / new {c['new']:,}", _pct(c["repeat_conversion_rate"])))
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


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{x:.1%}"


# --------------------------------------------------------------------------------------
# cohorts
# --------------------------------------------------------------------------------------
def cohort_table(lines, *, period: str = "month", analysis_date: dt.date) -> pd.DataFrame:
    """Cohorts by first-order period, one row per cohort and age (long format).

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: invoice, invoice_ts, customer_id, amount (currency).
    period : {"week", "month", "quarter"}
    analysis_date : date

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (label), ``cohort_index``, ``cohort_start``, ``age`` (periods since the
        cohort's first period, 0 = the first period), ``cohort_size`` (customers acquired),
        ``active`` (cohort customers with an order in period cohort + age), ``revenue``
        (their revenue, currency), ``retention`` = active / cohort_size,
        ``revenue_per_customer`` = revenue / cohort_size (currency) and
        ``cumulative_revenue_per_customer`` (sum over ages 0..age, currency),
        ``partial`` (the cell's period is the analysis date's, not yet complete).
        Every age from 0 to the analysis date's period is present (0 when nobody bought).
    """
    cp = customer_periods(lines, period=period, analysis_date=analysis_date)
    c = cp.mutate(age=cp.period_index - cp.cohort_index)
    g = c.group_by(["cohort_index", "age"]).aggregate(active=c.count(), revenue=c.revenue.sum()).execute()
    last = index_of(analysis_date, period)
    if g.empty:
        return pd.DataFrame(columns=["cohort", "cohort_index", "cohort_start", "age", "cohort_size", "active",
                                     "revenue", "retention", "revenue_per_customer",
                                     "cumulative_revenue_per_customer", "partial"])
    sizes = g[g["age"] == 0].set_index("cohort_index")["active"]
    full = pd.DataFrame([(ci, a) for ci in sizes.index for a in range(0, last - int(ci) + 1)],
                        columns=["cohort_index", "age"])
    out = full.merge(g, on=["cohort_index", "age"], how="left")
    out["active"] = out["active"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].astype("float64").fillna(0.0)
    out["cohort_size"] = out["cohort_index"].map(sizes).astype("int64")
    out["retention"] = out["active"] / out["cohort_size"]
    out["revenue_per_customer"] = out["revenue"] / out["cohort_size"]
    out = out.sort_values(["cohort_index", "age"], ignore_index=True)
    out["cumulative_revenue_per_customer"] = out.groupby("cohort_index")["revenue_per_customer"].cumsum()
    end_last = period_end(last, period)
    out["partial"] = (out["cohort_index"] + out["age"] == last) & (end_last > pd.Timestamp(analysis_date))
    out["cohort_start"] = period_start(out["cohort_index"].to_numpy(), period).to_numpy()
    labels = dict(zip(sizes.index, period_label(sizes.index.to_numpy(), period)))
    out["cohort"] = out["cohort_index"].map(labels)
    return out[["cohort", "cohort_index", "cohort_start", "age", "cohort_size", "active", "revenue", "retention",
                "revenue_per_customer", "cumulative_revenue_per_customer", "partial"]]


def cohort_matrix(cohorts: pd.DataFrame, value: str = "retention", last: int | None = None) -> pd.DataFrame:
    """Pivot of :func:`cohort_table`: one row per cohort (label), one column per age, ``value`` in the cells.

    ``last`` keeps only the most recent cohorts (a weekly run has a hundred). Cells beyond the
    analysis date are NaN.
    """
    m = cohorts.pivot(index="cohort", columns="age", values=value)
    m = m.loc[cohorts.drop_duplicates("cohort").sort_values("cohort_index")["cohort"]]
    if last is not None and len(m) > last:
        m = m.iloc[-last:]
        m = m.dropna(axis=1, how="all")
    m.columns.name = "age (periods since first order)"
    return m


# --------------------------------------------------------------------------------------
# purchase days and life-cycle stages
# --------------------------------------------------------------------------------------
def purchase_days(lines, *, analysis_date: dt.date) -> pd.DataFrame:
    """One row per customer and purchase day, with the gap to the customer's previous purchase.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``day`` (datetime64, midnight), ``orders`` (invoices that day),
        ``revenue`` (currency), ``n`` (1 for the first purchase day, 2 for the second, ...),
        ``gap_days`` (days since the previous purchase day; NaN for the first), sorted by
        customer and day.
    """
    d = _purchase_days_expr(lines, analysis_date)
    d = d.mutate(gap_days=d.day.delta(d.prev_day, unit="day")).drop("prev_day")
    out = d.execute()
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[us]")
    out["gap_days"] = out["gap_days"].astype("float64")
    out["n"] = out["n"].astype("int64")
    out["revenue"] = out["revenue"].astype("float64")
    out["customer_id"] = out["customer_id"].astype("string")
    return out.sort_values(["customer_id", "day"], ignore_index=True)[
        ["customer_id", "day", "orders", "revenue", "n", "gap_days"]]


#: The life-cycle stages in the order the rules test them, with the Turkish term and meaning.
STAGES = pd.DataFrame([
    ("new", "yeni", "one purchase so far, recent (recency <= at_risk_days)"),
    ("converted", "dönüşen (ikinci alışveriş)", "exactly two purchases, recent"),
    ("active", "aktif", "three or more purchases, recent, not (yet) loyal"),
    ("loyal", "sadık", "recent, >= loyal_min_purchases purchases and >= loyal_min_tenure_days since the first"),
    ("reactivated", "geri kazanılan", "recent purchase after a gap longer than lost_days (won back)"),
    ("at risk", "risk altında (kaybedilmek üzere)", "at_risk_days < recency <= lost_days"),
    ("lost", "kayıp", "recency > lost_days"),
], columns=["stage", "turkish", "rule"])
STAGE_ORDER = list(STAGES["stage"])


@dataclass(frozen=True)
class StageRules:
    """Thresholds of the life-cycle stage rules (days and purchase counts).

    At an as-of date, with recency = days since the last purchase, tenure = days since the
    first, and last gap = days between the last two purchases, the first rule that holds
    gives the stage:

    1. recency > ``lost_days``                                  -> lost
    2. recency > ``at_risk_days``                               -> at risk
    3. last gap > ``lost_days`` (came back after being lost)    -> reactivated
    4. one purchase                                             -> new
    5. purchases >= ``loyal_min_purchases`` and tenure >= ``loyal_min_tenure_days`` -> loyal
    6. two purchases                                            -> converted
    7. otherwise (three or more purchases)                      -> active
    """

    at_risk_days: int = 90
    lost_days: int = 180
    loyal_min_purchases: int = 4
    loyal_min_tenure_days: int = 180

    def __post_init__(self):
        if not 0 < self.at_risk_days < self.lost_days:
            raise ValueError(f"stage rules: need 0 < at_risk_days < lost_days, got at_risk_days={self.at_risk_days}, "
                             f"lost_days={self.lost_days}")
        if self.loyal_min_purchases < 3:
            raise ValueError(f"stage rules: loyal_min_purchases must be >= 3 (two purchases is 'converted'), "
                             f"got {self.loyal_min_purchases}")
        if self.loyal_min_tenure_days < 0:
            raise ValueError(f"stage rules: loyal_min_tenure_days must be >= 0, got {self.loyal_min_tenure_days}")


def rules_from_gaps(days: pd.DataFrame, *, at_risk_days: int | None = None, lost_days: int | None = None,
                    at_risk_quantile: float = 0.80, lost_quantile: float = 0.95, loyal_min_purchases: int = 4,
                    loyal_min_tenure_days: int = 180, min_gaps: int = 30,
                    fallback: tuple[int, int] = (90, 180)) -> tuple[StageRules, str]:
    """Stage thresholds: given values, or quantiles of the gaps between purchases.

    A customer whose recency exceeds the ``at_risk_quantile`` of all observed gaps between
    consecutive purchase days (80 % by default) is later than 80 % of repeat purchases ever
    were: at risk. Beyond the ``lost_quantile`` (95 %) the customer is counted as lost. The
    gaps are those of :func:`purchase_days` (days). With fewer than ``min_gaps`` gaps the
    fixed ``fallback`` (at risk, lost) days are used.

    Returns
    -------
    (StageRules, str)
        The rules and one sentence saying where each threshold came from.
    """
    gaps = days["gap_days"].dropna()
    notes = []
    if at_risk_days is None or lost_days is None:
        if len(gaps) >= min_gaps:
            q_risk = int(np.ceil(gaps.quantile(at_risk_quantile)))
            q_lost = int(np.ceil(gaps.quantile(lost_quantile)))
            src = f"from {len(gaps):,} gaps between purchases"
        else:
            q_risk, q_lost = fallback
            src = f"fixed defaults, because only {len(gaps)} gaps between purchases exist (fewer than {min_gaps})"
        if at_risk_days is None:
            at_risk_days = max(q_risk, 1)
            notes.append(f"at_risk_days = {at_risk_days} ({_q_text(at_risk_quantile, src, len(gaps) >= min_gaps)})")
        if lost_days is None:
            lost_days = max(q_lost, at_risk_days + 1)
            notes.append(f"lost_days = {lost_days} ({_q_text(lost_quantile, src, len(gaps) >= min_gaps)})")
    for name, v in (("at_risk_days", at_risk_days), ("lost_days", lost_days)):
        if not any(n.startswith(name) for n in notes):
            notes.append(f"{name} = {v} (given)")
    rules = StageRules(int(at_risk_days), int(lost_days), int(loyal_min_purchases), int(loyal_min_tenure_days))
    return rules, "; ".join(notes)


def _q_text(q: float, src: str, from_data: bool) -> str:
    return f"{q:.0%} quantile of the gaps, {src}" if from_data else src


def stages_at(days: pd.DataFrame, as_of: dt.date | pd.Timestamp, rules: StageRules) -> pd.DataFrame:
    """Each customer's life-cycle stage on ``as_of`` from the purchases up to that day.

    Parameters
    ----------
    days : pandas.DataFrame
        :func:`purchase_days` (customer_id, day, revenue, gap_days), sorted by customer and day.
    as_of : date
    rules : StageRules

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase on or before ``as_of``: ``first_purchase``,
        ``last_purchase`` (datetime), ``purchases`` (purchase days), ``revenue`` (currency),
        ``recency_days`` = as_of - last purchase, ``tenure_days`` = as_of - first purchase,
        ``last_gap_days`` (days between the last two purchases; NaN with one purchase) and
        ``stage`` (see :class:`StageRules`; ordered categorical in :data:`STAGE_ORDER`).
    """
    as_of = pd.Timestamp(as_of)
    d = days[days["day"] <= as_of]
    g = d.groupby("customer_id", sort=True, observed=True)
    s = pd.DataFrame({
        "first_purchase": g["day"].min(),
        "last_purchase": g["day"].max(),
        "purchases": g.size().astype("int64"),
        "revenue": g["revenue"].sum(),
        "last_gap_days": g["gap_days"].last(),
    })
    s["recency_days"] = (as_of - s["last_purchase"]).dt.days.astype("int64")
    s["tenure_days"] = (as_of - s["first_purchase"]).dt.days.astype("int64")
    s["stage"] = assign_stage(s["recency_days"], s["purchases"], s["tenure_days"], s["last_gap_days"], rules)
    s = s.reset_index()
    return s[["customer_id", "first_purchase", "last_purchase", "purchases", "revenue", "recency_days",
              "tenure_days", "last_gap_days", "stage"]]


def assign_stage(recency_days, purchases, tenure_days, last_gap_days, rules: StageRules) -> pd.Series:
    """The stage rules of :class:`StageRules` on aligned Series (vectorised)."""
    rec = pd.Series(recency_days, dtype="float64")
    n = pd.Series(purchases, dtype="float64").to_numpy()
    ten = pd.Series(tenure_days, dtype="float64").to_numpy()
    gap = pd.Series(last_gap_days, dtype="float64").fillna(-1).to_numpy()
    r = rec.to_numpy()
    conds = [r > rules.lost_days, r > rules.at_risk_days, gap > rules.lost_days, n == 1,
             (n >= rules.loyal_min_purchases) & (ten >= rules.loyal_min_tenure_days), n == 2]
    choice = ["lost", "at risk", "reactivated", "new", "loyal", "converted"]
    out = np.select(conds, choice, default="active")
    return pd.Series(pd.Categorical(out, categories=STAGE_ORDER, ordered=True), index=rec.index)


def stage_history(days: pd.DataFrame, rules: StageRules, *, period: str = "month",
                  analysis_date: dt.date) -> pd.DataFrame:
    """Customers per stage at the end of every period (the last one on the analysis date).

    Returns
    -------
    pandas.DataFrame
        Long format: ``period`` (label), ``as_of`` (last day of the period, or the analysis
        date), ``stage``, ``customers``. Every stage appears in every period (0 when empty).
    """
    if days.empty:
        return pd.DataFrame(columns=["period", "as_of", "stage", "customers"])
    first = index_of(days["day"].min(), period)
    last = index_of(analysis_date, period)
    idx = np.arange(first, last + 1)
    ends = period_end(idx, period).clip(upper=pd.Timestamp(analysis_date))
    labels = period_label(idx, period)
    rows = []
    for lab, end in zip(labels, ends):
        counts = stages_at(days, end, rules)["stage"].value_counts().reindex(STAGE_ORDER, fill_value=0)
        rows += [(lab, end, st, int(c)) for st, c in counts.items()]
    return pd.DataFrame(rows, columns=["period", "as_of", "stage", "customers"])


def funnel(stages: pd.DataFrame, rules: StageRules) -> pd.DataFrame:
    """The life-cycle funnel at one date: acquired -> converted -> retained -> loyal.

    acquired = every customer with a purchase; converted = 2+ purchases; retained =
    converted and recency <= ``at_risk_days`` (still buying); loyal = retained with
    purchases >= ``loyal_min_purchases`` and tenure >= ``loyal_min_tenure_days``. Each step
    is a subset of the one before.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``turkish``, ``customers``, ``share_of_acquired``, ``share_of_previous``.
    """
    conv = stages["purchases"] >= 2
    ret = conv & (stages["recency_days"] <= rules.at_risk_days)
    loyal = ret & (stages["purchases"] >= rules.loyal_min_purchases) & (stages["tenure_days"] >= rules.loyal_min_tenure_days)
    counts = [len(stages), int(conv.sum()), int(ret.sum()), int(loyal.sum())]
    out = pd.DataFrame({"step": ["acquired", "converted", "retained", "loyal"],
                        "turkish": ["kazanılan", "dönüşen", "elde tutulan", "sadık"], "customers": counts})
    out["share_of_acquired"] = _ratio(out["customers"], pd.Series([counts[0]] * 4))
    out["share_of_previous"] = _ratio(out["customers"], pd.Series([counts[0], *counts[:-1]]))
    return out


# --------------------------------------------------------------------------------------
# lost customers
# --------------------------------------------------------------------------------------
def loss_events(days: pd.DataFrame, rules: StageRules, *, analysis_date: dt.date) -> pd.DataFrame:
    """Every time a customer went longer than ``lost_days`` without a purchase.

    A loss starts the day after the last purchase before the silence; the customer counts
    as lost from ``lost_on`` = that purchase + ``lost_days``. It ends when the customer buys
    again (``came_back``, ``back_on``) or is still open at the analysis date.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``last_purchase``, ``lost_on``, ``came_back`` (bool), ``back_on``
        (NaT when not back), ``purchases_before`` and ``revenue_before`` (purchase days and
        revenue up to the last purchase, currency), ``tenure_before_days`` (first to last
        purchase before the loss).
    """
    d = days.copy()
    d["cum_revenue"] = d.groupby("customer_id", observed=True)["revenue"].cumsum()
    d["first_day"] = d.groupby("customer_id", observed=True)["day"].transform("min")
    lost_td = pd.Timedelta(days=rules.lost_days)
    # gaps longer than lost_days that ended with a purchase: the customer came back
    back = d[d["gap_days"] > rules.lost_days]
    ev_back = pd.DataFrame({
        "customer_id": back["customer_id"].to_numpy(),
        "last_purchase": (back["day"] - pd.to_timedelta(back["gap_days"], unit="D")).to_numpy(),
        "came_back": True,
        "back_on": back["day"].to_numpy(),
        "purchases_before": (back["n"] - 1).to_numpy(),
        "revenue_before": (back["cum_revenue"] - back["revenue"]).to_numpy(),
        "first_day": back["first_day"].to_numpy(),
    })
    # the last purchase of customers silent for more than lost_days at the analysis date
    last = d.groupby("customer_id", observed=True).tail(1)
    last = last[(pd.Timestamp(analysis_date) - last["day"]).dt.days > rules.lost_days]
    ev_open = pd.DataFrame({
        "customer_id": last["customer_id"].to_numpy(),
        "last_purchase": last["day"].to_numpy(),
        "came_back": False,
        "back_on": pd.NaT,
        "purchases_before": last["n"].to_numpy(),
        "revenue_before": last["cum_revenue"].to_numpy(),
        "first_day": last["first_day"].to_numpy(),
    })
    ev = pd.concat([ev_back, ev_open], ignore_index=True)
    ev["back_on"] = pd.to_datetime(ev["back_on"]).astype("datetime64[us]")
    ev["last_purchase"] = pd.to_datetime(ev["last_purchase"]).astype("datetime64[us]")
    ev["lost_on"] = ev["last_purchase"] + lost_td
    ev["tenure_before_days"] = (ev["last_purchase"] - pd.to_datetime(ev["first_day"])).dt.days.astype("int64")
    ev["purchases_before"] = ev["purchases_before"].astype("int64")
    ev["revenue_before"] = ev["revenue_before"].astype("float64")
    ev["came_back"] = ev["came_back"].astype(bool)
    return ev.sort_values(["lost_on", "customer_id"], ignore_index=True)[
        ["customer_id", "last_purchase", "lost_on", "came_back", "back_on", "purchases_before", "revenue_before",
         "tenure_before_days"]]


def losses_per_period(events: pd.DataFrame, *, period: str = "month") -> pd.DataFrame:
    """Losses by the period in which customers became lost, and how many of them came back.

    Returns
    -------
    pandas.DataFrame
        ``period`` (label), ``period_start``, ``lost`` (customers who crossed ``lost_days``
        of silence in the period), ``repeat_lost`` (of them, with 2+ purchases before),
        ``came_back`` (of them, bought again by the analysis date), ``came_back_share``
        = came_back / lost, ``revenue_before`` (their revenue before the loss, currency).
    """
    if events.empty:
        return pd.DataFrame(columns=["period", "period_start", "lost", "repeat_lost", "came_back",
                                     "came_back_share", "revenue_before"])
    idx = events["lost_on"].map(lambda x: index_of(x, period))
    g = events.assign(_i=idx, _rep=events["purchases_before"] >= 2).groupby("_i")
    out = pd.DataFrame({"lost": g.size(), "repeat_lost": g["_rep"].sum(), "came_back": g["came_back"].sum(),
                        "revenue_before": g["revenue_before"].sum()})
    out = out.reindex(_grid(int(idx.min()), int(idx.max())), fill_value=0)
    out["came_back_share"] = _ratio(out["came_back"], out["lost"])
    out.insert(0, "period", period_label(out.index.to_numpy(), period))
    out.insert(1, "period_start", period_start(out.index.to_numpy(), period).to_numpy())
    return out.reset_index(drop=True)[["period", "period_start", "lost", "repeat_lost", "came_back",
                                       "came_back_share", "revenue_before"]]


def lost_profile(stages: pd.DataFrame, days: pd.DataFrame, *, min_purchases: int = 2) -> pd.DataFrame:
    """What lost customers looked like before they left, beside the customers still buying.

    Compares customers in stage ``lost`` with those in a buying stage (new, converted,
    active, loyal, reactivated), both restricted to ``min_purchases`` purchases or more
    (default 2: long-standing customers, not one-time buyers). Medians per group:

    - purchases (purchase days), tenure at the last purchase (days, first to last purchase),
      revenue (currency), revenue per purchase (currency), mean gap between purchases (days);
    - last purchase value / own mean of the earlier purchases (< 1: spend was shrinking;
      needs 2+ purchases), and last gap / own mean of the earlier gaps (> 1: purchases were
      slowing down; needs 3+ purchases). These are the signs of a customer taken by a
      competitor.

    Returns
    -------
    pandas.DataFrame
        Index: metric; columns ``lost`` and ``still buying``; first row the number of customers.
    """
    buying = {"new", "converted", "active", "loyal", "reactivated"}
    s = stages[stages["purchases"] >= min_purchases].copy()
    s["group"] = np.where(s["stage"] == "lost", "lost", np.where(s["stage"].isin(buying), "still buying", None))
    s = s[s["group"].notna()]
    d = days[days["customer_id"].isin(s["customer_id"])]
    g = d.groupby("customer_id", observed=True)
    last_val = g["revenue"].last()
    n = g.size()
    earlier_val = (g["revenue"].sum() - last_val) / (n - 1).where(n > 1)
    last_gap = g["gap_days"].last()
    gap_count = g["gap_days"].count()
    earlier_gap = (g["gap_days"].sum() - last_gap) / (gap_count - 1).where(gap_count > 1)
    per = pd.DataFrame({
        "tenure": (g["day"].max() - g["day"].min()).dt.days,
        "mean_gap": g["gap_days"].mean(),
        "value_ratio": last_val / earlier_val,
        "gap_ratio": last_gap / earlier_gap,
    })
    s = s.join(per, on="customer_id")
    s["per_purchase"] = s["revenue"] / s["purchases"]
    metrics = {
        "customers": ("customer_id", "count"),
        "purchases (median)": ("purchases", "median"),
        "tenure at last purchase, days (median)": ("tenure", "median"),
        "revenue (median)": ("revenue", "median"),
        "revenue per purchase (median)": ("per_purchase", "median"),
        "days between purchases (median of own mean)": ("mean_gap", "median"),
        "last purchase value / own earlier mean (median)": ("value_ratio", "median"),
        "last gap / own earlier mean gap (median)": ("gap_ratio", "median"),
    }
    out = s.groupby("group").agg(**{k: v for k, v in metrics.items()}).T
    return out.reindex(columns=["lost", "still buying"])


def customer_attributes(lines, columns: list[str], *, analysis_date: dt.date) -> pd.DataFrame:
    """Each customer's main value of some line columns (country, channel, category): the one
    with the most revenue up to the analysis date (ties: alphabetical). Missing -> "(missing)".

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` and one column per name in ``columns``.
    """
    t = _upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull())
    out = None
    for col in columns:
        x = t.mutate(_v=t[col].fill_null("(missing)"))
        g = x.group_by(["customer_id", "_v"]).aggregate(_rev=x.amount.sum())
        w = ibis.window(group_by=g.customer_id, order_by=[ibis.desc(g._rev), g._v])
        top = g.mutate(_rn=ibis.row_number().over(w))
        top = top.filter(top._rn == 0).select("customer_id", "_v").rename({col: "_v"}).execute()
        out = top if out is None else out.merge(top, on="customer_id", how="outer")
    if out is None:
        out = t.select("customer_id").distinct().execute()
    out["customer_id"] = out["customer_id"].astype("string")
    return out.sort_values("customer_id", ignore_index=True)


def revenue_mix(lines, groups: pd.DataFrame, column: str, *, analysis_date: dt.date, top: int = 12) -> pd.DataFrame:
    """Share of each group's revenue by ``column`` (e.g. category) — what lost customers bought
    compared with customers still buying.

    Parameters
    ----------
    groups : pandas.DataFrame
        ``customer_id`` and ``group``.

    Returns
    -------
    pandas.DataFrame
        Index: the ``top`` values of ``column`` by total revenue (the rest as "other");
        one column per group with its revenue share (fractions summing to 1).
    """
    t = _upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull()).mutate(_v=t[column].fill_null("(missing)"))
    cv = t.group_by(["customer_id", "_v"]).aggregate(revenue=t.amount.sum()).execute()
    cv["customer_id"] = cv["customer_id"].astype("string")
    cv = cv.merge(groups[["customer_id", "group"]], on="customer_id")
    tab = cv.pivot_table(index="_v", columns="group", values="revenue", aggfunc="sum", fill_value=0.0)
    order = tab.sum(axis=1).sort_values(ascending=False).index
    if len(order) > top:
        keep = order[: top - 1]
        rest = tab.drop(index=keep).sum(axis=0).rename(f"other ({len(order) - len(keep)})")
        tab = pd.concat([tab.loc[keep], rest.to_frame().T])
    else:
        tab = tab.loc[order]
    tab.index.name = column
    return tab / tab.sum(axis=0)


def breakdown(stages: pd.DataFrame, attributes: pd.DataFrame, column: str, top: int = 12) -> pd.DataFrame:
    """Customers, revenue, repeat and loss rates by a customer attribute (country, channel).

    Parameters
    ----------
    stages : pandas.DataFrame
        :func:`stages_at` on the analysis date.
    attributes : pandas.DataFrame
        :func:`customer_attributes` with ``column``.

    Returns
    -------
    pandas.DataFrame
        One row per value (the ``top`` largest by customers; the rest summed as "other"):
        ``customers``, ``share_customers``, ``revenue`` (currency), ``share_revenue``,
        ``revenue_per_customer`` (currency), ``purchases_per_customer``, ``repeat_rate``
        (share with 2+ purchases), ``at_risk_share`` and ``lost_share`` (share of the
        value's customers in those stages).
    """
    s = stages.merge(attributes[["customer_id", column]], on="customer_id", how="left")
    s[column] = s[column].fillna("(missing)")
    s = s.assign(_rep=s["purchases"] >= 2, _risk=s["stage"] == "at risk", _lost=s["stage"] == "lost")
    order = s[column].value_counts().index
    if len(order) > top:
        keep = set(order[: top - 1])
        s[column] = s[column].where(s[column].isin(keep), f"other ({len(order) - top + 1})")
    g = s.groupby(column, observed=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["revenue"].sum(), "purchases": g["purchases"].sum(),
                        "repeat_rate": g["_rep"].mean(), "at_risk_share": g["_risk"].mean(),
                        "lost_share": g["_lost"].mean()})
    out["share_customers"] = out["customers"] / out["customers"].sum()
    out["share_revenue"] = out["revenue"] / out["revenue"].sum()
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    out["purchases_per_customer"] = out["purchases"] / out["customers"]
    out = out.sort_values("customers", ascending=False).reset_index()
    return out[[column, "customers", "share_customers", "revenue", "share_revenue", "revenue_per_customer",
                "purchases_per_customer", "repeat_rate", "at_risk_share", "lost_share"]]
