"""Batch runner: papermill runs the numbered notebooks with a config, nbconvert makes HTML.

Usage::

    python -m helpers.runner --config configs/default.yaml
    python -m helpers.runner -c configs/default.yaml -c configs/cdnow.yaml        # two runs
    python -m helpers.runner --grid analysis.end=2024-06-30,2024-12-31           # one run per value
    python -m helpers.runner --help

For each run it (1) validates the config and every notebook parameter in it, (2) prepares the
data once (:func:`helpers.pipeline.prepare`: read, clean, audit, customer tables), (3) executes
each notebook of :data:`helpers.batch.BATCH` with papermill, reusing a notebook's outputs from an
earlier run when its inputs (data fingerprint, parameters, notebook and package code, and for a
step that runs after all others, their status and keys in this run) did not change, and (4) writes two HTML pages per notebook: the analyst version with code and a
business version without code, with a table of contents and the parameters at the top. Both
embed plotly.js and open offline.

A failing notebook does not stop the others: its executed copy is kept with the error, the
index marks it red and says the run is incomplete, notebooks that need it are skipped, and the
exit code is 1. Every page says at its top which notebooks before it (in batch order) failed or
were skipped (:func:`page_banner`): a page is exported to HTML only once every notebook before it
has finished, since up to ``jobs`` notebooks run at once. The executive summary (``after_all``)
starts after all others and reads their statuses from ``artefacts/run_status.json``
(:func:`helpers.analyses.headlines.write_run_status`).

Writes are atomic: a run is written to ``reports/.tmp-<run>/`` and moved to ``reports/<run>/``
when done. Paths into the temporary folder that a notebook printed or was given (``output_dir``)
are rewritten to the run's final folder before its pages are written (:func:`relocate_paths`),
so no page points into a folder that no longer exists (notebooks print paths relative to the
run folder anyway: :func:`helpers.analyses.headlines.shown_path`). ``reports/latest`` points to the last
run whose notebooks all succeeded and is never moved by a failed or killed run;
``reports/index.html`` lists every run.

Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad config or data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers import i18n, paths
from helpers.batch import BATCH, NOTEBOOKS
from helpers.config import RunConfig, load_config, parse_override
from helpers.errors import ConfigError, CRMInputError

#: Parameters every numbered notebook has; the runner sets them, configs may not.
STANDARD_PARAMETERS = ("config_path", "config_overrides", "output_dir")
#: Set by the runner only for notebooks that declare it: the folder of ``reports/latest`` when the run started.
PREVIOUS_RUN_PARAMETER = "previous_run_dir"
#: Packages whose versions go into run.json.
KEY_PACKAGES = ("pandas", "numpy", "ibis-framework", "duckdb", "pyspark", "pymc-marketing", "pymc",
                "scikit-learn", "mlxtend", "lifelines", "plotly", "papermill", "nbconvert")
LOG = logging.getLogger("helpers.runner.run")


@dataclass
class NotebookResult:
    name: str
    status: str = "pending"          # ok | failed | skipped
    seconds: float = 0.0
    error: str | None = None
    html: str | None = None
    business_html: str | None = None
    reused_from: str | None = None
    key: str | None = None
    blocked: bool = False            # skipped because a notebook it needs failed
    blocked_by: list[str] = field(default_factory=list)       # those notebooks
    missing_tables: list[str] = field(default_factory=list)   # skipped: the tables the data lacks


@dataclass
class RunResult:
    name: str
    folder: Path | None = None
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No notebook failed (a notebook skipped because the data lacks its inputs is fine)."""
        return not any(n.status == "failed" for n in self.notebooks) and bool(self.notebooks)


def notebook_path(stem: str) -> Path:
    return paths.NOTEBOOKS / f"{stem}.ipynb"


def _matches(nb: str, wanted: str) -> bool:
    return nb == wanted or nb.split("_")[0] == wanted


def select_notebooks(cfg: RunConfig, only: list[str] | None = None) -> list[str]:
    """The batch's notebooks, restricted by ``--notebooks`` or ``output.notebooks`` (``"04"`` or the stem)."""
    wanted = only or cfg.output.notebooks
    if not wanted:
        return list(NOTEBOOKS)
    unknown = [w for w in wanted if not any(_matches(nb, w) for nb in NOTEBOOKS)]
    if unknown:
        raise ConfigError(f"{cfg.source_file}: output.notebooks / --notebooks: unknown notebook(s) {unknown}; "
                          f"the batch has {NOTEBOOKS}")
    return [nb for nb in NOTEBOOKS if any(_matches(nb, w) for w in wanted)]


def notebook_parameters(stem: str) -> dict:
    """Names and defaults of a notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook_path(stem)))


def check_notebook_parameters(cfg: RunConfig) -> None:
    """Reject ``notebooks:`` entries naming an unknown notebook or parameter, listing what is allowed."""
    for key, params in cfg.notebooks.items():
        if key not in NOTEBOOKS:
            raise ConfigError(f"{cfg.source_file}: unknown key 'notebooks.{key}'; allowed keys here: {', '.join(NOTEBOOKS)}")
        allowed = notebook_parameters(key)
        reserved = {*STANDARD_PARAMETERS, PREVIOUS_RUN_PARAMETER}
        for p in params:
            if p not in allowed or p in reserved:
                ok = ", ".join(sorted(set(allowed) - reserved))
                raise ConfigError(f"{cfg.source_file}: unknown key 'notebooks.{key}.{p}' (value {params[p]!r}); "
                                  f"allowed keys here: {ok}")


# ----------------------------------------------------------------------------------- HTML
def _title(nb) -> str:
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    return next((line.lstrip("# ").strip() for line in first.splitlines() if line.startswith("#")), i18n.t("rep_notebook"))


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
                banner: str = "") -> None:
    """Executed notebook -> one self-contained HTML page in ``language`` (default: the current one).

    Only the cells of the language are kept (:func:`cells_for_language`). ``business=True`` drops every code cell's input (outputs stay), papermill's parameter
    cells, and error tracebacks' code, and adds the run's parameters and a table of contents
    (from the ``##`` headings) at the top. ``banner`` (HTML, :func:`page_banner`) goes above
    everything else; it is not written into the notebook.
    """
    import nbformat
    from nbconvert import HTMLExporter

    lang = language or i18n.language()
    nb = nbformat.read(str(ipynb), as_version=4)
    nb.cells = cells_for_language(nb.cells, lang)
    nb.metadata["title"] = _title(nb) + (i18n.t("rep_business_suffix", lang) if business else "")
    nb.metadata.setdefault("language_info", {})
    kw = {}
    if business:
        params = _injected_parameters(nb)
        nb.cells = [c for c in nb.cells if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
        rows = "\n".join(f"| `{k}` | `{v!r}` |" for k, v in params.items() if k != "output_dir")
        intro = (f"**{i18n.t('rep_run_parameters', lang)}**\n\n| {i18n.t('rep_parameter', lang)} | "
                 f"{i18n.t('rep_value', lang)} |\n|---|---|\n" + rows + "\n\n" if rows else "")
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(intro + '<div id="crm-toc"></div>'))
        kw = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}
    if banner:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    exporter = HTMLExporter(template_name="crm_report", extra_template_basedirs=[str(paths.PACKAGE / "templates")],
                            **kw)
    body, _ = exporter.from_notebook_node(nb)
    if business:
        heads = re.findall(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link".*?</a>)?</h2>', body, flags=re.S)
        items = "".join(f'<li><a href="#{hid}">{re.sub("<[^>]+>", "", text).strip()}</a></li>' for hid, text in heads)
        toc = (f'<nav class="crm-toc"><strong>{i18n.t("rep_contents", lang)}</strong><ol>{items}</ol></nav>'
               if items else "")
        body = body.replace('<div id="crm-toc"></div>', toc, 1)
    body = _set_html_lang(body, lang)
    body = body.replace("</body>", f'<p class="crm-glossary-link"><a href="glossary.html">'
                                   f'{html.escape(i18n.t("rep_glossary", lang))}</a></p>\n</body>', 1)
    out.write_text(body, encoding="utf-8")


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
                   f'<strong>{html.escape(i18n.t("run_banner_title", lang))}</strong>'
                   f'<ul style="margin:.3rem 0 0 0">{items}</ul></div>')
    out += [f'<p class="crm-run-note" style="{_NOTE_STYLE}">{html.escape(n)}</p>' for n in notes]
    return "\n".join(out)


def page_banner(statuses: list[dict], stem: str, language: str | None = None) -> str:
    """What the page of ``stem`` says at its top about its run: that it failed itself, and which notebooks
    before it in batch order failed or were skipped (:func:`helpers.analyses.headlines.status_notes`)."""
    from helpers.analyses.headlines import status_notes

    lang = language or i18n.language()
    own = next((s for s in statuses if s["name"] == stem), {})
    alerts = [i18n.t("run_note_this_failed", lang, error=own.get("error") or "")] if own.get("status") == "failed" else []
    notes = status_notes(statuses, before=stem, language=lang)
    return banner_html(alerts + [text for level, text in notes if level == "alert"],
                       [text for level, text in notes if level == "note"], lang)


def relocate_paths(ipynb: Path, moved: dict[str, str]) -> bool:
    """Rewrite, in an executed notebook file, every path under a key of ``moved`` to the same path under its
    value (the temporary run folder to the final one, or the run a notebook was reused from to this one).

    Works on the file's JSON text, so parameters, metadata and printed outputs are all covered; a folder
    name that merely starts like a key (``run-1`` vs ``run-10``) is left alone. True when something changed.
    """
    text = ipynb.read_text(encoding="utf-8")
    new = text
    for old, to in moved.items():
        for esc_old, esc_new in {(json.dumps(old, ensure_ascii=a)[1:-1], json.dumps(to, ensure_ascii=a)[1:-1])
                                 for a in (False, True)}:
            new = re.sub(re.escape(esc_old) + r"(?![\w.\-])", lambda m: esc_new, new)
    if new != text:
        ipynb.write_text(new, encoding="utf-8")
    return new != text


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


# ------------------------------------------------------------------------------ provenance
def git_commit() -> str | None:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "notebooks"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (sha + ("-dirty" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def code_version() -> str:
    """Hash of the helpers package source: a notebook's output changes when this does."""
    h = hashlib.sha256()
    for p in sorted(paths.PACKAGE.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".j2", ".json", ".yaml"}:
            h.update(p.relative_to(paths.PACKAGE).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def step_key(stem: str, fingerprint: str, params: dict, code: str) -> str:
    """What a notebook's outputs depend on: data fingerprint, parameters, notebook and package code."""
    h = hashlib.sha256()
    h.update(fingerprint.encode())
    h.update(json.dumps({k: v for k, v in params.items() if k != "output_dir"}, sort_keys=True, default=str).encode())
    h.update(notebook_path(stem).read_bytes())
    h.update(code.encode())
    return h.hexdigest()


def _finished_runs(reports_dir: Path):
    """(run folder, its run.json) of every finished run under ``reports_dir``, in no order."""
    for rj in reports_dir.glob("*/run.json"):
        if rj.parent.name.startswith(".") or rj.parent.is_symlink():
            continue
        try:
            yield rj.parent, json.loads(rj.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def _newest(candidates) -> Path | None:
    best = max(candidates, key=lambda fm: fm[1].get("started", ""), default=None)
    return best[0] if best else None


def previous_run(reports_dir: Path, config_name: str) -> Path | None:
    """The newest finished run of the same config in which no notebook failed (what "changes since the
    previous run" compares with): ``reports/latest`` may belong to another config."""
    return _newest((f, m) for f, m in _finished_runs(reports_dir)
                   if m.get("ok") and m.get("data", {}).get("config_name") == config_name)


def _find_reusable(reports_dir: Path, stem: str, key: str) -> Path | None:
    """The newest finished run holding an ``ok`` result of ``stem`` with the same key."""
    return _newest((f, m) for f, m in _finished_runs(reports_dir)
                   if any(nb.get("name") == stem and nb.get("key") == key and nb.get("status") == "ok"
                          for nb in m.get("notebooks", [])) and (f / f"{stem}.ipynb").exists())


# ----------------------------------------------------------------------------------- index
def _status_colour(status: str) -> str:
    return {"ok": "#2ca02c", "failed": "#d62728", "skipped": "#999"}.get(status, "#999")


_CSS = """body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45rem;text-align:left;vertical-align:top}
.err{color:#d62728;font-size:.85rem;white-space:pre-wrap}dt{font-weight:600}dd{margin:0 0 .4rem 0}.muted{color:#777}"""


def _status_text(status: str, language: str) -> str:
    keys = {"ok": "rep_status_ok", "failed": "rep_status_failed", "skipped": "rep_status_skipped"}
    return i18n.t(keys[status], language) if status in keys else status


def _run_index_html(cfg: RunConfig, run: RunResult, meta: dict, started: dt.datetime, seconds: float) -> str:
    lang = cfg.language
    T = lambda key, **kw: html.escape(i18n.t(key, lang, **kw))  # noqa: E731
    n = lambda v: i18n.fmt_number(v or 0, 0, lang)  # noqa: E731
    d = lambda v: html.escape(i18n.fmt_date(v, lang)) if v else ""  # noqa: E731
    rows = []
    for nb in run.notebooks:
        colour = _status_colour(nb.status)
        name = html.escape(nb.name)
        links = (f'<a href="{html.escape(nb.business_html)}">{name}</a> '
                 f'<span class="muted">(<a href="{html.escape(nb.html)}">{T("rep_with_code")}</a>)</span>') if nb.html else name
        err = f'<div class="err">{html.escape(nb.error or "")}</div>' if nb.error else ""
        reused = f' <span class="muted">{T("rep_reused_from")} {html.escape(nb.reused_from)}</span>' if nb.reused_from else ""
        rows.append(f'<tr><td>{links}{err}</td><td style="color:{colour};font-weight:600">{_status_text(nb.status, lang)}</td>'
                    f'<td>{i18n.fmt_number(nb.seconds, 1, lang)} s{reused}</td></tr>')
    when = f"{i18n.fmt_date(started, lang)} {started:%H:%M:%S}"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(run.name)}: {T("rep_report_title")}</title>
<style>{_CSS}</style></head>
<body><h1>{T("rep_report_title")}: {html.escape(run.name)}</h1>
<p class="muted"><a href="../index.html">{T("rep_all_runs")}</a> · <a href="glossary.html">{T("rep_glossary")}</a></p>
{_index_banner(run, lang)}
<dl><dt>{T("rep_config")}</dt><dd>{html.escape(str(cfg.source_file))} ({T("rep_resolved_copy")}: <a href="config.yaml">config.yaml</a>; <a href="run.json">run.json</a>; <a href="run.log">run.log</a>)</dd>
<dt>{T("rep_data")}</dt><dd>{html.escape(meta.get('source', ''))}: {T("rep_data_lines", raw=n(meta.get('n_raw_lines')), clean=n(meta.get('n_clean_lines')))};
{T("rep_data_dates")} {d(meta.get('data_start'))} .. {d(meta.get('data_end'))}; {T("rep_analysis_window")} {d(meta.get('analysis_start'))} .. {d(meta.get('analysis_end'))}</dd>
<dt>{T("rep_run")}</dt><dd>{T("rep_started")} {when}, {seconds:.0f} s; {T("rep_engine")} {html.escape(cfg.engine.backend)}; {T("rep_fingerprint")} {meta.get('fingerprint', '')[:12]}</dd></dl>
<p>{T("rep_index_intro")} <a href="artefacts/">artefacts/</a>, <a href="figures/">figures/</a>.</p>
<table><thead><tr><th>{T("rep_notebook")}</th><th>{T("rep_status")}</th><th>{T("rep_time")}</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table></body></html>
"""


def _index_banner(run: RunResult, language: str) -> str:
    """The run index's status block: "incomplete" with each failure first, data skips as quiet lines."""
    from helpers.analyses.headlines import status_notes

    notes = status_notes(_statuses(run.notebooks), language=language)
    alerts = [text for level, text in notes if level == "alert"]
    if not run.ok:
        alerts.insert(0, i18n.t("rep_run_incomplete", language))
    return banner_html(alerts, [text for level, text in notes if level == "note"], language)


def _statuses(notebooks: list[NotebookResult]) -> list[dict]:
    """The run's notebook statuses as :func:`helpers.analyses.headlines.write_run_status` writes them."""
    return [{"name": n.name, "status": n.status, "error": n.error, "blocked_by": list(n.blocked_by),
             "missing_tables": list(n.missing_tables)} for n in notebooks]


def write_reports_index(reports_dir: Path, language: str | None = None) -> Path:
    """``reports/index.html``: every finished run, newest first, with status, date, config and data.

    Written in ``language`` (default: the current one), with a link to each run's glossary page.
    """
    lang = language or i18n.language()
    T = lambda key, **kw: html.escape(i18n.t(key, lang, **kw))  # noqa: E731
    runs = []
    for rj in reports_dir.glob("*/run.json"):
        if rj.parent.is_symlink() or rj.parent.name.startswith("."):
            continue
        try:
            runs.append((rj.parent.name, json.loads(rj.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    runs.sort(key=lambda r: r[1].get("started", ""), reverse=True)
    latest = (reports_dir / "latest").resolve().name if (reports_dir / "latest").exists() else None
    rows = []
    for name, m in runs:
        status = "ok" if m.get("ok") else "failed"
        data = m.get("data", {})
        tag = f" <strong>({T('rep_latest')})</strong>" if name == latest else ""
        gloss = (f' <span class="muted">· <a href="{html.escape(name)}/glossary.html">{T("rep_glossary")}</a></span>'
                 if (reports_dir / name / "glossary.html").exists() else "")
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
    out = reports_dir / "index.html"
    tmp = reports_dir / f".index-{os.getpid()}.html"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def glossary_html(language: str | None = None) -> str:
    """The glossary page: every term in the report language with the other language's name, its
    definition, formula and the notebook that measures it, grouped by CRM activity, life-cycle
    stage, KPI, segment, action, method and (last) plot and table labels."""
    lang = language or i18n.language()
    other = "tr" if lang == "en" else "en"
    T = lambda key: html.escape(i18n.t(key, lang))  # noqa: E731
    by_group: dict[str, list[tuple[str, dict]]] = {g: [] for g in i18n.GROUPS}
    for key, e in i18n.glossary().items():
        if key.startswith(("group_", "rep_")):
            continue
        g = e.get("group") or "label"
        by_group[g if g in i18n.GROUPS else "label"].append((key, e))
    sections, toc = [], []
    for g, entries in by_group.items():
        if not entries:
            continue
        entries.sort(key=lambda ke: str(ke[1].get(lang, "")).casefold())
        rows = []
        for key, e in entries:
            formula = f'<div class="formula">{html.escape(str(e["formula"]))}</div>' if e.get("formula") else ""
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
<style>{_CSS}.formula{{font-family:ui-monospace,monospace;font-size:.85rem;color:#555;margin-top:.2rem}}</style></head>
<body><h1>{T("rep_glossary")}</h1>
<p class="muted"><a href="index.html">{T("rep_back_to_index")}</a></p>
<p>{T("rep_glossary_intro")}</p>
<ol>{"".join(toc)}</ol>
{"".join(sections)}
</body></html>
"""


def write_glossary(folder: Path, language: str | None = None) -> Path:
    """Write ``glossary.html`` (:func:`glossary_html`) into ``folder``."""
    out = Path(folder) / "glossary.html"
    out.write_text(glossary_html(language), encoding="utf-8")
    return out


def remove_stale_tmp(reports_dir: Path) -> list[str]:
    """Delete ``.tmp-*`` folders left by killed runs (their process is gone); keep those of live runs."""
    removed = []
    for tmp in reports_dir.glob(".tmp-*"):
        try:
            pid = int((tmp / ".pid").read_text(encoding="utf-8"))
            os.kill(pid, 0)
            continue                                  # that run is still going
        except (OSError, ValueError):
            pass
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp.name)
    return removed


def _point_latest(reports_dir: Path, target: Path) -> None:
    link = reports_dir / "latest"
    tmp = reports_dir / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target.name)
    os.replace(tmp, link)


# ------------------------------------------------------------------------------------- run
def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("helpers.runner.run", "papermill"):
        lg = logging.getLogger(name)
        lg.setLevel(logging.INFO)
        lg.addHandler(handler)
    return handler


def _drop_log(handler: logging.Handler) -> None:
    for name in ("helpers.runner.run", "papermill"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def run_config(cfg: RunConfig, *, overrides: list[str] | None = None, only: list[str] | None = None,
               reports_dir: Path | None = None, progress: bool = True, force_prepare: bool = False,
               force: bool = False, run_suffix: str = "", jobs: int | None = None) -> RunResult:
    """Run the batch for one config; see the module docstring. Raises CRMInputError on bad input.

    ``jobs``: notebooks executed at once (default ``output.jobs``); a notebook starts once the
    notebooks it needs have finished, the executive summary once all before it have.
    """
    import papermill as pm
    from tqdm.auto import tqdm

    from helpers.pipeline import prepare
    from helpers.analyses.headlines import write_run_status

    chosen = select_notebooks(cfg, only)
    check_notebook_parameters(cfg)
    jobs = max(1, int(jobs or cfg.output.jobs))
    started = dt.datetime.now()
    t0 = time.time()
    prep = prepare(cfg, force=force_prepare, progress=progress)

    reports_dir = (Path(reports_dir) if reports_dir else paths.resolve(cfg.output.reports_dir)).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    name = cfg.output.run_name or f"{cfg.name}{run_suffix}-{started:%Y%m%d-%H%M%S}"
    final = reports_dir / name
    tmp = reports_dir / f".tmp-{name}"
    remove_stale_tmp(reports_dir)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    (tmp / ".pid").write_text(str(os.getpid()), encoding="utf-8")
    previous = previous_run(reports_dir, cfg.name)
    handler = _log_to(tmp / "run.log")
    run = RunResult(name=name)
    code = code_version()
    needs = {s.name: s.needs for s in BATCH}
    requires = {s.name: s.requires for s in BATCH}
    try:
        LOG.info("run %s: config %s, data %s (%s clean lines)", name, cfg.source_file, prep.meta["source"],
                 prep.meta["n_clean_lines"])
        (tmp / "config.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
        results = {stem: NotebookResult(stem) for stem in chosen}
        run.notebooks = [results[stem] for stem in chosen]
        after_all = {s.name for s in BATCH if s.after_all}

        def blocked_by(stem: str) -> list[str]:
            # a need is unmet when it failed or was itself blocked; one skipped because the data lacks
            # its inputs (e.g. no sales lines) blocks nothing
            return [n for n in needs.get(stem, ()) if n in results and (
                results[n].status == "failed" or (results[n].status == "skipped" and results[n].blocked))]

        def waits_for(stem: str) -> list[str]:
            before = chosen[:chosen.index(stem)]
            return before if stem in after_all else [n for n in needs.get(stem, ()) if n in before]

        def start(stem: str) -> bool:
            """Decide a notebook's fate; True when it has to be executed."""
            res = results[stem]
            failed_needs = blocked_by(stem)
            if failed_needs:
                res.status, res.blocked, res.blocked_by = "skipped", True, failed_needs
                res.error = f"needs {', '.join(failed_needs)}, which did not succeed"
                LOG.warning("%s skipped: %s", stem, res.error)
                return False
            missing = [t for t in requires.get(stem, ()) if t not in prep.tables]
            if missing:
                res.status, res.missing_tables = "skipped", missing
                res.error = ("this data has no sales lines" if "lines" in missing else
                             f"this data has no {' or '.join(missing)} table (tables.{missing[0]} in the config)")
                LOG.info("%s skipped: %s", stem, res.error)
                return False
            return True

        def execute(stem: str) -> None:
            res = results[stem]
            out_nb = tmp / f"{stem}.ipynb"
            artefacts = tmp / "artefacts" / stem
            params = {"config_path": str(Path(cfg.source_file).resolve()) if cfg.source_file else "",
                      "config_overrides": list(overrides or []), "output_dir": str(artefacts),
                      **cfg.notebooks.get(stem, {})}
            if PREVIOUS_RUN_PARAMETER in notebook_parameters(stem):
                params[PREVIOUS_RUN_PARAMETER] = str(previous) if previous else ""
            # the whole resolved config counts (language, masking, ...), except where the run is written;
            # a notebook reading what all others published also depends on what they did in this run
            inputs = {n: [results[n].status, results[n].key] for n in waits_for(stem)} if stem in after_all else {}
            res.key = step_key(stem, prep.fingerprint, {**params, "config": cfg.model_dump(
                mode="json", exclude={"output": {"run_name", "reports_dir", "jobs"}, "description": True}),
                **({"run_status": inputs} if inputs else {})}, code)
            t1 = time.time()
            source = None if force else _find_reusable(reports_dir, stem, res.key)
            if source is not None:
                shutil.copy2(source / f"{stem}.ipynb", out_nb)
                if (source / "artefacts" / stem).is_dir():
                    shutil.copytree(source / "artefacts" / stem, artefacts)
                res.status, res.reused_from = "ok", source.name
                LOG.info("%s reused from %s (inputs unchanged)", stem, source.name)
            else:
                LOG.info("%s: executing", stem)
                try:
                    # the kernel starts in notebooks/ (resources path), not by papermill's cwd=, which
                    # changes the whole process's directory and would race with the other job
                    pm.execute_notebook(str(notebook_path(stem)), str(out_nb), parameters=params,
                                        kernel_name="python3", resources={"metadata": {"path": str(paths.NOTEBOOKS)}},
                                        progress_bar=progress and jobs == 1, log_output=True, report_mode=False)
                    res.status = "ok"
                except pm.PapermillExecutionError as exc:
                    res.status, res.error = "failed", f"{exc.ename}: {exc.evalue}"
                    LOG.error("%s failed: %s", stem, res.error)
                except Exception as exc:          # a kernel that died, a notebook that cannot be read
                    res.status, res.error = "failed", f"{type(exc).__name__}: {exc}"
                    LOG.error("%s failed: %s", stem, res.error)
            res.seconds = time.time() - t1

        def export(stem: str) -> None:
            """The pages of one executed notebook, once every notebook before it has finished and been exported."""
            res = results[stem]
            out_nb = tmp / f"{stem}.ipynb"
            if not out_nb.exists():
                return
            try:
                moved = {str(tmp): str(final)}
                if res.reused_from:
                    moved[str(reports_dir / res.reused_from)] = str(final)
                relocate_paths(out_nb, moved)
                banner = page_banner(_statuses(run.notebooks), stem, cfg.language)
                export_html(out_nb, tmp / f"{stem}.html", language=cfg.language, banner=banner)
                export_html(out_nb, tmp / f"{stem}.business.html", business=True, language=cfg.language, banner=banner)
                export_figures(out_nb, tmp / "figures")
                res.html, res.business_html = f"{stem}.html", f"{stem}.business.html"
            except Exception as exc:               # the executed notebook is kept; the index says what went wrong
                res.status, res.error = "failed", f"HTML export failed: {type(exc).__name__}: {exc}"
                LOG.error("%s: %s", stem, res.error)

        # notebooks run in batch order, up to ``jobs`` at once; each starts when what it waits for is done.
        # Pages are exported one at a time in batch order, each once the notebooks before it are done, so
        # its banner knows their fate; a notebook reading all others' outputs also waits for their pages.
        pending, running, done, exports, exported = list(chosen), {}, set(), {}, set()
        next_export = 0
        with ThreadPoolExecutor(max_workers=jobs) as pool, ThreadPoolExecutor(max_workers=1) as export_pool, \
                tqdm(total=len(chosen), desc=name, unit="notebook", disable=not progress) as bar:
            while pending or running or exports or next_export < len(chosen):
                for stem in list(pending):
                    if len(running) >= jobs:
                        break
                    ready = exported if stem in after_all else done
                    if any(w not in ready for w in waits_for(stem)):
                        continue
                    pending.remove(stem)
                    if start(stem):
                        if stem in after_all:
                            write_run_status(tmp / "artefacts", _statuses(run.notebooks), complete=False)
                        running[pool.submit(execute, stem)] = stem
                    else:
                        done.add(stem)
                        bar.update()
                while next_export < len(chosen) and chosen[next_export] in done:
                    exports[export_pool.submit(export, chosen[next_export])] = chosen[next_export]
                    next_export += 1
                if running or exports:
                    finished, _ = wait([*running, *exports], return_when=FIRST_COMPLETED)
                    for fut in finished:
                        if fut in exports:
                            fut.result()
                            exported.add(exports.pop(fut))
                            continue
                        stem = running.pop(fut)
                        fut.result()
                        done.add(stem)
                        bar.set_postfix_str(f"{stem} {results[stem].status}")
                        bar.update()
        write_run_status(tmp / "artefacts", _statuses(run.notebooks), complete=True)
        seconds = time.time() - t0
        write_glossary(tmp, cfg.language)
        (tmp / "index.html").write_text(_run_index_html(cfg, run, prep.meta, started, seconds), encoding="utf-8")
        (tmp / "run.json").write_text(json.dumps({
            "run": name, "config": cfg.source_file, "overrides": list(overrides or []),
            "started": started.isoformat(timespec="seconds"), "ended": dt.datetime.now().isoformat(timespec="seconds"),
            "seconds": round(seconds, 1), "ok": run.ok, "git_commit": git_commit(), "code_version": code[:16],
            "packages": package_versions(), "data_fingerprint": prep.fingerprint, "data": prep.meta,
            "previous_run": previous.name if previous else None,
            "notebooks": [asdict(n) for n in run.notebooks],
        }, indent=2, default=str), encoding="utf-8")
        LOG.info("run %s finished in %.1f s: %s", name, seconds, "ok" if run.ok else "with failures")
        (tmp / ".pid").unlink(missing_ok=True)
        _drop_log(handler)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        _drop_log(handler)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run.folder = final
    if run.ok:
        _point_latest(reports_dir, final)
    write_glossary(reports_dir, cfg.language)
    write_reports_index(reports_dir, cfg.language)
    return run


def expand_grid(grid: list[str]) -> list[list[str]]:
    """``["a.b=1,2", "c=x,y"]`` -> every combination as a list of ``key=value`` overrides."""
    axes = []
    for g in grid:
        if "=" not in g:
            raise ConfigError(f"--grid '{g}' must look like key.subkey=value1,value2")
        key, values = g.split("=", 1)
        axes.append([f"{key}={v}" for v in values.split(",") if v != ""])
    return [list(c) for c in itertools.product(*axes)] if axes else [[]]


def _suffix(combo: list[str]) -> str:
    return "".join("-" + re.sub(r"[^A-Za-z0-9_.]+", "", c.split("=", 1)[0].split(".")[-1]) + "="
                   + re.sub(r"[^A-Za-z0-9_.-]+", "", c.split("=", 1)[1]) for c in combo).replace("=", "_")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m helpers.runner.run",
        description="Run the numbered CRM notebooks on a config and write HTML reports to reports/<run>/.",
        epilog="Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad config or data. "
               "Weekly schedule (cron): 0 6 * * 1 cd /path/to/project && make reports CONFIG=configs/my_shop.yaml")
    ap.add_argument("--config", "-c", action="append", default=None, metavar="YAML",
                    help="config file (repeat for several runs); default configs/default.yaml")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config value, e.g. --set analysis.end=2011-06-30 (repeatable)")
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                    help="one run per value (repeat for a product of several keys), e.g. --grid analysis.end=2024-06-30,2024-12-31")
    ap.add_argument("--notebooks", nargs="+", metavar="NN", help="run only these notebooks, e.g. 01 04")
    ap.add_argument("--reports-dir", type=Path, help="where run folders go (default: output.reports_dir)")
    ap.add_argument("--force", action="store_true", help="re-execute notebooks even when an earlier run can be reused")
    ap.add_argument("--force-prepare", action="store_true", help="re-read and re-clean the data even if cached")
    ap.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                    help="notebooks executed at once (default: output.jobs in the config, 2)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configs = args.config or [str(paths.CONFIGS / "default.yaml")]
    status = 0
    try:
        combos = expand_grid(args.grid)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in configs:
        for combo in combos:
            overrides = [*args.overrides, *combo]
            try:
                cfg = load_config(path, [parse_override(o) for o in overrides])
                run = run_config(cfg, overrides=overrides, only=args.notebooks, reports_dir=args.reports_dir,
                                 progress=not args.no_progress, force_prepare=args.force_prepare, force=args.force,
                                 run_suffix=_suffix(combo), jobs=args.jobs)
            except CRMInputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                status = max(status, 2)
                continue
            for nb in run.notebooks:
                mark = "ok    " if nb.status == "ok" else nb.status.upper().ljust(6)
                extra = f"  reused from {nb.reused_from}" if nb.reused_from else ""
                print(f"  {mark} {nb.name} ({nb.seconds:.1f} s){extra}{'  ' + nb.error if nb.error else ''}")
            print(f"report: {run.folder / 'index.html'}")
            if not run.ok:
                status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
