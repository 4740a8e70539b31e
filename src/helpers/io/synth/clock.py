"""Time in the simulation: continuous days since the window start mapped onto timestamps
(the calendar day kept, the time of day warped onto shop hours), calendar months and the
acquisition-day distribution."""
from __future__ import annotations

import datetime as dt

import numpy as np

from helpers.io.synth.params import ACQ_RISE, DAY_US


# shop hours: relative activity per hour of day (0..23); fractions of a simulated day are
# mapped monotonically onto these hours
_HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 0, 0.3, 0.6, 1.0, 1.2, 1.3, 1.5, 1.4, 1.2, 1.1,
                          1.0, 1.0, 1.1, 1.3, 1.3, 1.0, 0.5, 0.15])

# --------------------------------------------------------------------------------------
# time helpers
# --------------------------------------------------------------------------------------
_HOUR_CDF = np.concatenate([[0.0], np.cumsum(_HOUR_WEIGHTS) / _HOUR_WEIGHTS.sum()])
_first_open = int(np.argmax(_HOUR_WEIGHTS > 0))
_CDF_X = _HOUR_CDF[_first_open:]
_CDF_H = np.arange(_first_open, 25, dtype=float)


def to_ts_us(t_days: np.ndarray, start_us: int) -> np.ndarray:
    """Continuous time (days since start) -> int64 microseconds, keeping the day, warping the hour."""
    day = np.floor(t_days)
    frac = t_days - day
    hours = np.interp(frac, _CDF_X, _CDF_H)
    sec = np.minimum(np.floor(hours * 3600.0), 86_399.0)
    return start_us + day.astype(np.int64) * DAY_US + sec.astype(np.int64) * 1_000_000


def month_of_day(start: dt.date, days: int) -> np.ndarray:
    """Calendar month (0 = January) of each day 0..days of the window."""
    d = np.datetime64(start, "D") + np.arange(days + 1)
    return (d.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def day_weights(start: dt.date, days: int, holiday: float) -> np.ndarray:
    """Cumulative acquisition weights per day: rising over the window (:data:`ACQ_RISE`), x ``holiday`` in Nov-Dec."""
    month = month_of_day(start, days)[:days]
    w = (1.0 + ACQ_RISE * np.arange(days) / max(days - 1, 1)) * np.where(month >= 10, holiday, 1.0)
    c = np.cumsum(w)
    return c / c[-1]


def sample_days(rng, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` continuous times (days) drawn from the cumulative day weights ``cdf``."""
    day = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(day, len(cdf) - 1) + rng.random(n)
