"""The whole batch on a small shop with recognisable customer ids, twice, with masking on.

Checks what a scheduled user relies on: every notebook runs, the executive summary shows the
same numbers as the reports that computed them, a second run reports the changes since the
first, and with masking on no raw customer id appears in any file of the run.

Every other text column of the shop (products, descriptions, categories, countries, channels;
regions and bands of the customer attributes, campaign ids and types, response types, review
ids, titles, texts and categories) starts with markup payloads (``tests/fixtures/markup.py``), so the same
run checks that user text stays text: no page holds a payload live, no figure hands one to plotly
as markup, and Chromium opening the pages offline raises no JavaScript dialog. The customer ids'
own payloads are checked with masking off in ``tests/notebooks/test_markup_injection.py``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers.runner import run as report

from helpers.io import synth
from helpers.batch import NOTEBOOKS
from helpers.config import SyntheticConfig

from tests.fixtures.markup import PAYLOADS, chromium_available, live_markup, live_markup_in_figures, open_offline, poison

pytestmark = pytest.mark.slow
RAW_ID = re.compile(rb"ZQ\d+X")
#: The text columns that get the markup payloads, per table (the sales lines under "lines").
POISONED = {"lines": ("product_id", "description", "category", "country", "channel"),
            "attributes": ("region", "age_band", "income_band"),
            "exposures": ("campaign_id", "campaign_type", "channel"),
            "responses": ("campaign_id", "response_type"),
            "feedback": ("feedback_id", "title", "text", "category")}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The tiny synthetic shop with customer ids rewritten to ZQ<id>X and the payloads in front of every other
    text column (:data:`POISONED`), as a user's parquet files."""
    folder = tmp_path_factory.mktemp("shop")
    src = synth.ensure_synthetic(SyntheticConfig(customers=300, days=365, seed=7), progress=False)
    lines = pd.read_parquet(src / "lines.parquet")
    lines["customer_id"] = ("ZQ" + lines["customer_id"] + "X").astype("string")
    for c in POISONED["lines"]:
        lines[c] = poison(lines[c])
    lines.drop(columns=["line_id"]).to_parquet(folder / "sales.parquet", index=False)
    cols = {c: c for c in ("invoice", "invoice_ts", "customer_id", "product_id", "description", "category",
                           "quantity", "unit_price", "amount", "country", "channel")}
    # the optional tables too (campaigns, responses, reviews, demographics), as the user's own files
    tables = {}
    for name, extra in (("attributes", {"keep": "all"}), ("exposures", {}), ("responses", {}),
                        ("feedback", {"scale": [1, 5], "keep": "all"})):
        t = pd.read_parquet(src / f"{name}.parquet")
        t["customer_id"] = ("ZQ" + t["customer_id"].astype("string") + "X").astype("string")
        if "title" in t:                            # the synthetic reviews have no titles: give each one
            t["title"] = t["title"].fillna("review")
        for c in POISONED[name]:
            t[c] = poison(t[c])
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


def test_user_text_stays_text_in_every_page_and_figure(shop):
    _, _, first_run, run = shop
    assert live_markup(first_run) == {} and live_markup(run) == {}
    assert live_markup_in_figures(first_run) == {} and live_markup_in_figures(run) == {}
    # the data is shown, escaped: products in 06, regions in 10, campaigns in 08, review titles/terms in 09
    for name in ("06_cross_up_sell", "08_campaigns", "10_customer_profiles"):
        page = (run / f"{name}.business.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name


def test_chromium_opens_every_page_offline_without_a_dialog(shop):
    """Each page of the latest run in headless Chromium, every network request blocked: no JavaScript
    dialog, no link to the payload's address; the payloads show as text where the products are listed."""
    if not chromium_available():
        pytest.skip("Chromium is absent (Debian package `chromium`; .ci/run installs it)")
    _, _, _, run = shop
    pages = sorted(run.rglob("*.html"))
    assert len(pages) >= 2 * len(NOTEBOOKS)
    seen = open_offline(pages)
    assert {p: r["dialogs"] for p, r in seen.items() if r["dialogs"]} == {}
    assert {p: r["script"] for p, r in seen.items() if r["script"]} == {}
    assert {p: r["blocked"] for p, r in seen.items() if r["blocked"]} == {}
    shown = seen[str(run / "06_cross_up_sell.business.html")]["text"]
    assert all(p in shown for p in PAYLOADS)
