"""Tests of helpers.plots.validation: the checks table, P(alive) calibration, holdout accuracy, parameters."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers.analyses import validation
from helpers.plots import validation as plots
from tests.unit.plots import EVIL, assert_escaped, assert_labelled


def accuracy():
    rows = [(target, bucket, fc, 10, 1.0, p, abs(p - 1.0), r, p - 1.0)
            for target in ("purchases", "revenue") for bucket in ("0", "1-2")
            for fc, p, r in (("model", 1.1, 0.3), ("past rate", 1.4, 0.5), ("zero", 0.0, 1.0))]
    return pd.DataFrame(rows, columns=["target", "bucket", "forecast", "customers", "actual", "predicted", "mae",
                                       "rmse", "bias"])


def test_checks_styler_colours_pass_and_fail():
    checks = validation.checks_table([
        validation.Check("clv", "r", 0.25, 0.2512, "±10 %", "sampling error", True),
        validation.Check("clv", EVIL, 1234.5, "n/a", "±10 %", "why", False)])
    html = plots.checks_styler(checks, "Checks").to_html()
    assert plots.PASS_COLOUR in html and plots.FAIL_COLOUR in html
    assert "0.2512" in html and "1,234" in html and i18n.pgettext("val", "failed") in html
    assert_escaped(html)


def test_calibration_plot_points():
    cal = pd.DataFrame({"predicted": [0.1, 0.5, 0.9], "observed": [0.12, 0.45, 0.93], "customers": [100, 50, 10]})
    fig = plots.calibration_plot(cal, "Calibration")
    assert list(fig.data[1].x) == [0.1, 0.5, 0.9] and list(fig.data[1].y) == [0.12, 0.45, 0.93]
    assert fig.data[1].marker.size[0] == pytest.approx(26.0)
    assert_labelled(fig, x="(0–1)", y="(0–1)")


def test_accuracy_bars_one_trace_per_forecast():
    acc = accuracy()
    fig = plots.accuracy_bars(acc, "revenue", "rmse", "GBP", "Accuracy")
    assert len(fig.data) == 3 and list(fig.data[0].y) == [0.3, 0.3]
    assert_labelled(fig, y="GBP")


def test_accuracy_styler_bolds_the_best_rmse():
    html = plots.accuracy_styler(accuracy(), "Holdout").to_html()
    assert html.count("font-weight: bold") >= 1 and "+0.100" in html
    i18n.set_language("tr")
    assert i18n._("forecast") in plots.accuracy_styler(accuracy(), "Holdout").to_html()


def test_parameter_plot_ratio_to_truth():
    params = pd.DataFrame({"model": ["BG/NBD", "BG/NBD", "GG"], "parameter": ["r", "alpha", "p"],
                           "truth": [0.5, 2.0, None], "estimate": [0.55, 2.0, 3.0], "low": [0.45, 1.8, 2.0],
                           "high": [0.65, 2.2, 4.0]})
    fig = plots.parameter_plot(params, "Parameters")
    assert list(fig.data[0].x) == pytest.approx([1.1, 1.0])                 # a parameter without truth is left out
    assert list(fig.data[0].error_x.array) == pytest.approx([0.2, 0.1])
    assert_labelled(fig)


from types import SimpleNamespace  # noqa: E402

from helpers.models.clv import Source, step_phrase  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

PASSED = validation.Check("clv", "r", 0.25, 0.2512, "±10 %", "sampling error", True)
P_ALIVE = validation.Check("P(alive)", "AUC", 0.9, 0.95, "> 0.85", "ranking", True)


def test_parameter_section_notes_plot_and_checks_or_a_note():
    assert plots.parameter_section(None, "GBP") == [i18n._("Real data: the true parameters are unknown; see the CDNOW comparison (Step 5) and the holdout accuracy (Step 4).")]
    sv = SimpleNamespace(notes=["a note"], parameters=None, checks=[PASSED, P_ALIVE])
    note, table = plots.parameter_section(sv, "GBP")
    assert note == "a note"
    html = table.to_html()
    assert i18n._("BG/NBD and Gamma-Gamma on the planted regulars") in html and "AUC" not in html          # P(alive) checks shown apart


def test_holdout_section_says_what_the_fit_could_not_do():
    fit = SimpleNamespace(attempts=["bg_nbd"], source=Source("bgnbd_weak"), step="bgnbd_weak")
    val = SimpleNamespace(notes=[], calibration_end="2024-06-30", holdout_days=183, fit=fit, unknown=4)
    out = plots.holdout_section(val, None, "GBP", start="2024-01-01")
    assert out == [i18n._("calibration {start} .. {end}, holdout {days} days", start="2024-01-01", end="2024-06-30", days=183),
                   i18n._("Calibration fit: {source}.", source=i18n.say(step_phrase("bgnbd_weak"))),
                   i18n._("{n} calibration customers have no prediction under {step} (no time observed before the calibration end); the totals compare the others.", n=4, step=i18n._("BG/NBD with weakly-informative priors"))]
    from helpers.phrase import Phrase

    short = Phrase("clv_note_validation_skipped", why=Phrase("clv_note_no_holdout", months=0))
    quiet = SimpleNamespace(notes=[short], fit=None, unknown=0)
    assert plots.holdout_section(quiet, None, "GBP", start="2024-01-01") == [i18n.say(short)]
    assert i18n.say(short, "en") == "Validation skipped: holdout_months = 0: validation needs a holdout of at least one month."


def test_recovery_section_mix_bundles_and_checks():
    assert plots.recovery_section(None) == [i18n._("Real data: no planted customer types, bundles or price ladders to compare with.")]
    labels = pd.Series([0, 0, 1, 1], index=list("abcd"))
    types = pd.Series(["x", "y", "y", "y"], index=list("abcd"))
    ranks = pd.DataFrame({"bundle": ["p+q"], "rank": [3.0], "lift": [2.5], "confidence": [0.5]})
    rec = validation.Recovery([PASSED], labels, 2, types, ranks)
    mix, bundles, checks = plots.recovery_section(rec)
    assert mix.data.to_numpy().tolist() == [[0.5, 0.5], [0.0, 1.0]]
    assert i18n._("Planted bundles: best rank of a rule on exactly their products (by lift)") in bundles.to_html() and "2.5" in bundles.to_html()
    assert i18n._("Clusters, bundles, price ladders and the complaint effect against the planted truth") in checks.to_html()
    assert len(plots.recovery_section(validation.Recovery([PASSED], labels, 2, types))) == 2    # no products


def test_cdnow_section_off_or_missing(tmp_path):
    assert plots.cdnow_section(tmp_path / "x.txt", enabled=False) == ([], [i18n._("CDNOW comparison switched off (cdnow_check = False).")])
    checks, [note] = plots.cdnow_section(tmp_path / "CDNOW_sample.txt", enabled=True)
    assert checks == [] and "CDNOW_sample.txt" in note
