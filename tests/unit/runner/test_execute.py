"""Executing one notebook with papermill and reading its parameters.

Reading parameters and notebooks that cannot run need no kernel; executing one starts a kernel (slow).
"""
from __future__ import annotations

import json
import os
import sys

import nbformat
import pytest

from helpers import paths
from helpers.runner import execute
from tests.fixtures.runner import fake_notebook


def test_parameters_are_the_names_and_defaults_of_the_parameters_cell(tmp_path):
    fake_notebook(tmp_path, "91_x", "print('not a parameter')")
    found = execute.parameters(tmp_path / "91_x.ipynb")
    assert list(found) == ["config_path", "config_overrides", "output_dir"]
    assert [p["default"] for p in found.values()] == ['""', "[]", '""']


def test_a_notebook_without_a_parameters_cell_has_no_parameters(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, str(tmp_path / "n.ipynb"))
    assert execute.parameters(tmp_path / "n.ipynb") == {}


def test_a_notebook_that_cannot_be_read_is_an_error_not_an_exception(tmp_path):
    error = execute.execute(tmp_path / "absent.ipynb", tmp_path / "out.ipynb", {})
    assert error is not None and error.startswith("FileNotFoundError: ") and "absent.ipynb" in error
    (tmp_path / "bad.ipynb").write_text("{not json", encoding="utf-8")
    error = execute.execute(tmp_path / "bad.ipynb", tmp_path / "out.ipynb", {})
    assert error is not None and error.startswith("NotJSONError: ")                 # nbformat's own error
    assert not (tmp_path / "out.ipynb").exists()


@pytest.mark.slow
def test_execute_injects_parameters_starts_in_notebooks_and_reports_the_error(tmp_path):
    here = os.getcwd()
    fake_notebook(tmp_path, "91_ok", "import os, json\nprint(json.dumps([os.getcwd(), config_overrides]))")
    assert execute.execute(tmp_path / "91_ok.ipynb", tmp_path / "91_out.ipynb",
                           {"config_overrides": ["language=tr"]}) is None
    out = nbformat.read(str(tmp_path / "91_out.ipynb"), as_version=4)
    printed = json.loads(out.cells[-1].outputs[0]["text"])
    assert printed == [str(paths.NOTEBOOKS), ["language=tr"]]
    assert os.getcwd() == here                                   # the runner's own folder did not move
    fake_notebook(tmp_path, "92_fails", "raise RuntimeError('planted failure')")
    error = execute.execute(tmp_path / "92_fails.ipynb", tmp_path / "92_out.ipynb", {})
    assert error == "RuntimeError: planted failure"
    assert "planted failure" in (tmp_path / "92_out.ipynb").read_text(encoding="utf-8")   # kept with its error


@pytest.mark.slow
@pytest.mark.parametrize("every, most", [(execute.SAVE_SECONDS, 2), (0.0, None)])
def test_the_executed_notebook_is_written_at_the_end_not_at_every_cell(tmp_path, monkeypatch, every, most):
    from papermill import engines

    writes = []
    real = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: (writes.append(path), real(nb, path)))
    monkeypatch.setattr(execute, "SAVE_SECONDS", every)
    fake_notebook(tmp_path, "93_cells", *[f"print({i} * 7)" for i in range(8)])
    assert execute.execute(tmp_path / "93_cells.ipynb", tmp_path / "93_out.ipynb", {}) is None
    out = nbformat.read(str(tmp_path / "93_out.ipynb"), as_version=4)
    assert [c.outputs[0]["text"].strip() for c in out.cells[-8:]] == [str(i * 7) for i in range(8)]
    if most is None:                        # no throttle: papermill's own writes at every cell's start and end
        assert len(writes) >= 2 * 8
    else:
        assert 1 <= len(writes) <= most


@pytest.mark.parametrize("deaths, expected", [(1, None), (2, "RuntimeError: Kernel died before replying to kernel_info")])
def test_a_kernel_that_dies_while_starting_is_started_once_more(tmp_path, monkeypatch, caplog, deaths, expected):
    """A kernel that dies before its first reply ran no cell (a port taken by another process between choosing and
    binding it): one new start; a second death is the notebook's error, never a silent pass."""
    import papermill as pm

    calls = []

    def fake(*args, **kwargs):
        calls.append(1)
        if len(calls) <= deaths:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(pm, "execute_notebook", fake)
    with caplog.at_level("WARNING"):
        got = execute.execute(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", {})
    assert got == expected
    assert len(calls) == 1 + execute.START_RETRIES
    assert "died while starting" in caplog.text


def test_other_kernel_errors_are_not_retried(tmp_path, monkeypatch):
    import papermill as pm

    calls = []

    def fake(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(pm, "execute_notebook", fake)
    assert execute.execute(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", {}).startswith("RuntimeError: Kernel didn't")
    assert len(calls) == 1


def test_the_kernel_command_is_this_projects_launcher_only_for_ipykernel_on_this_python():
    ipykernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert execute.launch_command(ipykernel) == [sys.executable, "-m", "helpers.runner.kernel_launcher", "-f",
                                                 "/tmp/k.json"]
    other = ["/opt/other/python", "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert execute.launch_command(other) == other
    assert execute.launch_command(["R", "--slave", "-e", "IRkernel::main()"]) == ["R", "--slave", "-e", "IRkernel::main()"]
