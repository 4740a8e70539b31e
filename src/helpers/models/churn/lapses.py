"""Active lifetimes until the first lapse, right-censored, and Kaplan-Meier survival by segment.

A lapse uses the rule of the churn label: a purchase day followed by ``lapse_days`` days without
a purchase. Durations are in days since the first purchase; the Kaplan-Meier fits are those of
:mod:`helpers.models.survival`.
"""
from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from helpers.models import survival
from helpers.models.churn.features import main_value
from helpers.models.churn.labels import as_date, lines_before


def active_lifetimes(lines, *, analysis_date, lapse_days: int, has: dict | None = None) -> pd.DataFrame:
    """Active lifetime per customer (time to churn), right-censored, for Kaplan-Meier curves.

    A purchase day L is a **lapse** when the customer buys nothing in the ``lapse_days`` days
    after it, ``(L, L + lapse_days]``, and that window is observed (``L + lapse_days`` on or
    before the analysis date) -- the same rule as the churn label. The customer's active
    lifetime is the first lapse day minus the first purchase day (days; 0 for a one-time
    buyer), with ``churned`` = 1. A customer with no lapse yet is censored (``churned`` = 0)
    at ``analysis_date - lapse_days - first_day``: every purchase day up to there was followed
    by another within ``lapse_days`` days, so the lifetime is longer than that. Customers whose
    first purchase is in the last ``lapse_days`` days cannot be judged yet and are left out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``first_day``, ``duration_days``, ``churned`` (1 = lapse observed),
        ``first_value`` (revenue of the first purchase day, currency), and ``country`` /
        ``channel`` (the one with most revenue) when ``has`` says they exist.
    """
    end = as_date(analysis_date)
    judge_until = end - dt.timedelta(days=lapse_days)
    t = lines_before(lines, end)
    d = t.mutate(_day=t.invoice_ts.date()).group_by(["customer_id", "_day"]).aggregate(_v=t.amount.sum())
    w = ibis.window(group_by=d.customer_id, order_by=d._day)
    nxt = d._day.lead().over(w)
    lapse = ibis.ifelse(nxt.isnull(), d._day <= ibis.date(judge_until), nxt.delta(d._day, unit="day") > lapse_days)
    d = d.mutate(_lapse=lapse)
    g = d.group_by("customer_id").aggregate(
        first_day=d._day.min(), lapse_day=d._day.min(where=d._lapse), first_value=d._v.argmin(d._day))
    g = g.filter(g.first_day <= ibis.date(judge_until)).execute()
    for c in ("first_day", "lapse_day"):
        g[c] = pd.to_datetime(g[c])
    g["churned"] = g["lapse_day"].notna().astype("int64")
    stop = g["lapse_day"].where(g["churned"] == 1, pd.Timestamp(judge_until))
    g["duration_days"] = (stop - g["first_day"]).dt.days.astype("int64")
    out = g[["customer_id", "first_day", "duration_days", "churned", "first_value"]]
    has = has or {}
    for col in ("country", "channel"):
        if has.get(col):
            out = out.merge(main_value(t, col, col), on="customer_id", how="left")
    return out.sort_values("customer_id", ignore_index=True)


def segment_of(life: pd.DataFrame, how: str, *, top: int = 4) -> pd.Series | None:
    """A segment label per row of :func:`active_lifetimes`, or None when the column is missing.

    ``"first_value"``: terciles of the first purchase day's value (low / mid / high);
    ``"country"`` and ``"channel"``: the ``top`` most common values, the rest "other";
    ``"cohort"``: the half-year of the first purchase.
    """
    if how == "first_value":
        v = life["first_value"].astype(float)
        if v.nunique() < 3:
            return None
        q = pd.qcut(v.rank(method="first"), 3, labels=["low first order", "mid first order", "high first order"])
        return q.astype("string")
    if how == "cohort":
        fd = pd.to_datetime(life["first_day"])
        return (fd.dt.year.astype(str) + "-H" + ((fd.dt.month - 1) // 6 + 1).astype(str)).astype("string")
    if how in ("country", "channel"):
        if how not in life:
            return None
        s = survival.group_labels(life[how])
        keep = s.value_counts().head(top).index
        return s.where(s.isin(keep), "other")
    raise ValueError(f"segment '{how}' is unknown; use first_value, cohort, country or channel")


def km_table(life: pd.DataFrame, segment: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier survival (share still active) by segment, with lifelines.

    Returns
    -------
    (curves, summary)
        ``curves``: segment, ``days`` (since the first purchase), ``survival`` (0..1) and its
        95 % confidence band ``lower`` / ``upper``. ``summary``: per segment ``customers``,
        ``lapsed`` (observed churn events), ``came_back`` (S(0): share not lapsed right after
        the first purchase, i.e. who bought again within the lapse window), ``median_days``
        (median active lifetime; 0 when most never came back, empty when survival never
        falls to 0.5) and ``active_after_180_days`` / ``active_after_365_days`` (survival);
        ``attrs["logrank_p"]`` is the multivariate log-rank test's p-value (are the curves
        different?).
    """
    curves, rows = [], []
    seg = survival.group_labels(segment)
    for fit in survival.kaplan_meier_by_group(life["duration_days"], life["churned"], seg):
        m, kmf = fit.mask, fit.fitter
        curves.append(survival.survival_curve(fit, group="segment", time="days", value="survival"))
        rows.append({"segment": fit.name, "customers": int(m.sum()), "lapsed": int(life.loc[m, "churned"].sum()),
                     "came_back": float(kmf.predict(0)),
                     "median_days": survival.median_duration(fit),
                     "active_after_180_days": float(kmf.predict(180)),
                     "active_after_365_days": float(kmf.predict(365))})
    summary = pd.DataFrame(rows)
    test = survival.logrank(life["duration_days"], seg, life["churned"])
    summary.attrs["logrank_p"] = np.nan if test is None else float(test.p_value)
    return pd.concat(curves, ignore_index=True), summary
