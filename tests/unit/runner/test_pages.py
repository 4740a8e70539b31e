"""The HTML a run writes: notebook pages in the run's language, status banners, the run index, the reports
index, the glossary page, plotly figures as JSON and atomic page writes."""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from helpers import i18n
from helpers.config import load_config, parse_override
from helpers.runner import pages
from helpers.runner.results import NotebookResult, RunResult
from tests.fixtures import TINY


def test_banner_is_one_html_block_in_the_page_language():
    alerts, notes = ["05_churn failed (RuntimeError: a <b>)"], ["08_campaigns was skipped: no exposures"]
    html_ = pages.banner_html(alerts, notes, "tr")
    assert "\n\n" not in html_ and "Bu çalıştırma eksik" in html_ and "&lt;b&gt;" in html_
    assert 'class="crm-run-note"' in html_ and pages.banner_html([], [], "en") == ""
    statuses = [{"name": "05_churn", "status": "failed", "error": "E: x", "blocked_by": [], "missing_tables": []},
                {"name": "08_campaigns", "status": "skipped", "error": "", "blocked_by": [], "missing_tables": ["lines", "exposures"]},
                {"name": "90_executive_summary", "status": "pending", "error": None, "blocked_by": [], "missing_tables": []}]
    top = pages.page_banner(statuses, "90_executive_summary", "en")
    assert "05_churn failed (E: x)" in top and "Skipped because this data has no sales lines: 08_campaigns." in top
    assert pages.page_banner(statuses, "05_churn", "en").count("This notebook failed (E: x)") == 1


def test_a_banner_with_notes_only_has_no_alert_box():
    page = pages.banner_html([], ["a note & more"], "en")
    assert "crm-run-banner" not in page and 'role="alert"' not in page
    assert re.fullmatch(r'<p class="crm-run-note" style="[^"<>]*">a note &amp; more</p>', page)
    assert pages.page_banner([{"name": "01", "status": "ok", "error": None, "blocked_by": [], "missing_tables": []}],
                             "01", "en") == ""


def test_cells_for_language_keeps_untagged_cells_and_the_language_of_any_cell_type():
    cells = [nbformat.v4.new_markdown_cell("both"),
             nbformat.v4.new_markdown_cell("en", metadata={"tags": ["lang-en"]}),
             nbformat.v4.new_markdown_cell("tr", metadata={"tags": ["lang-tr", "other"]}),
             nbformat.v4.new_code_cell("x_en", metadata={"tags": ["lang-en"]}),
             nbformat.v4.new_code_cell("x", metadata={"tags": ["parameters"]})]
    assert [c.source for c in pages.cells_for_language(cells, "tr")] == ["both", "tr", "x"]
    assert [c.source for c in pages.cells_for_language(cells, "en")] == ["both", "en", "x_en", "x"]


def _executed(folder: Path) -> Path:
    """An executed notebook by hand: title, both languages, papermill's parameters, a printed value, two steps."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("secret_marker = '<b>'\nprint(secret_marker)")
    code.outputs = [nbformat.v4.new_output("stream", text="<b>printed</b>\n")]
    params = nbformat.v4.new_code_cell('config_path = ""', metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell('show_examples = 4\noutput_dir = "/r/x"',
                                         metadata={"tags": ["injected-parameters"]})
    nb.cells = [nbformat.v4.new_markdown_cell("# 07 · Hand & made\n\nIntro"), params, injected,
                nbformat.v4.new_markdown_cell("## Step 1 · English only", metadata={"tags": ["lang-en"]}),
                nbformat.v4.new_markdown_cell("## Adım 1 · Yalnız Türkçe", metadata={"tags": ["lang-tr"]}),
                code, nbformat.v4.new_markdown_cell("## Step 2 · Both")]
    nb.metadata["papermill"] = {"parameters": {"show_examples": 4, "output_dir": "/r/x"}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}                  # the kernel writes it when it runs
    out = folder / "07_hand.ipynb"
    nbformat.write(nb, str(out))
    return out


def test_an_analyst_page_is_in_the_run_language_with_code_and_a_glossary_link(tmp_path):
    ipynb = _executed(tmp_path)
    pages.export_html(ipynb, tmp_path / "a.html", language="tr", banner=pages.banner_html(["x <failed>"], [], "tr"))
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert re.search(r"<html[^>]*>", page).group(0) == '<html lang="tr">'
    assert "Yalnız Türkçe" in page and "English only" not in page
    assert "secret_marker" in page and "&lt;b&gt;printed&lt;/b&gt;" in page and "celltag_parameters" in page
    assert "<title>07 · Hand &amp; made</title>" in page
    assert page.index("crm-run-banner") < page.index(">07 · Hand &amp; made<a class=\"anchor-link\"") and "x &lt;failed&gt;" in page
    assert page.rstrip().endswith("</html>")
    assert page.index('<a href="glossary.html">Sözlük</a>') < page.index("</body>")


def test_a_business_page_drops_code_and_parameters_cells_and_lists_parameters_and_contents(tmp_path):
    ipynb = _executed(tmp_path)
    pages.export_html(ipynb, tmp_path / "b.html", business=True, language="en")
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert re.search(r"<html[^>]*>", page).group(0) == '<html lang="en">'
    assert "<title>07 · Hand &amp; made (business version)</title>" in page
    assert "secret_marker" not in page and "&lt;b&gt;printed&lt;/b&gt;" in page
    assert "celltag_parameters" not in page and "celltag_injected-parameters" not in page
    assert "Run parameters" in page and "show_examples" in page and "/r/x" not in page     # output_dir is not shown
    toc = re.search(r'<nav class="crm-toc">.*?</nav>', page, flags=re.S).group(0)
    assert re.findall(r"<li><a [^>]*>(.*?)</a></li>", toc) == ["Step 1 · English only", "Step 2 · Both"]
    assert "crm-run-banner" not in page
    assert nbformat.read(str(ipynb), as_version=4).cells[0].source.startswith("# 07")     # the notebook is unchanged


def test_a_business_page_opens_with_what_it_means_and_folds_its_parameters_without_local_paths(tmp_path):
    ipynb = _executed(tmp_path)
    nb = nbformat.read(str(ipynb), as_version=4)
    nb.metadata["papermill"]["parameters"].update(config_path="/home/ana/shop/configs/my <shop>.yaml",
                                                  previous_run_dir="/srv/reports/shop-20240101-060000")
    nbformat.write(nb, str(ipynb))
    art = tmp_path / "artefacts" / "04_clv"
    art.mkdir(parents=True)
    published = [{"key": f"k{i}", "label": f"Number <{i}>", "text": f"{i},000 GBP", "value": i} for i in range(7)]
    published.insert(3, {"key": "clv_total", "label": "Predicted CLV", "text": "85,619 GBP", "value": 85619.0})
    published.append({"key": "gone", "label": "Not measured", "text": "", "value": None})
    (art / "headline.json").write_text(json.dumps(published), encoding="utf-8")
    meaning = pages.page_meaning(tmp_path, "04_clv", "en")
    bullets = re.findall(r"<li>(.*?)</li>", meaning)
    assert len(bullets) == pages.MEANING_ITEMS                   # at most five; the run index's key number first
    assert bullets[0] == "Predicted CLV: <strong>85,619 GBP</strong>"
    assert bullets[1:] == [f"Number &lt;{i}&gt;: <strong>{i},000 GBP</strong>" for i in range(4)]
    assert pages.page_meaning(tmp_path, "05_churn", "en") == ""           # nothing published: no box
    assert "Bu ne anlama geliyor" in pages.page_meaning(tmp_path, "04_clv", "tr")
    pages.export_html(ipynb, tmp_path / "b.html", business=True, language="en", meaning=meaning)
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert page.index("07 · Hand &amp; made") < page.index("What this means") < page.index("Intro")
    assert page.index("Intro") < page.index("<summary>Run parameters</summary>") < page.index("crm-toc")
    assert "'my &lt;shop&gt;.yaml'" in page and "'shop-20240101-060000'" in page
    assert "/home/ana" not in page and "/srv/reports" not in page and "/r/x" not in page


def test_a_business_page_folds_the_inputs_and_outputs_and_leaves_out_analyst_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    intro = "# 07 · Title\n\n**Question.** Who buys?\n\n**Girdiler.**\n\n- `config_path`: the config\n\n**Çıktılar**\n\n- `x.csv`"
    analyst = nbformat.v4.new_code_cell("t.describe()", metadata={"tags": ["analyst"]})
    analyst.outputs = [nbformat.v4.new_output("stream", text="count mean std\n")]
    shown = nbformat.v4.new_code_cell("print('kept')")
    shown.outputs = [nbformat.v4.new_output("stream", text="kept output\n")]
    detail = nbformat.v4.new_code_cell("show(params)", metadata={"tags": ["details"]})
    detail.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>r 0.52</td></tr></table>"}),
                      nbformat.v4.new_output("stream", text="fitted by <MAP>\n")]
    nb.cells = [nbformat.v4.new_markdown_cell(intro), analyst, shown, detail,
                nbformat.v4.new_markdown_cell("**Inputs.** later")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(tmp_path / "07.ipynb"))
    pages.export_html(tmp_path / "07.ipynb", tmp_path / "b.html", business=True, language="tr")
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    folded = re.search(r"<details><summary>(.*?)</summary>(.*?)</details>", page, flags=re.S)
    assert folded.group(1) == "Girdiler ve çıktılar" and "x.csv" in folded.group(2) and "config_path" in folded.group(2)
    assert page.index("Who buys?") < folded.start()
    assert "count mean std" not in page and "kept output" in page
    method = re.search(r'<details class="crm-details"><summary>(.*?)</summary>(.*?)</details>', page, flags=re.S)
    assert method.group(1) == "Yöntem ayrıntısı" and "r 0.52" in method.group(2) and "fitted by &lt;MAP&gt;" in method.group(2)
    assert "<strong>Inputs.</strong> later" in page                  # only the opening cell is folded
    pages.export_html(tmp_path / "07.ipynb", tmp_path / "a.html", language="tr")
    analyst_page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "count mean std" in analyst_page and "Girdiler ve çıktılar" not in analyst_page
    assert "r 0.52" in analyst_page and "Yöntem ayrıntısı" not in analyst_page


def test_export_figures_writes_each_plotly_figure_as_json(tmp_path):
    nb = nbformat.v4.new_notebook()
    figs = [{"data": [{"type": "bar", "y": [1, 2]}], "layout": {}}, {"data": [{"type": "scatter"}], "layout": {}}]
    cells = [nbformat.v4.new_code_cell("a"), nbformat.v4.new_code_cell("b"), nbformat.v4.new_code_cell("c")]
    cells[0].outputs = [nbformat.v4.new_output("display_data", data={"application/vnd.plotly.v1+json": figs[0]})]
    cells[1].outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "no figure"})]
    cells[2].outputs = [nbformat.v4.new_output("display_data", data={"application/vnd.plotly.v1+json": figs[1],
                                                                     "text/html": "<div></div>"})]
    nb.cells = cells
    nbformat.write(nb, str(tmp_path / "05_x.ipynb"))
    assert pages.export_figures(tmp_path / "05_x.ipynb", tmp_path / "figures") == 2
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["05_x_fig01.json", "05_x_fig02.json"]
    assert [json.loads((tmp_path / "figures" / f"05_x_fig0{i}.json").read_text()) for i in (1, 2)] == figs
    nb.cells = cells[1:2]
    nbformat.write(nb, str(tmp_path / "06_y.ipynb"))
    assert pages.export_figures(tmp_path / "06_y.ipynb", tmp_path / "none") == 0 and not (tmp_path / "none").exists()


META = {"source": "file <sales.csv>", "n_raw_lines": 1200, "n_clean_lines": 1000, "fingerprint": "abcdef0123456789",
        "data_start": "2023-01-01", "data_end": "2023-12-31", "analysis_start": "2023-01-01", "analysis_end": "2023-12-31"}


def _run() -> RunResult:
    return RunResult("tiny-1", notebooks=[
        NotebookResult("01_ok", "ok", 2.0, html="01_ok.html", business_html="01_ok.business.html", reused_from="tiny-0"),
        NotebookResult("02_fails", "failed", 1.0, error="RuntimeError: <script>alert(1)</script>",
                       html="02_fails.html", business_html="02_fails.business.html"),
        NotebookResult("03_needs", "skipped", error="needs 02_fails", blocked=True, blocked_by=["02_fails"])])


@pytest.mark.parametrize("language", ["en", "tr"])
def test_the_run_index_escapes_errors_links_both_pages_and_says_the_run_is_incomplete(language):
    cfg = load_config(TINY, [parse_override(f"language={language}")])
    page = pages.run_index_html(cfg, _run(), META, dt.datetime(2026, 1, 2, 3, 4, 5), 12.0)
    assert page.startswith(f'<!doctype html>\n<html lang="{language}">')
    assert "<script>" not in page and "RuntimeError: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "file &lt;sales.csv&gt;" in page and "abcdef012345 " not in page and "abcdef012345<" in page
    assert '<a href="01_ok.business.html">01_ok</a>' in page and 'href="01_ok.html"' in page
    assert f'{i18n._("reused from", language)} tiny-0' in page
    assert html.escape(i18n._("Incomplete run: a notebook failed, so the reports below and the executive summary lack what it computes.", language)) in page
    why = i18n._("needs {needs}, which did not succeed", language, needs="02_fails")
    assert f'<tr><td>03_needs<div class="err">{why}</div></td>' in page       # no pages, no links; its language
    assert page.count("<tr><td>") == 3


def test_a_run_where_nothing_failed_has_no_banner():
    run = RunResult("tiny-2", notebooks=[NotebookResult("01_ok", "ok", html="a.html", business_html="b.html")])
    page = pages.run_index_html(load_config(TINY), run, META, dt.datetime(2026, 1, 2), 1.0)
    assert "crm-run-banner" not in page and "Incomplete run" not in page


def _finished(reports: Path, name: str, started: str, ok: bool, config: str) -> Path:
    (reports / name).mkdir(parents=True)
    (reports / name / "run.json").write_text(json.dumps({
        "ok": ok, "started": started, "config": config,
        "data": {"source": "duckdb", "n_clean_lines": 1234, "analysis_start": "2023-01-01",
                 "analysis_end": "2023-12-31"}}))
    return reports / name


def test_the_reports_index_lists_finished_runs_newest_first_and_marks_latest(tmp_path):
    old = _finished(tmp_path, "tiny-old", "2026-01-01T10:00:00", True, "configs/<tiny>.yaml")
    _finished(tmp_path, "tiny-new", "2026-01-03T10:00:00", False, "configs/tiny.yaml")
    _finished(tmp_path, ".tmp-tiny-running", "2026-01-04T10:00:00", True, "configs/tiny.yaml")
    (tmp_path / "latest").symlink_to(old)
    (old / "glossary.html").write_text("", encoding="utf-8")
    page = pages.write_reports_index(tmp_path, "en").read_text(encoding="utf-8")
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert re.findall(r'<tr><td><a href="([^"]+)/index.html">', page) == ["tiny-new", "tiny-old"]
    rows = page.split("<tr><td>")[1:]
    assert ">failed<" in rows[0] and "(latest)" not in rows[0] and "glossary" not in rows[0]
    assert ">ok<" in rows[1] and "(latest)" in rows[1] and 'href="tiny-old/glossary.html"' in rows[1]
    assert "configs/&lt;tiny&gt;.yaml" in rows[1] and "1,234 clean lines" in rows[1]
    assert 'href="glossary.html"' not in page.split("<table>")[0]                   # no top glossary written yet
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")] == []


def test_an_empty_reports_folder_says_so_in_the_language(tmp_path):
    page = pages.write_reports_index(tmp_path, "tr").read_text(encoding="utf-8")
    assert '<html lang="tr">' in page and i18n._("no runs yet", "tr") in page


def test_the_glossary_page_has_one_row_per_term_in_the_language(tmp_path):
    terms = [k for k in i18n.glossary() if not k.startswith(("group_", "rep_"))]
    page = pages.write_glossary(tmp_path, "tr").read_text(encoding="utf-8")
    assert page.startswith('<!doctype html>\n<html lang="tr">')
    assert sorted(re.findall(r'<tr id="([^"]+)">', page)) == sorted(html.escape(k) for k in terms)
    assert "<h1>Sözlük</h1>" in page


def test_write_page_replaces_the_page_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "index.html"
    target.write_text("old", encoding="utf-8")
    assert pages.write_page(target, "new <p>") == target
    assert target.read_text(encoding="utf-8") == "new <p>"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_skipped_notebook_says_why_in_the_report_language():
    from types import SimpleNamespace

    from helpers.runner.pages import skip_reason

    lacks = SimpleNamespace(blocked_by=[], missing_tables=["feedback"], error="this data has no feedback table")
    blocked = SimpleNamespace(blocked_by=["04_clv"], missing_tables=[], error="needs 04_clv")
    assert skip_reason(lacks, "en") == "this data has no feedback table (tables.feedback in the config)"
    assert skip_reason(lacks, "tr") == "bu veride tables.feedback tablosu yok"
    assert skip_reason(blocked, "tr") == "04_clv gerekiyor ve başarılı olmadı"


def test_the_run_index_links_the_brief_first_and_gives_each_page_its_question_and_headline_number(tmp_path):
    run = RunResult("tiny-x", notebooks=[NotebookResult("02_lifecycle", "ok", html="02_lifecycle.html",
                                                         business_html="02_lifecycle.business.html"),
                                         NotebookResult("12_validation", "ok", html="12_validation.html",
                                                        business_html="12_validation.business.html")])
    (tmp_path / "artefacts" / "02_lifecycle").mkdir(parents=True)
    (tmp_path / "artefacts" / "02_lifecycle" / "headline.json").write_text(json.dumps(
        [{"key": "new_customers", "label": "New", "text": "12"},
         {"key": "retention_rate", "label": "Retention rate", "text": "33.7 %"}]))
    (tmp_path / "brief.html").write_text("<html></html>")
    for lang, question in (("en", "Are we winning and keeping customers?"), ("tr", "Müşteri kazanıyor ve elde tutuyor muyuz?")):
        cfg = load_config(TINY, [parse_override(f"language={lang}")])
        page = pages.run_index_html(cfg, run, META, dt.datetime(2026, 1, 2), 1.0, tmp_path)
        assert page.index('href="brief.html"') < page.index("<table>") and 'href="brief.pdf"' not in page
        row = re.search(r"<tr><td><a href=\"02_lifecycle.business.html\">.*?</tr>", page).group(0)
        assert question in row and "Retention rate: 33.7 %" in row
        validation = re.search(r"<tr><td><a href=\"12_validation.business.html\">.*?</tr>", page).group(0)
        assert validation.count("<td></td>") == 1                                  # a question, no headline number
    assert pages.page_headline(tmp_path, "03_segmentation") == ""
    (tmp_path / "brief.pdf").write_bytes(b"%PDF")
    assert 'href="brief.pdf"' in pages.run_index_html(load_config(TINY), run, META, dt.datetime(2026, 1, 2), 1.0, tmp_path)
