"""Cleaning rules and the audit, on a hand-checkable fixture and on generated tables."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import clean
from helpers.config import CleaningConfig, ExtremeQuantityRule
from helpers.engine import table
from tests.conftest import AUDIT_END, AUDIT_EXPECTED, AUDIT_ROWS, make_lines

RULES = CleaningConfig(extreme_quantity=ExtremeQuantityRule(max_quantity=1000))


def _flag(con, df, rules=RULES, start=None, end=AUDIT_END):
    t = table(con, df)
    thr = clean.extreme_threshold(t, rules)
    return clean.flag_lines(t, rules, start=start, end=end, extreme_threshold=thr)


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

    def test_off(self, duck, audit_lines):
        rules = CleaningConfig(extreme_quantity=ExtremeQuantityRule(enabled=False))
        assert clean.extreme_threshold(table(duck, audit_lines), rules) is None


class TestAuditTable:
    def test_counts_and_revenue_by_hand(self, duck, audit_lines):
        a = clean.audit_table(_flag(duck, audit_lines), RULES).set_index("rule")
        assert a.loc["raw total", "lines"] == 11
        assert a.loc["raw total", "revenue"] == pytest.approx(10 + 10 - 10 + 10 - 4 + 3 + 18 + 0 + 5000 + 1 - 4)
        assert a.loc["kept", "lines"] == 2 and a.loc["kept", "revenue"] == pytest.approx(13.0)
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
    audit = clean.audit_table(flagged)
    clean.check_reconciles(audit)
    raw = audit.set_index("rule").loc["raw total"]
    assert raw["lines"] == len(df)
    assert raw["revenue"] == pytest.approx(df["amount"].sum(), abs=1e-6)
    # every line has exactly one status
    assert flagged.count().execute() == len(df)
