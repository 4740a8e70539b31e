"""`make bench`: time the project's engine path against pandas, lifetimes and mlxtend, check results equal.

Usage::

    python -m bench.run                                   # every size, as make bench does
    python -m bench.run --sizes default --repeats 1       # a quick look
    python bench/run.py --help

For each data size it prepares the data once (cached), then runs each comparison of
:mod:`bench.cases` side by side on the same input file: every side in a fresh process
(:mod:`bench.measure`), ``--repeats`` timed runs each (the median is reported), peak memory
per process tree. Results are checked equal before a time is reported; a mismatch is shown
as a failure in the table. It also runs the notebook batch (helpers.runner.run) on the default
data and on 1M lines, and writes ``reports/bench/bench.md`` and ``bench.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):                     # python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import measure, table  # noqa: E402
from bench.cases import CASES  # noqa: E402

ROOT = measure.ROOT


@dataclass
class Size:
    name: str
    title: str
    cases: tuple[str, ...]
    config: str | None = None              # a config file (relative to the project), or None: synthetic
    target_lines: int | None = None        # synthetic: lines to generate
    batch: bool = False                    # also run the notebook batch on it
    sides: dict[str, tuple[str, ...]] = field(default_factory=dict)   # case -> the sides run (default all)
    big: bool = False                      # uses --repeats-big
    export_lines: int | None = None        # a csv export of this many lines (bench.csvdata), read afresh each run


SIZES: dict[str, Size] = {
    "default": Size("default", "default synthetic shop (configs/default.yaml)",
                    ("summary", "rfm", "cohort", "pairs", "clv_fit", "clv_mcmc"),
                    config="configs/default.yaml", batch=True),
    "online_retail": Size("online_retail", "UCI Online Retail II extract (configs/online_retail_ii.yaml)",
                          ("summary", "rfm", "cohort", "pairs", "clv_fit"), config="configs/online_retail_ii.yaml"),
    "cdnow": Size("cdnow", "CDNOW master (configs/cdnow.yaml)", ("summary", "rfm", "cohort", "clv_fit"),
                  config="configs/cdnow.yaml"),
    "tiny": Size("tiny", "tiny synthetic test data (tests/fixtures/configs/tiny.yaml)",
                 ("summary", "rfm", "cohort", "pairs"), config="tests/fixtures/configs/tiny.yaml"),
    "1m": Size("1m", "synthetic, 1M lines", ("prepare", "summary", "rfm", "cohort", "pairs", "clv_fit",
                                             "clv_predict"),
               target_lines=1_000_000, batch=True, sides={"prepare": ("duckdb",)}),
    "10m": Size("10m", "synthetic, 10M lines", ("prepare", "summary", "rfm", "cohort", "pairs", "clv_predict",
                                                "engines"),
                target_lines=10_000_000, big=True),
}
# read + clean + customer tables from a csv export (bench/csvdata.py): generated on demand into data/raw/
for _n, _name in ((1_000_000, "csv1m"), (10_000_000, "csv10m"), (100_000_000, "100m")):
    SIZES[_name] = Size(_name, f"csv export, {_n // 1_000_000}M lines, read afresh"
                        + (" (on demand only: about 8 GB of csv, generated once)" if _name == "100m" else ""),
                        ("prepare",), export_lines=_n, big=_n > 1_000_000)
DEFAULT_SIZES = "default,online_retail,1m"
ALL_SIZES = "default,online_retail,1m,10m"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the project's engine path against pandas + lifetimes / mlxtend on the same input, "
                    "results checked equal first; writes reports/bench/bench.md and bench.json.",
        epilog="Sizes: " + "; ".join(f"{k}: {v.title}" for k, v in SIZES.items())
               + ". Synthetic data is generated once and cached in data/raw/.")
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"comma-separated data sizes (default {DEFAULT_SIZES}: fits 20 minutes on 2 cores; "
                         f"'all' = {ALL_SIZES}, about 15 minutes more; also: cdnow, tiny; csv1m, csv10m, 100m: "
                         "read + clean + customer tables from a csv export, generated on demand (100m: not in "
                         "'all', about 17 GB of disk and 20 minutes))")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per figure; the median is reported (default 3)")
    ap.add_argument("--repeats-big", type=int, default=1,
                    help="timed runs per figure at 10M lines (default 1); the figures a speed-up target stands on "
                         "(the customer summary) get --repeats-target")
    ap.add_argument("--repeats-target", type=int, default=5,
                    help="timed runs of the figures a speed-up target stands on (the customer summary), at every "
                         "size, after --warmup untimed runs; the median is reported (default 5)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs before a target's timed runs, on both sides (default 1)")
    ap.add_argument("--cases", default="", help=f"only these comparisons (comma-separated from {', '.join(CASES)})")
    ap.add_argument("--batch", default="default,1m",
                    help="sizes whose whole notebook batch is run and timed (default default,1m; '' for none); "
                         "a size not among --sizes runs its batch only")
    ap.add_argument("--batch-timeout", type=float, default=300,
                    help="the 1M-line notebook batch is stopped after this many seconds (the notebooks it finished "
                         "are reported; the target is 180 s); the default-data batch gets twice this (default 300)")
    ap.add_argument("--no-spark", action="store_true", help="skip the DuckDB vs Spark comparison")
    ap.add_argument("--min-support", type=float, default=0.001,
                    help="pair rules: minimum share of baskets holding the pair (default 0.001)")
    ap.add_argument("--mcmc-draws", type=int, default=200, help="MCMC draws per chain (default 200)")
    ap.add_argument("--mcmc-tune", type=int, default=200, help="MCMC tuning steps per chain (default 200)")
    ap.add_argument("--fit-sample", type=int, default=50_000,
                    help="CLV prediction: customers the MAP fit is made on before predicting all (default 50000)")
    ap.add_argument("--duckdb-memory-limit", default="",
                    help="also run prepare at 10M with engine.duckdb_memory_limit set to this, e.g. 512MB "
                         "(default: not run)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a side is stopped (default 900)")
    ap.add_argument("--mem-cap-gb", type=float, default=8,
                    help="a side whose processes grow past this many GB is stopped and marked not finished (default 8)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench", help="output folder (default reports/bench)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (per-side logs and results)")
    ap.add_argument("--from-json", type=Path, metavar="BENCH_JSON",
                    help="measure nothing: rewrite bench.md (and bench.json) in --out from an earlier bench.json")
    return ap


# ------------------------------------------------------------------------------ machine
def machine() -> dict:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    java = ""
    try:
        import subprocess

        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
        java = (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else ""
    except (OSError, Exception):
        java = "not found"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "java": java,
            "load_average_start": list(os.getloadavg())}


VERSION_PACKAGES = ("pandas", "numpy", "pyarrow", "duckdb", "ibis-framework", "pyspark", "pymc-marketing", "pymc",
                    "lifetimes", "mlxtend", "scipy", "autograd", "psutil")


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in VERSION_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


# -------------------------------------------------------------------------------- data
def _synthetic_config(size: Size, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench_{size.name}.yaml"
    path.write_text(f"# written by bench/run.py\nname: bench_{size.name}\ndata:\n  source: synthetic\n"
                    f"  synthetic: {{target_lines: {size.target_lines}}}\n"
                    "analysis: {period: month, time_unit: W}\n", encoding="utf-8")
    return path


def _missing_input(config: Path) -> str | None:
    from helpers.config import load_config

    cfg = load_config(config)
    p = cfg.data_path()
    if cfg.data.source != "synthetic" and p is not None and not Path(p).exists():
        return f"input file {p} is absent (shared data folder not here)"
    return None


def _generate(config: Path) -> float | None:
    """Generate the synthetic lines when not cached; the seconds it took, or None when cached."""
    from helpers.io import synth
    from helpers.config import load_config

    cfg = load_config(config)
    if cfg.data.source != "synthetic" or (synth.folder_for(cfg.data.synthetic) / "lines.parquet").exists():
        return None
    t0 = time.perf_counter()
    synth.ensure_synthetic(cfg.data.synthetic, progress=False)
    return time.perf_counter() - t0


def _prepared(config: Path):
    from helpers import pipeline

    return pipeline.prepare(config, progress=False)


# -------------------------------------------------------------------------------- steps
def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def run_case(case_name: str, size: Size, inputs: dict, args, workdir: Path, n_lines: int, log) -> list[dict]:
    """Every side of one case on one size; the peers' results are compared with the project's."""
    from bench.worker import load_results

    case = CASES[case_name]
    wanted = size.sides.get(case_name) or tuple(case.sides)
    # a target's ratio from one run at 10M moved between 7x and 11x with the machine's load: its figures are
    # medians of --repeats runs at every size (the summary is seconds on both sides)
    base_repeats = args.repeats_target if case.target else (args.repeats_big if size.big else args.repeats)
    warmup = args.warmup if case.target else 0
    rows: list[dict] = []
    project = None
    for side_name in case.sides:
        side = case.sides[side_name]
        repeats = min(base_repeats, side.max_repeats or base_repeats)
        row = {"size": size.name, "case": case_name, "title": case.title, "side": side_name, "label": side.label,
               "role": "project" if side_name == case.project else "peer", "note": side.note,
               "repeats": repeats, "load_average": os.getloadavg()[0]}
        if side_name not in wanted:
            continue
        if side.max_lines is not None and n_lines > side.max_lines:
            row.update(ok=False, status="not measured",
                       error=f"not run on more than {side.max_lines:,} lines (it would not fit the time budget)")
            rows.append(row)
            continue
        if case_name == "prepare" and side_name == "duckdb_limit" and not args.duckdb_memory_limit:
            continue
        if case_name == "engines" and side_name == "spark" and args.no_spark:
            row.update(ok=False, status="not measured", error="skipped (--no-spark)")
            rows.append(row)
            continue
        log(f"  {case_name} / {side_name} ...")
        rep = measure.run_side(case_name, side_name, inputs, repeats=repeats, workdir=workdir / size.name,
                               timeout=args.timeout, mem_cap_mb=args.mem_cap_gb * 1024, warmup=warmup)
        row.update({k: rep.get(k) for k in ("ok", "times", "warmup_times", "cpu", "setup_seconds", "rss_before_mb",
                                            "peak_mb", "maxrss_mb", "tree_peak_mb", "error")})
        row["median_s"] = _median(rep.get("times") or [])
        row["status"] = "ok" if rep.get("ok") else ("not finished" if rep.get("killed") else "failed")
        if rep.get("ok"):
            results = load_results(Path(rep["out_dir"]))
            row["values"] = {k: v for k, v in results.items() if not hasattr(v, "columns")}
            if side_name == case.project:
                project = results
            elif case.compare is not None and project is not None:
                equal, detail = case.compare(project, results)
                row["equal"], row["equal_detail"] = bool(equal), detail
                if not equal:
                    row["status"] = "results differ"
            elif case.compare is not None:
                row["equal"], row["equal_detail"] = None, "the project's side did not finish; nothing to compare"
        rows.append(row)
        extra = f" ({row['error']})" if row.get("error") else ""
        med = f"median {row['median_s']:.2f} s, " if row.get("median_s") is not None else ""
        log(f"    {row['status']}: {med}peak {row.get('peak_mb') or 0:,.0f} MB{extra}")
    # speed-up of each peer against the project's side (peer time / project time)
    proj = next((r for r in rows if r["role"] == "project" and r.get("median_s")), None)
    for r in rows:
        if r["role"] == "peer" and proj and r.get("median_s") and r.get("equal"):
            r["speedup"] = r["median_s"] / proj["median_s"]
    return rows


def _starts(run_log: Path) -> list[tuple[str, float]]:
    """(notebook, start time) in the order a runner's run.log says the notebooks started executing."""
    import re

    starts = []
    for line in run_log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d+) INFO helpers.runner.run: (\S+): executing", line)
        if m:
            t = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
            starts.append((m.group(3), t))
    return starts


def _log_times(run_log: Path, ended: float) -> list[dict]:
    """Per-notebook start times from a runner's run.log (for a run stopped before it wrote run.json)."""
    starts = _starts(run_log)
    out = []
    for i, (name, t) in enumerate(starts):
        last = i == len(starts) - 1
        end = ended if last else starts[i + 1][1]
        out.append({"name": name, "status": "stopped" if last else "ok", "seconds": end - t})
    return out


def is_kernel(cmd: str, parent_cmd: str = "") -> bool:
    """Whether a process of the batch (its command line, joined by spaces; ``parent_cmd`` its parent's) is a
    notebook's kernel: started by ipykernel's launcher or by the one the runner starts in its place
    (helpers.runner.execute.launch_command), or forked by a kernel zygote (helpers.runner.zygote: the child
    keeps the command line of the zygote it was forked from, which is itself a child of the runner)."""
    from helpers.runner import execute, zygote

    launched = any(f"-m {m} " in f"{cmd} " for m in (execute.IPYKERNEL_LAUNCHER, execute.KERNEL_LAUNCHER))
    return launched or all(f"-m {zygote.__name__} " in f"{c} " for c in (cmd, parent_cmd))


def attribute_kernels(notebooks: list[dict], kernels: list[dict], order: list[str]) -> None:
    """Set each executed notebook's ``kernel_peak_mb`` from the kernel processes (sorted by start time): the
    kernels start in the order the runner started the notebooks (``order``, from run.log), which is not the
    batch order of run.json when two run at once; skipped and reused notebooks have no kernel (None)."""
    executed = [nb for nb in notebooks if nb["status"] != "skipped" and not nb.get("reused")]
    executed.sort(key=lambda nb: order.index(nb["name"]) if nb["name"] in order else len(order))
    for nb in notebooks:
        nb["kernel_peak_mb"] = None
    for nb, k in zip(executed, kernels):
        nb["kernel_peak_mb"] = k["peak_mb"]


def _runner(config: Path, reports: Path) -> list[str]:
    """The batch command the bench times: every notebook of ``config``, re-executed, into ``reports``."""
    return [sys.executable, "-m", "helpers.runner.run", "--config", str(config), "--reports-dir", str(reports),
            "--force", "--no-progress"]


def _compiled_models() -> bool:
    """Whether PyTensor's compile cache (data/pytensor, :mod:`helpers.models.pymc_tools`) holds compiled code."""
    from helpers import paths

    return any((paths.DATA / "pytensor").rglob("*.so"))


def drop_stored_models(config: Path) -> str:
    """Remove the shared models stored for ``config``'s prepared data (``data/processed/<config>-<fp>/models``),
    so the batch measured includes the runner's model stage, as a scheduled run on new data does; ``--force``
    re-executes the notebooks but would read models fitted by an earlier run. Returns the folder removed, or ""."""
    from helpers import pipeline
    from helpers.config import load_config

    folder = pipeline.prepare(load_config(config), progress=False).folder / "models"
    if not folder.is_dir():
        return ""
    shutil.rmtree(folder)
    return str(folder)


def run_batch(size: Size, config: Path, args, workdir: Path, log) -> dict:
    """The whole notebook batch (helpers.runner.run --force) on a prepared config: time and memory per notebook.

    A batch still running after ``--batch-timeout`` seconds is stopped; the notebooks it finished
    are read from its run.log and the table says where it stopped.
    """
    reports = workdir / f"batch-{size.name}"
    limit = args.batch_timeout * (2 if size.name == "default" else 1)
    dropped = drop_stored_models(config)
    if dropped:
        log(f"  (stored shared models removed: the run fits them, as a run on new data does: {dropped})")
    first = None
    if not _compiled_models():
        # a fresh clone has no PyTensor compile cache: the first batch compiles the model graphs once (a one-off,
        # like generating the data); it is timed and shown apart, and the batch measured is the one after it
        log(f"  batch on {size.name}, first run in this checkout (PyTensor compile cache empty) ...")
        warm = measure.run_process(_runner(config, workdir / f"batch-{size.name}-first"), timeout=limit,
                                   mem_cap_mb=args.mem_cap_gb * 1024, log=workdir / f"batch-{size.name}-first.log",
                                   interval=0.5)
        first = {"wall_s": warm.wall, "returncode": warm.returncode}
        log(f"    first run {warm.wall:.0f} s (exit code {warm.returncode})")
        drop_stored_models(config)
    log(f"  batch on {size.name} (time limit {limit:.0f} s) ...")
    run = measure.run_process(_runner(config, reports), timeout=limit, mem_cap_mb=args.mem_cap_gb * 1024,
                              log=workdir / f"batch-{size.name}.log", interval=0.5)
    out = {"size": size.name, "wall_s": run.wall, "peak_mb": run.peak_mb, "maxrss_mb": run.maxrss_mb,
           "tree_peak_mb": run.tree_peak_mb, "returncode": run.returncode, "killed": run.killed,
           "timeout_s": limit, "notebooks": [], "first_run": first}
    cmds = {p["pid"]: p["cmd"] for p in run.procs}
    kernels = [p for p in run.procs if is_kernel(p["cmd"], cmds.get(p.get("ppid"), ""))]
    runs = sorted(p for p in reports.glob("*/run.json") if not p.parent.is_symlink())
    if runs:
        meta = json.loads(runs[-1].read_text(encoding="utf-8"))
        out["run_seconds"] = meta.get("seconds")
        out["ok"] = bool(meta.get("ok"))
        notebooks = [{"name": nb["name"], "status": nb["status"], "seconds": nb["seconds"],
                      "reused": bool(nb.get("reused_from")), "error": nb.get("error")} for nb in meta["notebooks"]]
    else:
        logs = sorted(reports.glob(".tmp-*/run.log"))
        notebooks = _log_times(logs[-1], time.time()) if logs else []
        out["ok"] = False
        out["error"] = (f"stopped after {run.wall:.0f} s (--batch-timeout)" if run.killed
                        else f"no run.json (exit code {run.returncode}); see {workdir / f'batch-{size.name}.log'}")
    logs = [r.parent / "run.log" for r in runs[-1:]] or sorted(reports.glob(".tmp-*/run.log"))[-1:]
    order = [name for name, _ in _starts(logs[0])] if logs and logs[0].is_file() else []
    attribute_kernels(notebooks, kernels, order)
    out["notebooks"] = notebooks
    out["notebooks_s"] = sum(nb["seconds"] for nb in notebooks)
    log(f"    {'ok' if out['ok'] else out.get('error', 'with failures')}: {out['notebooks_s']:.0f} s in notebooks, "
        f"peak {out['peak_mb']:,.0f} MB")
    return out


# --------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json:
        bench = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        for k in ("targets", "growth", "partial"):
            bench.pop(k, None)
        print(table.write(bench, args.out))
        return 0
    sizes = [s.strip() for s in (ALL_SIZES if args.sizes == "all" else args.sizes).split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    only = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad_cases = [c for c in only if c not in CASES]
    if unknown or bad_cases:
        print(f"error: unknown size(s) {unknown} or case(s) {bad_cases}; sizes: {', '.join(SIZES)}; "
              f"cases: {', '.join(CASES)}", file=sys.stderr)
        return 2
    batch_sizes = [s.strip() for s in args.batch.split(",") if s.strip()]
    unknown += [b for b in batch_sizes if b not in SIZES or not SIZES[b].batch]
    if unknown:
        print(f"error: unknown size(s) {unknown}; sizes: {', '.join(SIZES)}; batch sizes: "
              f"{', '.join(k for k, v in SIZES.items() if v.batch)}", file=sys.stderr)
        return 2
    # a batch size not among --sizes runs its batch only (so --sizes 1m,10m still times the default batch)
    batch_only = [b for b in batch_sizes if b not in sizes]
    sizes = batch_only + sizes
    started = dt.datetime.now()
    t0 = time.perf_counter()
    workdir = measure.scratch_dir()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.0f} s] {msg}", flush=True)

    bench = {"started": started.isoformat(timespec="seconds"),
             "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
             "machine": machine(), "versions": versions(),
             "settings": {"sizes": sizes, "repeats": args.repeats, "repeats_big": args.repeats_big,
                          "min_support": args.min_support, "mcmc": {"draws": args.mcmc_draws, "tune": args.mcmc_tune,
                                                                    "chains": 2},
                          "fit_sample": args.fit_sample, "duckdb_memory_limit": args.duckdb_memory_limit,
                          "timeout_s": args.timeout, "batch_timeout_s": args.batch_timeout, "mem_cap_gb": args.mem_cap_gb, "batch": batch_sizes,
                          "cases": only or list(CASES)},
             "sizes": {}, "steps": [], "batches": []}
    status = 0
    try:
        for name in sizes:
            size = SIZES[name]
            size_t0 = time.perf_counter()
            log(f"size {name}: {size.title}")
            if size.export_lines:
                from bench import csvdata

                gen_t0 = time.perf_counter()
                fresh = not csvdata.folder_for(size.export_lines).exists()
                config = csvdata.export_config(size.export_lines, workdir / "configs")
                if fresh:
                    log(f"  generated the csv export in {time.perf_counter() - gen_t0:.0f} s (one-off; data/raw)")
                shown = f"bench.csvdata export, {size.export_lines:_} lines, ';' decimal comma day-first (temporary config)"
            else:
                config = ROOT / size.config if size.config else _synthetic_config(size, workdir / "configs")
                shown = (str(config.relative_to(ROOT)) if config.is_relative_to(ROOT)
                         else f"helpers.io.synth, target_lines={size.target_lines:_}, seed 42 (temporary config)")
            info = {"title": size.title, "config": shown, "config_path": str(config),
                    "repeats": args.repeats_big if size.big else args.repeats,
                    "repeats_target": args.repeats_target, "warmup": args.warmup}
            bench["sizes"][name] = info
            missing = _missing_input(config)
            if missing:
                info["skipped"] = missing
                log(f"  skipped: {missing}")
                for c in size.cases:
                    if not only or c in only:
                        bench["steps"].append({"size": name, "case": c, "title": CASES[c].title, "side": "",
                                               "label": "", "role": "project", "status": "not measured",
                                               "ok": False, "error": missing})
                continue
            gen = _generate(config)
            if gen is not None:
                info["generation_s"] = gen
                log(f"  generated the synthetic lines in {gen:.0f} s (one-off; cached in data/raw)")
            cases = [c for c in size.cases if (not only or c in only) and name not in batch_only]
            rows: list[dict] = []
            if "prepare" in cases:
                # prepare first: it builds the tables every later step reads (the parent then reuses them)
                prep_inputs = {"config": str(config), "overrides": [], "fresh_read": bool(size.export_lines),
                               "duckdb_memory_limit": args.duckdb_memory_limit, "tmp": str(workdir)}
                rows += run_case("prepare", size, prep_inputs, args, workdir, 0, log)
            if size.export_lines:   # only read + clean + tables: the counts come from the run itself
                meta = next((r.get("values", {}).get("meta") for r in rows if r.get("ok")), None) or {}
                info.update({k: meta.get(k) for k in ("n_raw_lines", "n_clean_lines", "customers", "analysis_start",
                                                       "analysis_end")})
                bench["steps"] += rows
                info["seconds"] = time.perf_counter() - size_t0
                table.write(bench, out_dir, partial=True)
                continue
            prep = _prepared(config)
            info.update(n_raw_lines=prep.meta["n_raw_lines"], n_clean_lines=prep.meta["n_clean_lines"],
                        analysis_start=prep.meta["analysis_start"], analysis_end=prep.meta["analysis_end"],
                        prepared=str(prep.folder), has=prep.has)
            import pyarrow.parquet as pq

            info["customers"] = int(pq.ParquetFile(prep.path("customers_btyd")).metadata.num_rows)
            log(f"  {info['n_clean_lines']:,} clean lines, {info['customers']:,} customers")
            inputs = {"lines": str(prep.path("lines_clean")), "btyd": str(prep.path("customers_btyd")),
                      "end": prep.meta["analysis_end"], "time_unit": prep.config.analysis.time_unit,
                      "period": prep.config.analysis.period, "min_support": args.min_support,
                      "config": str(config), "overrides": [], "tmp": str(workdir),
                      "fit_sample": args.fit_sample,
                      "mcmc": {"draws": args.mcmc_draws, "tune": args.mcmc_tune, "chains": 2, "cores": 2}}
            for c in cases:
                if c == "prepare":
                    continue
                lacking = [col for col in CASES[c].needs if not prep.has.get(col)]
                if lacking:
                    rows.append({"size": name, "case": c, "title": CASES[c].title, "side": "", "label": "",
                                 "role": "project", "status": "not measured", "ok": False,
                                 "error": f"the data has no {', '.join(lacking)} column"})
                    continue
                rows += run_case(c, size, inputs, args, workdir, info["n_clean_lines"], log)
            bench["steps"] += rows
            if size.batch and name in batch_sizes:
                bench["batches"].append(run_batch(size, config, args, workdir, log))
            info["seconds"] = time.perf_counter() - size_t0
            if any(r.get("status") == "results differ" for r in rows):
                status = 1
            table.write(bench, out_dir, partial=True)
    finally:
        bench["ended"] = dt.datetime.now().isoformat(timespec="seconds")
        bench["seconds"] = time.perf_counter() - t0
        bench["machine"]["load_average_end"] = list(os.getloadavg())
        md = table.write(bench, out_dir)
        if args.keep:
            print(f"scratch kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {bench['seconds'] / 60:.1f} min: {md} and {out_dir / 'bench.json'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
