"""One side of one comparison, in its own process: ``python -m bench.worker SPEC.json``.

The spec (written by :mod:`bench.measure`) names the case, the side, the inputs, the number
of repeats and where to write. The worker runs the side's untimed ``setup`` once and
``warmup`` untimed runs, then the timed ``run`` ``repeats`` times (wall and CPU seconds each;
CPU counts every thread of this process, not a Spark JVM), writes the last run's results
(frames as parquet, the rest as JSON) into ``out_dir`` and its measurements into
``result_json``. Running each side in a fresh
process keeps one side's memory and caches out of the other's figures.
"""
from __future__ import annotations

import gc
import json
import resource
import sys
import time
import traceback
import warnings
from pathlib import Path

import pandas as pd


def _maxrss_mb() -> float:
    """High-water mark of this process's resident memory since its exec (MB).

    ``/proc/self/status`` VmHWM belongs to the process's own address space. ``getrusage``'s
    ``ru_maxrss`` is not used: Linux carries into it the resident size of the forked copy of
    the parent at exec, so a large parent would raise every child's figure.
    """
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def save_results(results: dict, folder: Path) -> None:
    """Frames -> ``<name>.parquet``; everything else -> ``values.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {}
    for name, value in results.items():
        if isinstance(value, pd.DataFrame):
            frame = value.copy()
            for c in frame.columns:
                if frame[c].dtype == object:
                    frame[c] = frame[c].astype("string")
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            values[name] = value
    (folder / "values.json").write_text(json.dumps(values, indent=1, default=str), encoding="utf-8")


def load_results(folder: Path) -> dict:
    """Inverse of :func:`save_results`."""
    folder = Path(folder)
    out = json.loads((folder / "values.json").read_text(encoding="utf-8"))
    for p in folder.glob("*.parquet"):
        out[p.stem] = pd.read_parquet(p)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    report: dict = {"case": spec["case"], "side": spec["side"], "times": [], "cpu": []}
    out = Path(spec["result_json"])
    try:
        warnings.simplefilter("ignore")
        from bench.cases import CASES

        side = CASES[spec["case"]].sides[spec["side"]]
        inputs = spec["inputs"]
        t0 = time.perf_counter()
        state = side.setup(inputs) if side.setup else None
        report["setup_seconds"] = time.perf_counter() - t0
        gc.collect()
        report["rss_before_mb"] = _maxrss_mb()
        results = None
        report["warmup_times"] = []
        for i in range(int(spec.get("warmup", 0))):     # not in the figure: one-off costs (file cache, first plans)
            t1 = time.perf_counter()
            side.run(inputs, state)
            report["warmup_times"].append(time.perf_counter() - t1)
        for i in range(int(spec.get("repeats", 1))):
            results = None
            gc.collect()
            c0, t1 = time.process_time(), time.perf_counter()
            results = side.run(inputs, state)
            report["times"].append(time.perf_counter() - t1)
            report["cpu"].append(time.process_time() - c0)
        report["rss_peak_self_mb"] = _maxrss_mb()
        save_results(results, Path(spec["out_dir"]))
        report["ok"] = True
    except BaseException as exc:  # report every failure (MemoryError included) to the parent
        report["ok"] = False
        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc()[-4000:]
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
