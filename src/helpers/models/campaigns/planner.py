"""Campaign test planner: customers per arm to detect an uplift, weeks to collect them, and the result of a test.

Sample size of a two-sided test of two independent proportions without continuity correction
(Fleiss, Levin & Paik 2003, eq. 4.14)::

    n = (z_{1-a/2} sqrt(2 pbar qbar) + z_{1-b} sqrt(p1 q1 + p2 q2))^2 / (p2 - p1)^2

with p1 the base (control) response rate, p2 = p1 + uplift, pbar = (p1 + p2) / 2, q = 1 - p.

References
----------
Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods for Rates and
Proportions*, 3rd ed., Wiley, section 4.2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from helpers.models.campaigns.intervals import diff_proportions


def customers_per_arm(base_rate: float, uplift: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers needed in each arm to detect ``uplift`` (absolute, p2 - p1) over ``base_rate``.

    Raises ValueError when a rate is outside (0, 1), the uplift is 0, or alpha/power are outside (0, 1).
    """
    p1, p2 = float(base_rate), float(base_rate) + float(uplift)
    if not (0 < p1 < 1 and 0 < p2 < 1):
        raise ValueError(f"base rate {p1} and base rate + uplift {p2} must both be inside (0, 1)")
    if uplift == 0:
        raise ValueError("the minimum detectable uplift must not be 0")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be inside (0, 1)")
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return int(math.ceil(num ** 2 / (p2 - p1) ** 2))


def weeks_needed(per_arm: int, customers_per_week: float, *, arms: int = 2, share_in_test: float = 1.0) -> float:
    """Weeks of customer flow needed to fill ``arms`` arms of ``per_arm`` customers (inf when no flow)."""
    flow = float(customers_per_week) * float(share_in_test)
    return math.inf if flow <= 0 else arms * per_arm / flow


def weekly_flow(days, customer_col: str = "customer_id", day_col: str = "day") -> float:
    """Distinct customers buying per week, averaged over the weeks of the purchase days table."""
    if len(days) == 0:
        return 0.0
    week = days[day_col].dt.to_period("W")
    return float(days.groupby(week)[customer_col].nunique().mean())


@dataclass(frozen=True)
class TestDesign:
    """A test design: inputs, customers per arm and weeks at the given flow."""

    base_rate: float
    uplift: float
    alpha: float
    power: float
    per_arm: int
    customers_per_week: float
    weeks: float


def plan_test(base_rate: float, uplift: float, customers_per_week: float, *, alpha: float = 0.05,
              power: float = 0.8) -> TestDesign:
    """:func:`customers_per_arm` and :func:`weeks_needed` (two arms) in one record."""
    n = customers_per_arm(base_rate, uplift, alpha=alpha, power=power)
    return TestDesign(base_rate, uplift, alpha, power, n, float(customers_per_week), weeks_needed(n, customers_per_week))


def result_of_test(treated_buyers: int, treated: int, control_buyers: int, control: int, *,
                confidence: float = 0.95, base_rate: float | None = None, uplift: float | None = None,
                power: float = 0.8) -> dict:
    """After a test: uplift (treated minus control share) with its Newcombe interval, and whether the
    arms were large enough. ``enough`` is False (and ``needed`` says how many per arm) when
    either arm is smaller than the planner requires for ``uplift`` at ``base_rate`` (defaults:
    the observed control rate, and the observed uplift)."""
    d = diff_proportions(treated_buyers, treated, control_buyers, control, confidence)
    p0 = control_buyers / control if control else math.nan
    b = p0 if base_rate is None else base_rate
    u = d.diff if uplift is None else uplift
    try:
        needed = customers_per_arm(b, u, alpha=1 - confidence, power=power)
    except ValueError:
        needed = None
    return {"uplift": d.diff, "low": d.low, "high": d.high, "p_value": d.p_value,
            "treated": int(treated), "control": int(control), "needed": needed,
            "enough": needed is not None and min(treated, control) >= needed}


def campaign_results(comparison, *, uplift: float, confidence: float = 0.95, power: float = 0.8):
    """:func:`result_of_test` per campaign of :func:`~helpers.models.campaigns.uplift.targeting_comparison`
    (targeted = treatment, not targeted = control), the planner's size judged for ``uplift`` at each
    campaign's control rate. Columns: campaign_id, uplift, low, high, treated, control, needed, enough."""
    rows = []
    for r in comparison.itertuples(index=False):
        res = result_of_test(r.targeted_buyers, r.targeted, r.not_targeted_buyers, r.not_targeted,
                             confidence=confidence, base_rate=r.share_not_targeted, uplift=uplift, power=power)
        rows.append({"campaign_id": r.campaign_id} | {k: res[k] for k in
                                                       ("uplift", "low", "high", "treated", "control", "needed", "enough")})
    return pd.DataFrame(rows)
