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
