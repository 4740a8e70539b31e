"""Next best offers, popularity, expected value and the offer export, on hand-made histories and rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.io.engine import table
from helpers.models import baskets as bk
from helpers.phrase import Number, Phrase, Share
from tests.fixtures import make_lines

# a hand-made history, pair rules and popularity table
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
        reasons = {i18n.say(bk.next_best_offers(h, rules, k=1, popular=POPULAR)["reason"].iloc[0], "en")
                   for h in (HISTORY, HISTORY.iloc[::-1].reset_index(drop=True))}
        assert len(reasons) == 1 and reasons.pop().startswith("bought “Milk” -> 50 %")

    def test_rules_then_popularity(self):
        o = bk.next_best_offers(HISTORY, RULES, k=2, popular=POPULAR)
        a = o[o["customer_id"] == "A"]
        # A bought Onion and Milk: Eggs (Onion -> Eggs, 1.0; Milk -> Eggs agrees), Yogurt (0.2)
        assert list(a["item"]) == ["Eggs", "Yogurt"] and list(a["score"]) == [1.0, 0.2]
        assert list(a["source"]) == ["rule", "rule"] and list(a["rank"]) == [1, 2]
        assert a["reason"].iloc[0] == Phrase("rsn_rule", bought="“Onion”", share=Share(1.0, 0), then="“Eggs”",
                                             lift=Number(1.25, 1), more=Phrase("rsn_more_rule", n=1))
        assert i18n.say(a["reason"].iloc[0], "en") == ("bought “Onion” -> 100 % of those baskets also hold “Eggs” (lift 1.2); "
                                                      "1 more rule agrees")
        b = o[o["customer_id"] == "B"]
        # B bought Eggs: Onion by rule; Eggs -> Milk has lift 0.8, so the second offer is popular Bread
        assert list(b["item"]) == ["Onion", "Bread"] and list(b["source"]) == ["rule", "popularity"]
        assert b["score"].iloc[1] == 0.9 and b["reason"].iloc[1] == Phrase("rsn_popular", share=Share(0.9, 0))
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



class TestCustomerHistoryAndGroups:
    def test_history_is_distinct_pairs_of_known_customers(self):
        items = pd.DataFrame({"invoice": ["1", "1", "2", "3", "4"], "item": ["Tea", "Milk", "Tea", "Tea", "Jam"],
                              "customer_id": ["A", "A", "A", None, "B"]})
        h = bk.customer_history(items)
        # A bought Tea in two baskets: one pair; the guest's basket 3 is left out
        assert sorted(map(tuple, h.to_numpy())) == [("A", "Milk"), ("A", "Tea"), ("B", "Jam")]
        assert h["customer_id"].dtype == "string" and list(h.index) == [0, 1, 2]

    def test_group_is_the_most_frequent_value_by_lines(self, duck):
        rows = [(0, "1", "2023-01-02", "A", "P1", 1, 1.0), (1, "1", "2023-01-02", "A", "P2", 1, 1.0),
                (2, "2", "2023-01-03", "A", "P1", 1, 1.0), (3, "3", "2023-01-04", "B", "P1", 1, 1.0),
                (4, "4", "2023-01-05", "B", "P1", 1, 1.0), (5, "5", "2023-01-06", None, "P1", 1, 1.0),
                (6, "6", "2023-01-07", "C", "P1", 1, 1.0)]
        df = make_lines(rows)
        # A: two lines in FR, one in UK -> FR; B: one each -> the first by name (FR); C has no country
        df["country"] = pd.array(["FR", "FR", "UK", "UK", "FR", "DE", None], dtype="string")
        g = bk.customer_groups_from_lines(table(duck, df)).set_index("customer_id")["group"].to_dict()
        assert g == {"A": "FR", "B": "FR"}


@pytest.mark.slow
def test_offers_in_customer_chunks_equal_the_offers_in_one_go(default_items, monkeypatch):
    """A memory bound, not another answer: scored a few thousand candidate rows at a time, every customer gets the
    same offers, in the same order, with the same reasons."""
    from helpers.models.baskets import offers as offers_module

    history = bk.customer_history(default_items)
    rules = bk.pair_rules(default_items, min_count=3)
    groups = pd.DataFrame({"customer_id": history["customer_id"].drop_duplicates().to_numpy()}).assign(
        group=lambda t: np.where(t.index % 2 == 0, "north", "south"))
    whole = bk.next_best_offers(history, rules, k=5, customer_groups=groups)
    monkeypatch.setattr(offers_module, "MAX_CANDIDATES", 5_000)
    chunks, split = [], offers_module._customer_chunks
    monkeypatch.setattr(offers_module, "_customer_chunks", lambda *a: chunks.append(split(*a)) or chunks[-1])
    chunked = bk.next_best_offers(history, rules, k=5, customer_groups=groups)
    assert len(chunks[0]) > 10                            # really split, in order, covering every code
    assert all(lo < hi for lo, hi in chunks[0]) and [hi for _, hi in chunks[0][:-1]] == [lo for lo, _ in chunks[0][1:]]
    pd.testing.assert_frame_equal(whole.drop(columns="reason"), chunked.drop(columns="reason"))
    assert whole["reason"].tolist() == chunked["reason"].tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("max_rules_per_item", [50, 2])
def test_rule_offers_equal_a_plain_pandas_reading_of_the_definition(seed, max_rules_per_item):
    """Random histories and rules (ties in confidence and lift on purpose): each customer's rule offers are the
    products they have not bought that a rule from a bought product points to, scored by the strongest such rule
    (confidence, then lift, then the antecedent's id), ordered by score, rules agreeing, lift, product id; the
    first k. Computed here with a merge and a groupby, apart from the project's arrays and sort keys."""
    rng = np.random.default_rng(seed)
    products = [f"P{i:02d}" for i in range(25)]
    history = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in rng.integers(0, 80, 400)],
                            "item": rng.choice(products, 400)}).drop_duplicates(ignore_index=True)
    pairs = pd.DataFrame([(a, c) for a in products for c in products if a != c and rng.random() < 0.3],
                         columns=["antecedent", "consequent"])
    rules = pairs.assign(confidence=rng.choice([0.1, 0.2, 0.3, 0.5], len(pairs)),
                         lift=rng.choice([0.9, 1.2, 1.5, 2.0], len(pairs)))
    k = 3
    got = bk.next_best_offers(history, rules, k=k, popular=POPULAR.iloc[:0], max_rules_per_item=max_rules_per_item)

    r = rules[rules["lift"] > 1.0].sort_values(["antecedent", "confidence", "lift"], ascending=[True, False, False])
    r = r.groupby("antecedent").head(max_rules_per_item)
    cand = history.merge(r, left_on="item", right_on="antecedent")
    bought = set(zip(history["customer_id"], history["item"]))
    cand = cand[[(cu, x) not in bought for cu, x in zip(cand["customer_id"], cand["consequent"])]]
    cand = cand.sort_values(["customer_id", "consequent", "confidence", "lift", "antecedent"],
                            ascending=[True, True, False, False, True])
    best = cand.groupby(["customer_id", "consequent"], sort=False).agg(
        antecedent=("antecedent", "first"), score=("confidence", "first"), lift=("lift", "first"),
        agreeing=("antecedent", "size")).reset_index()
    best = best.sort_values(["customer_id", "score", "agreeing", "lift", "consequent"],
                            ascending=[True, False, False, False, True])
    expected = best.groupby("customer_id").head(k).reset_index(drop=True)
    assert len(expected) > 50
    rule_offers = got[got["source"] == "rule"].reset_index(drop=True)
    assert rule_offers["customer_id"].astype(str).tolist() == expected["customer_id"].tolist()
    assert rule_offers["item"].astype(str).tolist() == expected["consequent"].tolist()
    np.testing.assert_array_equal(rule_offers["score"].to_numpy(), expected["score"].to_numpy())
    np.testing.assert_array_equal(rule_offers["lift"].to_numpy(), expected["lift"].to_numpy())
    said = [i18n.say(p, "en") for p in rule_offers["reason"]]
    assert all(f"\u201c{a}\u201d" in s for a, s in zip(expected["antecedent"], said))


def test_offers_sorted_on_two_keys_equal_the_combined_key(monkeypatch):
    """When the combined (customer, offer, rule strength) key could overflow int64, the offers are sorted on two
    keys instead: the same offers, in the same order, with the same reasons."""
    from helpers.models.baskets import offers as offers_module

    rng = np.random.default_rng(5)
    products = [f"P{i:02d}" for i in range(20)]
    history = pd.DataFrame({"customer_id": [f"C{i:02d}" for i in rng.integers(0, 40, 200)],
                            "item": rng.choice(products, 200)}).drop_duplicates(ignore_index=True)
    pairs = pd.DataFrame([(a, c) for a in products for c in products if a != c and rng.random() < 0.3],
                         columns=["antecedent", "consequent"])
    rules = pairs.assign(confidence=rng.choice([0.1, 0.3, 0.5], len(pairs)), lift=rng.choice([1.2, 2.0], len(pairs)))
    combined = bk.next_best_offers(history, rules, k=3, popular=POPULAR)
    monkeypatch.setattr(offers_module, "_MAX_KEY", 1)
    two_keys = bk.next_best_offers(history, rules, k=3, popular=POPULAR)
    assert (combined["source"] == "rule").sum() > 50
    pd.testing.assert_frame_equal(combined.drop(columns="reason"), two_keys.drop(columns="reason"))
    assert [i18n.say(p, "en") for p in combined["reason"]] == [i18n.say(p, "en") for p in two_keys["reason"]]
