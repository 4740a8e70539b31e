"""Provenance of a run: the git commit (and whether the code was dirty), package versions, the code version
and ``run.json``."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy
import pandas
import pytest

from helpers import paths
from helpers.runner import provenance
from helpers.runner.results import NotebookResult, RunResult


def test_package_versions_are_the_installed_ones_and_python():
    found = provenance.package_versions()
    assert found["python"] == platform.python_version()
    assert found["pandas"] == pandas.__version__ and found["numpy"] == numpy.__version__
    assert set(found) <= {"python", *provenance.KEY_PACKAGES}


def test_a_package_that_is_not_installed_is_left_out(monkeypatch):
    monkeypatch.setattr(provenance, "KEY_PACKAGES", ("pandas", "no-such-package-for-crm-tests"))
    assert set(provenance.package_versions()) == {"python", "pandas"}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A project with one commit holding ``src/``, ``notebooks/`` and ``README.md``; ``paths.ROOT`` points at it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "project"
    for f in ("src/helpers/a.py", "notebooks/01.ipynb", "README.md"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("x\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "start")
    monkeypatch.setattr(paths, "ROOT", root)
    return root


def test_git_commit_is_head_and_dirty_only_for_changes_in_src_or_notebooks(repo):
    head = _git(repo, "rev-parse", "HEAD")
    assert provenance.git_commit() == head and len(head) == 40
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    (repo / "scratch.txt").write_text("new\n", encoding="utf-8")
    assert provenance.git_commit() == head                                  # outside src/ and notebooks/
    (repo / "notebooks" / "02.ipynb").write_text("{}", encoding="utf-8")
    assert provenance.git_commit() == head + "-dirty"                        # an untracked notebook counts
    (repo / "notebooks" / "02.ipynb").unlink()
    (repo / "src" / "helpers" / "a.py").write_text("y\n", encoding="utf-8")
    assert provenance.git_commit() == head + "-dirty"


def test_git_commit_is_none_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert provenance.git_commit() is None


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    pkg = tmp_path / "helpers"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "a.py").write_text("A = 1\n", encoding="utf-8")
    (pkg / "templates" / "page.j2").write_text("{{ x }}", encoding="utf-8")
    monkeypatch.setattr(paths, "PACKAGE", pkg)
    return pkg


def test_the_code_version_hashes_each_source_file_name_and_content_in_order(package):
    by_hand = hashlib.sha256(b"a.py" + b"A = 1\n" + b"templates/page.j2" + b"{{ x }}").hexdigest()
    assert provenance.code_version() == by_hand


def test_the_code_version_changes_with_source_files_only(package):
    before = provenance.code_version()
    (package / "notes.txt").write_text("not code", encoding="utf-8")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-312.pyc").write_bytes(b"\0")
    assert provenance.code_version() == before
    (package / "glossary.yaml").write_text("k: v\n", encoding="utf-8")
    with_yaml = provenance.code_version()
    assert with_yaml != before
    (package / "a.py").rename(package / "b.py")                              # same content, another name
    assert provenance.code_version() not in (before, with_yaml)


def test_run_json_records_the_run_its_data_and_each_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "git_commit", lambda: "c0ffee-dirty")
    run = RunResult("tiny-1", notebooks=[NotebookResult("01_a", "ok", 2.5, key="k1", html="01_a.html"),
                                         NotebookResult("02_b", "failed", 1.0, error="E: x")])
    prep = SimpleNamespace(fingerprint="fp123", meta={"config_name": "tiny", "n_clean_lines": 10,
                                                      "analysis_end": dt.date(2023, 12, 31)})
    started = dt.datetime(2026, 1, 2, 3, 4, 5, 678)
    out = provenance.write_run_json(tmp_path, run, config="configs/tiny.yaml", overrides=("language=tr",),
                                    started=started, seconds=12.345, code="0123456789abcdef0123", prep=prep,
                                    previous=tmp_path.parent / "tiny-0")
    assert out == tmp_path / "run.json"
    meta = json.loads(out.read_text(encoding="utf-8"))
    assert {k: meta[k] for k in ("run", "config", "overrides", "started", "seconds", "ok", "git_commit",
                                 "code_version", "data_fingerprint", "previous_run")} == {
        "run": "tiny-1", "config": "configs/tiny.yaml", "overrides": ["language=tr"], "started": "2026-01-02T03:04:05",
        "seconds": 12.3, "ok": False, "git_commit": "c0ffee-dirty", "code_version": "0123456789abcdef",
        "data_fingerprint": "fp123", "previous_run": "tiny-0"}
    assert meta["data"] == {"config_name": "tiny", "n_clean_lines": 10, "analysis_end": "2023-12-31"}
    assert meta["started"] <= meta["ended"] and dt.datetime.fromisoformat(meta["ended"])
    assert meta["packages"] == provenance.package_versions()
    assert [NotebookResult(**n) for n in meta["notebooks"]] == run.notebooks
    provenance.write_run_json(tmp_path, run, config=None, overrides=[], started=started, seconds=0, code="",
                              prep=prep, previous=None)
    assert json.loads(out.read_text(encoding="utf-8"))["previous_run"] is None
