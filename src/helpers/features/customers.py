"""Customer tables from clean lines: classic RFM and the buy-till-you-die summary.

Both leave guests (lines without a customer id) out. All work runs in the engine (Ibis);
the functions take and return Ibis tables, so they run on DuckDB and on Spark alike.

Zero-value lines (free items, promotions: ``is_free`` in the clean lines) are purchases: they
count for frequency, recency and the first purchase, and are left out of the spend averages
(average order value, mean repeat spend), so a free order does not lower what a paying order is
worth.

Time units for the buy-till-you-die convention (:data:`helpers.features.periods.UNIT_DAYS`,
re-exported here): ``"D"`` days, ``"W"`` weeks (days / 7), ``"M"`` months (days / (365.25 /
12)). Purchases are counted on distinct days, as in the published BG/NBD set-up (Fader,
Hardie & Lee 2005): several orders on one day are one purchase, and recency and T are whole
days divided by the unit's length, not counts of calendar weeks or months.
"""
from __future__ import annotations

import datetime as dt

import ibis

from helpers.features.periods import UNIT_DAYS, UNIT_NAMES

__all__ = ["UNIT_DAYS", "UNIT_NAMES", "btyd_summary", "calendar_features", "calibration_holdout", "purchase_grid", "rfm_table"]


@ibis.udf.agg.builtin(name="min_by")
def _min_by(value: float, key: dt.date) -> float:
    """The ``value`` of the row with the smallest ``key``: the engines' own ``min_by`` (DuckDB, where it is
    ``arg_min``; Spark). Ibis writes ``argmin`` for DuckDB as ``FIRST(value ORDER BY key)``, an ordered aggregate
    that sorts every group: at 10M lines the customer summary's query took 0.99 s with it and 0.90 s with
    ``min_by``. The same answer here, where the key (a purchase day) is unique and never missing in a group."""


def _customers_only(lines):
    return lines.filter(lines.customer_id.notnull())


def _days_between(later: dt.date, earlier):
    """Whole days from an Ibis date column to a fixed later date."""
    return ibis.date(later).delta(earlier, unit="day")


def rfm_table(lines, *, analysis_date: dt.date):
    """Per-customer recency, frequency and monetary value at an analysis date.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines (:func:`helpers.clean.clean_lines`): customer_id, invoice, invoice_ts,
        amount (currency). Lines after ``analysis_date`` are ignored.
    analysis_date : date
        The day the analysis looks from (inclusive).

    Returns
    -------
    ibis.Table
        One row per customer: ``customer_id``; ``first_purchase`` and ``last_purchase``
        (dates); ``recency_days`` = analysis_date - last_purchase (days, 0 = bought that
        day); ``tenure_days`` = analysis_date - first_purchase (days); ``frequency`` =
        number of distinct invoices (orders, free ones included); ``monetary`` = total revenue
        (currency); ``avg_order_value`` = monetary / orders with a positive value (currency; 0
        when every order was free); ``lines``; ``units``.
    """
    t = _customers_only(lines)
    t = t.filter(t.invoice_ts.date() <= ibis.date(analysis_date))
    g = t.group_by("customer_id").aggregate(
        first_purchase=t.invoice_ts.date().min(),
        last_purchase=t.invoice_ts.date().max(),
        frequency=t.invoice.nunique(),
        paid_orders=t.invoice.nunique(where=t.amount > 0),
        monetary=t.amount.sum(),
        lines=t.count(),
        units=t.quantity.sum(),
    )
    return g.mutate(
        recency_days=_days_between(analysis_date, g.last_purchase),
        tenure_days=_days_between(analysis_date, g.first_purchase),
        avg_order_value=ibis.ifelse(g.paid_orders > 0, g.monetary / g.paid_orders.cast("float64"), 0.0),
    ).select("customer_id", "first_purchase", "last_purchase", "recency_days", "tenure_days",
             "frequency", "monetary", "avg_order_value", "lines", "units").order_by("customer_id")


def _daily(lines, end: dt.date):
    """One row per customer and purchase day up to ``end``: the day's value. Only the three columns it needs
    are selected first: the query compiles in about two thirds of the time of one carrying every line column
    (the engine reads those three either way)."""
    t = lines.select("customer_id", "amount", day=lines.invoice_ts.date())
    t = t.filter(t.customer_id.notnull(), t.day <= ibis.date(end))
    return t.group_by(["customer_id", "day"]).aggregate(value=t.amount.sum())


def btyd_summary(lines, *, observation_end: dt.date, time_unit: str = "W"):
    """The buy-till-you-die customer summary (frequency, recency, T, monetary value).

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id, invoice_ts, amount (currency).
    observation_end : date
        Last day of the observation (calibration) period, inclusive.
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``.

    Returns
    -------
    ibis.Table
        One row per customer: ``frequency`` = distinct purchase days - 1 (repeat purchases);
        ``recency`` = last purchase day - first purchase day; ``T`` = observation_end - first
        purchase day (both in ``time_unit``); ``monetary_value`` = mean value of the repeat
        purchase days with a positive value (currency; 0 when there is none, the first purchase
        excluded as in the Gamma-Gamma model, free days left out); ``first_value`` = value of
        the first purchase day.
    """
    unit = UNIT_DAYS[time_unit]
    d = _daily(lines, observation_end)
    # one hash aggregation: the first day's value is arg_min(value, day) (days are distinct per
    # customer after _daily), no per-customer sort for a row_number window
    g = d.group_by("customer_id").aggregate(
        n_days=d.count(),
        first_day=d.day.min(),
        last_day=d.day.max(),
        paid_days=d.count(where=d.value > 0),
        paid_total=d.value.sum(where=d.value > 0),
        first_value=_min_by(d.value, d.day),
    )
    freq = g.n_days - 1
    first_paid = g.first_value > 0
    rep_paid = g.paid_days - ibis.ifelse(first_paid, 1, 0)
    rep_total = g.paid_total.fill_null(0.0) - ibis.ifelse(first_paid, g.first_value, 0.0)
    return g.select(
        "customer_id",
        frequency=freq,
        recency=g.last_day.delta(g.first_day, unit="day").cast("float64") / unit,
        T=_days_between(observation_end, g.first_day).cast("float64") / unit,
        monetary_value=ibis.ifelse(rep_paid > 0, rep_total / rep_paid.cast("float64"), 0.0),
        first_value=g.first_value,
    ).order_by("customer_id")


def calibration_holdout(lines, *, calibration_end: dt.date, observation_end: dt.date, time_unit: str = "W"):
    """Split purchases at ``calibration_end`` for validating a BTYD model.

    Returns
    -------
    ibis.Table
        :func:`btyd_summary` of the calibration period (customers whose first purchase is on
        or before ``calibration_end``) plus ``frequency_holdout`` (distinct purchase days in
        (calibration_end, observation_end]), ``monetary_value_holdout`` (mean value of those
        days, currency, 0 when none) and ``duration_holdout`` (length of the holdout period
        in ``time_unit``).
    """
    if calibration_end >= observation_end:
        raise ValueError(f"calibration_end {calibration_end} must be before observation_end {observation_end}")
    cal = btyd_summary(lines, observation_end=calibration_end, time_unit=time_unit)
    d = _daily(lines, observation_end)
    h = d.filter(d.day > ibis.date(calibration_end))
    hg = h.group_by("customer_id").aggregate(frequency_holdout=h.count(), _hval=h.value.sum())
    j = cal.left_join(hg, cal.customer_id == hg.customer_id).drop("customer_id_right")
    fh = j.frequency_holdout.fill_null(0)
    duration = (observation_end - calibration_end).days / UNIT_DAYS[time_unit]
    return j.mutate(
        frequency_holdout=fh,
        monetary_value_holdout=ibis.ifelse(fh > 0, j._hval / fh.cast("float64"), 0.0),
        duration_holdout=ibis.literal(duration),
    ).drop("_hval").order_by("customer_id")


#: a grid is detected when at least this share of the customers' purchase days fall on one weekday
#: (weekly opportunities) or one day of the month (monthly)
GRID_SHARE = 0.95


def purchase_grid(lines, *, observation_end: dt.date) -> dict:
    """Whether purchases happen on a grid of discrete opportunities (the BG/BB model's setting).

    Counts the customers' distinct purchase days up to ``observation_end`` by weekday and by day of
    the month. Returns a dict: ``grid`` ("M" when at least :data:`GRID_SHARE` of the days fall on one
    day of the month, else "W" when they fall on one weekday, else None), ``day`` (1..31) and
    ``day_share``, ``weekday`` (0 Monday .. 6 Sunday) and ``weekday_share``, and ``days`` counted.
    """
    d = _daily(lines, observation_end)
    d = d.mutate(wd=d.day.day_of_week.index(), dom=d.day.day())
    by = d.group_by(["wd", "dom"]).aggregate(n=d.count())
    t = by.execute()
    total = int(t["n"].sum()) if len(t) else 0
    if total == 0:
        return {"grid": None, "day": None, "day_share": 0.0, "weekday": None, "weekday_share": 0.0, "days": 0}
    wd, dom = t.groupby("wd")["n"].sum(), t.groupby("dom")["n"].sum()
    out = {"day": int(dom.idxmax()), "day_share": float(dom.max() / total),
           "weekday": int(wd.idxmax()), "weekday_share": float(wd.max() / total), "days": total}
    out["grid"] = ("M" if out["day_share"] >= GRID_SHARE else "W" if out["weekday_share"] >= GRID_SHARE else None)
    return out


def calendar_features(lines, *, cutoff: dt.date, horizon_days: int):
    """Calendar features per customer from the purchase days up to ``cutoff``, for predicting the
    ``horizon_days`` after it: ``last_year_window`` (purchase days in the same calendar window one year
    earlier: (cutoff - 365 days, cutoff - 365 days + horizon]), ``last_quarter`` (purchase days in the 91
    days up to ``cutoff``) and ``weekend_share`` (share of purchase days on a Saturday or Sunday)."""
    d = _daily(lines, cutoff)
    lo = ibis.date(cutoff - dt.timedelta(days=365))
    hi = ibis.date(cutoff - dt.timedelta(days=365 - int(horizon_days)))
    recent = ibis.date(cutoff - dt.timedelta(days=91))
    g = d.group_by("customer_id").aggregate(
        last_year_window=d.count(where=(d.day > lo) & (d.day <= hi)),
        last_quarter=d.count(where=d.day > recent),
        _weekend=d.count(where=d.day.day_of_week.index() >= 5),
        _n=d.count(),
    )
    return g.mutate(weekend_share=g._weekend.cast("float64") / g._n).drop("_weekend", "_n").order_by("customer_id")
