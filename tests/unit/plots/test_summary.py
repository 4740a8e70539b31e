"""Tests of helpers.plots.summary: customers per recommended action (notebook 07)."""
from __future__ import annotations

import pandas as pd

from helpers.analyses.actions import ACTION_KEYS, action_label
from helpers.plots import summary as plots
from tests.unit.plots import assert_labelled


def test_action_counts_bars_and_clv():
    actions = list(ACTION_KEYS)[:2]
    table = pd.DataFrame({"customer_id": list("abcde"), "recommended_action": [actions[0]] * 3 + [actions[1]] * 2,
                          "clv": [10.0, 20.0, "n/a", 5.0, 5.0]})
    fig = plots.action_counts(table, "GBP")
    assert list(fig.data[0].x) == [2, 3]                        # fewest first
    assert list(fig.data[0].y) == [action_label(actions[1]), action_label(actions[0])]
    assert list(fig.data[0].customdata) == [10.0, 30.0]        # text CLV counts as unknown, not as an error
    assert "GBP" in fig.data[0].hovertemplate
    assert_labelled(fig, x="(count)")


def test_unknown_actions_are_shown_as_written():
    table = pd.DataFrame({"customer_id": ["a"], "recommended_action": ["call them"], "clv": [1.0]})
    assert list(plots.action_counts(table, "GBP").data[0].y) == ["call them"]
