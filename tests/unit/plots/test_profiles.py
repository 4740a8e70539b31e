"""Tests of helpers.plots.profiles: the marked cross-tab, regions, purchase-rate ratios (notebook 10)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
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


def test_config_and_coverage_notes():
    assert plots.config_note("shop", None, None) == i18n._("config {name}: the data has no customer attribute table, so there is nothing to profile. Add one (customer_id + region, age_band, income_band, household_size ...) under `tables: attributes:` in the config.", name="shop")
    attrs = pd.DataFrame({"customer_id": ["a", "b"]})
    assert plots.config_note("shop", attrs, []) == i18n._("config {name}: {n} customers with attributes; profiled: {cols}", name="shop", n="2", cols=i18n._("none"))
    table = pd.DataFrame({"customer_id": ["a", "b", "c", "d"]})
    assert "50.0%" in plots.coverage_note(table, attrs, ["rfm_segment"]) and "rfm_segment" in plots.coverage_note(table, attrs, ["rfm_segment"])


def test_group_lines_tables_segments_first_with_actions():
    from helpers.plots.segments import segment_label

    lines = {"rfm_segment": pd.Series({"Champions": "more income high"}), "cluster": pd.Series({"c1": "like the base"})}
    seg, cluster = plots.group_lines_tables(lines, ["rfm_segment", "cluster"])
    assert "action" in seg.data.columns and seg.data["segment"].iloc[0] == segment_label("Champions")
    assert seg.data["action"].iloc[0] and seg.caption == i18n._("RFM segments: demographic profile and recommended action")
    assert cluster.caption == i18n._("{group}: demographic profile", group="cluster")


def test_rates_and_truth_sections():
    rates = pd.DataFrame({"level": ["low", "middle"], "step": ["", "bgnbd_ml"], "r": [0.5, 0.6], "rate_ratio": [0.8, 1.0],
                          "note": ["few customers", ""]})
    rates.attrs["reference"] = "middle"
    table, note, failed = plots.rates_section(rates, None, "ValueError: singular", "income_band", "W")
    assert note == "low: few customers" and failed == i18n._("The covariate BG/NBD could not be fitted: {error}", error="ValueError: singular")
    assert i18n._("BG/NBD (maximum likelihood)") in table.to_html()
    assert plots.truth_section(None, rates, None, "income_band", 3.0) == [i18n._("No planted factors for this data (real data, or no demographic truth): nothing to check.")]
    assert plots.truth_section(None, None, {"low": 1.0}, "income_band", 3.0) == []


def test_group_values_are_named_in_the_report_language():
    from helpers.plots.segments import segment_label

    i18n.set_language("tr")
    try:
        assert plots.group_value("rfm_segment", "Hibernating") == segment_label("Hibernating") != "Hibernating"
        assert plots.group_value("cluster", "lapsing · one-time") == f'{i18n._("lapsing")} · {i18n._("one-time")}'
        assert plots.group_value("income_band", "a band from the data") == "a band from the data"
    finally:
        i18n.set_language("en")


def test_written_lines_in_the_report_language():
    from helpers.phrase import Listing, Phrase, Share

    line = Phrase("prf_more", items=Listing([Phrase("prf_share", attribute="region", level="North", share=Share(0.4, 0),
                                                    base=Share(0.25, 0)), Phrase("prf_level", attribute="income", level="high")]))
    lines = {"rfm_segment": pd.Series({"Champions": [line, Phrase("prf_fewer", items=Listing([Phrase("prf_level", attribute="income", level="low")]))]}),
             "cluster": pd.Series({"c1": Phrase("prf_like_base")})}
    i18n.set_language("tr")
    try:
        written = plots.written_lines(lines)
    finally:
        i18n.set_language("en")
    assert written["rfm_segment"]["Champions"] == ("daha çok region North (%40, tüm müşterilerde %25), income high; "
                                                   "daha az income low")
    assert written["cluster"]["c1"] == "müşteri tabanına benzer"
