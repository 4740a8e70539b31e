"""The churn module's pipelines on a contract table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.models import churn
from helpers.models import contract_churn as cc


class TestClassifiers:
    def test_pipelines_of_the_churn_module_run_on_a_contract_table(self):
        rng = np.random.default_rng(0)
        n = 600
        contract = rng.choice(["Month-to-month", "One year"], n)
        p = np.where(contract == "Month-to-month", 0.45, 0.08)
        df = cc.contract_table(pd.DataFrame({"customer_id": np.arange(n).astype(str), "tenure": rng.integers(0, 60, n),
                                             "churned": rng.random(n) < p, "contract": contract,
                                             "monthly_charges": rng.uniform(20, 100, n)}))
        train, test = cc.contract_datasets(df, test_size=0.3, random_state=1)
        assert len(test.frame) == 180 and set(train.frame["customer_id"]).isdisjoint(test.frame["customer_id"])
        assert train.frame["churned"].mean() == pytest.approx(test.frame["churned"].mean(), abs=0.02)  # stratified
        models = churn.fit_models(train)
        scores = cc.baseline_scores(train, test) | churn.model_scores(models, test)
        m = churn.evaluate(test.y, scores).set_index("score")
        # the only real signal is the contract type: the models find it (AUC well above 0.5)
        assert m.loc["logistic regression", "roc_auc"] > 0.65
        assert m.loc["churn rate of the contract type (baseline)", "roc_auc"] > 0.65
        risk = cc.score_customers(models["logit"], df, like=train)
        assert risk.index.tolist() == df["customer_id"].tolist() and risk.between(0, 1).all()
