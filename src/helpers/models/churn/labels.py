"""Churn cut-offs and labels: which customer lines a feature may read, and who churned after a cut-off.

A customer active at a cut-off date is **churned** when they make no purchase in the
``horizon_days`` days after it (``(cutoff, cutoff + horizon_days]``). Features read only the
lines on or before the cut-off (:func:`lines_before`); the label reads only the window after it.
Days are calendar days; the lines are an Ibis table (DuckDB or Spark).
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd


def as_date(d) -> dt.date:
    """A date from a date, a datetime (its day) or an ISO text ``"2024-03-31"``."""
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return dt.date.fromisoformat(str(d))


def cutoffs(analysis_end, *, horizon_days: int, train_cutoff=None, test_cutoff=None,
            data_start=None) -> tuple[dt.date, dt.date]:
    """Training and out-of-time test cut-offs.

    By default the test cut-off is ``analysis_end - horizon_days`` (its label window ends on
    the analysis date) and the training cut-off is ``test_cutoff - horizon_days`` (its label
    window ends where the test features end), so the test labels lie after everything the
    model was trained on.

    Raises
    ------
    ValueError
        A cut-off whose label window would run past the analysis date, a training cut-off
        not before the test cut-off, or a training cut-off before the data starts.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days = {horizon_days}: the churn window must be at least 1 day")
    end = as_date(analysis_end)
    test = as_date(test_cutoff) if test_cutoff else end - dt.timedelta(days=horizon_days)
    train = as_date(train_cutoff) if train_cutoff else test - dt.timedelta(days=horizon_days)
    if test + dt.timedelta(days=horizon_days) > end:
        raise ValueError(f"test cut-off {test} + {horizon_days} days runs past the analysis date {end}; "
                         f"the label window must be observed (use a cut-off on or before "
                         f"{end - dt.timedelta(days=horizon_days)})")
    if train >= test:
        raise ValueError(f"training cut-off {train} must be before the test cut-off {test} (out-of-time validation)")
    if data_start is not None and train <= as_date(data_start):
        raise ValueError(f"training cut-off {train} is not after the first day of data {as_date(data_start)}; "
                         f"shorten horizon_days ({horizon_days}) or use a longer history")
    return train, test


def customer_lines(lines):
    """The lines of known customers (``customer_id`` not null): guests are never scored."""
    return lines.filter(lines.customer_id.notnull())


def lines_before(lines, cutoff: dt.date):
    """Customer lines on or before the cut-off day: the only lines a feature may read."""
    t = customer_lines(lines)
    return t.filter(t.invoice_ts.date() <= ibis.date(cutoff))


def churn_labels(lines, *, cutoff, horizon_days: int) -> pd.DataFrame:
    """The churn label of every customer with a purchase on or before the cut-off.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id, invoice_ts.
    cutoff : date
        Last day of the feature period (inclusive).
    horizon_days : int
        Length of the label window ``(cutoff, cutoff + horizon_days]`` in days.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``purchase_days_after`` (distinct purchase days in the window) and
        ``churned`` (1 when that is 0, else 0), one row per customer seen by the cut-off.
    """
    cutoff = as_date(cutoff)
    t = customer_lines(lines)
    t = t.mutate(_day=t.invoice_ts.date())
    seen = t.filter(t._day <= ibis.date(cutoff)).select("customer_id").distinct()
    end = cutoff + dt.timedelta(days=horizon_days)
    after = t.filter((t._day > ibis.date(cutoff)) & (t._day <= ibis.date(end)))
    a = after.group_by("customer_id").aggregate(purchase_days_after=after._day.nunique()).execute()
    s = seen.execute()
    out = s.merge(a, on="customer_id", how="left")
    out["purchase_days_after"] = out["purchase_days_after"].fillna(0).astype("int64")
    out["churned"] = (out["purchase_days_after"] == 0).astype("int64")
    return out.sort_values("customer_id", ignore_index=True)
