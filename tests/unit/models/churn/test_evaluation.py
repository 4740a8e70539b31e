"""Churn metrics against hand computation: AUCs, calibration, gains, confusion, AUC difference."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.models import churn


class TestEvaluate:
    def test_by_hand(self):
        y, s = [1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1]
        m = churn.evaluate(y, {"model": s, "RFM recency (baseline)": [3, 2, 1, 0]}, probabilities=["model"]).set_index("score")
        assert m.loc["model", "roc_auc"] == pytest.approx(0.75)              # 3 of 4 churner/retained pairs ordered
        assert m.loc["model", "pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
        assert m.loc["model", "brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
        assert m.loc["RFM recency (baseline)", "roc_auc"] == 1.0 and np.isnan(m.loc["RFM recency (baseline)", "brier"])

    def test_one_class_gives_empty_auc(self):
        m = churn.evaluate([1, 1], {"model": [0.2, 0.3]}, probabilities=["model"])
        assert np.isnan(m["roc_auc"].iloc[0]) and m["brier"].iloc[0] == pytest.approx((0.64 + 0.49) / 2)

class TestCalibrationTable:
    def test_by_hand(self):
        t = churn.calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
        assert t["mean_predicted"].tolist() == pytest.approx([0.15, 0.8])
        assert t["observed_rate"].tolist() == [0.0, 1.0] and t["customers"].tolist() == [2, 2]

class TestGainsTable:
    def test_by_hand(self):
        y = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
        g = churn.gains_table(y, list(range(10, 0, -1)), groups=5)
        assert g["churners"].tolist() == [1, 1, 1, 0, 0]
        assert g["gain"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 1, 1])
        assert g["lift"].tolist() == pytest.approx([(1 / 3) / 0.2, (2 / 3) / 0.4, 1 / 0.6, 1 / 0.8, 1.0])
        assert g["group_lift"].tolist() == pytest.approx([0.5 / 0.3, 0.5 / 0.3, 0.5 / 0.3, 0, 0])

    def test_empty(self):
        with pytest.raises(ValueError, match="no customers to rank"):
            churn.gains_table([], [])

class TestConfusionTable:
    def test_by_hand(self):
        t = churn.confusion_table([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], threshold=0.5)
        assert t.to_numpy().tolist() == [[1, 1], [1, 1]]
        assert t.attrs == {"threshold": 0.5, "precision": 0.5, "recall": 0.5, "accuracy": 0.5}
        low = churn.confusion_table([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], threshold=0.3)
        assert low.attrs["recall"] == 1.0 and low.attrs["precision"] == pytest.approx(2 / 3)

class TestAucDifference:
    def test_by_hand(self):
        y = np.array([0, 0, 1, 1, 0, 1])
        good = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7])           # ranks every churner first: AUC 1
        d = churn.auc_difference(y, good, good, n_boot=50)
        assert d["diff"] == 0 and d["low"] == 0 and d["high"] == 0
        d = churn.auc_difference(y, good, 1 - good, n_boot=200)  # reversed: AUC 0
        assert d["auc_a"] == 1 and d["auc_b"] == 0 and d["diff"] == 1 and d["low"] == 1
        with pytest.raises(ValueError, match="churned and retained"):
            churn.auc_difference(np.ones(4), good[:4], good[:4])

    def test_every_resample_is_sklearns_auc_ties_included(self):
        """The weighted O(n) AUC of a resample equals roc_auc_score on the resampled rows (scores rounded to
        make many ties), so the interval is the one the plain loop gave."""
        from sklearn.metrics import roc_auc_score

        from helpers.models.churn.evaluation import _Ranked

        rng = np.random.default_rng(5)
        y = (rng.random(3000) < 0.3).astype(int)
        a = np.round(y * 0.3 + rng.random(3000), 1)
        ranked = _Ranked(y, a)
        for _ in range(20):
            i = rng.integers(0, len(y), len(y))
            w = np.bincount(i, minlength=len(y)).astype(float)
            assert ranked.auc(w) == pytest.approx(roc_auc_score(y[i], a[i]), abs=1e-12)
        b = np.round(rng.random(3000), 2)
        d = churn.auc_difference(y, a, b, n_boot=300, seed=1)
        assert d["low"] < d["diff"] < d["high"] and d["n_boot"] == 300
