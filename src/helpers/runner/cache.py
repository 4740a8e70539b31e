"""Reuse of earlier runs: a notebook's step key, and finding (and copying) an earlier run's output with that key.

A notebook's outputs depend on the data fingerprint, its parameters (the whole resolved config
among them), the notebook file and the package code; a step that runs after all others also
depends on the others' statuses and keys in this run. When an earlier finished run under the
same reports folder holds an ``ok`` result with the same key, the runner copies it instead of
executing the notebook again.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path


def step_key(notebook: Path, fingerprint: str, params: dict, code: str) -> str:
    """What a notebook's outputs depend on: data fingerprint, parameters, the ``notebook`` file and package ``code``
    (:func:`helpers.runner.provenance.code_version`); ``output_dir`` does not count."""
    h = hashlib.sha256()
    h.update(fingerprint.encode())
    h.update(json.dumps({k: v for k, v in params.items() if k != "output_dir"}, sort_keys=True, default=str).encode())
    h.update(Path(notebook).read_bytes())
    h.update(code.encode())
    return h.hexdigest()


def finished_runs(reports_dir: Path):
    """(run folder, its run.json) of every finished run under ``reports_dir``, in no order.

    Temporary folders (``.tmp-*``) and the ``latest`` link are not runs; an unreadable run.json is skipped.
    """
    for rj in Path(reports_dir).glob("*/run.json"):
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
    return _newest((f, m) for f, m in finished_runs(reports_dir)
                   if m.get("ok") and m.get("data", {}).get("config_name") == config_name)


def find_reusable(reports_dir: Path, stem: str, key: str) -> Path | None:
    """The newest finished run holding an ``ok`` result of ``stem`` with the same key."""
    return _newest((f, m) for f, m in finished_runs(reports_dir)
                   if any(nb.get("name") == stem and nb.get("key") == key and nb.get("status") == "ok"
                          for nb in m.get("notebooks", [])) and (f / f"{stem}.ipynb").exists())


def copy_result(source: Path, stem: str, folder: Path) -> None:
    """Copy the executed notebook ``stem`` and its artefacts from the run folder ``source`` into ``folder``."""
    shutil.copy2(source / f"{stem}.ipynb", folder / f"{stem}.ipynb")
    if (source / "artefacts" / stem).is_dir():
        shutil.copytree(source / "artefacts" / stem, folder / "artefacts" / stem)
