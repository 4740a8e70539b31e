"""Smoke test of the benchmark harness (bench/): equality checks, one side run in a worker, the table writer.

No timing is asserted: only that results are compared correctly and the table says what it measured.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import cases, measure, table
from bench.worker import load_results, save_results
from tests.fixtures import ROOT

TINY = ROOT / "tests" / "fixtures" / "configs" / "tiny.yaml"


# ----------------------------------------------------------------------------- equality
def _summary(**changes) -> pd.DataFrame:
    df = pd.DataFrame({"customer_id": ["A", "B", "C"], "frequency": [2, 0, 1],
                       "recency": [3.0, 0.0, 1.5], "T": [5.0, 2.0, 4.0], "monetary_value": [12.5, 0.0, 7.25]})
    for col, (row, value) in changes.items():
        df.loc[row, col] = value
    return df


class TestClose:
    def test_inf_and_nan_equal_themselves(self):
        assert cases.close([float("inf"), float("nan"), 1.0], [float("inf"), float("nan"), 1.0]).all()

    def test_relative_tolerance(self):
        # 1e-9 relative: 1000 vs 1000 + 5e-7 is within (5e-10 relative), 1000 vs 1000.01 is not
        assert cases.close([1000.0 + 5e-7], [1000.0]).all()
        assert not cases.close([1000.01], [1000.0]).any()


class TestCompareSummary:
    def test_identical_frames_pass_whatever_the_row_order(self):
        a = _summary()
        ok, detail = cases.compare_summary({"summary": a}, {"summary": a.iloc[::-1]})
        assert ok and detail == "identical (3 customers)"

    def test_missing_customer_is_named(self):
        ok, detail = cases.compare_summary({"summary": _summary()}, {"summary": _summary().iloc[:2]})
        assert not ok
        assert re.search(r"customers differ: 1 only in the project's result, 0 only in the peer's", detail)

    def test_frequency_must_be_exact(self):
        ok, detail = cases.compare_summary({"summary": _summary()}, {"summary": _summary(frequency=(0, 3))})
        assert not ok and "frequency: 1 differ" in detail

    def test_money_beyond_1e9_is_a_mismatch(self):
        ok, detail = cases.compare_summary({"summary": _summary()},
                                           {"summary": _summary(monetary_value=(0, 12.5 + 1e-6))})
        assert not ok and "monetary_value: 1 differ by more than 1e-09" in detail

    def test_rounding_noise_is_not(self):
        ok, _ = cases.compare_summary({"summary": _summary()}, {"summary": _summary(monetary_value=(0, 12.5 + 1e-12))})
        assert ok


class TestCompareFits:
    BASE = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.43, "p": 6.25, "q": 3.74, "v": 15.44}

    def test_agree_within_0_1_percent(self):
        peer = {**self.BASE, "p": 6.25 * (1 + 5e-4)}
        ok, detail = cases.compare_fits({"params": self.BASE}, {"params": peer})
        assert ok and detail.startswith("estimates agree within 5.0e-04")

    def test_different_optimum_is_named(self):
        peer = {**self.BASE, "alpha": 4.4 * 1.01}
        ok, detail = cases.compare_fits({"params": self.BASE}, {"params": peer})
        assert not ok and detail.startswith("estimates differ: alpha by 0.99%")


# ------------------------------------------------------------------ the sides on tiny data
@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory):
    from helpers import pipeline

    prep = pipeline.prepare(TINY, progress=False)
    return {"lines": str(prep.path("lines_clean")), "btyd": str(prep.path("customers_btyd")),
            "end": prep.meta["analysis_end"], "time_unit": prep.config.analysis.time_unit,
            "period": prep.config.analysis.period, "min_support": 0.01,
            "tmp": str(tmp_path_factory.mktemp("bench"))}


def _run(side, inputs):
    """One side's result as the worker gets it: its set-up (imports, a connection) first, then the run."""
    return side.run(inputs, side.setup(inputs) if side.setup else None)


class TestSidesAgreeOnTiny:
    """The project's side and each peer give equal results on the tiny synthetic shop (300 customers)."""

    @pytest.mark.parametrize("case", ["rfm", "cohort", "pairs"])
    def test_peers_equal_the_project(self, case, tiny_inputs):
        c = cases.CASES[case]
        proj = _run(c.sides[c.project], tiny_inputs)
        for name in c.peers:
            ok, detail = c.compare(proj, _run(c.sides[name], tiny_inputs))
            assert ok, f"{case} / {name}: {detail}"
        first = next(iter(proj.values()))
        assert len(first) > 0

    def test_summary_equals_lifetimes(self, tiny_inputs):
        pytest.importorskip("lifetimes", reason="lifetimes is in the bench extra (make bench installs it)")
        c = cases.CASES["summary"]
        proj = _run(c.sides["engine"], tiny_inputs)
        ok, detail = c.compare(proj, _run(c.sides["lifetimes"], tiny_inputs))
        assert ok, detail
        assert detail == f"identical ({len(proj['summary']):,} customers)"

    def test_a_changed_result_is_caught(self, tiny_inputs):
        c = cases.CASES["rfm"]
        proj = _run(c.sides["engine"], tiny_inputs)
        peer = _run(c.sides["pandas"], tiny_inputs)
        peer["rfm"].loc[0, "monetary"] += 0.01
        ok, detail = c.compare(proj, peer)
        assert not ok and "monetary: 1 differ" in detail


# ------------------------------------------------------------------ worker + measurement
class TestRunSide:
    def test_worker_times_and_saves_results(self, tiny_inputs, tmp_path):
        rep = measure.run_side("rfm", "pandas", tiny_inputs, repeats=2, workdir=tmp_path, timeout=120,
                               mem_cap_mb=None, warmup=1)
        assert rep["ok"], rep.get("error")
        assert len(rep["times"]) == 2 and all(t > 0 for t in rep["times"])
        assert len(rep["warmup_times"]) == 1 and rep["warmup_times"][0] > 0
        assert rep["peak_mb"] >= rep["rss_before_mb"] > 0
        rfm = load_results(Path(rep["out_dir"]))["rfm"]
        assert len(rfm) == pd.read_parquet(tiny_inputs["btyd"]).shape[0]

    def test_a_side_over_the_memory_cap_is_stopped(self, tiny_inputs, tmp_path):
        rep = measure.run_side("rfm", "pandas", tiny_inputs, repeats=1, workdir=tmp_path, timeout=120, mem_cap_mb=1)
        assert not rep["ok"]
        assert re.match(r"could not finish: stopped at .* GB of memory \(cap 0 GB\)", rep["error"])

    def test_save_and_load_round_trip(self, tmp_path):
        save_results({"t": pd.DataFrame({"x": [1, 2]}), "params": {"r": 0.5}}, tmp_path)
        back = load_results(tmp_path)
        assert back["params"] == {"r": 0.5} and back["t"]["x"].tolist() == [1, 2]


# ----------------------------------------------------------------------------- the table
def _bench() -> dict:
    """A hand-made result: summary at 1M (engine 2 s, lifetimes 12 s) and 10M (15 s vs 100 s)."""
    def row(size, side, role, median, peak, **kw):
        return {"size": size, "case": "summary", "title": "Clean lines -> BTYD customer summary", "side": side,
                "label": side, "role": role, "status": "ok", "ok": True, "median_s": median, "peak_mb": peak,
                "times": [median], **kw}

    steps = [row("1m", "engine", "project", 2.0, 500.0),
             row("1m", "lifetimes", "peer", 12.0, 900.0, equal=True, equal_detail="identical (100 customers)",
                 speedup=6.0),
             row("10m", "engine", "project", 30.0, 1500.0),
             row("10m", "lifetimes", "peer", 100.0, 6000.0, equal=True, equal_detail="identical (1,000 customers)",
                 speedup=100 / 30),
             {"size": "10m", "case": "prepare", "title": "prepare", "side": "duckdb", "label": "DuckDB",
              "role": "project", "status": "ok", "ok": True, "median_s": 200.0, "peak_mb": 5000.0},
             {"size": "10m", "case": "pairs", "title": "Pair association rules", "side": "fpgrowth",
              "label": "mlxtend", "role": "peer", "status": "not finished", "ok": False,
              "error": "could not finish: stopped at 12.0 GB of memory (cap 12 GB)"}]
    return {"started": "2026-01-01T00:00:00", "seconds": 600.0, "command": "python -m bench.run",
            "machine": {"cpu": "test cpu", "cores": 2, "memory_gb": 24, "load_average_start": [0.5],
                        "load_average_end": [0.7]},
            "versions": {"pandas": "3.1"}, "settings": {"sizes": ["1m", "10m"], "duckdb_memory_limit": "3GB"},
            "sizes": {"1m": {"n_clean_lines": 1_000_000, "config": "c1", "title": "1M"},
                      "10m": {"n_clean_lines": 10_000_000, "config": "c10", "title": "10M"}},
            "steps": steps, "batches": []}


class TestTargets:
    def test_each_target_judged_from_the_figures(self):
        t = {x["id"]: x for x in table.targets(_bench())}
        assert t["summary_1m"]["status"] == "met"                 # 12 / 2 = 6x >= 5x
        assert t["summary_10m"]["status"] == "missed"             # 100 / 30 = 3.3x < 10x
        assert t["summary_10m"]["measured"].startswith("3.3x")
        assert t["prepare_10m"]["status"] == "missed"             # 5000 MB > 4096 MB
        assert t["batch_1m"]["status"] == "not measured"
        assert t["clv_1m"]["status"] == "not measured"
        assert t["clv_fit_1m"]["status"] == "not measured"

    def test_clv_fit_target_needs_equal_estimates_and_the_speed(self):
        def row(side, role, median, **kw):
            return {"size": "1m", "case": "clv_fit", "title": "BG/NBD + Gamma-Gamma fit (warm)", "side": side,
                    "label": side, "role": role, "status": "ok", "ok": True, "median_s": median, "peak_mb": 300.0,
                    **kw}

        bench = _bench()
        bench["steps"] += [row("fast", "project", 0.5),
                           row("pmc_map", "peer", 4.0, equal=True, equal_detail="estimates agree", speedup=8.0),
                           row("lifetimes", "peer", 2.0, equal=True, equal_detail="estimates agree", speedup=4.0)]
        t = {x["id"]: x for x in table.targets(bench)}["clv_fit_1m"]
        assert t["status"] == "met" and t["measured"].startswith("4.0x (project 0.50 s, lifetimes 2.0 s, "
                                                                 "pymc-marketing MAP 4.0 s)")
        bench["steps"][-1].update(speedup=0.8)
        assert {x["id"]: x for x in table.targets(bench)}["clv_fit_1m"]["status"] == "missed"
        bench["steps"][-1].update(equal=False, equal_detail="estimates differ: a by 2%")
        t = {x["id"]: x for x in table.targets(bench)}["clv_fit_1m"]
        assert t["status"] == "missed" and "a by 2%" in t["measured"]

    def test_growth_ratio_against_the_line_ratio(self):
        g = {x["side"]: x for x in table.growth(_bench())}
        assert g["engine"]["ratio"] == pytest.approx(15.0)        # 30 s / 2 s, lines x10: worse than linear
        assert not g["engine"]["linear"]
        assert g["lifetimes"]["ratio"] == pytest.approx(100 / 12) and g["lifetimes"]["linear"]


class TestCsvExport:
    def test_read_targets_judged_per_size(self):
        bench = _bench()
        bench["steps"] += [
            {"size": "csv10m", "case": "prepare", "title": "prepare", "side": "duckdb", "label": "DuckDB",
             "role": "project", "status": "ok", "ok": True, "median_s": 100.0, "peak_mb": 1900.0},
            {"size": "100m", "case": "prepare", "title": "prepare", "side": "duckdb", "label": "DuckDB",
             "role": "project", "status": "ok", "ok": True, "median_s": 1300.0, "peak_mb": 3000.0}]
        t = {x["id"]: x for x in table.targets(bench)}
        assert t["read_csv10m"]["status"] == "met"                # 1.9 GB < 2 GB
        assert t["read_100m"]["status"] == "missed"               # 13x the time of 10M lines: worse than linear
        assert "13.0x the time at 10M" in t["read_100m"]["measured"]
        bench["steps"][-2].update(peak_mb=3400.0)
        bench["steps"].append({"size": "csv10m", "case": "prepare", "title": "prepare", "side": "duckdb_limit",
                               "label": "DuckDB, capped", "role": "peer", "status": "ok", "ok": True,
                               "median_s": 110.0, "peak_mb": 1500.0})
        bench["settings"]["duckdb_memory_limit"] = "1GB"
        t = {x["id"]: x for x in table.targets(bench)}
        assert t["read_csv10m"]["status"] == "met with engine.duckdb_memory_limit=1GB (missed with defaults)"

    def test_the_export_and_its_config_read_back(self, tmp_path):
        from bench import csvdata
        from helpers.config import load_config
        from helpers.io.read import read_file

        cfg = load_config(csvdata.export_config(400, tmp_path / "configs", root=tmp_path))
        lines = read_file(cfg.data_path(), cfg.data, batch_rows=64)
        raw = pd.read_parquet(tmp_path / "data" / "raw" / "bench-export-400" / "sales.parquet")
        assert len(lines) == len(raw) == 400
        price = pd.to_numeric(raw["Birim Fiyat"].str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        assert (lines["unit_price"].to_numpy() == price.to_numpy()).all()
        assert lines["customer_id"].isna().sum() == (raw["Müşteri No"].fillna("") == "").sum() > 0
        assert lines["invoice"].str.startswith("C").sum() == (lines["quantity"] < 0).sum() > 0
        assert lines["invoice_ts"].min() == pd.Timestamp("2023-01-01 08:00")


class TestWrite:
    def test_markdown_and_json(self, tmp_path):
        import json

        md = table.write(_bench(), tmp_path)
        text = md.read_text(encoding="utf-8")
        assert "| Customer summary >= 10x faster than pandas + lifetimes at 10M lines, identical results | 3.3x" in text
        assert "**missed**" in text and "## Closing note: missed targets" in text
        assert "| 1m | Clean lines -> BTYD customer summary | engine | 2.0 s | 500 MB | lifetimes | 12.0 s | 900 MB | 6.0x |" in text
        assert "**could not finish**: stopped at 12.0 GB of memory" in text
        data = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
        assert {t["id"] for t in data["targets"]} >= {"summary_1m", "summary_10m", "batch_1m", "prepare_10m",
                                                      "clv_1m", "clv_fit_1m", "growth", "make_bench",
                                                      "batch_default", "batch_1m_memory"}


def test_the_batch_targets_judge_time_memory_and_a_first_run_apart():
    bench = _bench()
    nb = [{"name": "00_start_here", "status": "ok", "seconds": 3.0}]
    bench["batches"] = [{"size": "default", "run_seconds": 84.0, "peak_mb": 2000.0, "notebooks": nb,
                         "first_run": {"wall_s": 101.0, "returncode": 0}},
                        {"size": "1m", "run_seconds": 150.0, "peak_mb": 4200.0, "notebooks": nb}]
    t = {x["id"]: x for x in table.targets(bench)}
    assert t["batch_default"]["status"] == "met"                         # the second run: 84 s <= 90 s
    assert "first run in this checkout took 101 s" in t["batch_default"]["measured"]
    assert t["batch_1m_memory"]["status"] == "missed" and t["batch_1m_memory"]["measured"].startswith("4.10 GB")
    bench["batches"][0].update(run_seconds=95.0, first_run=None)
    bench["batches"][1]["peak_mb"] = 3000.0
    t = {x["id"]: x for x in table.targets(bench)}
    assert t["batch_default"]["status"] == "missed" and "first run" not in t["batch_default"]["measured"]
    assert t["batch_1m_memory"]["status"] == "met"


def test_the_readme_table_quotes_each_figure_of_the_run():
    bench = _bench()
    bench["steps"].append({"size": "10m", "case": "pairs", "title": "Pair association rules", "side": "engine",
                           "label": "engine", "role": "project", "status": "ok", "ok": True, "median_s": 7.0,
                           "peak_mb": 1400.0})
    bench["batches"] = [{"size": "1m", "run_seconds": 170.0, "peak_mb": 3000.0, "notebooks": []},
                        {"size": "default", "run_seconds": None, "error": "stopped at 600 s", "notebooks": []}]
    rows = {r.split(" | ")[0].lstrip("| "): r.split(" | ")[1:] for r in table.readme_table(bench)[2:]}
    summary = rows["customer summary (BTYD) vs pandas + lifetimes, warm median"]
    assert summary[1] == "6.0x faster (2.0 s vs 12.0 s)" and summary[2] == "3.3x faster (30.0 s vs 100 s)"
    assert rows["pair rules vs mlxtend FP-growth"][2].startswith("mlxtend **could not finish**")
    assert rows["clean + customer tables, synthetic parquet (peak memory of the process tree)"][2] == "200 s (4.88 GB)"
    batch = rows["the notebook batch (15 notebooks, two at a time, shared models fitted)"]
    assert batch[0] == "stopped at 600 s" and batch[1] == "170 s, whole process tree 2.93 GB at its peak"
    assert "customer tables, DuckDB vs local Spark" not in rows          # not run: no row, no invented figure


def test_a_batch_size_that_has_no_batch_is_refused_by_name(tmp_path, capsys):
    from bench import run

    assert run.main(["--sizes", "tiny", "--batch", "tiny", "--out", str(tmp_path)]) == 2
    assert "unknown size(s) ['tiny']" in capsys.readouterr().err
    assert not (tmp_path / "bench.md").exists()


def test_bench_lock_keeps_every_pin_of_the_main_lock():
    def pins(path):
        out = {}
        for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith((" ", "#")):
                req, _, marker = line.partition(";")
                name, version = req.strip().split("==")
                out.setdefault(name, set()).add(version)
        return out

    main, bench = pins("requirements.lock"), pins("requirements-bench.lock")
    changed = {k: (v, bench.get(k)) for k, v in main.items() if bench.get(k) != v}
    assert not changed, f"requirements-bench.lock re-resolved pins of requirements.lock: {changed}"
    assert "lifetimes" in bench


def test_the_kernels_are_found_by_the_command_the_runner_starts_them_with():
    """The kernel processes are told apart from the runner and from the JVMs by the command the runner really
    starts a kernel with (execute.launch_command), and by ipykernel's own for a kernel on another Python."""
    from bench.run import is_kernel
    from helpers.runner import execute

    ours = execute.launch_command([sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/kernel-1.json"])
    assert is_kernel(" ".join(ours))
    assert is_kernel("/opt/py/bin/python -m ipykernel_launcher -f /tmp/kernel-2.json")
    assert not is_kernel(f"{sys.executable} -m helpers.runner.run --config c.yaml --force")
    assert not is_kernel("java -cp /x/jars/* org.apache.spark.deploy.SparkSubmit pyspark-shell")
    assert not is_kernel(f"{sys.executable} -m helpers.runner.kernel_launcherx")
    # a forked kernel keeps its zygote's command line; the zygote itself (child of the runner) is no kernel
    zyg = f"{sys.executable} -m helpers.runner.zygote 7"
    assert is_kernel(zyg, zyg)
    assert not is_kernel(zyg, f"{sys.executable} -m helpers.runner.run --config c.yaml")


def test_kernel_memory_goes_to_the_notebook_that_started_it(tmp_path):
    """Two notebooks at a time start out of batch order (06 before 05): each kernel's peak, in start order, goes to
    the notebook run.log says started then; a reused notebook has no kernel."""
    from bench.run import _starts, attribute_kernels

    log = tmp_path / "run.log"
    log.write_text("2026-01-01 10:00:00,100 INFO helpers.runner.run: 04_clv: executing\n"
                   "2026-01-01 10:00:01,000 INFO helpers.runner.run: 06_cross_up_sell: executing\n"
                   "2026-01-01 10:00:05,000 INFO papermill: Executing Cell 1\n"
                   "2026-01-01 10:00:09,500 INFO helpers.runner.run: 05_churn: executing\n", encoding="utf-8")
    order = [n for n, _ in _starts(log)]
    assert order == ["04_clv", "06_cross_up_sell", "05_churn"]
    nbs = [{"name": n, "status": "ok", "reused": False} for n in ("04_clv", "05_churn", "06_cross_up_sell")]
    nbs.append({"name": "90_executive_summary", "status": "ok", "reused": True})
    attribute_kernels(nbs, [{"peak_mb": 700}, {"peak_mb": 1600}, {"peak_mb": 1000}], order)
    assert [nb["kernel_peak_mb"] for nb in nbs] == [700, 1000, 1600, None]
