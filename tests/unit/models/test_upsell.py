"""Price ladders, tier shares, tier-up potential and basket thresholds against hand computation and truth."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import paths, pipeline
from helpers.config import load_config
from helpers.io.engine import connect, table
from helpers.models import baskets as bk
from helpers.models import upsell as up
from tests.fixtures import make_lines

# Kitchen: a three-product family "Mug - *" (2.0 < 3.6 < 6.0) and three single products at 1, 4, 10.
# Garden: four products at 1, 2, 3, 4 (no family).
CATALOGUE = pd.DataFrame({
    "item": ["M1", "M2", "M3", "K1", "K2", "K3", "G1", "G2", "G3", "G4"],
    "name": ["Mug - Good", "Mug - Better", "Mug - Best", "Spoon", "Bowl", "Kettle",
             "Pot", "Seeds", "Gloves", "Hose"],
    "category": ["Kitchen"] * 6 + ["Garden"] * 4,
    "price": [2.0, 3.6, 6.0, 1.0, 4.0, 10.0, 1.0, 2.0, 3.0, 4.0],
})
SUFFIX = r"\s+-\s+\w+$"


class TestPriceLadder:
    def test_quantile_tiers_by_hand(self):
        lad = up.price_ladder(CATALOGUE).set_index("item")
        # Garden, n = 4: (r - 0.5) / 4 x 3 = 0.375, 1.125, 1.875, 2.625 -> tiers 0, 1, 1, 2
        assert list(lad.loc[["G1", "G2", "G3", "G4"], "tier"]) == [0, 1, 1, 2]
        # Kitchen, n = 6, prices 1, 2, 3.6, 4, 6, 10: tiers 0, 0, 1, 1, 2, 2
        assert list(lad.loc[["K1", "M1", "M2", "K2", "M3", "K3"], "tier"]) == [0, 0, 1, 1, 2, 2]
        assert set(lad["method"]) == {"quantile"} and lad.loc["G1", "tier_name"] == "good"

    def test_ties_share_a_tier(self):
        cat = pd.DataFrame({"item": list("abcd"), "name": list("abcd"), "category": "X", "price": [1.0, 1.0, 1.0, 9.0]})
        lad = up.price_ladder(cat).set_index("item")
        # average rank 2 for the three at 1.0: (2 - 0.5) / 4 x 3 = 1.125 -> tier 1; 9.0: 2.625 -> 2
        assert list(lad.loc[list("abcd"), "tier"]) == [1, 1, 1, 2]

    def test_family_ladders(self):
        lad = up.price_ladder(CATALOGUE, family_pattern=SUFFIX).set_index("item")
        assert list(lad.loc[["M1", "M2", "M3"], "tier"]) == [0, 1, 2]
        assert set(lad.loc[["M1", "M2", "M3"], "method"]) == {"family"} and lad.loc["M1", "family"] == "Mug"
        # the singles stay on price quantiles among all six Kitchen products
        assert lad.loc["K1", "method"] == "quantile" and pd.isna(lad.loc["K1", "family"])
        assert list(lad.loc[["K1", "K2", "K3"], "tier"]) == [0, 1, 2]

    def test_next_tier_price(self):
        lad = up.price_ladder(CATALOGUE, family_pattern=SUFFIX).set_index("item")
        assert lad.loc["M1", "next_tier_price"] == 3.6 and lad.loc["M2", "next_tier_price"] == 6.0
        assert np.isnan(lad.loc["M3", "next_tier_price"])          # top tier
        assert lad.loc["M1", "uplift_ratio"] == pytest.approx(1.8)
        # Kitchen medians: tier 0 {1, 2} = 1.5, tier 1 {3.6, 4} = 3.8 -> K1: 1.0 x 3.8 / 1.5
        assert lad.loc["K1", "next_tier_price"] == pytest.approx(3.8 / 1.5)
        # Garden medians: tier 0 {1} = 1, tier 1 {2, 3} = 2.5, tier 2 {4} = 4 -> G2: 2 x 4 / 2.5
        assert lad.loc["G2", "next_tier_price"] == pytest.approx(2 * 4 / 2.5)

    def test_mapping_overrides(self):
        m = pd.DataFrame({"item": ["K3", "G1"], "tier_name": ["Good", "best"]})
        lad = up.price_ladder(CATALOGUE, mapping=m).set_index("item")
        assert lad.loc["K3", "tier"] == 0 and lad.loc["G1", "tier"] == 2
        assert lad.loc["K3", "method"] == "mapped"

    def test_without_categories_one_ladder(self):
        lad = up.price_ladder(CATALOGUE.assign(category=pd.NA))
        # prices 1 1 2 2 3 3.6 4 4 6 10: average ranks 1.5 1.5 3.5 3.5 5 6 7.5 7.5 9 10, (r - 0.5) / 10 x 3
        # = 0.3 0.3 0.9 0.9 | 1.35 1.65 | 2.1 2.1 2.55 2.85 -> 4 good, 2 better, 4 best
        assert set(lad["category"]) == {"all products"}
        assert lad["tier"].value_counts().sort_index().tolist() == [4, 2, 4]

    def test_two_tiers_and_names(self):
        lad = up.price_ladder(CATALOGUE, n_tiers=2, tier_names=["basic", "premium"])
        assert set(lad["tier_name"]) == {"basic", "premium"}

    def test_errors(self):
        with pytest.raises(ValueError, match="n_tiers 6 must be from 2 to 5"):
            up.price_ladder(CATALOGUE, n_tiers=6)
        with pytest.raises(ValueError, match="2 tier_names given for n_tiers = 3"):
            up.price_ladder(CATALOGUE, tier_names=["a", "b"])
        with pytest.raises(ValueError, match=r"family_pattern '\(' is not a valid regular expression"):
            up.price_ladder(CATALOGUE, family_pattern="(")
        with pytest.raises(ValueError, match=r"mapping has tier names \['gold'\] that are not among"):
            up.price_ladder(CATALOGUE, mapping=pd.DataFrame({"item": ["K1"], "tier_name": ["gold"]}))


class TestCompareTiers:
    def test_match_rate_by_hand(self):
        lad = up.price_ladder(CATALOGUE, family_pattern=SUFFIX)
        truth = pd.DataFrame({"product_id": ["M1", "M2", "M3", "K1"], "tier": ["Good", "Better", "Best", "Best"]})
        c = up.compare_tiers(lad, truth)
        assert c["products"] == 4 and c["match_rate"] == 0.75        # K1 is tier 0, not Best
        assert not c["adjacent_only"] and c["confusion"].loc["Best", 0] == 1


@pytest.mark.slow
class TestSyntheticTiers:
    @pytest.fixture(scope="class")
    def run(self):
        prep = pipeline.prepare(load_config(paths.CONFIGS / "default.yaml"), progress=False)
        cat = bk.item_catalogue(prep.table(connect(prep.config.engine)))
        return cat, prep.synthetic_truth()["tiers"]

    def test_family_ladders_recover_every_planted_tier(self, run):
        # every base item exists as "- Good" x1, "- Better" ~x1.8, "- Best" ~x3 of one price (strictly increasing
        # by construction), so ranking each name family by price must give back every planted tier
        cat, truth = run
        c = up.compare_tiers(up.price_ladder(cat, family_pattern=SUFFIX), truth)
        assert c["products"] == len(cat) and c["match_rate"] == 1.0

    def test_price_quantiles_alone_recover_most(self, run):
        # without the names, tiers come from price thirds per category. Good-tier prices within a category
        # spread over a factor of 3-8 (synth.PRICE_RANGE) while the tiers step by only x1.8 and x3, so the
        # bands overlap and a perfect match is impossible; chance is 1/3. Floor 0.5: halfway from chance to
        # certainty would be 0.67, and the overlap costs more than that; Best is never taken for Good in bulk.
        cat, truth = run
        c = up.compare_tiers(up.price_ladder(cat), truth)
        assert c["match_rate"] >= 0.5
        conf = c["confusion"]
        assert conf.loc["Good", 0] > conf.loc["Good", 2] and conf.loc["Best", 2] > conf.loc["Best", 0]


# --------------------------------------------------------------------------------------
# Customer A buys Mug - Good (2.0) in three orders, customer B buys Mug - Good once and Mug - Best once,
# customer C buys Spoon (K1, tier 0) in three orders; one guest line is left out.
TIER_ROWS = [
    (0, "1", "2023-01-01", "A", "M1", 2, 2.0),
    (1, "2", "2023-02-01", "A", "M1", 1, 2.0),
    (2, "3", "2023-03-01", "A", "M1", 3, 2.0),
    (3, "4", "2023-01-05", "B", "M1", 1, 2.0),
    (4, "5", "2023-01-06", "B", "M3", 1, 6.0),
    (5, "6", "2023-01-07", "C", "K1", 1, 1.0),
    (6, "7", "2023-01-08", "C", "K1", 1, 1.0),
    (7, "8", "2023-01-09", "C", "K1", 1, 1.0),
    (8, "9", "2023-01-10", None, "M1", 5, 2.0),
]


@pytest.fixture
def shares(duck):
    lad = up.price_ladder(CATALOGUE, family_pattern=SUFFIX)
    return up.tier_shares(table(duck, make_lines(TIER_ROWS)), lad).set_index(["customer_id", "category"])


class TestTierShares:
    def test_by_hand(self, shares):
        a = shares.loc[("A", "Kitchen")]
        assert a["orders"] == 3 and a["spend"] == pytest.approx(12.0) and a["share_t0"] == 1.0
        assert a["lowest_only"]
        assert a["gain_one_up"] == pytest.approx(12.0 * (3.6 / 2.0 - 1))     # all of it one step up the family
        b = shares.loc[("B", "Kitchen")]
        assert b["share_t0"] == pytest.approx(2 / 8) and b["share_t2"] == pytest.approx(6 / 8)
        assert not b["lowest_only"]
        assert "C" in shares.index.get_level_values(0) and None not in shares.index.get_level_values(0)

    def test_mix_per_category(self, shares):
        mix = up.tier_mix(shares.reset_index()).set_index("category")
        # Kitchen spend: A 12 (t0), B 2 (t0) + 6 (t2), C 3 (t0) = 23
        assert mix.loc["Kitchen", "spend"] == pytest.approx(23.0)
        assert mix.loc["Kitchen", "share_t0"] == pytest.approx(17 / 23)
        assert mix.loc["Kitchen", "lowest_only_customers"] == 2


class TestTierUpPotential:
    def test_lowest_tier_only_and_often(self, shares):
        pot = up.tier_up_potential(shares.reset_index(), min_orders=3)
        assert list(pot["customer_id"]) == ["A", "C"]                   # B bought Best once
        # C: 3 x Spoon at 1.0; Kitchen tier medians 1.5 -> 3.8, so each line gains 1.0 x (3.8 / 1.5 - 1)
        assert pot.set_index("customer_id").loc["C", "gain_one_up"] == pytest.approx(3 * (3.8 / 1.5 - 1))
        by = up.tier_up_by_category(pot)
        assert by.loc[0, "customers"] == 2
        assert by.loc[0, "gain_one_up"] == pytest.approx(12 * 0.8 + 3 * (3.8 / 1.5 - 1))
        assert up.tier_up_potential(shares.reset_index(), min_orders=4).empty
        with pytest.raises(ValueError, match="min_orders 0 must be at least 1"):
            up.tier_up_potential(shares.reset_index(), min_orders=0)


class TestBasketValues:
    def test_one_value_per_invoice_guests_included(self, duck):
        v = up.basket_values(table(duck, make_lines(TIER_ROWS))).set_index("invoice")
        assert len(v) == 9 and v.loc["1", "value"] == 4.0 and v.loc["9", "value"] == 10.0


class TestThresholdTable:
    def test_by_hand(self):
        t = up.threshold_table(pd.Series([10.0, 18.0, 19.0, 22.0, 30.0]), thresholds=[20, 25], reach=0.2)
        r = t.set_index("threshold").loc[20.0]
        # in reach of 20: 16 <= v < 20 -> 18, 19 (top-ups 2 and 1)
        assert r["in_reach"] == 2 and r["mean_top_up"] == pytest.approx(1.5) and r["top_up_total"] == 3.0
        assert r["share_below"] == pytest.approx(3 / 5) and r["share_already_above"] == pytest.approx(2 / 5)
        r25 = t.set_index("threshold").loc[25.0]                     # 20 <= v < 25 -> 22 only
        assert r25["in_reach"] == 1
        assert list(t["recommended"]) == [True, False]

    def test_ties_go_to_the_lower_threshold(self):
        t = up.threshold_table(pd.Series([9.0, 19.0]), thresholds=[10, 20], reach=0.2)
        assert list(t["recommended"]) == [True, False]

    def test_default_thresholds_are_round_quantiles(self):
        v = pd.Series(np.linspace(1, 100, 200))
        t = up.threshold_table(v)
        assert all(x == up.nice_round(x) for x in t["threshold"]) and t["recommended"].sum() == 1
        with pytest.raises(ValueError, match="reach 1.5 must be between 0 and 1"):
            up.threshold_table(v, reach=1.5)

    def test_nice_round(self):
        assert up.nice_round(24.8) == 25 and up.nice_round(365.87) == 350
        assert up.nice_round(0.37) == pytest.approx(0.35) and up.nice_round(1234) == 1000
        assert math.isnan(up.nice_round(float("nan")))
