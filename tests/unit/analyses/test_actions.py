"""The action matrix, cell by cell, its overrides, and what it does when an input is missing."""
from __future__ import annotations

import pandas as pd

from helpers.analyses import actions

IDS = [f"c{i}" for i in range(1, 11)]


def test_each_cell_of_the_matrix():
    # CLV 1..10: the 80th percentile is 8.2 -> 9 and 10 are high; the 40th is 4.6 -> 1..4 are low
    clv = pd.Series(range(1, 11), index=IDS, dtype=float)
    risk = pd.Series([0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1], index=clv.index)
    offer = pd.Series("P1", index=clv.index)
    out = actions.recommend(clv, risk, offer=offer)
    assert list(out.loc[["c9", "c10"], "value_tier"]) == ["high", "high"]
    assert list(out.loc[["c1", "c4"], "value_tier"]) == ["low", "low"]
    assert out.loc["c9", "recommended_action"] == "retention call"
    assert out.loc["c10", "recommended_action"] == "loyalty care"
    assert out.loc["c5", "recommended_action"] == "win-back offer"
    assert out.loc["c6", "recommended_action"] == "cross-sell next best offer"
    assert out.loc["c1", "recommended_action"] == "automated reminder"
    assert out.loc["c2", "recommended_action"] == "no contact"


def test_missing_inputs_stay_unknown_and_the_action_names_them():
    clv = pd.Series([1.0, 100.0, None, None, 50.0, 60.0, 2.0], index=list("abcdefg"))
    risk = pd.Series([0.2, None, 0.9, None, 0.1, 0.8, 0.1], index=list("abcdefg"))
    out = actions.recommend(clv, risk)
    assert list(out["value_tier"].loc[["c", "d"]]) == ["unknown", "unknown"]        # never "low" for a missing CLV
    assert list(out["risk_level"].loc[["b", "d"]]) == ["unknown", "unknown"]        # never "low" for a missing risk
    assert out.loc["b", "recommended_action"] == actions.NEEDS_RISK                  # high value, no risk: no loyalty care
    assert out.loc["c", "recommended_action"] == actions.NEEDS_CLV
    assert out.loc["d", "recommended_action"] == actions.NEEDS_CLV_AND_RISK
    assert out.loc["f", "recommended_action"] == "win-back offer"                   # both known: the matrix
    # tiers are quantiles of the known CLVs only: [1, 2, 50, 60, 100] -> 40th percentile 30.8, 80th 68
    assert list(out["value_tier"].loc[["a", "g", "e", "f", "b"]]) == ["low", "low", "medium", "medium", "high"]


def test_nothing_known_gives_no_tier_no_level():
    out = actions.recommend(pd.Series([None, None], index=["x", "y"], dtype=float),
                            pd.Series([None, None], index=["x", "y"], dtype=float))
    assert set(out["value_tier"]) == {"unknown"} and set(out["risk_level"]) == {"unknown"}
    assert set(out["recommended_action"]) == {actions.NEEDS_CLV_AND_RISK}


def test_cross_sell_only_with_an_offer():
    clv = pd.Series(range(1, 11), index=IDS, dtype=float)
    risk = pd.Series(0.1, index=IDS)                       # c5..c8 medium value, low risk: the cross-sell cell
    offer = pd.Series([None] * 5 + ["P9"] + [None] * 4, index=IDS, dtype=object)
    out = actions.recommend(clv, risk, offer=offer)
    assert out.loc["c6", "recommended_action"] == actions.CROSS_SELL
    assert list(out.loc[["c5", "c7", "c8"], "recommended_action"]) == [actions.NO_OFFER] * 3
    none_published = actions.recommend(clv, risk)          # the cross-sell notebook published no offers
    assert actions.CROSS_SELL not in set(none_published["recommended_action"])
    assert list(none_published.loc[["c5", "c6", "c7", "c8"], "recommended_action"]) == [actions.NEEDS_OFFER] * 4


def test_stage_overrides():
    # known CLV [1, 2, 3, 10, 50, 55, 70, 100]: 40th percentile 8.6, 80th 64 -> d, e medium; b, f high; c low
    clv = pd.Series([10.0, 100.0, 1.0, 50.0, 55.0, 70.0, None, 2.0, 3.0], index=list("abcdefghi"))
    risk = pd.Series([0.2, 0.1, None, 0.1, None, 0.9, 0.9, 0.1, 0.1], index=list("abcdefghi"))
    stage = pd.Series(["new", "lost", "lost", "lapsed", "lost", "new", "lost", "active", "active"], index=list("abcdefghi"))
    out = actions.recommend(clv, risk, stage, offer=pd.Series("P", index=clv.index))
    assert out.loc["a", "recommended_action"] == actions.ONBOARDING
    assert out.loc["b", "recommended_action"] == "retention call"       # lost, high value, low risk: a call, never loyalty care
    assert out.loc["b", "risk_level"] == "low"                          # the level shows the measured risk
    assert out.loc["c", "recommended_action"] == actions.NOT_WORTH      # lost, low value; no risk needed
    assert out.loc["d", "recommended_action"] == "win-back offer"       # lapsed, medium value, low risk: never cross-sell
    assert out.loc["e", "recommended_action"] == "win-back offer"       # lost, medium value, risk unknown: not needed
    assert out.loc["f", "recommended_action"] == actions.ONBOARDING
    assert out.loc["g", "recommended_action"] == actions.NEEDS_CLV      # lost but no CLV: says what is missing
    lost = stage.isin(actions.LOST_STAGES)
    assert not out.loc[lost, "recommended_action"].isin(["loyalty care", actions.CROSS_SELL]).any()


def test_every_action_and_level_has_a_display_name_in_both_languages():
    from helpers import i18n

    assert set(actions.ACTION_KEYS) >= {*actions.MATRIX.values(), actions.ONBOARDING, actions.NOT_WORTH, actions.NEEDS_CLV,
                                        actions.NEEDS_RISK, actions.NEEDS_CLV_AND_RISK, actions.NEEDS_OFFER, actions.NO_OFFER}
    assert not i18n.missing_keys([*actions.ACTION_KEYS.values(), *actions.LEVEL_KEYS.values()])
    try:
        i18n.set_language("tr")
        assert actions.action_label(actions.NEEDS_RISK) == "bilinmiyor: kayıp riski gerekli"
        assert actions.action_label(actions.UNKNOWN) == "bilinmiyor"
    finally:
        i18n.set_language("en")


def test_retention_rule_names_the_winner_or_says_there_was_no_evidence():
    from helpers.analyses.actions import retention_rule

    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "uplift": [0.1, -0.2, -0.01], "targeting_rule": "uplift"})
    line = retention_rule(t)
    assert "uplift rule won" in line and "2 customers" in line
    none = retention_rule(pd.DataFrame({"customer_id": ["a"], "targeting_rule": [None]}))
    assert "no randomised campaign" in none
