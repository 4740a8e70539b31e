"""Lost customers: when they were lost, whether they came back, and who they were.

A customer is lost after more than ``lost_days`` without a purchase
(:class:`~helpers.features.stages.StageRules`). :func:`loss_events` lists every loss,
:func:`losses_per_period` counts them per period, :func:`lost_profile` compares lost
customers with those still buying, and :func:`customer_attributes`, :func:`revenue_mix` and
:func:`breakdown` show them by country, channel or category. Amounts are in the data's currency.
"""
from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from helpers.features.periods import index_of, lines_upto, period_grid, period_label, period_start, ratio
from helpers.features.stages import StageRules


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
    out = out.reindex(period_grid(int(idx.min()), int(idx.max())), fill_value=0)
    out["came_back_share"] = ratio(out["came_back"], out["lost"])
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
    t = lines_upto(lines, analysis_date)
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
    t = lines_upto(lines, analysis_date)
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
        :func:`~helpers.features.stages.stages_at` on the analysis date.
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
