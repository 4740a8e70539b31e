"""Executing one notebook with papermill, and reading a notebook's parameters.

The kernel starts in ``notebooks/`` (papermill's resources path), not by papermill's ``cwd=``,
which changes the whole process's directory and would race with the other notebooks running
at the same time.
"""
from __future__ import annotations

from pathlib import Path

from helpers import paths


def parameters(notebook: Path) -> dict:
    """Names and defaults of a notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


def execute(notebook: Path, out: Path, params: dict, *, progress: bool = False) -> str | None:
    """Run ``notebook`` with ``params`` injected and write the executed copy to ``out``.

    Returns None when every cell ran, else the error (``"RuntimeError: ..."``); the executed copy
    with the error is written either way when papermill got that far.
    """
    import papermill as pm

    try:
        pm.execute_notebook(str(notebook), str(out), parameters=params, kernel_name="python3",
                            resources={"metadata": {"path": str(paths.NOTEBOOKS)}},
                            progress_bar=progress, log_output=True, report_mode=False)
    except pm.PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}"
    except Exception as exc:          # a kernel that died, a notebook that cannot be read
        return f"{type(exc).__name__}: {exc}"
    return None
