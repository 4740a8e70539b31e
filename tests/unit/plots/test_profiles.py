"""Tests of helpers.plots.profiles: the marked cross-tab, regions, purchase-rate ratios (notebook 10)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.models import profiles
from helpers.plots import profiles as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


def test_crosstab_heatmap_shares_and_residuals():
    group = pd.Series(["loyal"] * 30 + [EVIL] * 30)
    attribute = pd.Series(["north"] * 25 + ["south"] * 5 + ["north"] * 5 + ["south"] * 25)
    tab = profiles.crosstab_test(group, attribute)
    fig = plots.crosstab_heatmap(tab)
    assert np.allclose(np.array(fig.data[0].z, dtype=float), tab.residuals.clip(-4, 4).to_numpy())
    cells = dict(zip(fig.data[0].y, fig.data[0].text))
    assert cells["loyal"][list(fig.data[0].x).index("north")] == "83% ▲"     # 25 of 30, above independence
    assert SHOWN in fig.data[0].y
    assert_labelled(fig)
    assert_escaped(fig)


def test_region_bars_customers_and_revenue():
    customers = pd.DataFrame({"customer_id": list("abcde"), "region": ["North", "North", EVIL, EVIL, EVIL],
                              "frequency": [1, 3, 2, 1, 1], "monetary": [10.0, 30.0, 5.0, 5.0, 10.0]})
    table = profiles.region_table(customers)
    fig = plots.region_bars(table, "GBP")
    assert list(fig.data[0].x) == [SHOWN, "North"] and list(fig.data[0].y) == [3, 2]
    assert list(fig.data[1].y) == [20.0, 40.0]
    assert "GBP" in fig.layout.yaxis2.title.text
    assert_labelled(fig)
    assert_escaped(fig)


def test_rate_ratios_with_the_planted_factor():
    rates = pd.DataFrame({"level": ["low", "mid", EVIL], "rate_ratio": [1.0, 1.5, np.nan]})
    rates.attrs["reference"] = "low"
    fig = plots.rate_ratios(rates, "income_band", {"low": 2.0, "mid": 3.0})
    assert list(fig.data[0].y) == [1.0, 1.5]                   # a level without a ratio is left out
    assert list(fig.data[1].y) == pytest.approx([1.0, 1.5])
    assert_labelled(fig)
    alone = plots.rate_ratios(rates, EVIL)
    assert len(alone.data) == 1
    assert_escaped(alone)


def test_group_notes_in_the_report_language():
    from helpers.i18n import _

    groups = profiles.Groups(pd.DataFrame(), [("no_cluster", {}), ("clv_left_out", {"why": "no repeat customer"})])
    assert plots.group_notes(groups) == [_("Too few customers to cluster: clusters are left out."), _("CLV tiers are left out: {why}", why="no repeat customer")]
