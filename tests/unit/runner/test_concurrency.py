"""Runs side by side and runs killed: distinct folders, ``latest`` untouched, nothing left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers import paths
from helpers.batch import Step
from helpers.runner import run as report
from tests.fixtures import TINY
from tests.fixtures.runner import fake_notebook

pytestmark = pytest.mark.slow


def _cli(out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "helpers.runner", "--config", str(TINY), "--reports-dir", str(out), "--no-progress",
            *args]


def _runs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def test_two_runs_started_at_once_both_finish_in_their_own_folders(tmp_path):
    """Both runs want the same folder (as two runs of one config started in the same second do)."""
    out = tmp_path / "reports"
    args = _cli(out, "--notebooks", "00", "--force", "--set", "output.run_name=twin")
    procs = [subprocess.Popen(args, cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert [r.name for r in _runs(out)] == ["twin", "twin-2"]
    for run in _runs(out):
        meta = json.loads((run / "run.json").read_text())
        assert meta["run"] == run.name and meta["ok"] and (run / "00_start_here.html").is_file()
    assert not list(out.glob(".tmp-*")) and (out / "latest").resolve().parent == out


def test_a_killed_run_is_cleaned_up_by_the_next_one(tmp_path):
    out = tmp_path / "reports"
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "00"]) == 0
    (earlier,) = _runs(out)
    proc = subprocess.Popen(_cli(out, "--notebooks", "01", "--force"), cwd=paths.ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".tmp-*/01_data_cleaning.ipynb")):
        time.sleep(0.2)
    (left,) = out.glob(".tmp-*")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert left.is_dir() and (out / "latest").resolve() == earlier and _runs(out) == [earlier]
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "00"]) == 0
    assert not list(out.glob(".tmp-*")) and not left.exists()
    assert len(_runs(out)) == 2 and earlier.is_dir() and (out / "latest").resolve() != earlier


_SCRATCH = ("import os, ibis\nfrom pathlib import Path\nfrom helpers.io import engine\n"
            "t = engine.materialize(engine.connect(), ibis.memtable({'a': [1, 2]}))\n"
            "Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
            "(Path(output_dir) / 'scratch.json').write_text(json.dumps([str(engine.scratch_dir()), "
            "os.environ.get(engine.SCRATCH_ENV)]))\n")


def test_engine_scratch_folders_are_gone_after_a_run(tmp_path, monkeypatch):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    fake_notebook(nbdir, "61_scratch", "import json\n" + _SCRATCH)
    batch = [Step("61_scratch")]
    monkeypatch.setattr(report, "BATCH", batch)
    monkeypatch.setattr(report, "NOTEBOOKS", [s.name for s in batch])
    monkeypatch.setattr(report, "notebook_path", lambda stem: nbdir / f"{stem}.ipynb")
    # this run's own system temporary folder (the kernel inherits TMPDIR): other tests running beside this one
    # on other workers make and remove their own crm-* folders in the shared one
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    out = tmp_path / "reports"
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress"]) == 0
    (run,) = _runs(out)
    scratch, root = json.loads((run / "artefacts" / "61_scratch" / "scratch.json").read_text())
    assert root == str(out / f".tmp-{run.name}" / ".scratch") and Path(scratch).parent == Path(root)
    assert not Path(root).exists() and not (run / ".scratch").exists()
    assert not list(system_tmp.glob("crm-*"))
