"""The kernels of a batch start through :mod:`helpers.runner.kernel_launcher` and skip only the interpreter's
teardown: what a normal exit runs for the notebook's code still runs."""
from __future__ import annotations

import time

import pytest

from helpers.runner import execute
from helpers.runner.kernel_launcher import _exit_code
from tests.fixtures.runner import fake_notebook


@pytest.mark.parametrize("code, expected", [(None, 0), (0, 0), (3, 3), ("a message", 1)])
def test_the_exit_code_is_the_one_sys_exit_would_give(code, expected):
    assert _exit_code(code) == expected


@pytest.mark.slow
def test_a_kernel_ends_after_its_exit_handlers_and_threads_have_run(tmp_path):
    """The launcher skips the interpreter's teardown, not what a normal exit runs: the notebook's ``atexit``
    handler and its non-daemon thread (which outlives the last cell) both write their file before the process
    ends, and the kernel ran as :mod:`helpers.runner.kernel_launcher`."""
    handler, thread, main = (tmp_path / n for n in ("atexit.txt", "thread.txt", "main.txt"))
    fake_notebook(tmp_path, "95_exit",
                  "import atexit, threading, time\n"
                  f"atexit.register(lambda: open({str(handler)!r}, 'w').write('handler ran'))\n"
                  f"threading.Thread(target=lambda: (time.sleep(1.5), open({str(thread)!r}, 'w').write('thread ran')),"
                  " daemon=False).start()\n"
                  f"import os, sys\nopen({str(main)!r}, 'w').write(os.path.basename(sys.argv[0]))")
    assert execute.execute(tmp_path / "95_exit.ipynb", tmp_path / "95_out.ipynb", {}) is None
    assert main.read_text() == "kernel_launcher.py"
    assert handler.read_text() == "handler ran"
    assert thread.read_text() == "thread ran"


@pytest.mark.slow
def test_a_thread_pool_left_open_ends_with_the_kernel_as_at_a_normal_exit(tmp_path):
    """A notebook that leaves a ``ThreadPoolExecutor`` open (no ``with``, no ``shutdown``): at a normal exit
    ``concurrent.futures`` tells its idle workers to stop before the threads are joined, so the kernel still ends
    at once, its queued task done and its ``atexit`` handler run (joining the workers first would wait forever)."""
    task, handler = tmp_path / "task.txt", tmp_path / "atexit.txt"
    fake_notebook(tmp_path, "95_pool",
                  "import atexit, time\nfrom concurrent.futures import ThreadPoolExecutor\n"
                  f"atexit.register(lambda: open({str(handler)!r}, 'w').write('handler ran'))\n"
                  "pool = ThreadPoolExecutor(1)\n"
                  f"pool.submit(lambda: (time.sleep(1.0), open({str(task)!r}, 'w').write('task ran')))")
    started = time.monotonic()
    assert execute.execute(tmp_path / "95_pool.ipynb", tmp_path / "95_out.ipynb", {}) is None
    assert task.read_text() == "task ran"
    assert handler.read_text() == "handler ran"
    assert time.monotonic() - started < 60
