"""Stage ex07 (baskets): the expected answers against baskets, product supports and pair lifts counted
here from the clean lines of the tiny run (a basket = an invoice's set of products)."""
from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest

from helpers import exercises
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def baskets(prep):
    lines = prep.lines().dropna(subset=["product_id"])
    return lines.groupby("invoice")["product_id"].agg(lambda s: frozenset(s.astype(str)))


def _max_lift(baskets, min_count: int) -> float:
    n = len(baskets)
    single = Counter(p for b in baskets for p in b)
    pairs = Counter(pair for b in baskets for pair in combinations(sorted(b), 2))
    return max(c * n / (single[a] * single[b]) for (a, b), c in pairs.items() if c >= min_count)


def test_the_stage_has_its_notebook_and_four_exercises_that_need_products():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex07'][0]}.ipynb").is_file()
    assert [e.requires for e in exercises.stage_exercises("ex07")] == [("product_id",)] * 4


def test_baskets_and_their_size(prep, baskets, answer, mistake):
    assert answer("ex07.baskets") == len(baskets)
    assert mistake("ex07.baskets", "lines") == prep.lines()["product_id"].notna().sum()
    sizes = baskets.map(len)
    assert answer("ex07.mean_basket_size") == pytest.approx(sizes.mean())
    assert mistake("ex07.mean_basket_size", "multi_only") == pytest.approx(sizes[sizes >= 2].mean())


def test_the_top_product_is_in_the_largest_share_of_baskets(baskets, answer, mistake):
    counts = Counter(p for b in baskets for p in b)
    assert answer("ex07.top_product_support") == pytest.approx(max(counts.values()) / len(baskets))
    assert mistake("ex07.top_product_support", "count") == max(counts.values())


def test_the_highest_lift_among_pairs_seen_in_five_baskets(baskets, answer, mistake):
    assert answer("ex07.max_lift") == pytest.approx(_max_lift(baskets, 5))
    assert mistake("ex07.max_lift", "no_min_count") == pytest.approx(_max_lift(baskets, 1))
