"""Tests of helpers.plots.voice on checked feedback of forty generated reviews and hand-made model results."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.i18n import pgettext, _
from helpers.models import voice
from helpers.plots import voice as plots
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


@pytest.fixture(scope="module")
def fb():
    n = 40
    scores = [1, 2, 3, 4, 5, 5, 4, 5] * (n // 8)
    raw = pd.DataFrame({"feedback_id": [f"f{i}" for i in range(n)], "customer_id": [f"c{i % 13}" for i in range(n)],
                        "feedback_ts": pd.date_range("2023-01-01", periods=n, freq="5D"), "score": scores,
                        "delay_days": [(s <= 2) * 6 - 2 for s in scores],
                        "region": [EVIL if i % 3 == 0 else "north" for i in range(n)]})
    raw["score_min"], raw["score_max"] = 1, 5
    return voice.check_feedback(raw)


def test_score_distribution_counts(fb):
    fig = plots.score_distribution(fb)
    counts = fb["score5"].round().astype(int).value_counts()
    assert list(fig.data[0].y) == [counts.get(k, 0) for k in range(1, 6)]
    assert_labelled(fig)


def test_score_over_time_shares_and_mean(fb):
    table = voice.score_over_time(fb, "month")
    fig = plots.score_over_time(table, "month")
    shares = np.sum([np.array(tr.y, dtype=float) for tr in fig.data[:5]], axis=0)
    assert shares == pytest.approx(np.full(len(table), 100.0))
    assert list(fig.data[5].y) == pytest.approx(list(table["mean_score"]))
    assert "%" in fig.layout.yaxis.title.text and fig.layout.yaxis2.title.text
    assert_labelled(fig)


def test_score_by_group_escapes_the_groups(fb):
    table = voice.score_by(fb, "region", min_reviews=1)
    fig = plots.score_by(table, "region")
    means = fb.groupby("region")["score5"].mean()
    assert dict(zip(fig.data[0].y, fig.data[0].x)) == pytest.approx(
        {SHOWN if k == EVIL else k: v for k, v in means.items()})
    assert len(fig.layout.shapes) == 1                         # the overall mean
    assert_labelled(fig)
    assert_escaped(fig)


def test_late_vs_on_time_and_by_delay(fb):
    effect = voice.delay_effect(fb)
    fig = plots.late_vs_on_time(effect)
    tb = effect.table
    assert list(fig.data[0].y) == pytest.approx(list(tb["mean_score"]))
    assert list(fig.data[1].y) == pytest.approx(list(100 * tb["low_share"]))
    assert fig.layout.title.text and fig.layout.xaxis.title.text and "%" in fig.layout.yaxis2.title.text
    band = plots.by_delay(effect.by_delay)
    d = effect.by_delay[effect.by_delay["reviews"] > 0]
    assert list(band.data[0].y) == pytest.approx(list(d["mean_score"]))
    assert_labelled(band)


def test_distinctive_terms_escaped():
    table = pd.DataFrame({"term": [EVIL, "fast"], "log_odds": [1.5, -1.0], "side": ["low", "high"], "low": [8, 1],
                          "high": [1, 9], "low_share": [0.4, 0.05], "high_share": [0.02, 0.3], "z": [3.0, -2.5]})
    table.attrs.update(low_texts=20, high_texts=30)
    fig = plots.distinctive_terms(table)
    assert list(fig.data[0].x) == [-1.0, 1.5] and list(fig.data[0].y) == ["fast", SHOWN]
    assert "20" in fig.layout.title.text
    assert_labelled(fig)
    assert_escaped(fig)


def test_top_terms_two_panels():
    low = pd.DataFrame({"term": [EVIL, "late"], "share": [0.3, 0.2], "reviews": [6, 4]})
    high = pd.DataFrame({"term": ["great"], "share": [0.5], "reviews": [15]})
    low.attrs["texts"], high.attrs["texts"] = 20, 30
    fig = plots.top_terms(low, high)
    assert list(fig.data[0].x) == pytest.approx([20.0, 30.0]) and list(fig.data[1].x) == pytest.approx([50.0])
    assert "%" in fig.layout.xaxis.title.text and "%" in fig.layout.xaxis2.title.text
    assert_labelled(fig)
    assert_escaped(fig)


def test_came_back_shares_with_intervals():
    table = pd.DataFrame({"group": ["complained", "good review"], "share": [0.2, 0.5], "ci_low": [0.1, 0.4],
                          "ci_high": [0.35, 0.6], "came_back": [4, 20], "customers": [20, 40]})
    table.attrs["window_days"] = 180
    fig = plots.came_back(table)
    assert list(fig.data[0].y) == pytest.approx([20.0, 50.0])
    assert list(fig.data[0].error_y.array) == pytest.approx([15.0, 10.0])
    assert list(fig.data[0].text) == ["4 / 20", "20 / 40"] and "180" in fig.layout.title.text
    assert_labelled(fig, y="%")


def test_complaint_effect_with_the_planted_factor():
    fit = SimpleNamespace(mean_p=0.2, mean_p_after=0.35, k=1.8, k_low=1.3, k_high=2.5, level=0.9,
                          n_customers=500, n_complained=40)
    fig = plots.complaint_effect(fit, truth=2.0)
    assert list(fig.data[0].y) == [0.2, 0.35] and fig.data[1].y[0] == 1.8
    assert fig.data[1].error_y.array[0] == pytest.approx(0.7) and fig.data[2].y[0] == 2.0
    assert "500" in fig.layout.title.text
    assert_labelled(fig)
    assert len(plots.complaint_effect(fit).data) == 2


def test_churn_gain_auc_and_difference():
    metrics = pd.DataFrame({"model": ["logistic regression"] * 2, "features": ["without", "with complaints"],
                            "roc_auc": [0.70, 0.74]})
    gain = SimpleNamespace(metrics=metrics, test_cutoff="2023-06-30",
                           gain=pd.DataFrame({"model": ["logistic regression"], "diff": [0.04], "low": [0.01],
                                              "high": [0.07]}))
    fig = plots.churn_gain(gain)
    assert [tr.y[0] for tr in fig.data[:2]] == [0.70, 0.74] and fig.data[2].y[0] == 0.04
    assert fig.layout.yaxis.range[0] == pytest.approx(0.5)
    assert _("ROC-AUC with minus without complaints") == fig.layout.yaxis2.title.text
    assert_labelled(fig)


def test_churn_gain_sentence_warns_on_a_small_class():
    gain = pd.DataFrame({"model": ["gradient boosting"], "auc_a": [0.55], "auc_b": [0.50], "diff": [0.05],
                         "low": [-0.1], "high": [0.2]})
    g = voice.ChurnGain(dt.date(2024, 1, 1), dt.date(2024, 4, 1), 90, pd.DataFrame(), gain, pd.DataFrame(),
                        pd.DataFrame(), 0.95, n_test=1000, n_retained=12)
    assert "ROC-AUC 0.500 -> 0.550 (+0.050, 95% CI -0.100 .. +0.200)" in plots.gain_sentence(g)
    assert "only 12 customers in the smaller class" in plots.gain_sentence(g)
    g.n_retained = 400
    assert "uncertain" not in plots.gain_sentence(g)


def test_hazard_error_text_in_the_report_language():
    """Too few complainers: the glossary text with the error's numbers, in the report's wrapping."""
    hist = pd.DataFrame({"frequency": [1.0, 2.0, 0.0], "recency": [1.0, 2.0, 0.0], "T": [5.0, 5.0, 5.0],
                         "complaint_at": [0.0, 1.0, float("nan")]})
    with pytest.raises(voice.DataError) as info:
        voice.fit_complaint_hazard(hist)
    assert plots.hazard_error_text(info.value) == str(info.value)
    assert plots.hazard_error_text(ValueError("x")) == "x"


# ----------------------------------------------------------------------------- notebook 09's sections
from tests.fixtures.voice_data import END, order_lines, raw_feedback  # noqa: E402


@pytest.fixture(scope="module")
def reviews():
    return voice.check_feedback(raw_feedback())


def test_config_notes_name_the_absent_columns(reviews):
    has = voice.available(reviews)
    config, absent = plots.config_notes("shop", reviews, voice.headline(reviews, "auto"), has, False)
    assert "2023-01-10" in config and "2023-12-01" in config and pgettext("nb09", "no") in config
    assert "seller_id" in absent and "region" not in absent


def test_breakdown_section_tables_or_why_not(fb):
    has = voice.available(fb)
    tables, shown = plots.breakdown_section(fb, has, min_reviews=5, top=10)
    assert list(tables) == ["region"] and tables["region"]["reviews"].sum() == len(fb)
    assert _("The feedback has no '{column}' column with two or more values: the {column} breakdown is skipped.", column="seller_id") in shown
    assert len([s for s in shown if not isinstance(s, str)]) == 1                    # the region chart
    _unused, none = plots.breakdown_section(fb, has, min_reviews=1000, top=10)
    assert _("No {column} has {min_reviews}+ reviews: the breakdown is skipped.", column="region", min_reviews=1000) in none


def test_terms_section_without_text(fb, reviews):
    assert plots.terms_section(fb, voice.available(fb), top=5, min_count=1) == (None, [_("The feedback has no comments (title or text): the word analysis is skipped.")])
    terms, shown = plots.terms_section(reviews, voice.available(reviews), top=5, min_count=1)
    assert shown[0].startswith(_("Comments by language: {langs}", langs="")[:10]) and "en: 3, tr: 3, pt: 2" in shown[0]
    from helpers.plots.base import Displayed

    assert isinstance(shown[-1], Displayed) and isinstance(terms, pd.DataFrame)


def test_customer_summary_statistics(reviews):
    customers = voice.customer_voice(reviews)
    desc = plots.customer_summary(customers)
    assert list(desc.index) == ["count", "mean", "50%", "max"]
    assert desc.loc["count", "complaints"] == len(customers)


def test_came_back_section_or_why_not(reviews):
    assert plots.came_back_section(None, 90, has_lines=False) == [_("This data has no sales lines: whether complainers came back cannot be measured.")]
    assert plots.came_back_section(None, 90, has_lines=True) == [_("The feedback has no customer_id: it cannot be joined to the customers' orders.")]
    back = voice.came_back(reviews, order_lines(), analysis_date=END, window_days=90)
    shown = plots.came_back_section(back, 90, has_lines=True)
    assert len(shown) == len(back) + 2 and all(isinstance(s, str) for s in shown[:-1])


def test_hazard_and_gain_sections_say_why_not():
    err = voice.DataError("feedback", "too-few-complaints", "only 3 complaints")
    assert plots.hazard_section(None, None, level=0.9, time_unit="W") == [_("The complaint effect on dropout needs the sales lines and customer ids in the feedback: skipped.")]
    assert plots.hazard_section(None, err, level=0.9, time_unit="W") == [_("Not estimated: {err}", err=plots.hazard_error_text(err))]
    assert plots.gain_section(None, None) == [_("Complaints as a churn feature need the sales lines and customer ids in the feedback: skipped.")]
    assert plots.gain_section(None, ValueError("too short")) == [_("Not compared: {err}", err="too short")]


def test_truth_section_notes_without_a_planted_effect():
    assert plots.truth_section(None, None, n_se=3.0) == (None, [_("Real data: the true complaint effect is unknown, so there is no known-truth check.")])
    assert plots.truth_section({"customers": pd.DataFrame()}, None, n_se=3.0) == (None, [_("This synthetic data was generated without feedback truth: no known-truth check.")])
    truth = {"feedback": {"complaint_hazard_factor": 2.0, "effect": "dropout x2"},
             "customers": pd.DataFrame({"complained": [True, True, False], "dropout_ts": [pd.NaT, pd.Timestamp("2024-01-01"), pd.NaT]})}
    check, shown = plots.truth_section(truth, None, n_se=3.0)
    assert check is None and "50.0%" in shown[1] and "0.0%" in shown[1]
