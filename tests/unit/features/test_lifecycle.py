"""Lifecycle KPIs against hand computation on the lifecycle shop (tests/fixtures/lifecycle.py), and the
stages against the synthetic truth."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.features import lifecycle as lc
from helpers.io.engine import table
from helpers.phrase import Number, Phrase, Share
from tests.fixtures import make_lines
from tests.fixtures.lifecycle import END, ROWS, RULES, START


class TestKpiTable:
    @pytest.fixture
    def k(self, lines):
        return lc.kpi_table(lines, period="month", analysis_date=END, start=START, conversion_days=40).set_index("period")

    def test_customer_counts_by_hand(self, k):
        assert list(k.index) == ["2023-01", "2023-02", "2023-03", "2023-04"]
        assert list(k["active"]) == [2, 2, 3, 5]
        assert list(k["new"]) == [2, 1, 2, 2]
        assert list(k["retained"]) == [0, 1, 1, 2]          # Feb: A; Mar: C; Apr: C and G
        assert list(k["reactivated"]) == [0, 0, 0, 1]       # Apr: A (not active in March)
        assert pd.isna(k.loc["2023-01", "churned"])
        assert list(k["churned"].iloc[1:]) == [1, 1, 1]     # B, then A, then D
        assert list(k["customers_to_date"]) == [2, 3, 5, 7]

    def test_identities(self, k):
        assert (k["active"] == k["new"] + k["retained"] + k["reactivated"]).all()
        change = k["active"].diff().iloc[1:]
        assert (change == (k["new"] + k["reactivated"] - k["churned"]).iloc[1:]).all()

    def test_rates_by_hand(self, k):
        assert np.isnan(k.loc["2023-01", "retention_rate"])           # no period before the first
        assert k["retention_rate"].iloc[1:].tolist() == pytest.approx([1 / 2, 1 / 2, 2 / 3])
        assert k["churn_rate"].iloc[1:].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 3])
        assert k["customer_growth_rate"].iloc[1:].tolist() == pytest.approx([0.0, 0.5, 2 / 3])

    def test_revenue_kpis_by_hand(self, k):
        assert k["revenue"].tolist() == pytest.approx([20.0, 160.0, 44.0, 84.0])    # the guest's 100 in Feb
        assert k["orders"].tolist() == [3, 3, 3, 7]                                   # B's two invoices count twice
        assert k.loc["2023-02", "aov"] == pytest.approx(160 / 3)
        assert k.loc["2023-02", "purchase_frequency"] == pytest.approx(1.0)           # 2 customer orders / 2 active
        assert k.loc["2023-01", "purchase_frequency"] == pytest.approx(1.5)
        assert k.loc["2023-02", "revenue_per_active"] == pytest.approx(30.0)          # (20 + 40) / 2
        assert k.loc["2023-02", "new_revenue_share"] == pytest.approx(40 / 60)        # C is new in Feb
        assert k.loc["2023-02", "returning_revenue_share"] == pytest.approx(20 / 60)
        assert k.loc["2023-02", "guest_revenue_share"] == pytest.approx(100 / 160)
        assert k.loc["2023-04", "new_revenue_share"] == pytest.approx(27 / 84)        # E 20 + F 7
        assert k["revenue_growth_rate"].iloc[1:].tolist() == pytest.approx([7.0, 44 / 160 - 1, 84 / 44 - 1])

    def test_repeat_conversion_by_hand(self, k):
        # Jan: A's second purchase day is 36 days after the first (<= 40), B bought twice on one day: 1 of 2
        assert k.loc["2023-01", "converted"] == 1 and k.loc["2023-01", "repeat_conversion_rate"] == 0.5
        # Feb: C came back after 42 days (> 40)
        assert k.loc["2023-02", "repeat_conversion_rate"] == 0.0
        # Mar: D has had only 31 days (< 40) to come back, so the rate is not known yet
        assert k.loc["2023-03", "converted"] == 1 and np.isnan(k.loc["2023-03", "repeat_conversion_rate"])

    def test_partial_last_period(self, lines):
        k = lc.kpi_table(lines, period="month", analysis_date=dt.date(2023, 4, 25), start=START)
        assert k["complete"].tolist() == [True, True, True, False]
        assert k["active"].iloc[-1] == 4                 # F buys on April 28, after the analysis date

    @pytest.mark.parametrize("period", ["week", "quarter"])
    def test_other_periods_keep_the_identities(self, lines, period):
        k = lc.kpi_table(lines, period=period, analysis_date=END, start=START)
        assert (k["active"] == k["new"] + k["retained"] + k["reactivated"]).all()
        assert k["new"].sum() == 7 and k["revenue"].sum() == pytest.approx(308.0)

    def test_weeks_without_orders_are_rows_of_zeros(self, lines):
        k = lc.kpi_table(lines, period="week", analysis_date=END, start=START).set_index("period")
        assert k.loc["2023-01-09", "active"] == 0 and k.loc["2023-01-09", "revenue"] == 0
        assert k.loc["2023-01-09", "churn_rate"] == pytest.approx(1.0)   # A, active the week before, did not buy
        assert np.isnan(k.loc["2023-01-16", "retention_rate"])            # nobody was active the week before

    def test_explain_fills_the_formulas(self, k):
        e = lc.explain_kpis(k.reset_index()).set_index("kpi")
        assert e.attrs["period"] == "2023-04"
        assert e.loc["retention rate", "formula"] == Phrase("kxf_retention_rate", retained=2, previous="2023-03",
                                                            active_before=3)
        assert e.loc["retention rate", "value"] == Share(2 / 3)
        assert i18n.say(e.loc["retention rate", "formula"], "en") == "retained 2 / active in 2023-03 3"
        assert i18n.say(e.loc["retention rate", "formula"], "tr") == "elde tutulan 2 / 2023-03 döneminde aktif 3"
        assert i18n.say(e.loc["average order value", "formula"], "tr").startswith("ciro ")

    def test_errors(self, lines, k):
        with pytest.raises(ValueError, match="no order on or before the analysis date 2022-12-31"):
            lc.kpi_table(lines, analysis_date=dt.date(2022, 12, 31))
        with pytest.raises(ValueError, match="period '2023-01' is not in the table or has no period before it"):
            lc.explain_kpis(k.reset_index(), "2023-01")

    def test_retention_value(self, k):
        v = lc.retention_value(k.reset_index(), points=10, last=12)
        # 10 % of the previous period's active customers (2, 2, 3) times revenue per active (30, 44/3, 84/5)
        assert v["extra_revenue"] == pytest.approx(0.2 * 30 + 0.2 * 44 / 3 + 0.3 * 84 / 5)
        assert v["periods"] == 3


# --------------------------------------------------------------------------------------
# engine parity and the synthetic truth
# --------------------------------------------------------------------------------------
@pytest.mark.spark
@pytest.mark.slow
def test_kpis_and_cohorts_identical_on_spark(duck, spark_con):
    df = make_lines(ROWS)
    a = lc.kpi_table(table(duck, df), period="week", analysis_date=END, start=START)
    b = lc.kpi_table(table(spark_con, df), period="week", analysis_date=END, start=START)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(lc.cohort_table(table(duck, df), analysis_date=END),
                                  lc.cohort_table(table(spark_con, df), analysis_date=END), check_dtype=False)
    pd.testing.assert_frame_equal(lc.purchase_days(table(duck, df), analysis_date=END),
                                  lc.purchase_days(table(spark_con, df), analysis_date=END), check_dtype=False)


@pytest.fixture(scope="module")
def synthetic():
    """The default synthetic shop (5,000 customers, two years), prepared as the reports see it."""
    from helpers.io import engine
    from helpers import pipeline

    prep = pipeline.open_run("configs/default.yaml", progress=False)
    lines = prep.table(engine.connect(prep.config.engine))
    days = lc.purchase_days(lines, analysis_date=prep.end)
    rules, _ = lc.rules_from_gaps(days)
    truth = prep.synthetic_truth()["customers"].set_index("customer_id")
    return {"prep": prep, "lines": lines, "days": days, "rules": rules, "truth": truth,
            "stages": lc.stages_at(days, prep.end, rules).set_index("customer_id")}


@pytest.mark.slow
class TestSyntheticTruth:
    def test_new_customers_are_the_planted_births(self, synthetic):
        k = lc.kpi_table(synthetic["lines"], period="month", analysis_date=synthetic["prep"].end)
        births = synthetic["truth"]["birth_ts"].dt.strftime("%Y-%m").value_counts().sort_index()
        assert k.set_index("period")["new"].loc[births.index].tolist() == births.tolist()
        assert k["customers_to_date"].iloc[-1] == len(synthetic["truth"])

    def test_dropouts_well_before_the_analysis_date_are_lost(self, synthetic):
        """The truth's dropout is the customer's last purchase, so a customer dropped out more than a year
        before the analysis date has a recency above 365 days > lost_days (196 days on this data): 100 %
        land in "lost"; those dropped out more than at_risk_days ago all land in "at risk" or "lost"."""
        t, s, end, rules = synthetic["truth"], synthetic["stages"], pd.Timestamp(synthetic["prep"].end), synthetic["rules"]
        assert rules.lost_days < 365
        old = t.index[t["dropout_ts"] < end - pd.Timedelta(days=365)]
        assert len(old) > 300
        assert (s.loc[old, "stage"] == "lost").mean() == 1.0
        lapsed = t.index[t["dropout_ts"] < end - pd.Timedelta(days=rules.at_risk_days)]
        assert s.loc[lapsed, "stage"].isin(["lost", "at risk"]).mean() == 1.0

    def test_alive_customers_are_lost_as_often_as_the_model_says(self, synthetic):
        """For a customer alive at the end (BG/NBD: purchase rate lambda, dropout chance p after each repeat
        purchase), P(no purchase in the last w days | alive at the end) = exp(-lambda (1 - p) w): being
        alive selects for fewer purchases in the window, each of which would have carried a dropout risk.
        So the expected number of alive customers in "lost" (silent for more than w = lost_days) is the sum
        of that probability; measured 1,320 against 1,324 expected, sd 15. Tolerance: 4 standard deviations
        of the sum of independent Bernoullis, plus 2 % for the day rounding of purchase times."""
        t, s, end, w = synthetic["truth"], synthetic["stages"], pd.Timestamp(synthetic["prep"].end), synthetic["rules"].lost_days
        alive = t[t["alive_at_end"] & (t["birth_ts"] < end - pd.Timedelta(days=w + 1))]
        prob = np.exp(-alive["lambda"] / 7 * (1 - alive["p"]) * w)
        expected, sd = prob.sum(), np.sqrt((prob * (1 - prob)).sum())
        observed = (s.loc[alive.index, "stage"] == "lost").sum()
        assert abs(observed - expected) < 4 * sd + 0.02 * expected


class TestSummaryAndPlots:
    def test_summary_by_hand(self, lines):
        k = lc.kpi_table(lines, period="month", analysis_date=END, start=START)
        s = lc.kpi_summary(k)["value"]
        assert s["new customers (total)"] == 7 and i18n.say(s["periods"], "en") == "4 (2023-01 .. 2023-04)"
        assert s["retention rate (mean)"].value == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
        assert s["average order value (revenue / orders)"] == Number(308 / 16, 2)

    def test_every_figure_has_a_title_and_labelled_axes(self, lines, days):
        from helpers.plots import lifecycle as plots

        k = lc.kpi_table(lines, period="month", analysis_date=END, start=START)
        c = lc.cohort_table(lines, period="month", analysis_date=END)
        st = lc.stages_at(days, END, RULES)
        ev = lc.loss_events(days, RULES, analysis_date=END)
        figs = [plots.customer_flow(k, "month"), plots.rates(k, "month"), plots.revenue(k, "month", "GBP"),
                plots.per_customer(k, "month", "GBP"),
                plots.cohort_heatmap(lc.cohort_matrix(c), title="t", value_label="%"),
                plots.cohort_curves(c, value="retention", title="t", y_label="y"),
                plots.gap_histogram(days, RULES), plots.stage_area(lc.stage_history(days, RULES, analysis_date=END), "month"),
                plots.stage_bars(st, lc.STAGE_ORDER), plots.funnel(lc.funnel(st, RULES)),
                plots.losses(lc.losses_per_period(ev), "month")]
        for f in figs:
            assert f.layout.title.text
            if f.data[0].type != "funnel":
                assert f.layout.xaxis.title.text and f.layout.yaxis.title.text
        assert "GBP" in figs[2].layout.yaxis.title.text
