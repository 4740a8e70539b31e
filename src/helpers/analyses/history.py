"""KPI history across runs: each run's headline numbers, one parquet file per config under ``reports/.history/``.

The batch runner appends a run's numeric headline numbers (:func:`record_run`) once its notebooks have
finished; the brief and the executive summary chart the last :data:`KEEP` runs of a number
(:func:`series`). One row per run and headline key: ``config``, ``run``, ``analysis_end`` (the
analysis date, ISO), ``recorded`` (when the run was recorded, ISO), ``key``, ``value`` and ``unit``.

Rules (each handled, never a failed run):

* **Same analysis date again.** A run of a config for an analysis date already in the history replaces
  that date's rows: the history keeps the latest run per analysis date, so a re-run corrects, never doubles.
* **No history yet.** The first run starts the file; its numbers have no change and a one-point trend.
* **A file written by an older version** (a column missing): the missing columns are added empty and the
  file is rewritten with every column on the next append; a file missing ``key`` or ``value`` is unreadable.
* **An unreadable file** (truncated, not parquet, the wrong columns): renamed aside to
  ``<config>.parquet.corrupt-<YYYYmmdd-HHMMSS>``, a new history starts, and the note says so.

Writes are atomic: a temporary file in the same folder, then ``os.replace``.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.i18n import _

HISTORY_DIR = ".history"
COLUMNS = ["config", "run", "analysis_end", "recorded", "key", "value", "unit"]
#: Columns without which a history file cannot be read (the others are filled when an older file lacks them).
REQUIRED = ("key", "value")
#: How many runs a trend shows.
KEEP = 12


@dataclass
class History:
    """A config's history as read: the rows, and what was done to read them (sentences for the brief and run.log)."""

    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def history_path(reports_dir: str | Path, config: str) -> Path:
    """``reports/.history/<config>.parquet``."""
    return Path(reports_dir) / HISTORY_DIR / f"{config}.parquet"


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else "object") for c in COLUMNS})


def read_history(path: str | Path, *, now: dt.datetime | None = None, language: str | None = None,
                 repair: bool = True) -> History:
    """The history in ``path`` by the rules of the module docstring. An unreadable file is moved aside when
    ``repair`` (the runner); a reader that only charts the history (the executive summary) leaves it."""
    path = Path(path)
    if not path.is_file():
        return History(empty())
    try:
        rows = pd.read_parquet(path)
        missing_required = [c for c in REQUIRED if c not in rows.columns]
        if missing_required:
            raise ValueError(f"no {', '.join(missing_required)} column")
    except Exception as exc:                   # truncated, not parquet, wrong columns: start again
        if not repair:
            return History(empty(), [_("The KPI history file {file} could not be read; the runner sets it aside at the end of this run.", language, file=path.name)])
        aside = path.with_name(f"{path.name}.corrupt-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}")
        os.replace(path, aside)
        return History(empty(), [_("The KPI history file {file} could not be read ({error}); it was renamed to {aside} and a new history starts with this run.", language,
                                   file=path.name, error=f"{type(exc).__name__}: {str(exc)[:120]}", aside=aside.name)])
    notes = []
    old = [c for c in COLUMNS if c not in rows.columns]
    if old:
        notes.append(_("The KPI history file {file} was written by an older version (no {columns}): those columns are left empty for its earlier runs.", language,
                       file=path.name, columns=", ".join(old)))
        for c in old:
            rows[c] = pd.NA
    rows = rows[COLUMNS].copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    return History(rows, notes)


def headline_rows(headlines: pd.DataFrame, *, config: str, run: str, analysis_end, recorded: dt.datetime) -> pd.DataFrame:
    """A run's numeric headline numbers (``collect_headlines``) as history rows; texts and NaN are left out."""
    values = pd.to_numeric(headlines["value"], errors="coerce") if len(headlines) else pd.Series(dtype=float)
    keep = headlines[values.notna() & values.map(lambda v: math.isfinite(v) if pd.notna(v) else False)] if len(headlines) else headlines
    out = pd.DataFrame({"config": config, "run": run, "analysis_end": _iso(analysis_end),
                        "recorded": recorded.isoformat(timespec="seconds"), "key": keep["key"].astype(str),
                        "value": pd.to_numeric(keep["value"]).astype("float64"), "unit": keep["unit"].astype(str)},
                       columns=COLUMNS)
    return out.drop_duplicates("key", keep="last").reset_index(drop=True)


def _iso(d) -> str:
    return "" if d is None or (isinstance(d, float) and math.isnan(d)) else pd.Timestamp(d).date().isoformat()


def merged(history: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``history`` with ``new`` (one run's rows) appended, replacing earlier rows of the same config and analysis date."""
    if len(new):
        same = history["config"].isin(new["config"].unique()) & history["analysis_end"].isin(new["analysis_end"].unique())
        history = history[~same]
    parts = [p for p in (history, new) if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else empty()
    return out.sort_values(["analysis_end", "recorded", "key"], kind="stable", ignore_index=True)


def write_history(path: str | Path, rows: pd.DataFrame) -> Path:
    """Write ``rows`` to ``path`` atomically (a temporary file beside it, then ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    rows[COLUMNS].to_parquet(part, index=False)
    os.replace(part, path)
    return path


def record_run(path: str | Path, new: pd.DataFrame, *, now: dt.datetime | None = None,
               language: str | None = None) -> History:
    """Append one run's rows (:func:`headline_rows`) to the history in ``path``; return the new history and the notes."""
    read = read_history(path, now=now, language=language)
    rows = merged(read.rows, new)
    write_history(path, rows)
    return History(rows, read.notes)


def runs(history: pd.DataFrame, last: int = KEEP) -> list[str]:
    """The last ``last`` runs in the history, oldest first (by analysis date, then when recorded)."""
    order = history.drop_duplicates("run", keep="last").sort_values(["analysis_end", "recorded"], kind="stable")
    return order["run"].tolist()[-last:]


def series(history: pd.DataFrame, key: str, last: int = KEEP) -> pd.DataFrame:
    """The trend of one headline number over the last ``last`` runs: ``run``, ``analysis_end``, ``value`` (oldest first)."""
    keep = runs(history, last)
    rows = history[(history["key"] == key) & history["run"].isin(keep)]
    rows = rows.set_index("run").reindex(keep)
    return rows.dropna(subset=["value"]).reset_index()[["run", "analysis_end", "value"]]


def for_run(config, output_dir: str | Path, headlines: pd.DataFrame, meta: dict, *,
            now: dt.datetime | None = None) -> History:
    """The history of ``config`` as it will be once this run is recorded, read by a notebook of the run (the
    executive summary runs before the runner records the run): the file under the run's reports folder (the
    folder above ``reports/.tmp-<run>/artefacts/<notebook>``, or ``output.reports_dir`` run by hand) with
    this run's ``headlines`` merged in. The file is not changed."""
    from helpers import paths

    out = Path(output_dir).resolve() if output_dir else None
    in_batch = out is not None and out.parent.name == "artefacts"
    reports = out.parents[2] if in_batch else paths.resolve(config.output.reports_dir)
    run = out.parents[1].name.removeprefix(".tmp-") if in_batch else _("this run")
    read = read_history(history_path(reports, config.name), repair=False)
    now = now or dt.datetime.now()
    current = headline_rows(headlines, config=config.name, run=run, analysis_end=meta.get("analysis_end"), recorded=now)
    return History(merged(read.rows, current), read.notes)


def change(history: pd.DataFrame, key: str, run: str) -> float:
    """The change of ``key`` since the run before ``run`` in the history; NaN without an earlier value."""
    s = series(history, key, last=len(history) or 1)
    at = s.index[s["run"] == run]
    if not len(at) or at[0] == 0:
        return math.nan
    return float(s["value"].iloc[at[0]] - s["value"].iloc[at[0] - 1])
