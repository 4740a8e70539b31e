"""Lifecycle KPIs, cohorts, stages and losses against hand computation, and against the synthetic truth."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.features import lifecycle as lc
from helpers.io.engine import table
from tests.fixtures import make_lines

# Seven customers and one guest, January to April 2023 (analysis date April 30). Amounts are
# quantity x unit price. Months in which each customer orders:
#   A: Jan 5 (invoice 1, two lines: 4 + 6), Feb 10 (20), Apr 3 (30)        -> new, retained, -, reactivated
#   B: Jan 20 twice (invoices 4 and 5, 5 + 5: one purchase day, two orders) -> new
#   C: Feb 1 (40), Mar 15 (10), Apr 20 (10)                                 -> new, retained, retained
#   D: Mar 30 (25)                                                          -> new
#   G: Mar 20 (9), Apr 1 (11), Apr 15 (6)                                   -> new, retained
#   E: Apr 10 (8), Apr 25 (12);  F: Apr 28 (7)                              -> new
#   guest: Feb 14 (100); A again on May 2 (50), after the analysis date: ignored
ROWS = [
    (0, "1", "2023-01-05 10:00", "A", "P1", 1, 4.0),
    (1, "1", "2023-01-05 10:00", "A", "P2", 1, 6.0),
    (2, "4", "2023-01-20 09:00", "B", "P1", 1, 5.0),
    (3, "5", "2023-01-20 15:00", "B", "P1", 1, 5.0),
    (4, "2", "2023-02-10 12:00", "A", "P1", 2, 10.0),
    (5, "6", "2023-02-01 12:00", "C", "P3", 1, 40.0),
    (6, "10", "2023-02-14 12:00", None, "P1", 1, 100.0),
    (7, "7", "2023-03-15 12:00", "C", "P1", 1, 10.0),
    (8, "9", "2023-03-30 12:00", "D", "P2", 1, 25.0),
    (9, "15", "2023-03-20 12:00", "G", "P1", 1, 9.0),
    (10, "3", "2023-04-03 12:00", "A", "P3", 1, 30.0),
    (11, "8", "2023-04-20 12:00", "C", "P1", 1, 10.0),
    (12, "16", "2023-04-01 12:00", "G", "P1", 1, 11.0),
    (13, "17", "2023-04-15 12:00", "G", "P2", 1, 6.0),
    (14, "12", "2023-04-10 12:00", "E", "P1", 1, 8.0),
    (15, "13", "2023-04-25 12:00", "E", "P1", 1, 12.0),
    (16, "14", "2023-04-28 12:00", "F", "P2", 1, 7.0),
    (17, "11", "2023-05-02 12:00", "A", "P1", 1, 50.0),
]
START, END = dt.date(2023, 1, 1), dt.date(2023, 4, 30)
# at risk after 30 silent days, lost after 50; loyal = 3+ purchases over 60+ days
RULES = lc.StageRules(at_risk_days=30, lost_days=50, loyal_min_purchases=3, loyal_min_tenure_days=60)


@pytest.fixture
def lines(duck):
    return table(duck, make_lines(ROWS))


@pytest.fixture
def days(lines):
    return lc.purchase_days(lines, analysis_date=END)


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
        assert e.loc["retention rate", "formula"] == "retained 2 / active in 2023-03 3"
        assert e.loc["retention rate", "value"] == "66.7%"

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


class TestCohortTable:
    def test_by_hand(self, lines):
        c = lc.cohort_table(lines, period="month", analysis_date=END)
        jan = c[c["cohort"] == "2023-01"]
        assert jan["age"].tolist() == [0, 1, 2, 3] and (jan["cohort_size"] == 2).all()
        assert jan["retention"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.5])   # A in Feb and Apr; nobody in Mar
        assert jan["cumulative_revenue_per_customer"].tolist() == pytest.approx([10.0, 20.0, 20.0, 35.0])
        mar = c[c["cohort"] == "2023-03"]                                          # D and G
        assert mar["retention"].tolist() == pytest.approx([1.0, 0.5])
        assert mar["revenue_per_customer"].tolist() == pytest.approx([17.0, 8.5])
        assert len(c) == 4 + 3 + 2 + 1

    def test_consistent_with_the_kpi_table(self, lines):
        """Active customers of all cohorts in a period = active customers of the KPI table."""
        c = lc.cohort_table(lines, period="month", analysis_date=END)
        k = lc.kpi_table(lines, period="month", analysis_date=END)
        per_period = c.assign(p=c["cohort_index"] + c["age"]).groupby("p")["active"].sum()
        assert per_period.tolist() == k["active"].tolist()
        assert c[c["age"] == 0]["cohort_size"].tolist() == k["new"].tolist()

    def test_matrix(self, lines):
        m = lc.cohort_matrix(lc.cohort_table(lines, period="month", analysis_date=END), "retention")
        assert m.shape == (4, 4) and np.isnan(m.loc["2023-04", 1])
        assert lc.cohort_matrix(lc.cohort_table(lines, period="month", analysis_date=END), last=2).index.tolist() == \
            ["2023-03", "2023-04"]


class TestPurchaseDays:
    def test_same_day_orders_are_one_purchase(self, days):
        b = days[days["customer_id"] == "B"]
        assert len(b) == 1 and b["orders"].iloc[0] == 2 and b["revenue"].iloc[0] == 10.0
        a = days[days["customer_id"] == "A"]
        assert a["gap_days"].tolist()[1:] == [36.0, 52.0] and a["n"].tolist() == [1, 2, 3]
        assert len(a) == 3                                     # the May purchase is after the analysis date


class TestRules:
    def test_from_gaps(self, days):
        # gaps: A 36, 52; C 42, 36; E 15; G 12, 14 -> sorted 12 14 15 36 36 42 52
        rules, note = lc.rules_from_gaps(days, min_gaps=5)
        assert rules.at_risk_days == 41     # 80 % quantile 36 + 0.8 x (42 - 36) = 40.8, rounded up
        assert rules.lost_days == 49        # 95 % quantile 42 + 0.7 x (52 - 42) = 49
        assert "80% quantile" in note

    def test_falls_back_with_few_gaps(self, days):
        rules, note = lc.rules_from_gaps(days)
        assert (rules.at_risk_days, rules.lost_days) == (90, 180) and "only 7 gaps" in note

    def test_given_values_win(self, days):
        rules, note = lc.rules_from_gaps(days, at_risk_days=20, lost_days=70)
        assert (rules.at_risk_days, rules.lost_days) == (20, 70) and "(given)" in note

    def test_rejects_bad_thresholds(self):
        with pytest.raises(ValueError, match="need 0 < at_risk_days < lost_days"):
            lc.StageRules(at_risk_days=90, lost_days=90)
        with pytest.raises(ValueError, match="loyal_min_purchases must be >= 3"):
            lc.StageRules(loyal_min_purchases=2)
        with pytest.raises(ValueError, match="loyal_min_tenure_days must be >= 0"):
            lc.StageRules(loyal_min_tenure_days=-1)


class TestStages:
    def test_every_stage_by_hand(self, days):
        s = lc.stages_at(days, END, RULES).set_index("customer_id")["stage"].astype(str).to_dict()
        assert s == {"A": "reactivated",   # back after a 52-day gap (> 50), 27 days ago
                     "B": "lost",          # silent for 100 days
                     "C": "loyal",         # 3 purchases, first 88 days ago, last 10 days ago
                     "D": "at risk",       # one purchase 31 days ago
                     "E": "converted",     # two purchases, the last 5 days ago
                     "F": "new",
                     "G": "active"}        # 3 purchases, but the first only 41 days ago

    def test_columns_by_hand(self, days):
        s = lc.stages_at(days, END, RULES).set_index("customer_id")
        assert s.loc["A", "recency_days"] == 27 and s.loc["A", "tenure_days"] == 115
        assert s.loc["A", "purchases"] == 3 and s.loc["A", "revenue"] == pytest.approx(60.0)
        assert np.isnan(s.loc["F", "last_gap_days"])

    def test_history_by_hand(self, days):
        h = lc.stage_history(days, RULES, period="month", analysis_date=END)
        h = h.pivot(index="period", columns="stage", values="customers")
        assert h.loc["2023-01", "new"] == 2
        assert (h.loc["2023-02", ["new", "converted", "at risk"]] == [1, 1, 1]).all()   # C, A, B
        assert (h.loc["2023-03", ["new", "converted", "at risk", "lost"]] == [2, 1, 1, 1]).all()
        assert h.loc["2023-04"].sum() == 7

    def test_funnel_by_hand(self, days):
        f = lc.funnel(lc.stages_at(days, END, RULES), RULES).set_index("step")
        assert f["customers"].tolist() == [7, 4, 4, 2]      # A C E G converted and recent; A and C loyal
        assert f.loc["loyal", "share_of_previous"] == pytest.approx(0.5)


class TestLosses:
    def test_events_by_hand(self, days):
        ev = lc.loss_events(days, RULES, analysis_date=END).set_index("customer_id")
        assert sorted(ev.index) == ["A", "B"]
        assert ev.loc["B", "lost_on"] == pd.Timestamp("2023-03-11") and not ev.loc["B", "came_back"]
        assert ev.loc["A", "lost_on"] == pd.Timestamp("2023-04-01")               # Feb 10 + 50 days
        assert ev.loc["A", "came_back"] and ev.loc["A", "back_on"] == pd.Timestamp("2023-04-03")
        assert ev.loc["A", "purchases_before"] == 2 and ev.loc["A", "revenue_before"] == pytest.approx(30.0)
        assert ev.loc["A", "tenure_before_days"] == 36

    def test_per_period(self, days):
        p = lc.losses_per_period(lc.loss_events(days, RULES, analysis_date=END), period="month").set_index("period")
        assert p["lost"].tolist() == [1, 1] and p["came_back"].tolist() == [0, 1]
        assert p.loc["2023-04", "came_back_share"] == 1.0 and p.loc["2023-04", "repeat_lost"] == 1

    def test_lost_profile_by_hand(self, days):
        prof = lc.lost_profile(lc.stages_at(days, END, RULES), days, min_purchases=1)
        lost, buying = prof["lost"], prof["still buying"]       # B; A C E F G (D is at risk: in neither)
        assert lost["customers"] == 1 and buying["customers"] == 5
        assert buying["purchases (median)"] == 3 and buying["revenue (median)"] == 26.0
        assert buying["tenure at last purchase, days (median)"] == 26.0
        # last value / own earlier mean: A 30/15, C 10/25, E 12/8, G 6/10 -> median (0.6 + 1.5) / 2
        assert buying["last purchase value / own earlier mean (median)"] == pytest.approx(1.05)
        # last gap / own earlier mean gap: A 52/36, C 36/42, G 14/12 -> median 14/12
        assert buying["last gap / own earlier mean gap (median)"] == pytest.approx(14 / 12)


COUNTRY_ROWS = [
    (0, "1", "2023-01-05 10:00", "A", "P1", 1, 10.0, "UK"),
    (1, "2", "2023-01-06 10:00", "A", "P1", 1, 30.0, "FR"),   # A spends more in France: main country FR
    (2, "3", "2023-04-20 10:00", "A", "P2", 1, 5.0, "UK"),
    (3, "4", "2023-01-07 10:00", "B", "P1", 1, 8.0, "UK"),
    (4, "5", "2023-04-28 10:00", "C", "P2", 1, 9.0, None),
]


class TestBreakdown:
    def test_by_hand(self, duck):
        lines = table(duck, make_lines(COUNTRY_ROWS, columns=(
            "line_id", "invoice", "invoice_ts", "customer_id", "product_id", "quantity", "unit_price", "country")))
        attrs = lc.customer_attributes(lines, ["country"], analysis_date=END).set_index("customer_id")
        assert attrs["country"].to_dict() == {"A": "FR", "B": "UK", "C": "(missing)"}
        stages = lc.stages_at(lc.purchase_days(lines, analysis_date=END), END, RULES)
        b = lc.breakdown(stages, attrs.reset_index(), "country").set_index("country")
        assert b.loc["FR", "revenue"] == pytest.approx(45.0) and b.loc["FR", "repeat_rate"] == 1.0
        assert b.loc["UK", "lost_share"] == 1.0                    # B: silent since January
        assert b["share_customers"].sum() == pytest.approx(1.0)
        groups = stages.assign(group=np.where(stages["stage"] == "lost", "lost", "still buying"))
        mix = lc.revenue_mix(lines, groups, "product_id", analysis_date=END)
        assert mix.loc["P1", "lost"] == 1.0                         # B bought only P1
        assert mix.loc["P2", "still buying"] == pytest.approx(14 / 54)


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
        assert s["new customers (total)"] == "7" and s["periods"].startswith("4 (2023-01 .. 2023-04)")
        assert s["retention rate (mean)"] == f"{(0.5 + 0.5 + 2 / 3) / 3:.1%}"
        assert s["average order value (revenue / orders)"] == f"{308 / 16:,.2f}"

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
