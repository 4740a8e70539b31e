"""A run's folders: claiming a unique run folder, moving it into place, ``latest``, and cleaning up after killed runs.

A run is written to ``reports/.tmp-<run>/`` and moved to ``reports/<run>/`` when done. The
temporary folder is claimed with an atomic ``mkdir``: two runs of one config started in the same
second get ``<run>`` and ``<run>-2`` (:func:`claim_run_folder`). It holds ``.pid``, so a later run
removes it once its process is gone (:func:`remove_stale_tmp`), and ``.scratch/``, where the table
engine of the run and of its notebook kernels keeps its scratch files (:func:`scratch_in`), so they
go with the run. ``reports/latest`` is replaced atomically (:func:`point_latest`).
"""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from helpers.io import engine

#: Seconds a temporary run folder without a readable ``.pid`` is left alone: its run is still creating it.
CLAIM_GRACE = 60.0
#: The folder, inside a run's temporary folder, for the table engine's scratch files.
SCRATCH = ".scratch"


def _write_pid(folder: Path) -> None:
    part = folder / f".pid.{os.getpid()}"
    part.write_text(str(os.getpid()), encoding="utf-8")
    os.replace(part, folder / ".pid")          # readers never see a half-written pid


def claim_run_folder(reports_dir: Path, name: str, *, replace: bool = False) -> tuple[str, Path]:
    """Create the temporary folder of a run called ``name`` and return the run's name and that folder.

    The folder ``.tmp-<name>`` is made with one atomic ``mkdir``; when another live run holds it, or
    (unless ``replace``, for a run named in the config that replaces its earlier run) a finished run
    already has the name, the name gets a suffix ``-2``, ``-3`` ... . The finished folder appears only
    by renaming a temporary one, so a name whose temporary folder this call made and whose finished
    folder does not exist yet is this run's alone. ``.pid`` (this process) is written at once.
    """
    reports_dir = Path(reports_dir)
    for n in itertools.count(1):
        candidate = name if n == 1 else f"{name}-{n}"
        tmp = reports_dir / f".tmp-{candidate}"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        if not replace and (reports_dir / candidate).exists():
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        _write_pid(tmp)
        return candidate, tmp
    raise AssertionError("unreachable")


def run_is_live(tmp: Path) -> bool:
    """Whether the run writing the temporary folder ``tmp`` is still going: its ``.pid`` names a live
    process, or it has no readable ``.pid`` yet and was made less than :data:`CLAIM_GRACE` seconds ago."""
    try:
        pid = int((tmp / ".pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        try:
            return time.time() - tmp.stat().st_mtime < CLAIM_GRACE
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True                                   # alive, another user's
    except OSError:
        return False
    return True


def remove_stale_tmp(reports_dir: Path) -> list[str]:
    """Delete ``.tmp-*`` folders left by killed runs (their process is gone); keep those of live runs."""
    removed = []
    for tmp in Path(reports_dir).glob(".tmp-*"):
        if run_is_live(tmp):
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp.name)
    return removed


@contextmanager
def scratch_in(folder: Path):
    """Within the block, the table engine's scratch files (:func:`helpers.io.engine.scratch_dir`) of this
    process and of the notebook kernels it starts go under ``folder``, which is removed at the end."""
    old = os.environ.get(engine.SCRATCH_ENV)
    os.environ[engine.SCRATCH_ENV] = str(folder)
    try:
        yield Path(folder)
    finally:
        if old is None:
            os.environ.pop(engine.SCRATCH_ENV, None)
        else:
            os.environ[engine.SCRATCH_ENV] = old
        shutil.rmtree(folder, ignore_errors=True)


def move_into_place(tmp: Path, final: Path) -> None:
    """Move the finished temporary folder ``tmp`` to ``final``, replacing a finished run of that name."""
    (tmp / ".pid").unlink(missing_ok=True)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def point_latest(reports_dir: Path, target: Path) -> None:
    """Point ``reports_dir/latest`` at the run folder ``target`` (a relative link, replaced atomically)."""
    link = reports_dir / "latest"
    tmp = reports_dir / f".latest-{os.getpid()}-{time.time_ns()}"
    tmp.symlink_to(target.name)
    os.replace(tmp, link)


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

