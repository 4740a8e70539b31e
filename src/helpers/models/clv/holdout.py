"""Validation of the purchase models: fit on a calibration period, predict the holdout, compare.

:func:`validate` does it all and returns a :class:`Validation`; its parts are the calibration
end (:func:`calibration_end_for`), actual vs predicted repeat purchases over time
(:func:`daily_first_and_repeat`, :func:`tracking_table`) and by calibration frequency
(:func:`holdout_by_frequency`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.features.customers import UNIT_DAYS, calibration_holdout
from helpers.models.clv.fit import fit_purchase_chain
from helpers.models.clv.predict import MONTH_DAYS, draws_matrix, expected_purchases, unit_or_error
from helpers.models.clv.results import ClvInputError, PurchaseFit
from helpers.phrase import Number, Phrase


def calibration_end_for(start: dt.date, end: dt.date, holdout_months: float) -> dt.date:
    """Last day of the calibration period: ``holdout_months`` (of 365.25 / 12 days) before ``end``.

    Raises ClvInputError when the holdout is not positive or leaves less than 8 weeks of
    calibration; its ``phrase`` says why in the report's language.
    """
    if holdout_months <= 0:
        raise ClvInputError(f"holdout_months = {holdout_months!r}: validation needs a holdout of at least one month",
                            phrase=Phrase("clv_note_no_holdout", months=holdout_months))
    cal_end = end - dt.timedelta(days=int(round(holdout_months * MONTH_DAYS)))
    days = (cal_end - start).days
    if days < 56:
        months = Number(holdout_months, 0 if float(holdout_months).is_integer() else 1)
        raise ClvInputError(f"a {holdout_months:g}-month holdout leaves {days} days of calibration "
                            f"in the window {start} .. {end}; at least 8 weeks are needed (shorten the holdout)",
                            phrase=Phrase("clv_note_short_calibration", months=months, days=days, start=start, end=end))
    return cal_end


def daily_first_and_repeat(lines, *, calibration_end: dt.date, observation_end: dt.date):
    """Per day: first purchases and repeat purchase days of the calibration cohort (Ibis).

    The cohort is the customers whose first purchase day is on or before ``calibration_end``;
    purchases are counted on distinct days as in :func:`helpers.features.customers.btyd_summary`.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id (null = guest, left out), invoice_ts.

    Returns
    -------
    ibis.Table
        ``day``, ``n_first`` (customers whose first purchase day it is), ``n_repeat``
        (customers with a repeat purchase that day), ordered by day, up to ``observation_end``.
    """
    t = lines.filter(lines.customer_id.notnull())
    t = t.mutate(day=t.invoice_ts.date())
    t = t.filter(t.day <= ibis.date(observation_end))
    d = t.select("customer_id", "day").distinct()
    d = d.mutate(first_day=d.day.min().over(ibis.window(group_by=d.customer_id)))
    d = d.filter(d.first_day <= ibis.date(calibration_end))
    return d.group_by("day").aggregate(n_first=d.count(where=d.day == d.first_day),
                                       n_repeat=d.count(where=d.day > d.first_day)).order_by("day")


def tracking_table(fit: PurchaseFit, daily: pd.DataFrame, *, calibration_end: dt.date,
                   observation_end: dt.date, step_days: int = 7, time_unit: str | None = None) -> pd.DataFrame:
    """Actual vs predicted repeat purchases of the calibration cohort over time.

    Predicted cumulative repeat purchases by day t: ``sum_d n_first(d) * E[X(t - d)]`` over
    first-purchase days d <= t, where ``E[X(s)]`` is the model's expected number of repeat
    purchases of a new customer in the s time units after the first purchase
    (pymc-marketing ``expected_purchases_new_customer``), and t - d counts whole days as T does.

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_first_and_repeat` executed: day, n_first, n_repeat.

    Returns
    -------
    DataFrame
        One row per period of ``step_days`` (the last one may be shorter): ``period_end``
        (date), ``actual`` / ``predicted`` repeat purchases in the period, ``actual_cum`` /
        ``predicted_cum`` since the start, ``holdout`` (True after ``calibration_end``).
    """
    unit = unit_or_error(fit, time_unit)
    if daily.empty:
        raise ClvInputError("tracking: no purchases by customers acquired in the calibration period")
    day = pd.to_datetime(daily["day"]).dt.normalize()
    first_days = day.min()
    ends = pd.date_range(first_days + pd.Timedelta(days=step_days - 1), pd.Timestamp(observation_end),
                         freq=f"{step_days}D")
    if len(ends) == 0 or ends[-1] < pd.Timestamp(observation_end):
        ends = ends.append(pd.DatetimeIndex([pd.Timestamp(observation_end)]))
    cohort = daily.loc[daily["n_first"] > 0]
    cdays = pd.to_datetime(cohort["day"]).dt.normalize().to_numpy()
    n_first = cohort["n_first"].to_numpy(dtype="float64")
    lag = (ends.to_numpy()[:, None] - cdays[None, :]) / np.timedelta64(1, "D")
    max_lag = int(max(lag.max(), 0))
    lags = np.arange(0, max_lag + 1, dtype="float64")
    frame = pd.DataFrame({"customer_id": np.arange(len(lags)), "t": lags / UNIT_DAYS[unit]})
    e_new = np.zeros(len(lags))
    pos = lags > 0
    if pos.any():
        x = fit.estimator.expected_purchases_new_customer(frame[pos].reset_index(drop=True))
        e_new[pos] = draws_matrix(x, int(pos.sum())).mean(axis=0)
    idx = np.clip(lag, 0, None).astype("int64")
    contrib = np.where(lag >= 0, e_new[idx], 0.0) * n_first[None, :]
    pred_cum = contrib.sum(axis=1)
    rep = pd.Series(daily["n_repeat"].to_numpy(dtype="float64"), index=day).groupby(level=0).sum()
    act_cum = np.array([rep[rep.index <= e].sum() for e in ends])
    out = pd.DataFrame({"period_end": ends.date, "actual_cum": act_cum, "predicted_cum": pred_cum})
    out["actual"] = np.diff(np.concatenate([[0.0], act_cum]))
    out["predicted"] = np.diff(np.concatenate([[0.0], pred_cum]))
    out["holdout"] = ends > pd.Timestamp(calibration_end)
    out.attrs.update({"calibration_end": calibration_end, "step_days": step_days})
    return out[["period_end", "actual", "predicted", "actual_cum", "predicted_cum", "holdout"]]


def holdout_by_frequency(fit: PurchaseFit, calhold: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by number of calibration repeat purchases.

    Parameters
    ----------
    calhold : DataFrame
        :func:`helpers.features.customers.calibration_holdout` executed (frequency, recency, T of the
        calibration period; frequency_holdout, duration_holdout).

    Returns
    -------
    DataFrame
        ``frequency`` (calibration repeat purchases; the last group is "max_frequency+"),
        ``customers``, ``actual`` and ``predicted`` mean purchases in the holdout (count per
        customer), over the customers the fit can predict.
    """
    pred = expected_purchases(fit, calhold, calhold["duration_holdout"].to_numpy(dtype="float64"))
    known = pred.notna().to_numpy()          # empirical rates cannot predict a customer with T = 0
    calhold = calhold[known]
    f = calhold["frequency"].to_numpy(dtype="int64")
    capped = np.minimum(f, max_frequency)
    t = pd.DataFrame({"group": capped, "actual": calhold["frequency_holdout"].to_numpy(dtype="float64"),
                      "predicted": pred.to_numpy()[known]})
    g = t.groupby("group").agg(customers=("actual", "size"), actual=("actual", "mean"),
                               predicted=("predicted", "mean")).reset_index()
    g["frequency"] = [f"{v}+" if v == max_frequency and (f > max_frequency).any() else str(v) for v in g["group"]]
    return g[["frequency", "customers", "actual", "predicted"]]


@dataclass
class Validation:
    """Outcome of :func:`validate`: each table is None when it could not be computed; ``notes`` say why."""

    calibration_end: dt.date | None
    holdout_days: int
    fit: PurchaseFit | None
    calhold: pd.DataFrame | None
    by_frequency: pd.DataFrame | None
    tracking: pd.DataFrame | None
    totals: dict | None
    notes: list[Phrase]                 # sentences for the page (helpers.i18n.say)
    #: calibration customers the fit's step cannot predict (empirical rates with T = 0), left out of ``totals``
    unknown: int = 0


def validate(lines, *, start: dt.date, end: dt.date, holdout_months: float, time_unit: str,
             model: str = "bgnbd", method: str = "map", random_seed: int = 42, max_frequency: int = 7,
             **kwargs) -> Validation:
    """Fit on a calibration period, predict the holdout, and compare with what happened.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines.
    start, end : date
        Analysis window; the holdout is the last ``holdout_months`` of it.

    Returns
    -------
    Validation
        ``fit``: the calibration fit from the recovery chain (:func:`fit_purchase_chain`;
        ``fit.source`` says which step and why). ``totals``: actual and predicted holdout
        purchases of the calibration customers with a prediction (customers: how many;
        ``unknown``: how many the step cannot predict) and the relative error
        (predicted / actual - 1). Degenerate cases (holdout too
        long, no purchase in the holdout) give ``None`` tables and a note; they do not raise.
    """
    notes: list[Phrase] = []
    try:
        cal_end = calibration_end_for(start, end, holdout_months)
    except ClvInputError as exc:
        why = exc.phrase or str(exc)
        return Validation(None, 0, None, None, None, None, None, [Phrase("clv_note_validation_skipped", why=why)])
    hold_days = (end - cal_end).days
    calhold = calibration_holdout(lines, calibration_end=cal_end, observation_end=end,
                                  time_unit=time_unit).execute()
    by_freq = track = totals = None
    fit = fit_purchase_chain(calhold, model=model, method=method, random_seed=random_seed, time_unit=time_unit,
                             **kwargs)
    unknown = 0
    actual_total = float(calhold["frequency_holdout"].sum()) if len(calhold) else 0.0
    if len(calhold) and actual_total == 0:
        notes.append(Phrase("clv_note_no_holdout_purchase", start=cal_end + dt.timedelta(days=1), end=end,
                            n=len(calhold)))
    if len(calhold):
        by_freq = holdout_by_frequency(fit, calhold, max_frequency=max_frequency)
        pred = expected_purchases(fit, calhold, calhold["duration_holdout"].to_numpy(dtype="float64"))
        unknown = int(pred.isna().sum())
        known = pred.notna().to_numpy()
        actual_known = float(calhold["frequency_holdout"].to_numpy(dtype="float64")[known].sum())
        predicted_total = float(pred[known].sum())
        totals = {"customers": int(known.sum()), "actual": actual_known, "predicted": predicted_total,
                  "relative_error": (predicted_total / actual_known - 1) if actual_known else np.nan}
        daily = daily_first_and_repeat(lines, calibration_end=cal_end, observation_end=end).execute()
        if not daily.empty:
            track = tracking_table(fit, daily, calibration_end=cal_end, observation_end=end, time_unit=time_unit)
    return Validation(cal_end, hold_days, fit, calhold, by_freq, track, totals, notes, unknown)
