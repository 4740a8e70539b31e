"""The analysis notebooks' headline numbers, by hand on small tables."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import i18n
import pytest

from helpers.analyses import page_headlines as ph

AUDIT = pd.DataFrame({"rule": ["raw total", "cancellation", "cancellation_partial", "cancellation_unmatched", "kept"],
                      "lines": [10, 1, 1, 1, 7], "revenue": [1000.0, -50.0, -20.0, -5.0, 800.0]})


def values(items):
    return {k: v for k, _, v, _ in items}


def test_cleaning_items_by_hand():
    items = ph.cleaning_items(AUDIT, 1000.0, customers=4, warnings=2, currency="GBP")
    got = values(items)
    assert got == {"raw_lines": 10, "clean_lines": 7, "revenue_removed_share": pytest.approx(0.2),
                   "returns_removed": 75.0, "clean_revenue": 800.0, "customers": 4, "cleaning_warnings": 2}
    assert {k: u for k, _, _, u in items}["returns_removed"] == "GBP"


def test_segmentation_items_and_customers_by_hand():
    profile = pd.DataFrame({"segment": ["Champions", "Loyal customers", "At risk", "Can't lose them", "Lost"],
                            "revenue_share": [0.4, 0.2, 0.1, 0.1, 0.2], "customers": [2, 3, 4, 1, 10]})
    got = values(ph.segmentation_items(profile, one_time=0.55, k=None))
    assert got["champions_revenue_share"] == pytest.approx(0.6) and got["champions_loyal"] == 5
    assert got["win_back"] == 5 and got["one_time_share"] == 0.55 and got["clusters"] == i18n._("none")
    assert values(ph.segmentation_items(profile, one_time=0.55, k=4))["clusters"] == 4
    per_customer = pd.DataFrame({"customer_id": ["a"], "segment": pd.Categorical(["Lost"]), "rfm_cell": ["111"],
                                 "cluster": ["x"], "recency": [3]})
    out = ph.segmentation_customers(per_customer)
    assert list(out.columns) == ["customer_id", "rfm_segment", "rfm_score", "cluster"]
    assert out.iloc[0].tolist() == ["a", "Lost", "111", "x"]


def test_cross_sell_items_and_offer_customers_by_hand():
    offers = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "rank": [1, 2, 1, 1], "source": ["rule", "rule", "popular", "rule"],
                           "name": ["Jam", "Tea", None, "Milk"], "item": ["j", "t", "x9", "m"], "reason": ["r1", "r2", "r3", "r4"]})
    evaluation = pd.DataFrame({"method": ["rules", "rules", "popularity"], "protocol": ["leave_one_out", "next_basket", "next_basket"],
                               "hit_rate": [0.5, 0.3, 0.1]})
    potential = pd.DataFrame({"customer_id": ["a", "a", "d"], "gain_one_up": [1.0, 2.0, 4.0]})
    got = values(ph.cross_sell_items((offers, evaluation, potential), k=5, currency="GBP"))
    assert got["customers_with_offer"] == 3 and got["offers_from_rules"] == pytest.approx(2 / 3)
    assert got["offer_hit_rate"] == 0.3 and got["tier_up_customers"] == 2 and got["tier_up_gain"] == 7.0
    assert all(math.isnan(v) for v in values(ph.cross_sell_items(None, k=5, currency="GBP")).values())
    customers = ph.offer_customers(offers)
    assert customers.values.tolist() == [["a", "Jam", "r1"], ["b", "x9", "r3"], ["c", "Milk", "r4"]]
    assert ph.offer_customers(None).empty and list(ph.offer_customers(None).columns) == list(customers.columns)


def test_churn_items_by_hand():
    from types import SimpleNamespace
    from helpers.models.churn import MODEL_NAMES

    best = next(iter(MODEL_NAMES))
    metrics = pd.DataFrame({"score": [MODEL_NAMES[best], "recency"], "roc_auc": [0.77, 0.6]})
    test = SimpleNamespace(summary=lambda: {"churn rate": 0.4})
    scored = pd.DataFrame({"customer_id": ["a", "b", "c"], "churn_risk": [0.5, 0.49, 0.9]})
    be = {"best_n": 12, "best_return": 300.0}
    got = values(ph.churn_items(test, metrics, best, scored, be, horizon_days=90, currency="GBP"))
    assert got == {"churn_rate_test": 0.4, "churn_model_auc": 0.77, "high_risk_customers": 2, "campaign_size": 12,
                   "campaign_return": 300.0}
    empty = values(ph.churn_items(None, metrics, None, None, None, horizon_days=90, currency="GBP"))
    assert all(math.isnan(v) for v in empty.values())


def test_profile_items_by_hand():
    tests = pd.DataFrame({"p_value": [0.01, 0.2, 0.04]})
    regions = pd.DataFrame({"region": ["North", "South"], "revenue": [10.0, 30.0], "share_revenue": [0.25, 0.75]})
    rates = pd.DataFrame({"level": ["low", "middle"], "rate_ratio": [0.8, 1.0]})
    rates.attrs["reference"] = "middle"
    got = values(ph.profile_items(tests, regions, rates, alpha=0.05, rate_column="income_band"))
    assert got == {"profiles_significant_tables": 2, "profiles_top_region_revenue_share": 0.75, "profiles_rate_ratio_low": 0.8}
    assert list(values(ph.profile_items(tests, None, None, alpha=0.05, rate_column="x"))) == ["profiles_significant_tables"]


def test_campaign_items_by_hand():
    from types import SimpleNamespace

    data = SimpleNamespace(ready=True, has_responses=True, exposures=pd.DataFrame({"customer_id": ["a", "a", "b"]}))
    camp = pd.DataFrame({"responders": [1, 2], "reached": [10, 10], "responder_revenue": [5.0, 7.0]})
    types = pd.DataFrame({"campaign_type": ["email", "sms"], "response_rate": [0.2, 0.1]})
    items = ph.campaign_items(data, pd.DataFrame({"w": [1, 2]}), camp, types, currency="GBP")
    assert values(items) == {"campaigns": 2, "customers_reached": 2, "campaign_response_rate": pytest.approx(0.15),
                             "best_type_response_rate": 0.2, "responder_revenue": 12.0}
    assert i18n._("Response rate of the best campaign type ({type})", type="email") in [label for _, label, _, _ in items]
    nothing = SimpleNamespace(ready=False, has_responses=False, exposures=None)
    assert all(math.isnan(v) for v in values(ph.campaign_items(nothing, None, None, None, currency="GBP")).values())


def test_voice_items_and_customers_by_hand():
    from types import SimpleNamespace

    h = {"reviews": 9, "mean_score": 3.3333, "low_share": 0.3, "complaint_rate": 0.2}
    back = pd.DataFrame({"group": ["complained", "good review"], "share": [0.25, 0.5]})
    got = values(ph.voice_items(h, delay=SimpleNamespace(mean_gap={"diff": -1.234}), back=back,
                                hazard=SimpleNamespace(k=2.345), came_back_days=90))
    assert got == {"reviews": 9, "mean_score": 3.33, "low_score_share": 0.3, "late_delivery_score_gap": -1.23,
                   "complaint_rate": 0.2, "complainers_came_back": 0.25, "complaint_hazard_factor": 2.35}
    none = values(ph.voice_items(h, delay=None, back=None, hazard=None, came_back_days=90))
    assert math.isnan(none["late_delivery_score_gap"]) and math.isnan(none["complaint_hazard_factor"])
    customers = pd.DataFrame({"customer_id": ["a"], "complaints": [1], "complaint_rate": [0.5], "mean_score": [2.0], "x": [1]})
    assert list(ph.voice_customers(customers).columns) == ["customer_id", "complaints", "complaint_rate", "mean_score"]
    assert ph.voice_customers(customers.iloc[:0]) is None


def test_clv_items_and_customers_by_hand():
    from types import SimpleNamespace

    from helpers.models.clv import ClvFits, Source

    base = pd.DataFrame({"customer_id": list("abcde"), "clv": [50.0, 20.0, 10.0, 10.0, 10.0]})
    fits = ClvFits(SimpleNamespace(step="bgnbd_ml", source=Source("bgnbd_ml")),
                   SimpleNamespace(step="gg_ml", source=Source("gg_ml")), [])
    got = values(ph.clv_items(base, "clv", actions=base.head(2), fits=fits, horizon_months=12, currency="GBP"))
    assert got == {"customers_valued": 5, "clv_total": 100.0, "clv_top20_share": pytest.approx(0.5),
                   "high_value_low_p_alive": 2, "clv_model": "BG/NBD (maximum likelihood) + Gamma-Gamma (maximum likelihood)"}
    hist = values(ph.clv_items(base.rename(columns={"clv": "gross_margin"}), "gross_margin", actions=None,
                               fits=fits, horizon_months=12, currency="GBP"))
    assert math.isnan(hist["high_value_low_p_alive"]) and hist["clv_model"] == i18n._("Tiers by historical gross margin (no CLV model)")
    labels = dict((k, label) for k, label, *_ in ph.clv_items(base.rename(columns={"clv": "gross_margin"}), "gross_margin",
                                                             actions=None, fits=fits, horizon_months=12, currency="GBP"))
    # another measure under its own keys: never labelled, compared or charted as a predicted CLV
    assert labels["margin_total"] == i18n._("Historical gross margin, all customers")
    assert "clv_total" not in labels and "clv_top20_share" not in labels and "margin_top20_share" in labels
    assert list(ph.clv_customers(None, base).columns) == ["customer_id"]


def test_validation_items_count_the_run_s_own_checks_apart_from_the_cdnow_reference():
    from helpers.analyses.checks import REFERENCE_AREAS, Check, checks_table

    def check(area, passed):
        return Check(area, "a check", 1.0, 1.0, "tol", "why", passed)

    accuracy = pd.DataFrame({"target": ["purchases", "purchases"], "bucket": ["all", "all"],
                             "forecast": ["model", "zero"], "rmse": [0.8, 1.1]})
    both = checks_table([check("holdout", True), check("holdout", False), check("holdout", True),
                         *(check(a, True) for a in REFERENCE_AREAS)])
    got = values(ph.validation_items(both, accuracy, holdout_months=6))
    assert got == {"checks_passed": "2 / 3", "checks_pass_share": pytest.approx(2 / 3),
                   "reference_checks_passed": "3 / 3", "holdout_purchase_rmse": 0.8}
    # real data whose holdout could not be scored: only the reference checks ran; nothing is said to have passed
    # on the run's data ("8 / 8" before, counting CDNOW's)
    reference_only = checks_table([check(REFERENCE_AREAS[0], True), check(REFERENCE_AREAS[2], False)])
    got = values(ph.validation_items(reference_only, None, holdout_months=6))
    assert math.isnan(got["checks_passed"]) and math.isnan(got["checks_pass_share"])
    assert got["reference_checks_passed"] == "1 / 2" and math.isnan(got["holdout_purchase_rmse"])
