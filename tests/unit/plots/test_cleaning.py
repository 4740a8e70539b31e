"""Tests of helpers.plots.cleaning on the audit of the hand-checkable fixture (tests.fixtures.AUDIT_ROWS)."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import clean, i18n
from helpers.config import CleaningConfig, ExtremeQuantityRule
from helpers.features import overview
from helpers.io.engine import table
from helpers.plots import cleaning
from tests.fixtures import AUDIT_END
from tests.unit.plots import assert_labelled

RULES = CleaningConfig(extreme_quantity=ExtremeQuantityRule(max_quantity=1000))


@pytest.fixture
def flagged(duck, audit_lines):
    t = table(duck, audit_lines)
    return clean.flag_lines(t, RULES, end=AUDIT_END, extreme_threshold=clean.extreme_threshold(t, RULES))


def test_waterfall_goes_from_raw_to_clean_revenue(flagged):
    audit = clean.audit_table(flagged, RULES)
    a = audit.set_index("rule")
    fig = cleaning.cleaning_waterfall(audit, "GBP")
    w = fig.data[0]
    steps = [r for r in clean.RULES if r in a.index and a.loc[r, "lines"] > 0]
    assert len(steps) >= 5                                   # the fixture has one line per case
    assert list(w.measure) == ["absolute", *["relative"] * len(steps), "total"]
    assert w.y[0] == pytest.approx(a.loc["raw total", "revenue"])
    assert w.y[-1] == pytest.approx(a.loc[clean.KEPT, "revenue"])
    assert list(w.y[1:-1]) == pytest.approx([-a.loc[r, "revenue"] for r in steps])
    assert w.y[0] + sum(w.y[1:-1]) == pytest.approx(w.y[-1])      # the steps reconcile
    assert list(w.x) == [i18n._("raw revenue"), *[i18n.label(r, "rule_") for r in steps], i18n._("clean revenue")]
    assert_labelled(fig, y="GBP")


def test_lines_per_period_bars_and_invoices(duck, audit_lines):
    per = overview.lines_per_period(table(duck, audit_lines), "month")
    fig = cleaning.lines_per_period(per, "month")
    assert list(fig.data[0].y) == list(per["lines"]) and list(fig.data[1].y) == list(per["invoices"])
    assert sum(fig.data[0].y) == len(audit_lines)
    by_month = audit_lines.groupby(audit_lines["invoice_ts"].dt.to_period("M"))["invoice"].nunique()
    assert list(fig.data[1].y) == list(by_month)
    assert_labelled(fig)


def test_revenue_raw_vs_clean(duck, audit_lines, flagged):
    raw = overview.lines_per_period(table(duck, audit_lines), "month")
    kept = overview.lines_per_period(clean.clean_lines(flagged), "month")
    fig = cleaning.revenue_raw_vs_clean(raw, kept, "month", "GBP")
    assert list(fig.data[0].y) == pytest.approx(list(raw["revenue"]))
    assert list(fig.data[1].y) == pytest.approx(list(kept["revenue"]))
    assert sum(fig.data[0].y) == pytest.approx(audit_lines["amount"].sum())
    assert fig.layout.barmode == "group"
    assert_labelled(fig, y="GBP")


def test_empty_periods_give_an_empty_figure():
    empty = pd.DataFrame({"period_start": pd.Series(dtype="datetime64[ns]"), "lines": [], "invoices": [], "revenue": []})
    assert len(cleaning.lines_per_period(empty, "week").data[0].y) == 0
    assert len(cleaning.revenue_raw_vs_clean(empty, empty, "week", "GBP").data[1].y) == 0


AUDIT = pd.DataFrame({"rule": ["raw total", "cancellation", "cancellation_partial", "cancellation_unmatched", "kept"],
                      "lines": [10, 1, 1, 1, 7], "revenue": [1000.0, -50.0, -20.0, -5.0, 800.0]})


def test_sales_removed_note_reads_the_audit():
    note = cleaning.sales_removed_note(AUDIT, 1000.0, "GBP")
    assert i18n.fmt_percent(0.2) in note                     # 1 - 800 / 1000
    assert "1,000.00 GBP" in note and "800.00 GBP" in note


def test_overlap_and_catch_all_tables_or_nothing():
    assert cleaning.overlap_table(pd.DataFrame(columns=["start", "end"]), "GBP") is None
    assert cleaning.catch_all_table(pd.DataFrame(columns=["customer_id"]), lambda x: x, "GBP") is None
    overlap = pd.DataFrame({"start": [pd.Timestamp("2024-01-31")], "end": [pd.Timestamp("2024-02-02")],
                            "invoices": [1200], "invoices_in_window": [3], "lines": [4], "revenue": [12.5]})
    html = cleaning.overlap_table(overlap, "GBP").to_html()
    assert "1,200" in html and i18n.fmt_date(pd.Timestamp("2024-01-31")) in html and "GBP" in html
    catch_all = pd.DataFrame({"customer_id": ["C1"], "action": ["guest"], "looks_placeholder": [True], "listed": [False],
                              "orders": [3], "lines": [5], "revenue": [9.0], "share_orders": [0.25], "share_lines": [0.5],
                              "share_revenue": [0.125]})
    html = cleaning.catch_all_table(catch_all, lambda x: x.assign(customer_id="masked"), "GBP").to_html()
    assert "masked" in html and "C1" not in html and "12.5%" in html and "25.0%" in html
    assert i18n._("treated as guests") in html and i18n.pgettext("word", "yes") in html and i18n.pgettext("word", "no") in html
