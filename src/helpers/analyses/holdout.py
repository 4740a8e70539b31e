"""Holdout accuracy: the purchase and spend forecasts beside what customers did in a holdout.

The holdout accuracy (:func:`holdout_accuracy`) works on any data: per-customer MAE, RMSE and
bias of the predicted against the actual holdout purchases and spend, overall and by
calibration frequency, beside two naive forecasts (the customer's past rate, and zero).

Formulas (per customer i, holdout of length h time units; ``e_i = predicted_i - actual_i``):

* MAE = mean |e_i|, RMSE = sqrt(mean e_i²), bias = mean e_i (positive: over-forecast).
* past-rate forecast of purchases = x_i / T_i · h (x = repeat purchases in calibration, T =
  time since the first purchase); of spend = that × the customer's mean repeat spend.
* zero forecast = 0 (the "nobody comes back" benchmark).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pandas as pd

from helpers import i18n
from helpers.analyses.checks import Check, failed_check, fmt_value
from helpers.errors import DataError
from helpers.i18n import _, fmt_spec
from helpers.phrase import Phrase

#: calibration-frequency buckets of the holdout accuracy: (label, lowest, highest) repeat purchases
FREQUENCY_BUCKETS = (("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6+", 6, math.inf))
#: forecasts compared in :func:`holdout_accuracy`
FORECASTS = ("model", "past rate", "zero")


def frequency_bucket(frequency) -> pd.Categorical:
    """Calibration repeat purchases into the buckets 0, 1, 2, 3-5, 6+ (:data:`FREQUENCY_BUCKETS`)."""
    f = np.asarray(frequency, dtype="float64")
    labels = [b[0] for b in FREQUENCY_BUCKETS]
    out = np.full(f.shape, None, dtype=object)
    for label, lo, hi in FREQUENCY_BUCKETS:
        out[(f >= lo) & (f <= hi)] = label
    return pd.Categorical(out, categories=labels, ordered=True)


def holdout_forecasts(calhold: pd.DataFrame, predicted_purchases, predicted_spend_per_purchase=None) -> pd.DataFrame:
    """Per customer: actual holdout purchases and spend beside the model's and two naive forecasts.

    Parameters
    ----------
    calhold : DataFrame
        :func:`helpers.features.customers.calibration_holdout` executed: customer_id, frequency, recency,
        T, monetary_value (calibration), frequency_holdout, monetary_value_holdout (mean value of
        the holdout purchase days, currency), duration_holdout (time units).
    predicted_purchases : array-like
        The model's expected purchases in the holdout, one per row of ``calhold``.
    predicted_spend_per_purchase : array-like, optional
        The model's expected value per purchase (Gamma-Gamma), one per row; without it spend
        is not forecast.

    Returns
    -------
    DataFrame
        customer_id, frequency, bucket, actual_purchases, actual_spend, and for each forecast
        f in {model, past rate, zero}: ``purchases_<f>``, ``spend_<f>`` (NaN when unknown).
    """
    need = ["customer_id", "frequency", "T", "monetary_value", "frequency_holdout", "monetary_value_holdout",
            "duration_holdout"]
    missing = [c for c in need if c not in calhold.columns]
    if missing:
        raise DataError("calibration/holdout table", "missing-column",
                        f"{len(missing)} column(s) missing ({', '.join(missing)}); build it with "
                        "helpers.features.customers.calibration_holdout", column=missing[0])
    pred = np.asarray(predicted_purchases, dtype="float64")
    if pred.shape != (len(calhold),):
        raise DataError("holdout forecasts", "length", f"{pred.size} predicted values for {len(calhold)} customers",
                        column="predicted_purchases")
    bad = int((~np.isfinite(pred) | (pred < 0)).sum())
    if bad:
        raise DataError("holdout forecasts", "non-negative", f"{bad} predicted purchase counts are negative or not finite",
                        column="predicted_purchases")
    x = calhold["frequency"].to_numpy(dtype="float64")
    T = calhold["T"].to_numpy(dtype="float64")
    h = calhold["duration_holdout"].to_numpy(dtype="float64")
    if (T < 0).any() or ((T == 0) & (x > 0)).any():
        raise DataError("calibration/holdout table", "T-range",
                        f"{int(((T < 0) | ((T == 0) & (x > 0))).sum())} customers have T < 0, or repeat purchases "
                        "with T = 0; T is the time since the first purchase", column="T")
    # a customer first seen on the calibration's last day (T = 0) has no past rate yet: 0
    past = np.divide(x, T, out=np.zeros_like(x), where=T > 0) * h
    own = calhold["monetary_value"].to_numpy(dtype="float64")
    out = pd.DataFrame({"customer_id": calhold["customer_id"].to_numpy(), "frequency": x,
                        "bucket": frequency_bucket(x),
                        "actual_purchases": calhold["frequency_holdout"].to_numpy(dtype="float64")})
    out["actual_spend"] = out["actual_purchases"] * calhold["monetary_value_holdout"].to_numpy(dtype="float64")
    out["purchases_model"] = pred
    out["purchases_past rate"] = past
    out["purchases_zero"] = 0.0
    if predicted_spend_per_purchase is not None:
        sp = np.asarray(predicted_spend_per_purchase, dtype="float64")
        if sp.shape != pred.shape:
            raise DataError("holdout forecasts", "length", f"{sp.size} spend values for {len(calhold)} customers",
                            column="predicted_spend_per_purchase")
        out["spend_model"] = pred * sp
    else:
        out["spend_model"] = np.nan
    out["spend_past rate"] = past * np.where(x > 0, own, 0.0)
    out["spend_zero"] = 0.0
    return out


def _errors(pred: np.ndarray, actual: np.ndarray) -> dict:
    e = pred - actual
    return {"mae": float(np.mean(np.abs(e))), "rmse": float(np.sqrt(np.mean(e ** 2))), "bias": float(np.mean(e))}


def holdout_accuracy(forecasts: pd.DataFrame) -> pd.DataFrame:
    """MAE, RMSE and bias per customer of each forecast, overall and by calibration frequency.

    Parameters
    ----------
    forecasts : DataFrame
        :func:`holdout_forecasts`.

    Returns
    -------
    DataFrame
        One row per target (purchases: count per customer; spend: currency per customer),
        bucket ("all", "0", "1", "2", "3-5", "6+"; empty buckets left out) and forecast
        (model, past rate, zero): ``customers``, ``actual`` (mean), ``predicted`` (mean),
        ``mae``, ``rmse``, ``bias`` (mean predicted − actual). Spend rows of the model are
        left out when spend was not forecast.
    """
    rows = []
    groups = [("all", forecasts)] + [(str(b), g) for b, g in forecasts.groupby("bucket", observed=True)]
    for target in ("purchases", "spend"):
        actual_col = f"actual_{target}"
        for bucket, g in groups:
            if g.empty:
                continue
            actual = g[actual_col].to_numpy(dtype="float64")
            for f in FORECASTS:
                pred = g[f"{target}_{f}"].to_numpy(dtype="float64")
                if np.isnan(pred).all():
                    continue
                rows.append({"target": target, "bucket": bucket, "forecast": f, "customers": len(g),
                             "actual": float(actual.mean()), "predicted": float(pred.mean()), **_errors(pred, actual)})
    return pd.DataFrame(rows, columns=["target", "bucket", "forecast", "customers", "actual", "predicted", "mae",
                                       "rmse", "bias"])


def holdout_checks(accuracy: pd.DataFrame, *, max_relative_error: float = 0.15) -> list[Check]:
    """Does the model earn its keep: total holdout purchases, and RMSE against both naive forecasts."""
    out = []
    area = "holdout"
    a = accuracy[(accuracy["bucket"] == "all")].set_index(["target", "forecast"])
    if ("purchases", "model") not in a.index:
        return [failed_check(area, i18n._("holdout purchases"), i18n._("actual"),
                             i18n._("model forecast"), i18n._("no model forecast"))]
    m = a.loc[("purchases", "model")]
    n = m["customers"]
    actual_total, pred_total = m["actual"] * n, m["predicted"] * n
    rel = pred_total / actual_total - 1 if actual_total else math.nan
    # Poisson sampling error of the actual total, as a share of it
    noise = 3 / math.sqrt(actual_total) if actual_total else math.inf
    tol = max_relative_error + noise
    out.append(Check(area, i18n._("total purchases in the holdout: predicted vs actual (relative error)"), actual_total, pred_total,
                     i18n._("|predicted / actual − 1| ≤ {tol} (error {rel})", tol=fmt_spec(tol, ".1%"), rel=fmt_spec(rel, "+.1%")),
                     i18n._("{max_rel} for fitting one BG/NBD to a mixture of customer types, plus 3 Poisson standard errors of the actual count ({noise})", max_rel=fmt_spec(max_relative_error, ".0%"), noise=fmt_spec(noise, ".1%")),
                     bool(abs(rel) <= tol)))
    for target in ("purchases", "spend"):
        if (target, "model") not in a.index:
            continue
        rmse = a.loc[(target, "model"), "rmse"]
        for naive in ("past rate", "zero"):
            other = a.loc[(target, naive), "rmse"]
            out.append(Check(area, i18n._("{target}: model RMSE below the {naive} forecast's", target=i18n.label(target, "val_target_"),
                                          naive=i18n.label(naive, "val_naive_")), f"< {fmt_value(other)}", rmse,
                             i18n._("strictly lower RMSE per customer"), i18n._("otherwise a naive rule forecasts as well and the model does not earn its keep; RMSE, not MAE, is the fair yardstick for a forecast of expected values (MAE rewards forecasting the median, which is 0 for most customers)"), bool(rmse < other)))
    return out


def holdout_validation(lines, *, start: dt.date, end: dt.date, holdout_months: float, time_unit: str,
                       model: str = "bgnbd", val=None) -> tuple:
    """Notebook 04's calibration/holdout split, then per-customer accuracy beside the naive forecasts.

    Fits the purchase model (MAP) with :func:`helpers.models.clv.validate` and the spend model
    on the calibration period, both through the CLV module's recovery chains, and predicts each
    customer's holdout purchases and spend. Customers the step used cannot predict (empirical
    rates with no time observed) are left out of the comparison; ``Validation.notes`` say how
    many, and which step was used when it is not the first.

    ``val``: the run's shared calibration/holdout fit (``helpers.fitted.clv_holdout``, notebook 04's);
    when given, the purchase model is not fitted again.

    Returns
    -------
    (Validation, forecasts, accuracy, checks)
        ``forecasts`` (:func:`holdout_forecasts`), ``accuracy`` (:func:`holdout_accuracy`) and
        ``checks`` are None / empty when there is nothing to compare (no calibration customer, none with a
        prediction, or no purchase in the holdout; ``Validation.notes`` say why).
    """
    from helpers.models import clv

    if val is None:
        val = clv.validate(lines, start=start, end=end, holdout_months=holdout_months, time_unit=time_unit,
                           model=model, method="map")
    if val.fit is None or val.calhold is None or val.calhold.empty:
        return val, None, None, []
    if not (val.calhold["frequency_holdout"] > 0).any():
        # nobody bought in the holdout (validate's note says accuracy cannot be judged): every error would be the
        # forecast itself, a model forecasting nothing would show an RMSE of 0, and no forecast could beat "zero"
        return val, None, None, []
    ch = val.calhold
    pred = clv.expected_purchases(val.fit, ch, ch["duration_holdout"].to_numpy(dtype="float64"))
    known = pred.notna().to_numpy()          # the empirical-rate step has no rate for T = 0 (validate notes it)
    if not known.any():
        return val, None, None, []
    ch, pred = ch[known].reset_index(drop=True), pred[known]
    sp = clv.fit_spend_chain(ch)
    notes = [Phrase("clv_note_calibration_spend", source=sp.source.phrase)] if sp.attempts else []
    spend = clv.expected_spend(sp, ch).to_numpy()
    if not np.isfinite(spend).all():
        notes.append(Phrase("clv_note_calibration_no_spend", exc=sp.source.phrase))
        spend = None
    val = replace(val, notes=[*val.notes, *notes])   # the caller's (often stored) validation stays as it was
    forecasts = holdout_forecasts(ch, pred.to_numpy(), spend)
    accuracy = holdout_accuracy(forecasts)
    return val, forecasts, accuracy, holdout_checks(accuracy)
