"""Cleaning rules and the audit, on a hand-checkable fixture and on generated tables."""
from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import clean
from helpers.config import CleaningConfig, ExtremeQuantityRule
from helpers.io.engine import table
from tests.fixtures import AUDIT_EXPECTED, AUDIT_ROWS, make_lines
from tests.fixtures.cleaning import RULES
from tests.fixtures.cleaning import flag as _flag


class TestFlagLines:
    def test_each_line_gets_the_status_written_beside_it(self, duck, audit_lines):
        got = _flag(duck, audit_lines).select("line_id", "status").execute().set_index("line_id")["status"].to_dict()
        assert got == AUDIT_EXPECTED

    def test_guest_is_kept_and_flagged(self, duck, audit_lines):
        got = _flag(duck, audit_lines).execute().set_index("line_id")
        assert got.loc[5, "status"] == "kept" and bool(got.loc[5, "is_guest"])
        assert not got.loc[3, "is_guest"]

    def test_flag_action_keeps_extreme_lines(self, duck, audit_lines):
        rules = CleaningConfig(extreme_quantity=ExtremeQuantityRule(max_quantity=1000, action="flag"))
        got = _flag(duck, audit_lines, rules).execute().set_index("line_id")
        assert got.loc[8, "status"] == "kept" and bool(got.loc[8, "is_extreme"])

    def test_rules_switched_off_keep_their_lines(self, duck, audit_lines):
        rules = CleaningConfig(duplicates=False, non_product=False, zero_price=False,
                               extreme_quantity=ExtremeQuantityRule(enabled=False))
        got = _flag(duck, audit_lines, rules).execute().set_index("line_id")["status"]
        assert got.loc[6] == "kept" and got.loc[7] == "kept" and got.loc[8] == "kept"
        # without the duplicate rule both copies of invoice 100 are sales; the full cancellation takes one
        assert sorted(got.loc[[0, 1]]) == ["cancelled_original", "kept"]

    def test_zero_price_remove_takes_the_free_line_out(self, duck, audit_lines):
        rules = RULES.model_copy(update={"zero_price": "remove"})
        got = _flag(duck, audit_lines, rules).execute().set_index("line_id")["status"]
        assert got.loc[7] == "zero_price" and (got == "zero_price").sum() == 1

    def test_start_of_window(self, duck, audit_lines):
        got = _flag(duck, audit_lines, start=dt.date(2023, 1, 8)).execute().set_index("line_id")["status"]
        assert got.loc[3] == "outside_window" and got.loc[5] == "kept"

    def test_non_product_pattern(self, duck):
        df = make_lines([(0, "1", "2023-01-01", "A", "gift_0001_10", 1, 10.0), (1, "2", "2023-01-02", "A", "P9", 1, 2.0),
                         (2, "3", "2023-01-03", "A", "bank charges", 1, 5.0)])
        got = _flag(duck, df).execute().set_index("line_id")["status"]
        assert list(got.sort_index()) == ["non_product", "kept", "non_product"]

    def test_cancellation_by_customer_product_and_quantity(self, duck):
        # no reference (C999 does not exist): the latest earlier sale of same customer, product, units
        df = make_lines([(0, "1", "2023-01-01", "A", "P1", 3, 2.0), (1, "2", "2023-01-05", "A", "P1", 3, 2.0),
                         (2, "C999", "2023-01-06", "A", "P1", -3, 2.0), (3, "3", "2023-01-07", "A", "P1", 3, 2.0)])
        got = _flag(duck, df).execute().set_index("line_id")["status"].sort_index()
        assert list(got) == ["kept", "cancelled_original", "cancellation", "kept"]

    def test_a_sale_is_cancelled_once(self, duck):
        df = make_lines([(0, "1", "2023-01-01", "A", "P1", 3, 2.0), (1, "C1", "2023-01-02", "A", "P1", -3, 2.0),
                         (2, "C7", "2023-01-03", "A", "P1", -3, 2.0)])
        got = _flag(duck, df).execute().set_index("line_id")["status"].sort_index()
        assert list(got) == ["cancelled_original", "cancellation", "cancellation_unmatched"]


class TestExtremeThreshold:
    def test_quantile_rule(self, duck):
        # sale quantities 1..100: the 90th percentile (linear) is 90.1, times 10
        df = make_lines([(i, str(i), "2023-01-01", "A", "P1", i + 1, 1.0) for i in range(100)])
        rules = CleaningConfig(extreme_quantity=ExtremeQuantityRule(quantile=0.9, multiplier=10))
        assert clean.extreme_threshold(table(duck, df), rules) == pytest.approx(901, rel=0.01)

    @pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.99, 0.999, 1.0])
    def test_quantile_from_counts_is_duckdbs_quantile_cont(self, q):
        import duckdb
        import numpy as np

        rng = np.random.default_rng(3)
        x = np.concatenate([rng.integers(1, 13, 997).astype(float), rng.gamma(2.0, 7.0, 300).round(3), [500.0]])
        values, counts = np.unique(x, return_counts=True)
        want = duckdb.connect().execute("SELECT quantile_cont(x, ?) FROM (SELECT unnest(?::DOUBLE[]) AS x)",
                                        [q, x.tolist()]).fetchall()[0][0]
        assert clean.quantile_from_counts(values[::-1], counts[::-1], q) == pytest.approx(want, rel=1e-12)
        assert clean.quantile_from_counts(values, counts, q) == pytest.approx(np.percentile(x, q * 100), rel=1e-12)
        assert clean.quantile_from_counts(np.array([]), np.array([], dtype=int), q) is None

    def test_off(self, duck, audit_lines):
        rules = CleaningConfig(extreme_quantity=ExtremeQuantityRule(enabled=False))
        assert clean.extreme_threshold(table(duck, audit_lines), rules) is None


class TestAuditTable:
    def test_counts_and_revenue_by_hand(self, duck, audit_lines):
        a = clean.audit_table(_flag(duck, audit_lines), RULES).set_index("rule")
        assert a.loc["raw total", "lines"] == 11
        assert a.loc["raw total", "revenue"] == pytest.approx(10 + 10 - 10 + 10 - 4 + 3 + 18 + 0 + 5000 + 1 - 4)
        # kept: line 3 (10.0), the guest's line 5 (3.0) and the free line 7 (0.0)
        assert a.loc["kept", "lines"] == 3 and a.loc["kept", "revenue"] == pytest.approx(13.0)
        assert a.loc["free lines (kept)", "lines"] == 1 and a.loc["zero_price", "lines"] == 0
        assert a.loc["cancellation", "revenue"] == pytest.approx(-10.0)
        assert a.loc["cancelled_original", "revenue"] == pytest.approx(10.0)
        assert a.loc["extreme_quantity", "customers"] == 1
        assert a.loc["guests (kept)", "lines"] == 1 and a.loc["guests (kept)", "revenue"] == pytest.approx(3.0)
        clean.check_reconciles(a.reset_index())

    def test_check_reconciles_catches_a_gap(self, duck, audit_lines):
        a = clean.audit_table(_flag(duck, audit_lines), RULES)
        a.loc[a["rule"] == "kept", "lines"] -= 1
        with pytest.raises(AssertionError, match="lines do not reconcile"):
            clean.check_reconciles(a)


line_rows = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "3", "C1", "C2", "C9"]),
        st.integers(0, 40),                                     # day offset
        st.sampled_from(["A", "B", None]),
        st.sampled_from(["P1", "P2", "POST", "M"]),
        st.integers(-5, 5).filter(lambda q: q != 0) | st.just(3000),
        st.sampled_from([0.0, 1.5, 2.0, 10.0]),
    ),
    min_size=3, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=line_rows)
def test_audit_reconciles_on_any_table(duck, rows):
    """raw = kept + removed for lines and revenue, whatever the mix of dirt."""
    df = make_lines([(i, inv, pd.Timestamp("2023-01-01") + pd.Timedelta(days=d), c, p, q, pr)
                     for i, (inv, d, c, p, q, pr) in enumerate(rows)])
    flagged = _flag(duck, df, CleaningConfig(extreme_quantity=ExtremeQuantityRule(max_quantity=1000)),
                    end=dt.date(2023, 2, 1))
    flagged = duck.create_table("hyp_flagged", flagged.to_pyarrow(), temp=True, overwrite=True)  # once, as prepare() does
    audit = clean.audit_table(flagged)
    clean.check_reconciles(audit)
    raw = audit.set_index("rule").loc["raw total"]
    assert raw["lines"] == len(df)
    assert raw["revenue"] == pytest.approx(df["amount"].sum(), abs=1e-6)
    # every line has exactly one status
    assert flagged.count().execute() == len(df)


class TestLineIdentity:
    """Duplicates are judged by what identifies a line in the export; repeated invoice blocks are overlap."""

    NO_PRODUCT = ("line_id", "invoice", "invoice_ts", "customer_id", "quantity", "unit_price")

    def test_without_a_line_key_identical_rows_are_kept_and_counted(self, duck):
        # invoice 1 sells two products at the same price and quantity: two real lines, indistinguishable here
        df = make_lines([(0, "1", "2023-01-02", "A", 2, 5.0), (1, "1", "2023-01-02", "A", 2, 5.0),
                         (2, "2", "2023-01-03", "B", 1, 9.0)], columns=self.NO_PRODUCT)
        f = _flag(duck, df, CleaningConfig())
        got = f.execute().set_index("line_id")
        assert list(got["status"].sort_index()) == ["kept"] * 3
        assert list(got["is_identical"].sort_index()) == [False, True, False]
        a = clean.audit_table(f, CleaningConfig(), has={"product_id": False}).set_index("rule")
        assert a.loc["identical rows (kept)", "lines"] == 1 and a.loc["identical rows (kept)", "revenue"] == 10.0
        assert not a.loc["duplicate", "enabled"]

    def test_duplicates_true_removes_them_anyway(self, duck):
        df = make_lines([(0, "1", "2023-01-02", "A", 2, 5.0), (1, "1", "2023-01-02", "A", 2, 5.0),
                         (2, "2", "2023-01-03", "B", 1, 9.0)], columns=self.NO_PRODUCT)
        got = _flag(duck, df, CleaningConfig(duplicates=True)).execute().set_index("line_id")["status"]
        assert got.loc[1] == "duplicate"

    @pytest.mark.parametrize("hashes", ["real", "all equal"])
    def test_identical_rows_are_found_column_by_column_whatever_the_hashes(self, duck, monkeypatch, hashes):
        # rows are compared in full only where their hashes meet; with every hash equal (the worst
        # collision) the comparison alone must still find exactly the later copies, nulls equal to nulls
        if hashes == "all equal":
            monkeypatch.setattr(clean, "_row_hash", lambda t: ibis.literal(7, type="int64"))
        rng = np.random.default_rng(11)
        rows = [(i, str(rng.integers(1, 4)), f"2023-01-0{rng.integers(1, 3)}", rng.choice(["A", "B", None]),
                 rng.choice(["P1", "P2", None]), int(rng.integers(1, 3)), 5.0) for i in range(300)]
        df = make_lines(rows).sample(frac=1.0, random_state=2)   # line order is not row order
        got = _flag(duck, df, CleaningConfig(duplicates=True)).execute().set_index("line_id").sort_index()
        data = [c for c in clean.DATA_COLUMNS if c in df.columns]
        expected = df.sort_values("line_id").set_index("line_id").duplicated(subset=data, keep="first")
        assert 0 < expected.sum() < len(df)
        assert got["is_identical"].astype(bool).equals(expected.rename("is_identical"))
        assert set(got.index[got["status"] == "duplicate"]) == set(expected.index[expected])

    def test_staged_rules_give_the_same_statuses_as_one_expression(self, duck, audit_lines):
        from helpers.io.engine import materialize

        staged = []

        def stage(expr, name):
            staged.append(name)
            return materialize(duck, expr, name=name)

        plain = _flag(duck, audit_lines).execute().sort_values("line_id", ignore_index=True)
        got = _flag(duck, audit_lines, stage=stage).execute().sort_values("line_id", ignore_index=True)
        assert staged == ["scratch_hashes", "scratch_rules"]
        pd.testing.assert_frame_equal(got[plain.columns], plain)

    def test_a_line_number_completes_the_key(self):
        assert clean.line_key({"product_id": False, "line_no": True}) == ["invoice", "line_no"]
        assert clean.line_key_complete({"line_no": True})
        assert clean.line_key_complete({"product_id": True})
        # products without quantities: two units are two identical rows
        assert not clean.line_key_complete({"product_id": True, "quantity": False})
        assert not clean.line_key_complete({})

    def test_an_invoice_repeated_as_a_block_is_overlap(self, duck):
        # invoice 10 (two lines) appears again after invoice 11: the second block is a copy
        rows = [(0, "10", "2023-01-02", "A", "P1", 1, 2.0), (1, "10", "2023-01-02", "A", "P2", 3, 1.0),
                (2, "11", "2023-01-03", "B", "P1", 1, 2.0),
                (3, "10", "2023-01-02", "A", "P1", 1, 2.0), (4, "10", "2023-01-02", "A", "P2", 3, 1.0),
                (5, "12", "2023-01-04", "B", "P3", 1, 4.0)]
        f = _flag(duck, make_lines(rows))
        got = f.execute().set_index("line_id")["status"].sort_index()
        assert list(got) == ["kept", "kept", "kept", "overlap", "overlap", "kept"]
        w = clean.overlap_windows(f)
        assert len(w) == 1 and str(w.loc[0, "start"]) == str(w.loc[0, "end"]) == "2023-01-02"
        assert w.loc[0, "invoices"] == 1 and w.loc[0, "lines"] == 2 and w.loc[0, "revenue"] == 5.0

    def test_a_block_that_differs_is_not_overlap(self, duck):
        # the later block of invoice 10 has another quantity: not a copy (a correction is not guessed away)
        rows = [(0, "10", "2023-01-02", "A", "P1", 1, 2.0), (1, "11", "2023-01-03", "B", "P1", 1, 2.0),
                (2, "10", "2023-01-02", "A", "P1", 2, 2.0)]
        got = _flag(duck, make_lines(rows)).execute().set_index("line_id")["status"]
        assert (got == "kept").all()


class TestReturns:
    def test_clean_revenue_above_the_sale_lines_stops(self):
        audit = pd.DataFrame({"rule": ["kept", "raw total"], "lines": [1, 1], "revenue": [120.0, 100.0]})
        from helpers.errors import DataError
        with pytest.raises(DataError, match=r"clean revenue 120\.00 exceeds the revenue of the raw sale lines 100\.00"):
            clean.check_revenue(audit, gross=100.0)
        clean.check_revenue(audit, gross=120.0)
        assert clean.sales_removed_share(audit, 150.0) == pytest.approx(0.2)


class TestCatchAll:
    def _shop(self, till: str):
        # 60 customers with one order each; the till account holds 20 orders of its own (20 / 80 = 25 %)
        rows = [(i, str(i), "2023-01-02", f"K{i}", "P1", 1, 2.0) for i in range(60)]
        rows += [(60 + j, str(100 + j), "2023-01-03", till, "P1", 1, 2.0) for j in range(20)]
        return make_lines(rows)

    def test_a_placeholder_holding_many_orders_becomes_guests(self, duck):
        t = table(duck, self._shop("0"))
        ca = clean.catch_all_table(t, CleaningConfig())
        assert list(ca["customer_id"]) == ["0"] and ca.loc[0, "action"] == "guest"
        assert ca.loc[0, "share_orders"] == pytest.approx(20 / 80)
        got = clean.flag_lines(t, CleaningConfig(), guest_ids=["0"]).execute()
        assert got.loc[got["catch_all"], "customer_id"].isna().all() and got["catch_all"].sum() == 20

    def test_a_named_account_is_only_flagged_unless_listed(self, duck):
        t = table(duck, self._shop("STORE01"))
        assert clean.catch_all_table(t, CleaningConfig()).loc[0, "action"] == "flag"
        listed = clean.catch_all_table(t, CleaningConfig(catch_all_ids=["STORE01"]))
        assert listed.loc[0, "action"] == "guest" and bool(listed.loc[0, "listed"])

    def test_a_small_shop_is_not_flagged_for_being_small(self, duck):
        rows = [(i, str(i), "2023-01-02", f"K{i % 4}", "P1", 1, 2.0) for i in range(40)]
        assert clean.catch_all_table(table(duck, make_lines(rows)), CleaningConfig()).empty


def test_findings_read_as_sentences_with_their_numbers(duck):
    """The audit notes as a reader sees them (profile.note_sentences): warnings first, numbers filled in."""
    from helpers import i18n
    from helpers.features import overview as profile

    rows = [(0, "10", "2023-01-02", "A", "P1", 1, 2.0), (1, "11", "2023-01-03", "B", "P1", 1, 2.0),
            (2, "10", "2023-01-02", "A", "P1", 1, 2.0), (3, "12", "2023-01-04", "B", "P1", 1, 0.0)]
    rules = CleaningConfig()
    f = _flag(duck, make_lines(rows), rules)
    has = {"product_id": True}
    audit = clean.audit_table(f, rules, has=has)
    notes = clean.audit_notes(f, audit, rules, has=has, gross=clean.gross_sales(f), windows=clean.overlap_windows(f))
    shown = profile.note_sentences(notes, "GBP")
    assert list(shown["severity"]) == ["warning", "info", "info"]
    assert shown.loc[0, "finding"].startswith("Whole invoices repeat on 2023-01-02") and "1 line(s), 2.00 GBP" in \
        shown.loc[0, "finding"]
    assert shown.loc[0, "config_key"] == "cleaning.overlap: false"
    assert "1 zero-value lines (1 customers)" in shown.loc[2, "finding"]
    i18n.set_language("tr")
    try:
        assert "02.01.2023 tarihinde" in profile.note_sentences(notes, "GBP").loc[0, "finding"]
    finally:
        i18n.set_language("en")


def test_a_config_asking_what_the_data_cannot_support_gets_a_warning_naming_the_key(duck):
    """Duplicate removal without a line key, and a return prefix that matches nothing, are warned about."""
    cols = ("line_id", "invoice", "invoice_ts", "customer_id", "quantity", "unit_price")
    df = make_lines([(0, "1", "2023-01-02", "A", 2, 5.0), (1, "1", "2023-01-02", "A", 2, 5.0),
                     (2, "2", "2023-01-03", "B", 1, 9.0)], columns=cols)
    rules = CleaningConfig(duplicates=True, return_prefixes=["RET-"])
    has = {"product_id": False}
    f = _flag(duck, df, rules, has=has)
    audit = clean.audit_table(f, rules, has=has)
    notes = clean.audit_notes(f, audit, rules, has=has, gross=clean.gross_sales(f),
                              explicit={"duplicates", "return_prefixes"}).set_index("note")
    assert notes.loc["duplicates_without_line_key", "severity"] == "warning"
    assert notes.loc["duplicates_without_line_key", "config_key"] == "cleaning.duplicates"
    assert notes.loc["duplicates_without_line_key", "lines"] == 1
    assert notes.loc["return_prefix_unused", "config_key"] == "cleaning.return_prefixes"
    assert '"prefix": "RET-"' in notes.loc["return_prefix_unused", "params"]
    # the default prefix, not asked for explicitly, is not warned about
    quiet = clean.audit_notes(f, audit, CleaningConfig(duplicates=True), has=has, gross=clean.gross_sales(f))
    assert "return_prefix_unused" not in set(quiet["note"])
