"""Frequent itemsets and association rules against hand computation on the five baskets, against mlxtend,
and against the synthetic shop's planted bundles."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.io.engine import table
from helpers.models import baskets as bk
from tests.fixtures.market_baskets import BASKETS, basket_lines


def rule(rules: pd.DataFrame, a: tuple, c: tuple) -> pd.Series:
    hit = rules[(rules["antecedents"] == a) & (rules["consequents"] == c)]
    assert len(hit) == 1, f"rule {a} -> {c} not found once"
    return hit.iloc[0]


class TestFrequentItemsets:
    def test_support_by_hand(self, items):
        fi = bk.frequent_itemsets(items, min_support=0.6)
        s = dict(zip(fi["itemsets"], fi["support"]))
        assert s[("KidneyBeans",)] == 1.0 and s[("Eggs",)] == 0.8 and s[("Milk",)] == 0.6
        assert s[("Eggs", "Onion")] == pytest.approx(0.6)                    # baskets 1, 2, 5
        assert s[("Eggs", "KidneyBeans", "Onion")] == pytest.approx(0.6)
        assert ("Milk", "Yogurt") not in s                                    # 2 of 5 baskets < 0.6
        assert fi.attrs["n_baskets"] == 5 and set(fi["count"]) <= {3, 4, 5}

    def test_max_len_caps_the_itemsets(self, items):
        fi = bk.frequent_itemsets(items, min_support=0.4, max_len=2)
        assert fi["length"].max() == 2
        with pytest.raises(ValueError, match="max_len 9 must be an integer from 1 to 5"):
            bk.frequent_itemsets(items, max_len=9)
        with pytest.raises(ValueError, match=r"min_support 0 must be in \(0, 1\]"):
            bk.frequent_itemsets(items, min_support=0)

    def test_min_count_raises_the_threshold(self, items):
        fi = bk.frequent_itemsets(items, min_support=0.01, min_count=4)
        assert fi.attrs["min_support"] == pytest.approx(0.8)
        assert set(fi["itemsets"]) == {("KidneyBeans",), ("Eggs",), ("Eggs", "KidneyBeans")}

    def test_memory_guard_raises_support_with_a_warning(self, items):
        # 11 items in >= 1 basket x 5 baskets = 55 cells; 10 cells allow 2 items: KidneyBeans (5), Eggs (4),
        # so the threshold becomes 4 baskets = 0.8 (the third item, in 3 baskets, is left out)
        with pytest.warns(bk.SupportRaisedWarning, match=r"5 baskets x 11 items = 55 cells, over max_cells = 10; "
                                                         r"min_support raised from 0\.2 to 0\.8"):
            fi = bk.frequent_itemsets(items, min_support=0.2, max_cells=10)
        assert fi.attrs["min_support"] == pytest.approx(0.8) and fi.attrs["matrix_shape"][1] == 2
        assert fi.attrs["requested_min_support"] == 0.2

    def test_support_counts_baskets_without_frequent_items(self, duck):
        extra = dict(BASKETS, **{"6": ("C", "2023-01-07", ["Dill"])})
        items = bk.basket_items(table(duck, basket_lines(extra))).execute()
        fi = bk.frequent_itemsets(items, min_support=0.5)             # Dill (2 of 6) is not frequent
        assert fi.attrs["matrix_shape"][0] == 5                       # basket 6 is not in the matrix ...
        s = dict(zip(fi["itemsets"], fi["support"]))
        assert s[("KidneyBeans",)] == pytest.approx(5 / 6)            # ... but counts in N

    def test_empty(self):
        fi = bk.frequent_itemsets(pd.DataFrame({"invoice": [], "item": []}), min_support=0.5)
        assert fi.empty and fi.attrs["n_baskets"] == 0
        assert bk.association_rules(fi).empty


class TestAssociationRules:
    @pytest.fixture
    def rules(self, items):
        return bk.association_rules(bk.frequent_itemsets(items, min_support=0.4))

    def test_metrics_by_hand(self, rules):
        r = rule(rules, ("Onion",), ("Eggs",))               # n(Onion) = 3, n(Eggs) = 4, n(both) = 3, N = 5
        assert r["support"] == pytest.approx(0.6)
        assert r["confidence"] == pytest.approx(1.0)
        assert r["lift"] == pytest.approx(1.0 / 0.8)
        assert r["leverage"] == pytest.approx(0.6 - 0.6 * 0.8)
        assert math.isinf(r["conviction"])
        r = rule(rules, ("Eggs",), ("Onion",))
        assert r["confidence"] == pytest.approx(0.75) and r["lift"] == pytest.approx(1.25)
        assert r["conviction"] == pytest.approx((1 - 0.6) / (1 - 0.75))
        r = rule(rules, ("Milk",), ("Yogurt",))              # baskets 1 and 4
        assert r["support"] == pytest.approx(0.4) and r["confidence"] == pytest.approx(2 / 3)
        assert r["lift"] == pytest.approx((2 / 3) / 0.6) and r["conviction"] == pytest.approx(0.4 / (1 / 3))
        assert r["count"] == 2 and r["n_baskets"] == 5
        r = rule(rules, ("Eggs", "Onion"), ("KidneyBeans",))  # KidneyBeans is in every basket: lift 1
        assert r["confidence"] == pytest.approx(1.0) and r["lift"] == pytest.approx(1.0)
        assert r["leverage"] == pytest.approx(0.0)

    def test_thresholds(self, items):
        fi = bk.frequent_itemsets(items, min_support=0.4)
        r = bk.association_rules(fi, min_confidence=0.9, min_lift=1.1)
        assert (r["confidence"] >= 0.9).all() and (r["lift"] >= 1.1).all()
        assert ("Onion",) in set(r["antecedents"]) and ("Eggs",) not in set(r["antecedents"])


class TestPairRules:
    def test_counts_and_metrics_by_hand(self, lines):
        p = bk.pair_rules(bk.basket_items(lines), min_count=2).set_index(["antecedent", "consequent"])
        r = p.loc[("Eggs", "Onion")]
        assert (r["count_a"], r["count_c"], r["count"], r["n_baskets"]) == (4, 3, 3, 5)
        assert r["confidence"] == pytest.approx(0.75) and r["lift"] == pytest.approx(1.25)
        assert r["conviction"] == pytest.approx(1.6) and r["leverage"] == pytest.approx(0.12)
        assert math.isinf(p.loc[("Onion", "Eggs"), "conviction"])
        assert ("Dill", "Onion") not in p.index                 # together in one basket only

    def test_equal_mlxtend_pairs_on_the_fixture(self, items, duck):
        mx = bk.pairs_from_rules(bk.association_rules(bk.frequent_itemsets(items, min_support=0.2, max_len=2)))
        en = bk.pair_rules(items, min_count=1, con=duck)
        self._same(mx, en)

    @staticmethod
    def _same(mx: pd.DataFrame, en: pd.DataFrame):
        assert len(mx) > 0
        key = ["antecedent", "consequent"]
        assert set(map(tuple, mx[key].to_numpy())) == set(map(tuple, en[key].to_numpy()))
        m = mx.merge(en, on=key, suffixes=("_mx", "_en"))
        for c in ("count_a", "count_c", "count", "n_baskets"):
            assert (m[f"{c}_mx"] == m[f"{c}_en"]).all(), c
        for c in bk.METRICS:
            np.testing.assert_allclose(m[f"{c}_mx"], m[f"{c}_en"], rtol=1e-12, err_msg=c)

    @pytest.mark.slow
    def test_equal_mlxtend_pairs_on_synthetic_data(self, default_items, duck):
        # at 0.3 % support (51 of 17,033 baskets) both sides must find exactly the same pairs
        fi = bk.frequent_itemsets(default_items, min_support=0.003, max_len=2)
        mx = bk.pairs_from_rules(bk.association_rules(fi))
        en = bk.pair_rules(default_items, min_support=0.003, con=duck)
        self._same(mx, en)

    @pytest.mark.slow
    @pytest.mark.spark
    def test_spark_gives_the_same_pairs(self, items, spark_con, duck):
        self._same(bk.pair_rules(items, min_count=1, con=duck), bk.pair_rules(items, min_count=1, con=spark_con))


class TestFilterAndLabel:
    @pytest.fixture
    def rules(self, items):
        return bk.association_rules(bk.frequent_itemsets(items, min_support=0.4))

    def test_filter_and_sort(self, rules):
        f = bk.filter_rules(rules, min_confidence=0.7, min_lift=1.2, sort_by="support", top=3)
        assert len(f) <= 3 and (f["confidence"] >= 0.7).all() and (f["lift"] >= 1.2).all()
        assert list(f["support"]) == sorted(f["support"], reverse=True)
        with pytest.raises(ValueError, match="sort_by 'zhang' must be one of"):
            bk.filter_rules(rules, sort_by="zhang")

    def test_one_direction_keeps_the_more_confident_rule(self, rules):
        f = bk.filter_rules(rules, one_direction=True)
        keys = [tuple(sorted(a + c)) for a, c in zip(f["antecedents"], f["consequents"])]
        assert len(keys) == len(set(keys))
        assert rule(f, ("Onion",), ("Eggs",))["confidence"] == 1.0    # not Eggs -> Onion (0.75)

    def test_label_with_names(self, rules):
        cat = pd.DataFrame({"item": ["Onion", "Eggs"], "name": ["Red onion", "Free-range eggs"]})
        lab = bk.label_rules(rules, cat)
        r = lab[(lab["antecedents"] == ("Onion",)) & (lab["consequents"] == ("Eggs",))].iloc[0]
        assert r["if_bought"] == "Red onion (Onion)" and r["then_offer"] == "Free-range eggs (Eggs)"
        two = lab[lab["antecedents"] == ("Eggs", "Onion")].iloc[0]
        assert two["if_bought"] == "Free-range eggs (Eggs) + Red onion (Onion)"


class TestCooccurrenceMatrix:
    def test_square_and_symmetric_lift(self, items, duck):
        m = bk.cooccurrence_matrix(bk.pair_rules(items, min_count=1, con=duck), top=4)
        assert list(m.index) == list(m.columns) and len(m) == 4
        off = ~np.eye(4, dtype=bool)
        np.testing.assert_allclose(m.to_numpy()[off], m.to_numpy().T[off])     # lift(A->C) = lift(C->A)


@pytest.mark.slow
class TestSyntheticTruth:
    def test_planted_bundles_are_the_top_itemsets(self, default_run, default_items):
        # 8 planted pairs + 3 planted triples, whose 9 sub-pairs are frequent too: 20 itemsets made by the
        # generator. Every other product is drawn independently given the customer type and month, so its
        # pairs have lift near 1, far below a bundle's (P(partner | head) >= 0.5 against supports of 1-3 %).
        bundles = default_run.synthetic_truth()["bundles"]
        rules = bk.association_rules(bk.frequent_itemsets(default_items, min_support=0.005, max_len=3))
        top = bk.filter_rules(rules, sort_by="lift", one_direction=True)
        ranks = bk.planted_bundle_ranks(top, bundles)
        assert ranks["rank"].notna().all() and (ranks["rank"] <= 20).all(), ranks
        planted = [frozenset(b["products"]) for b in bundles]
        for a, c in zip(top["antecedents"].head(20), top["consequents"].head(20)):
            assert any(frozenset(a + c) <= p for p in planted), (a, c)


class TestOneHotAndPairsFromRules:
    def test_one_hot_marks_the_items_of_each_basket(self, items):
        m = bk.one_hot(items)
        assert m.shape == (5, 11) and m.dtypes.eq(bool).all()
        # column sums are the baskets holding each item (see the fixture's header)
        assert m.sum().to_dict() == {"Apple": 1, "Corn": 2, "Dill": 1, "Eggs": 4, "IceCream": 1, "KidneyBeans": 5,
                                     "Milk": 3, "Nutmeg": 2, "Onion": 3, "Unicorn": 1, "Yogurt": 3}
        assert m.loc["3"].sum() == 4 and m.loc["5", "Onion"]

    def test_one_hot_on_a_given_item_list_drops_the_others(self, items):
        m = bk.one_hot(items, item_list=["Milk", "Tea"])
        assert list(m.columns) == ["Milk", "Tea"] and m["Milk"].tolist() == [True, False, True, True, False]
        assert not m["Tea"].any()

    def test_pairs_from_rules_counts_back_from_supports(self, items):
        p = bk.pairs_from_rules(bk.association_rules(bk.frequent_itemsets(items, min_support=0.4)))
        assert list(p.columns) == bk.PAIR_COLUMNS
        r = p.set_index(["antecedent", "consequent"]).loc[("Milk", "Yogurt")]
        # baskets: Milk 3, Yogurt 3, both 2 (1 and 4) of 5
        assert (r["count_a"], r["count_c"], r["count"], r["n_baskets"]) == (3, 3, 2, 5)
        assert list(p["lift"]) == sorted(p["lift"], reverse=True)     # strongest first


class TestPlantedBundleRanks:
    def test_rank_of_the_rule_on_exactly_the_bundle(self):
        rules = pd.DataFrame({"antecedents": [("a",), ("b",), ("a", "b"), ("x",)],
                              "consequents": [("b",), ("a",), ("c",), ("y",)],
                              "lift": [5.0, 4.0, 3.0, 2.0], "confidence": [0.9, 0.8, 0.7, 0.6]})
        bundles = [{"products": ["b", "a"], "descriptions": ["Bread", "Butter"]},
                   {"products": ["a", "b", "c"]}, {"products": ["q", "r"]}]
        r = bk.planted_bundle_ranks(rules, bundles)
        assert r["bundle"].tolist() == ["Bread + Butter", "a + b + c", "q + r"]
        assert r["size"].tolist() == [2, 3, 2]
        assert r["rank"].iloc[:2].tolist() == [1, 3] and np.isnan(r["rank"].iloc[2])   # best rank: a -> b, not b -> a
        assert r["lift"].iloc[0] == 5.0 and r["confidence"].iloc[1] == 0.7

    def test_pair_rules_are_ranked_too(self):
        pairs = pd.DataFrame({"antecedent": ["x", "a"], "consequent": ["y", "b"], "lift": [2.0, 1.5],
                              "confidence": [0.5, 0.4]})
        assert bk.planted_bundle_ranks(pairs, [{"products": ["a", "b"]}])["rank"].tolist() == [2]
