"""Every path the project uses, derived from one root.

The root is the folder holding ``pyproject.toml`` (found from this file, or from the
``CRM_PROJECT_ROOT`` environment variable when the package is installed elsewhere).
Relative paths in a config file are resolved against the project root, which is what
users expect when they type a path from the top of the repository: ``../shared/data/...``
in ``configs/cdnow.yaml`` means the ``shared`` folder beside the project.
"""
from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("CRM_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd().resolve()


ROOT = _find_root()
DATA = ROOT / "data"
RAW = DATA / "raw"            # source drops and generated synthetic data; read-only by convention
INTERIM = DATA / "interim"    # cached conversions (xlsx -> parquet), safe to delete
PROCESSED = DATA / "processed"  # clean lines, audit and customer tables per fingerprint
REPORTS = ROOT / "reports"
CONFIGS = ROOT / "configs"
NOTEBOOKS = ROOT / "notebooks"
SHARED_DATA = ROOT.parent / "shared" / "data"
#: The installed ``helpers`` package (code, glossary, HTML templates).
PACKAGE = Path(__file__).resolve().parent


def resolve(path: str | os.PathLike) -> Path:
    """Resolve a path from a config: absolute as is, relative to the project root."""
    p = Path(os.path.expanduser(str(path)))
    return p if p.is_absolute() else (ROOT / p)

