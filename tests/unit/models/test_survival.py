"""The survival fits shared by churn and contract churn: Kaplan-Meier by group, log-rank, Cox design, by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.models import survival


def test_group_labels_and_column_groups():
    df = pd.DataFrame({"plan": ["a", None, "b"]})
    assert survival.group_labels(df["plan"]).tolist() == ["a", "(missing)", "b"]
    assert survival.column_groups(df, "plan").tolist() == ["a", "(missing)", "b"]
    assert survival.column_groups(df, None).tolist() == ["all customers"] * 3
    assert survival.column_groups(df, None, everyone="everyone").tolist() == ["everyone"] * 3


class TestKaplanMeier:
    DURATIONS = pd.Series([5.0, 10.0, 10.0, 20.0, 1.0, 2.0])
    EVENTS = pd.Series([1, 1, 0, 1, 1, 1])
    GROUPS = pd.Series(["b", "b", "b", "b", "a", "a"])

    def test_one_fit_per_group_in_sorted_order_by_hand(self):
        fits = survival.kaplan_meier_by_group(self.DURATIONS, self.EVENTS, self.GROUPS)
        assert [f.name for f in fits] == ["a", "b"]
        assert fits[1].mask.tolist() == [True, True, True, True, False, False]
        curve = survival.survival_curve(fits[1], group="segment", time="days", value="survival")
        assert list(curve.columns) == ["segment", "days", "survival", "lower", "upper"]
        s = curve.set_index("days")["survival"]
        # t=5: 4 at risk, 1 event -> 3/4; t=10: 3 at risk (one censored at 10 counts), 1 event -> 1/2; t=20: 0
        assert s.loc[5.0] == pytest.approx(0.75) and s.loc[10.0] == pytest.approx(0.5) and s.loc[20.0] == 0
        assert (curve["segment"] == "b").all() and survival.median_duration(fits[1]) == 10

    def test_median_is_empty_when_survival_stays_above_half(self):
        fit = survival.kaplan_meier_by_group(pd.Series([1.0, 2.0, 3.0]), pd.Series([1, 0, 0]),
                                             pd.Series(["x", "x", "x"]))[0]
        assert np.isnan(survival.median_duration(fit))

    def test_logrank_needs_two_groups(self):
        assert survival.logrank(self.DURATIONS, pd.Series(["g"] * 6), self.EVENTS) is None
        res = survival.logrank(self.DURATIONS, self.GROUPS, self.EVENTS)
        assert res.degrees_of_freedom == 1 and 0 < res.p_value <= 1

    def test_pairwise_logrank_is_holm_adjusted(self):
        rng = np.random.default_rng(0)
        groups = pd.Series(np.repeat(["a", "b", "c"], 40))
        durations = pd.Series(rng.exponential(np.repeat([5.0, 10.0, 20.0], 40)))
        out = survival.pairwise_logrank(durations, groups, pd.Series(np.ones(120, dtype=int)))
        assert len(out) == 3 and out["p_value"].is_monotonic_increasing
        p = out["p_value"].to_numpy()
        assert out["p_holm"].tolist() == pytest.approx(np.minimum(1, np.maximum.accumulate(p * [3, 2, 1])).tolist())
        one = survival.pairwise_logrank(durations, pd.Series(["a"] * 120), pd.Series(np.ones(120, dtype=int)))
        assert one.empty and list(one.columns) == ["a", "b", "statistic", "p_value", "p_holm"]


def test_positive_durations_move_zero_to_half_the_shortest():
    assert survival.positive_durations(pd.Series([0.0, 2.0, 4.0])).tolist() == [1.0, 2.0, 4.0]
    assert survival.positive_durations(pd.Series([0.0, 0.0])).tolist() == [0.5, 0.5]


def test_cox_design_one_hot_against_the_most_common_level():
    df = pd.DataFrame({"charges": [1, 2, 3, 4], "plan": ["basic", "basic", "premium", None],
                       "same": ["basic", "basic", "premium", None]})
    X, ref = survival.cox_design(df, ["charges", "plan", "same"])
    assert ref == {"plan": "basic", "same": "basic"}
    # the indicators of "same" repeat those of "plan" and are kept once
    assert list(X.columns) == ["charges", "plan: (missing)", "plan: premium"]
    assert X["plan: premium"].tolist() == [0.0, 0.0, 1.0, 0.0]
    X2, _ = survival.cox_design(df, ["plan"], {"plan": "premium"})
    assert list(X2.columns) == ["plan: (missing)", "plan: basic"]
