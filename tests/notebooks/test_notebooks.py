"""Every numbered notebook runs top to bottom under nbval on the tiny config, and keeps its shape.

The notebooks run by hand (no batch runner: ``output_dir`` empty, exports in the prepared data's folder), in
one nbval session started once per test session (:func:`nbval_run`), one kernel per notebook, in file order so
that 90 reads what the others exported; each notebook's test reads its own cells' outcomes from that session.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import papermill as pm
import pytest

from helpers import paths
from helpers.batch import NOTEBOOKS
from tests.fixtures import TINY
from tests.fixtures.batches import build_once

NUMBERED = sorted(p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))


def test_the_batch_lists_every_numbered_notebook():
    assert NUMBERED == sorted(NOTEBOOKS)


@pytest.mark.parametrize("stem", NUMBERED)
def test_notebook_shape(stem):
    """First cell: question, inputs, outputs. One parameters cell of plain literals. No outputs committed."""
    nb = json.loads((paths.NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    cells = nb["cells"]
    intro = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown"
    for heading in ("Question", "Inputs", "Outputs"):
        assert f"**{heading}" in intro, f"{stem}: the introduction lacks '{heading}'"
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert "config_path" in "".join(tagged[0]["source"])
    for c in cells:
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, f"{stem}: committed outputs"


#: The most non-blank lines a code cell may have (the parameters cell aside): the logic lives in helpers.
MAX_CELL_LINES = 8


@pytest.mark.parametrize("stem", NUMBERED)
def test_notebook_cells_are_short(stem):
    """Thin notebooks: no code cell outside the ``parameters`` cell has more than :data:`MAX_CELL_LINES`
    non-blank lines; tables with their captions, figures and notes come from ``helpers`` functions."""
    nb = json.loads((paths.NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    long = [(i, n) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", [])
            and (n := sum(1 for line in "".join(c["source"]).splitlines() if line.strip())) > MAX_CELL_LINES]
    assert not long, f"{stem}: code cells over {MAX_CELL_LINES} non-blank lines (cell index, lines): {long}"


#: Plumbing that belongs to :mod:`helpers.notebook`: the set-up block, and writing or masking by hand.
PLUMBING = ("pipeline.open_run(", "engine.connect(", "plots.setup_notebook(", ".to_csv(", ".to_parquet(",
            "maybe_mask(", "export_dir(", "warnings.filterwarnings(")


@pytest.mark.parametrize("stem", [s for s in NUMBERED if s != "00_start_here"])
def test_notebook_leaves_plumbing_to_its_context(stem):
    """Each analysis notebook opens with ``notebook_context`` and writes every export through ``ctx.export``."""
    nb = json.loads((paths.NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    found = sorted({p for src in code for p in PLUMBING if p in src})
    assert not found, f"{stem}: {found} belong to helpers.notebook (notebook_context, ctx.export, ctx.shown)"
    assert sum("notebook_context(config_path, config_overrides, output_dir)" in src for src in code) == 1


#: Seconds one notebook may take under nbval before its session is stopped.
NOTEBOOK_TIMEOUT = 900


def _nbval_session(folder: Path) -> dict:
    """papermill injects the tiny config into every numbered notebook; one nbval (--nbval-lax) session runs them
    all, each in its own kernel. Returns the finished process (returncode, stdout, stderr) and, per notebook,
    (outcome, report) for each of its cells: outcome "passed", "failure", "error" or "skipped", report what nbval
    said about it."""
    for stem in NUMBERED:
        pm.execute_notebook(str(paths.NOTEBOOKS / f"{stem}.ipynb"), str(folder / f"{stem}.ipynb"), prepare_only=True,
                            parameters={"config_path": str(TINY), "config_overrides": []})
    report = folder / "nbval.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(folder), "--junitxml", str(report),
                           *(str(folder / f"{stem}.ipynb") for stem in NUMBERED)],
                          cwd=paths.NOTEBOOKS, capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT * len(NUMBERED))
    cells = {stem: [] for stem in NUMBERED}
    for case in (ET.parse(report).getroot().iter("testcase") if report.exists() else ()):
        stem = case.get("classname", "").removesuffix(".ipynb")
        found = [c for c in case if c.tag in ("failure", "error", "skipped")]
        outcome = found[0].tag if found else "passed"
        said = f"{case.get('name', '')}: {found[0].get('message', '')}\n{found[0].text or ''}" if found else ""
        said = re.sub(r"#x1B\[[0-9;]*m", "", said)              # nbval's colours, as the junit report writes them
        cells.setdefault(stem, []).append((outcome, said))
    return {"args": proc.args, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
            "cells": cells}


@pytest.fixture(scope="session")
def nbval_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, list[tuple[str, str]]]]:
    """The nbval session of :func:`_nbval_session`, started once per test session (whichever xdist worker asks
    first; the other reads its result): the finished process and, per notebook, (outcome, report) per cell."""
    r = build_once(tmp_path_factory, "nbval", _nbval_session)
    proc = subprocess.CompletedProcess(r["args"], r["returncode"], r["stdout"], r["stderr"])
    return proc, {stem: [tuple(c) for c in cells] for stem, cells in r["cells"].items()}


@pytest.mark.slow
@pytest.mark.parametrize("stem", NUMBERED)
def test_notebook_runs_under_nbval(stem, nbval_run):
    """papermill injects the tiny config; nbval (--nbval-lax) runs every cell and fails on any error."""
    proc, cells = nbval_run
    assert proc.returncode in (0, 1), proc.stdout[-4000:] + proc.stderr[-2000:]     # 1: some notebook failed
    failed = "\n".join(said for outcome, said in cells[stem] if outcome in ("failure", "error"))
    assert not failed, failed[-4000:] + proc.stderr[-2000:]
    assert any(outcome == "passed" for outcome, _ in cells[stem]), proc.stdout[-4000:] + proc.stderr[-2000:]
