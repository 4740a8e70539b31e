"""Tests of helpers.plots.campaigns on the ten-customer campaign fixture (tests/fixtures/campaigns)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import campaigns as cp
from helpers.plots import campaigns as plots
from tests.fixtures.campaign_tables import FIX, checked_tables
from tests.unit.models.campaigns.test_tables import Prepared
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


@pytest.fixture(scope="module")
def fx():
    """The checked tables of the fixture."""
    return checked_tables()


@pytest.fixture(scope="module")
def summary(fx):
    return cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])


@pytest.fixture(scope="module")
def comparison(fx):
    return cp.targeting_comparison(fx["ex"], fx["days"])


class TestFormats:
    def test_pct_and_points(self):
        assert plots.pct(0.125) == i18n.fmt_percent(0.125, 1) and plots.pct(np.nan) == "–"
        assert plots.points(0.073) == "+7.3" and plots.points(-0.004) == "-0.4" and plots.points(np.nan) == "–"
        i18n.set_language("tr")
        assert plots.points(0.073) == "+7,3"

    def test_variable_name_and_headers(self):
        assert plots.variable_name("some_column") == "some column"
        shown = plots.headers(pd.DataFrame(columns=["reached", "not_a_glossary_column"]))
        assert list(shown.columns) == [i18n.pgettext("cmp_col_reached", "reached"), "not_a_glossary_column"]

    def test_styled_table_formats_and_escapes(self, summary):
        s = summary.assign(campaign_id=[EVIL] + list(summary["campaign_id"].iloc[1:]))
        html = plots.styled(s[["campaign_id", "reached", "response_rate", "responder_revenue", "window_start"]],
                            "Campaigns", "GBP").to_html()
        assert_escaped(html)
        assert plots.pct(s["response_rate"].iloc[0]) in html and "GBP" in html and i18n.pgettext("cmp_col_reached", "reached") in html


class TestReachAndResponse:
    def test_timeline_one_bar_per_campaign(self, fx):
        w = fx["windows"]
        fig = plots.timeline(w)
        assert len(fig.data) == len(w)
        for tr, row in zip(fig.data, w.itertuples()):
            assert tr.x[0] == (row.window_days * pd.Timedelta(days=1)) / pd.Timedelta(milliseconds=1)
            assert tr.text[0] == i18n.fmt_number(row.reached)
        assert fig.layout.xaxis.type == "date"
        assert_labelled(fig)

    def test_timeline_escapes_campaign_ids(self):
        w = pd.DataFrame({"campaign_id": [EVIL], "campaign_type": ["email"], "window_start": [pd.Timestamp("2024-01-01")],
                          "window_end": [pd.Timestamp("2024-01-03")], "reached": [5]})
        assert_escaped(plots.timeline(w))

    def test_response_rates_in_percent_with_wilson_bars(self, summary):
        s = summary
        fig = plots.response_rates(s)
        bar = fig.data[0]
        assert list(bar.x) == pytest.approx(list(100 * s["response_rate"]))
        assert list(bar.error_x.array) == pytest.approx(list(100 * (s["rate_high"] - s["response_rate"])))
        assert list(bar.y) == list(s["campaign_id"])
        assert_labelled(fig, x="%")

    def test_type_rates(self, summary):
        types = cp.type_summary(summary)
        fig = plots.type_rates(types)
        assert list(fig.data[0].x) == pytest.approx(list(100 * types["response_rate"]))
        assert_labelled(fig, x="%")

    def test_days_to_respond_only_responders(self, fx):
        p = fx["pairs"]
        fig = plots.days_to_respond(p)
        assert sorted(fig.data[0].x) == pytest.approx(sorted(p.loc[p["responded"], "days_to_respond"]))
        assert_labelled(fig, x="(days)")

    def test_funnel_counts(self, fx):
        f = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=dt.date(2024, 6, 30))
        total = cp.funnel_total(f)
        fig = plots.funnel(total)
        assert list(fig.data[0].x) == list(total["pairs"])
        assert list(fig.data[0].x)[0] == int(f.loc[f["follow_up_complete"], "reached"].sum())
        assert_labelled(fig, x="(count)")


class TestTargeting:
    def test_uplift_forest_in_points(self, comparison):
        c = comparison.dropna(subset=["difference"])
        fig = plots.uplift_forest(comparison)
        assert list(fig.data[0].x) == pytest.approx(list(100 * c["difference"]))
        assert list(fig.data[0].error_x.arrayminus) == pytest.approx(list(100 * (c["difference"] - c["diff_low"])))
        assert len(fig.data) == 1
        assert_labelled(fig, x="percentage points")

    def test_planted_values_as_crosses(self, comparison):
        check = pd.DataFrame({"campaign_id": [EVIL], "true_uplift": [0.05]})
        fig = plots.uplift_forest(comparison, check)
        assert fig.data[1].x[0] == pytest.approx(5.0) and fig.data[1].marker.symbol == "x"
        assert_escaped(fig)

    def test_targeted_shares(self, comparison):
        c = comparison
        fig = plots.targeted_shares(c)
        assert list(fig.data[0].y) == pytest.approx(list(100 * c["share_targeted"]), nan_ok=True)
        assert list(fig.data[1].y) == pytest.approx(list(100 * c["share_not_targeted"]), nan_ok=True)
        assert_labelled(fig, y="%")


class TestProfiles:
    @pytest.fixture
    def profile(self, fx):
        flags = cp.customer_flags(fx["pairs"])
        attrs = pd.read_csv(FIX / "attributes.csv")
        attrs.loc[0, "region"] = EVIL
        return cp.responder_profile(flags, attrs)

    def test_shares_of_responders_and_non_responders(self, profile):
        p = profile[profile["variable"] == "region"]
        fig = plots.profile_bars(profile, "region")
        assert list(fig.data[0].y) == pytest.approx(list(100 * p["share_of_responders"]))
        assert list(fig.data[1].y) == pytest.approx(list(100 * p["share_of_non_responders"]))
        assert sum(fig.data[0].y) == pytest.approx(100.0)
        assert SHOWN in fig.data[0].x
        assert_labelled(fig, y="%")
        assert_escaped(fig)

    def test_unknown_grouping_gives_an_empty_figure(self, profile):
        fig = plots.profile_bars(profile, "no_such_column", "Nothing")
        assert len(fig.data[0].x) == 0 and "Nothing" in fig.layout.title.text and "–" in fig.layout.title.text


class TestInputsNote:
    """English texts: the folder's conftest sets the language."""

    def test_all_tables(self):
        got = cp.load_inputs(Prepared(["exposures", "responses", "attributes"]))
        # 2 campaigns (A, B), 7 exposure rows, 5 response rows, 6 customers with attributes
        assert plots.inputs_note(got) == "2 campaigns, 7 customer-campaign exposures, 5 responses, attributes of 6 customers."

    def test_without_responses_or_exposures(self):
        assert plots.inputs_note(cp.load_inputs(Prepared(["exposures"]))) == i18n._("The data has exposures but no responses: reach and the targeted vs not targeted comparison are shown; response rates, the funnel and the responder profile need a 'responses' table.")
        assert plots.inputs_note(cp.load_inputs(Prepared([]))) == i18n._("The data has no campaign exposures (table 'exposures'): who was sent which campaign is unknown, so reach, response and the targeted vs not targeted comparison cannot be measured.")


class TestTranslatedGroups:
    def test_clv_tier_names_in_turkish(self):
        rfm = pd.DataFrame({"customer_id": ["a", "b"], "recency_days": [5, 9], "frequency": [3, 1],
                            "monetary": [10.0, 2.0]})
        tiers = pd.DataFrame({"customer_id": ["a", "b"], "clv_tier": ["top 1 %", "rest 80 %"]})
        g = plots.translated_groups(cp.profile_groups(rfm, clv_tiers=tiers), "tr")
        assert list(g["clv_tier"].cat.categories)[0].startswith("en üst")
        assert g.set_index("customer_id").loc["b", "clv_tier"].startswith("kalan")


class TestSections:
    def data(self, fx, ready=True, responses=True):
        from types import SimpleNamespace

        return SimpleNamespace(ready=ready, has_responses=responses, exposures=fx["ex"] if ready else None)

    def test_reach_and_summary_sections(self, fx, summary):
        assert plots.reach_section(self.data(fx, ready=False), None, True) == [i18n._("No campaign exposures: nothing to show in this notebook.")]
        note, fig = plots.reach_section(self.data(fx), fx["windows"], True)
        assert i18n.fmt_number(fx["ex"]["customer_id"].nunique()) in note and len(fig.data) == len(fx["windows"])
        table, rates = plots.summary_section(summary, self.data(fx), "GBP")
        assert i18n._("Reach and response per campaign (revenue in {currency})", currency="GBP") in table.to_html()
        note, reach = plots.summary_section(summary.assign(reached_buyers_in_window=1), self.data(fx, responses=False), "GBP")
        assert note == i18n._("No responses table: response rates are unknown; the reach per campaign:") and i18n._("Reach per campaign") in reach.to_html()
        assert plots.summary_section(None, self.data(fx, ready=False, responses=False), "GBP") == []

    def test_funnel_targeting_and_truth_sections(self, fx, comparison):
        assert plots.funnel_section(None, 30, "GBP") == []
        fun = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=dt.date(2024, 6, 30))
        table, last = plots.funnel_section(fun, 30, "GBP")
        assert i18n._("Funnel per campaign (bought again = a purchase within {days} days after the window)", days=30) in table.to_html()
        assert (last == i18n._("No campaign has {days} days of follow-up before the analysis date; the funnel total is empty.", days=30)) == (cp.funnel_total(fun)["pairs"].iloc[0] == 0)
        shown = plots.targeting_section(comparison, True, "GBP")
        assert shown[0] == i18n._("Targeting in this data is random: the difference estimates the causal uplift.") and len(shown) == 4
        assert plots.targeting_section(None, True, "GBP") == []
        assert plots.truth_section(None, None, None, "GBP") == [i18n._("Real data: the true uplift is unknown, so there is no known-truth check; read Step 5 as observational.")]
        assert plots.truth_section(None, comparison, {"customers": None}, "GBP") == [i18n._("This synthetic data set has no planted campaign truth; no check.")]

    def test_clv_tiers_without_a_btyd_summary_come_from_spend(self):
        tiers, notes = plots.clv_tiers(None, time_unit="W", clv_months=12, discount_rate=0.1)
        assert tiers is None and notes == [i18n._("Value tier: no CLV model could be fitted, so the spend tier (terciles of total revenue) stands in for the CLV tier. Reason: {reason}", reason=i18n._("this run has no customers_btyd table (frequency, recency and T per customer)."))]

    def test_responder_section_counts_and_tests(self, fx):
        flags = cp.customer_flags(fx["pairs"])
        rfm = pd.DataFrame({"customer_id": flags["customer_id"], "segment": ["Champions"] * len(flags),
                            "recency_days": 10, "frequency": 2, "monetary": 100.0})
        profile, (note, table) = plots.responder_section(flags, rfm, None, None, alpha=0.05, currency="GBP")
        assert i18n.fmt_number(flags["campaign_responder"].sum()) in note and "variable" in profile.columns
        assert i18n._("Chi-square tests: responders vs non-responders per grouping") in table.to_html()


def test_config_note_names_the_tables():
    note = plots.config_note("shop", dt.date(2024, 1, 1), dt.date(2024, 6, 30), "GBP", ["lines", "exposures"])
    assert "tables.lines, tables.exposures" in note and i18n.fmt_date(dt.date(2024, 6, 30)) in note and "GBP" in note
