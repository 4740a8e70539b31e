"""The table of checks: laying checks out, writing their values, and the failed check for a missing estimate."""
from __future__ import annotations

import math

import pytest

from helpers import i18n
from helpers.analyses.checks import REFERENCE_AREAS, Check, checks_table, checks_verdict, failed_check, fmt_value

COLUMNS = ["area", "name", "truth", "estimate", "tolerance", "why", "passed"]


@pytest.fixture
def english():
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


class TestChecksTable:
    def test_no_checks_give_an_empty_table_with_the_columns(self):
        t = checks_table([])
        assert list(t.columns) == COLUMNS and len(t) == 0

    def test_one_row_per_check_in_order(self):
        checks = [Check("BG/NBD", "r", 0.45, 0.52, "within 2 se", "sampling error", True),
                  Check("bundles", "found", "8 of 8", "6 of 8", "all", "planted", 0)]
        t = checks_table(checks)
        assert list(t.columns) == COLUMNS
        assert t["name"].tolist() == ["r", "found"] and t["truth"].tolist() == [0.45, "8 of 8"]
        # the verdict is a bool column even when a check was built with 0 / 1
        assert t["passed"].dtype == bool and t["passed"].tolist() == [True, False]
        assert t.loc[0].to_dict() == {"area": "BG/NBD", "name": "r", "truth": 0.45, "estimate": 0.52,
                                      "tolerance": "within 2 se", "why": "sampling error", "passed": True}


def _check(area: str, name: str, passed: bool) -> Check:
    return Check(area, name, 1.0, 1.0, "equal", "by hand", passed)


class TestChecksVerdict:
    """The sentence under the table counts the checks on the run's data apart from the CDNOW reference checks."""

    def test_own_and_reference_counted_apart_and_the_failed_ones_named(self, english):
        t = checks_table([_check("holdout", "RMSE beats the mean", True), _check("holdout", "bias", False),
                          _check("BG/NBD", "r", True), _check(REFERENCE_AREAS[0], "r", True),
                          _check(REFERENCE_AREAS[2], "customers", False)])
        assert checks_verdict(t) == ("2 of 3 checks on this run's data passed; 1 of 2 reference checks (CDNOW's "
                                     "published estimates, a test of the code) passed; failed: holdout / bias, "
                                     f"{i18n.label(REFERENCE_AREAS[2], 'val_area_')} / customers")

    def test_only_reference_checks_say_nothing_of_the_run_s_data(self, english):
        t = checks_table([_check(area, "x", True) for area in REFERENCE_AREAS])
        assert checks_verdict(t) == ("3 of 3 reference checks (CDNOW's published estimates, a test of the code) "
                                     "passed")

    def test_no_checks(self, english):
        assert checks_verdict(checks_table([])) == "No check could run on this data."

    def test_turkish(self):
        before = i18n.language()
        i18n.set_language("tr")
        try:
            said = checks_verdict(checks_table([_check("holdout", "bias", True), _check(REFERENCE_AREAS[0], "r", False)]))
        finally:
            i18n.set_language(before)
        assert "checks" not in said and "1" in said and "CDNOW" in said


class TestFmtValue:
    def test_text_and_missing(self):
        assert fmt_value("8 of 8") == "8 of 8"
        assert fmt_value(None) == "–" and fmt_value(float("nan")) == "–"

    def test_four_significant_digits_below_a_thousand(self, english):
        assert fmt_value(0.123456) == "0.1235"
        assert fmt_value(12.3456) == "12.35"
        assert fmt_value(7) == "7"
        assert fmt_value(-0.000123456) == "-0.0001235"

    def test_whole_numbers_with_grouping_from_a_thousand(self, english):
        assert fmt_value(12345.6) == "12,346"
        assert fmt_value(-2500.4) == "-2,500"
        assert fmt_value(1000) == "1,000"

    def test_turkish_separators(self):
        before = i18n.language()
        i18n.set_language("tr")
        try:
            assert fmt_value(12345.6) == "12.346" and fmt_value(0.125) == "0,125"
        finally:
            i18n.set_language(before)


class TestFailedCheck:
    def test_says_why_not_and_fails(self, english):
        c = failed_check("CLV", "spend mean", 31.5, "the planted mean", "the Gamma-Gamma fit failed")
        assert c == Check("CLV", "spend mean", 31.5, "not estimated", "an estimate",
                          "the planted mean (the Gamma-Gamma fit failed)", False)
        row = checks_table([c]).iloc[0]
        assert not row["passed"] and math.isclose(row["truth"], 31.5)
