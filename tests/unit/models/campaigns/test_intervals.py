"""Interval statistics: Newcombe's difference of proportions against the published examples and by
coverage, the family z."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.models import campaigns as cp


class TestDiffProportions:
    def test_newcombe_published_example(self):
        # Newcombe (1998), example (a): 56/70 - 48/80, method 10 interval 0.0524 .. 0.3339
        r = cp.diff_proportions(56, 70, 48, 80)
        assert r.diff == pytest.approx(0.2)
        assert (round(r.low, 4), round(r.high, 4)) == (0.0524, 0.3339)
        # example (b) 9/10 - 3/10: 0.1705 .. 0.8090
        r = cp.diff_proportions(9, 10, 3, 10)
        assert (round(r.low, 4), round(r.high, 4)) == (0.1705, 0.8090)

    def test_newcombe_coverage(self):
        rng = np.random.default_rng(3)
        p1, p2, n1, n2 = 0.15, 0.08, 120, 150
        hits = 0
        for _ in range(400):
            r = cp.diff_proportions(int(rng.binomial(n1, p1)), n1, int(rng.binomial(n2, p2)), n2)
            hits += r.low <= p1 - p2 <= r.high
        assert 0.91 <= hits / 400 <= 0.99  # nominal 95 %; 400 draws give +/- 2.2 points


class TestFamilyZ:
    def test_family_z(self):
        assert cp.family_z(1) == 3.0
        assert cp.family_z(20) == pytest.approx(3.48, abs=0.01)  # Phi^-1(1 - 0.01 / 40)
