"""Reuse of earlier runs: step keys, the finished runs under a reports folder, the newest reusable result
and copying it."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from helpers.runner import cache

PARAMS = {"config_path": "/c/tiny.yaml", "config_overrides": ["analysis.end=2023-06-30"],
          "output_dir": "/r/.tmp-run-1/artefacts/01", "show_examples": 4}


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = tmp_path / "01_x.ipynb"
    nb.write_text('{"cells": []}', encoding="utf-8")
    return nb


def test_a_step_key_is_the_sha256_of_fingerprint_parameters_notebook_and_code(notebook):
    """The documented recipe, computed by hand: fingerprint, the parameters without ``output_dir`` as sorted
    JSON, the notebook's bytes and the code version, in that order."""
    by_hand = hashlib.sha256(b"fp-1"
                             + b'{"config_overrides": ["analysis.end=2023-06-30"], "config_path": "/c/tiny.yaml", '
                               b'"show_examples": 4}'
                             + b'{"cells": []}' + b"code-1").hexdigest()
    assert cache.step_key(notebook, "fp-1", PARAMS, "code-1") == by_hand


def test_a_step_key_changes_when_and_only_when_an_input_changes(notebook, tmp_path):
    key = cache.step_key(notebook, "fp-1", PARAMS, "code-1")
    assert cache.step_key(notebook, "fp-1", dict(PARAMS), "code-1") == key
    assert cache.step_key(notebook, "fp-1", dict(reversed(PARAMS.items())), "code-1") == key   # order of keys
    assert cache.step_key(notebook, "fp-1", {**PARAMS, "output_dir": "/r/run-2/artefacts/01"}, "code-1") == key
    copy = tmp_path / "elsewhere.ipynb"
    copy.write_bytes(notebook.read_bytes())
    assert cache.step_key(copy, "fp-1", PARAMS, "code-1") == key                              # content, not name
    changed = [cache.step_key(notebook, "fp-2", PARAMS, "code-1"),
               cache.step_key(notebook, "fp-1", {**PARAMS, "show_examples": 5}, "code-1"),
               cache.step_key(notebook, "fp-1", {**PARAMS, "config_overrides": []}, "code-1"),
               cache.step_key(notebook, "fp-1", {**PARAMS, "run_status": {"01": ["ok", "k"]}}, "code-1"),
               cache.step_key(notebook, "fp-1", PARAMS, "code-2")]
    notebook.write_text('{"cells": [1]}', encoding="utf-8")
    changed.append(cache.step_key(notebook, "fp-1", PARAMS, "code-1"))
    assert key not in changed and len(set(changed)) == len(changed)


def _run(reports: Path, name: str, started: str, notebooks: list[dict], *, ok: bool = True,
         config_name: str = "tiny", executed: tuple[str, ...] = ()) -> Path:
    """A finished run folder: its run.json and the executed notebooks named in ``executed``."""
    folder = reports / name
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run": name, "ok": ok, "started": started,
                                                 "data": {"config_name": config_name}, "notebooks": notebooks}))
    for stem in executed:
        (folder / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
    return folder


def test_finished_runs_skip_temporary_folders_the_latest_link_and_unreadable_run_json(tmp_path):
    a = _run(tmp_path, "tiny-1", "2026-01-01T10:00:00", [])
    _run(tmp_path, ".tmp-tiny-2", "2026-01-02T10:00:00", [])
    os.symlink(a, tmp_path / "latest")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "no-run-json").mkdir()
    found = list(cache.finished_runs(tmp_path))
    assert [(folder, meta["run"]) for folder, meta in found] == [(a, "tiny-1")]
    assert list(cache.finished_runs(tmp_path / "absent")) == []


def test_changes_are_compared_with_the_previous_run_of_the_same_config(tmp_path):
    def fake_run(name, config_name, started, ok=True):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(json.dumps(
            {"ok": ok, "started": started, "data": {"config_name": config_name}}))

    fake_run("default-1", "default", "2026-01-01T10:00:00")
    fake_run("default-2", "default", "2026-01-02T10:00:00")
    fake_run("default-3", "default", "2026-01-03T10:00:00", ok=False)      # a failed run is not compared with
    fake_run("telco-1", "telco", "2026-01-04T10:00:00")                    # newer, but another config
    assert cache.previous_run(tmp_path, "default") == tmp_path / "default-2"
    assert cache.previous_run(tmp_path, "telco") == tmp_path / "telco-1"
    assert cache.previous_run(tmp_path, "olist") is None


def test_reuse_finds_the_newest_run_with_an_ok_result_of_the_same_key(tmp_path):
    ok = {"name": "01_x", "key": "k1", "status": "ok"}
    older = _run(tmp_path, "tiny-a", "2026-01-01T10:00:00", [ok], executed=("01_x",))
    newer = _run(tmp_path, "tiny-b", "2026-01-02T10:00:00", [ok], ok=False, executed=("01_x",))  # the run failed
    _run(tmp_path, "tiny-c", "2026-01-03T10:00:00", [{**ok, "status": "failed"}], executed=("01_x",))
    _run(tmp_path, "tiny-d", "2026-01-04T10:00:00", [{**ok, "key": "k2"}], executed=("01_x",))
    _run(tmp_path, "tiny-e", "2026-01-05T10:00:00", [ok])                  # its executed notebook is gone
    _run(tmp_path, "tiny-f", "2026-01-06T10:00:00", [{**ok, "name": "02_y"}], executed=("02_y",))
    # a notebook that succeeded in a run where another failed is still reusable: b is newer than a
    assert cache.find_reusable(tmp_path, "01_x", "k1") == newer
    assert cache.find_reusable(tmp_path, "01_x", "k2") == tmp_path / "tiny-d"
    assert cache.find_reusable(tmp_path, "01_x", "k3") is None
    assert cache.find_reusable(tmp_path, "03_z", "k1") is None
    (newer / "01_x.ipynb").unlink()
    assert cache.find_reusable(tmp_path, "01_x", "k1") == older


def test_copy_result_copies_the_notebook_and_its_artefacts_only(tmp_path):
    source = tmp_path / "tiny-1"
    (source / "artefacts" / "01_x" / "sub").mkdir(parents=True)
    (source / "artefacts" / "02_y").mkdir(parents=True)
    (source / "01_x.ipynb").write_text('{"a": 1}', encoding="utf-8")
    (source / "artefacts" / "01_x" / "sub" / "t.csv").write_text("a\n1\n", encoding="utf-8")
    (source / "artefacts" / "02_y" / "u.csv").write_text("b\n", encoding="utf-8")
    (source / "02_y.ipynb").write_text("{}", encoding="utf-8")
    target = tmp_path / ".tmp-tiny-2"
    (target / "artefacts").mkdir(parents=True)
    cache.copy_result(source, "01_x", target)
    assert (target / "01_x.ipynb").read_text(encoding="utf-8") == '{"a": 1}'
    assert (target / "artefacts" / "01_x" / "sub" / "t.csv").read_text(encoding="utf-8") == "a\n1\n"
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "01_x.ipynb", "artefacts/01_x/sub/t.csv"]
    (source / "03_z.ipynb").write_text("{}", encoding="utf-8")
    cache.copy_result(source, "03_z", target)                              # no artefacts: the notebook alone
    assert (target / "03_z.ipynb").is_file() and not (target / "artefacts" / "03_z").exists()
