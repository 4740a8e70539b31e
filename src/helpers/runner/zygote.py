"""Notebook kernels forked from a process that has imported their libraries once.

Every notebook kernel of a batch imports the same libraries before its first result: ipykernel and IPython,
NumPy, pandas, pyarrow, DuckDB, Ibis, plotly, SciPy, scikit-learn. That is about five CPU seconds a kernel
(2026-12-06, this project's 2-core machine: scipy.stats 1.6, pandas 0.9, Ibis with DuckDB 0.9, scikit-learn 0.8,
plotly.express 0.7, ipykernel 0.4), paid again by every notebook of every run: the tiny config's batch of 15
notebooks took 144 CPU seconds (80 s) with started kernels and 89 (56 s) with forked ones. A *zygote* is a
process that imports them once
(:data:`PRELOAD`) and then forks one child per kernel: the child starts with every one of those modules loaded
and runs the same ``python -m helpers.runner.kernel_launcher -f <connection file>`` code a started kernel runs,
in the kernel's own folder and environment, with its output going where the runner reads it.

What a child shares with the zygote is the imported code of those libraries and nothing of the runner: the
zygote is a fresh ``python -m helpers.runner.zygote``, not a fork of the runner (whose modules a test may have
patched), and imports nothing of this project but this module (the project's paths follow the environment).
A library can read an environment variable when it is imported, so a zygote serves only kernels whose
environment equals the one it was started with, apart from :data:`PER_KERNEL` (variables no preloaded library
reads); a kernel with any other environment gets a zygote of its own (:func:`spawn`).

Linux only (``os.fork`` after importing these libraries, ``os.pidfd_open`` to learn when a child ends); elsewhere,
or when a zygote cannot start, kernels start as processes of their own, as before (:func:`spawn` returns None).

Protocol (one Unix socket pair per zygote, one per kernel): the runner sends a JSON request (command, folder,
environment) with two file descriptors, the kernel's output and the kernel's end of a socket pair; the zygote
forks, answers the child's process id on the control socket, and when the child ends writes its exit code to the
kernel's socket. A zygote ends when its control socket closes (the runner ended): it kills the children it still
has and exits.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading

LOG = logging.getLogger("helpers.runner.zygote")

#: Imported by a zygote before it forks: what (nearly) every notebook kernel imports from outside this project.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "numpy", "pandas", "pyarrow", "pyarrow.parquet",
           "duckdb", "ibis", "ibis.backends.duckdb", "plotly.graph_objects", "plotly.io", "plotly.express",
           "scipy.stats", "scipy.optimize", "sklearn.cluster", "sklearn.preprocessing", "sklearn.metrics")
#: Environment variables that may differ between the kernels one zygote serves: set in the child before the
#: kernel's code runs, read by no preloaded library (jupyter_client's parent process, the engine's scratch folder,
#: the test pytest is running).
PER_KERNEL = ("JPY_PARENT_PID", "CRM_SCRATCH_DIR", "PYTEST_CURRENT_TEST")
#: Zygotes kept at once by one process: starting one for another environment ends the least recently used one
#: that has no kernel running.
MAX_ZYGOTES = 2
#: Seconds :func:`spawn` waits for a zygote to import :data:`PRELOAD` and for each fork's answer.
START_SECONDS = 120.0


def supported() -> bool:
    """Whether kernels can be forked here (Linux, with ``os.pidfd_open``)."""
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")


def env_key(env: dict) -> tuple:
    """The part of ``env`` a zygote must have been started with to serve it: all but :data:`PER_KERNEL`."""
    return tuple(sorted((k, v) for k, v in env.items() if k not in PER_KERNEL))


# ------------------------------------------------------------------------------------------ runner side
class ForkedKernel:
    """A kernel forked by a zygote, as jupyter_client's local provisioner handles a ``Popen``: ``pid``, ``poll``,
    ``wait``, ``send_signal``, ``kill``, ``terminate``; no pipes of its own (its output goes where the runner
    gave it). The child leads its own process group, so the provisioner's group signals reach it."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, status: socket.socket):
        self.pid, self.returncode, self._status = pid, None, status
        self._lock = threading.Lock()              # its notebook's thread and a zygote's busy() both ask

    def _read(self, timeout: float | None) -> int | None:
        with self._lock:
            if self.returncode is None:
                self._status.settimeout(timeout)
                try:
                    data = self._status.recv(16)
                except (TimeoutError, BlockingIOError):
                    return None
                self.returncode = int(data) if data.strip() else -signal.SIGKILL
                self._status.close()
            return self.returncode

    def poll(self) -> int | None:
        return self._read(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._read(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """One zygote process, started with ``env`` (:func:`spawn` keeps one per environment)."""

    def __init__(self, env: dict):
        self._ctl, theirs = socket.socketpair()
        self._lock = threading.Lock()
        self.kernels: list[ForkedKernel] = []
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(theirs.fileno())], env=env,
                                        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        theirs.close()
        self._ctl.settimeout(START_SECONDS)
        try:
            ready = self._ctl.recv(64)
        except OSError:
            self.close()
            raise
        if ready != b"ready\n":
            self.close()
            said = "ended before it was ready" if not ready else f"answered {ready!r} instead of ready"
            raise RuntimeError(f"the kernel zygote did not start: it {said}. Its last words: {self.error}")

    @property
    def error(self) -> str:
        """The end of what the zygote wrote to stderr (read once it has ended)."""
        if self.process.poll() is None or not self.process.stderr or self.process.stderr.closed:
            return ""
        return self.process.stderr.read().decode("utf-8", "replace").strip()[-500:]

    def fork(self, cmd: list[str], *, cwd: str | None, env: dict, output: int) -> ForkedKernel:
        """A kernel running ``cmd`` (``python -m <module> <args>`` of this Python) in ``cwd`` with ``env``, its
        stdout and stderr on the file descriptor ``output`` (the caller keeps and closes its own copy)."""
        mine, theirs = socket.socketpair()
        request = json.dumps({"module": cmd[2], "args": cmd[3:], "cwd": cwd, "env": env}).encode()
        try:
            with self._lock:
                socket.send_fds(self._ctl, [struct.pack("!I", len(request)), request], [output, theirs.fileno()])
                answer = self._ctl.recv(32)
                if not answer.strip().isdigit():
                    mine.close()
                    raise RuntimeError(f"the kernel zygote did not fork: {answer!r}")
                kernel = ForkedKernel(int(answer), mine)
                # under the lock: a kernel left out of this list would let busy() say no while it runs
                self.kernels = [k for k in self.kernels if k.poll() is None] + [kernel]
        finally:
            theirs.close()
        return kernel

    def busy(self) -> bool:
        """Whether a kernel it forked is still running."""
        with self._lock:
            return any(k.poll() is None for k in self.kernels)

    def close(self) -> None:
        """Close the control socket (the zygote then ends) and wait for the zygote to end."""
        self._ctl.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_zygotes: dict[tuple, Zygote | None] = {}
_zygotes_lock = threading.Lock()


def _zygote_for(env: dict) -> Zygote | None:
    """The zygote of ``env`` (:func:`env_key`), started now if this process has none (ending the least recently
    used idle one beyond :data:`MAX_ZYGOTES`); None when it could not start (logged once)."""
    key = env_key(env)
    with _zygotes_lock:
        if key in _zygotes:
            _zygotes[key] = _zygotes.pop(key)                 # the most recently used last
            return _zygotes[key]
        idle = [k for k, z in _zygotes.items() if z is None or not z.busy()]
        for old in idle[:max(0, len(_zygotes) - MAX_ZYGOTES + 1)]:
            if (z := _zygotes.pop(old)) is not None:
                z.close()
        try:
            _zygotes[key] = Zygote({k: v for k, v in env.items() if k not in PER_KERNEL})
        except (OSError, RuntimeError) as exc:
            LOG.warning("kernels start as processes of their own: %s", exc)
            _zygotes[key] = None
        return _zygotes[key]


def prestart(env: dict) -> None:
    """Start the zygote of ``env`` in a background thread, so that the first kernel forked from it does not wait
    for its imports (the runner calls it before preparing the data)."""
    if supported():
        threading.Thread(target=_zygote_for, args=(dict(env),), name="kernel-zygote", daemon=True).start()


def spawn(cmd: list[str], *, cwd: str | None, env: dict, output: int) -> ForkedKernel | None:
    """``cmd`` (``[sys.executable, "-m", module, *args]``) forked from the zygote of ``env`` (started on first
    use, kept until this process ends), or None when it cannot be: not :func:`supported`, another command, or a
    zygote that failed to start (logged once; that environment's kernels then start as processes of their own)."""
    if not supported() or len(cmd) < 3 or cmd[0] != sys.executable or cmd[1] != "-m":
        return None
    zygote = _zygote_for(env)
    if zygote is None:
        return None
    try:
        return zygote.fork(cmd, cwd=cwd, env=env, output=output)
    except (OSError, RuntimeError) as exc:
        LOG.warning("kernel started as a process of its own: %s", exc)
        return None


@atexit.register
def close_all() -> None:
    """End every zygote of this process (their kernels have ended with the runs that started them)."""
    with _zygotes_lock:
        for zygote in _zygotes.values():
            if zygote is not None:
                zygote.close()
        _zygotes.clear()


# ------------------------------------------------------------------------------------------ zygote side
def _child(request: dict, output: int, zygote_fds: list[int]) -> None:
    """In the forked child: close the zygote's descriptors ``zygote_fds`` and become the kernel process
    ``python -m <module> <args>`` would be."""
    import random
    import runpy

    try:
        os.setsid()
        for fd in zygote_fds:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(null)
        os.close(output)
        signal.signal(signal.SIGINT, signal.default_int_handler)   # as Python starts (the zygote ignores it)
        os.chdir(request["cwd"] or os.getcwd())
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())     # ipykernel ends the kernel when its parent ends
        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.argv = [request["module"], *request["args"]]
        sys.path[0] = os.getcwd()                             # as `python -m` puts it
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:                                     # noqa: BLE001 - the child must never return
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _receive(ctl: socket.socket) -> tuple[dict, list[int]] | None:
    head, fds, _, _ = socket.recv_fds(ctl, 4, 2)
    if not head:
        return None
    (size,) = struct.unpack("!I", head)
    body = b""
    while len(body) < size:
        chunk = ctl.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body), list(fds)


def serve(ctl_fd: int) -> None:
    """The zygote: import :data:`PRELOAD`, say ready, fork a kernel per request until the control socket closes."""
    import gc
    import importlib

    ctl = socket.socket(fileno=ctl_fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)               # the terminal's Ctrl-C is the runner's to handle
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:                           # noqa: BLE001 - a library missing here fails in the kernel, named
            pass
    gc.collect()
    gc.freeze()                                               # the children do not copy these pages to collect them
    ctl.sendall(b"ready\n")
    null = os.open(os.devnull, os.O_WRONLY)                   # nobody reads the pipe of its stderr from now on
    os.dup2(null, 2)
    os.close(null)
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ)
    children: dict[int, tuple[int, socket.socket]] = {}       # pidfd -> (pid, status socket)
    while True:
        for key, _ in sel.select():
            if key.fileobj is ctl:
                got = _receive(ctl)
                if got is None:
                    for pid, _status in children.values():
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    return
                request, (output, status_fd) = got
                status = socket.socket(fileno=status_fd)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    sel.close()
                    _child(request, output, [ctl.fileno(), status_fd, *children]
                           + [s.fileno() for _, s in children.values()])
                os.close(output)
                pidfd = os.pidfd_open(pid)
                children[pidfd] = (pid, status)
                sel.register(pidfd, selectors.EVENT_READ)
                ctl.sendall(f"{pid}\n".encode())
            else:
                pidfd = key.fd
                pid, status = children.pop(pidfd)
                sel.unregister(pidfd)
                os.close(pidfd)
                _, wstatus = os.waitpid(pid, 0)
                try:
                    status.sendall(str(os.waitstatus_to_exitcode(wstatus)).encode())
                except OSError:
                    pass
                status.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
