"""Run a command as a child process and measure its wall time and peak memory.

Peak memory is taken two ways and the larger is reported:

* the worker's own high-water mark of resident memory (``VmHWM`` of ``/proc/self/status``,
  written by :mod:`bench.worker`): exact for that process, but one process only;
* ``tree``: the sum of resident memory over the child and all its descendants (a Spark JVM,
  Jupyter kernels), sampled every ``interval`` seconds with psutil: sums processes, but can
  miss a spike shorter than the interval.

``os.wait4``'s ``ru_maxrss`` is kept in the JSON (``maxrss_mb``) but not used: Linux counts
in it the resident size of the forked copy of the parent at exec, so a parent that has grown
(this runner after reading a large table) would raise every child's figure.

A child that runs past ``timeout`` seconds or whose tree grows past ``mem_cap_mb`` is
killed (itself and its descendants, by process id) and reported as not finished, with why.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ProcessRun:
    returncode: int | None = None
    wall: float = 0.0
    maxrss_mb: float = 0.0
    tree_peak_mb: float = 0.0
    killed: str | None = None                     # why the child was stopped, or None
    procs: list[dict] = field(default_factory=list)  # per descendant: pid, ppid, started, cmd, peak_mb

    @property
    def peak_mb(self) -> float:
        return self.tree_peak_mb

    def to_dict(self) -> dict:
        d = asdict(self)
        d["peak_mb"] = self.peak_mb
        return d


def _kill_tree(pid: int) -> None:
    """Kill a process we started and its descendants, each by its id."""
    import psutil

    try:
        parent = psutil.Process(pid)
        kids = parent.children(recursive=True)
    except psutil.NoSuchProcess:
        return
    for p in [*kids, parent]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def run_process(cmd: list[str], *, timeout: float = 1800.0, mem_cap_mb: float | None = None,
                log: Path | None = None, interval: float = 0.2, env: dict | None = None,
                cwd: Path = ROOT) -> ProcessRun:
    """Run ``cmd``, sample its process tree, return a :class:`ProcessRun`."""
    import psutil

    res = ProcessRun()
    logf = open(log, "wb") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=str(cwd), stdout=logf, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    seen: dict[int, dict] = {}
    stop = threading.Event()

    def sample():
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            total = 0.0
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in family:
                try:
                    rss = p.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                total += rss
                info = seen.get(p.pid)
                if info is None:
                    try:
                        cmdline = " ".join(p.cmdline())[:300]
                        started, ppid = p.create_time(), p.ppid()
                    except psutil.Error:
                        cmdline, started, ppid = "", time.time(), None
                    info = seen[p.pid] = {"pid": p.pid, "ppid": ppid, "started": started, "cmd": cmdline,
                                          "peak_mb": 0.0}
                info["peak_mb"] = max(info["peak_mb"], rss)
            res.tree_peak_mb = max(res.tree_peak_mb, total)
            elapsed = time.perf_counter() - t0
            if mem_cap_mb and total > mem_cap_mb and res.killed is None:
                res.killed = f"stopped at {total / 1024:.1f} GB of memory (cap {mem_cap_mb / 1024:.0f} GB)"
                _kill_tree(proc.pid)
            elif elapsed > timeout and res.killed is None:
                res.killed = f"stopped after {elapsed:.0f} s (time limit {timeout:.0f} s)"
                _kill_tree(proc.pid)
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    res.wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here; tell Popen so it does not wait again
    stop.set()
    thread.join()
    if log:
        logf.close()
    res.returncode = proc.returncode
    res.maxrss_mb = usage.ru_maxrss / 1024.0
    res.procs = sorted(seen.values(), key=lambda d: d["started"])
    # a grandchild still alive after its parent ended (e.g. a JVM) is ours to stop
    for info in res.procs:
        try:
            if psutil.pid_exists(info["pid"]) and info["pid"] != proc.pid:
                p = psutil.Process(info["pid"])
                if abs(p.create_time() - info["started"]) < 1e-3:
                    p.kill()
        except psutil.Error:
            pass
    return res


def run_side(case: str, side: str, inputs: dict, *, repeats: int, workdir: Path, timeout: float,
             mem_cap_mb: float | None, warmup: int = 0) -> dict:
    """Run one side of a case in a fresh worker process (``warmup`` untimed runs, then ``repeats`` timed ones);
    return its measurements.

    Returns a dict with ``ok``, ``times`` (seconds per repeat), ``cpu``, ``setup_seconds``,
    ``rss_before_mb``, ``peak_mb`` (see the module docstring), ``out_dir`` (the results),
    ``error`` / ``killed`` when it did not finish, and ``log``.
    """
    tag = f"{case}-{side}"
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / f"{tag}.spec.json"
    result_json = workdir / f"{tag}.result.json"
    out_dir = workdir / f"{tag}.out"
    result_json.unlink(missing_ok=True)
    spec = {"case": case, "side": side, "inputs": inputs, "repeats": repeats, "warmup": warmup,
            "result_json": str(result_json), "out_dir": str(out_dir)}
    spec_path.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
    run = run_process([sys.executable, "-m", "bench.worker", str(spec_path)], timeout=timeout,
                      mem_cap_mb=mem_cap_mb, log=workdir / f"{tag}.log",
                      env={"PYTHONWARNINGS": "ignore", "TQDM_DISABLE": "1"})
    rep = {"ok": False}
    if result_json.exists():
        rep = json.loads(result_json.read_text(encoding="utf-8"))
    rep.update(run.to_dict())
    rep["peak_mb"] = max(run.tree_peak_mb, rep.get("rss_peak_self_mb") or 0.0)
    rep.pop("procs", None)
    rep["out_dir"] = str(out_dir)
    rep["log"] = str(workdir / f"{tag}.log")
    if run.killed:
        rep["ok"] = False
        rep["error"] = f"could not finish: {run.killed}"
    elif not result_json.exists():
        rep["ok"] = False
        rep["error"] = f"the worker ended without a result (exit code {run.returncode}); see {rep['log']}"
    return rep


def scratch_dir(prefix: str = "crm-bench-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
