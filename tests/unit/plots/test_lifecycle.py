"""Tests of helpers.plots.lifecycle on the lifecycle tables of a small shop (seven customers, January to April)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.features import lifecycle as lc
from helpers.io.engine import table
from helpers.plots import lifecycle as plots
from tests.fixtures import make_lines
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled

#: purchase days per customer and the customer's country (one line of 10 GBP each day)
PURCHASES = {"A": ("UK", ["2023-01-05", "2023-02-10", "2023-04-03"]), "B": ("UK", ["2023-01-20"]),
             "C": (EVIL, ["2023-02-01", "2023-03-15", "2023-04-20"]), "D": (EVIL, ["2023-03-30"]),
             "E": ("UK", ["2023-04-10", "2023-04-25"]), "F": ("France", ["2023-01-28"]),
             "G": ("France", ["2023-01-02", "2023-01-09"])}
END = dt.date(2023, 4, 30)
RULES = lc.StageRules(at_risk_days=30, lost_days=50, loyal_min_purchases=3, loyal_min_tenure_days=60)


@pytest.fixture
def lines(duck):
    rows = [(0, str(i), f"{day} 12:00", cust, "P1" if i % 2 else "P2", 1, 10.0, country)
            for i, (cust, country, day) in enumerate((c, co, d) for c, (co, ds) in PURCHASES.items() for d in ds)]
    df = make_lines(rows, columns=("line_id", "invoice", "invoice_ts", "customer_id", "product_id", "quantity",
                                   "unit_price", "country"))
    return table(duck, df.assign(line_id=range(len(df))))


@pytest.fixture
def kpis(lines):
    return lc.kpi_table(lines, period="month", analysis_date=END, start=dt.date(2023, 1, 1))


@pytest.fixture
def days(lines):
    return lc.purchase_days(lines, analysis_date=END)


@pytest.fixture
def stages(days):
    return lc.stages_at(days, END, RULES)


class TestKpiFigures:
    def test_customer_flow_stacks_to_the_active_customers(self, kpis):
        fig = plots.customer_flow(kpis, "month")
        retained, reactivated, new, churned, active = (pd.Series(tr.y, dtype="Float64") for tr in fig.data)
        assert list(retained + reactivated + new) == list(kpis["active"]) == list(active)
        assert list((-churned).fillna(-1)) == list(kpis["churned"].fillna(-1))     # no churn known in the first month
        assert list(new) == list(kpis["new"]) == [4, 1, 1, 1]
        assert_labelled(fig)

    def test_rates_in_percent(self, kpis):
        fig = plots.rates(kpis, "month")
        ok = kpis["complete"] & kpis["complete"].shift(1, fill_value=False)
        assert list(fig.data[0].y) == pytest.approx(list((100 * kpis["retention_rate"]).where(ok)), nan_ok=True)
        assert_labelled(fig, y="%")

    def test_revenue_parts_add_up(self, kpis):
        fig = plots.revenue(kpis, "month", "GBP")
        total = np.sum([np.array(tr.y, dtype=float) for tr in fig.data[:3]], axis=0)
        assert list(total) == pytest.approx(list(kpis["revenue"]))
        assert "GBP" in fig.layout.yaxis.title.text and "%" in fig.layout.yaxis2.title.text
        assert_labelled(fig)

    def test_per_customer(self, kpis):
        fig = plots.per_customer(kpis, "month", "GBP")
        assert list(fig.data[0].y) == pytest.approx(list(kpis["aov"]), nan_ok=True)
        assert fig.layout.yaxis.title.text == "GBP" and "(count)" in fig.layout.yaxis2.title.text
        assert_labelled(fig)

    def test_a_partial_period_is_noted(self, lines):
        k = lc.kpi_table(lines, period="month", analysis_date=dt.date(2023, 4, 20), start=dt.date(2023, 1, 1))
        assert not k["complete"].all()
        fig = plots.customer_flow(k, "month")
        assert any("2023-04" in a.text for a in fig.layout.annotations)


class TestCohorts:
    def test_heatmap_in_percent(self, lines):
        m = lc.cohort_matrix(lc.cohort_table(lines, period="month", analysis_date=END), "retention")
        fig = plots.cohort_heatmap(m, title="Retention", value_label="%")
        assert np.allclose(np.array(fig.data[0].z, dtype=float), 100 * m.to_numpy(dtype=float), equal_nan=True)
        assert list(fig.data[0].y) == [str(i) for i in m.index]
        assert_labelled(fig)

    def test_curves_one_line_per_recent_cohort(self, lines):
        c = lc.cohort_table(lines, period="month", analysis_date=END)
        fig = plots.cohort_curves(c, value="retention", title="t", y_label="retention (%)", last=2, percent=True)
        assert len(fig.data) == 2
        last = c[c["cohort"] == fig.data[-1].name]
        assert list(fig.data[-1].y) == pytest.approx(list(100 * last["retention"]))
        assert_labelled(fig, y="%")


class TestStages:
    def test_gap_histogram_marks_the_thresholds(self, days):
        fig = plots.gap_histogram(days, RULES)
        gaps = days["gap_days"].dropna()
        assert sorted(fig.data[0].x) == pytest.approx(sorted(gaps.clip(upper=gaps.quantile(0.99))))   # top 1 % clipped
        assert [s.x0 for s in fig.layout.shapes] == [30, 50]
        assert_labelled(fig, x="(days)")

    def test_stage_area_counts(self, days):
        h = lc.stage_history(days, RULES, period="month", analysis_date=END)
        fig = plots.stage_area(h, "month")
        lost = h[h["stage"] == "lost"]
        assert list(fig.data[list(plots.STAGE_COLOURS).index("lost")].y) == list(lost["customers"])
        assert_labelled(fig)

    def test_stage_bars_count_every_customer(self, stages):
        fig = plots.stage_bars(stages, lc.STAGE_ORDER)
        counts = stages["stage"].astype(str).value_counts()
        assert sum(fig.data[0].x) == len(PURCHASES)
        assert dict(zip(lc.STAGE_ORDER, fig.data[0].x)) == {s: counts.get(s, 0) for s in lc.STAGE_ORDER}
        assert_labelled(fig)

    def test_funnel(self, stages):
        f = lc.funnel(stages, RULES)
        fig = plots.funnel(f)
        assert list(fig.data[0].x) == list(f["customers"]) and fig.data[0].x[0] == len(PURCHASES)
        assert_labelled(fig)

    def test_losses(self, days):
        per = lc.losses_per_period(lc.loss_events(days, RULES, analysis_date=END), period="month")
        fig = plots.losses(per, "month")
        assert list(np.add(fig.data[0].y, fig.data[1].y)) == list(per["lost"])
        assert_labelled(fig)


class TestBreakdowns:
    def test_mix_bars_shares_in_percent(self, lines, stages):
        groups = stages.assign(group=np.where(stages["stage"].astype(str) == "lost", "lost", "still buying"))
        mix = lc.revenue_mix(lines, groups[["customer_id", "group"]], "product_id", analysis_date=END)
        fig = plots.mix_bars(mix, "product_id")
        assert [sum(tr.x) for tr in fig.data] == pytest.approx([100.0] * len(mix.columns))
        assert_labelled(fig, x="%")

    def test_breakdown_bars_escape_countries(self, lines, stages):
        attrs = lc.customer_attributes(lines, ["country"], analysis_date=END)
        table_ = lc.breakdown(stages, attrs, "country")
        fig = plots.breakdown_bars(table_, "country")
        assert list(fig.data[0].x) == pytest.approx(list(100 * table_["repeat_rate"]))
        assert SHOWN in fig.data[0].y
        assert_labelled(fig, x="%")
        assert_escaped(fig)
        html = plots.breakdown_styler(table_, "country", "GBP").to_html()
        assert_escaped(html)


class TestTables:
    def test_kpi_styler_both_kinds(self, kpis):
        html = plots.kpi_styler(kpis, "customers", "month", "GBP").to_html()
        assert i18n.pgettext("word", "yes") in html and f"{kpis['retention_rate'].dropna().iloc[0]:.1%}" in html
        assert "GBP" in plots.kpi_styler(kpis, "revenue", "month", "GBP").to_html()

    def test_explain_and_lost_profile(self, kpis, stages, days):
        assert "<table" in plots.explain_styler(lc.explain_kpis(kpis)).to_html()
        html = plots.lost_profile_styler(lc.lost_profile(stages, days, min_purchases=1), "GBP").to_html()
        assert "GBP" in html


def test_empty_kpis_give_an_empty_figure():
    empty = pd.DataFrame(columns=["period", "complete", "retained", "reactivated", "new", "churned", "active"])
    fig = plots.customer_flow(empty, "month")
    assert all(len(tr.y) == 0 for tr in fig.data) and fig.layout.title.text
