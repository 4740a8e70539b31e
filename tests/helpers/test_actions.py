"""The action matrix, cell by cell, and its overrides."""
from __future__ import annotations

import pandas as pd

from helpers import actions


def test_each_cell_of_the_matrix():
    # CLV 1..10: the 80th percentile is 8.2 -> 9 and 10 are high; the 40th is 4.6 -> 1..4 are low
    clv = pd.Series(range(1, 11), index=[f"c{i}" for i in range(1, 11)], dtype=float)
    risk = pd.Series([0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1], index=clv.index)
    out = actions.recommend(clv, risk)
    assert list(out.loc[["c9", "c10"], "value_tier"]) == ["high", "high"]
    assert list(out.loc[["c1", "c4"], "value_tier"]) == ["low", "low"]
    assert out.loc["c9", "recommended_action"] == "retention call"
    assert out.loc["c10", "recommended_action"] == "loyalty care"
    assert out.loc["c5", "recommended_action"] == "win-back offer"
    assert out.loc["c6", "recommended_action"] == "cross-sell next best offer"
    assert out.loc["c1", "recommended_action"] == "automated reminder"
    assert out.loc["c2", "recommended_action"] == "no contact"


def test_stage_overrides_and_missing_values():
    # with the missing CLV filled by the minimum: [1, 100, 2, 1, 50, 60]; 40th percentile 2, 80th 60
    clv = pd.Series([1.0, 100.0, 2.0, None, 50.0, 60.0], index=list("abcdef"))
    risk = pd.Series([0.2, 0.9, None, 0.9, 0.1, 0.1], index=list("abcdef"))
    stage = pd.Series(["new", "lost", "lost", "active", "active", "active"], index=list("abcdef"))
    out = actions.recommend(clv, risk, stage)
    assert out.loc["a", "recommended_action"] == actions.ONBOARDING
    assert out.loc["b", "recommended_action"] == "retention call"      # lost but high value: still worth a call
    assert out.loc["c", "recommended_action"] == actions.NOT_WORTH
    assert out.loc["c", "risk_level"] == "low"                           # missing risk counts as low
    assert out.loc["d", "value_tier"] == "low"                           # missing CLV counts as low value
