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


from helpers import i18n  # noqa: E402
from helpers.analyses import headlines  # noqa: E402


def test_run_status_by_hand_banner_or_complete():
    assert plots.run_status(None, "reports/x", banner=lambda a, n: "B") == [i18n._("Run by hand: the statuses of the other notebooks are not known; this page shows what they published in {folder}.", folder="reports/x")]
    ok = [{"name": "01_data_cleaning", "status": "ok"}, {"name": "90_executive_summary", "status": "ok"}]
    assert plots.run_status(ok, "reports/x", banner=lambda a, n: "B") == [i18n._("Every notebook before this one ran.")]
    failed = [{"name": "04_clv", "status": "failed", "error": "boom"}, {"name": "90_executive_summary", "status": "ok"}]
    seen = []
    [banner] = plots.run_status(failed, "reports/x", banner=lambda a, n: seen.append((a, n)) or "<b>B</b>")
    assert banner.data == "<b>B</b>" and len(seen[0][0]) == 1 and "boom" in seen[0][0][0] and seen[0][1] == []


def test_gaps_table_or_note():
    everything = {nb: pd.DataFrame(columns=["customer_id", *cols]) for nb, cols in headlines.CUSTOMER_COLUMNS.items()}
    assert plots.gaps_table(everything, None) == i18n._("Every column of the action table was published in this run.")
    missing = {nb: df for nb, df in everything.items() if nb != "05_churn"}
    html = plots.gaps_table(missing, None).to_html()
    assert "05_churn" in html and i18n._("What the action table lacks: notebooks whose customer columns are unknown in this run") in html and "04_clv" not in html


def action_rows():
    return pd.DataFrame({"customer_id": ["a", "b", "c"], "value_tier": ["high", "unknown", "unknown"],
                         "risk_level": ["low", "high", "unknown"],
                         "risk_basis": [headlines.RISK_FROM_P_ALIVE, "", headlines.RISK_FROM_P_ALIVE],
                         "rfm_segment": ["Champions", None, "Lost"], "churn_risk": [0.1, 0.7, 0.9]})


def test_unknown_counts_note_counts_each_kind():
    note = plots.unknown_counts_note(action_rows())
    assert note == i18n._("Of {n} customers: value tier unknown for {tier}, risk level unknown for {risk}; risk from 1 − P(alive) (no churn risk) for {p_alive}.", n="3", tier="2", risk="1", p_alive="2")
    clean = action_rows().assign(value_tier="high", risk_level="low", risk_basis="")
    assert plots.unknown_counts_note(clean) is None


def test_shown_actions_translates_and_marks_unpublished_columns_unknown():
    published = {"03_segmentation": pd.DataFrame(columns=["customer_id", "rfm_segment"])}
    shown = plots.shown_actions(action_rows(), published)
    assert shown["risk_basis"].iloc[0] == i18n.lookup(headlines.RISK_BASIS_KEYS[headlines.RISK_FROM_P_ALIVE])
    assert pd.isna(shown["rfm_segment"].iloc[1])                        # a missing value stays missing
    assert (shown["churn_risk"] == i18n._("unknown")).all()       # 05 did not publish in this run
    assert action_rows()["risk_basis"].iloc[0] == headlines.RISK_FROM_P_ALIVE   # the input is unchanged


def test_changes_since_migrations_and_new_at_risk():
    now, before = action_rows(), action_rows().assign(churn_risk=[0.1, 0.2, 0.95], rfm_segment=["Lost", None, "Lost"])
    everything = {nb: pd.DataFrame(columns=["customer_id", *cols]) for nb, cols in headlines.CUSTOMER_COLUMNS.items()}
    moved, note, fresh = plots.changes_since(now, before, everything, top_n=5)
    assert moved.data.to_numpy().sum() == 2                             # a and c in both runs with a segment
    assert note == i18n._("{n} customers are newly at high churn risk", n="1")                   # b: 0.2 -> 0.7; c was at risk before
    assert fresh.data.iloc[:, 0].tolist() == ["b"]
    assert plots.changes_since(now.assign(churn_risk=None, rfm_segment=None), before, everything, top_n=5) == []


def test_shown_actions_name_clusters_in_the_report_language():
    table = pd.DataFrame({"customer_id": ["a"], "cluster": ["lapsing · one-time · low spend (2)"]})
    i18n.set_language("tr")
    try:
        shown = plots.shown_actions(table, {"03_segmentation": table})
    finally:
        i18n.set_language("en")
    expected = " · ".join(i18n._(w, "tr") for w in ("lapsing", "one-time", "low spend")) + " (2)"
    assert shown.loc[0, "cluster"] == expected and expected != table.loc[0, "cluster"]
