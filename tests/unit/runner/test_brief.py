"""The brief page of a run: KPIs with change and sparkline from the history it records, the Monday list (top_n,
masked ids), findings linking to pages, a line per failed or skipped notebook, the history's bad-input rules
noted in the page and run.log, one A4 page without scripts or network, and brief.pdf only where Chromium is."""
from __future__ import annotations

import json
import logging
import re

import pandas as pd
import pytest

from helpers import i18n
from helpers.analyses import history as hist
from helpers.config import load_config, parse_override
from helpers.runner import brief
from helpers.runner.results import NotebookResult, RunResult
from tests.fixtures import TINY


def _config(*overrides):
    return load_config(TINY, [parse_override(o) for o in ["brief.pdf=false", *overrides]])


def _folder(tmp_path, name, customers, retention, n_actions=4):
    folder = tmp_path / name
    heads = {"01_data_cleaning": [("customers", "Customers", customers, "customers", f"{customers} customers")],
             "02_lifecycle": [("retention_rate", "Retention rate", retention, "%", f"{retention * 100:.1f} %")],
             "90_executive_summary": [("revenue_at_stake", "Revenue at stake", 900.0, "GBP", "900 GBP")]}
    for nb, items in heads.items():
        (folder / "artefacts" / nb).mkdir(parents=True)
        (folder / "artefacts" / nb / "headline.json").write_text(json.dumps(
            [dict(zip(("key", "label", "value", "unit", "text"), h), notebook=nb) for h in items]))
    actions = pd.DataFrame({"customer_id": [f"C-{i:012x}" for i in range(n_actions)],
                            "clv": [100.0 * (i + 1) for i in range(n_actions)], "churn_risk": [0.5] * n_actions,
                            "p_alive": [0.7] * n_actions, "rfm_segment": ["Champions"] * n_actions,
                            "next_best_offer": [None] * (n_actions - 1) + ["Tea <b>set</b>"],
                            "recommended_action": ["retention call"] * n_actions})
    actions.to_parquet(folder / "artefacts" / "90_executive_summary" / "customer_actions.parquet")
    return folder


def _run(name):
    nbs = [NotebookResult(nb, "ok", business_html=f"{nb}.business.html")
           for nb in ("01_data_cleaning", "02_lifecycle", "90_executive_summary")]
    nbs += [NotebookResult("05_churn", "failed", error="RuntimeError: boom"),
            NotebookResult("08_campaigns", "skipped", missing_tables=["exposures"])]
    return RunResult(name, notebooks=nbs)


def test_two_runs_give_changes_trends_and_the_monday_list(tmp_path):
    reports = tmp_path / "reports"
    cfg = _config("brief.top_n=3")
    first = brief.write_brief(_folder(reports, "tiny-1", 100, 0.30), cfg, _run("tiny-1"), reports_dir=reports,
                              meta={"analysis_end": "2024-06-30"})
    assert "no earlier analysis date" in first.read_text()                                  # no previous run: stated
    page = brief.write_brief(_folder(reports, "tiny-2", 130, 0.25), cfg, _run("tiny-2"), reports_dir=reports,
                             meta={"analysis_end": "2024-09-30"}).read_text()
    rows = pd.read_parquet(hist.history_path(reports, "tiny"))
    assert sorted(rows["run"].unique()) == ["tiny-1", "tiny-2"] and len(rows) == 6
    card = re.search(r'data-key="customers".*?</svg>', page, flags=re.S).group(0)
    assert "130 customers" in card and "+30" in card
    points = brief.sparkline_points(card)
    assert len(points) == 2 and points[1][1] < points[0][1]                       # 100 -> 130: the line rises
    assert "−5.0 pp" in re.search(r'data-key="retention_rate".*?</svg>', page, flags=re.S).group(0)
    # the Monday list: 3 of 4, by CLV x risk: 400 x 0.5 = 200 first; ids as exported (masked); offer escaped
    listed = re.findall(r"<tr><td class=\"n\">(\d+)</td><td>(C-[0-9a-f]{12})</td>", page)
    assert listed == [("1", "C-000000000003"), ("2", "C-000000000002"), ("3", "C-000000000001")]
    assert "200 GBP" in page and "Tea <b>" not in page and "Tea &lt;b&gt;set&lt;/b&gt;." in page
    assert "<td>Champions, P(alive) 70 %, churn risk 50 %, expected CLV 400 GBP, offer: Tea &lt;b&gt;set&lt;/b&gt;.</td>" in page
    assert "<td>Champions, P(alive) 70 %, churn risk 50 %, expected CLV 300 GBP.</td>" in page
    assert '<a href="90_executive_summary.business.html">' in page
    assert "05_churn failed: RuntimeError: boom" in page and "08_campaigns was skipped" in page
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "@page{size:A4" in page


def test_top_n_above_the_list_lists_everyone_and_says_so(tmp_path):
    reports = tmp_path / "reports"
    page = brief.write_brief(_folder(reports, "tiny-1", 100, 0.3, n_actions=2), _config("brief.top_n=50"),
                             _run("tiny-1"), reports_dir=reports, meta={"analysis_end": "2024-06-30"}).read_text()
    assert len(re.findall(r'<tr><td class="n">', page)) == 2
    assert "brief.top_n is 50, but only 2 customers have a contact action" in page


def test_a_corrupt_history_is_set_aside_noted_in_the_brief_and_the_log(tmp_path, caplog):
    reports = tmp_path / "reports"
    path = hist.history_path(reports, "tiny")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1 truncated")
    with caplog.at_level(logging.WARNING, logger="helpers.runner.brief"):
        page = brief.write_brief(_folder(reports, "tiny-1", 100, 0.3), _config(), _run("tiny-1"), reports_dir=reports,
                                 meta={"analysis_end": "2024-06-30"}).read_text()
    aside = list(path.parent.glob("tiny.parquet.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"PAR1 truncated"
    assert aside[0].name in page and any(aside[0].name in r.getMessage() for r in caplog.records)
    assert pd.read_parquet(path)["run"].unique().tolist() == ["tiny-1"]


def test_an_older_history_file_is_noted_and_completed(tmp_path):
    reports = tmp_path / "reports"
    path = hist.history_path(reports, "tiny")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"run": ["tiny-0"], "key": ["customers"], "value": [80.0]}).to_parquet(path)
    page = brief.write_brief(_folder(reports, "tiny-1", 100, 0.3), _config(), _run("tiny-1"), reports_dir=reports,
                             meta={"analysis_end": "2024-06-30"}).read_text()
    assert "written by an older version" in page
    assert list(pd.read_parquet(path).columns) == hist.COLUMNS


def test_the_brief_is_turkish_with_a_turkish_config(tmp_path):
    reports = tmp_path / "reports"
    page = brief.write_brief(_folder(reports, "tiny-1", 100, 0.3), _config("language=tr"), _run("tiny-1"),
                             reports_dir=reports, meta={"analysis_end": "2024-06-30"}).read_text()
    assert '<html lang="tr">' in page and "The Monday list" not in page and "Key numbers" not in page
    # segment and action names in Turkish too, though the runner's own language stays English
    assert i18n.lookup("act_retention_call", "tr") in page and "retention call" not in page
    assert f'<td>{i18n.lookup("seg_champions", "tr")}, P(aktif) %70' in page and "Champions" not in page
    assert i18n.language() == "en"


def test_no_pdf_without_a_browser_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(brief.shutil, "which", lambda name: None)
    page = tmp_path / "brief.html"
    page.write_text("<html></html>")
    assert brief.browser() is None and brief.write_pdf(page, tmp_path / "brief.pdf") is False
    assert not (tmp_path / "brief.pdf").exists()


def test_a_sparkline_of_nothing_is_an_empty_titled_svg():
    svg = brief.sparkline([], "Customers: the last 0 runs")
    assert "<title>Customers: the last 0 runs</title>" in svg and brief.sparkline_points(svg) == []
    flat = brief.sparkline_points(brief.sparkline([5, 5, 5], "t"))
    assert len({y for _x, y in flat}) == 1


def test_ids_the_export_left_plain_are_masked_when_the_config_masks(tmp_path):
    reports = tmp_path / "reports"
    folder = _folder(reports, "tiny-1", 100, 0.3)
    export = folder / "artefacts" / "90_executive_summary" / "customer_actions.parquet"
    pd.read_parquet(export).assign(customer_id=["12345", "12346", "12347", "12348"]).to_parquet(export)
    page = brief.write_brief(folder, _config(), _run("tiny-1"), reports_dir=reports,
                             meta={"analysis_end": "2024-06-30"}).read_text()
    assert "1234" not in page and len(re.findall(r'<td>C-[0-9a-f]{12}</td>', page)) == 4
    plain = brief.write_brief(folder, _config("output.mask_customer_ids=false"), _run("tiny-1"), reports_dir=reports,
                              meta={"analysis_end": "2024-06-30"}).read_text()
    assert "<td>12348</td>" in plain


def test_the_pdf_is_one_a4_page_where_chromium_is_installed(tmp_path):
    reports = tmp_path / "reports"
    folder = _folder(reports, "tiny-1", 100, 0.3, n_actions=40)
    page = brief.write_brief(folder, _config(), _run("tiny-1"), reports_dir=reports, meta={"analysis_end": "2024-06-30"})
    printed = brief.write_pdf(page, folder / "brief.pdf")
    if brief.browser() is None:                       # the run goes on without Chromium: no PDF, no error
        assert printed is False and not (folder / "brief.pdf").exists()
    else:
        data = (folder / "brief.pdf").read_bytes()
        assert printed and data.startswith(b"%PDF") and re.findall(rb"/Count (\d+)", data)[0] == b"1"
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", data)
        assert box and abs(float(box.group(1)) - 595.9) < 2 and abs(float(box.group(2)) - 842.9) < 2   # A4 in points


def test_a_full_turkish_monday_list_still_prints_on_one_a4_page(tmp_path):
    """The Turkish brief's longer words (Sadık müşteriler, elde tutma araması) and an offer on every one of the
    20 rows: still one printed page (a real Turkish run printed two before the print styles were tightened)."""
    if brief.browser() is None:
        pytest.skip("Chromium is absent (Debian package `chromium`; .ci/run installs it)")
    reports = tmp_path / "reports"
    folder = _folder(reports, "tiny-1", 5000, 0.335, n_actions=40)
    actions_file = folder / "artefacts" / "90_executive_summary" / "customer_actions.parquet"
    actions = pd.read_parquet(actions_file).assign(rfm_segment="Loyal", next_best_offer="Scented Candle Holder - Better")
    actions.to_parquet(actions_file)
    more = {"01_data_cleaning": [("clean_revenue", "Analiz aralığındaki temiz ciro", 568441.0, "GBP", "568.441 GBP")],
            "04_clv": [("clv_total", "Tahmini 12 aylık CLV, tüm müşteriler", 85790.0, "GBP", "85.790 GBP")],
            "08_campaigns": [("campaign_response_rate", "Kampanyaya yanıt oranı (tüm kampanyalar)", 0.088, "%", "%8,8")],
            "90_executive_summary": [("customers_at_risk", "Yüksek risk altındaki müşteriler (kayıp riski, yoksa 1 − "
                                      "P(aktif))", 3660, "customers", "3.660 müşteri")]}
    for nb, items in more.items():
        (folder / "artefacts" / nb).mkdir(parents=True, exist_ok=True)
        f = folder / "artefacts" / nb / "headline.json"
        old = json.loads(f.read_text()) if f.is_file() else []
        f.write_text(json.dumps(old + [dict(zip(("key", "label", "value", "unit", "text"), h), notebook=nb)
                                       for h in items]))
    page = brief.write_brief(folder, _config("language=tr"), _run("tiny-1"), reports_dir=reports,
                             meta={"analysis_end": "2024-06-30"})
    assert brief.write_pdf(page, folder / "brief.pdf")
    assert re.findall(rb"/Count (\d+)", (folder / "brief.pdf").read_bytes())[0] == b"1"
