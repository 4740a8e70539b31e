"""Market baskets, rules and next best offers against hand computation and the synthetic shop's truth."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import paths, pipeline
from helpers.config import load_config
from helpers.io.engine import table
from helpers.models import baskets as bk
from tests.fixtures import make_lines

# The five baskets of mlxtend's association-rules guide (mlxtend/frequent_patterns/tests):
#   1: Milk Onion Nutmeg KidneyBeans Eggs Yogurt      (customer A)
#   2: Dill Onion Nutmeg KidneyBeans Eggs Yogurt      (customer B)
#   3: Milk Apple KidneyBeans Eggs                    (customer A)
#   4: Milk Unicorn Corn KidneyBeans Yogurt           (guest)
#   5: Corn Onion Onion KidneyBeans IceCream Eggs     (customer B; Onion on two lines)
# Baskets holding each item: KidneyBeans 5, Eggs 4, Onion 3, Milk 3, Yogurt 3, Nutmeg 2, Corn 2,
# Dill/Apple/Unicorn/IceCream 1.
BASKETS = {
    "1": ("A", "2023-01-02", ["Milk", "Onion", "Nutmeg", "KidneyBeans", "Eggs", "Yogurt"]),
    "2": ("B", "2023-01-03", ["Dill", "Onion", "Nutmeg", "KidneyBeans", "Eggs", "Yogurt"]),
    "3": ("A", "2023-01-04", ["Milk", "Apple", "KidneyBeans", "Eggs"]),
    "4": (None, "2023-01-05", ["Milk", "Unicorn", "Corn", "KidneyBeans", "Yogurt"]),
    "5": ("B", "2023-01-06", ["Corn", "Onion", "Onion", "KidneyBeans", "IceCream", "Eggs"]),
}


def basket_lines(baskets=BASKETS, price=2.0) -> pd.DataFrame:
    rows, i = [], 0
    for inv, (cust, day, products) in baskets.items():
        for p in products:
            rows.append((i, inv, f"{day} 10:{i % 60:02d}", cust, p, 1, price))
            i += 1
    df = make_lines(rows)
    df["description"] = df["product_id"].str.upper()
    df["country"] = np.where(df["invoice"].isin(["1", "2"]), "UK", "FR")
    return df


@pytest.fixture
def lines(duck):
    return table(duck, basket_lines())


@pytest.fixture
def items(lines):
    return bk.basket_items(lines).execute()


@pytest.fixture(scope="module")
def default_run():
    """The default synthetic shop (5,000 customers, two years, planted bundles)."""
    return pipeline.prepare(load_config(paths.CONFIGS / "default.yaml"), progress=False)


@pytest.fixture(scope="module")
def default_items(default_run):
    from helpers.io.engine import connect

    con = connect(default_run.config.engine)
    return bk.basket_items(default_run.table(con)).execute()


def rule(rules: pd.DataFrame, a: tuple, c: tuple) -> pd.Series:
    hit = rules[(rules["antecedents"] == a) & (rules["consequents"] == c)]
    assert len(hit) == 1, f"rule {a} -> {c} not found once"
    return hit.iloc[0]


# --------------------------------------------------------------------------------------
class TestBasketItems:
    def test_one_row_per_basket_and_item(self, items):
        assert len(items) == 26                                   # 27 lines, Onion twice in basket 5
        five = items[items["invoice"] == "5"].set_index("item")
        assert five.loc["Onion", "quantity"] == 2 and five.loc["Onion", "amount"] == pytest.approx(4.0)
        assert items.loc[items["invoice"] == "4", "customer_id"].isna().all()   # the guest basket is kept

    def test_first_line_keeps_the_order_items_were_added(self, items):
        three = items[items["invoice"] == "3"].sort_values("first_line")
        assert list(three["item"]) == ["Milk", "Apple", "KidneyBeans", "Eggs"]

    def test_filters(self, lines):
        rare_dropped = bk.basket_items(lines, min_item_baskets=2).execute()
        assert not set(rare_dropped["item"]) & {"Dill", "Apple", "Unicorn", "IceCream"}
        assert set(bk.basket_items(lines, country="UK").execute()["invoice"]) == {"1", "2"}
        sized = bk.basket_items(lines, min_basket_size=5, max_basket_size=5).execute()
        assert set(sized["invoice"]) == {"4", "5"}                # 5 distinct items each

    def test_size_filter_counts_items_after_dropping_rare_ones(self, lines):
        # basket 3 keeps Milk, KidneyBeans, Eggs (Apple is in one basket only): 3 items
        t = bk.basket_items(lines, min_item_baskets=2, min_basket_size=4).execute()
        assert "3" not in set(t["invoice"]) and {"1", "2"} <= set(t["invoice"])

    def test_errors(self, lines):
        with pytest.raises(ValueError, match="no 'brand' column"):
            bk.basket_items(lines, item="brand")
        with pytest.raises(ValueError, match="must be at least 1"):
            bk.basket_items(lines, min_item_baskets=0)
        with pytest.raises(ValueError, match="max_basket_size 2 is below min_basket_size 3"):
            bk.basket_items(lines, min_basket_size=3, max_basket_size=2)


class TestItemCatalogue:
    def test_median_price_and_most_frequent_description(self, duck):
        rows = [(0, "1", "2023-01-01", "A", "P1", 1, 2.0), (1, "2", "2023-01-02", "A", "P1", 3, 2.0),
                (2, "3", "2023-01-03", "B", "P1", 1, 5.0), (3, "4", "2023-01-04", "B", "P2", 2, 1.0)]
        df = make_lines(rows)
        df["description"] = ["MUG", "MUG", "MUG RED", "PLATE"]
        cat = bk.item_catalogue(table(duck, df)).set_index("item")
        assert cat.loc["P1", "price"] == 2.0                   # unit prices 2, 2, 5: median 2
        assert cat.loc["P1", "value_per_line"] == 5.0          # line amounts 2, 6, 5: median 5
        assert cat.loc["P1", "name"] == "MUG" and cat.loc["P1", "lines"] == 3
        assert cat.loc["P1", "revenue"] == pytest.approx(13.0) and cat.loc["P2", "units"] == 2


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


# --------------------------------------------------------------------------------------
# next best offer
HISTORY = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "item": ["Onion", "Milk", "Eggs", "Tea"]})
RULES = pd.DataFrame({
    "antecedent": ["Onion", "Milk", "Milk", "Eggs", "Eggs", "Tea"],
    "consequent": ["Eggs", "Eggs", "Yogurt", "Onion", "Milk", "Cake"],
    "confidence": [1.0, 0.5, 0.2, 0.75, 0.5, 0.4],
    "lift": [1.25, 1.1, 1.5, 1.25, 0.8, 0.9],          # Eggs -> Milk and Tea -> Cake: lift <= 1, never used
})
POPULAR = pd.DataFrame({"group": ["all"] * 4, "item": ["Bread", "Eggs", "Milk", "Jam"],
                        "customers": [9, 8, 7, 6], "share": [0.9, 0.8, 0.7, 0.6], "rank": [1, 2, 3, 4]})


class TestNextBestOffers:
    def test_tied_rules_give_the_same_reason_whatever_the_history_order(self):
        # Onion -> Eggs and Milk -> Eggs are equally strong: the reason names the first antecedent by name,
        # however the engine happened to order the customer's history
        rules = RULES.assign(confidence=[0.5, 0.5, 0.2, 0.75, 0.5, 0.4], lift=[1.1, 1.1, 1.5, 1.25, 0.8, 0.9])
        reasons = {bk.next_best_offers(h, rules, k=1, popular=POPULAR)["reason"].iloc[0]
                   for h in (HISTORY, HISTORY.iloc[::-1].reset_index(drop=True))}
        assert len(reasons) == 1 and reasons.pop().startswith("bought “Milk” -> 50%")

    def test_rules_then_popularity(self):
        o = bk.next_best_offers(HISTORY, RULES, k=2, popular=POPULAR)
        a = o[o["customer_id"] == "A"]
        # A bought Onion and Milk: Eggs (Onion -> Eggs, 1.0; Milk -> Eggs agrees), Yogurt (0.2)
        assert list(a["item"]) == ["Eggs", "Yogurt"] and list(a["score"]) == [1.0, 0.2]
        assert list(a["source"]) == ["rule", "rule"] and list(a["rank"]) == [1, 2]
        assert a["reason"].iloc[0].startswith("bought “Onion” -> 100% of those baskets also hold “Eggs” (lift 1.2)")
        assert "1 more rule agree" in a["reason"].iloc[0]
        b = o[o["customer_id"] == "B"]
        # B bought Eggs: Onion by rule; Eggs -> Milk has lift 0.8, so the second offer is popular Bread
        assert list(b["item"]) == ["Onion", "Bread"] and list(b["source"]) == ["rule", "popularity"]
        assert b["score"].iloc[1] == 0.9 and "no rule fired" in b["reason"].iloc[1]
        c = o[o["customer_id"] == "C"]                         # no rule with lift > 1 fires for Tea
        assert list(c["item"]) == ["Bread", "Eggs"]

    def test_never_offers_what_was_bought(self):
        o = bk.next_best_offers(HISTORY, RULES, k=4, popular=POPULAR)
        bought = set(map(tuple, HISTORY.to_numpy()))
        assert not any((c, i) in bought for c, i in zip(o["customer_id"], o["item"]))
        again = bk.next_best_offers(HISTORY, RULES, k=4, popular=POPULAR, exclude_bought=False)
        b = again[again["customer_id"] == "B"]
        assert "Eggs" in set(b["item"])                        # popular, and B may buy it again

    def test_noisy_or_combines_agreeing_rules(self):
        o = bk.next_best_offers(HISTORY, RULES, k=1, popular=POPULAR, scoring="noisy_or")
        # A: Onion -> Eggs (1.0) and Milk -> Eggs (0.5): 1 - 0 * 0.5 = 1
        assert o.set_index("customer_id").loc["A", "score"] == pytest.approx(1.0)
        rules = RULES.assign(confidence=[0.5, 0.2, 0.1, 0.75, 0.5, 0.4])
        o = bk.next_best_offers(HISTORY, rules, k=1, popular=POPULAR, scoring="noisy_or")
        assert o.set_index("customer_id").loc["A", "score"] == pytest.approx(1 - 0.5 * 0.8)

    def test_popularity_within_the_customers_group(self):
        history = pd.DataFrame({"customer_id": ["u1", "u2", "u3", "f1", "f2", "f3"],
                                "item": ["Tea", "Tea", "Scone", "Wine", "Wine", "Cheese"]})
        groups = pd.DataFrame({"customer_id": ["u1", "u2", "u3", "f1", "f2", "f3"],
                               "group": ["UK", "UK", "UK", "FR", "FR", "FR"]})
        pop = bk.popularity(history, customer_groups=groups, min_group_customers=3)
        uk = pop[pop["group"] == "UK"].set_index("item")
        assert uk.loc["Tea", "share"] == pytest.approx(2 / 3) and uk.loc["Tea", "rank"] == 1
        o = bk.popularity_offers(history, k=1, popular=pop, customer_groups=groups)
        o = o.set_index("customer_id")["item"]
        assert o["u3"] == "Tea" and o["f3"] == "Wine"           # each from their own country
        small = bk.popularity(history, customer_groups=groups, min_group_customers=4)
        assert set(small["group"]) == {"all"}                   # groups too small: everyone together

    def test_errors(self):
        with pytest.raises(ValueError, match="k = 0 must be at least 1"):
            bk.next_best_offers(HISTORY, RULES, k=0)
        with pytest.raises(ValueError, match="scoring 'sum' must be 'max' or 'noisy_or'"):
            bk.next_best_offers(HISTORY, RULES, scoring="sum")


class TestExpectedValueAndExport:
    def test_expected_value_by_hand(self):
        offers = pd.DataFrame({"customer_id": ["A", "A"], "rank": [1, 2], "item": ["Eggs", "Wine"],
                               "name": ["Eggs", "Wine"], "score": [0.5, 0.1], "source": ["rule", "rule"],
                               "reason": ["r1", "r2"], "confidence": [0.5, 0.1], "lift": [2.0, 3.0]})
        cat = pd.DataFrame({"item": ["Eggs", "Wine"], "value_per_line": [2.0, 40.0]})
        ev = bk.expected_value(offers, cat, margin_rate=0.3).set_index("item")
        assert ev.loc["Eggs", "expected_value"] == pytest.approx(0.5 * 2.0 * 0.3)
        assert ev.loc["Wine", "expected_value"] == pytest.approx(0.1 * 40.0 * 0.3)
        assert ev.loc["Wine", "ev_rank"] == 1 and ev.loc["Eggs", "ev_rank"] == 2   # 1.2 beats 0.3
        with pytest.raises(ValueError, match=r"margin_rate 0 must be in \(0, 1\]"):
            bk.expected_value(offers, cat, margin_rate=0)

    def test_offer_table_masks_ids(self):
        offers = bk.next_best_offers(HISTORY, RULES, k=2, popular=POPULAR)
        plain = bk.offer_table(offers)
        assert list(plain.columns[:7]) == ["customer_id", "product_id", "description", "rank", "reason", "score",
                                           "source"]
        masked = bk.offer_table(offers, mask_ids=True)
        assert masked["customer_id"].str.match(r"^C-[0-9a-f]{12}$").all()
        assert not set(masked["customer_id"]) & set(HISTORY["customer_id"])
        assert (masked["product_id"] == plain["product_id"]).all()
        with pytest.raises(ValueError, match="rank_by 'ev_rank' is not a column"):
            bk.offer_table(offers, rank_by="ev_rank")


# --------------------------------------------------------------------------------------
# offline evaluation
class TestHoldout:
    def test_last_basket_is_held_out_of_everything(self, items):
        s = bk.holdout_last_basket(items)
        # A: baskets 1 then 3 -> 3 held out; B: 2 then 5 -> 5 held out; the guest basket 4 is not evaluated
        assert set(s.holdout["invoice"]) == {"3", "5"} and set(s.customers) == {"A", "B"}
        assert not set(s.holdout["invoice"]) & set(s.history["invoice"])
        assert not set(s.holdout["invoice"]) & set(s.mining["invoice"])
        assert set(s.history["invoice"]) == {"1", "2"} and set(s.mining["invoice"]) == {"1", "2", "4"}
        trig = s.trigger.set_index("customer_id")["item"]
        assert trig["A"] == "Milk" and trig["B"] == "Corn"        # the first line of each held-out basket

    def test_a_pair_seen_only_in_held_out_baskets_cannot_be_offered(self, duck):
        # Apple and Cake meet only in the held-out last baskets of X and Y: no rule may know them
        b = {"1": ("X", "2023-01-01", ["Tea", "Milk"]), "2": ("X", "2023-01-09", ["Apple", "Cake"]),
             "3": ("Y", "2023-01-02", ["Tea", "Apple"]), "4": ("Y", "2023-01-08", ["Apple", "Cake"]),
             "5": (None, "2023-01-03", ["Tea", "Milk"])}
        items = bk.basket_items(table(duck, basket_lines(b))).execute()
        ev = bk.offline_evaluation(items, k=1, min_count=1, protocols=("basket_completion",), con=duck)
        rules = ev.attrs["rules"]
        assert not ((rules["antecedent"] == "Apple") & (rules["consequent"] == "Cake")).any()
        assert ev.set_index("method").loc["rules", "hits"] == 0

    @pytest.mark.slow
    def test_no_leak_on_synthetic_data(self, default_items):
        s = bk.holdout_last_basket(default_items)
        held = set(s.holdout["invoice"])
        assert held and not held & set(s.history["invoice"]) and not held & set(s.mining["invoice"])
        last = s.holdout.groupby("customer_id")["invoice_ts"].min()
        before = s.history.groupby("customer_id")["invoice_ts"].max()
        assert (before.reindex(last.index) <= last).all()        # the history is never after the held-out basket


class TestEvaluateOffers:
    def test_metrics_by_hand(self):
        holdout = pd.DataFrame({"customer_id": ["A", "A", "A", "A", "B", "B"],
                                "item": ["x", "y", "z", "w", "p", "q"]})
        offers = pd.DataFrame({"customer_id": ["A", "A", "B", "B"], "rank": [1, 2, 1, 2],
                               "item": ["x", "y", "r", "s"]})
        e = bk.evaluate_offers(offers, holdout, k=2)
        assert e["customers"] == 2 and e["hits"] == 2
        assert e["hit_rate"] == 0.5                                # A hit, B not
        assert e["precision_at_k"] == pytest.approx((2 / 2 + 0 / 2) / 2)
        assert e["recall_at_k"] == pytest.approx((2 / 4 + 0 / 2) / 2)
        assert e["hit_rate_se"] == pytest.approx(math.sqrt(0.25 / 2))

    def test_unknown_protocol(self, items):
        with pytest.raises(ValueError, match=r"unknown protocol\(s\) \['weekly'\]"):
            bk.offline_evaluation(items, protocols=("weekly",))


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

    def test_rules_beat_popularity_at_basket_completion(self, default_items):
        # with a bundle head in the cart its partners follow with probability 0.5-0.65; popularity cannot know
        # that. The margin must exceed two standard errors of the difference.
        ev = bk.offline_evaluation(default_items, k=5, min_count=3, protocols=("basket_completion",))
        e = ev.set_index("method")
        diff = e.loc["rules", "hit_rate"] - e.loc["popularity", "hit_rate"]
        se = math.hypot(e.loc["rules", "hit_rate_se"], e.loc["popularity", "hit_rate_se"])
        assert diff > 2 * se, ev
        assert e.loc["rules", "recall_at_k"] > e.loc["popularity", "recall_at_k"]
        assert ev.attrs["rule_share"]["basket_completion"] > 0.5      # the rules, not the fill-up, did it
