"""The whole batch on a small shop with recognisable customer ids, twice, with masking on (the session's
``english_batch``, tests/conftest.py, which other tests read too).

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

from helpers.batch import NOTEBOOKS

from tests.fixtures.batches import POISONED  # noqa: F401  (the poisoned columns, named in the docstrings)
from tests.fixtures.markup import PAYLOADS, chromium_available, live_markup, live_markup_in_figures, open_offline

pytestmark = pytest.mark.slow
RAW_ID = re.compile(rb"ZQ\d+X")


@pytest.fixture
def shop(english_batch):
    """(first exit code, second exit code, first run, latest run) of the session's English batch
    (``english_batch``, tests/conftest.py): the tiny synthetic shop with customer ids rewritten to ZQ<id>X and
    the payloads in front of every other text column (:data:`POISONED`), as a user's parquet files, masking on,
    run twice."""
    b = english_batch
    return b.first_code, b.second_code, b.first_run, b.run


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


def test_business_pages_lead_with_their_numbers_and_name_no_folder_of_this_machine(english_batch):
    run = english_batch.run
    folders = {str(english_batch.config.parent), str(english_batch.reports), str(Path.home()), "/tmp/"}
    project = ("data/raw/", "data/processed/", ".parquet")     # the project's own files: in a folded block at most
    for page in sorted(run.glob("*.business.html")):
        text = page.read_text(encoding="utf-8")
        assert not [f for f in folders if f in text], f"{page.name} names a local folder"
        shown = re.sub(r"<details.*?</details>", "", text, flags=re.S)
        assert not [f for f in project if f in shown], f"{page.name} shows a file of this machine outside a folded block"
        published = run / "artefacts" / page.name.split(".")[0] / "headline.json"
        texts = [h["text"] for h in json.loads(published.read_text())] if published.is_file() else []
        if any(texts):
            box = text.index("What this means")
            assert box < text.index("Run parameters") and any(t and t in text[box:box + 4000] for t in texts)


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
