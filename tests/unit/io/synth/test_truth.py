"""Tests for helpers.io.synth.truth: the truth written per customer and campaign order agrees with
the lines, and load_truth reads it back."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.io import synth
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
                      "feedback", "demographics"}
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
