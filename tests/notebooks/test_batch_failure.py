"""A batch in which the churn notebook fails, on the tiny synthetic shop.

What a reader of such a run must see: the run marked incomplete (exit code 1, ``latest`` not
moved), a banner naming 05_churn at the top of every later page and of the executive summary,
an action table without invented churn risks, risk levels or value tiers and without offers
that do not exist, and no path into the runner's temporary folder on any page.

The failure is planted in a copy of ``notebooks/`` that only this test uses.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.analyses import actions, headlines as summary

from helpers import paths

from helpers.runner import run as report
from tests.fixtures import TINY
from tests.fixtures.batches import build_once

pytestmark = pytest.mark.slow
CHOSEN = ["01", "02", "03", "04", "05", "06", "90"]
PLANTED = "planted failure in the churn model"


def _failing_batch(base: Path) -> dict:
    """01-06 and 90 on the tiny config from a copy of ``notebooks/`` whose 05_churn raises :data:`PLANTED`."""
    nbdir = base / "notebooks"
    shutil.copytree(paths.NOTEBOOKS, nbdir, ignore=shutil.ignore_patterns("exercises", ".ipynb_checkpoints"))
    churn = nbformat.read(str(nbdir / "05_churn.ipynb"), as_version=4)
    first_code = next(i for i, c in enumerate(churn.cells)
                      if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    churn.cells.insert(first_code + 1, nbformat.v4.new_code_cell(f"raise RuntimeError({PLANTED!r})"))
    nbformat.write(churn, str(nbdir / "05_churn.ipynb"))
    mp = pytest.MonkeyPatch()
    mp.setattr(report, "notebook_path", lambda stem: nbdir / f"{stem}.ipynb")
    out = base / "reports"
    try:
        code = report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--force",
                            "--notebooks", *CHOSEN])
    finally:
        mp.undo()
    (run,) = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    return {"code": code, "out": str(out), "run": str(run)}


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory):
    """(exit code, reports folder, run folder) of :func:`_failing_batch`, run once per test session (whichever
    xdist worker asks first)."""
    r = build_once(tmp_path_factory, "churn_fails", _failing_batch)
    return r["code"], Path(r["out"]), Path(r["run"])


def _top(page: str) -> str:
    """What a reader sees first: the page body up to its first heading."""
    body = page[page.index("<body"):]
    return body[:body.index("<h1")]


def test_the_run_is_incomplete_and_exits_1(failed_run):
    code, out, run = failed_run
    assert code == 1
    meta = json.loads((run / "run.json").read_text())
    status = {n["name"]: n["status"] for n in meta["notebooks"]}
    assert status["05_churn"] == "failed" and not meta["ok"]
    assert PLANTED in next(n["error"] for n in meta["notebooks"] if n["name"] == "05_churn")
    assert all(s == "ok" for nb, s in status.items() if nb != "05_churn")
    assert not (out / "latest").exists()                       # a failed run never becomes latest
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "Incomplete run" in index and "crm-run-banner" in index and PLANTED in index


def test_later_pages_carry_the_banner_at_their_top_and_earlier_ones_do_not(failed_run):
    _, _, run = failed_run
    for stem in ("06_cross_up_sell", "90_executive_summary"):
        for page_name in (f"{stem}.html", f"{stem}.business.html"):
            top = _top((run / page_name).read_text(encoding="utf-8"))
            assert 'class="crm-run-banner"' in top, page_name
            assert "05_churn failed" in top and PLANTED in top, page_name
    for stem in ("01_data_cleaning", "02_lifecycle", "03_segmentation", "04_clv"):
        assert "crm-run-banner" not in (run / f"{stem}.business.html").read_text(encoding="utf-8"), stem
    own = _top((run / "05_churn.business.html").read_text(encoding="utf-8"))
    assert "This notebook failed" in own and PLANTED in own


def test_the_executive_summary_says_first_that_churn_failed(failed_run):
    _, _, run = failed_run
    page = (run / "90_executive_summary.business.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page[page.index("<body"):])
    # the section itself, not its line in the table of contents: the last occurrence of each heading
    status_at, step1_at = text.rindex("This run: what ran"), text.rindex("Step 1 · Headline numbers")
    assert status_at < step1_at
    section = text[status_at:step1_at]
    assert "05_churn failed" in section and "churn risk" in section          # the gap and the column it leaves
    status = json.loads((run / "artefacts" / summary.STATUS_FILE).read_text())
    assert {n["name"]: n["status"] for n in status["notebooks"]}["05_churn"] == "failed"


def test_the_action_table_invents_nothing(failed_run):
    _, _, run = failed_run
    t = pd.read_parquet(run / "artefacts" / "90_executive_summary" / "customer_actions.parquet")
    assert len(t) > 100
    assert t["churn_risk"].isna().all()                                      # 05 failed: no churn risk at all
    # a risk level exists only where P(alive) does, and says it comes from 1 - P(alive)
    known = t["risk_level"] != actions.UNKNOWN
    assert (t.loc[known, "risk_basis"] == summary.RISK_FROM_P_ALIVE).all()
    assert t.loc[~known, "risk_basis"].isna().all() and t.loc[~known, "p_alive"].isna().all()
    expected_level = actions.risk_level(1 - t["p_alive"].astype(float))
    assert (t["risk_level"] == expected_level).all()
    # the value tier follows the CLV quantiles; no CLV, no tier; not everyone "high value, low risk"
    assert (t["value_tier"] == actions.value_tier(t["clv"].astype(float))).all()
    assert (t.loc[t["clv"].isna(), "value_tier"] == actions.UNKNOWN).all()
    assert set(t["value_tier"]) >= {"high", "medium", "low"}
    assert ((t["value_tier"] == "high") & (t["risk_level"] == "low")).mean() < 0.5
    # no action without its input
    cross = t["recommended_action"] == actions.CROSS_SELL
    assert t.loc[cross, "next_best_offer"].notna().all()
    lost = t["lifecycle_stage"].isin(actions.LOST_STAGES)
    assert lost.any() and not t.loc[lost, "recommended_action"].isin(["loyalty care", actions.CROSS_SELL]).any()
    unknown = (t["value_tier"] == actions.UNKNOWN) & ~t["lifecycle_stage"].eq("new")
    assert t.loc[unknown, "recommended_action"].str.startswith("unknown: needs").all()
    assert t["recommended_action"].notna().all()


def test_no_page_points_into_the_temporary_folder(failed_run):
    _, _, run = failed_run
    pages = [p for p in run.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb")]
    assert len(pages) >= 3 * len(CHOSEN)
    leaks = [p.name for p in pages if ".tmp-" in p.read_text(encoding="utf-8")]
    assert not leaks, leaks
    page = (run / "90_executive_summary.html").read_text(encoding="utf-8")    # the analyst page lists the exports
    assert "artefacts/90_executive_summary/customer_actions.csv" in page
