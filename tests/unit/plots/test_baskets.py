"""Tests of helpers.plots.baskets: rules, offers, evaluation, price tiers and basket values (notebook 06)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import baskets as bk
from helpers.models import upsell
from helpers.plots import baskets as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


@pytest.fixture
def items():
    """Six baskets: bread and butter together four times, jam with bread twice."""
    rows = [("1", "bread"), ("1", "butter"), ("2", "bread"), ("2", "butter"), ("3", "bread"), ("3", "butter"),
            ("3", "jam"), ("4", "bread"), ("4", "butter"), ("5", "bread"), ("5", "jam"), ("6", "milk")]
    return pd.DataFrame(rows, columns=["invoice", "item"]).assign(customer_id="c1")


@pytest.fixture
def catalogue():
    return pd.DataFrame({"item": ["bread", "butter", "jam", "milk"], "name": [EVIL, "Butter", "Jam", "Milk"],
                         "value_per_line": [2.0, 3.0, 4.0, 1.0]})


@pytest.fixture
def rules(items, catalogue):
    return bk.label_rules(bk.pair_rules(items, min_count=1), catalogue)


class TestTables:
    def test_rules_table_shows_the_top_rules_as_text(self, rules):
        html = plots.rules_table(rules, top=3).to_html()
        assert_escaped(html)
        assert i18n._("Top {n} rules", n=3) in html
        assert f"{rules['support'].iloc[0]:.2%}" in html

    def test_offers_table(self):
        offers = pd.DataFrame({"customer_id": ["c1"], "rank": [1], "name": [EVIL], "score": [0.25],
                               "expected_value": [1.5], "ev_rank": [1], "reason": ["bought x"]})
        html = plots.offers_table(offers, "GBP", caption="Offers").to_html()
        assert_escaped(html)
        assert "25.0%" in html and "1.50 GBP" in html and "Offers" in html


    def test_best_offers_table_is_each_customers_first_offer_by_expected_margin(self):
        offers = pd.DataFrame({"customer_id": ["c1", "c1", "c2", "c3", "c4"], "rank": [1, 2, 1, 1, 1],
                               "name": ["a", "b", "c", "d", "e"], "score": [0.2, 0.9, 0.1, 0.3, 0.3],
                               "expected_value": [5.0, 99.0, 7.0, 1.0, 1.0], "ev_rank": [2, 1, 1, 1, 1],
                               "reason": ["r"] * 5})
        shown = plots.best_offers_table(offers, "GBP").data
        assert shown["customer_id"].tolist() == ["c2", "c1", "c3", "c4"]           # c1's 99 is its second offer
        capped = plots.best_offers_table(offers, "GBP", most=2)
        assert capped.data["customer_id"].tolist() == ["c2", "c1"]
        assert i18n._("The {n} customers whose first offer has the highest expected margin (of {all}; every offer is in "
                      "the export)", n="2", all="4") in capped.to_html()


class TestRuleFigures:
    def test_scatter_support_and_confidence_in_percent(self, rules):
        fig = plots.support_confidence_scatter(rules)
        assert list(fig.data[0].x) == pytest.approx(list(rules["support"] * 100))
        assert list(fig.data[0].y) == pytest.approx(list(rules["confidence"] * 100))
        assert list(fig.data[0].marker.color) == pytest.approx(list(rules["lift"]))
        assert_labelled(fig, x="%", y="%")
        assert_escaped(fig)

    def test_scatter_keeps_at_most_max_points(self, rules):
        assert len(plots.support_confidence_scatter(rules, max_points=2).data[0].x) == 2

    def test_pair_heatmap_names_on_both_axes(self, items, catalogue):
        matrix = bk.cooccurrence_matrix(bk.pair_rules(items, min_count=1), top=3)
        names = dict(zip(catalogue["item"], catalogue["name"]))
        fig = plots.pair_heatmap(matrix, names, title="Pairs")
        z = np.array(fig.data[0].z, dtype=float)
        assert np.allclose(z, matrix.to_numpy(dtype=float), equal_nan=True)
        assert SHOWN in fig.data[0].x and SHOWN in fig.data[0].y
        assert_labelled(fig)
        assert_escaped(fig)

    def test_pair_heatmap_shortens_long_names(self):
        matrix = pd.DataFrame([[np.nan, 2.0], [2.0, np.nan]], index=["a", "b"], columns=["a", "b"])
        fig = plots.pair_heatmap(matrix, {"a": "x" * 60}, title="t")
        assert fig.data[0].x[0] == "x" * 29 + "…" and fig.data[0].x[1] == "b"


class TestEvaluation:
    def table(self):
        return pd.DataFrame({"protocol": ["next_basket"] * 2 + ["basket_completion"] * 2,
                             "method": ["rules", "popularity"] * 2, "customers": [40, 40, 30, 30], "k": 5,
                             "hit_rate": [0.5, 0.3, 0.4, 0.2], "precision_at_k": [0.1, 0.06, 0.08, 0.04],
                             "recall_at_k": [0.2, 0.1, 0.3, 0.1]})

    def test_one_panel_per_protocol_bars_in_percent(self):
        e = self.table()
        fig = plots.evaluation_bars(e)
        assert len(fig.data) == 4
        assert list(fig.data[0].y) == pytest.approx([50.0, 10.0, 20.0])
        assert list(fig.data[0].x) == [i18n._("hit rate"), "precision@5", "recall@5"]
        assert "%" in fig.layout.yaxis.title.text and "40" in fig.layout.xaxis.title.text
        assert "30" in fig.layout.xaxis2.title.text and fig.layout.title.text

    def test_empty_evaluation_gives_an_empty_figure(self):
        fig = plots.evaluation_bars(self.table().iloc[:0])
        assert len(fig.data) == 0 and fig.layout.title.text == i18n._("Offline evaluation of the top-{k} offers: rules against popularity", k=0)


class TestTiers:
    def test_price_ladder_one_box_per_tier(self):
        ladder = pd.DataFrame({"category": [EVIL, EVIL, "tea", "tea"], "price": [1.0, 4.0, 2.0, 8.0],
                               "name": ["a", "b", "c", "d"], "tier": [0, 1, 0, 1], "tier_name": ["good", "better"] * 2})
        fig = plots.price_ladder_box(ladder, "GBP")
        assert [list(tr.y) for tr in fig.data] == [[1.0, 2.0], [4.0, 8.0]]
        assert fig.layout.yaxis.type == "log"
        assert_labelled(fig, y="GBP")
        assert_escaped(fig)

    def test_tier_mix_stacked_shares(self):
        mix = pd.DataFrame({"category": [EVIL, "tea"], "spend": [50.0, 10.0], "share_t0": [0.25, 1.0],
                            "share_t1": [0.75, 0.0]})
        fig = plots.tier_mix_bars(mix, ["good", "better", "best"])
        assert len(fig.data) == 2                            # no share_t2 column: no third trace
        assert list(fig.data[1].x) == pytest.approx([0.0, 75.0])    # sorted by spend, tea first
        assert fig.layout.barmode == "stack"
        assert_labelled(fig, x="%")
        assert_escaped(fig)

    def test_tier_up_gain_per_category(self):
        by_cat = pd.DataFrame({"category": [EVIL, "tea"], "gain_one_up": [120.0, 30.0], "customers": [4, 2]})
        fig = plots.tier_up_bars(by_cat, "GBP", min_orders=3)
        assert list(fig.data[0].x) == [30.0, 120.0] and list(fig.data[0].y) == ["tea", SHOWN]
        assert fig.data[0].text[1].startswith("120 GBP")
        assert_labelled(fig, x="GBP")
        assert_escaped(fig)


class TestBasketValues:
    def test_threshold_and_its_reach_are_marked(self):
        values = pd.Series(np.linspace(5, 100, 200))
        table = upsell.threshold_table(values, reach=0.2)
        rec = table[table["recommended"]].iloc[0]
        fig = plots.basket_value_histogram(values, table, "GBP", reach=0.2)
        assert max(fig.data[0].x) == pytest.approx(values.quantile(0.99))
        assert fig.layout.shapes[1].x0 == rec["threshold"]
        assert any(str(int(rec["in_reach"])) in a.text for a in fig.layout.annotations)
        assert_labelled(fig, x="GBP")

    def test_no_baskets_give_an_empty_histogram(self):
        empty = pd.Series([], dtype=float)
        fig = plots.basket_value_histogram(empty, upsell.threshold_table(empty), "GBP", reach=0.2)
        assert len(fig.data[0].x) == 0 and not fig.layout.shapes
        assert_labelled(fig)


class TestOffersScatter:
    def test_one_trace_per_source(self):
        offers = pd.DataFrame({"source": ["rule", "rule", "popularity"], "score": [0.5, 0.2, 0.1],
                               "expected_value": [3.0, 1.0, 0.5], "name": [EVIL, "b", "c"]})
        fig = plots.offers_ev_scatter(offers, "GBP")
        assert [list(tr.x) for tr in fig.data] == [pytest.approx([50.0, 20.0]), pytest.approx([10.0])]
        assert list(fig.data[0].y) == [3.0, 1.0]
        assert_labelled(fig, x="%", y="GBP")
        assert_escaped(fig)

    def test_no_offers_give_an_empty_figure(self):
        offers = pd.DataFrame({"source": [], "score": [], "expected_value": [], "name": []})
        fig = plots.offers_ev_scatter(offers, "GBP")
        assert len(fig.data) == 0 and fig.layout.title.text


def test_basket_summary_table_labels_each_row(items):
    html = plots.basket_summary_table(bk.basket_summary(items)).to_html()
    assert i18n._("Baskets at a glance") in html
    assert i18n.label("baskets (invoices)", "bs_") in html and ">6<" in html      # six baskets


def test_category_pairs_table_and_heatmap(items):
    table, fig = plots.category_pairs(items, min_count=2, top=5)
    html = table.to_html()
    assert i18n._("Category pairs with the highest lift") in html and "bread" in html and "butter" in html
    assert "jam" in html and "milk" not in html                  # milk is never with another item
    assert fig.layout.title.text == i18n._("Lift between categories (1 = they meet in baskets as often as chance)")


def test_with_reasons_writes_each_reason_in_the_report_language():
    from helpers.phrase import Phrase, Share

    offers = pd.DataFrame({"customer_id": ["a", "b"], "reason": [Phrase("rsn_popular", share=Share(0.5, 0)),
                                                                 Phrase("rsn_more_rules", n=3)]})
    i18n.set_language("tr")
    try:
        shown = plots.with_reasons(offers)
    finally:
        i18n.set_language("en")
    assert list(shown["reason"]) == ["popüler: müşterilerin %50 oranı aldı (hiçbir kural tetiklenmedi)",
                                     "; 3 kural daha aynı yönde"]
    assert isinstance(offers["reason"].iloc[0], Phrase)                  # a copy: the offers keep their data


def test_the_evaluation_says_when_it_scored_a_sample():
    split = bk.HoldoutSplit(history=pd.DataFrame({"customer_id": ["a"]}), trigger=pd.DataFrame({"customer_id": ["a"]}),
                            holdout=pd.DataFrame({"customer_id": ["a", "b"], "item": ["x", "y"]}), mining=pd.DataFrame())
    ev = pd.DataFrame(columns=bk.EVAL_COLUMNS)
    ev.attrs.update(split=split, evaluable=2)
    assert plots.evaluation_sample_note(ev) is None                  # both customers scored
    ev.attrs.update(evaluable=30_000)
    i18n.set_language("en")
    assert "sample of 2 of the 30,000 customers" in plots.evaluation_sample_note(ev)
