"""Tests for helpers.io.synth.catalogue: the fixed catalogue and its price tiers, and the product
choice by customer type and calendar month."""
from __future__ import annotations

import pandas as pd

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
