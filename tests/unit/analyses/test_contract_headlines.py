"""The contract churn headline numbers by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import i18n

from helpers.analyses import contract_headlines as cc


def test_headline_items_by_hand():
    df = pd.DataFrame({"churned": [True, False, False, True]})
    by_group = pd.DataFrame({"contract": ["Month-to-month", "Two year"], "churn_rate": [0.5, 0.1]})
    km = pd.DataFrame({"group": ["Month-to-month", "Two year"], "median_tenure": [35.0, np.nan]})
    sbg = pd.DataFrame({"cohort": ["Month-to-month", "Two year"], "mean_churn": [0.026, 0.002],
                        "heterogeneous": [True, False], "alpha": [3.0, np.nan], "beta": [113.0, np.nan]})
    items = cc.headline_items(df, auc=0.84, cox_c_index=0.86, by_group=by_group, group_column="contract",
                              km_summary=km, sbg_params=sbg)
    got = {k: v for k, _, v, _ in items}
    assert got["contract_churn_rate"] == 0.5 and got["contract_model_auc"] == 0.84
    assert got["contract_churn_rate_month_to_month"] == 0.5 and got["contract_churn_rate_two_year"] == 0.1
    assert got["contract_km_median_month_to_month"] == 35.0 and got["contract_km_median_two_year"] == "not reached"
    assert got["contract_sbg_alpha_month_to_month"] == 3.0 and "contract_sbg_alpha_two_year" not in got
    assert len(items) == 3 + 2 + 2 + 2 + 2
    units = {k: u for k, _, _, u in items}
    assert units["contract_km_median_month_to_month"] == "months"
    # in another unit the per-period numbers carry it in their keys and units
    yearly = cc.headline_items(df, auc=0.84, cox_c_index=0.86, by_group=by_group, group_column="contract",
                               km_summary=km, sbg_params=sbg, unit="year")
    got = {k: (v, u) for k, label, v, u in yearly}
    assert got["contract_km_median_year_month_to_month"] == (35.0, "years")
    assert "contract_sbg_mean_churn_year_two_year" in got and "contract_km_median_month_to_month" not in got
    assert "per year" in dict((k, label) for k, label, _, _ in yearly)["contract_sbg_mean_churn_year_two_year"]


def test_model_auc_customer_columns_and_the_non_contractual_headline():
    from helpers.models.churn import MODEL_NAMES

    best = next(iter(MODEL_NAMES))
    metrics = pd.DataFrame({"score": [MODEL_NAMES[best], "tenure"], "roc_auc": [0.81, 0.6]})
    assert cc.model_auc(metrics, best) == 0.81 and np.isnan(cc.model_auc(metrics, None))
    rem = pd.DataFrame({"expected_remaining_value": [1.0], "x": [2], "customer_id": ["a"]})
    assert list(cc.customer_columns(rem).columns) == ["customer_id", "expected_remaining_value"]
    [(key, _, value, unit)] = cc.non_contractual_items()
    assert key == "contract_setting" and value == i18n._("non-contractual") and unit == ""
