"""Tests for helpers.io.synth.extra_tables: the attributes, exposures, responses and feedback
tables, their dtypes, their joins to the lines and the review texts."""
from __future__ import annotations

import pandas as pd

from helpers.io import synth
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
