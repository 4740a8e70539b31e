"""Exercises whose answers are checked: one notebook per stage of the CRM analytics chain.

The notebooks live in ``notebooks/exercises/exNN_<stage>.ipynb``; this package holds each
exercise's task and hint (English marked for the Turkish catalogue, as all report text), computes the expected answers from the prepared
data with the project's tested helpers (never typed into a notebook), and diagnoses typical
mistakes. See :mod:`helpers.exercises.core` for the framework and :mod:`helpers.runner.course` for the
course pack.

    >>> from helpers import exercises as ex
    >>> prep = ex.start("configs/default.yaml")          # doctest: +SKIP
    >>> ex.check("ex01.customers", 4321)                  # doctest: +SKIP
    ✘ [ex01.customers] wrong: you counted orders, not customers ...

Stages: ex01 cleaning, ex02 lifecycle KPIs and cohorts, ex03 RFM, ex04 clustering, ex05 CLV,
ex06 churn, ex07 basket analysis, ex08 up-sell.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from helpers import i18n
from helpers.exercises import (ex01_cleaning, ex02_lifecycle, ex03_rfm, ex04_clustering, ex05_clv,  # noqa: F401 (registration)
               ex06_churn, ex07_baskets, ex08_upsell)
from helpers.exercises.core import (REGISTRY, STAGES, CheckResult, Context, Exercise, evaluate, exercise, stage_exercises,
                   stage_title, task_markdown)

__all__ = ["REGISTRY", "STAGES", "CheckResult", "Context", "Exercise", "check", "context", "evaluate", "exercise",
           "results", "scoreboard", "show_task", "stage_exercises", "stage_title", "start", "task_markdown"]

_ctx: Context | None = None
_results: dict[str, CheckResult] = {}


def start(config_path: str, config_overrides: list[str] | tuple = (), *, progress: bool = False):
    """Open a run for the exercises: prepare the data (or reuse it), set the language, reset the scores.

    Returns
    -------
    helpers.pipeline.Prepared
        The prepared run (``prep.lines()``, ``prep.read("customers_rfm")``, ``prep.table(con)`` ...).
    """
    global _ctx
    from helpers import pipeline

    prep = pipeline.open_run(config_path, list(config_overrides), progress=progress)
    _ctx = Context(prep)
    _results.clear()
    return prep


def use(prep) -> Context:
    """Check against an already prepared run (tests, the course builder)."""
    global _ctx
    _ctx = Context(prep)
    _results.clear()
    i18n.set_language(prep.config.language)
    return _ctx


def context() -> Context:
    if _ctx is None:
        raise RuntimeError("call helpers.exercises.start(config_path, config_overrides) first")
    return _ctx


def show_task(key: str):
    """Display the task of an exercise (and its hint, folded) in the run's language."""
    from IPython.display import Markdown

    has = _ctx.has if _ctx is not None else None
    return Markdown(task_markdown(key, has=has))


def check(key: str, answer: Any) -> CheckResult:
    """Check a student's ``answer`` to exercise ``key``: right, wrong with a hint, or not yet answered."""
    result = evaluate(context(), key, answer)
    _results[key] = result
    return result


def results() -> dict[str, CheckResult]:
    """The last result of every exercise checked since :func:`start`."""
    return dict(_results)


def scoreboard(stage: str | None = None) -> pd.DataFrame:
    """One row per exercise of the stage (or of the checks made): its status in the run's language."""
    keys = [e.key for e in stage_exercises(stage)] if stage else list(_results)
    rows = []
    for k in keys:
        r = _results.get(k)
        status = r.status if r else "not_answered"
        rows.append({i18n._("exercise"): k,
                     i18n._("task"): exercise(k).text(exercise(k).title),
                     i18n._("status"): i18n.lookup(f"exercise_status_{status}")})
    return pd.DataFrame(rows)
