"""Headline, scores over time and by group, by hand."""
from __future__ import annotations

import math

import pytest
from scipy import stats

from helpers.models import voice
from tests.fixtures.voice_data import raw_feedback


class TestScores:
    def test_headline(self, fb):
        h = voice.headline(fb)
        assert h["reviews"] == 9 and h["customers"] == 5
        assert h["mean_score"] == pytest.approx(30 / 9)
        assert h["low_share"] == pytest.approx(3 / 9)
        assert h["complaints"] == 3 and voice.complaint_source(fb) == "low_score"

    def test_complaints_from_category_when_present(self):
        df = raw_feedback()
        df.loc[df["feedback_id"] == "f7", "category"] = "Complaint"
        out = voice.check_feedback(df)
        assert voice.complaint_flags(out).tolist() == [False] * 6 + [True, False, False]
        assert voice.complaint_source(out) == "category"
        assert voice.complaint_flags(out, "low_score").sum() == 3

    def test_by_region(self, fb):
        t = voice.score_by(fb, "region", min_reviews=1).set_index("region")
        assert t.loc["north", "reviews"] == 5 and t.loc["north", "mean_score"] == pytest.approx(4.0)
        assert t.loc["south", "mean_score"] == pytest.approx(2.5)
        assert t.loc["north", "low_share"] == pytest.approx(1 / 5) and t.loc["south", "low_share"] == pytest.approx(0.5)
        assert list(t.index) == ["south", "north"]                       # worst first
        # t interval of south's scores 4, 2, 3, 1: sd = sqrt(5/3)
        h = stats.t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2
        assert t.loc["south", "ci_low"] == pytest.approx(2.5 - h)

    def test_small_groups_left_out_and_counted(self, fb):
        t = voice.score_by(fb, "region", min_reviews=5)
        assert t["region"].tolist() == ["north"] and t.attrs["reviews_in_small_groups"] == 4

    def test_over_time(self, fb):
        t = voice.score_over_time(fb, "month").set_index("period")
        assert t["reviews"].tolist() == [3, 3, 1, 1, 1]                    # Jan, Feb, Mar, Apr, Dec
        assert t.loc["2023-01-01", "mean_score"] == pytest.approx(13 / 3)
        assert t.loc["2023-02-01", "n_1"] == 1 and t.loc["2023-02-01", "share_2"] == pytest.approx(1 / 3)
        assert t.loc["2023-02-01", "low_share"] == pytest.approx(2 / 3)
