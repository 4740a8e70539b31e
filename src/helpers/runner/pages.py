"""The HTML a run writes: two pages per executed notebook, the status banners, the run index, the reports index and the glossary.

Each notebook gets an analyst page (with code) and a business page (without code, with the run's
parameters and a table of contents), both in the run's language and self-contained (plotly.js
inline, they open offline), with a banner at the top saying which notebooks before it failed or
were skipped (:func:`page_banner`). Its plotly figures are also written as JSON
(:func:`export_figures`). ``reports/index.html`` lists every finished run; pages shared by
concurrent runs are replaced atomically (:func:`write_page`).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import threading
import time
from pathlib import Path

from helpers import i18n, paths
from helpers.config import RunConfig
from helpers.i18n import N_
from helpers.runner.cache import finished_runs
from helpers.runner.results import RunResult, statuses


def _title(nb) -> str:
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    return next((line.lstrip("# ").strip() for line in first.splitlines() if line.startswith("#")), i18n._("Notebook"))


LANG_TAGS = {f"lang-{lang}" for lang in i18n.LANGUAGES}


def cells_for_language(cells: list, language: str) -> list:
    """The cells a reader of ``language`` sees: untagged cells and those tagged ``lang-<language>``.

    Narrative markdown comes in pairs, the English cell tagged ``lang-en`` and its translation
    tagged ``lang-tr`` (any cell type may be tagged; a cell with no ``lang-*`` tag is always kept).
    """
    keep = f"lang-{language}"
    return [c for c in cells if not (LANG_TAGS & set(c.get("metadata", {}).get("tags", [])))
            or keep in c.get("metadata", {}).get("tags", [])]


def _injected_parameters(nb) -> dict:
    return dict(nb.metadata.get("papermill", {}).get("parameters", {}))


def export_html(ipynb: Path, out: Path, *, business: bool = False, language: str | None = None,
                banner: str = "", meaning: str = "") -> None:
    """Executed notebook -> one self-contained HTML page in ``language`` (default: the current one).

    Only the cells of the language are kept (:func:`cells_for_language`). ``business=True`` drops every code cell's input (outputs stay), papermill's parameter
    cells, and error tracebacks' code, and adds the run's parameters and a table of contents
    (from the ``##`` headings) at the top. ``banner`` (HTML, :func:`page_banner`) goes above
    everything else; it is not written into the notebook. ``meaning`` (HTML, :func:`page_meaning`) opens the
    business page, under its title; the run's parameters are folded (:func:`parameters_html`).
    """
    import nbformat

    lang = language or i18n.language()
    nb = nbformat.read(str(ipynb), as_version=4)
    nb.cells = cells_for_language(nb.cells, lang)
    nb.metadata["title"] = _title(nb) + (i18n._(" (business version)", lang) if business else "")
    nb.metadata.setdefault("language_info", {})
    if business:
        params = _injected_parameters(nb)
        nb.cells = fold_method(nb.cells, lang)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(parameters_html(params, lang) + '<div id="crm-toc"></div>'))
    if banner:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    body, _ = _exporter(business).from_notebook_node(nb)
    if business:
        heads = re.findall(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link".*?</a>)?</h2>', body, flags=re.S)
        items = "".join(f'<li><a href="#{hid}">{re.sub("<[^>]+>", "", text).strip()}</a></li>' for hid, text in heads)
        toc = (f'<nav class="crm-toc"><strong>{i18n._("Contents", lang)}</strong><ol>{items}</ol></nav>'
               if items else "")
        body = body.replace('<div id="crm-toc"></div>', toc, 1)
        if meaning:                                     # the answer right under the title, before the method
            body = re.sub(r"(<h1[^>]*>.*?</h1>)", lambda m: m.group(1) + meaning, body, count=1, flags=re.S)
    body = _set_html_lang(body, lang)
    body = body.replace("</body>", f'<p class="crm-glossary-link"><a href="glossary.html">'
                                   f'{html.escape(i18n._("Glossary", lang))}</a></p>\n</body>', 1)
    out.write_text(body, encoding="utf-8")


_EXPORTERS = threading.local()


def _exporter(business: bool):
    """The nbconvert exporter of one page kind (the business page without code inputs and prompts), made once per
    thread and reused: a new exporter compiles its Jinja templates again, about a tenth of a CPU second a page (two
    pages per notebook, in every run). Its templates are language-neutral; the page's language comes in with the
    notebook."""
    from nbconvert import HTMLExporter

    made = _EXPORTERS.__dict__.setdefault("by_kind", {})
    if business not in made:
        options = ({"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}
                   if business else {})
        made[business] = HTMLExporter(template_name="crm_report",
                                      extra_template_basedirs=[str(paths.PACKAGE / "templates")], **options)
    return made[business]


def _set_html_lang(page: str, language: str) -> str:
    """``<html lang="...">`` of the report language (screen readers, hyphenation, search)."""
    return re.sub(r"<html(\s[^>]*)?>", lambda m: f'<html lang="{language}">', page, count=1)


_BANNER_STYLE = ("border-left:6px solid #d62728;background:#fdecea;color:#222;padding:.6rem 1rem;"
                 "margin:0 0 1rem 0;border-radius:3px")
_NOTE_STYLE = "color:#666;font-size:.9em;margin:0 0 .3rem 0"


def banner_html(alerts: list[str], notes: list[str], language: str | None = None) -> str:
    """The status block at the top of a page: ``alerts`` (failures) in a red box, ``notes`` (notebooks
    skipped because the data lacks a table) as quiet lines. Empty when there is nothing to say.

    One HTML block without blank lines, so that it stays one block inside a markdown cell.
    """
    lang = language or i18n.language()
    out = []
    if alerts:
        items = "".join(f"<li>{html.escape(a)}</li>" for a in alerts)
        out.append(f'<div class="crm-run-banner" role="alert" style="{_BANNER_STYLE}">'
                   f'<strong>{html.escape(i18n._("This run is incomplete:", lang))}</strong>'
                   f'<ul style="margin:.3rem 0 0 0">{items}</ul></div>')
    out += [f'<p class="crm-run-note" style="{_NOTE_STYLE}">{html.escape(n)}</p>' for n in notes]
    return "\n".join(out)


def page_banner(statuses: list[dict], stem: str, language: str | None = None) -> str:
    """What the page of ``stem`` says at its top about its run: that it failed itself, and which notebooks
    before it in batch order failed or were skipped (:func:`helpers.analyses.headlines.status_notes`)."""
    from helpers.analyses.headlines import status_notes

    lang = language or i18n.language()
    own = next((s for s in statuses if s["name"] == stem), {})
    alerts = [i18n._("This notebook failed ({error}): the page stops at the error and what it should publish is missing.", lang, error=own.get("error") or "")] if own.get("status") == "failed" else []
    notes = status_notes(statuses, before=stem, language=lang)
    return banner_html(alerts + [text for level, text in notes if level == "alert"],
                       [text for level, text in notes if level == "note"], lang)


def export_figures(ipynb: Path, folder: Path) -> int:
    """Write each plotly figure of an executed notebook as ``<stem>_figNN.json`` (plotly JSON)."""
    import nbformat

    nb = nbformat.read(str(ipynb), as_version=4)
    n = 0
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            fig = o.get("data", {}).get("application/vnd.plotly.v1+json")
            if fig:
                n += 1
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{ipynb.stem}_fig{n:02d}.json").write_text(json.dumps(fig), encoding="utf-8")
    return n


def _status_colour(status: str) -> str:
    return {"ok": "#2ca02c", "failed": "#d62728", "skipped": "#999"}.get(status, "#999")


_CSS = """body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45rem;text-align:left;vertical-align:top}
.err{color:#d62728;font-size:.85rem;white-space:pre-wrap}dt{font-weight:600}dd{margin:0 0 .4rem 0}.muted{color:#777}"""


def skip_reason(nb, language: str) -> str:
    """Why a skipped notebook did not run, in the report language: the notebooks it needs that did not
    succeed, or the tables the data lacks (the run's record keeps the English reason)."""
    if nb.blocked_by:
        return i18n._("needs {needs}, which did not succeed", language, needs=", ".join(nb.blocked_by))
    if "lines" in nb.missing_tables:
        return i18n._("this data has no sales lines", language)
    if nb.missing_tables:
        return i18n._("this data has no {tables} table (tables.{table} in the config)", language,
                      tables=" / ".join(nb.missing_tables), table=nb.missing_tables[0])
    return nb.error or ""


def _status_text(status: str, language: str) -> str:
    keys = {"ok": "rep_status_ok", "failed": "rep_status_failed", "skipped": "rep_status_skipped"}
    return i18n.lookup(keys[status], language) if status in keys else status


#: What each page answers, and the keys of its one headline number in the run index (the first it published;
#: none: the page publishes no headline numbers).
QUESTIONS: dict[str, tuple[str, str | tuple[str, ...] | None]] = {
    "00_start_here": (N_("What data does this run read, and how do the reports fit together?"), None),
    "01_data_cleaning": (N_("How clean is the data, and what did cleaning remove?"), "customers"),
    "02_lifecycle": (N_("Are we winning and keeping customers?"), "retention_rate"),
    "03_segmentation": (N_("Who are our best customers, and who should we win back?"), "champions_revenue_share"),
    "04_clv": (N_("What will each customer be worth over the next year?"), ("clv_total", "margin_total")),
    "04b_clv_tournament": (N_("Which lifetime-value model should we trust on these data?"), "chosen_model"),
    "05_churn": (N_("Who is about to leave, and is a retention campaign worth it?"), "high_risk_customers"),
    "06_cross_up_sell": (N_("What should we offer whom next?"), "customers_with_offer"),
    "08_campaigns": (N_("Which campaigns reached customers who responded?"), "campaign_response_rate"),
    "09_customer_voice": (N_("What do customers say, and do complaints drive them away?"), "mean_score"),
    "10_customer_profiles": (N_("Which customer groups bring the revenue?"), "profiles_top_region_revenue_share"),
    "11_contract_churn": (N_("Which contract customers will cancel, and when?"), ("contract_churn_rate", "contract_setting")),
    "12_validation": (N_("Do the models predict well on data they did not see?"), "checks_passed"),
    "13_retention_economics": (N_("What is a point of retention worth?"), "value_one_point"),
    "90_executive_summary": (N_("What should we do this week, and what changed since the last report?"), "revenue_at_stake"),
}


#: Cells a business page leaves out: papermill's parameters, and what a notebook tags ``analyst`` (``describe()``
#: tables, export listings: the analyst version keeps them). A cell tagged ``details`` (model parameter tables)
#: has its outputs folded instead (:func:`folded_outputs`).
BUSINESS_DROPS = {"parameters", "injected-parameters", "analyst"}
#: How a notebook's opening cell starts its inputs and outputs, per language (``**Inputs.**``, ``**Girdiler.**``).
INPUTS_LINE = re.compile(r"^\*\*(Inputs|Girdiler)\b", flags=re.M)


def fold_method(cells: list, language: str) -> list:
    """A business page's cells: without :data:`BUSINESS_DROPS`, and with the opening cell's inputs and outputs (from
    its :data:`INPUTS_LINE` on: file names, parameters) folded into a ``<details>`` a reader opens when asked."""
    import nbformat

    out = []
    for c in cells:
        if BUSINESS_DROPS & set(c.metadata.get("tags", [])):
            continue
        if c.cell_type == "code" and "details" in c.metadata.get("tags", []):
            c = folded_outputs(c, language)
        found = INPUTS_LINE.search(c.source) if c.cell_type == "markdown" and not out else None
        if found:
            head, tail = c.source[:found.start()].rstrip(), c.source[found.start():].rstrip()
            summary = html.escape(i18n._("Inputs and outputs", language))
            out += [nbformat.v4.new_markdown_cell(head),
                    nbformat.v4.new_markdown_cell(f"<details><summary>{summary}</summary>\n\n{tail}\n\n</details>")]
        else:
            out.append(c)
    return out


def folded_outputs(cell, language: str):
    """A copy of a code cell tagged ``details`` whose outputs (tables, texts: model parameter tables and the like)
    are one folded block, "Method detail", on the business page. Figures are not folded: a plotly figure drawn
    in a closed block has no width."""
    import copy

    import nbformat

    parts = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if o.get("output_type") == "stream":
            parts.append(f"<pre>{html.escape(o.get('text', ''))}</pre>")
        elif "text/html" in data and "application/vnd.plotly.v1+json" not in data:
            parts.append(data["text/html"] if isinstance(data["text/html"], str) else "".join(data["text/html"]))
        else:
            return cell
    if not parts:
        return cell
    out = copy.deepcopy(cell)
    summary = html.escape(i18n._("Method detail", language))
    out.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": f"<details class=\"crm-details\"><summary>{summary}</summary>{''.join(parts)}</details>"})]
    return out


def parameters_html(params: dict, language: str) -> str:
    """The run's parameters of a business page, folded (``<details>``): a reader opens them when asked how the
    page was made. A path (``*_path``, ``*_dir``) shows its last part only: a business page names no folder of
    this machine."""
    def shown(key: str, value) -> str:
        local = key.endswith(("_path", "_dir")) and isinstance(value, str) and value
        return repr(Path(value).name) if local else repr(value)

    rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td><code>{html.escape(shown(k, v))}</code></td></tr>"
                   for k, v in params.items() if k != "output_dir")
    if not rows:
        return ""
    return (f'<details class="crm-parameters"><summary>{html.escape(i18n._("Run parameters", language))}</summary>'
            f'<table><thead><tr><th>{html.escape(i18n._("parameter", language))}</th>'
            f'<th>{html.escape(i18n._("value", language))}</th></tr></thead><tbody>{rows}</tbody></table></details>\n\n')


#: Headline numbers a business page opens with, at most (:func:`page_meaning`).
MEANING_ITEMS = 5


def published_numbers(folder: Path, stem: str) -> list[dict]:
    """The headline numbers ``stem`` published in the run ``folder`` (``artefacts/<stem>/headline.json``), its key
    number of the run index (:data:`QUESTIONS`) first, then as published; ``[]`` when there are none or the file
    cannot be read."""
    try:
        items = json.loads((Path(folder) / "artefacts" / stem / "headline.json").read_text(encoding="utf-8"))
        items = [h for h in items if h.get("text") and h.get("label")]
    except (ValueError, OSError, AttributeError, TypeError):
        return []
    keys = QUESTIONS.get(stem, ("", None))[1]
    keys = (keys,) if isinstance(keys, str) else keys or ()
    rank = {k: i for i, k in enumerate(keys)}
    return sorted(items, key=lambda h: rank.get(h.get("key"), len(rank)))       # stable: the rest as published


def page_meaning(folder: Path, stem: str, language: str | None = None) -> str:
    """"What this means": the page's question and up to :data:`MEANING_ITEMS` of the headline numbers it published
    (:func:`published_numbers`), as HTML; ``""`` when the page published none (it failed, or has no numbers)."""
    lang = language or i18n.language()
    items = published_numbers(folder, stem)
    if not items:
        return ""
    question = QUESTIONS.get(stem, ("", None))[0]
    lead = f"<p><em>{html.escape(i18n._(question, lang))}</em></p>" if question else ""
    bullets = "".join(f"<li>{html.escape(h['label'])}: <strong>{html.escape(h['text'])}</strong></li>"
                      for h in items[:MEANING_ITEMS])
    return (f'<div class="crm-meaning" style="border-left:6px solid #1f77b4;background:#eef5fb;padding:.6rem 1rem;'
            f'margin:0 0 1rem 0"><strong>{html.escape(i18n._("What this means", lang))}</strong>{lead}'
            f'<ul>{bullets}</ul></div>\n\n')


def page_headline(folder: Path, stem: str) -> str:
    """The one headline number of ``stem``'s page in the run index (its text as published), or ``""``."""
    keys = QUESTIONS.get(stem, ("", None))[1]
    keys = {keys} if isinstance(keys, str) else set(keys or ())
    found = next((h for h in published_numbers(folder, stem) if h.get("key") in keys), None)
    return f"{found['label']}: {found['text']}" if found else ""


def run_index_html(cfg: RunConfig, run: RunResult, meta: dict, started: dt.datetime, seconds: float,
                   folder: Path | None = None) -> str:
    """The run's ``index.html``: the brief first (when ``folder``, the run's folder, has one), its status banner,
    config, data (``meta`` of the prepared data) and time, and each notebook's question, headline number
    (:data:`QUESTIONS`, :func:`page_headline`) and status with links to its two pages."""
    lang = cfg.language
    T = lambda key, **kw: html.escape(i18n.lookup(key, lang, **kw))  # noqa: E731
    n = lambda v: i18n.fmt_number(v or 0, 0, lang)  # noqa: E731
    d = lambda v: html.escape(i18n.fmt_date(v, lang)) if v else ""  # noqa: E731
    rows = []
    for nb in run.notebooks:
        colour = _status_colour(nb.status)
        name = html.escape(nb.name)
        links = (f'<a href="{html.escape(nb.business_html)}">{name}</a> '
                 f'<span class="muted">(<a href="{html.escape(nb.html)}">{T("rep_with_code")}</a>)</span>') if nb.html else name
        why = skip_reason(nb, lang) if nb.status == "skipped" else nb.error
        err = f'<div class="err">{html.escape(why or "")}</div>' if why else ""
        reused = f' <span class="muted">{T("rep_reused_from")} {html.escape(nb.reused_from)}</span>' if nb.reused_from else ""
        question = html.escape(i18n.show(QUESTIONS[nb.name][0], lang)) if nb.name in QUESTIONS else ""
        number = html.escape(page_headline(folder, nb.name)) if folder is not None and nb.status == "ok" else ""
        rows.append(f'<tr><td>{links}{err}</td><td>{question}</td><td>{number}</td>'
                    f'<td style="color:{colour};font-weight:600">{_status_text(nb.status, lang)}</td>'
                    f'<td>{i18n.fmt_number(nb.seconds, 1, lang)} s{reused}</td></tr>')
    brief = (f'<p class="brief"><a href="brief.html"><strong>{html.escape(i18n._("The brief: key numbers, the Monday list and the findings on one page", lang))}</strong></a>'
             + (' (<a href="brief.pdf">PDF</a>)' if (folder / "brief.pdf").is_file() else "") + "</p>"
             if folder is not None and (folder / "brief.html").is_file() else "")
    when = f"{i18n.fmt_date(started, lang)} {started:%H:%M:%S}"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(run.name)}: {T("rep_report_title")}</title>
<style>{_CSS}</style></head>
<body><h1>{T("rep_report_title")}: {html.escape(run.name)}</h1>
<p class="muted"><a href="../index.html">{T("rep_all_runs")}</a> · <a href="glossary.html">{T("rep_glossary")}</a></p>
{brief}
{_index_banner(run, lang)}
<dl><dt>{T("rep_config")}</dt><dd>{html.escape(str(cfg.source_file))} ({T("rep_resolved_copy")}: <a href="config.yaml">config.yaml</a>; <a href="run.json">run.json</a>; <a href="run.log">run.log</a>)</dd>
<dt>{T("rep_data")}</dt><dd>{html.escape(meta.get('source', ''))}: {T("rep_data_lines", raw=n(meta.get('n_raw_lines')), clean=n(meta.get('n_clean_lines')))};
{T("rep_data_dates")} {d(meta.get('data_start'))} .. {d(meta.get('data_end'))}; {T("rep_analysis_window")} {d(meta.get('analysis_start'))} .. {d(meta.get('analysis_end'))}</dd>
<dt>{T("rep_run")}</dt><dd>{T("rep_started")} {when}, {seconds:.0f} s; {T("rep_engine")} {html.escape(cfg.engine.backend)}; {T("rep_fingerprint")} {meta.get('fingerprint', '')[:12]}</dd></dl>
<p>{T("rep_index_intro")} <a href="artefacts/">artefacts/</a>, <a href="figures/">figures/</a>.</p>
<table><thead><tr><th>{T("rep_notebook")}</th><th>{html.escape(i18n._("Question", lang))}</th><th>{html.escape(i18n._("Headline number", lang))}</th><th>{T("rep_status")}</th><th>{T("rep_time")}</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table></body></html>
"""


def _index_banner(run: RunResult, language: str) -> str:
    """The run index's status block: "incomplete" with each failure first, data skips as quiet lines."""
    from helpers.analyses.headlines import status_notes

    notes = status_notes(statuses(run.notebooks), language=language)
    alerts = [text for level, text in notes if level == "alert"]
    if not run.ok:
        alerts.insert(0, i18n._("Incomplete run: a notebook failed, so the reports below and the executive summary lack what it computes.", language))
    return banner_html(alerts, [text for level, text in notes if level == "note"], language)


def write_reports_index(reports_dir: Path, language: str | None = None) -> Path:
    """``reports/index.html``: every finished run, newest first, with status, date, config and data.

    Written in ``language`` (default: the current one), with a link to each run's glossary page.
    """
    lang = language or i18n.language()
    T = lambda key, **kw: html.escape(i18n.lookup(key, lang, **kw))  # noqa: E731
    runs = [(folder.name, m) for folder, m in finished_runs(reports_dir)]
    runs.sort(key=lambda r: r[1].get("started", ""), reverse=True)
    latest = (reports_dir / "latest").resolve().name if (reports_dir / "latest").exists() else None
    rows = []
    for name, m in runs:
        status = "ok" if m.get("ok") else "failed"
        data = m.get("data", {})
        tag = f" <strong>({T('rep_latest')})</strong>" if name == latest else ""
        gloss = (f' <span class="muted">· <a href="{html.escape(name)}/glossary.html">{T("rep_glossary")}</a></span>'
                 if (reports_dir / name / "glossary.html").exists() else "")
        if (reports_dir / name / "brief.html").exists():
            gloss = f' <span class="muted">· <a href="{html.escape(name)}/brief.html">{html.escape(i18n._("brief", lang))}</a></span>' + gloss
        span = " .. ".join(html.escape(i18n.fmt_date(data[k], lang)) if data.get(k) else "None"
                           for k in ("analysis_start", "analysis_end"))
        rows.append(f'<tr><td><a href="{html.escape(name)}/index.html">{html.escape(name)}</a>{tag}{gloss}</td>'
                    f'<td style="color:{_status_colour(status)};font-weight:600">{_status_text(status, lang)}</td>'
                    f'<td>{html.escape(m.get("started", ""))}</td><td>{html.escape(str(m.get("config", "")))}</td>'
                    f'<td>{html.escape(str(data.get("source", "")))}, '
                    f'{T("rep_clean_lines", n=i18n.fmt_number(data.get("n_clean_lines", 0) or 0, 0, lang))}, {span}</td></tr>')
    top_glossary = (f'<p class="muted"><a href="glossary.html">{T("rep_glossary")}</a></p>'
                    if (reports_dir / "glossary.html").exists() else "")
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{T("rep_reports_title")}</title><style>{_CSS}</style></head>
<body><h1>{T("rep_reports_title")}</h1>
{top_glossary}
<table><thead><tr><th>{T("rep_run")}</th><th>{T("rep_status")}</th><th>{T("rep_started")}</th><th>{T("rep_config")}</th><th>{T("rep_data")}</th></tr></thead><tbody>
{''.join(rows) or f'<tr><td colspan="5">{T("rep_no_runs")}</td></tr>'}
</tbody></table></body></html>
"""
    return write_page(reports_dir / "index.html", page)


def glossary_html(language: str | None = None) -> str:
    """The glossary page: every term in the report language with the other language's name, its
    definition, formula and the notebook that measures it, grouped by CRM activity, life-cycle
    stage, KPI, segment, action, method and (last) plot and table labels."""
    lang = language or i18n.language()
    other = "tr" if lang == "en" else "en"
    T = lambda key: html.escape(i18n.lookup(key, lang))  # noqa: E731
    by_group: dict[str, list[tuple[str, dict]]] = {g: [] for g in i18n.GROUPS}
    for key, e in i18n.glossary().items():
        if key.startswith(("group_", "rep_")):
            continue
        by_group[e["group"]].append((key, e))
    sections, toc = [], []
    for g, entries in by_group.items():
        if not entries:
            continue
        entries.sort(key=lambda ke: str(ke[1].get(lang, "")).casefold())
        rows = []
        for key, e in entries:
            formula = f'<code class="formula">{html.escape(str(e["formula"]))}</code>' if e.get("formula") else ""
            name = html.escape(str(e.get(lang, "")))
            alt = html.escape(str(e.get(other, "")))
            nbk = html.escape(str(e.get("notebook", "")))
            rows.append(f'<tr id="{html.escape(key)}"><td><strong>{name}</strong><div class="muted">{alt}</div></td>'
                        f'<td>{html.escape(str(e.get("def_" + lang, "")))}{formula}</td>'
                        f'<td><a href="{nbk}.business.html">{nbk}</a></td></tr>')
        gid = f"group-{g}"
        toc.append(f'<li><a href="#{gid}">{T(i18n.GROUPS[g])}</a> ({len(entries)})</li>')
        sections.append(f'<h2 id="{gid}">{T(i18n.GROUPS[g])}</h2>\n'
                        f'<table><thead><tr><th>{T("rep_term")}</th><th>{T("rep_definition")}</th>'
                        f'<th>{T("rep_notebook")}</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{T("rep_glossary")}</title>
<style>{_CSS}.formula{{display:block;font-family:ui-monospace,monospace;font-size:.85rem;color:#555;margin-top:.2rem}}</style></head>
<body><h1>{T("rep_glossary")}</h1>
<p class="muted"><a href="index.html">{T("rep_back_to_index")}</a></p>
<p>{T("rep_glossary_intro")}</p>
<ol>{"".join(toc)}</ol>
{"".join(sections)}
</body></html>
"""


def write_glossary(folder: Path, language: str | None = None) -> Path:
    """Write ``glossary.html`` (:func:`glossary_html`) into ``folder``."""
    return write_page(Path(folder) / "glossary.html", glossary_html(language))


def write_page(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a file of its own and a rename, so a reader (or a concurrent run
    writing the same page) never sees half a page."""
    path = Path(path)
    part = path.parent / f".{path.name}.{os.getpid()}-{time.time_ns()}"
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
    return path
