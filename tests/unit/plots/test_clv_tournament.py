"""Tests for helpers.plots.clv_tournament: the table puts the chosen model first, the decile chart's bars are the
chosen model's decile means with titled axes, the conclusion and the executive-summary line carry the numbers."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers import fitted
from helpers.models.clv import tournament
from helpers.phrase import Phrase
from helpers.plots import clv_tournament as tp


@pytest.fixture
def result():
    a = np.arange(20.0)
    table = pd.DataFrame({"gini": [0.2, 0.9], "top10_capture": [0.1, 0.37]}, index=pd.Index(["naive", "bgnbd"], name="model"))
    preds = pd.DataFrame({"customer_id": [str(i) for i in range(20)], "actual_spend": a, "pred_bgnbd": 2 * a,
                      "pred_naive": a[::-1]})
    return tournament.Tournament(table, preds, "bgnbd", Phrase("tour_only", chosen="BG/NBD"), None, 20)


def test_table_chart_and_conclusion(result):
    styled = tp.metrics_table(result, "GBP")
    assert list(styled.data.iloc[:, 0]) == ["BG/NBD", "naive (past rate)"]
    fig = tp.decile_chart(result, "GBP")
    assert list(fig.data[0].y) == [18.5, 16.5, 14.5, 12.5, 10.5, 8.5, 6.5, 4.5, 2.5, 0.5]
    assert list(fig.data[1].y) == [37.0, 33.0, 29.0, 25.0, 21.0, 17.0, 13.0, 9.0, 5.0, 1.0]
    assert "GBP" in fig.layout.yaxis.title.text and fig.layout.title.text.endswith("BG/NBD")
    text = tp.conclusion(result, "default")
    assert "BG/NBD" in text and "37.0" in text and "0.90" in text


def test_the_summary_line_names_the_chosen_model(result, monkeypatch):
    monkeypatch.setattr(fitted, "run_clv_settings", lambda prep: {"model": "auto"})
    monkeypatch.setattr(fitted, "chosen_clv", lambda prep: ("bgnbd", result))
    assert tp.clv_line(SimpleNamespace()).startswith("The CLV in the action table comes from BG/NBD, the winner")
    monkeypatch.setattr(fitted, "chosen_clv", lambda prep: ("pareto_nbd", SimpleNamespace(chosen="gbm")))
    assert "its winner, gradient boosting, two-part" in tp.clv_line(SimpleNamespace())
    monkeypatch.setattr(fitted, "run_clv_settings", lambda prep: {"model": "pareto_nbd"})
    assert "Pareto/NBD, set in the config" in tp.clv_line(SimpleNamespace())


def test_headline_numbers_for_the_page_and_the_index(result):
    h = {k: (label, value, unit) for k, label, value, unit in tp.headline(result)}
    assert h["chosen_model"][1] == "BG/NBD" and h["chosen_gini"][1] == pytest.approx(0.9)
    assert h["chosen_top10_capture"][1:] == (pytest.approx(0.37), "%")
    assert h["gini_over_naive"][1] == pytest.approx(0.7) and h["models_compared"][1] == 2
    assert tp.headline(None) == [] and tp.headline(tournament.unavailable("too few")) == []
