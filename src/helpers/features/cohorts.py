"""Cohorts: customers grouped by the period of their first order, followed period by period.

The words (order, period, active, cohort, age) are those of :mod:`helpers.features.lifecycle`.
The grouping of lines into customer-periods runs in the engine (Ibis); the cohort table comes
back as a small pandas frame (one row per cohort and age).
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from helpers.features.periods import index_of, lines_upto, period_end, period_index, period_label, period_start


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
        customer_id; ``period_index`` (:func:`~helpers.features.periods.period_index`);
        ``orders`` (distinct invoices); ``revenue`` (currency); ``prev_index`` = the customer's
        previous active period (null for the first); ``cohort_index`` = the customer's first
        active period.
    """
    t = lines_upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull())
    t = t.mutate(period_index=period_index(t.invoice_ts.date(), period))
    g = t.group_by(["customer_id", "period_index"]).aggregate(orders=t.invoice.nunique(), revenue=t.amount.sum())
    w = ibis.window(group_by=g.customer_id, order_by=g.period_index)
    return g.mutate(prev_index=g.period_index.lag().over(w),
                    cohort_index=g.period_index.min().over(ibis.window(group_by=g.customer_id)))


def cohort_table(lines, *, period: str = "month", analysis_date: dt.date) -> pd.DataFrame:
    """Cohorts by first-order period, one row per cohort and age (long format).

    ``lines``, ``period`` and ``analysis_date`` as in :func:`customer_periods`.

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
