"""Interval statistics: Wilson intervals against the formula, Newcombe's difference of proportions against the
published examples and by coverage, its Wald interval and p-value, the family z."""
from __future__ import annotations

import math
from dataclasses import astuple
from statistics import NormalDist

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


class TestWilson:
    @staticmethod
    def by_formula(x, n, z=NormalDist().inv_cdf(0.975)):
        """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
        p = x / n
        centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return ((centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n))

    @pytest.mark.parametrize("x, n", [(2, 4), (7, 20), (0, 15), (15, 15), (130, 1000)])
    def test_equals_the_formula(self, x, n):
        assert cp.wilson_ci(x, n) == pytest.approx(self.by_formula(x, n), abs=1e-12)

    def test_confidence_level_and_no_trials(self):
        lo90, hi90 = cp.wilson_ci(7, 20, confidence=0.90)
        assert (lo90, hi90) == pytest.approx(self.by_formula(7, 20, NormalDist().inv_cdf(0.95)), abs=1e-12)
        lo95, hi95 = cp.wilson_ci(7, 20)
        assert lo95 < lo90 < 7 / 20 < hi90 < hi95
        assert all(math.isnan(v) for v in cp.wilson_ci(0, 0))


class TestDiffProportionsParts:
    def test_wald_interval_and_pooled_z_test(self):
        r = cp.diff_proportions(30, 100, 18, 120)
        p1, p2 = 0.3, 0.15
        se = math.sqrt(p1 * (1 - p1) / 100 + p2 * (1 - p2) / 120)
        assert r.se == pytest.approx(se) and r.wald_low == pytest.approx(0.15 - 1.959964 * se, abs=1e-6)
        # chi-square of the 2 x 2 table without correction = the pooled two-proportion z-test
        pool = 48 / 220
        z = 0.15 / math.sqrt(pool * (1 - pool) * (1 / 100 + 1 / 120))
        assert r.p_value == pytest.approx(2 * (1 - NormalDist().cdf(z)), rel=1e-9)
        assert r.low < r.diff < r.high

    def test_degenerate_tables(self):
        assert all(math.isnan(v) for v in astuple(cp.diff_proportions(1, 0, 2, 5)))
        r = cp.diff_proportions(0, 10, 0, 12)            # nobody bought in either group: no test possible
        assert r.diff == 0.0 and math.isnan(r.p_value) and r.low < 0 < r.high


class TestFamilyZBonferroni:
    def test_above_three_it_is_the_bonferroni_quantile(self):
        # 100 checks at a 1 % family error: Phi^-1(1 - 0.01 / 200)
        assert cp.family_z(100) == pytest.approx(NormalDist().inv_cdf(1 - 0.01 / 200), rel=1e-9)
        assert cp.family_z(5, family_error=0.2) == 3.0      # Phi^-1(0.98) = 2.05, raised to 3
        assert cp.family_z(0) == 3.0
