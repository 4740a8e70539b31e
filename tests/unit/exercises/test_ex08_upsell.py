"""Stage ex08 (up-sell): the expected answers against basket values and lowest-tier customers counted here
from the clean lines of the tiny run, with the price ladder the checkers build."""
from __future__ import annotations

import pytest

from helpers import exercises
from helpers.exercises import ex08_upsell
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def ladder(ctx):
    return ex08_upsell.ladder(ctx)


@pytest.fixture(scope="module")
def lowest_only(prep, ladder):
    """Customer x category bought in 3+ orders, every line in the lowest tier: orders and the gain one tier up."""
    lad = ladder.assign(product_id=ladder["item"].astype(str))[["product_id", "category", "tier", "uplift_ratio"]]
    lines = prep.lines().dropna(subset=["customer_id", "product_id"])
    j = lines.assign(product_id=lines["product_id"].astype(str)).drop(columns="category").merge(lad, on="product_id")
    j["gain"] = j["amount"] * (j["uplift_ratio"].fillna(1.0) - 1.0)
    g = j.groupby(["customer_id", "category"]).agg(orders=("invoice", "nunique"), top_tier=("tier", "max"),
                                                   gain=("gain", "sum"))
    return g[(g["top_tier"] == 0) & (g["orders"] >= 3)]


def test_the_stage_has_its_notebook_and_four_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex08'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex08")) == 4


def test_basket_values_guests_included(prep, answer, mistake):
    per_invoice = prep.lines().groupby("invoice")["amount"].sum()
    assert answer("ex08.median_basket_value") == pytest.approx(per_invoice.median())
    assert mistake("ex08.median_basket_value", "mean") == pytest.approx(per_invoice.mean())
    known = prep.lines().dropna(subset=["customer_id"]).groupby("invoice")["amount"].sum()
    assert mistake("ex08.median_basket_value", "customers_only") == pytest.approx(known.median())


def test_the_best_tier_holds_the_dearest_products_of_each_category(ladder, answer, mistake):
    assert answer("ex08.best_tier_products") == (ladder["tier"] == 2).sum() > 0
    assert mistake("ex08.best_tier_products", "lowest") == (ladder["tier"] == 0).sum()
    for _, cat in ladder.groupby("category"):
        if (cat["tier"] == 2).any() and (cat["tier"] == 0).any():
            assert cat.loc[cat["tier"] == 2, "price"].min() >= cat.loc[cat["tier"] == 0, "price"].max()


def test_lowest_tier_customers_and_their_gain_one_tier_up(lowest_only, answer, mistake):
    assert len(lowest_only) > 0
    assert answer("ex08.lowest_only_customers") == lowest_only.index.get_level_values("customer_id").nunique()
    assert mistake("ex08.lowest_only_customers", "pairs") == len(lowest_only)
    assert answer("ex08.tier_up_gain") == pytest.approx(lowest_only["gain"].sum())
