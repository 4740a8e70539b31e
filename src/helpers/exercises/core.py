"""The checker framework of the exercise notebooks.

An :class:`Exercise` holds its task and hint in English, marked for the catalogue (:func:`helpers.i18n.N_`,
translated where they are shown: :func:`helpers.i18n.show`), a function computing the
expected answer from the prepared data with the project's tested helpers, how to compare
(:class:`Kind`), and the typical wrong answers (:class:`Mistake`): each is computed too, from
the same data, so that a student's answer that matches one gets the hint written for it
("you counted orders, not customers"). Nothing is typed into a notebook: answers follow the
data when its seed, size or source changes.

A notebook uses three calls::

    from helpers import exercises as ex
    prep = ex.start(config_path, config_overrides)   # prepares the data, sets the language
    ex.show_task("ex03.champions")                    # task text and hint in the run's language
    ex.check("ex03.champions", answer)                # right / wrong with a hint / not yet answered

Statuses of a check: ``right``, ``wrong``, ``not_answered`` (``answer`` is None: the student
version's placeholder), ``skipped`` (the data lacks a column the exercise needs, e.g. CDNOW has
no products) and ``unavailable`` (the expected answer cannot be computed on this data, e.g. too
few customers to fit a model; the message says why).
"""
from __future__ import annotations

import html
import math
import re
import string
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from helpers import i18n
from helpers.i18n import N_

#: every exercise, by key ("ex03.champions"), in the order the stage modules register them
REGISTRY: dict[str, "Exercise"] = {}
#: the stages: "ex01" -> (notebook stem, title marked for the catalogue: :func:`stage_title` shows it)
STAGES: dict[str, tuple[str, Any]] = {}
STATUSES = ("right", "wrong", "not_answered", "skipped", "unavailable")
_SYMBOL = {"right": "✔", "wrong": "✘", "not_answered": "…", "skipped": "⤼", "unavailable": "?"}
_COLOUR = {"right": "#2ca02c", "wrong": "#d62728", "not_answered": "#777", "skipped": "#b8860b",
           "unavailable": "#b8860b"}
MIME = "application/vnd.crm-exercise-check+json"


class _Said(Exception):
    """An exception whose message is English marked for the catalogue (:func:`~helpers.i18n.N_`), with the
    ``{fields}`` filled after translating: :meth:`message` gives it in a language."""

    def __init__(self, text, /, **fields):
        self.text, self.fields = text, fields
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        """The message in ``language`` (default: the current one)."""
        return i18n.show(self.text, language, **self.fields)


class Unavailable(_Said):
    """The expected answer cannot be computed on this data; the message says why:
    ``Unavailable(N_("too few customers ({n}) to cluster"), n=12)``."""


# --------------------------------------------------------------------------------------
# how answers are compared
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """How an answer is read and compared.

    ``name`` is one of ``count`` (a whole number, exact), ``share`` (a fraction 0..1, compared
    within ``abs_tol``; a percentage is diagnosed), ``number`` (compared within ``rel_tol`` of the
    expected value or ``abs_tol``), ``text`` (case and surrounding spaces ignored) and ``set``
    (a collection of names, order ignored).
    """

    name: str
    rel_tol: float = 0.0
    abs_tol: float = 0.0


COUNT = Kind("count", abs_tol=0.5)
SHARE = Kind("share", abs_tol=0.005)
TEXT = Kind("text")
SET = Kind("set")


def NUMBER(rel_tol: float = 0.005, abs_tol: float = 0.01) -> Kind:
    """A real number: right within ``rel_tol`` (relative) or ``abs_tol`` (absolute)."""
    return Kind("number", rel_tol=rel_tol, abs_tol=abs_tol)


class _BadShape(_Said):
    """An answer of a shape the kind cannot read (a table for a number ...); the message says so."""


def _scalar(answer: Any) -> Any:
    """A one-value Series / array / frame becomes its value; numpy scalars become Python ones."""
    if isinstance(answer, pd.DataFrame):
        if answer.size == 1:
            return _scalar(answer.iloc[0, 0])
        raise _BadShape(N_("you gave a table ({rows} x {columns}); give a single value"), rows=answer.shape[0],
                        columns=answer.shape[1])
    if isinstance(answer, (pd.Series, pd.Index, np.ndarray, list, tuple)) and not isinstance(answer, str):
        arr = list(answer)
        if len(arr) == 1:
            return _scalar(arr[0])
        raise _BadShape(N_("you gave {n} values; give a single value"), n=len(arr))
    if isinstance(answer, np.generic):
        return answer.item()
    return answer


def _as_number(answer: Any) -> float:
    v = _scalar(answer)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(str(v).replace(",", "").replace("%", "").strip())
        except ValueError:
            raise _BadShape(N_("expected a number, got {type} {value!r}"), type=type(v).__name__, value=v) from None
    return float(v)


def _as_set(answer: Any) -> frozenset[str]:
    if isinstance(answer, str):
        raise _BadShape(N_("give a collection of names (a list or set), not one string"))
    if isinstance(answer, pd.DataFrame):
        raise _BadShape(N_("give a list or set of names, not a table"))
    try:
        return frozenset(str(x).strip() for x in answer)
    except TypeError:
        raise _BadShape(N_("expected a list or set of names, got {type}"), type=type(answer).__name__) from None


def normalise(kind: Kind, value: Any) -> Any:
    """The comparable form of an answer or an expected value (raises _BadShape for unusable answers)."""
    if kind.name in ("count", "share", "number"):
        return _as_number(value)
    if kind.name == "text":
        return str(_scalar(value)).strip().casefold()
    if kind.name == "set":
        return _as_set(value)
    raise ValueError(f"unknown answer kind '{kind.name}'")


def matches(kind: Kind, answer: Any, expected: Any) -> bool:
    """True when the normalised ``answer`` equals ``expected`` within the kind's tolerance."""
    if kind.name in ("count", "share", "number"):
        a, e = float(answer), float(expected)
        if math.isnan(e) or math.isnan(a):
            return math.isnan(e) and math.isnan(a)
        return abs(a - e) <= max(kind.abs_tol, kind.rel_tol * abs(e))
    if kind.name == "set":
        return {x.casefold() for x in answer} == {x.casefold() for x in expected}
    return answer == expected


# --------------------------------------------------------------------------------------
# exercises
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: how to compute it from the data and the hint that explains it."""

    name: str
    compute: Callable[["Context"], Any]
    hint: Any               # English marked with N_ (or NP_); shown with Exercise.text


@dataclass(frozen=True)
class Exercise:
    """One task of a stage notebook.

    Parameters
    ----------
    key : str
        ``"exNN.name"``; ``exNN`` is the stage (notebook ``notebooks/exercises/exNN_*.ipynb``).
    title, task, hint : str or tuple
        English marked for the catalogue (``N_("...")``, or ``NP_(context, "...")`` where the same English is
        translated twice), translated where shown (:meth:`text`); the task names the unit of the answer.
    expected : callable
        ``expected(ctx)`` -> the right answer, computed from the prepared data with the tested
        helpers; may raise :class:`Unavailable`.
    kind : Kind
        How answers are compared.
    mistakes : tuple of Mistake
        Typical wrong answers, tried in order after the right one.
    requires : tuple of str
        Optional line columns the exercise needs (``prep.has``); without them it is skipped.
    fields : dict
        Values filled into the ``{fields}`` of its texts and its mistakes' hints after translating (a module's
        constants: ``{"k": K}``).
    """

    key: str
    title: Any
    task: Any
    hint: Any
    expected: Callable[["Context"], Any]
    kind: Kind
    mistakes: tuple[Mistake, ...] = ()
    requires: tuple[str, ...] = ()
    fields: dict = field(default_factory=dict, compare=False)

    @property
    def stage(self) -> str:
        return self.key.split(".")[0]

    def text(self, marked, language: str | None = None) -> str:
        """One of its texts (``ex.task``, ``ex.hint``, a mistake's hint ...) in ``language`` (default: the current
        one), its fields filled."""
        return i18n.show(marked, language, **self.fields)


def _is_marked(text) -> bool:
    """Whether ``text`` is English marked by ``N_`` (a string) or ``NP_`` (context, string), not empty."""
    if isinstance(text, tuple):
        return len(text) == 2 and all(isinstance(t, str) and t for t in text)
    return isinstance(text, str) and bool(text)


def _field_names(text: str) -> set[str]:
    """The names of the ``{fields}`` of ``text`` (``{n}``, ``{value!r}``, ``{share:.1%}`` -> ``n``, ``value``, ``share``)."""
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def register(stage: str, notebook: str, title, exercises: list[Exercise]) -> None:
    """Add a stage (its ``title`` marked with ``N_``) and its exercises to :data:`REGISTRY` (called once by each
    stage module)."""
    if not _is_marked(title):
        raise ValueError(f"stage '{stage}': the title must be English marked with N_ or NP_")
    STAGES[stage] = (notebook, title)
    for e in exercises:
        if e.key in REGISTRY:
            raise ValueError(f"exercise key '{e.key}' is defined twice")
        if e.stage != stage:
            raise ValueError(f"exercise '{e.key}' is registered under stage '{stage}'")
        for text in (e.title, e.task, e.hint, *(m.hint for m in e.mistakes)):
            if not _is_marked(text):
                raise ValueError(f"exercise '{e.key}': every text must be English marked with N_ or NP_, "
                                 f"not {text!r}")
            unfilled = sorted(_field_names(text if isinstance(text, str) else text[1]) - set(e.fields))
            if unfilled:
                raise ValueError(f"exercise '{e.key}': no value for the field '{unfilled[0]}' of {text!r}")
        REGISTRY[e.key] = e


def stage_title(stage: str, language: str | None = None) -> str:
    """The title of ``stage`` in ``language`` (default: the current one)."""
    return i18n.show(STAGES[stage][1], language)


def exercise(key: str) -> Exercise:
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"no exercise '{key}'; known: {', '.join(REGISTRY)}") from None


def stage_exercises(stage: str) -> list[Exercise]:
    return [e for e in REGISTRY.values() if e.stage == stage]


# --------------------------------------------------------------------------------------
# the data an exercise is checked against
# --------------------------------------------------------------------------------------
class Context:
    """The prepared data of a run, and a memo of the tables several exercises share.

    ``prep`` is :class:`helpers.pipeline.Prepared`; ``lines`` the clean lines as an Ibis
    table on a fresh engine connection; :meth:`memo` computes a shared table once.
    """

    def __init__(self, prep):
        self.prep = prep
        self._memo: dict[str, Any] = {}
        self._con = None

    @property
    def con(self):
        if self._con is None:
            from helpers.io import engine

            self._con = engine.connect(self.prep.config.engine)
        return self._con

    @property
    def lines(self):
        return self.prep.table(self.con)

    @property
    def has(self) -> dict[str, bool]:
        return self.prep.has

    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]

    def missing(self, ex: Exercise) -> list[str]:
        return [c for c in ex.requires if not self.has.get(c, False)]

    def expected(self, ex: Exercise) -> Any:
        return self.memo(f"expected:{ex.key}", lambda: ex.expected(self))

    def mistake(self, ex: Exercise, m: Mistake) -> Any:
        return self.memo(f"mistake:{ex.key}:{m.name}", lambda: m.compute(self))


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    """What :func:`check` says: the status, the message in the run's language, and the mistake found."""

    key: str
    status: str
    message: str
    mistake: str | None = None
    language: str = "en"
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Right, or skipped because the data lacks what the exercise needs."""
        return self.status in ("right", "skipped")

    def label(self) -> str:
        return i18n.lookup(f"exercise_status_{self.status}", self.language)

    def __str__(self) -> str:
        return f"{_SYMBOL[self.status]} [{self.key}] {self.label()}: {self.message}"

    __repr__ = __str__

    def _repr_mimebundle_(self, include=None, exclude=None):
        colour = _COLOUR[self.status]
        body = (f'<div style="border-left:4px solid {colour};padding:.3rem .7rem;margin:.2rem 0">'
                f'<strong style="color:{colour}">{_SYMBOL[self.status]} {html.escape(self.label())}</strong> '
                f'<code>{html.escape(self.key)}</code> — {html.escape(self.message)}</div>')
        return {"text/plain": str(self), "text/html": body,
                MIME: {"key": self.key, "status": self.status, "mistake": self.mistake}}


def _fmt(kind: Kind, value: Any, language: str) -> str:
    if kind.name == "count":
        return i18n.fmt_number(value, 0, language)
    if kind.name == "share":
        return i18n.fmt_number(value, 4, language)
    if kind.name == "number":
        return i18n.fmt_number(value, 2, language)
    if kind.name == "set":
        return "{" + ", ".join(sorted(value)) + "}"
    return str(value)


def evaluate(ctx: Context, key: str, answer: Any, *, language: str | None = None) -> CheckResult:
    """Compare ``answer`` with the expected answer of exercise ``key`` on the data of ``ctx``.

    The order: skipped (missing columns) -> not answered (None) -> unusable shape -> right ->
    a known mistake (its hint) -> a percentage given for a share -> wrong with the general hint.
    """
    ex = exercise(key)
    lang = language or i18n.language()
    missing = ctx.missing(ex)
    if missing:
        cols = ", ".join(f"'{c}'" for c in missing)
        return CheckResult(key, "skipped", i18n._(
            "this data has no {cols} column, so this exercise is skipped (it counts as passed)", lang, cols=cols),
            language=lang)
    if answer is None:
        return CheckResult(key, "not_answered", i18n._(
            "write your code in the cell above and store the result in `answer`", lang), language=lang)
    try:
        expected = normalise(ex.kind, ctx.expected(ex))
    except Unavailable as exc:
        return CheckResult(key, "unavailable", exc.message(lang), language=lang)
    try:
        given = normalise(ex.kind, answer)
    except _BadShape as exc:
        return CheckResult(key, "wrong", exc.message(lang), mistake="shape", language=lang)
    if matches(ex.kind, given, expected):
        return CheckResult(key, "right", i18n._("well done ({answer})", lang, answer=_fmt(ex.kind, given, lang)),
                           language=lang, details={"expected": expected})
    for m in ex.mistakes:
        try:
            wrong = normalise(ex.kind, ctx.mistake(ex, m))
        except (Unavailable, _BadShape):
            continue
        if matches(ex.kind, wrong, expected):
            continue            # on this data the mistake gives the right number: nothing to diagnose
        if matches(ex.kind, given, wrong):
            return CheckResult(key, "wrong", ex.text(m.hint, lang), mistake=m.name, language=lang)
    if ex.kind.name == "share" and matches(NUMBER(1e-3, 0.5), given, 100 * expected) and abs(expected) > 0.01:
        return CheckResult(key, "wrong", i18n._(
            "that looks like a percentage; give the share as a fraction between 0 and 1 (0.25, not 25)", lang),
            mistake="percent_not_share", language=lang)
    return CheckResult(key, "wrong", i18n._("not the expected answer. Hint: {hint}", lang, hint=ex.text(ex.hint, lang)),
                       mistake=None, language=lang, details={"given": _fmt(ex.kind, given, lang)})


# --------------------------------------------------------------------------------------
# task text
# --------------------------------------------------------------------------------------
def task_markdown(key: str, *, language: str | None = None, has: dict[str, bool] | None = None) -> str:
    """The task of an exercise as markdown: heading, task, a folded hint, and a skip note when the
    data (``has``) lacks a column it needs."""
    ex = exercise(key)
    lang = language or i18n.language()
    n = stage_exercises(ex.stage).index(ex) + 1
    out = [f"### {ex.stage}.{n} · {ex.text(ex.title, lang)}", "", f"`{key}`", "", ex.text(ex.task, lang), ""]
    missing = [c for c in ex.requires if has is not None and not has.get(c, False)]
    if missing:
        cols = ", ".join(f"`{c}`" for c in missing)
        label = i18n._("skipped", lang)
        out += [f"> **{label[:1].upper() + label[1:]}:** " + i18n._(
            "this data has no {cols} column; the exercise is skipped and its check passes.", lang, cols=cols), ""]
    out += [f"<details><summary>{i18n._('Hint', lang)}</summary>", "", ex.text(ex.hint, lang), "",
            "</details>"]
    return "\n".join(out)
