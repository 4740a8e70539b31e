"""A run's folders: unique names for runs started at once, stale temporary folders, engine scratch files,
and paths into the temporary folder moved to the final one."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import ibis

from helpers.io import engine
from helpers.runner import folders


def test_two_runs_with_one_name_get_two_folders(tmp_path):
    name, tmp = folders.claim_run_folder(tmp_path, "tiny-20260101-120000")
    again, tmp2 = folders.claim_run_folder(tmp_path, "tiny-20260101-120000")
    assert (name, again) == ("tiny-20260101-120000", "tiny-20260101-120000-2")
    assert tmp == tmp_path / ".tmp-tiny-20260101-120000" and tmp2.is_dir() and tmp != tmp2
    assert (tmp / ".pid").read_text() == str(os.getpid()) and not list(tmp.glob(".pid.*"))


def test_a_finished_run_keeps_its_name_unless_the_config_names_the_run(tmp_path):
    (tmp_path / "tiny-1").mkdir()
    assert folders.claim_run_folder(tmp_path, "tiny-1")[0] == "tiny-1-2"
    assert not (tmp_path / ".tmp-tiny-1").exists()                       # the losing claim is undone
    assert folders.claim_run_folder(tmp_path, "tiny-1", replace=True)[0] == "tiny-1"
    folders.move_into_place(tmp_path / ".tmp-tiny-1", tmp_path / "tiny-1")
    assert not (tmp_path / "tiny-1" / ".pid").exists() and not (tmp_path / ".tmp-tiny-1").exists()


def test_stale_temporary_folders_are_removed_and_live_ones_kept(tmp_path):
    _, live = folders.claim_run_folder(tmp_path, "live")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".tmp-killed").mkdir()
    (tmp_path / ".tmp-killed" / ".pid").write_text(dead.stdout.strip())
    (tmp_path / ".tmp-starting").mkdir()                                 # claimed a moment ago, no pid yet
    (tmp_path / ".tmp-old").mkdir()                                      # no pid for long: a run killed at once
    old = time.time() - 2 * folders.CLAIM_GRACE
    os.utime(tmp_path / ".tmp-old", (old, old))
    assert sorted(folders.remove_stale_tmp(tmp_path)) == [".tmp-killed", ".tmp-old"]
    assert live.is_dir() and (tmp_path / ".tmp-starting").is_dir()


def test_engine_scratch_files_go_into_the_run_and_go_with_it(tmp_path):
    scratch = tmp_path / ".tmp-run" / folders.SCRATCH
    before = os.environ.get(engine.SCRATCH_ENV)
    with folders.scratch_in(scratch):
        assert os.environ[engine.SCRATCH_ENV] == str(scratch)
        con = engine.connect()
        t = engine.materialize(con, ibis.memtable({"a": [1, 2, 3]}))
        assert int(t.a.sum().execute()) == 6
        made = list(scratch.rglob("*.parquet"))
        assert len(made) == 1 and made[0].parent.parent == engine.scratch_dir()
        assert engine.scratch_dir().parent == scratch
    assert not scratch.exists() and os.environ.get(engine.SCRATCH_ENV) == before


def test_relocate_paths_moves_whole_folder_names_only(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('output_dir = "/r/.tmp-run-1/artefacts/x"')]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="/r/.tmp-run-1/a.csv /r/.tmp-run-10/b.csv\n")]
    nb.metadata["papermill"] = {"parameters": {"output_dir": "/r/.tmp-run-1/artefacts/x"}}
    f = tmp_path / "n.ipynb"
    nbformat.write(nb, str(f))
    assert folders.relocate_paths(f, {"/r/.tmp-run-1": "/r/run-1"})
    back = nbformat.read(str(f), as_version=4)
    assert back.cells[0].source == 'output_dir = "/r/run-1/artefacts/x"'
    assert back.cells[0].outputs[0].text == "/r/run-1/a.csv /r/.tmp-run-10/b.csv\n"
    assert back.metadata["papermill"]["parameters"]["output_dir"] == "/r/run-1/artefacts/x"
    assert not folders.relocate_paths(f, {"/r/.tmp-run-1": "/r/run-1"})          # nothing left to move
