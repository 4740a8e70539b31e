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
