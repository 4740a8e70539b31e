"""Tests for helpers.features.periods: the period table, period numbering, starts, ends and labels."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.features import periods as P
from helpers.io.engine import table


def test_the_period_table():
    """The lengths every module uses: a Julian year of 365.25 days."""
    assert P.PERIODS == ("week", "month", "quarter")
    assert P.PERIOD_UNITS == {"week": "W", "month": "M", "quarter": "Q"}
    assert P.PERIOD_DAYS == {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4}
    assert P.PERIODS_PER_YEAR == {"week": 365.25 / 7, "month": 12.0, "quarter": 4.0}
    assert P.UNIT_DAYS == {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


class TestPeriods:
    @pytest.mark.parametrize("period, day, start", [
        ("month", "2023-03-31", "2023-03-01"), ("quarter", "2023-05-15", "2023-04-01"),
        ("week", "2023-01-01", "2022-12-26"),   # a Sunday belongs to the week of the Monday before
        ("week", "2023-01-02", "2023-01-02"),   # a Monday starts its own week
    ])
    def test_index_and_start(self, duck, period, day, start):
        i = P.index_of(day, period)
        assert P.period_start(i, period) == pd.Timestamp(start)
        assert P.period_end(i, period) == P.period_start(i + 1, period) - pd.Timedelta(days=1)
        t = table(duck, pd.DataFrame({"d": pd.to_datetime([day])}))
        assert int(t.select(i=P.period_index(t.d.date(), period)).execute()["i"].iloc[0]) == i

    def test_consecutive_periods_have_consecutive_indices(self):
        assert P.index_of("2024-01-01", "month") - P.index_of("2023-12-31", "month") == 1
        assert P.index_of("2024-01-01", "quarter") - P.index_of("2023-12-31", "quarter") == 1

    def test_labels(self):
        assert P.period_label(P.index_of("2024-03-09", "month"), "month") == "2024-03"
        assert P.period_label(P.index_of("2024-03-09", "quarter"), "quarter") == "2024-Q1"
        assert P.period_label(P.index_of("2024-03-09", "week"), "week") == "2024-03-04"

    def test_rejects_an_unknown_period(self):
        with pytest.raises(ValueError, match="'year' is not one of week, month, quarter"):
            P.index_of("2024-01-01", "year")
