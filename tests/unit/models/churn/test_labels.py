"""Churn cut-offs and labels against hand computation."""
from __future__ import annotations

import datetime as dt

import pytest

from helpers.models import churn
from tests.fixtures.churn_data import CUT


class TestCutoffs:
    def test_defaults_step_back_one_horizon_each(self):
        assert churn.cutoffs(dt.date(2024, 12, 30), horizon_days=90) == (dt.date(2024, 7, 3), dt.date(2024, 10, 1))

    def test_given_cutoffs_are_kept(self):
        assert churn.cutoffs("2024-12-30", horizon_days=30, train_cutoff="2024-01-31",
                             test_cutoff="2024-06-30") == (dt.date(2024, 1, 31), dt.date(2024, 6, 30))

    def test_errors(self):
        with pytest.raises(ValueError, match="at least 1 day"):
            churn.cutoffs(dt.date(2024, 12, 30), horizon_days=0)
        with pytest.raises(ValueError, match=r"test cut-off 2024-12-01 \+ 90 days runs past the analysis date"):
            churn.cutoffs(dt.date(2024, 12, 30), horizon_days=90, test_cutoff="2024-12-01")
        with pytest.raises(ValueError, match="must be before the test cut-off"):
            churn.cutoffs(dt.date(2024, 12, 30), horizon_days=90, train_cutoff="2024-10-01")
        with pytest.raises(ValueError, match="not after the first day of data 2024-08-01"):
            churn.cutoffs(dt.date(2024, 12, 30), horizon_days=90, data_start=dt.date(2024, 8, 1))

class TestChurnLabels:
    def test_by_hand(self, lines):
        lab = churn.churn_labels(lines, cutoff=CUT, horizon_days=30).set_index("customer_id")
        assert list(lab.index) == ["A", "B", "D", "E"]           # seen by the cut-off; C, F, G later; no guest
        assert lab["purchase_days_after"].to_dict() == {"A": 1, "B": 0, "D": 0, "E": 0}
        assert lab["churned"].to_dict() == {"A": 0, "B": 1, "D": 1, "E": 1}   # E's May purchase is after the window

    def test_window_end_is_inclusive(self, lines):
        # A's purchase on Apr 10 is the 10th day after the cut-off
        assert churn.churn_labels(lines, cutoff=CUT, horizon_days=10).set_index("customer_id").loc["A", "churned"] == 0
        assert churn.churn_labels(lines, cutoff=CUT, horizon_days=9).set_index("customer_id").loc["A", "churned"] == 1
