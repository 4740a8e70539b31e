"""Tests for helpers.models.clv.holdout: tracking and holdout tables by hand with a stub model, and the
validation helpers that read lines (engine)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.io import engine
from helpers.models import clv
from tests.fixtures import make_lines
from tests.unit.models.clv.stubs import TEN, stub_purchase


class TestTrackingTable:
    def test_by_hand(self):
        # unit D and stub E[X(t)] = t: each customer makes one repeat purchase a day after the first
        daily = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-08"]),
                              "n_first": [2, 1, 0], "n_repeat": [0, 1, 2]})
        t = clv.tracking_table(stub_purchase("D"), daily, calibration_end=dt.date(2024, 1, 5),
                               observation_end=dt.date(2024, 1, 10))
        assert list(t["period_end"]) == [dt.date(2024, 1, 7), dt.date(2024, 1, 10)]
        # by Jan 7: 2 customers x 6 days + 1 customer x 4 days = 16; by Jan 10: 2 x 9 + 1 x 7 = 25
        assert list(t["predicted_cum"]) == pytest.approx([16.0, 25.0])
        assert list(t["predicted"]) == pytest.approx([16.0, 9.0])
        assert list(t["actual_cum"]) == [1.0, 3.0] and list(t["actual"]) == [1.0, 2.0]
        assert list(t["holdout"]) == [True, True]

    def test_empty(self):
        with pytest.raises(clv.ClvInputError, match="no purchases by customers acquired"):
            clv.tracking_table(stub_purchase("D"), pd.DataFrame(columns=["day", "n_first", "n_repeat"]),
                               calibration_end=dt.date(2024, 1, 5), observation_end=dt.date(2024, 1, 10))


class TestHoldoutByFrequency:
    def test_by_hand(self):
        calhold = TEN.assign(frequency_holdout=[0, 1, 0, 2, 1, 3, 4, 0, 2, 1], duration_holdout=10.0)
        t = clv.holdout_by_frequency(stub_purchase(), calhold, max_frequency=3)
        # groups 0 (A B C), 1 (D H), 2 (E J), 3+ (F G I); stub prediction 0.1 (x+1) 10 = x + 1
        assert list(t["frequency"]) == ["0", "1", "2", "3+"]
        assert list(t["customers"]) == [3, 2, 2, 3]
        assert list(t["actual"]) == pytest.approx([1 / 3, 1.0, 1.0, 3.0])
        assert list(t["predicted"]) == pytest.approx([1.0, 2.0, 3.0, (4 + 6 + 5) / 3])


#: customers K (first purchase Jan 2, repeats Jan 2 again, Jan 9, Feb 1) and L (Jan 9, Jan 20);
#: M first buys after the calibration end (Jan 25) and is not in the cohort; a guest line is ignored
LINES = [
    (0, "1", "2024-01-02 10:00", "K", "P1", 1, 10.0),
    (1, "2", "2024-01-02 15:00", "K", "P2", 1, 5.0),     # same day: one purchase day
    (2, "3", "2024-01-09 10:00", "K", "P1", 1, 10.0),
    (3, "4", "2024-01-09 11:00", "L", "P1", 2, 10.0),
    (4, "5", "2024-01-20 10:00", "L", "P1", 1, 10.0),
    (5, "6", "2024-01-25 10:00", "M", "P1", 1, 10.0),
    (6, "7", "2024-02-01 10:00", "K", "P1", 1, 10.0),
    (7, "8", "2024-02-03 10:00", None, "P1", 1, 10.0),
    (8, "9", "2024-02-10 10:00", "K", "P1", 1, 10.0),   # after the observation end
]


class TestDailyFirstAndRepeat:
    def test_by_hand(self, duck):
        t = engine.table(duck, make_lines(LINES))
        d = clv.daily_first_and_repeat(t, calibration_end=dt.date(2024, 1, 15),
                                       observation_end=dt.date(2024, 2, 5)).execute()
        got = {pd.Timestamp(r.day).date(): (r.n_first, r.n_repeat) for r in d.itertuples()}
        assert got == {dt.date(2024, 1, 2): (1, 0), dt.date(2024, 1, 9): (1, 1),
                       dt.date(2024, 1, 20): (0, 1), dt.date(2024, 2, 1): (0, 1)}


class TestCalibrationEndFor:
    def test_by_hand(self):
        # 6 months = round(6 * 30.4375) = 183 days before the end
        assert clv.calibration_end_for(dt.date(2023, 1, 1), dt.date(2024, 12, 31), 6) == dt.date(2024, 7, 1)

    def test_errors(self):
        with pytest.raises(clv.ClvInputError, match="at least one month"):
            clv.calibration_end_for(dt.date(2023, 1, 1), dt.date(2024, 1, 1), 0)
        with pytest.raises(clv.ClvInputError, match="leaves 30 days of calibration"):
            clv.calibration_end_for(dt.date(2024, 1, 1), dt.date(2024, 4, 1), 2)


class TestValidate:
    def test_holdout_too_long_is_a_note(self, duck):
        v = clv.validate(engine.table(duck, make_lines(LINES)), start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 5),
                         holdout_months=1, time_unit="W")
        assert v.fit is None and v.tracking is None
        # a sentence for the page in its language, not an English string: the window leaves 5 days of calibration
        english, turkish = i18n.say(v.notes[0], "en"), i18n.say(v.notes[0], "tr")
        assert english.startswith("Validation skipped: a 1-month holdout leaves 5 days of calibration")
        assert "5" in turkish and turkish != english and not turkish.startswith("Validation")

    def test_too_few_repeaters_and_empty_holdout_are_notes(self, duck):
        # nobody buys after Mar 1 (the calibration end): the holdout is empty
        v = clv.validate(engine.table(duck, make_lines(LINES)), start=dt.date(2023, 10, 1), end=dt.date(2024, 3, 31),
                         holdout_months=1, time_unit="W")
        assert v.calibration_end == dt.date(2024, 3, 1) and v.fit.step == "empirical_rate"
        assert "only 2 of 3 bought on more than one day" in i18n.say(v.fit.phrase, "en") and v.unknown == 0
        assert any("has no purchase by the 3 calibration customers" in i18n.say(n, "en") for n in v.notes)
        assert v.totals["actual"] == 0 and np.isnan(v.totals["relative_error"])
