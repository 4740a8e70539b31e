"""Stage ex01 (cleaning): the expected answers against sums and counts taken straight from the raw and
clean lines of the tiny run, not from the cleaning audit the checkers read."""
from __future__ import annotations

import pytest

from helpers import exercises
from helpers.clean import RULES
from tests.fixtures import ROOT


def test_the_stage_has_its_notebook_and_five_exercises():
    notebook = exercises.STAGES["ex01"][0]
    assert (ROOT / "notebooks" / "exercises" / f"{notebook}.ipynb").is_file()
    assert [e.key.split(".")[1] for e in exercises.stage_exercises("ex01")] == [
        "raw_lines", "kept_revenue_share", "top_rule", "customers", "clean_revenue"]


def test_lines_and_revenue_kept_follow_the_lines(prep, answer, mistake):
    raw, clean = prep.raw_lines(["invoice", "amount"]), prep.lines()
    assert answer("ex01.raw_lines") == len(raw)
    assert answer("ex01.kept_revenue_share") == pytest.approx(clean["amount"].sum() / raw["amount"].sum())
    assert mistake("ex01.kept_revenue_share", "line_share") == pytest.approx(len(clean) / len(raw))
    assert mistake("ex01.raw_lines", "invoices") == raw["invoice"].nunique()


def test_customers_and_revenue_of_the_clean_lines(prep, answer, mistake):
    clean = prep.lines()
    known = clean.dropna(subset=["customer_id"])
    assert answer("ex01.customers") == known["customer_id"].nunique()
    assert mistake("ex01.customers", "with_guests") == known["customer_id"].nunique() + 1   # the tiny run has guests
    assert mistake("ex01.customers", "orders") == known["invoice"].nunique()
    assert answer("ex01.clean_revenue") == pytest.approx(clean["amount"].sum())
    assert mistake("ex01.clean_revenue", "no_guests") == pytest.approx(known["amount"].sum())


def test_the_costliest_rule_removed_the_largest_raw_line(prep, answer):
    # on the tiny data one line with an extreme quantity outweighs everything the other rules removed
    raw, clean = prep.raw_lines(["line_id", "amount"]), prep.lines()
    biggest = raw.loc[raw["amount"].idxmax()]
    assert biggest["line_id"] not in set(clean["line_id"])
    assert biggest["amount"] > raw["amount"].sum() - clean["amount"].sum() - biggest["amount"]
    assert answer("ex01.top_rule") == "extreme_quantity" and "extreme_quantity" in RULES
