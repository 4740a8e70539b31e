"""Tests for helpers.io.synth.truth: the truth written per customer and campaign order agrees with
the lines, and load_truth reads it back."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.io import synth
from helpers.io.synth.plan import KIND_BTYD, KIND_CAMPAIGN, KIND_GUEST, Plan
from helpers.io.synth.truth import (
    campaigns_truth,
    demographics_truth,
    feedback_truth,
    load_truth,
    write_truth,
)
from tests.fixtures.synth import btyd_only, clean_orders, orders_of, reference_clean


def test_cleaned_data_reproduces_truth(shop):
    clean = btyd_only(reference_clean(shop["lines"]), shop["truth"])
    cust = shop["truth"]["customers"].set_index("customer_id")
    o = orders_of(clean)
    per = o.groupby("customer_id").agg(n=("value", "size"), first=("ts", "min"), last=("ts", "max"),
                                      mean_value=("value", "mean"))
    assert set(per.index) == set(cust.index)
    per = per.join(cust)
    assert (per["n"] == per["n_orders"]).all()
    assert (per["first"] == per["birth_ts"]).all()
    assert (per["last"] == per["last_ts"]).all()
    assert np.allclose(per["mean_value"], per["mean_order_value"], rtol=1e-9)
    assert shop["truth"]["params"]["n_btyd_orders"] == len(o)
    assert shop["truth"]["params"]["n_btyd_lines"] == len(clean)


def test_campaign_orders_survive_cleaning_and_reconcile(shop):
    """Every line of a campaign order survives the standard cleaning (no dirt on them), and the
    clean lines are exactly the BTYD lines plus the campaign lines counted in params.json."""
    p, co = shop["truth"]["params"], shop["truth"]["campaign_orders"]
    df = shop["lines"]
    camp_lines = df[df["invoice"].isin(set(co["invoice"]))]
    assert len(camp_lines) == p["n_campaign_lines"] > 0
    assert co["invoice"].is_unique and len(co) == p["n_campaign_orders"] > 0
    clean = reference_clean(df)
    assert len(clean) == p["n_btyd_lines"] + p["n_campaign_lines"]
    assert clean["invoice"].isin(set(co["invoice"])).sum() == p["n_campaign_lines"]
    # the truth's invoice, customer, time and value of each campaign order are those in the lines
    o = orders_of(camp_lines).join(co.set_index("invoice"), rsuffix="_t")
    assert (o["customer_id"] == o["customer_id_t"]).all() and (o["ts"] == o["invoice_ts"]).all()
    assert np.allclose(o["value"], o["value_t"], rtol=1e-9)
    per = co.groupby("customer_id").size()
    cust = shop["truth"]["customers"].set_index("customer_id")
    assert (cust["n_campaign_orders"].loc[per.index] == per).all()
    assert cust["n_campaign_orders"].sum() == len(co)


def test_complaint_and_income_truth_columns(shop, extra):
    t = shop["truth"]["customers"].set_index("customer_id")
    k = synth.FEEDBACK_RULES["complaint_hazard_factor"]
    comp = extra["feedback"].query("category == 'complaint'")
    o = clean_orders(shop["lines"]).set_index("invoice")
    n = comp.groupby("customer_id").size().reindex(t.index, fill_value=0)
    assert (t["n_complaints"] == n).all() and (t["complained"] == (n > 0)).all()
    assert (t["n_reviews"] == extra["feedback"].groupby("customer_id").size().reindex(t.index, fill_value=0)).all()
    first = comp.assign(ts=comp["invoice"].map(o["ts"])).groupby("customer_id")["ts"].min()
    assert (t.loc[first.index, "first_complaint_ts"] == first).all()
    assert t.loc[~t["complained"], "first_complaint_ts"].isna().all()
    assert (t["complained_before_dropout"] == (t["complained"] & t["dropout_ts"].notna())).all()
    assert np.allclose(t["p_after_complaint"], 1 - (1 - t["p"]) ** k)
    assert t.loc[t["p"] > 0.01, "p_after_complaint"].gt(t.loc[t["p"] > 0.01, "p"]).all()
    # income multiplies lambda; the share-weighted mean factor is 1
    f = t["income_band"].map(synth.INCOME_FACTOR)
    assert np.allclose(t["lambda"], t["lambda_base"] * f) and (t["income_factor"] == f).all()
    assert sum(s * synth.INCOME_FACTOR[b] for b, s in zip(synth.INCOME_BANDS, synth.INCOME_SHARES)) == pytest.approx(1)
    demo = shop["truth"]["demographics"]
    assert demo["income_factor"] == synth.INCOME_FACTOR
    assert demo["n_customers_by_income"] == t["income_band"].value_counts().to_dict()


def test_load_truth_roundtrip(shop):
    t = synth.load_truth(shop["dir"])
    assert set(t) == {"params", "customers", "products", "bundles", "tiers", "campaigns", "campaign_orders",
                      "campaign_uplift", "feedback", "demographics"}
    assert t["params"]["generator_version"] == synth.GENERATOR_VERSION
    assert t["params"]["config"] == shop["cfg"].model_dump(mode="json")
    assert t["params"]["n_lines"] == len(shop["lines"])
    assert t["params"]["n_customers"] == len(t["customers"]) == shop["cfg"].customers
    assert set(t["customers"]["type"]) == set(t["params"]["types"])
    assert t["customers"]["customer_id"].is_unique
    for col in ("lambda", "p", "nu", "birth_ts", "dropout_ts", "n_orders", "mean_order_value"):
        assert col in t["customers"], col
    assert str(t["customers"]["birth_ts"].dtype) == "datetime64[us]"
    assert len(t["bundles"]) >= 8 and all(isinstance(b["products"], tuple) for b in t["bundles"])
    assert sum(len(b["products"]) == 3 for b in t["bundles"]) >= 2
    assert all(0 < b["prob"] < 1 for b in t["bundles"])
    # the truth folder itself is accepted too
    assert synth.load_truth(shop["dir"] / "truth")["params"] == t["params"]
    with pytest.raises(FileNotFoundError):
        synth.load_truth(shop["dir"] / "nowhere")


# --------------------------------------------------------------------------------------
# the truth files, from hand-made inputs
# --------------------------------------------------------------------------------------
def hand_customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.array(["10001", "10002", "10003", "10004", "10005"], dtype="string"),
        "income_band": pd.array(["low", "low", "middle", "middle", "high"], dtype="string"),
        "lambda": [0.08, 0.24, 0.1, 0.3, 0.26],
        "p": [0.1, 0.2, 0.3, 0.4, 0.5],
        "p_after_complaint": [0.19, 0.36, 0.51, 0.64, 0.75],
        "dropout_ts": pd.to_datetime([None, "2024-02-01", None, "2024-03-01", "2024-04-01"]).astype("datetime64[us]"),
        "complained": [True, True, False, False, False],
    })


def test_write_and_load_truth_without_the_optional_parts(tmp_path):
    customers = hand_customers()
    write_truth(tmp_path / "truth", {"generator_version": "x", "n": 5}, customers)
    t = load_truth(tmp_path)                                  # the folder holding truth/
    assert set(t) == {"params", "customers", "products", "bundles", "tiers"}     # written before version 1.3
    assert t["params"] == {"generator_version": "x", "n": 5}
    pd.testing.assert_frame_equal(t["customers"], customers)
    assert len(t["products"]) == 360 and len(t["tiers"]) == 360 and t["products"]["in_bundle"].sum() == 25
    assert all(isinstance(b["products"], tuple) for b in t["bundles"])


def test_write_and_load_truth_with_the_optional_parts(tmp_path):
    orders = pd.DataFrame({"invoice": pd.array(["500001"], dtype="string"), "value": [9.5]})
    write_truth(tmp_path, {"n": 1}, hand_customers(), {"campaign_orders": orders, "campaigns": [{"campaign_id": "C"}],
                                                        "feedback": {"k": 2.0}, "demographics": {"bands": 3}})
    t = load_truth(tmp_path)                                  # the truth folder itself
    assert t["campaigns"] == [{"campaign_id": "C"}] and t["feedback"] == {"k": 2.0}
    assert t["demographics"] == {"bands": 3}
    pd.testing.assert_frame_equal(t["campaign_orders"], orders)


def test_demographics_truth_counts_and_lambda_ratios():
    d = demographics_truth(hand_customers())
    assert d["n_customers_by_income"] == {"high": 1, "low": 2, "middle": 2}
    # mean lambda per band over the middle band's 0.2: low 0.16, high 0.26
    assert d["realised_mean_lambda_ratio"] == pytest.approx({"high": 1.3, "low": 0.8, "middle": 1.0})
    assert d["no_effect"] == ["region", "age_band", "household_size"]


def test_feedback_truth_counts():
    orders = {"kind": np.array([KIND_BTYD] * 5 + [KIND_GUEST, KIND_CAMPAIGN]),
              "score": np.array([0, 1, 2, 5, 4, 0, 0], dtype=np.int8)}
    plan = Plan(cfg_start=dt.date(2024, 1, 1), days=100, start_us=0, cust={}, orders=orders, n_customers=5)
    f = feedback_truth(plan, hand_customers())
    assert (f["n_btyd_orders"], f["n_reviews"], f["n_complaints"]) == (5, 4, 2)
    assert f["score_counts"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (f["n_customers_complained"], f["n_dropouts"], f["n_complained_before_dropout"]) == (2, 3, 1)
    assert f["dropout_share_complained"] == 0.5 and f["dropout_share_not_complained"] == pytest.approx(2 / 3)
    assert f["mean_p"] == pytest.approx(0.3) and f["mean_p_after_complaint"] == pytest.approx(0.49)


def test_campaigns_truth_dates_and_counts():
    start_us = int(pd.Timestamp("2024-01-01").value // 1000)
    plan = Plan(cfg_start=dt.date(2024, 1, 1), days=100, start_us=start_us, cust={}, orders={}, n_customers=0,
                campaigns=[{"campaign_id": "CMP01", "campaign_type": "discount", "start_day": 10, "end_day": 24,
                            "n_targeted": 7}])
    (c,) = campaigns_truth(plan)
    assert pd.Timestamp(c["start"]) == pd.Timestamp("2024-01-11") and pd.Timestamp(c["end_exclusive"]) == \
        pd.Timestamp("2024-01-25")
    assert c["n_targeted"] == 7 and c["start_day"] == 10 and list(c)[:4] == ["campaign_id", "campaign_type", "start",
                                                                            "end_exclusive"]
