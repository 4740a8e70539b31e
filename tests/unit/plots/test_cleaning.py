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
