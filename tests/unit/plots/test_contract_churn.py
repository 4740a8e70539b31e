"""Tests of helpers.plots.contract_churn on a small contract table (tenure in months or years)."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers.models import contract_churn as cc
from helpers.plots import contract_churn as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


@pytest.fixture
def contracts():
    return pd.DataFrame({"contract": ["monthly"] * 5 + [EVIL] * 5,
                         "tenure": [1, 2, 3, 5, 8, 6, 12, 18, 24, 30],
                         "churned": [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]})


def test_churn_by_rate_in_percent(contracts):
    table = cc.churn_by(contracts, "contract")
    fig = plots.churn_by(table, "contract")
    rates = contracts.groupby("contract")["churned"].mean() * 100
    assert dict(zip(fig.data[0].x, fig.data[0].y)) == pytest.approx(
        {SHOWN if k == EVIL else k: v for k, v in rates.items()})
    assert_labelled(fig, y="%")
    assert_escaped(fig)


def test_column_labels_carry_the_unit():
    names = plots.column_labels(["median_tenure", "retained_at_2", "customers"], "year")
    assert names == {"median_tenure": i18n._("median tenure ({unit})", unit="years"),
                     "retained_at_2": i18n._("still under contract after {h} {unit}", h="2", unit="years")}
    assert "years" in names["median_tenure"]


def test_table_names_columns_and_drops_the_unit(contracts):
    _, summary = cc.km_table(contracts, "contract", at=(12,), unit="month")
    html = plots.table(summary, "month", {"churn_rate": "{:.1%}"}).to_html()
    assert i18n._("median tenure ({unit})", unit="months") in html and "tenure_unit" not in html
    assert_escaped(html)


def test_km_curves_in_percent_with_the_unit(contracts):
    curves, summary = cc.km_table(contracts, "contract", unit="month")
    fig = plots.km_curves(curves, summary, "contract", "month")
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    first = curves[curves["group"] == sorted(contracts["contract"].unique())[0]]
    assert list(lines[0].y) == pytest.approx(list(100 * first["retention"]))
    assert "(5)" in lines[0].name
    assert_labelled(fig, x="months")
    assert_escaped(fig)


def test_hazard_ratios_on_a_log_axis():
    coef = pd.DataFrame({"covariate": [EVIL, "b", "c"], "hazard_ratio": [2.0, 0.9, 0.25],
                         "lower": [1.5, 0.7, 0.1], "upper": [2.7, 1.2, 0.6]})
    fig = plots.hazard_ratios(coef, top=2, unit="year")
    assert list(fig.data[0].x) == [2.0, 0.25]                 # the two furthest from 1, largest last
    assert list(fig.data[0].error_x.array) == pytest.approx([0.7, 0.35])
    assert fig.layout.xaxis.type == "log"
    assert_labelled(fig, x="year")
    assert_escaped(fig)


def test_sbg_fit_points_and_lines():
    curve = pd.DataFrame({"group": ["a"] * 3, "period": [0, 1, 2], "retention": [1.0, 0.7, 0.55]})
    params = pd.DataFrame({"cohort": ["a"], "alpha": [1.0], "beta": [2.0]})
    fig = plots.sbg_fit(curve, params, horizon=4)
    assert list(fig.data[0].y) == pytest.approx([100.0, 70.0, 55.0])
    assert list(fig.data[1].y) == pytest.approx(list(100 * cc.sbg_retention(1.0, 2.0, range(5))))
    assert_labelled(fig, x="months")


def test_sbg_fit_without_parameters_draws_the_points_only():
    curve = pd.DataFrame({"group": ["a"], "period": [0], "retention": [1.0]})
    fig = plots.sbg_fit(curve, pd.DataFrame({"cohort": [], "alpha": [], "beta": []}))
    assert len(fig.data) == 1


def test_remaining_value_one_box_per_cohort():
    rem = pd.DataFrame({"cohort": ["a", "a", EVIL], "expected_remaining_value": [10.0, 20.0, 5.0]})
    fig = plots.remaining_value(rem, "GBP", "10 %", group="contract")
    assert [list(tr.y) for tr in fig.data] == [[5.0], [10.0, 20.0]]
    assert "contract" in fig.layout.title.text
    assert_labelled(fig, y="GBP")
    assert_escaped(fig)


class TestSettingReason:
    def test_no_attributes_is_non_contractual(self):
        mode, missing = cc.setting(["lines"])
        why = plots.setting_reason(missing)
        assert mode == "non-contractual" and "no customer" in why

    def test_attributes_without_label(self):
        mode, missing = cc.setting(["lines", "attributes"], ["customer_id", "region", "tenure"])
        why = plots.setting_reason(missing)
        assert mode == "non-contractual" and "'churned'" in why and "'tenure'" not in why

    def test_the_reason_names_the_tenure_unit(self):
        assert "tenure in months" in plots.setting_reason(cc.setting(["attributes"], ["tenure", "churned"])[1])
        assert "tenure in years" in plots.setting_reason(cc.setting(["attributes"], ["tenure", "churned"])[1], "year")


from types import SimpleNamespace  # noqa: E402


def test_setting_notes_say_when_there_is_nothing_to_show():
    notes = plots.setting_notes("telco", "contractual", [], "month")
    assert notes == [i18n._("config {name}: {mode} setting: {why}.", name="telco", mode=i18n._("contractual"),
                            why=plots.setting_reason([], "month"))]
    other = plots.setting_notes("shop", "non-contractual", None, "month")
    assert other[1] == i18n._("Nothing to do here. For a shop's customers see 05_churn (churn defined as no purchase in N days, with out-of-time validation and a retention plan) and 04_clv (BG/NBD P(alive) and CLV).") and i18n._("the data has no customer (attributes) table, so no observed churn label: customers of a shop leave silently") in other[0]


def test_model_section_note_and_metrics():
    train = SimpleNamespace(numeric=["tenure", "charges"], categorical=["contract"], frame=pd.DataFrame({"x": range(7)}))
    test = SimpleNamespace(frame=pd.DataFrame({"x": range(3)}))
    metrics = pd.DataFrame({"score": ["tenure"], "roc_auc": [0.71234], "pr_auc": [0.5], "brier": [0.2]})
    note, table = plots.model_section(train, test, metrics, "one class only")
    assert note.endswith(i18n._("; no model: {why}", why="one class only")) and "tenure, charges" in note
    assert "0.712" in table.to_html() and i18n._("Held-out customers: models and baselines") in table.to_html()
    assert not plots.model_section(train, test, metrics, None)[0].endswith(i18n._("; no model: {why}", why="x"))


def test_km_section_horizons_and_table(contracts):
    curves, summary = cc.km_table(contracts, "contract", at=[6, 12], unit="month")
    shown = plots.km_section(curves, summary, 30, [6, 12], [60], "contract", "month")
    texts = [s for s in shown if isinstance(s, str)]
    assert any("60" in s for s in texts) and any("6, 12" in s for s in texts)
    assert shown[-1].caption == i18n._("Kaplan–Meier: median tenure and the share still under contract at each horizon, tenure in {unit}", unit=plots.unit_word("month"))
    no_horizon = plots.km_section(curves, summary, 30, [], [], None, "month")
    assert i18n._("No Kaplan–Meier horizon fits within the longest observed tenure ({max} {unit}).", max="30", unit=plots.unit_word("month")) in no_horizon


def test_cox_section_and_discount_note():
    coef = pd.DataFrame({"covariate": ["contract=two year"], "hazard_ratio": [0.4], "lower": [0.3], "upper": [0.5],
                         "p_value": [0.001]})
    cox = SimpleNamespace(n_train=700, covariates=["contract"], reference={"contract": "monthly"}, c_index_train=0.81234,
                          c_index_test=0.79, n_test=300, coefficients=coef)
    first, second, fig = plots.cox_section(cox, "month")
    assert "contract = monthly" in first and "0.812" in second and "0.790" in second
    assert i18n._("discount rate: {rate} a year = {period_rate} per {unit}, from (1 + d)^(1/{ppy}) − 1 with {ppy} {units} a year; charges per {unit} = monthly_charges × {factor}", rate="10.0%", period_rate=f"{100 * cc.period_rate(0.1, 'month'):.3g}%",
                  unit=plots.unit_one("month"), ppy="12", units=plots.unit_word("month", 12),
                  factor=f"{cc.charge_factor('month'):.4g}") == plots.discount_note(0.1, "month")


def test_fader_hardie_and_value_tables():
    html = plots.fader_hardie_table(cc.fader_hardie_check()).to_html()
    assert "0.704" in html and i18n._("The sBG on Fader & Hardie's (2007) published cohorts: fitted here and in the paper") in html
    vs = pd.DataFrame({"group": ["A"], "customers": [1200], "mean_sbg_churn_risk": [0.0312], "value": [1234.5]})
    html = plots.value_table(vs, "month", "USD", 0.1).to_html()
    assert "1,200" in html and "3.12%" in html and "1,234.50" in html and "USD" in html
