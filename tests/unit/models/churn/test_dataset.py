"""The churn data set: feature units, common features, added features."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from helpers.models import churn
from tests.fixtures.churn_data import toy_dataset


class TestFeatureUnit:
    def test_units(self):
        assert [churn.feature_unit(f, "GBP") for f in ("recency_days", "monetary", "purchase_days", "cat_toys",
                                                        "p_alive", "overdue_ratio", "spend_trend")] == [
            "days", "GBP", "count", "share 0..1", "probability 0..1", "ratio", "-1 .. 1"]

class TestCommonFeatures:
    """P(alive) can be known at one cut-off and unknown at another (the chain ended in a model without
    dropout there); a model must never meet a set that lacks one of its features (sklearn's "columns are
    missing: {'p_alive'}") nor score customers whose value of it is unknown."""

    @staticmethod
    def pair():
        train = toy_dataset(n=300, seed=1)
        train.frame["p_alive"] = np.linspace(0.1, 0.9, 300)
        train = replace(train, numeric=[*train.numeric, "p_alive"])
        test = toy_dataset(n=300, seed=2)
        test.frame["p_alive"] = np.nan                      # unknown at the test cut-off: not a feature there
        return train, test

    def test_a_model_with_a_feature_the_set_lacks_is_a_named_error(self):
        train, test = self.pair()
        models = churn.fit_models(train, kinds=("logit",))
        with pytest.raises(ValueError, match=r"fitted on \['p_alive'\], which this data set does not have.*common_features"):
            churn.model_scores(models, test)

    def test_common_features_drop_what_one_set_lacks(self):
        train, test = self.pair()
        (tr, te, none), dropped = churn.common_features(train, test, None)
        assert dropped == ["p_alive"] and none is None
        assert tr.features == te.features == ["recency_days", "frequency", "noise", "country"]
        scores = churn.model_scores(churn.fit_models(tr, kinds=("logit",)), te)
        assert np.isfinite(scores["logistic regression"]).all()
        assert "p_alive" in train.numeric                    # the inputs are not changed

class TestAddFeatures:
    @staticmethod
    def ds():
        frame = pd.DataFrame({"customer_id": pd.array(["a", "b", "c"], dtype="string"), "recency_days": [1.0, 5.0, 9.0],
                              "churned": [0, 1, 1]})
        return churn.ChurnDataset(dt.date(2024, 1, 1), 90, frame, churn.FeatureSpec(), ["recency_days"], [])

    def test_fill_and_order(self):
        extra = pd.DataFrame({"customer_id": ["c", "a"], "complaints_before": [2, 0], "score": [1.5, 4.0]})
        out = churn.add_features(self.ds(), extra, fill={"complaints_before": 0})
        assert out.numeric == ["recency_days", "complaints_before", "score"]
        assert out.frame["complaints_before"].tolist() == [0.0, 0.0, 2.0]          # b has none: filled
        assert out.frame["score"].isna().tolist() == [False, True, False]          # no fill: imputed later
        assert out.y.tolist() == [0, 1, 1]

    def test_errors(self):
        with pytest.raises(ValueError, match="one row per customer_id"):
            churn.add_features(self.ds(), pd.DataFrame({"customer_id": ["a", "a"], "x": [1, 2]}))
        with pytest.raises(ValueError, match="already in the data set"):
            churn.add_features(self.ds(), pd.DataFrame({"customer_id": ["a"], "recency_days": [1]}))


def test_sample_customers_keeps_small_sets_and_samples_large_ones_the_same_way_each_time():
    ds = toy_dataset()
    n = len(ds.frame)
    assert churn.sample_customers(ds, n) is ds and churn.sample_customers(ds, None) is ds
    a, b = churn.sample_customers(ds, n // 2, random_state=3), churn.sample_customers(ds, n // 2, random_state=3)
    assert len(a.frame) == n // 2 and a.frame["customer_id"].tolist() == b.frame["customer_id"].tolist()
    kept = ds.frame["customer_id"].tolist()
    positions = [kept.index(c) for c in a.frame["customer_id"]]
    assert positions == sorted(positions) and len(set(positions)) == n // 2      # original order, no repeats
    assert a.features == ds.features and a.cutoff == ds.cutoff
