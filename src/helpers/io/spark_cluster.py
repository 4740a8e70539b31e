"""A Spark standalone cluster on this machine: one master and one worker bound to 127.0.0.1.

Started from the jars the ``pyspark`` package ships (``pyspark/jars``) with the ``java`` on PATH,
so nothing is downloaded. The JVMs run in the background; their logs and pid files go into one
folder (``data/processed/.spark-cluster`` unless told otherwise), and :func:`stop` ends them by
their pids. Use it to try ``engine.spark_master: spark://127.0.0.1:7077`` without a real cluster::

    python scripts/spark_cluster.py start      # master on 7077, a worker with 1 core and 1 GB
    python scripts/spark_cluster.py status
    python scripts/spark_cluster.py stop

The master's and the worker's own heaps are kept small (``daemon_memory``); the worker offers
``memory`` and ``cores`` to the applications, whose executors it starts as further JVMs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import paths
from helpers.errors import ConfigError

#: Where the logs, pid files and the worker's work folder go by default.
DEFAULT_DIR = paths.PROCESSED / ".spark-cluster"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Cluster:
    """A started cluster: its master URL and folder (logs ``master.log`` / ``worker.log``, pid files)."""

    url: str
    folder: Path
    master_pid: int
    worker_pid: int


def spark_home() -> Path:
    """The installed pyspark package (its ``jars`` folder holds Spark)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    """A TCP port nothing listens on right now (for a cluster that must not clash with another)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _answers(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child (ended, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ConfigError("a Spark cluster needs Java (17) on PATH; none found")
    return java


def _scala_version(home: Path) -> str:
    """The Scala version of the Spark jars (``spark-core_2.13-4.0.5.jar`` -> "2.13")."""
    for jar in (home / "jars").glob("spark-core_*.jar"):
        return jar.name.split("_", 1)[1].split("-", 1)[0]
    return "2.13"


def _launch(folder: Path, name: str, main: str, args: list[str], heap: str) -> int:
    home = spark_home()
    # C1 only and the serial collector: a daemon that mostly waits needs neither a JIT nor GC threads per core
    cmd = [_java(), f"-Xmx{heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", f"{home / 'conf'}:{home / 'jars' / '*'}",
           # the options Spark's own launcher adds for Java 17
           "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
           "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
           "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
           "-Dspark.ui.showConsoleProgress=false", main, *args]
    # SPARK_SCALA_VERSION: the worker's launcher of executors takes the jars folder of a package for a build tree otherwise
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_SCALA_VERSION": _scala_version(home),
           "SPARK_LOCAL_IP": HOST, "SPARK_LOCAL_HOSTNAME": "localhost",
           "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    log = open(folder / f"{name}.log", "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            cwd=folder, start_new_session=True)
    log.close()
    (folder / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def _wait(check, what: str, folder: Path, pid: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        if not _alive(pid):
            break
        time.sleep(0.2)
    tail = ""
    for log in sorted(folder.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-5:]
        tail += f"\n{log.name}: " + "\n  ".join(lines)
    stop(folder)
    raise RuntimeError(f"the Spark {what} did not come up within {timeout:.0f} s; last log lines:{tail}")


def start(folder: Path = DEFAULT_DIR, *, port: int = 7077, cores: int = 1, memory: str = "1g",
          daemon_memory: str = "256m", timeout: float = 60.0) -> Cluster:
    """Start a master on ``127.0.0.1:port`` and one worker offering ``cores`` and ``memory``; return
    once the worker has registered with the master. Web UIs get free ports; logs go to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    running = status(folder)
    if running:
        raise RuntimeError(f"a cluster started from {folder} is still running ({running}); stop it first")
    if _answers(port):
        raise RuntimeError(f"port {port} on {HOST} is taken; pick another (--port)")
    for log in folder.glob("*.log"):
        log.unlink()
    url = f"spark://{HOST}:{port}"
    master = _launch(folder, "master", "org.apache.spark.deploy.master.Master",
                     ["--host", HOST, "--port", str(port), "--webui-port", "0"], daemon_memory)
    _wait(lambda: _answers(port), "master", folder, master, timeout)
    work = folder / "work"
    work.mkdir(exist_ok=True)
    worker = _launch(folder, "worker", "org.apache.spark.deploy.worker.Worker",
                     ["--host", HOST, "--port", "0", "--webui-port", "0", "--cores", str(cores), "--memory", memory,
                      "--work-dir", str(work), url], daemon_memory)
    _wait(lambda: "Successfully registered with master" in _read(folder / "worker.log"), "worker", folder, worker,
          timeout)
    (folder / "url").write_text(url)
    return Cluster(url, folder, master, worker)


def _read(p: Path) -> str:
    try:
        return p.read_text(errors="replace")
    except OSError:
        return ""


def _pids(folder: Path) -> dict[str, int]:
    out = {}
    for name in ("worker", "master"):
        f = Path(folder) / f"{name}.pid"
        if f.is_file():
            try:
                out[name] = int(f.read_text().strip())
            except ValueError:
                pass
    return out


def status(folder: Path = DEFAULT_DIR) -> str:
    """"master 123 (spark://127.0.0.1:7077), worker 124" for the daemons still running, "" when none are."""
    running = {n: p for n, p in _pids(folder).items() if _alive(p)}
    url = _read(Path(folder) / "url").strip()
    parts = [f"{n} {p}" + (f" ({url})" if n == "master" and url else "") for n, p in sorted(running.items())]
    return ", ".join(parts)


def stop(folder: Path = DEFAULT_DIR, timeout: float = 20.0) -> None:
    """End the worker (which ends its executors) and the master started from ``folder``: SIGTERM to
    each process group, SIGKILL after ``timeout`` seconds; the pid files are removed."""
    for name, pid in _pids(folder).items():
        if _alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            end = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < end:
                time.sleep(0.2)
            if _alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        except ChildProcessError:
            pass
        (Path(folder) / f"{name}.pid").unlink(missing_ok=True)
    (Path(folder) / "url").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="spark_cluster", description="A local Spark standalone master and one worker "
                                 "on 127.0.0.1, from the pyspark package's jars.")
    ap.add_argument("action", choices=("start", "stop", "status"))
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"logs and pid files (default {DEFAULT_DIR})")
    ap.add_argument("--port", type=int, default=7077, help="the master's port (default 7077)")
    ap.add_argument("--cores", type=int, default=1, help="cores the worker offers (default 1)")
    ap.add_argument("--memory", default="1g", help="memory the worker offers to executors (default 1g)")
    args = ap.parse_args(argv)
    if args.action == "start":
        c = start(args.dir, port=args.port, cores=args.cores, memory=args.memory)
        print(f"Spark master {c.url} (pid {c.master_pid}), worker pid {c.worker_pid}; logs in {c.folder}")
        print(f"use it with: --set engine.backend=spark --set engine.spark_master={c.url}")
    elif args.action == "stop":
        stop(args.dir)
        print("stopped")
    else:
        s = status(args.dir)
        print(s or "not running")
        return 0 if s else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
