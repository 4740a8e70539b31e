"""Tests of helpers.plots.retention on the tables of helpers.analyses.retention for a constant 80 % retention."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.analyses import retention as R
from helpers.plots import retention as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled

BASE = R.RetentionBase(100.0, 50.0, np.full(8, 0.8), "quarter", "constant")
MONEY = dict(margin=0.3, discount_rate=0.1, horizon=8)


def test_curves_survival_per_scenario():
    fig = plots.curves(BASE, 8, points=(0, 10), title="Retention")
    assert list(fig.data[0].y) == pytest.approx(list(0.8 ** np.arange(1, 9)))
    assert list(fig.data[1].y) == pytest.approx(list(0.9 ** np.arange(1, 9)))
    assert [tr.name for tr in fig.data] == ["today", "+10"]
    assert_labelled(fig, x="quarters", y="(0–1)")
    i18n.set_language("tr")
    assert plots.curves(BASE, 4, points=(0,), title="t").data[0].name == "bugün"


def test_scenario_bars_extra_value_and_net_gain():
    table = R.scenario_table(BASE, cost_per_customer=1.0, **MONEY)
    fig = plots.scenario_bars(table, "GBP", "Scenarios")
    assert list(fig.data[0].y) == pytest.approx(list(table["extra_value"]))
    assert list(fig.data[1].y) == pytest.approx(list(table["net_gain"]))
    assert fig.data[0].y[0] == 0
    assert_labelled(fig, x="(pp)", y="GBP")


def test_tornado_bars_around_the_base():
    table = R.tornado(BASE, cost_per_customer=1.0, **MONEY)
    fig = plots.tornado(table, "GBP", "Tornado")
    base = table["base"].iloc[0]
    assert list(fig.data[0].x) == pytest.approx(list((table["low"] - base).iloc[::-1]))
    assert list(fig.data[1].x) == pytest.approx(list((table["high"] - base).iloc[::-1]))
    assert fig.data[0].base == pytest.approx(base)
    assert i18n._("margin") in fig.data[0].y
    assert fig.data[0].name == "−20%"
    assert_labelled(fig, x="GBP")


def test_clv_vs_cost_escapes_the_groups():
    table = pd.DataFrame({"country": ["UK", EVIL], "clv": [120.0, 80.0], "acquisition_cost": [30.0, 30.0]})
    fig = plots.clv_vs_cost(table, "country", "GBP", "CLV")
    assert list(fig.data[0].y) == [120.0, 80.0] and list(fig.data[0].x) == ["UK", SHOWN]
    assert_labelled(fig, y="GBP")
    assert_escaped(fig)


from types import SimpleNamespace  # noqa: E402

from helpers.models.clv import Source, step_phrase  # noqa: E402


def test_measured_table_captioned():
    measured = R.RetentionBase(10.0, 5.0, [0.5], "quarter", "measured",
                               curve=pd.DataFrame({"period": ["2024Q1"], "base": [1200], "retained": [600], "retention": [0.5]}))
    html = plots.measured_table(measured, "quarter").to_html()
    assert "1,200" in html and "50.0%" in html
    assert i18n._("Measured: of the customers active in a {period}, the share active again lag {periods} later", period=i18n.period_name("quarter"), periods=i18n.period_name("quarter", plural=True)) in html


def test_chosen_base_keeps_the_measured_curve_without_dropout():
    no_dropout = SimpleNamespace(purchase=SimpleNamespace(has_p_alive=False, source=Source("nbd_ml")))
    base, shown = plots.chosen_base(BASE, no_dropout, None, period="quarter", horizon=4, currency="GBP", time_unit="W")
    assert shown[0] == i18n._("The BG/NBD curve is not available: the purchase model is {source}, which has no dropout, so it gives neither P(alive) nor a retention curve; the measured curve is used.", source=i18n.say(step_phrase("nbd_ml")))
    assert base.customers == BASE.customers and list(base.rates) == pytest.approx([0.8] * 4)
    assert "80.0%" in shown[1] and "GBP" in shown[1]
    assert list(shown[-1].data[0].y) == pytest.approx(list(0.8 ** np.arange(1, 5)))
    _, measured_only = plots.chosen_base(BASE, None, None, period="quarter", horizon=4, currency="GBP", time_unit="W")
    assert len(measured_only) == len(shown) - 1


def test_scenario_section_table_and_bars():
    table = R.scenario_table(BASE, cost_per_customer=1.0, **MONEY)
    styled, fig = plots.scenario_section(table, period="quarter", currency="GBP", cost_per_customer=1.0, **MONEY)
    assert f"{table['value'].iloc[0]:,.0f}" in styled.to_html()
    assert list(fig.data[0].y) == pytest.approx(list(table["extra_value"]))


def test_headline_notes_with_the_closed_form_check():
    table = R.scenario_table(BASE, cost_per_customer=1.0, **MONEY)
    check = R.closed_form_check(BASE, **MONEY)
    headline, sentence = plots.headline_notes(R.headline(table, 5), BASE, check, points=5, horizon=8, period="quarter",
                                              currency="GBP")
    assert f"{R.headline(table, 5)['value_points']:,.0f}" in headline
    assert sentence.count(f"{check[1]:,.2f}") == 2          # the sum and the closed form agree to the cent


def test_new_clv_section_note_when_the_column_is_missing():
    new_clv = pd.DataFrame({"cohort": ["2024Q1"], "customers": [10], "clv": [12.5], "observed_share": [0.5],
                            "acquisition_cost": [10.0], "clv_minus_cost": [2.5], "clv_to_cost": [1.25]})
    shown = plots.new_clv_section(new_clv, "cohort", "channel", period="quarter", horizon=8, currency="GBP", margin=0.3)
    assert shown[0] == i18n._("The data has no '{clv_by}' column (or clv_by is unknown): CLV per cohort instead.", clv_by="channel") and "+2.50" in shown[1].to_html()
    assert len(plots.new_clv_section(new_clv, "cohort", "cohort", period="quarter", horizon=8, currency="GBP", margin=0.3)) == 2
