"""Tests of helpers.plots.churn on the tables of helpers.models.churn built from a small hand-made sample."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import churn
from helpers.phrase import Phrase, Sig
from helpers.plots import churn as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled

Y = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0, 0])
SCORES = {"logistic regression": np.array([.9, .8, .4, .3, .2, .1, .6, .7, .05, .15]),
          "RFM recency (baseline)": np.array([.5, .4, .6, .5, .3, .2, .7, .1, .4, .3])}


def test_windows_one_row_per_data_set():
    rows = [("train", dt.date(2024, 3, 31), 90), ("score", dt.date(2024, 6, 30), None)]
    fig = plots.windows(dt.date(2024, 1, 1), rows)
    assert len(fig.data) == 3                                  # features, label, features (no label yet)
    assert fig.data[0].x[0] == (pd.Timestamp("2024-04-01") - pd.Timestamp("2024-01-01")) / pd.Timedelta(milliseconds=1)
    assert fig.data[1].x[0] == pd.Timedelta(days=90) / pd.Timedelta(milliseconds=1)
    assert len(fig.layout.annotations) == 2
    assert_labelled(fig)


def test_roc_curves_carry_the_auc():
    roc = churn.roc_table(Y, SCORES)
    metrics = pd.DataFrame({"score": list(SCORES), "roc_auc": [0.875, 0.6]})
    fig = plots.roc_curves(roc, metrics)
    assert len(fig.data) == 3                                  # two scores and the diagonal
    part = roc[roc["score"] == "logistic regression"]
    assert list(fig.data[0].x) == pytest.approx(list(part["false_positive_rate"]))
    assert "0.875" in fig.data[0].name
    assert_labelled(fig)


def test_calibration_points():
    tables = {m: churn.calibration_table(Y, s, n_bins=5) for m, s in SCORES.items()}
    fig = plots.calibration(tables)
    tb = tables["logistic regression"]
    assert list(fig.data[0].y) == pytest.approx(list(tb["observed_rate"]))
    assert list(fig.data[0].x) == pytest.approx(list(tb["mean_predicted"]))
    assert_labelled(fig)


def test_gains_and_lift_in_percent():
    tables = {m: churn.gains_table(Y, s, groups=5) for m, s in SCORES.items()}
    tb = tables["logistic regression"]
    g = plots.gains(tables)
    assert list(g.data[0].x) == pytest.approx([0, *(100 * tb["share_contacted"])])
    assert list(g.data[0].y) == pytest.approx([0, *(100 * tb["gain"])])
    assert g.data[0].y[-1] == pytest.approx(100.0)
    assert_labelled(g, x="%", y="%")
    lf = plots.lift(tables)
    assert list(lf.data[0].y) == pytest.approx(list(tb["lift"]))
    assert_labelled(lf, x="%")


def test_confusion_counts_and_row_shares():
    tab = churn.confusion_table(Y, SCORES["logistic regression"])
    fig = plots.confusion(tab, "logistic regression")
    z = np.array(fig.data[0].z)
    assert z.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert z[0, 0] == pytest.approx(tab.iloc[0, 0] / tab.iloc[0].sum())
    assert fig.data[0].text[0][0].startswith(str(tab.iloc[0, 0]))
    assert_labelled(fig)


def test_importance_top_bars():
    imp = pd.DataFrame({"feature": ["recency", "frequency", "monetary"], "importance": [0.2, 0.1, 0.05],
                        "std": [0.01, 0.02, 0.01]})
    fig = plots.importance(imp, "gradient boosting", top=2)
    assert list(fig.data[0].y) == ["frequency", "recency"] and list(fig.data[0].x) == [0.1, 0.2]
    assert_labelled(fig)


def test_partial_dependence_one_panel_per_feature_with_units():
    pdt = pd.DataFrame({"feature": ["recency_days"] * 3 + ["monetary"] * 2, "value": [0, 30, 60, 10, 100],
                        "churn_probability": [0.1, 0.3, 0.5, 0.4, 0.2]})
    fig = plots.partial_dependence(pdt, {"recency_days": "days", "monetary": "GBP"})
    assert len(fig.data) == 2 and list(fig.data[1].y) == [0.4, 0.2]
    assert "GBP" in fig.layout.xaxis2.title.text and fig.layout.yaxis.title.text and fig.layout.title.text


def test_km_curves_percent_and_logrank():
    life = pd.DataFrame({"duration_days": [10, 40, 90, 200, 300, 20, 50, 60, 400, 500],
                         "churned": [1, 1, 0, 1, 0, 1, 1, 1, 0, 0]})
    seg = pd.Series(["a"] * 5 + [EVIL] * 5)
    curves, summary = churn.km_table(life, seg)
    fig = plots.km_curves(curves, summary, "first value", 90)
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    assert len(lines) == 2
    part = curves[curves["segment"] == sorted(seg.unique())[0]]
    assert list(lines[0].y) == pytest.approx(list(100 * part["survival"]))
    assert "log-rank p" in fig.layout.title.text
    assert_labelled(fig, y="%")
    assert_escaped(fig)


def test_km_one_segment_says_so():
    life = pd.DataFrame({"duration_days": [10, 40, 90], "churned": [1, 0, 1]})
    curves, summary = churn.km_table(life, pd.Series(["all"] * 3))
    fig = plots.km_curves(curves, summary, "all", 90)
    assert i18n._("one segment only") in fig.layout.title.text


def test_risk_by_group_counts_and_value():
    scored = pd.DataFrame({"band": ["high", "high", EVIL, "low"], "churn_risk": [0.9, 0.8, 0.5, 0.1],
                           "value": [100.0, 50.0, 20.0, 5.0]})
    fig = plots.risk_by_group(scored, "band", "GBP")
    counts = scored.groupby("band")["churn_risk"].size()
    assert dict(zip(fig.data[0].x, fig.data[0].y)) == {SHOWN if k == EVIL else k: v for k, v in counts.items()}
    assert any("150 GBP" in s for s in fig.data[0].text)
    assert_labelled(fig)
    assert_escaped(fig)


def test_cumulative_return_marks_the_best_list_and_break_even():
    risk = pd.Series([0.9, 0.6, 0.3, 0.1], index=["a", "b", "c", "d"])
    value = pd.Series([100.0, 50.0, 20.0, 10.0], index=risk.index)
    plan = churn.retention_plan(risk, value, success_rate=0.5, contact_cost=5.0)
    be = churn.break_even(plan)
    fig = plots.cumulative_return(plan, be, "GBP")
    assert list(fig.data[0].y) == pytest.approx([0, *plan["cumulative_return"]])
    assert fig.data[1].x[0] == be["best_n"] and fig.data[1].y[0] == pytest.approx(be["best_return"])
    assert_labelled(fig, y="GBP")


def test_cumulative_return_without_a_paying_contact():
    plan = churn.retention_plan(pd.Series([0.1], index=["a"]), pd.Series([1.0], index=["a"]),
                                success_rate=0.1, contact_cost=5.0)
    fig = plots.cumulative_return(plan, churn.break_even(plan), "GBP")
    assert len(fig.data) == 1


from types import SimpleNamespace  # noqa: E402

from helpers.models import clv as churn_clv  # noqa: E402


def test_data_notes_name_what_is_missing():
    ds = SimpleNamespace(p_alive_source=churn_clv.Source("bgnbd_ml"), cutoff=pd.Timestamp("2024-01-31").date(),
                         frame=pd.DataFrame({"p_alive": [np.nan, np.nan]}))
    notes = plots.data_notes({"category": True, "channel": True, "country": False, "product_id": True}, (ds, None),
                             ["p_alive"])
    cutoff = i18n.fmt_date(ds.cutoff)
    assert notes == [i18n._("The data has no '{column}' column: features built from it are left out.", column="country"), i18n._("P(alive) at cut-off {cutoff}: {source}", cutoff=cutoff, source=i18n.say(churn_clv.step_phrase("bgnbd_ml"))),
                     i18n._("  P(alive) is unknown at cut-off {cutoff}: the step used has no dropout.", cutoff=cutoff), i18n._("Left out of the training, test and scoring sets because they are unknown at one of the cut-offs: {features}.", features="p_alive")]


def test_scoring_and_plan_notes():
    value = pd.DataFrame({"value": [1.0]})
    value.attrs["kind"] = "historical"
    note = Phrase("chv_historical", days=365, margin=Sig(0.3), why=Phrase("chv_not_asked"))
    assert i18n.say(note, "en") == "historical value: revenue in the last 365 days x margin 0.3 (predictive CLV not used: not asked for)"
    assert i18n.say(note, "tr") == "geçmiş değer: son 365 günün cirosu x marj 0,3 (öngörülen CLV kullanılmadı: istenmedi)"
    notes = plots.scoring_notes(1200, pd.Timestamp("2024-06-30").date(), False, value, note, clv_months=12,
                                discount_rate=0.1, margin=0.3)
    assert notes[0].endswith(i18n._(": no model, so no risk scores")) and "1,200" in notes[0]
    assert notes[1] == i18n._("Value at stake per customer: {note}.",
                              note=i18n.say(note))
    plan = pd.DataFrame({"x": [1]})
    plan.attrs["unvalued"] = 3
    be = {"best_n": 40, "customers": 100, "best_return": 250.0, "break_even_n": 70, "contact_all_return": -30.0}
    unvalued, sentence = plots.plan_notes(plan, be, "GBP")
    assert unvalued == i18n._("{n} customers with an unknown value are listed last and left out of the cumulative return.", n="3") and "40" in sentence and "GBP" in sentence
    assert plots.plan_notes(None, None, "GBP") == []


def test_truth_section_notes_without_truth_or_scores():
    assert plots.truth_section(None, None, {"m": 1}) == [i18n._("Real data: the customers' true state is unknown, so there is no known-truth check.")]
    assert plots.truth_section({"customers": pd.DataFrame()}, None, {}) == [i18n._("No model was fitted, so there is nothing to check against the truth.")]


def test_campaign_table_is_the_whole_list_up_to_the_cap_and_says_so():
    campaign = pd.DataFrame({"customer_id": [f"c{i}" for i in range(5)], "churn_risk": [0.9, 0.8, 0.7, 0.6, 0.5],
                             "value": [100.0, 50.0, 40.0, 30.0, 20.0], "expected_saved_value": [9.0, 4.0, 3.0, 2.0, 1.0]})
    whole = plots.campaign_table(campaign, "GBP")
    assert whole.data.iloc[:, 0].tolist() == campaign["customer_id"].tolist()
    assert "90.0%" in whole.to_html() and "100.00" in whole.to_html()
    capped = plots.campaign_table(campaign, "GBP", most=2)
    assert capped.data.iloc[:, 0].tolist() == ["c0", "c1"]
    assert "first 2 of 5 customers" in capped.to_html()
