"""Offline evaluation: the held-out last basket, hit rate and precision by hand, and rules against
popularity on the synthetic shop."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.io.engine import table
from helpers.models import baskets as bk
from tests.fixtures.market_baskets import basket_lines


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


    def test_above_the_limit_a_seeded_sample_is_evaluated_and_nothing_held_out_is_mined(self, default_items):
        full = bk.holdout_last_basket(default_items)
        n = len(full.customers)
        small = bk.sample_split(full, 300, random_state=1)
        assert len(small.customers) == 300 < n and bk.sample_split(full, n) is full
        assert set(small.history["customer_id"]) <= set(small.customers) and small.mining is full.mining
        assert not set(small.holdout["invoice"]) & set(small.mining["invoice"])
        assert small.customers.tolist() == bk.sample_split(full, 300, random_state=1).customers.tolist()
        ev = bk.offline_evaluation(default_items, k=5, min_count=3, protocols=("next_basket",), max_customers=300)
        assert ev.attrs["evaluable"] == n and ev["customers"].max() == 300
        everyone = bk.offline_evaluation(default_items, k=5, min_count=3, protocols=("next_basket",), max_customers=None)
        assert everyone["customers"].max() == n
        # the sample's hit rate estimates everyone's: within four standard errors of the sample
        rules = lambda e: e.set_index("method").loc["rules"]  # noqa: E731
        assert abs(rules(ev)["hit_rate"] - rules(everyone)["hit_rate"]) < 4 * rules(ev)["hit_rate_se"]


class TestOfflineEvaluationByHand:
    def test_a_rule_known_from_other_baskets_completes_the_held_out_basket(self, duck):
        # guests bought Tea with Milk three times (mining only); X's last basket starts with Tea and holds Milk.
        # Rules offer Milk (Tea -> Milk, 3 of 3 baskets); popularity knows only X's own Jam, which is excluded
        # as bought, so it offers nothing: rules hit 1 of 1 customers, popularity 0 of 1.
        b = {"1": (None, "2023-01-01", ["Tea", "Milk"]), "2": (None, "2023-01-02", ["Tea", "Milk"]),
             "3": (None, "2023-01-03", ["Tea", "Milk"]), "4": ("X", "2023-01-04", ["Jam"]),
             "5": ("X", "2023-01-09", ["Tea", "Milk"])}
        items = bk.basket_items(table(duck, basket_lines(b))).execute()
        ev = bk.offline_evaluation(items, k=1, min_count=2, protocols=("basket_completion",), con=duck)
        e = ev.set_index("method")
        assert list(ev.columns) == bk.EVAL_COLUMNS and e.loc["rules", "customers"] == 1
        assert (e.loc["rules", "hits"], e.loc["rules", "hit_rate"], e.loc["rules", "recall_at_k"]) == (1, 1.0, 1.0)
        assert (e.loc["popularity", "hits"], e.loc["popularity", "hit_rate"]) == (0, 0.0)
        assert ev.attrs["rule_share"]["basket_completion"] == 1.0
        r = ev.attrs["rules"].set_index(["antecedent", "consequent"])
        assert r.loc[("Tea", "Milk"), "count"] == 3 and r.loc[("Tea", "Milk"), "n_baskets"] == 4   # 3 guests + X's 4
