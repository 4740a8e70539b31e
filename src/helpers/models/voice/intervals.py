"""Intervals and tests of a proportion, a difference of proportions and a difference of means.

Wilson score interval (Wilson 1927), Newcombe's hybrid score interval for p1 - p2 (Newcombe 1998,
method 10) with the pooled two-sided z-test, and Welch's t interval and test for mean(x) - mean(y).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def diff_proportions(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> dict:
    """p1 - p2 with Newcombe's hybrid score interval (method 10) and the two-sided z-test p-value."""
    if n1 == 0 or n2 == 0:
        return {"diff": math.nan, "low": math.nan, "high": math.nan, "p_value": math.nan}
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, level)
    l2, u2 = wilson_interval(k2, n2, level)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    pv = 2 * stats.norm.sf(abs(d) / se) if se > 0 else (0.0 if d != 0 else 1.0)
    return {"diff": d, "low": low, "high": high, "p_value": float(pv)}


def diff_means(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict:
    """mean(x) - mean(y) with Welch's t interval and p-value."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or len(y) < 2:
        return {"diff": math.nan, "low": math.nan, "high": math.nan, "p_value": math.nan}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # identical scores in a tiny group
        res = stats.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(level)
    return {"diff": float(x.mean() - y.mean()), "low": float(ci.low), "high": float(ci.high),
            "p_value": float(res.pvalue)}
