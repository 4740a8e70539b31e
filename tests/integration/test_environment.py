"""The lock file and environment.yml carry the same pins; the key pins hold the known-good set."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from tests.fixtures import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from sync_environment import lock_pins  # noqa: E402


def _pins(lines):
    out = {}
    for line in lines:
        req = line.split(";")[0].strip()
        name, version = req.split("==")
        out[re.sub(r"[-_.]+", "-", name.lower())] = version
    return out


def test_environment_yml_has_the_lock_pins():
    lock = _pins(lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8")))
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    env_pins = _pins([p for p in pip_section if "==" in p])
    assert env_pins == lock, "environment.yml drifted from requirements.lock: run `make lock`"
    assert "python=3.11" in env["dependencies"]


def test_known_good_versions_are_locked():
    lock = _pins(lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8")))
    assert lock["ibis-framework"].startswith("12.")
    major = int(lock["sqlglot"].split(".")[0])
    assert major < 28, "ibis-framework 12 breaks with sqlglot 28 and newer"
    assert lock["pymc-marketing"] == "0.19.2"          # newer releases need Python 3.12
    for name in ("pandas", "duckdb", "pyspark", "papermill", "nbval", "mlxtend", "lifelines", "jupyterlab"):
        assert name in lock


def test_installed_versions_match_the_lock():
    from importlib.metadata import PackageNotFoundError, version

    lock = _pins(lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8")))
    for name in ("pandas", "duckdb", "ibis-framework", "sqlglot", "pymc-marketing", "papermill"):
        try:
            assert version(name) == lock[name], f"{name} installed {version(name)} but locked {lock[name]}: run make env"
        except PackageNotFoundError:  # pragma: no cover
            raise AssertionError(f"{name} is locked but not installed: run make env") from None
