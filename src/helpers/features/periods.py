"""Calendar periods: the period table, period numbering and the calendar helpers over lines.

Every feature and analysis that groups by week, month or quarter takes its period names and
lengths from here:

=========  ==========  ===================  ================
period     truncation  mean length (days)   periods per year
=========  ==========  ===================  ================
week       ``W``       7                    365.25 / 7
month      ``M``       365.25 / 12          12
quarter    ``Q``       365.25 / 4           4
=========  ==========  ===================  ================

A week runs Monday to Sunday; months and quarters are calendar months and quarters. The
truncation unit is Ibis's (``Table.truncate``). The time units of the buy-till-you-die summary
(:data:`UNIT_DAYS`: ``"D"`` days, ``"W"`` weeks, ``"M"`` months) are lengths, not calendar
periods: recency and T are whole days divided by the unit's length.

Periods are numbered with consecutive integers (:func:`period_index`), so "the period before
k" is ``k - 1`` on every engine; :func:`period_start`, :func:`period_end` and
:func:`period_label` turn the numbers back into dates and labels.
"""
from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

#: mean length of a year in days (the Julian year)
DAYS_PER_YEAR = 365.25
#: the calendar periods: Ibis truncation unit, mean length in days, periods per year
PERIOD_TABLE = {
    "week": {"unit": "W", "days": 7.0, "per_year": DAYS_PER_YEAR / 7},
    "month": {"unit": "M", "days": DAYS_PER_YEAR / 12, "per_year": 12.0},
    "quarter": {"unit": "Q", "days": DAYS_PER_YEAR / 4, "per_year": 4.0},
}
#: period names, shortest first
PERIODS = tuple(PERIOD_TABLE)
#: Ibis truncation unit of each period
PERIOD_UNITS = {p: row["unit"] for p, row in PERIOD_TABLE.items()}
#: mean length of each period in days
PERIOD_DAYS = {p: row["days"] for p, row in PERIOD_TABLE.items()}
#: periods per year of each period name
PERIODS_PER_YEAR = {p: row["per_year"] for p, row in PERIOD_TABLE.items()}
#: length in days of the buy-till-you-die time units: D days, W weeks, M months
UNIT_DAYS = {"D": 1.0, "W": PERIOD_DAYS["week"], "M": PERIOD_DAYS["month"]}
#: the time units' names
UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months"}
#: a Monday: week index 0 starts here
WEEK0 = dt.date(1970, 1, 5)


def check_period(period: str) -> None:
    """Raise ValueError unless ``period`` is one of :data:`PERIODS`."""
    if period not in PERIODS:
        raise ValueError(f"period '{period}' is not one of {', '.join(PERIODS)}")


def period_index(day, period: str):
    """Ibis expression: an integer numbering of the period of a date (or timestamp) expression.

    month: ``year * 12 + month - 1``; quarter: ``year * 4 + quarter - 1``; week: whole weeks
    since Monday 1970-01-05. Consecutive periods get consecutive numbers, so "the period
    before" is ``index - 1`` on every engine.
    """
    check_period(period)
    if period == "month":
        return day.year() * 12 + day.month() - 1
    if period == "quarter":
        return day.year() * 4 + day.quarter() - 1
    return day.delta(ibis.date(WEEK0), unit="day") // 7


def index_of(day: dt.date | pd.Timestamp, period: str) -> int:
    """The :func:`period_index` of one date, computed in Python."""
    check_period(period)
    d = pd.Timestamp(day)
    if period == "month":
        return d.year * 12 + d.month - 1
    if period == "quarter":
        return d.year * 4 + d.quarter - 1
    return (d.normalize() - pd.Timestamp(WEEK0)).days // 7


def period_start(index, period: str) -> pd.Series | pd.Timestamp:
    """First day of the period(s) numbered ``index`` (inverse of :func:`period_index`)."""
    check_period(period)
    scalar = np.isscalar(index)
    idx = pd.Series(np.atleast_1d(np.asarray(index, dtype="int64")))
    if period == "month":
        out = pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1}))
    elif period == "quarter":
        out = pd.to_datetime(pd.DataFrame({"year": idx // 4, "month": 3 * (idx % 4) + 1, "day": 1}))
    else:
        out = pd.Timestamp(WEEK0) + pd.to_timedelta(idx * 7, unit="D")
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


def period_grid(first: int, last: int) -> pd.Index:
    """Every period number from ``first`` to ``last`` (inclusive), as an index named ``period_index``."""
    return pd.RangeIndex(first, last + 1, name="period_index")


def truncate_to_period(ts, period: str):
    """Ibis expression: the first day of the week (Monday), month or quarter of ``ts`` (a date)."""
    return ts.truncate(PERIOD_UNITS[period]).cast("date")


def lines_upto(lines, analysis_date: dt.date):
    """The lines (Ibis) dated on or before ``analysis_date``."""
    return lines.filter(lines.invoice_ts.date() <= ibis.date(analysis_date))


def ratio(num, den) -> pd.Series:
    """``num / den`` as float Series, NaN where the denominator is 0 (a rate of an empty period)."""
    num = pd.Series(num, dtype="float64")
    den = pd.Series(den, dtype="float64")
    return (num / den.where(den != 0)).astype("float64")
