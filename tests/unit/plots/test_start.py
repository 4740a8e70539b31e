"""Tests of helpers.plots.start: the notebook catalogue and the flow figure of the start page."""
from __future__ import annotations

import json
from types import SimpleNamespace

from helpers.plots import start


def write_notebook(folder, stem, first_cell):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": first_cell}] if first_cell is not None else []
    (folder / f"{stem}.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")


def test_catalogue_reads_each_question(tmp_path):
    write_notebook(tmp_path, "01_a", "# 01 · A\n\n**Question.** Which lines are kept?\n\n**Inputs.** x")
    write_notebook(tmp_path, "02_b", "# 02 · B title\n\nno question here")
    steps = [SimpleNamespace(name="01_a", requires=()), SimpleNamespace(name="02_b", requires=("x", "y")),
             SimpleNamespace(name="03_gone", requires=())]
    table = start.catalogue(steps, tmp_path)
    assert list(table.columns) == ["notebook", "question", "reads"]
    assert table["question"].tolist() == ["Which lines are kept?", "02 · B title", "(notebook not found)"]
    assert table["reads"].tolist() == ["nothing", "x, y", "nothing"]
    assert "Which lines are kept?" in start.catalogue_table(steps, tmp_path).to_html()


def test_flow_figure_has_a_box_per_step_and_an_arrow_between():
    fig = start.flow_figure(start.FLOW_STEPS[:3])
    assert len(fig.layout.shapes) == 3
    assert sum(a.showarrow for a in fig.layout.annotations) == 2
    assert "<b>raw lines</b>" in [a.text for a in fig.layout.annotations]


def test_the_catalogue_and_settings_speak_the_report_language():
    from helpers import i18n
    from helpers.config import load_config
    from tests.fixtures import TINY

    i18n.set_language("tr")
    try:
        assert start.question("04_clv").startswith("Her müşteri önümüzdeki aylarda")
        shown = start.catalogue_table().data
        assert list(shown.columns) == ["not defteri", "soru", "okuduğu tablolar"]
        assert "tables.lines" in set(shown["okuduğu tablolar"]) and "hiçbiri" in set(shown["okuduğu tablolar"])
        settings = start.settings_table(load_config(TINY)).data
        assert "analiz dönemi" in settings.index and settings.columns[0] == "değer"
    finally:
        i18n.set_language("en")
    assert start.question("04_clv").startswith("How much is each customer")


def test_the_start_config_applies_overrides_and_sets_the_language():
    from helpers import i18n
    from tests.fixtures import TINY

    try:
        cfg = start.start_config(TINY, ["language=tr"])
        assert cfg.language == "tr" and i18n.language() == "tr"
    finally:
        i18n.set_language("en")
