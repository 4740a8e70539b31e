"""Tests for helpers.io.synth.clock: simulated days become timestamps in shop hours, calendar months
and the acquisition-day distribution."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers.io.synth.clock import day_weights, month_of_day, sample_days, to_ts_us

START = dt.date(2023, 1, 1)
START_US = int(pd.Timestamp(START).value // 1000)


def stamps(t_days) -> list[pd.Timestamp]:
    return [pd.Timestamp(int(us), unit="us") for us in to_ts_us(np.asarray(t_days, dtype=float), START_US)]


def test_the_day_is_kept_and_the_fraction_is_warped_onto_shop_hours():
    got = stamps([0.0, 2.0, 2.9999999])
    assert got[0] == pd.Timestamp("2023-01-01 07:00")           # the start of a day is opening time
    assert got[1] == pd.Timestamp("2023-01-03 07:00")
    assert got[2] == pd.Timestamp("2023-01-03 23:59:59")        # never past the day's last second
    # half a day: hour weights from 07:00 are .3 .6 1 1.2 1.3 1.5 1.4 1.2 ... summing to 16.95; half is
    # 8.475, reached in hour 14 (7.3 before it, weight 1.2): 14 + 1.175 / 1.2 h = 14:58:45
    mid = stamps([1.5])[0]
    assert abs((mid - pd.Timestamp("2023-01-02 14:58:45")).total_seconds()) <= 1


def test_time_order_is_kept():
    t = np.sort(np.random.default_rng(0).uniform(0, 30, 5000))
    us = to_ts_us(t, START_US)
    assert (np.diff(us) >= 0).all()
    assert (us // 86_400_000_000 - START_US // 86_400_000_000 == np.floor(t)).all()


def test_month_of_day_crosses_the_year():
    assert month_of_day(dt.date(2023, 12, 30), 3).tolist() == [11, 11, 0, 0]   # Dec 30, Dec 31, Jan 1, Jan 2
    assert len(month_of_day(START, 365)) == 366


def test_day_weights_rise_over_the_window_and_peak_in_november_december():
    # Oct 30, Oct 31, Nov 1: rise 1 + 0.5 x (0, 0.5, 1), holiday x2 on Nov 1 -> 1, 1.25, 3; cumulated / 5.25
    assert np.allclose(day_weights(dt.date(2023, 10, 30), 3, 2.0), [1 / 5.25, 2.25 / 5.25, 1.0])
    flat = day_weights(dt.date(2023, 1, 1), 2, 5.0)                  # no holiday month in the window
    assert np.allclose(flat, [1 / 2.5, 1.0])


def test_sample_days_follow_the_cumulative_weights():
    rng = np.random.default_rng(3)
    n = 20_000
    t = sample_days(rng, np.array([0.25, 1.0]), n)
    assert ((t >= 0) & (t < 2)).all()
    share = (t < 1).mean()
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    assert 0.4 < (t[t < 1]).mean() < 0.6                            # uniform within the day
