"""Tests for helpers.io.synth.extra_tables: the attributes, exposures, responses and feedback
tables, their dtypes, their joins to the lines and the review texts."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers.io import synth
from helpers.io.synth.extra_tables import (
    attributes_table,
    campaign_bounds,
    customer_ids,
    exposures_table,
    feedback_table,
    responses_table,
    timestamps,
)
from helpers.io.synth.params import FEEDBACK_PHRASES
from helpers.io.synth.plan import Plan
from tests.fixtures.synth import clean_orders, read_extra


def test_extra_tables_canonical_columns_and_dtypes(shop, extra):
    for name, cols in synth.EXTRA_TABLES.items():
        df = extra[name]
        assert list(df.columns) == list(cols), name
        assert {c: str(t) for c, t in df.dtypes.items()} == cols, name
        assert len(df) > 10, name
        assert shop["truth"]["params"]["extra_tables"][name] == len(df)
    a = extra["attributes"]
    assert a["customer_id"].is_unique and a.notna().all().all()
    assert set(a["income_band"]) == {"low", "middle", "high"}
    assert set(a["region"]) <= set(synth.REGIONS_UK) | {synth.REGION_ABROAD} and a["region"].nunique() >= 5
    assert set(a["age_band"]) <= set(synth.AGE_BANDS) and a["household_size"].between(1, 5).all()
    e = extra["exposures"]
    assert set(e["channel"]) == {"email", "sms"} and set(e["campaign_type"]) <= set(synth.CAMPAIGN_TYPES)
    assert not e.duplicated(["customer_id", "campaign_id"]).any() and e.notna().all().all()
    r = extra["responses"]
    assert (r["response_type"] == "coupon").all() and (r["value"] > 0).all()
    f = extra["feedback"]
    assert f["feedback_id"].is_unique and f["feedback_ts"].is_monotonic_increasing
    assert f["score"].isin([1.0, 2.0, 3.0, 4.0, 5.0]).all()
    assert (f["score_min"] == 1.0).all() and (f["score_max"] == 5.0).all()
    assert f["title"].isna().all() and (f["language"] == "en").all()
    assert ((f["category"] == "complaint") == (f["score"] <= 2)).all()
    assert f[["feedback_id", "customer_id", "invoice", "feedback_ts", "score", "category"]].notna().all().all()
    assert 0.8 < f["text"].notna().mean() < 0.97


def test_extra_tables_join_the_lines(shop, extra):
    lines, truth = shop["lines"], shop["truth"]
    known = set(lines["customer_id"].dropna())
    assert set(extra["attributes"]["customer_id"]) == known == set(truth["customers"]["customer_id"])
    for name in ("exposures", "responses", "feedback"):
        assert set(extra[name]["customer_id"]) <= known, name
    # attributes agree with the truth (income band) ...
    t = truth["customers"].set_index("customer_id")
    a = extra["attributes"].set_index("customer_id")
    assert (a["income_band"] == t.loc[a.index, "income_band"]).all()
    assert ((a["region"] == synth.REGION_ABROAD) == (t.loc[a.index, "country"] != "United Kingdom")).all()
    # ... and every review is about a clean BTYD order of the same customer, written 0-7 days later
    o = clean_orders(lines).set_index("invoice")
    f = extra["feedback"]
    assert f["invoice"].isin(o.index).all()
    assert not f["invoice"].isin(set(truth["campaign_orders"]["invoice"])).any()
    j = f.join(o, on="invoice", rsuffix="_order")
    assert (j["customer_id"] == j["customer_id_order"]).all()
    delay = (j["feedback_ts"] - j["ts"]) / pd.Timedelta(days=1)
    assert (delay >= 0).all() and (delay <= 7).all() and delay.median() > 2
    end = pd.Timestamp(truth["params"]["window"]["end_exclusive"])
    assert (f["feedback_ts"] < end).all()


def test_feedback_texts_follow_the_scores(extra):
    f = extra["feedback"].dropna(subset=["text"])
    low = f["text"].str.contains(r"(?i)late delivery|damaged|wrong item|broken|refund")
    high = f["text"].str.contains(r"(?i)fast delivery|great quality|excellent|well packed")
    assert low.sum() > 10 and high.sum() > 10
    assert (f.loc[low, "score"] <= 2).all() and (f.loc[high, "score"] >= 4).all()
    for k, bank in synth.FEEDBACK_PHRASES.items():
        assert f.loc[f["score"] == k, "text"].isin(bank).all(), k


def test_tiny_config_has_every_table(tmp_path):
    from helpers.config import load_config

    cfg = load_config("tests/fixtures/configs/tiny.yaml").data.synthetic
    out = synth.generate(cfg, tmp_path / "tiny", progress=False)
    ex = read_extra(out)
    assert {n: len(d) >= 3 for n, d in ex.items()} == {n: True for n in ex}, {n: len(d) for n, d in ex.items()}
    assert (ex["feedback"]["category"] == "complaint").sum() >= 3
    assert ex["exposures"]["campaign_id"].nunique() >= 3


# --------------------------------------------------------------------------------------
# the tables from a hand-made plan
# --------------------------------------------------------------------------------------
DAY = 86_400_000_000
START_US = int(pd.Timestamp("2024-01-01").value // 1000)


def hand_plan(**kw) -> Plan:
    base = dict(cfg_start=dt.date(2024, 1, 1), days=100, start_us=START_US, n_customers=3,
                cust={"region": np.array([0, 5, 2]), "age": np.array([5, 0, 1]), "income": np.array([2, 1, 0]),
                      "household": np.array([0, 4, 1])},
                orders={}, campaigns=[{"campaign_id": "CMP01", "campaign_type": "discount", "start_day": 10,
                                       "end_day": 24},
                                      {"campaign_id": "CMP02", "campaign_type": "bundle", "start_day": 40,
                                       "end_day": 61}],
                exposures={"cust": np.array([2, 1, 0]), "campaign": np.array([1, 0, 0]),
                           "email": np.array([True, False, True])})
    return Plan(**{**base, **kw})


def test_ids_and_timestamps():
    assert customer_ids(np.array([0, 5])).tolist() == ["10001", "10006"]      # ids count from 10001
    assert timestamps(np.array([0, DAY])).tolist() == [np.datetime64("1970-01-01", "us"),
                                                       np.datetime64("1970-01-02", "us")]


def test_campaign_bounds_in_microseconds():
    s, e = campaign_bounds(hand_plan())
    assert [pd.Timestamp(int(x), unit="us") for x in s] == [pd.Timestamp("2024-01-11"), pd.Timestamp("2024-02-10")]
    assert [pd.Timestamp(int(x), unit="us") for x in e] == [pd.Timestamp("2024-01-25"), pd.Timestamp("2024-03-02")]


def test_attributes_and_exposures_of_a_hand_made_plan():
    a = attributes_table(hand_plan()).to_pandas()
    assert a.to_dict("records") == [
        {"customer_id": "10001", "region": "London", "age_band": "65+", "income_band": "high", "household_size": 1},
        {"customer_id": "10002", "region": "International", "age_band": "18-24", "income_band": "middle",
         "household_size": 5},
        {"customer_id": "10003", "region": "South West & Wales", "age_band": "25-34", "income_band": "low",
         "household_size": 2}]
    e = exposures_table(hand_plan()).to_pandas()                        # by campaign, then customer
    assert e[["customer_id", "campaign_id", "campaign_type", "channel"]].values.tolist() == [
        ["10001", "CMP01", "discount", "email"], ["10002", "CMP01", "discount", "sms"],
        ["10003", "CMP02", "bundle", "email"]]
    assert e["start"].tolist()[2] == pd.Timestamp("2024-02-10") and e["end"].tolist()[0] == pd.Timestamp("2024-01-25")
    assert {c: str(t) for c, t in e.dtypes.items()} == synth.EXTRA_TABLES["exposures"]


def test_responses_are_coupons_of_the_campaign_orders():
    co = pd.DataFrame({"invoice": pd.array(["500007"], dtype="string"), "customer_id": pd.array(["10002"], dtype="string"),
                       "campaign_id": pd.array(["CMP01"], dtype="string"),
                       "invoice_ts": pd.to_datetime(["2024-01-12 10:00"]).astype("datetime64[us]"), "value": [12.5]})
    r = responses_table(co).to_pandas()
    assert r.to_dict("records") == [{"customer_id": "10002", "campaign_id": "CMP01",
                                     "response_ts": pd.Timestamp("2024-01-12 10:00"), "response_type": "coupon",
                                     "value": 12.5}]


def test_feedback_of_a_hand_made_plan():
    orders = {"score": np.array([0, 5, 1, 3], dtype=np.int8), "cust": np.array([0, 1, 2, 0]),
              "invoice": np.array([500000, 500001, 500002, 500003]),
              "fb_ts": np.array([0, START_US + 3 * DAY, START_US + 2 * DAY, START_US + 9 * DAY])}
    f = feedback_table(hand_plan(orders=orders), seed=1).to_pandas()
    assert f["feedback_id"].tolist() == ["F0000001", "F0000002", "F0000003"]      # in feedback_ts order
    assert f["invoice"].tolist() == ["500002", "500001", "500003"]
    assert f["customer_id"].tolist() == ["10003", "10002", "10001"]
    assert f["score"].tolist() == [1.0, 5.0, 3.0] and f["category"].tolist() == ["complaint", "review", "review"]
    for score, text in zip(f["score"], f["text"]):
        assert pd.isna(text) or text in FEEDBACK_PHRASES[int(score)]
    assert f["title"].isna().all() and (f["language"] == "en").all() and (f["score_max"] == 5).all()
    assert feedback_table(hand_plan(orders=orders), seed=1).equals(feedback_table(hand_plan(orders=orders), seed=1))
