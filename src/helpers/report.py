"""Batch runner: papermill runs the numbered notebooks with a config, nbconvert makes HTML.

Usage::

    python -m helpers.report --config configs/default.yaml
    python -m helpers.report --config configs/cdnow.yaml --set data.path=/data/CDNOW_master.txt
    python -m helpers.report --help

For each config it (1) validates the config and every notebook parameter in it, (2) prepares
the data once (:func:`helpers.pipeline.prepare`: read, clean, audit, customer tables), then
(3) executes each numbered notebook with papermill and (4) writes self-contained HTML
(plotly.js embedded, opens offline) and an ``index.html``. The run is written into
``reports/.tmp-<run>/`` and moved to ``reports/<run>/`` when done; ``reports/latest`` then
points at it. Bad input stops before anything is written, with the message alone.

Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad config or data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .config import RunConfig, load_config, parse_override
from .errors import ConfigError, CRMInputError

from .batch import NOTEBOOKS  # noqa: E402  (the batch's order lives in one list)


#: Parameters every numbered notebook has; the runner sets them, configs may not.
STANDARD_PARAMETERS = ("config_path", "config_overrides", "output_dir")


@dataclass
class NotebookResult:
    name: str
    status: str = "pending"          # ok | failed | skipped
    seconds: float = 0.0
    error: str | None = None
    html: str | None = None


@dataclass
class RunResult:
    name: str
    folder: Path | None = None
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(n.status == "ok" for n in self.notebooks)


def notebook_path(stem: str) -> Path:
    return paths.NOTEBOOKS / f"{stem}.ipynb"


def select_notebooks(cfg: RunConfig, only: list[str] | None = None) -> list[str]:
    """The batch's notebooks, restricted by ``--notebooks`` or ``output.notebooks`` (prefix match)."""
    wanted = only or cfg.output.notebooks
    if not wanted:
        return list(NOTEBOOKS)
    chosen = [nb for nb in NOTEBOOKS if any(nb == w or nb.startswith(f"{w}_") or nb.split("_")[0] == w for w in wanted)]
    unknown = [w for w in wanted if not any(nb == w or nb.startswith(f"{w}_") or nb.split("_")[0] == w for nb in NOTEBOOKS)]
    if unknown:
        raise ConfigError(f"{cfg.source_file}: output.notebooks / --notebooks: unknown notebook(s) {unknown}; "
                          f"the batch has {NOTEBOOKS}")
    return chosen


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
        reserved = set(STANDARD_PARAMETERS)
        for p in params:
            if p not in allowed or p in reserved:
                ok = ", ".join(sorted(set(allowed) - reserved))
                raise ConfigError(f"{cfg.source_file}: unknown key 'notebooks.{key}.{p}' (value {params[p]!r}); "
                                  f"allowed keys here: {ok}")


def export_html(ipynb: Path, out: Path) -> None:
    """Executed notebook -> one self-contained HTML page (lab template)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(ipynb), as_version=4)
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    title = next((line.lstrip("# ").strip() for line in first.splitlines() if line.startswith("#")), ipynb.stem)
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="crm_report",
                            extra_template_basedirs=[str(Path(__file__).parent / "templates")])
    body, _ = exporter.from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")


def _index_html(cfg: RunConfig, run: RunResult, meta: dict, started: dt.datetime, seconds: float) -> str:
    rows = []
    for nb in run.notebooks:
        colour = {"ok": "#2ca02c", "failed": "#d62728", "skipped": "#999"}.get(nb.status, "#999")
        link = f'<a href="{html.escape(nb.html)}">{html.escape(nb.name)}</a>' if nb.html else html.escape(nb.name)
        err = f'<div class="err">{html.escape(nb.error or "")}</div>' if nb.error else ""
        rows.append(f'<tr><td>{link}{err}</td><td style="color:{colour};font-weight:600">{nb.status}</td>'
                    f'<td>{nb.seconds:.1f} s</td></tr>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(run.name)}: CRM analytics report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.5rem;text-align:left}}
.err{{color:#d62728;font-size:.85rem;white-space:pre-wrap}}dt{{font-weight:600}}dd{{margin:0 0 .4rem 0}}</style></head>
<body><h1>CRM analytics report: {html.escape(run.name)}</h1>
<dl><dt>Config</dt><dd>{html.escape(str(cfg.source_file))} (resolved copy: <a href="config.yaml">config.yaml</a>)</dd>
<dt>Data</dt><dd>{html.escape(meta.get('source', ''))}: {meta.get('n_raw_lines', 0):,} raw lines, {meta.get('n_clean_lines', 0):,} clean;
data {meta.get('data_start')} .. {meta.get('data_end')}; analysis window {meta.get('analysis_start')} .. {meta.get('analysis_end')}</dd>
<dt>Run</dt><dd>started {started:%Y-%m-%d %H:%M:%S}, {seconds:.0f} s; engine {html.escape(cfg.engine.backend)}; data fingerprint {meta.get('fingerprint', '')[:12]}</dd></dl>
<table><thead><tr><th>Notebook</th><th>Status</th><th>Time</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table></body></html>
"""


def _point_latest(reports_dir: Path, target: Path) -> None:
    link = reports_dir / "latest"
    tmp = reports_dir / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target.name)
    os.replace(tmp, link)


def run_config(cfg: RunConfig, *, overrides: list[str] | None = None, only: list[str] | None = None,
               reports_dir: Path | None = None, progress: bool = True, force_prepare: bool = False) -> RunResult:
    """Run the batch for one config; see the module docstring. Raises CRMInputError on bad input."""
    import papermill as pm
    from tqdm.auto import tqdm

    from .pipeline import prepare

    chosen = select_notebooks(cfg, only)
    check_notebook_parameters(cfg)
    started = dt.datetime.now()
    t0 = time.time()
    prep = prepare(cfg, force=force_prepare, progress=progress)

    reports_dir = Path(reports_dir) if reports_dir else paths.resolve(cfg.output.reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    name = cfg.output.run_name or f"{cfg.name}-{started:%Y%m%d-%H%M%S}"
    final = reports_dir / name
    tmp = reports_dir / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    run = RunResult(name=name)
    try:
        (tmp / "config.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
        for stem in tqdm(chosen, desc=f"{name}", unit="notebook", disable=not progress):
            res = NotebookResult(stem)
            run.notebooks.append(res)
            out_nb = tmp / f"{stem}.ipynb"
            params = {"config_path": str(Path(cfg.source_file).resolve()) if cfg.source_file else "",
                      "config_overrides": list(overrides or []), "output_dir": str(tmp / "artefacts"),
                      **cfg.notebooks.get(stem, {})}
            t1 = time.time()
            try:
                pm.execute_notebook(str(notebook_path(stem)), str(out_nb), parameters=params,
                                    kernel_name="python3", cwd=str(paths.NOTEBOOKS),
                                    progress_bar=progress, report_mode=False)
                res.status = "ok"
            except pm.PapermillExecutionError as exc:
                res.status, res.error = "failed", f"{exc.ename}: {exc.evalue}"
            res.seconds = time.time() - t1
            if out_nb.exists():
                export_html(out_nb, tmp / f"{stem}.html")
                res.html = f"{stem}.html"
        seconds = time.time() - t0
        (tmp / "index.html").write_text(_index_html(cfg, run, prep.meta, started, seconds), encoding="utf-8")
        (tmp / "run.json").write_text(json.dumps({
            "run": name, "config": cfg.source_file, "started": started.isoformat(timespec="seconds"),
            "ended": dt.datetime.now().isoformat(timespec="seconds"), "seconds": round(seconds, 1),
            "data": prep.meta, "notebooks": [n.__dict__ for n in run.notebooks], "ok": run.ok,
        }, indent=2, default=str), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run.folder = final
    if run.ok:
        _point_latest(reports_dir, final)
    return run


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m helpers.report",
        description="Run the numbered CRM notebooks on a config and write HTML reports to reports/<run>/.",
        epilog="Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad config or data.")
    ap.add_argument("--config", "-c", action="append", default=None, metavar="YAML",
                    help="config file (repeat for several runs); default configs/default.yaml")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config value, e.g. --set analysis.end=2011-06-30 (repeatable)")
    ap.add_argument("--notebooks", nargs="+", metavar="NN", help="run only these notebooks, e.g. 01")
    ap.add_argument("--reports-dir", type=Path, help="where run folders go (default: output.reports_dir)")
    ap.add_argument("--force-prepare", action="store_true", help="re-read and re-clean even if cached")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configs = args.config or [str(paths.CONFIGS / "default.yaml")]
    status = 0
    for path in configs:
        try:
            overrides = [parse_override(o) for o in args.overrides]
            cfg = load_config(path, overrides)
            run = run_config(cfg, overrides=args.overrides, only=args.notebooks, reports_dir=args.reports_dir,
                             progress=not args.no_progress, force_prepare=args.force_prepare)
        except CRMInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = max(status, 2)
            continue
        for nb in run.notebooks:
            mark = "ok    " if nb.status == "ok" else nb.status.upper().ljust(6)
            print(f"  {mark} {nb.name} ({nb.seconds:.1f} s){'  ' + nb.error if nb.error else ''}")
        print(f"report: {run.folder / 'index.html'}")
        if not run.ok:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
