"""Interval estimates and tests behind the campaign tables (thin layers over scipy).

Wilson intervals (:meth:`scipy.stats.binomtest.proportion_ci`), Newcombe's hybrid score interval
for a difference of proportions (method 10 of Newcombe 1998), the Wald interval and its standard
error, the chi-square test of a 2 x 2 table (:func:`scipy.stats.chi2_contingency`), and the
family-wise z of the truth checks.

References
----------
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


def wilson_ci(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy); (nan, nan) when there are no trials."""
    if trials <= 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


@dataclass(frozen=True)
class DiffCI:
    """A difference of two proportions p1 - p2 with its intervals and test."""

    diff: float
    low: float            # Newcombe hybrid score interval
    high: float
    se: float             # Wald standard error sqrt(p1 q1 / n1 + p2 q2 / n2)
    wald_low: float
    wald_high: float
    p_value: float        # chi-square test of the 2 x 2 table (no continuity correction)


def diff_proportions(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> DiffCI:
    """p1 - p2 = x1/n1 - x2/n2 with Newcombe's hybrid score interval, the Wald interval and a p-value.

    Newcombe (1998, method 10) combines the Wilson intervals (l1, u1) and (l2, u2) of the two
    proportions: low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    It keeps its coverage near the nominal level for small counts and proportions near 0 or 1,
    where the Wald interval d +/- z se fails. The p-value is the chi-square test of independence
    of the 2 x 2 table (equal to the pooled two-proportion z-test); nan when a margin is zero.

    Examples
    --------
    Newcombe's (1998) worked example, 56/70 vs 48/80: d = 0.2, 95 % interval 0.0524 .. 0.3339.

    >>> r = diff_proportions(56, 70, 48, 80)
    >>> round(r.low, 4), round(r.high, 4)
    (0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        nan = math.nan
        return DiffCI(nan, nan, nan, nan, nan, nan, nan)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    l1, u1 = wilson_ci(x1, n1, confidence)
    l2, u2 = wilson_ci(x2, n2, confidence)
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = stats.norm.ppf(0.5 + confidence / 2)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    if (table.sum(axis=0) == 0).any():
        p = math.nan
    else:
        p = float(stats.chi2_contingency(table, correction=False).pvalue)
    return DiffCI(d, low, high, se, d - z * se, d + z * se, p)


def family_z(campaigns: int, family_error: float = 0.01) -> float:
    """z such that K two-sided checks at |error| <= z se all pass with probability >= 1 - family_error (Bonferroni).

    Never below 3 (the usual "3 standard errors").
    """
    k = max(int(campaigns), 1)
    return max(3.0, float(stats.norm.ppf(1 - family_error / (2 * k))))

