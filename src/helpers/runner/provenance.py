"""Provenance of a run: the git commit, the package versions, the code version and ``run.json``."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from helpers import paths
from helpers.runner.results import RunResult

#: Packages whose versions go into run.json.
KEY_PACKAGES = ("pandas", "numpy", "ibis-framework", "duckdb", "pyspark", "pymc-marketing", "pymc",
                "scikit-learn", "mlxtend", "lifelines", "plotly", "papermill", "nbconvert")


def git_commit() -> str | None:
    """The project's HEAD commit, with ``-dirty`` when ``src/`` or ``notebooks/`` has uncommitted changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "notebooks"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (sha + ("-dirty" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    """Python's version and those of :data:`KEY_PACKAGES` that are installed."""
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


def write_run_json(folder: Path, run: RunResult, *, config: str | None, overrides: list[str], started: dt.datetime,
                   seconds: float, code: str, prep, previous: Path | None, models: list[dict] = ()) -> Path:
    """Write ``run.json``: when and how the run ran (config, overrides, commit, code version, package
    versions), on which data (fingerprint and the prepared data's meta), the shared models (``models``: kind,
    fitted now or read, seconds; :mod:`helpers.fitted`) and each notebook's result."""
    out = Path(folder) / "run.json"
    out.write_text(json.dumps({
        "run": run.name, "config": config, "overrides": list(overrides),
        "started": started.isoformat(timespec="seconds"), "ended": dt.datetime.now().isoformat(timespec="seconds"),
        "seconds": round(seconds, 1), "ok": run.ok, "git_commit": git_commit(), "code_version": code[:16],
        "packages": package_versions(), "data_fingerprint": prep.fingerprint, "data": prep.meta,
        "previous_run": previous.name if previous else None,
        "models": list(models),
        "notebooks": [asdict(n) for n in run.notebooks],
    }, indent=2, default=str), encoding="utf-8")
    return out
