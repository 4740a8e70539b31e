"""Executing one notebook with papermill, and reading a notebook's parameters.

The kernel starts in ``notebooks/`` (papermill's resources path), not by papermill's ``cwd=``,
which changes the whole process's directory and would race with the other notebooks running
at the same time.

Nothing a notebook's kernel writes reaches the terminal by itself. What the kernel process writes
to its own stdout and stderr (``[IPKernelApp] WARNING | Kernel is running over TCP without
encryption ...`` at start, ``KeyboardInterrupt caught in kernel`` at shutdown) goes into a pipe
and is logged line by line to :data:`KERNEL_LOG` (:func:`kernel_manager`); the notebook's own
output is logged by papermill (``log_output``, logger ``papermill``) and a failing cell's
traceback to :data:`LOG`. The runner writes these loggers to the run's ``run.log`` and shows
them on the console with ``--verbose`` (:mod:`helpers.runner.run`).

A kernel on this Python is forked from a process that has imported the notebooks' libraries once
(:mod:`helpers.runner.zygote`; about five CPU seconds saved a notebook) where that works (Linux), and otherwise
started as a process of its own; ``CRM_FORK_KERNELS=0`` in the environment always starts them.

papermill writes the whole executed notebook at every cell's start and end (about sixty writes of a
notebook whose plotly outputs weigh megabytes: a third of a batch's CPU went there). :data:`ENGINE`
writes it at most every :data:`SAVE_SECONDS` while it runs, and always at the end, failed or not, so a
failing cell's traceback and everything before it are still on disk.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from helpers import paths
from helpers.runner import zygote

#: A notebook's execution: a failing cell's traceback, a kernel that could not run the notebook.
LOG = logging.getLogger("helpers.runner.execute")
#: What the kernel processes write to their stdout and stderr, one record per line: ``<notebook> kernel: <line>``.
KERNEL_LOG = logging.getLogger("helpers.runner.kernel")
#: Seconds :func:`execute` waits, once the notebook ran, for the kernel's last lines to be logged.
FLUSH_SECONDS = 10.0
#: Seconds between two writes of the executed notebook while it runs (see the module docstring).
SAVE_SECONDS = 20.0
#: The papermill engine :func:`execute` runs notebooks with (registered by :func:`sparse_saves_engine`).
ENGINE = "crm-sparse-saves"


#: jupyter_client's error for a kernel that died before answering, i.e. before any cell ran: retried this many times
START_FAILURE = "Kernel died before replying to kernel_info"
START_RETRIES = 1


def parameters(notebook: Path) -> dict:
    """Names and defaults of a notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


def forward(stream: BinaryIO, label: str) -> threading.Thread:
    """Log every line read from ``stream`` to :data:`KERNEL_LOG` as ``<label> kernel: <line>`` (level
    WARNING: it is the kernel's stderr) in a daemon thread, until end of file; the stream is closed then."""
    def pump() -> None:
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    KERNEL_LOG.warning("%s kernel: %s", label, line)

    thread = threading.Thread(target=pump, name=f"kernel-output-{label}", daemon=True)
    thread.start()
    return thread


#: Loggers written to a run's ``run.log`` (and to the console with ``--verbose``) and to a course pack's
#: ``course.log``: the package's, among them the runner's and the notebook kernels' own output (:data:`KERNEL_LOG`),
#: the notebooks' output (papermill), nbconvert's (traitlets) and this process's Python warnings.
RUN_LOGGERS = ("helpers", "papermill", "traitlets", "py.warnings")


def attach(handler: logging.Handler) -> logging.Handler:
    """``handler`` on every logger of :data:`RUN_LOGGERS` (the package's and papermill's from INFO up)."""
    for name in RUN_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    for name in ("helpers", "papermill"):
        logging.getLogger(name).setLevel(logging.INFO)
    return handler


def detach(handler: logging.Handler) -> None:
    """Take ``handler`` off :data:`RUN_LOGGERS` and close it."""
    for name in RUN_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def log_to(path: Path) -> logging.Handler:
    """Write :data:`RUN_LOGGERS` to the file ``path`` (a run's ``run.log``) until :func:`detach`."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return attach(handler)


#: The module that starts a kernel (``python -m``), and the one this project starts in its place when the
#: kernel runs on this Python: the same kernel, without the interpreter's teardown at exit
#: (:mod:`helpers.runner.kernel_launcher`).
IPYKERNEL_LAUNCHER, KERNEL_LAUNCHER = "ipykernel_launcher", "helpers.runner.kernel_launcher"
#: Whether :data:`KERNEL_LAUNCHER` kernels are forked from a process that imported their libraries once
#: (:mod:`helpers.runner.zygote`, where it can: Linux) instead of started as processes of their own.
FORK_KERNELS = os.environ.get("CRM_FORK_KERNELS", "1") != "0"


def launch_command(kernel_cmd: list[str]) -> list[str]:
    """``kernel_cmd`` with :data:`KERNEL_LAUNCHER` for ipykernel's launcher when the kernel runs on this Python;
    any other command (another Python, another kernel) unchanged."""
    if kernel_cmd[:3] == [sys.executable, "-m", IPYKERNEL_LAUNCHER]:
        return [sys.executable, "-m", KERNEL_LAUNCHER, *kernel_cmd[3:]]
    return list(kernel_cmd)


def prestart_kernels() -> None:
    """When kernels are forked (:data:`FORK_KERNELS`), start the zygote they will be forked from now, in the
    background, with this process's environment (the one jupyter_client gives its kernels)."""
    if FORK_KERNELS:
        zygote.prestart(dict(os.environ))


def kernel_manager(label: str) -> type:
    """A jupyter_client kernel manager class whose kernels write stdout and stderr into a pipe read by
    :func:`forward` under ``label`` (jupyter_client otherwise starts them on this process's terminal), started
    by :func:`launch_command`.

    A fresh class per notebook, since papermill takes a class and not an instance; its ``readers``
    lists the threads forwarding its kernels' output (one per kernel start).
    """
    from jupyter_client import AsyncKernelManager

    class PipedKernelManager(AsyncKernelManager):
        readers: list[threading.Thread] = []

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            read, write = os.pipe()
            cmd = launch_command(kernel_cmd)
            try:
                forked = zygote.spawn(cmd, cwd=kw.get("cwd"), env=kw["env"], output=write) \
                    if FORK_KERNELS and cmd[:3] == [sys.executable, "-m", KERNEL_LAUNCHER] and kw.get("env") else None
                if forked is None:
                    await super()._async_launch_kernel(cmd, **{**kw, "stdout": write, "stderr": write})
                else:
                    # what jupyter_client's local provisioner records of a process it started
                    prov = self.provisioner
                    prov.process, prov.pid, prov.pgid, prov.cwd = forked, forked.pid, forked.pid, kw.get("cwd")
                    self._reconcile_connection_info(prov.connection_info)
            except BaseException:
                os.close(read)
                raise
            finally:
                os.close(write)                        # the kernel holds the only writing end now
            type(self).readers.append(forward(os.fdopen(read, "rb"), label))

    return PipedKernelManager


@contextlib.contextmanager
def piped_kernel(label: str):
    """:func:`kernel_manager` of ``label`` for one notebook's execution; when the block ends, waits up to
    :data:`FLUSH_SECONDS` per kernel for the forwarding threads, so the kernel's last lines are logged."""
    manager = kernel_manager(label)
    try:
        yield manager
    finally:
        for reader in manager.readers:
            reader.join(FLUSH_SECONDS)


def sparse_saves_engine() -> str:
    """Register :data:`ENGINE` with papermill and return its name: papermill's nbclient engine whose
    notebook is written at most every :data:`SAVE_SECONDS` while running, and always when it ends."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SparseSaves(NotebookExecutionManager):
        def save(self, **kwargs) -> None:
            if self.end_time is not None or (self.now() - self.last_save_time).total_seconds() >= SAVE_SECONDS:
                super().save(**kwargs)

    class SparseSavesEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            nb_man = SparseSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                 autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE, SparseSavesEngine)
    return ENGINE


def execute(notebook: Path, out: Path, params: dict, *, progress: bool = False) -> str | None:
    """Run ``notebook`` with ``params`` injected and write the executed copy to ``out``; ``progress``
    shows a bar of its cells while it runs.

    Returns None when every cell ran, else the error (``"RuntimeError: ..."``); the executed copy
    with the error is written either way when papermill got that far, and the full traceback is
    logged to :data:`LOG`. The kernel's own output is logged to :data:`KERNEL_LOG`.
    """
    import papermill as pm

    with piped_kernel(notebook.stem) as manager:
        try:
            for attempt in range(1 + START_RETRIES):
                try:
                    pm.execute_notebook(str(notebook), str(out), parameters=params, kernel_name="python3",
                                        resources={"metadata": {"path": str(paths.NOTEBOOKS)}},
                                        progress_bar={"desc": notebook.stem, "leave": False} if progress else False,
                                        log_output=True, report_mode=False,
                                        kernel_manager_class=manager, engine_name=sparse_saves_engine())
                    break
                except RuntimeError as exc:
                    # a kernel that dies before its first reply ran no cell: most often a port another process
                    # took between jupyter_client choosing it and the kernel binding it ("Address already in use")
                    if START_FAILURE not in str(exc) or attempt == START_RETRIES:
                        raise
                    LOG.warning("%s: the kernel died while starting (%s); starting a new one", notebook.stem, exc)
        except pm.PapermillExecutionError as exc:
            LOG.error("%s failed:%s", notebook.stem, exc)
            return f"{exc.ename}: {exc.evalue}"
        except Exception as exc:          # a kernel that died, a notebook that cannot be read
            LOG.error("%s could not be executed", notebook.stem, exc_info=True)
            return f"{type(exc).__name__}: {exc}"
    return None
