"""Active lifetimes, segments and Kaplan-Meier by segment against hand computation."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.models import churn


class TestLifetimes:
    def test_by_hand(self, lines):
        life = churn.active_lifetimes(lines, analysis_date=dt.date(2023, 5, 31), lapse_days=30,
                                      has={"country": True, "channel": True}).set_index("customer_id")
        # judged until May 1 (May 31 - 30 days); G (first purchase May 20) is too new
        assert list(life.index) == ["A", "B", "C", "D", "E", "F"]
        # A: Jan 10 -> Feb 9 is 30 days (not a lapse), Feb 9 -> Mar 21 is 40 days: lapses at Feb 9
        assert (life.loc["A", "duration_days"], life.loc["A", "churned"]) == (30, 1)
        assert (life.loc["B", "duration_days"], life.loc["B", "churned"]) == (0, 1)   # one purchase, never back
        assert (life.loc["E", "duration_days"], life.loc["E", "churned"]) == (0, 1)   # Mar 30 -> May 15: 46 days
        # F: Apr 20 and May 10, no lapse observable: censored at May 1 - Apr 20 = 11 days
        assert (life.loc["F", "duration_days"], life.loc["F", "churned"]) == (11, 0)
        assert life.loc["A", "first_value"] == 20.0 and life.loc["B", "country"] == "France"
        assert life.loc["E", "channel"] == "store"

class TestSegmentOf:
    LIFE = pd.DataFrame({"first_value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                         "first_day": pd.to_datetime(["2023-01-05", "2023-07-01", "2023-06-30", "2024-02-01",
                                                      "2024-12-31", "2023-03-03"]),
                         "country": ["UK", "UK", "UK", "FR", "FR", None]})

    def test_first_value_terciles(self):
        assert churn.segment_of(self.LIFE, "first_value").tolist() == [
            "low first order", "low first order", "mid first order", "mid first order", "high first order",
            "high first order"]

    def test_cohort_and_top_countries(self):
        assert churn.segment_of(self.LIFE, "cohort").tolist() == ["2023-H1", "2023-H2", "2023-H1", "2024-H1",
                                                                  "2024-H2", "2023-H1"]
        assert churn.segment_of(self.LIFE, "country", top=2).tolist() == ["UK", "UK", "UK", "FR", "FR", "other"]
        assert churn.segment_of(self.LIFE, "country").tolist()[-1] == "(missing)"
        assert churn.segment_of(self.LIFE, "channel") is None

    def test_unknown(self):
        with pytest.raises(ValueError, match="segment 'age' is unknown"):
            churn.segment_of(self.LIFE, "age")

class TestKmTable:
    def test_kaplan_meier_by_hand(self):
        life = pd.DataFrame({"duration_days": [5, 10, 10, 20, 1, 2], "churned": [1, 1, 0, 1, 1, 1]})
        seg = pd.Series(["a", "a", "a", "a", "b", "b"])
        curves, summary = churn.km_table(life, seg)
        a = curves[curves["segment"] == "a"].set_index("days")["survival"]
        # t=5: 4 at risk, 1 lapses -> 3/4; t=10: 3 at risk (the one censored at 10 counts), 1 lapses -> 3/4 x 2/3
        assert a.loc[5.0] == pytest.approx(0.75) and a.loc[10.0] == pytest.approx(0.5) and a.loc[20.0] == 0
        s = summary.set_index("segment")
        assert s.loc["a", "median_days"] == 10 and s.loc["a", "lapsed"] == 3 and s.loc["b", "customers"] == 2
        assert 0 < summary.attrs["logrank_p"] <= 1
