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


# ----------------------------------------------------------------------------- notebook 04's sections
from types import SimpleNamespace  # noqa: E402

from tests.unit.models.clv.stubs import TEN  # noqa: E402


@pytest.fixture(scope="module")
def fits():
    return clv.fit_models(TEN, time_unit="W")


def source(step):
    return clv.Source(step)


def test_fit_notes_say_the_steps_and_a_missing_p_alive():
    purchase = SimpleNamespace(source=source("nbd_ml"), n_customers=10, n_repeat=6, seconds=0.5, has_p_alive=False,
                               step="bgnbd_weak", warnings=["r-hat high"])
    spend = SimpleNamespace(source=source("gg_ml"), n_customers=6, n_excluded=1, seconds=0.2, warnings=[])
    notes = plots.fit_notes(SimpleNamespace(purchase=purchase, spend=spend))
    assert len(notes) == 4 and notes[-1] == "r-hat high"
    assert notes[2] == i18n._("P(alive) is unknown for every customer: {step} has no dropout. The P(alive) columns are left empty (not 1), and nothing that needs P(alive) (its heatmap, the action list) is shown.", step=i18n.say(clv.step_phrase("bgnbd_weak"))) and "NBD" in notes[0]


def test_fit_section_one_table_per_model(fits):
    tables = plots.fit_section(fits, unit_name="weeks", currency="GBP")
    assert len(tables) == 2 and len(plots.fit_section(fits, unit_name="weeks", currency="GBP", can_predict=False)) == 1
    html = tables[0].to_html()
    assert i18n._("{model} parameters (time in {unit}); 90 % interval low .. high", model=i18n.say(clv.step_phrase(fits.purchase.step)), unit="weeks") in html
    assert f"{fits.purchase.params.iloc[0, 0]:.4f}"[:5] in html


def test_validation_notes_skipped_or_totals():
    assert plots.validation_notes(None, start=None, end=None) == [i18n._("Validation skipped (holdout_months = 0, or no purchase model).")]
    from helpers.phrase import Phrase

    note = Phrase("clv_note_no_holdout_purchase", start="2024-03-02", end="2024-03-31", n=3)
    val = SimpleNamespace(calibration_end=None, notes=[note], fit=None, unknown=0,
                          totals={"customers": 10, "actual": 20.0, "predicted": 18.0, "relative_error": -0.1})
    notes = plots.validation_notes(val, start=None, end=None)
    assert notes[0] == i18n.say(note) and "by the 3 calibration customers" in notes[0]
    assert "-" + i18n.fmt_percent(0.1) in notes[1]


def test_grid_heatmaps_and_totals(fits):
    grid = clv.frequency_recency_grid(fits.purchase, T=30.0, future_t=52.0, max_frequency=3)
    shown = plots.grid_heatmaps(grid, fits.purchase, horizon_months=12, unit_name="weeks")
    assert len(shown) == 2 and all(not isinstance(s, str) for s in shown) == fits.purchase.has_p_alive
    value = pd.DataFrame({"clv": [10.0, np.nan, 30.0], "expected_purchases": [1.0, 2.0, 3.0], "p_alive": [0.5, 0.7, 0.9]})
    unknown, total, hist = plots.clv_totals(value, True, horizon_months=12, currency="GBP")
    assert unknown == i18n._("{n} of {total} customers have an unknown CLV under these steps: it is left empty, not set to 0, and they have no value tier.", n="1", total="3") and i18n.fmt_number(40.0) in total
    assert plots.clv_totals(None, True, horizon_months=12, currency="GBP") == []


def test_value_summary_top_section_and_actions(fits):
    value = clv.customer_value(fits.purchase, fits.spend, TEN, horizon_months=12, discount_rate=0.1, margin=0.3,
                               time_unit="W").assign(revenue=1.0)
    summary = plots.value_summary(value, unit_name="weeks", horizon_months=12, currency="GBP", margin=0.3, discount_rate=0.1)
    assert "customer_id" not in summary.data.columns
    shown = plots.top_section(value, fits.spend, lambda x: x, unit_name="weeks", horizon_months=12, currency="GBP")
    top = value.sort_values("clv", ascending=False).iloc[0]
    assert str(top["customer_id"]) in shown[0].to_html()
    if fits.spend.model == "gamma_gamma":                     # the hand computation ends in the table's number
        assert shown[1].count(i18n.fmt_number(top["expected_spend"], 2)) >= 1
    assert plots.top_section(None, fits.spend, lambda x: x, unit_name="w", horizon_months=12, currency="GBP") == []
    assert plots.action_section(None, None, fits.purchase, top_share=0.2, max_p_alive=0.5, currency="GBP",
                                skip_note="skip") == ["skip"]
    no_dropout = SimpleNamespace(has_p_alive=False, step="bgnbd_weak")
    assert plots.action_section(value, None, no_dropout, top_share=0.2, max_p_alive=0.5, currency="GBP",
                                skip_note="skip") == [i18n._("P(alive) is unknown for every customer: {step} has no dropout. The P(alive) columns are left empty (not 1), and nothing that needs P(alive) (its heatmap, the action list) is shown.", step=i18n.say(clv.step_phrase("bgnbd_weak")))]


def test_tier_names_are_translated_as_whole_phrases():
    from helpers import i18n
    from helpers.models.clv import tier_labels
    from helpers.plots.clv import tier_name

    labels = tier_labels((0.01, 0.05, 0.2))
    assert [tier_name(t, "en") for t in labels] == labels
    assert [tier_name(t, "tr") for t in labels] == ["en üst %1", "en üst %1-5", "en üst %5-20", "kalan %80"]
    assert tier_name(tier_labels((0.005, 0.05))[0], "tr") == "en üst %0,5"
    assert tier_name("unknown", "en") == i18n.label("unknown")
