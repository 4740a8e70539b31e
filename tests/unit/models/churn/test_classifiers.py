"""Churn classifiers: they learn a planted signal, explanations, scoring."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers.models import churn
from helpers.phrase import Phrase
from tests.fixtures.churn_data import toy_dataset


class TestModels:
    @pytest.fixture(scope="class")
    def fitted(self):
        return churn.fit_models(toy_dataset(seed=0)), toy_dataset(seed=1)

    def test_both_models_learn_the_planted_signal(self, fitted):
        models, test = fitted
        m = churn.evaluate(test.y, churn.model_scores(models, test)).set_index("score")
        # the Bayes-optimal score is recency itself; its AUC on this test set bounds what a model can reach
        best = churn.evaluate(test.y, {"truth": test.frame["recency_days"]})["roc_auc"].iloc[0]
        assert (m["roc_auc"] > best - 0.02).all()
        assert (m["brier"] < test.y.mean() * (1 - test.y.mean())).all()     # better than predicting the rate

    def test_recency_is_the_top_driver_and_raises_risk(self, fitted):
        models, test = fitted
        imp = churn.importance_table(models["gbm"], test, n_repeats=3)
        assert imp["feature"].iloc[0] == "recency_days" and imp["importance"].iloc[0] > 0.1
        pdt = churn.partial_dependence_table(models["logit"], test, ["recency_days", "country"], grid=5)
        assert list(pdt["feature"].unique()) == ["recency_days"]           # categorical features are skipped
        assert pdt["churn_probability"].is_monotonic_increasing and len(pdt) == 5

    def test_explanations_on_a_sample_agree_with_the_full_data(self, fitted):
        models, test = fitted
        full = churn.importance_table(models["gbm"], test, n_repeats=3, max_rows=None)
        part = churn.importance_table(models["gbm"], test, n_repeats=3, max_rows=len(test.frame) // 2)
        assert full.attrs["rows"] == len(test.frame) and part.attrs["rows"] == len(test.frame) // 2
        assert part["feature"].iloc[0] == full["feature"].iloc[0] == "recency_days"
        assert abs(part["importance"].iloc[0] - full["importance"].iloc[0]) < 0.05
        pd_full = churn.partial_dependence_table(models["logit"], test, ["recency_days"], grid=5, max_rows=None)
        pd_part = churn.partial_dependence_table(models["logit"], test, ["recency_days"], grid=5,
                                                 max_rows=len(test.frame) // 2)
        assert len(pd_part) == len(pd_full) and pd_part["churn_probability"].is_monotonic_increasing
        assert (pd_part["churn_probability"] - pd_full["churn_probability"]).abs().max() < 0.05

    def test_unknown_model(self):
        with pytest.raises(ValueError, match="model kind 'svm' is unknown"):
            churn.make_model("svm", ["a"], [])

    def test_too_few_churners_fits_nothing(self):
        ds = toy_dataset(n=40)
        ds.frame["churned"] = 0
        ds.frame.loc[:2, "churned"] = 1
        ok, why = churn.can_fit(ds)
        assert not ok and why == Phrase("chf_too_few", cutoff=ds.cutoff, churned=3, retained=37, min=churn.MIN_CLASS)
        assert "3 churned and 37 retained" in i18n.say(why, "en")
        assert churn.can_fit(None) == (False, Phrase("chf_no_cutoff"))
        assert churn.fit_models(ds) == {}

    def test_choose_model(self):
        m = pd.DataFrame({"score": ["RFM recency (baseline)", "logistic regression", "gradient boosting"],
                          "roc_auc": [0.9, 0.7, 0.8], "pr_auc": [0.9, 0.7, 0.8]})
        assert churn.choose_model(m) == "gbm"                               # baselines are not chosen
        assert churn.choose_model(m.iloc[:1]) is None

class TestScoreCustomers:
    def test_sorted_with_bands_and_value(self):
        ds = toy_dataset(n=200)
        model = churn.make_model("logit", ds.numeric, ds.categorical).fit(ds.X, ds.y)
        s = churn.score_customers(model, ds, pd.Series({"c0": 12.5}))
        assert s["churn_risk"].is_monotonic_decreasing and len(s) == 200
        assert s.set_index("customer_id").loc["c0", "value"] == 12.5 and s["value"].sum() == 12.5
        band = s.set_index("customer_id")["risk_band"].astype(str)
        risk = s.set_index("customer_id")["churn_risk"]
        assert (band[risk > 0.75] == "75-100 %").all() and (band[risk <= 0.25] == "0-25 %").all()
