"""The whole batch on a small shop with recognisable customer ids, twice, with masking on.

Checks what a scheduled user relies on: every notebook runs, the executive summary shows the
same numbers as the reports that computed them, a second run reports the changes since the
first, and with masking on no raw customer id appears in any file of the run.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import report, synth
from helpers.batch import NOTEBOOKS
from helpers.config import SyntheticConfig

pytestmark = pytest.mark.slow
RAW_ID = re.compile(rb"ZQ\d+X")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The tiny synthetic shop with customer ids rewritten to ZQ<id>X, as a user's parquet file."""
    folder = tmp_path_factory.mktemp("shop")
    src = synth.ensure_synthetic(SyntheticConfig(customers=300, days=365, seed=7), progress=False)
    lines = pd.read_parquet(src / "lines.parquet")
    lines["customer_id"] = ("ZQ" + lines["customer_id"] + "X").astype("string")
    lines.drop(columns=["line_id"]).to_parquet(folder / "sales.parquet", index=False)
    cols = {c: c for c in ("invoice", "invoice_ts", "customer_id", "product_id", "description", "category",
                           "quantity", "unit_price", "amount", "country", "channel")}
    # the optional tables too (campaigns, responses, reviews, demographics), as the user's own files
    tables = {}
    for name, extra in (("attributes", {"keep": "all"}), ("exposures", {}), ("responses", {}),
                        ("feedback", {"scale": [1, 5], "keep": "all"})):
        t = pd.read_parquet(src / f"{name}.parquet")
        t["customer_id"] = ("ZQ" + t["customer_id"].astype("string") + "X").astype("string")
        t.to_parquet(folder / f"{name}.parquet", index=False)
        columns = {c: c for c in t.columns if c not in ("score_min", "score_max")}
        tables[name] = {"path": str(folder / f"{name}.parquet"), "columns": columns, **extra}
    cfg = folder / "masked_shop.yaml"
    cfg.write_text("name: masked_shop\ndata:\n  source: file\n  path: " + str(folder / "sales.parquet") +
                   "\n  currency: GBP\n  columns: " + json.dumps(cols) +
                   "\nanalysis: {period: month, time_unit: W}\noutput: {mask_customer_ids: true}\n"
                   "tables: " + json.dumps(tables) + "\n", encoding="utf-8")
    out = folder / "reports"
    first = report.main(["--config", str(cfg), "--reports-dir", str(out), "--no-progress"])
    first_run = (out / "latest").resolve()
    second = report.main(["--config", str(cfg), "--reports-dir", str(out), "--no-progress"])
    return first, second, first_run, (out / "latest").resolve()


def test_every_notebook_runs(shop):
    first, second, _, run = shop
    assert first == 0 and second == 0
    meta = json.loads((run / "run.json").read_text())
    assert [n["name"] for n in meta["notebooks"]] == NOTEBOOKS
    assert all(n["status"] == "ok" for n in meta["notebooks"])


def test_no_raw_customer_id_in_any_output(shop):
    _, _, first_run, run = shop
    leaks = [str(p.relative_to(p.parents[1])) for folder in (first_run, run) for p in folder.rglob("*")
             if p.is_file() and RAW_ID.search(p.read_bytes())]
    assert not leaks, f"raw customer ids found in {leaks[:10]}"


def test_summary_numbers_are_the_source_reports_numbers(shop):
    _, _, _, run = shop
    page = (run / "90_executive_summary.html").read_text(encoding="utf-8")
    headlines = []
    for f in (run / "artefacts").glob("*/headline.json"):
        headlines += json.loads(f.read_text())
    sources = {h["notebook"] for h in headlines} - {"90_executive_summary"}
    assert len(sources) >= 2
    for h in headlines:
        if h["notebook"] == "90_executive_summary":
            continue
        source = (run / f"{h['notebook']}.business.html").read_text(encoding="utf-8")
        assert h["text"] in source, f"{h['notebook']}: '{h['text']}' ({h['label']}) not shown in its report"
        assert h["text"] in page, f"summary lacks '{h['text']}' ({h['label']})"
        assert re.search(rf"""href=[\"']{h['notebook']}\.business\.html[\"']""", page)


def test_second_run_shows_changes_and_the_action_table(shop):
    _, _, first_run, run = shop
    assert run != first_run
    meta = json.loads((run / "run.json").read_text())
    assert meta["previous_run"] == first_run.name
    page = (run / "90_executive_summary.html").read_text(encoding="utf-8")
    assert f"Previous run: {first_run.name}" in page
    actions = pd.read_parquet(run / "artefacts" / "90_executive_summary" / "customer_actions.parquet")
    assert len(actions) > 100 and actions["recommended_action"].notna().all()
    assert actions["customer_id"].str.startswith("C-").all()
    reused = [n["name"] for n in meta["notebooks"] if n["reused_from"]]
    assert "01_data_cleaning" in reused and "90_executive_summary" not in reused
