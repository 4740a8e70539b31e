"""Kernels forked from a zygote (:mod:`helpers.runner.zygote`): each child runs its module in its own folder and
environment, with its output where the runner reads it and its own exit code; signals reach it; a zygote serves
one environment, ends with its runner, and one that cannot start says why and leaves the kernels to start as
processes of their own."""
from __future__ import annotations

import os
import re
import select
import signal
import sys
import time

import pytest

from helpers.runner import execute, zygote
from tests.fixtures.runner import fake_notebook

pytestmark = pytest.mark.skipif(not zygote.supported(), reason="kernels are forked on Linux only")

CHILD = """import os, random, sys
print("out", os.getcwd(), os.environ.get("CRM_TEST_VAR"), os.environ.get("CRM_SCRATCH_DIR"), flush=True)
print("err", "pandas" in sys.modules, random.random(), file=sys.stderr, flush=True)
sys.exit(int(sys.argv[1]))
"""
SLEEPER = """import time
print("up", flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    """This process's environment with two test modules on the path (so the zygote is this module's own)."""
    mods = tmp_path_factory.mktemp("zygote_modules")
    (mods / "zchild.py").write_text(CHILD, encoding="utf-8")
    (mods / "zsleep.py").write_text(SLEEPER, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(mods), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "CRM_TEST_VAR": "a"}


def read_until(fd: int, done, seconds: float = 60.0) -> str:
    """What ``fd`` gives until ``done(text)`` or end of file, failing after ``seconds``."""
    text, end = b"", time.monotonic() + seconds
    while not done(text.decode()):
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        assert ready, f"nothing more after {seconds} s: {text!r}"
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        text += chunk
    return text.decode()


def fork(env: dict, module: str, *args: str, cwd) -> tuple[zygote.ForkedKernel, int]:
    read, write = os.pipe()
    try:
        kernel = zygote.spawn([sys.executable, "-m", module, *args], cwd=str(cwd), env=env, output=write)
    finally:
        os.close(write)
    assert kernel is not None
    return kernel, read


def test_the_zygote_key_leaves_out_only_the_per_kernel_variables():
    base = {"PATH": "/bin", "LANG": "C"}
    assert zygote.env_key({**base, "JPY_PARENT_PID": "1", "CRM_SCRATCH_DIR": "/a"}) == zygote.env_key(base)
    assert zygote.env_key({**base, "PYTHONPATH": "/x"}) != zygote.env_key(base)


@pytest.mark.slow
def test_a_child_runs_in_its_folder_and_environment_with_its_output_and_exit_code(env, tmp_path):
    """Two children of one zygote (their environments differ only in a per-kernel variable): each ran the module
    in its folder with its environment, printed to the pipe it was given (the only writer left, so the pipe ends
    when the child does), found pandas already imported, drew its own random numbers, and gave its exit code."""
    texts = []
    for n, code in enumerate((3, 0)):
        folder = tmp_path / f"k{n}"
        folder.mkdir()
        kernel, read = fork({**env, "CRM_SCRATCH_DIR": f"/scratch/{n}"}, "zchild", str(code), cwd=folder)
        with os.fdopen(read, "rb", closefd=True) as pipe:
            text = read_until(pipe.fileno(), lambda t: False)
        assert kernel.wait(60) == code and kernel.poll() == code
        assert f"out {folder} a /scratch/{n}" in text
        assert "err True " in text
        texts.append(text)
    draws = [re.search(r"err True (\S+)", t).group(1) for t in texts]
    assert draws[0] != draws[1]
    assert sum(z is not None for z in zygote._zygotes.values()) >= 1
    assert zygote.env_key(env) in zygote._zygotes


@pytest.mark.slow
def test_signals_reach_the_child_and_a_killed_child_says_so(env, tmp_path):
    kernel, read = fork(env, "zsleep", cwd=tmp_path)
    assert "up" in read_until(read, lambda t: "up" in t)
    assert kernel.poll() is None
    with pytest.raises(Exception, match="kernel"):
        kernel.wait(0.2)
    kernel.send_signal(signal.SIGINT)                # KeyboardInterrupt, as in a started kernel
    assert kernel.wait(60) == 1
    assert "KeyboardInterrupt" in read_until(read, lambda t: False)
    os.close(read)

    kernel, read = fork(env, "zsleep", cwd=tmp_path)
    read_until(read, lambda t: "up" in t)
    os.killpg(kernel.pid, signal.SIGTERM)            # the child leads its own group, as jupyter_client expects
    assert kernel.wait(60) == -signal.SIGTERM
    kernel.kill()                                    # an ended kernel is not signalled again
    os.close(read)


@pytest.mark.slow
def test_closing_a_zygote_ends_it_and_the_kernels_it_still_has(env, tmp_path):
    own = zygote.Zygote({**env, "CRM_TEST_VAR": "own"})
    read, write = os.pipe()
    kernel = own.fork([sys.executable, "-m", "zsleep"], cwd=str(tmp_path), env=env, output=write)
    os.close(write)
    read_until(read, lambda t: "up" in t)
    own.close()
    assert own.process.returncode == 0
    assert kernel.wait(60) == -signal.SIGKILL
    os.close(read)


def test_a_zygote_that_cannot_start_says_why_and_kernels_start_on_their_own(tmp_path, caplog):
    bad = {**os.environ, "PYTHONHOME": str(tmp_path / "no-python-here")}
    with pytest.raises(RuntimeError,
                       match=r"(?s)did not start: it ended before it was ready.*No module named 'encodings'"):
        zygote.Zygote(bad)
    read, write = os.pipe()
    with caplog.at_level("WARNING", logger=zygote.LOG.name):
        assert zygote.spawn([sys.executable, "-m", "zchild", "0"], cwd=str(tmp_path), env=bad, output=write) is None
    os.close(read)
    os.close(write)
    assert "kernels start as processes of their own" in caplog.text
    assert zygote.spawn(["/usr/bin/env", "python3"], cwd=None, env=dict(os.environ), output=2) is None


@pytest.mark.slow
@pytest.mark.parametrize("fork_kernels", [True, False])
def test_a_notebook_kernel_is_forked_unless_turned_off(tmp_path, monkeypatch, fork_kernels):
    """The runner's kernel is a child of a zygote with pandas imported before the first cell (or, turned off, a
    process of its own started by the runner), and runs the project's kernel launcher either way."""
    monkeypatch.setattr(execute, "FORK_KERNELS", fork_kernels)
    seen = tmp_path / "seen.txt"
    fake_notebook(tmp_path, "95_fork",
                  "import os, sys\n"
                  "parent = open(f'/proc/{os.getppid()}/cmdline').read().replace(chr(0), ' ')\n"
                  f"open({str(seen)!r}, 'w').write(f'{{os.getppid()}}|{{parent}}|{{\"pandas\" in sys.modules}}|'\n"
                  "                               f'{os.path.basename(sys.argv[0])}')")
    assert execute.execute(tmp_path / "95_fork.ipynb", tmp_path / "95_out.ipynb", {}) is None
    ppid, parent, pandas, launcher = seen.read_text().split("|")
    assert launcher == "kernel_launcher.py"
    if fork_kernels:
        assert "-m helpers.runner.zygote " in parent and pandas == "True"
    else:
        assert int(ppid) == os.getpid() and pandas == "False"


@pytest.mark.slow
def test_a_prestarted_zygote_serves_the_first_kernel(env, tmp_path):
    """The runner starts the zygote while it prepares the data: the first kernel is forked from that one."""
    pre = {**env, "CRM_TEST_VAR": "pre"}
    zygote.prestart(pre)
    deadline = time.monotonic() + 60
    while zygote.env_key(pre) not in zygote._zygotes and time.monotonic() < deadline:
        time.sleep(0.1)
    started = zygote._zygotes[zygote.env_key(pre)]
    kernel, read = fork(pre, "zchild", "0", cwd=tmp_path)
    assert kernel.wait(60) == 0 and started.kernels[-1] is kernel
    assert "out " in read_until(read, lambda t: False)
    os.close(read)
