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

The console gets one line per notebook as it finishes, in batch order once its pages are written
(status, seconds, why it failed or was skipped, and for a failure where the details are), and
each run's report path; progress bars (on a terminal, unless ``--no-progress``; a log or a pipe gets the
lines alone) vanish when done. The rest (the runner's steps, the notebooks' output, what their kernels write,
tracebacks, warnings) goes to the run's ``run.log``; ``--verbose`` shows it on stderr too.

This module orchestrates a run and holds the command line; the parts live beside it:
:mod:`~helpers.runner.schedule` (which notebook may start now, from the artefacts each step of
:data:`helpers.batch.BATCH` reads and writes), :mod:`~helpers.runner.execute` (papermill),
:mod:`~helpers.runner.cache` (step keys and reuse), :mod:`~helpers.runner.pages` (HTML),
:mod:`~helpers.runner.provenance` (run.json) and :mod:`~helpers.runner.folders` (the run's
folders: unique names, so two runs started in the same second both finish, ``latest``, and
cleaning up after killed runs, engine scratch files included).
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import logging
import re
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from helpers import paths
from helpers.batch import BATCH, NOTEBOOKS, reads_models
from helpers.config import RunConfig, load_config, parse_override
from helpers.errors import ConfigError, CRMInputError
from helpers.models.pymc_tools import use_project_compile_cache
from helpers.runner import execute
from helpers.runner.cache import copy_result, find_reusable, previous_run, step_key
from helpers.runner.folders import (SCRATCH, claim_run_folder, move_into_place, point_latest, relocate_paths,
                                    remove_stale_tmp, scratch_in)
from helpers.runner.pages import (LANG_TAGS, banner_html, cells_for_language, export_figures, export_html, page_meaning,
                                  glossary_html, page_banner, run_index_html, write_glossary, write_reports_index)
from helpers.runner.provenance import KEY_PACKAGES, code_version, git_commit, package_versions, write_run_json
from helpers.runner.results import NotebookResult, RunResult, statuses
from helpers.runner.schedule import Decision, Schedule

#: Names importable from here as before the runner was split into modules (tests and notebooks use them).
__all__ = ["BATCH", "NOTEBOOKS", "KEY_PACKAGES", "LANG_TAGS", "NotebookResult", "RunResult", "banner_html",
           "cells_for_language", "code_version", "export_figures", "export_html", "git_commit", "glossary_html",
           "package_versions", "page_banner", "previous_run", "relocate_paths", "remove_stale_tmp", "step_key",
           "write_glossary", "write_reports_index", "notebook_path", "select_notebooks", "notebook_parameters",
           "check_notebook_parameters", "run_config", "expand_grid", "build_parser", "main",
           "STANDARD_PARAMETERS", "PREVIOUS_RUN_PARAMETER"]

#: Parameters every numbered notebook has; the runner sets them, configs may not.
STANDARD_PARAMETERS = ("config_path", "config_overrides", "output_dir")
#: Set by the runner only for notebooks that declare it: the folder of ``reports/latest`` when the run started.
PREVIOUS_RUN_PARAMETER = "previous_run_dir"
LOG = logging.getLogger("helpers.runner.run")


def notebook_path(stem: str) -> Path:
    """The notebook file of a batch step (tests point it at notebooks of their own)."""
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
    return execute.parameters(notebook_path(stem))


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


class _ConsoleHandler(logging.Handler):
    """``--verbose``: every record on stderr, above the progress bar when there is one."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm.auto import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def notebook_line(res: NotebookResult, folder: Path, *, executed: bool) -> str:
    """The console's line for a finished notebook: status, name, seconds, where it was reused from, and
    why it failed or was skipped. A failure adds a line saying where the details are in the run's
    ``folder``: the executed notebook (when ``executed``, it holds the failing cell) and ``run.log``
    (the full traceback)."""
    mark = "ok    " if res.status == "ok" else res.status.upper().ljust(6)
    extra = f"  reused from {res.reused_from}" if res.reused_from else ""
    line = f"  {mark} {res.name} ({res.seconds:.1f} s){extra}{'  ' + one_line(res.error) if res.error else ''}"
    if res.status == "failed":
        where = [folder / f"{res.name}.ipynb"] if executed else []
        line += f"\n{'':9}details: {', '.join(str(p) for p in [*where, folder / 'run.log'])}"
    return line


class _Batch:
    """One run's notebooks on their way: each executed (or reused, or skipped) when the schedule says
    so, up to ``jobs`` at once, and its pages exported one at a time in batch order. With ``echo``, each
    notebook's :func:`notebook_line` is printed once its pages are written."""

    def __init__(self, cfg: RunConfig, prep, run: RunResult, chosen: list[str], *, tmp: Path, final: Path,
                 reports_dir: Path, overrides: list[str], previous: Path | None, force: bool, jobs: int,
                 progress: bool, echo: bool = False):
        self.cfg, self.prep, self.run, self.chosen = cfg, prep, run, chosen
        self.tmp, self.final, self.reports_dir = tmp, final, reports_dir
        self.overrides, self.previous, self.force, self.jobs, self.progress = overrides, previous, force, jobs, progress
        self.echo = echo
        self.models: ModelStage | None = None
        self.code = code_version()
        self.schedule = Schedule(BATCH, chosen, prep.tables)
        self.results = {stem: NotebookResult(stem) for stem in chosen}
        run.notebooks = [self.results[stem] for stem in chosen]

    def unmet(self) -> set[str]:
        """Notebooks that failed, or were skipped because a notebook they need failed (a data skip blocks nothing)."""
        return {n for n, r in self.results.items()
                if r.status == "failed" or (r.status == "skipped" and r.blocked)}

    def skip(self, decision: Decision) -> None:
        res = self.results[decision.name]
        res.status, res.error = "skipped", decision.reason
        res.blocked, res.blocked_by = bool(decision.blocked_by), list(decision.blocked_by)
        res.missing_tables = list(decision.missing_tables)
        (LOG.warning if res.blocked else LOG.info)("%s skipped: %s", decision.name, res.error)

    def execute(self, stem: str) -> None:
        """Execute one notebook, or copy its result from an earlier run with the same step key. A notebook
        reading the shared CLV models waits for the runner to fit them (the schedule starts it only then)."""
        cfg, res = self.cfg, self.results[stem]
        step = next(s for s in BATCH if s.name == stem)
        if self.models is not None and {*step.reads, *step.may_read} & {f"models/{k}" for k in ModelStage.CLV_KINDS}:
            self.models.wait()          # the schedule starts it once they are fitted: a no-op then
        params = {"config_path": str(Path(cfg.source_file).resolve()) if cfg.source_file else "",
                  "config_overrides": list(self.overrides), "output_dir": str(self.tmp / "artefacts" / stem),
                  **cfg.notebooks.get(stem, {})}
        if PREVIOUS_RUN_PARAMETER in notebook_parameters(stem):
            params[PREVIOUS_RUN_PARAMETER] = str(self.previous) if self.previous else ""
        # the whole resolved config counts (language, masking, ...), except where the run is written;
        # a notebook reading what all others published also depends on what they did in this run
        inputs = ({n: [self.results[n].status, self.results[n].key] for n in self.schedule.waits_for(stem)}
                  if stem in self.schedule.after_all else {})
        res.key = step_key(notebook_path(stem), self.prep.fingerprint, {**params, "config": cfg.model_dump(
            mode="json", exclude={"output": {"run_name", "reports_dir", "jobs"}, "description": True, "brief": True}),
            **({"run_status": inputs} if inputs else {})}, self.code)
        t1 = time.time()
        source = None if self.force else find_reusable(self.reports_dir, stem, res.key)
        if source is not None:
            copy_result(source, stem, self.tmp)
            res.status, res.reused_from = "ok", source.name
            LOG.info("%s reused from %s (inputs unchanged)", stem, source.name)
        else:
            LOG.info("%s: executing", stem)
            error = execute.execute(notebook_path(stem), self.tmp / f"{stem}.ipynb", params,
                                    progress=self.progress and self.jobs == 1)
            res.status, res.error = ("failed", error) if error else ("ok", None)
            if error:
                LOG.error("%s failed: %s", stem, error)
        res.seconds = time.time() - t1

    def export(self, stem: str) -> None:
        """The pages of one executed notebook, once every notebook before it has finished and been exported."""
        res, tmp, lang = self.results[stem], self.tmp, self.cfg.language
        out_nb = tmp / f"{stem}.ipynb"
        if not out_nb.exists():
            return
        try:
            moved = {str(tmp): str(self.final)}
            if res.reused_from:
                moved[str(self.reports_dir / res.reused_from)] = str(self.final)
            relocate_paths(out_nb, moved)
            banner = page_banner(statuses(self.run.notebooks), stem, lang)
            export_html(out_nb, tmp / f"{stem}.html", language=lang, banner=banner)
            export_html(out_nb, tmp / f"{stem}.business.html", business=True, language=lang, banner=banner,
                        meaning=page_meaning(tmp, stem, lang))
            export_figures(out_nb, tmp / "figures")
            res.html, res.business_html = f"{stem}.html", f"{stem}.business.html"
        except Exception as exc:               # the executed notebook is kept; the index says what went wrong
            res.status, res.error = "failed", f"HTML export failed: {type(exc).__name__}: {exc}"
            LOG.error("%s: %s", stem, res.error, exc_info=True)

    def run_all(self) -> None:
        """Execute and export every chosen notebook in the order :class:`~helpers.runner.schedule.Schedule` allows.

        Pages are exported one at a time in batch order, each once the notebooks before it are done, so
        its banner knows their fate; a notebook reading all others' outputs also waits for their pages.
        """
        from tqdm.auto import tqdm

        from helpers.analyses.headlines import write_run_status

        chosen, schedule = self.chosen, self.schedule
        pending, running, done, exports, exported = list(chosen), {}, set(), {}, set()
        next_export = 0
        with ThreadPoolExecutor(max_workers=self.jobs) as pool, ThreadPoolExecutor(max_workers=1) as export_pool, \
                tqdm(total=len(chosen), desc=self.run.name, unit="notebook", disable=None if self.progress else True,
                     leave=False) as bar:
            stage = self.models.finished() if self.models is not None else None
            while pending or running or exports or next_export < len(chosen):
                unavailable = self.models.pending() if self.models is not None else set()
                for decision in schedule.starts(pending, done=done, exported=exported, unmet=self.unmet(),
                                                running=len(running), jobs=self.jobs, unavailable=unavailable):
                    pending.remove(decision.name)
                    if decision.run:
                        if decision.name in schedule.after_all:
                            write_run_status(self.tmp / "artefacts", statuses(self.run.notebooks), complete=False)
                        running[pool.submit(self.execute, decision.name)] = decision.name
                    else:
                        self.skip(decision)
                        done.add(decision.name)
                        bar.update()
                for stem in schedule.exports(next_export, done):
                    exports[export_pool.submit(self.export, stem)] = stem
                    next_export += 1
                waiting_for_models = stage is not None and not stage.done() and bool(unavailable)
                if running or exports or waiting_for_models:
                    finished, _ = wait([*running, *exports, *([stage] if waiting_for_models else [])],
                                       return_when=FIRST_COMPLETED)
                    finished = {f for f in finished if f is not stage}   # the models ready: decide again
                    # a set: several pages may be done at once, and their lines are printed in batch order
                    for fut in sorted(finished, key=lambda f: self.chosen.index(exports.get(f) or running[f])):
                        fut.result()
                        if fut in exports:
                            stem = exports.pop(fut)
                            exported.add(stem)
                            if self.echo:
                                bar.write(notebook_line(self.results[stem], self.final,
                                                        executed=(self.tmp / f"{stem}.ipynb").exists()))
                            continue
                        stem = running.pop(fut)
                        done.add(stem)
                        bar.set_postfix_str(f"{stem} {self.results[stem].status}")
                        bar.update()


class ModelStage:
    """The models several notebooks share (:mod:`helpers.fitted`), fitted once per run: the RFM segments at once
    (they take a moment), the CLV models in a thread beside the first notebooks (with notebook 04's ``model: auto``
    the tournament first, whose choice is the purchase model of the fit). A model that cannot be fitted
    is logged, and the notebooks that read it fit it themselves and show the error on their pages."""

    CLV_KINDS = ("clv", "clv_scores", "clv_holdout", "clv_tournament")

    def __init__(self, prep):
        import threading

        from helpers import fitted

        self.rows: list[dict] = []
        self.rows += self._fit(fitted, prep, ("rfm",))
        self._done: Future = Future()

        def fit_clv():
            try:
                self.rows.extend(self._fit(fitted, prep, self.CLV_KINDS))
            finally:
                self._done.set_result(None)

        self._thread = threading.Thread(target=fit_clv, name="model-stage", daemon=True)
        self._thread.start()

    @staticmethod
    def _fit(fitted, prep, kinds) -> list[dict]:
        try:
            rows = fitted.fit_run_models(prep, kinds)
        except Exception as exc:
            LOG.error("shared models %s: %s: %s (the notebooks reading them will show it)", ", ".join(kinds),
                      type(exc).__name__, exc, exc_info=True)
            return [{"kind": k, "error": f"{type(exc).__name__}: {exc}"} for k in kinds]
        for r in rows:
            LOG.info("shared model %s %s in %.1f s", r["kind"], "fitted" if r["fitted"] else "read", r["seconds"])
        return rows

    def wait(self) -> list[dict]:
        self._thread.join()
        return self.rows

    def pending(self) -> set[str]:
        """The model artefacts still being fitted (``models/clv`` ...; empty once the stage is done)."""
        return set() if not self._thread.is_alive() else {f"models/{k}" for k in self.CLV_KINDS}

    def finished(self) -> Future:
        """A future that completes when the stage is done (for the runner's wait on notebooks or models)."""
        return self._done


def run_config(cfg: RunConfig, *, overrides: list[str] | None = None, only: list[str] | None = None,
               reports_dir: Path | None = None, progress: bool = True, force_prepare: bool = False,
               force: bool = False, run_suffix: str = "", jobs: int | None = None, echo: bool = False) -> RunResult:
    """Run the batch for one config; see the module docstring. Raises CRMInputError on bad input.

    ``jobs``: notebooks executed at once (default ``output.jobs``); a notebook starts once the
    notebooks it needs have finished, the executive summary once all before it have. The run's
    folder is ``<config><run_suffix>-<YYYYmmdd-HHMMSS>`` (or ``output.run_name``), with ``-2``, ``-3``
    ... when another run already holds that name. ``echo``: print one line per notebook as it finishes
    (:func:`notebook_line`); what the runner, papermill and the kernels log goes to the run's ``run.log``.
    """
    from helpers.analyses.headlines import write_run_status
    from helpers.pipeline import prepare

    # the kernels inherit PYTENSOR_FLAGS: one PyTensor compile cache under data/, each model graph compiled once
    use_project_compile_cache()
    chosen = select_notebooks(cfg, only)
    check_notebook_parameters(cfg)
    execute.prestart_kernels()                    # the kernels' zygote imports their libraries while data is prepared
    jobs = max(1, int(jobs or cfg.output.jobs))
    started = dt.datetime.now()
    t0 = time.time()
    prep = prepare(cfg, force=force_prepare, progress=progress)

    reports_dir = (Path(reports_dir) if reports_dir else paths.resolve(cfg.output.reports_dir)).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(reports_dir)
    name, tmp = claim_run_folder(reports_dir, cfg.output.run_name or f"{cfg.name}{run_suffix}-{started:%Y%m%d-%H%M%S}",
                                 replace=bool(cfg.output.run_name))
    final = reports_dir / name
    previous = previous_run(reports_dir, cfg.name)
    handler = execute.log_to(tmp / "run.log")
    run = RunResult(name=name)
    try:
        LOG.info("run %s: config %s, data %s (%s clean lines)", name, cfg.source_file, prep.meta["source"],
                 prep.meta["n_clean_lines"])
        (tmp / "config.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
        batch = _Batch(cfg, prep, run, chosen, tmp=tmp, final=final, reports_dir=reports_dir,
                       overrides=list(overrides or []), previous=previous, force=force, jobs=jobs, progress=progress,
                       echo=echo)
        with scratch_in(tmp / SCRATCH):
            batch.models = ModelStage(prep) if any(reads_models(st) for st in BATCH if st.name in chosen) else None
            batch.run_all()
            models = batch.models.wait() if batch.models is not None else []
        write_run_status(tmp / "artefacts", statuses(run.notebooks), complete=True)
        _brief(tmp, cfg, run, reports_dir, prep.meta)
        seconds = time.time() - t0
        write_glossary(tmp, cfg.language)
        (tmp / "index.html").write_text(run_index_html(cfg, run, prep.meta, started, seconds, tmp), encoding="utf-8")
        write_run_json(tmp, run, config=cfg.source_file, overrides=list(overrides or []), started=started,
                       seconds=seconds, code=batch.code, prep=prep, previous=previous, models=models)
        LOG.info("run %s finished in %.1f s: %s", name, seconds, "ok" if run.ok else "with failures")
        execute.detach(handler)
        move_into_place(tmp, final)
    except BaseException:
        execute.detach(handler)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run.folder = final
    if run.ok:
        point_latest(reports_dir, final)
    write_glossary(reports_dir, cfg.language)
    write_reports_index(reports_dir, cfg.language)
    return run


def _brief(tmp: Path, cfg: RunConfig, run: RunResult, reports_dir: Path, meta: dict) -> None:
    """The run's KPI history row and ``brief.html`` (:mod:`helpers.runner.brief`); a failure there is logged, never fatal."""
    from helpers.runner.brief import write_brief

    try:
        write_brief(tmp, cfg, run, reports_dir=reports_dir, meta=meta)
    except Exception:
        LOG.error("brief.html not written", exc_info=True)


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
    """The run name's suffix for one grid combination: ``-end_2024-06-30`` for ``analysis.end=2024-06-30``."""
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
    ap.add_argument("--no-progress", action="store_true", help="no progress bars (they are shown on a terminal only)")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="also show on stderr what goes to each run's run.log: the runner's steps, the notebooks' "
                         "output, the kernels' own messages and warnings")
    return ap


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring): one line per notebook as it finishes and each run's report
    path on stdout, errors on stderr; the rest goes to each run's ``run.log``, and with ``--verbose`` to stderr too."""
    args = build_parser().parse_args(argv)
    console = None
    if args.verbose:
        console = _ConsoleHandler()
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        execute.attach(console)
    logging.captureWarnings(True)
    try:
        return _main(args)
    finally:
        logging.captureWarnings(False)
        if console is not None:
            execute.detach(console)


def _main(args: argparse.Namespace) -> int:
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
                                 run_suffix=_suffix(combo), jobs=args.jobs, echo=True)
            except CRMInputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                status = max(status, 2)
                continue
            print(f"report: {run.folder / 'index.html'}")
            if not run.ok:
                status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
