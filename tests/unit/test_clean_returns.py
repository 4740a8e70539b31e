"""Returns: which lines are returns, the invoice each refers to, and the sale each one reverses.

The matching is checked twice: through :func:`helpers.clean.flag_lines` (the statuses it gives) and
directly on :func:`helpers.clean_returns.cancel_matches`, with every expected match worked out by hand."""
from __future__ import annotations

import pandas as pd

from helpers import clean_returns
from helpers.config import CleaningConfig
from helpers.io.engine import table
from tests.fixtures import make_lines
from tests.fixtures.cleaning import RULES
from tests.fixtures.cleaning import flag as _flag


class TestReturns:
    def test_other_prefixes_and_references(self, duck):
        rules = CleaningConfig(return_prefixes=["IADE-"])
        df = make_lines([(0, "500", "2023-01-02", "A", "P1", 2, 5.0), (1, "IADE-500", "2023-01-05", "A", "P1", -2, 5.0),
                         (2, "501", "2023-01-06", "B", "P1", 1, 5.0)])
        got = _flag(duck, df, rules).execute().set_index("line_id")
        assert list(got["status"].sort_index()) == ["cancelled_original", "cancellation", "kept"]
        assert got.loc[1, "return_match"] == "reference"

    def test_without_products_by_customer_and_amount_within_the_window(self, duck):
        cols = ("line_id", "invoice", "invoice_ts", "customer_id", "quantity", "unit_price")
        df = make_lines([(0, "1", "2023-01-02", "A", 2, 5.0),      # 10.00, returned 40 days later: matched
                         (1, "2", "2023-01-10", "B", 1, 10.0),     # 10.00 by B, returned after 200 days: too late
                         (2, "C7", "2023-02-11", "A", -2, 5.0),
                         (3, "C8", "2023-07-29", "B", -1, 10.0)], columns=cols)
        got = _flag(duck, df, CleaningConfig(), has={"product_id": False}).execute().set_index("line_id")
        assert list(got["status"].sort_index()) == ["cancelled_original", "kept", "cancellation", "cancellation_unmatched"]
        assert got.loc[2, "return_match"] == "customer_amount"

    def test_partial_returns_may_share_a_sale(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 10, 1.0), (1, "C1", "2023-01-03", "A", "P1", -3, 1.0),
                         (2, "C2", "2023-01-04", "A", "P1", -4, 1.0)])
        got = _flag(duck, df).execute().set_index("line_id")["status"].sort_index()
        assert list(got) == ["kept", "cancellation_partial", "cancellation_partial"]

    def test_the_export_return_flag_marks_a_return(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 2, 5.0), (1, "2", "2023-01-05", "A", "P1", -2, 5.0)])
        df["is_return"] = pd.array([False, True], dtype="boolean")
        got = _flag(duck, df).execute().set_index("line_id")["status"].sort_index()
        assert list(got) == ["cancelled_original", "cancellation"]


def _returns_table(con, df, rules):
    """``df`` with the bookkeeping columns :func:`~helpers.clean_returns.cancel_matches` expects (no line removed)."""
    t = table(con, df)
    return t.mutate(_ret=clean_returns.is_return(t, rules), _ref=clean_returns.return_ref(t, rules),
                    _pre=t.invoice.isnull().ifelse("removed", None).cast("string"))


class TestWhichLinesAreReturns:
    def test_prefix_match_checks_every_prefix(self, duck):
        df = make_lines([(0, "C1", "2023-01-02", "A", "P1", 1, 1.0), (1, "IADE-2", "2023-01-02", "A", "P1", 1, 1.0),
                         (2, "3", "2023-01-02", "A", "P1", 1, 1.0), (3, "XC4", "2023-01-02", "A", "P1", 1, 1.0)])
        t = table(duck, df)
        got = t.select("line_id", m=clean_returns.prefix_match(t, CleaningConfig(return_prefixes=["C", "IADE-"])))
        assert got.execute().sort_values("line_id")["m"].tolist() == [True, True, False, False]   # XC4: C not first
        none = t.select(m=clean_returns.prefix_match(t, CleaningConfig(return_prefixes=[]))).execute()
        assert not none["m"].any()

    def test_a_negative_quantity_or_amount_or_the_flag_makes_a_return(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 2, 5.0),      # a sale
                         (1, "2", "2023-01-03", "A", "P1", -2, 5.0),     # negative quantity, no prefix
                         (2, "3", "2023-01-04", "A", "P1", 1, 5.0),      # flagged by the export
                         (3, "C4", "2023-01-05", "A", "P1", 1, 5.0),     # the prefix alone
                         (4, "5", "2023-01-06", "A", "P1", 1, 5.0)])     # amount negative (a credit line)
        df["is_return"] = pd.array([False, None, True, None, None], dtype="boolean")
        df.loc[4, "amount"] = -5.0
        t = table(duck, df)
        got = t.select("line_id", r=clean_returns.is_return(t, CleaningConfig())).execute().sort_values("line_id")
        assert got["r"].tolist() == [False, True, True, True, True]

    def test_return_ref_prefers_the_original_invoice_then_the_longest_prefix(self, duck):
        df = make_lines([(0, "CR55", "2023-01-02", "A", "P1", -1, 1.0), (1, "C56", "2023-01-02", "A", "P1", -1, 1.0),
                         (2, "C57", "2023-01-02", "A", "P1", -1, 1.0), (3, "58", "2023-01-02", "A", "P1", 1, 1.0)])
        df["original_invoice"] = pd.array([None, None, "9000", None], dtype="string")
        t = table(duck, df)
        rules = CleaningConfig(return_prefixes=["C", "CR"])
        got = t.select("line_id", ref=clean_returns.return_ref(t, rules)).execute().sort_values("line_id")
        # CR55 -> 55 (CR is tried before C, not R55); C57 names its sale in original_invoice; 58 is no return
        assert got["ref"].tolist()[:3] == ["55", "56", "9000"] and pd.isna(got["ref"].iloc[3])


class TestCancelMatches:
    def _matches(self, con, df, rules=RULES, has_products=True):
        m = clean_returns.cancel_matches(_returns_table(con, df, rules), rules, has_products).execute()
        return {(r.c_id, r.s_id, r.method, bool(r.full)) for r in m.itertuples()}

    def test_reference_before_customer_and_product_and_each_sale_reversed_once(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 2, 5.0),     # sale named by return 3
                         (1, "2", "2023-01-03", "A", "P1", 2, 5.0),     # A's latest P1 sale before both returns
                         (2, "5", "2023-01-03", "A", "P1", 1, 5.0),     # too few units for a return of 2
                         (3, "C1", "2023-01-05", "A", "P1", -2, 5.0),   # by reference -> 0, not the later 1
                         (4, "C9", "2023-01-06", "A", "P1", -2, 5.0),   # no invoice 9: A's latest P1 sale of >= 2 -> 1
                         (5, "C8", "2023-01-07", "B", "P1", -1, 5.0)])  # B bought nothing: no match
        assert self._matches(duck, df) == {(3, 0, "reference", True), (4, 1, "customer_product", True)}

    def test_a_sale_reversed_in_full_twice_keeps_one_return(self, duck):
        # both returns name invoice 1; only one may cancel it in full (the lower line id, same priority)
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 2, 5.0), (1, "C1", "2023-01-05", "A", "P1", -2, 5.0),
                         (2, "C1", "2023-01-06", "A", "P1", -2, 5.0)])
        assert self._matches(duck, df) == {(1, 0, "reference", True)}

    def test_a_sale_after_the_return_is_never_its_match(self, duck):
        df = make_lines([(0, "C1", "2023-01-02", "A", "P1", -2, 5.0), (1, "1", "2023-01-05", "A", "P1", 2, 5.0)])
        assert self._matches(duck, df) == set()

    def test_without_products_the_amount_must_match_to_the_cent_within_the_window(self, duck):
        cols = ("line_id", "invoice", "invoice_ts", "customer_id", "quantity", "unit_price")
        rules = CleaningConfig(return_window_days=30)
        df = make_lines([(0, "1", "2023-01-02", "A", 1, 10.00),     # 20 days before return 3: matched by amount
                         (1, "2", "2023-01-10", "A", 1, 10.01),     # one cent off
                         (2, "3", "2022-11-01", "B", 1, 7.00),      # 92 days before return 4: outside 30 days
                         (3, "C7", "2023-01-22", "A", -1, 10.00),
                         (4, "C8", "2023-02-01", "B", -1, 7.00)], columns=cols)
        assert self._matches(duck, df, rules, has_products=False) == {(3, 0, "customer_amount", True)}

    def test_lines_removed_before_matching_take_no_part(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", "P1", 2, 5.0), (1, "C1", "2023-01-05", "A", "P1", -2, 5.0)])
        df.loc[0, "invoice"] = None        # _returns_table marks a line without invoice as removed
        assert self._matches(duck, df) == set()
