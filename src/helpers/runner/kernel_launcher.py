"""The notebook kernels of a batch: ipykernel's own launcher, ended without the interpreter's teardown.

``python -m helpers.runner.kernel_launcher -f <connection file>`` does what ``python -m ipykernel_launcher``
does (the command of the ``python3`` kernelspec, which :func:`helpers.runner.execute.kernel_manager`
replaces with this one), and when the kernel has shut down it runs what a normal exit runs for the
notebook's code (its threads are stopped or joined, then every ``atexit`` handler: the engine's scratch
folders, logging's flush, IPython's history) and ends the process with ``os._exit``.

What is skipped is the interpreter's own finalisation: freeing every module and object one by one. In a
kernel that imported pandas, Ibis and pymc-marketing it costs about 0.7 CPU seconds (measured
2026-12-06: ``/usr/bin/time`` of a script importing them, 4.1 against 3.4 CPU s), paid by every notebook
of every batch, for memory the operating system takes back at once anyway.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path


def _exit_code(code) -> int:
    """The process exit code of ``SystemExit(code)``: None is 0, an int itself, anything else (a message) 1."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def finish(code: int) -> None:
    """Everything a normal interpreter exit runs for the kernel's code, then ``os._exit(code)``: CPython's own two
    calls, in its order. ``threading._shutdown`` runs the threading exit hooks (``concurrent.futures`` stops the
    idle workers of a pool left open) and then joins the non-daemon threads; then the ``atexit`` handlers."""
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)


def main() -> None:
    # as ipykernel_launcher: no folder of this process's cwd on the path while the kernel loads
    # (IPython puts it back for the notebook's code)
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    try:
        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    finish(code)


if __name__ == "__main__":
    main()
