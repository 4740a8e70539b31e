"""Basket items and the item catalogue against hand counts on the five baskets (tests/fixtures/market_baskets.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.io.engine import table
from helpers.models import baskets as bk
from tests.fixtures import make_lines


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



class TestBasketSummary:
    def test_by_hand(self, items):
        s = bk.basket_summary(items)["value"]
        # basket sizes 6, 6, 4, 5, 5 (Onion twice in basket 5 counts once): 26 basket lines, mean 26 / 5
        assert s["baskets (invoices)"] == "5" and s["distinct items"] == "11"
        assert s["basket lines (invoice x item)"] == "26"
        assert s["guest baskets"] == "1 (20.0%)"                    # basket 4
        assert s["items per basket: mean"] == "5.20" and s["items per basket: median"] == "5"
        assert s["baskets with 2+ items"] == "5 (100.0%)"

    def test_single_item_baskets_are_counted_apart(self):
        items = pd.DataFrame({"invoice": ["1", "1", "2", "3"], "item": ["a", "b", "a", "c"],
                              "customer_id": ["A", "A", None, None]})
        s = bk.basket_summary(items)["value"]
        assert s["guest baskets"] == "2 (66.7%)" and s["baskets with 2+ items"] == "1 (33.3%)"
        assert s["items per basket: mean"] == f"{4 / 3:.2f}"


class TestCatalogueNames:
    def test_item_code_to_name(self, lines):
        names = bk.catalogue_names(bk.item_catalogue(lines))
        assert len(names) == 11 and names["KidneyBeans"] == "KIDNEYBEANS" and names["Milk"] == "MILK"

    def test_no_catalogue_no_names(self):
        assert bk.catalogue_names(None) == {}
        assert bk.catalogue_names(pd.DataFrame({"item": [], "name": []})) == {}
