"""Tests of helpers.plots.clv: value concentration, the Gamma-Gamma check, tracking, heatmaps, tiers, actions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import clv
from helpers.plots import clv as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled

VALUES = pd.Series([500.0, 200.0, 100.0, 100.0, 50.0, 25.0, 15.0, 10.0, 0.0, np.nan])


def test_parameter_and_tier_tables():
    params = pd.DataFrame({"parameter": ["r"], "value": [0.123456], "meaning": [EVIL]})
    html = plots.parameter_table(params, "Parameters").to_html()
    assert "0.1235" in html and "Parameters" in html
    assert_escaped(html)
    table = pd.DataFrame({"tier": ["top", "rest"], "clv": [900.0, 100.0]})
    html = plots.tier_table(clv.tier_summary(table.assign(tier=["top", "rest"])), "Tiers").to_html()
    assert "900.00" in html and "50.0%" in html


def test_value_concentration_in_percent():
    curve = clv.concentration(VALUES)
    fig = plots.value_concentration({"revenue (GBP)": curve})
    assert list(fig.data[0].x) == pytest.approx(list(100 * curve["share_customers"]))
    assert list(fig.data[0].y) == pytest.approx(list(100 * curve["share_value"]))
    assert fig.data[0].y[1] == pytest.approx(100 * 500 / VALUES.sum())    # the best customer's share
    assert len(fig.layout.shapes) == 3                                     # the three tiers
    assert_labelled(fig, x="%", y="%")


def test_spend_vs_frequency_boxes_per_frequency():
    summary = pd.DataFrame({"frequency": [1, 1, 2, 9, 12, 0], "monetary_value": [10.0, 20.0, 15.0, 30.0, 40.0, 0.0]})
    fig = plots.spend_vs_frequency(summary, {"pearson": 0.1, "spearman": 0.2}, "GBP")
    assert [tr.name for tr in fig.data] == ["1", "2", "7+"]
    assert list(fig.data[2].y) == [30.0, 40.0]
    assert "Pearson r = 0.10" in fig.layout.title.text and fig.layout.yaxis.type == "log"
    assert_labelled(fig, y="GBP")
    no_check = plots.spend_vs_frequency(summary, {}, "GBP")
    assert "Pearson" not in no_check.layout.title.text


def test_tracking_actual_and_predicted():
    track = pd.DataFrame({"period_end": pd.date_range("2024-01-07", periods=4, freq="7D"),
                          "actual": [3, 4, 2, 5], "predicted": [3.2, 3.8, 2.5, 4.1]})
    track["actual_cum"], track["predicted_cum"] = track["actual"].cumsum(), track["predicted"].cumsum()
    track.attrs.update(step_days=7, calibration_end=pd.Timestamp("2024-01-14"))
    fig = plots.tracking(track)
    assert list(fig.data[0].y) == [3, 4, 2, 5] and list(fig.data[1].y) == pytest.approx([3.2, 3.8, 2.5, 4.1])
    assert len(fig.layout.shapes) == 1
    assert_labelled(fig)
    cum = plots.tracking(track, cumulative=True)
    assert list(cum.data[0].y) == [3, 7, 9, 14]
    assert cum.layout.yaxis.title.text == i18n._("repeat purchase days (cumulative count)")


def test_holdout_by_frequency():
    table = pd.DataFrame({"frequency": ["0", "1", "2+"], "actual": [0.1, 0.5, 1.2], "predicted": [0.12, 0.45, 1.3]})
    fig = plots.holdout_by_frequency(table, 90)
    assert list(fig.data[0].y) == [0.1, 0.5, 1.2] and list(fig.data[1].y) == [0.12, 0.45, 1.3]
    assert "90" in fig.layout.title.text
    assert_labelled(fig, y="(count)")


def test_heatmap_frequency_by_recency():
    grid = pd.DataFrame({"frequency": [0, 0, 1, 1], "recency": [0.0, 10.0, 0.0, 10.0], "p_alive": [1.0, 1.0, 0.2, 0.9]})
    grid.attrs["time_unit"] = "W"
    fig = plots.heatmap(grid, "p_alive", title="P(alive)", colorbar="P(alive)")
    assert np.array(fig.data[0].z).tolist() == [[1.0, 1.0], [0.2, 0.9]]
    assert list(fig.data[0].y) == [0, 1]
    assert_labelled(fig, x=i18n.label("weeks", "unit_"))


def test_tier_shares_in_percent():
    summary = clv.tier_summary(pd.DataFrame({"tier": ["top", "top", "rest", "rest"], "clv": [60.0, 30.0, 6.0, 4.0]}))
    fig = plots.tier_shares(summary, "clv", "CLV")
    assert list(fig.data[0].y) == pytest.approx(list(100 * summary["share_customers"]))
    assert list(fig.data[1].y) == pytest.approx(list(100 * summary["share_clv"]))
    assert_labelled(fig, y="%")


def test_value_vs_p_alive_marks_the_action_zone():
    table = pd.DataFrame({"gross_margin": [100.0, 90.0, 10.0, 5.0, 0.0], "p_alive": [0.2, 0.9, 0.1, 0.5, 0.3]})
    fig = plots.value_vs_p_alive(table, value="gross_margin", value_label="margin (GBP)", top_share=0.4,
                                 max_p_alive=0.5)
    assert list(fig.data[1].y) == [100.0]                                   # high value and low P(alive)
    assert sorted(fig.data[0].y) == [5.0, 10.0, 90.0]                       # zero value is not drawn (log axis)
    assert fig.layout.yaxis.type == "log" and len(fig.layout.shapes) == 1
    assert_labelled(fig, y="GBP")


def test_value_vs_p_alive_without_customers_draws_no_zone():
    table = pd.DataFrame({"gross_margin": [0.0], "p_alive": [0.5]})
    fig = plots.value_vs_p_alive(table, value="gross_margin", value_label="margin", top_share=0.2, max_p_alive=0.5)
    assert len(fig.data[0].x) == 0 and not fig.layout.shapes


def test_clv_intervals_top_customers_escaped():
    table = pd.DataFrame({"customer_id": [EVIL, "b", "c"], "clv": [300.0, 100.0, 200.0],
                          "clv_low": [250.0, 80.0, 150.0], "clv_high": [400.0, 130.0, 260.0]})
    fig = plots.clv_intervals(table, currency="GBP", n=2)
    assert list(fig.data[0].x) == [200.0, 300.0] and list(fig.data[0].y) == ["c", SHOWN]
    assert list(fig.data[0].error_x.array) == [60.0, 100.0]
    assert "90" in fig.layout.title.text
    assert_labelled(fig, x="GBP")
    assert_escaped(fig)
