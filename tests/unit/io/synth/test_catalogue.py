"""Tests for helpers.io.synth.catalogue: the fixed catalogue and its price tiers, and the product
choice by customer type and calendar month."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.io.synth.catalogue import choice_cum, sample_rows, shop_catalogue
from helpers.io.synth.params import BUNDLE_SPEC, SEASON, TYPE_NAMES
from tests.fixtures.synth import FEE_CODES, reference_clean


def test_catalogue_tiers(shop):
    products, tiers = shop["truth"]["products"], shop["truth"]["tiers"]
    assert len(products) >= 300 and products["product_id"].is_unique
    assert products["category"].nunique() >= 10
    assert products["product_id"].str.fullmatch(r"\d{5}").all()
    assert (products["description"] == products["base_item"] + " - " + products["tier"]).all()
    ladder = tiers.pivot_table(index=["category", "base_item"], columns="tier", values="price")
    assert list(ladder.columns.sort_values()) == ["Best", "Better", "Good"]
    assert len(ladder) * 3 == len(tiers)
    assert (ladder["Good"] < ladder["Better"]).all() and (ladder["Better"] < ladder["Best"]).all()
    ratio = (ladder["Best"] / ladder["Good"]).median()
    assert 2.5 < ratio < 3.5
    # the data uses the catalogue's descriptions, categories and prices
    df = shop["lines"]
    sale = df[~df["product_id"].isin(FEE_CODES) & (df["unit_price"] > 0)]
    merged = sale.merge(products, on="product_id", suffixes=("", "_cat"), how="left")
    assert merged["price"].notna().all()
    assert (merged["unit_price"] == merged["price"]).all()
    assert (merged["description"] == merged["description_cat"]).all()
    assert (merged["category"] == merged["category_cat"]).all()


def test_tier_preferences_by_type(shop):
    """Premium customers buy mostly Best, bargain customers mostly Good."""
    clean = reference_clean(shop["lines"])
    t = shop["truth"]
    m = clean.merge(t["customers"][["customer_id", "type"]], on="customer_id") \
             .merge(t["products"][["product_id", "tier"]], on="product_id")
    share = pd.crosstab(m["type"], m["tier"], normalize="index")
    assert share.loc["premium", "Best"] > 0.5
    assert share.loc["bargain", "Good"] > 0.5
    assert share.loc["premium", "Best"] > 2 * share.loc["regular", "Best"]


def test_seasonality_only_in_products(shop):
    clean = reference_clean(shop["lines"])
    month = clean["invoice_ts"].dt.month
    gifts = clean["category"].isin(["Gifts", "Party"])
    assert gifts[month.isin([11, 12])].mean() > 1.5 * gifts[month.isin([2, 3, 4, 5, 6])].mean()
    garden = clean["category"] == "Garden"
    assert garden[month.isin([4, 5, 6])].mean() > 2 * garden[month.isin([11, 12, 1])].mean()


# --------------------------------------------------------------------------------------
# the catalogue and the choice probabilities, directly
# --------------------------------------------------------------------------------------
def test_shop_catalogue_structure():
    cat = shop_catalogue()
    p = cat.products
    assert len(p) == 360 and p["product_id"].is_unique
    assert ((np.round(cat.price * 100) % 10) == 5).all()                  # shop prices end in 5p
    good = p.loc[cat.good_idx]
    assert (good["tier"].to_numpy() == "Good").all() and (good["base_item"].to_numpy() == p["base_item"]).all()
    assert cat.in_bundle.sum() == 25 and len(cat.bundles) == len(BUNDLE_SPEC)
    heads = np.flatnonzero(cat.bundle_of_head >= 0)
    assert len(heads) == len(BUNDLE_SPEC) and (cat.popularity[heads] == 1.0).all()
    assert cat.ext_code.to_pylist()[-3:] == ["POST", "M", "BANK CHARGES"] and len(cat.ext_code) == 363
    assert shop_catalogue() is cat                                        # built once per process


def test_choice_probabilities_follow_the_season():
    cat = shop_catalogue()
    cum = choice_cum()
    assert cum.shape == (len(TYPE_NAMES) * 12, 360)
    assert (np.diff(cum, axis=1) >= -1e-15).all() and (cum[:, -1] == 1.0).all()
    prob = np.diff(np.c_[np.zeros(len(cum)), cum], axis=1)
    # two regular-customer products of the same tier, one Garden one Kitchen (no season): their odds
    # move with Garden's seasonal multiplier and their popularities only
    p = cat.products
    g = p.index[(p["category"] == "Garden") & (p["tier"] == "Good")][0]
    k = p.index[(p["category"] == "Kitchen") & (p["tier"] == "Good")][0]
    for m in (0, 4, 11):
        odds = prob[m, g] / prob[m, k]                                   # row m: regular, month m
        assert odds == pytest.approx(SEASON["Garden"][m] * cat.popularity[g] / cat.popularity[k])


def test_sample_rows_draws_one_column_per_row():
    cum = np.array([[0.2, 1.0], [0.0, 1.0]])
    got = sample_rows(cum, np.array([0, 0, 1, 1]), np.array([0.1, 0.5, 0.0, 0.99]))
    assert got.tolist() == [0, 1, 1, 1]
    u = np.random.default_rng(0).random(10_000)
    share0 = (sample_rows(cum, np.zeros(u.size, dtype=np.int64), u) == 0).mean()
    assert abs(share0 - 0.2) < 4 * np.sqrt(0.2 * 0.8 / u.size)
