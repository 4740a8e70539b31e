"""The pipeline on a real Spark standalone cluster (a master and one worker on 127.0.0.1, started from
the pyspark package's jars by :mod:`helpers.io.spark_cluster`), on a csv export of the tiny synthetic
shop written with a decimal comma and day-first dates.

One batch run (``python -m helpers.runner --notebooks 02 --set engine.backend=spark --set
engine.spark_master=spark://127.0.0.1:<port>``) prepares the data on the cluster, with pandas' and
pyarrow's csv readers made to fail in the driver while it prepares (so the csv can only have been read
by Spark), then runs 02_lifecycle on the cluster. Its raw lines, clean lines, line status, audit and
customer tables are compared with DuckDB's on the same file.

Costs about 1.5 to 3 minutes (JVMs starting on a busy 2-core machine: the master, the worker, its
executor, the batch's driver and the notebook kernel's driver) and about 2.5 GB of memory at its peak
(the whole process tree, JVMs included). The master listens on a free port, so two runs on one machine
do not clash; ``--dist loadfile`` keeps the module on one xdist worker.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import paths
from helpers.config import load_config
from helpers.io import spark_cluster
from helpers.io.synth import ensure_synthetic
from tests.fixtures import TINY

pytestmark = [pytest.mark.spark_cluster, pytest.mark.spark, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
COLUMNS = {"invoice": "Fatura No", "invoice_ts": "Tarih", "customer_id": "Müşteri No", "product_id": "Ürün Kodu",
           "description": "Ürün Adı", "quantity": "Adet", "unit_price": "Birim Fiyat", "country": "Ülke"}

#: The batch run, with the csv readers of pandas and pyarrow failing while the data is prepared, and the
#: batch's Spark session stopped after it (the worker's one core then goes to the notebook's session).
DRIVER = textwrap.dedent("""
    import sys
    import pandas as pd
    import pyarrow.csv as pacsv
    from pyspark.sql import SparkSession
    import helpers.pipeline as pipeline
    from helpers.io import engine
    from helpers.runner.run import main

    def refuse(name):
        def read(*args, **kwargs):
            raise AssertionError(f"the raw file was read on the driver by {name}")
        return read

    real_prepare = pipeline.prepare

    def prepare(*args, **kwargs):
        saved = pd.read_csv, pd.read_table, pacsv.read_csv, pacsv.open_csv
        pd.read_csv, pd.read_table = refuse("pandas.read_csv"), refuse("pandas.read_table")
        pacsv.read_csv, pacsv.open_csv = refuse("pyarrow.csv.read_csv"), refuse("pyarrow.csv.open_csv")
        try:
            return real_prepare(*args, **kwargs)
        finally:
            pd.read_csv, pd.read_table, pacsv.read_csv, pacsv.open_csv = saved
            spark = SparkSession.getActiveSession()
            if spark is not None:
                spark.stop()
            engine._spark_session.cache_clear()

    pipeline.prepare = prepare
    sys.exit(main(sys.argv[1:]))
""")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("a Spark cluster needs Java (17) on PATH; none found")
    folder = tmp_path_factory.mktemp("spark_cluster")
    try:
        c = spark_cluster.start(folder, port=spark_cluster.free_port(), cores=1, memory="1g")
        yield c
    finally:
        spark_cluster.stop(folder)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project root of its own (``CRM_PROJECT_ROOT``: the notebooks and configs of this one, its own
    ``data/``), so the batch reads the csv afresh and its kernels find what it prepared."""
    root = tmp_path_factory.mktemp("cluster_project")
    for name in ("pyproject.toml", "notebooks", "configs"):
        (root / name).symlink_to(ROOT / name)
    (root / "data").mkdir()
    return root


@pytest.fixture(scope="module")
def export(project):
    """The tiny shop's lines as a Turkish-style csv: ';' separated, decimal comma, day-first dates, NA guests."""
    tiny = load_config(TINY)
    lines = pd.read_parquet(ensure_synthetic(tiny.data.synthetic, root=project / "data" / "raw", progress=False)
                            / "lines.parquet")
    out = pd.DataFrame({v: lines[k] for k, v in COLUMNS.items()})
    out["Tarih"] = lines["invoice_ts"].dt.strftime("%d.%m.%Y %H:%M:%S")
    out["Müşteri No"] = lines["customer_id"].astype(object).where(lines["customer_id"].notna(), "NA")
    path = project / "satislar.csv"
    out.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8")
    assert "," in path.read_text(encoding="utf-8").splitlines()[1]     # a decimal comma really is there
    config = project / "cluster_shop.yaml"
    config.write_text(yaml.safe_dump({
        "name": "cluster_shop",
        "data": {"source": "file", "path": str(path), "separator": ";", "decimal": ",", "dayfirst": True,
                 "currency": "GBP", "columns": COLUMNS},
        "analysis": {"period": "month", "time_unit": "W"},
        "engine": {"backend": "duckdb",
                   # small data: few shuffle partitions, and JVMs that start fast rather than run long
                   "spark_conf": {"spark.cores.max": "1", "spark.executor.memory": "512m",
                                  "spark.driver.memory": "512m", "spark.sql.shuffle.partitions": "2",
                                  "spark.driver.extraJavaOptions": JVM_OPTIONS,
                                  "spark.executor.extraJavaOptions": JVM_OPTIONS,
                                  "spark.pyspark.python": sys.executable}},
        "output": {"mask_customer_ids": True},
    }, allow_unicode=True), encoding="utf-8")
    return config


def _tree_rss(pids: list[int]) -> int:
    import psutil

    total = 0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            for q in [p, *p.children(recursive=True)]:
                try:
                    total += q.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
    return total


@pytest.fixture(scope="module")
def batch(cluster, project, export, tmp_path_factory):
    """The batch run on the cluster: (completed process, its prepared folder, reports folder, peak memory in bytes)."""
    reports = tmp_path_factory.mktemp("cluster_reports")
    env = {**os.environ, "CRM_PROJECT_ROOT": str(project), "PYSPARK_PYTHON": sys.executable}
    cmd = [sys.executable, "-c", DRIVER, "--config", str(export), "--notebooks", "02", "--reports-dir", str(reports),
           "--no-progress", "--set", "engine.backend=spark", "--set", f"engine.spark_master={cluster.url}"]
    peak, done = [0], threading.Event()
    proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss([proc.pid, cluster.master_pid, cluster.worker_pid]))
            done.wait(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, _ = proc.communicate(timeout=900)
    finally:
        done.set()
        if proc.poll() is None:
            proc.kill()
    watcher.join()
    processed = project / "data" / "processed"
    folders = [f for f in processed.iterdir() if f.is_dir() and not f.name.startswith(".")] if processed.is_dir() else []
    print(f"\nSpark cluster batch: peak memory of the process tree {peak[0] / 2**30:.2f} GiB")
    return proc.returncode, out, folders, reports, peak[0]


@pytest.fixture(scope="module")
def duckdb_prepared(export, tmp_path_factory):
    """The same csv prepared by DuckDB in this process (a data folder of its own)."""
    from helpers.pipeline import prepare

    data = tmp_path_factory.mktemp("duckdb_data")
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "INTERIM", data / "interim")
    mp.setattr(paths, "PROCESSED", data / "processed")
    try:
        return prepare(load_config(export), progress=False)
    finally:
        mp.undo()


def test_the_batch_prepares_on_the_cluster_and_runs_the_notebook(batch):
    code, out, folders, reports, _peak = batch
    assert code == 0, out[-3000:]
    assert "the raw file was read on the driver" not in out
    assert len(folders) == 1, folders          # the notebook's kernel used what the batch prepared
    meta = json.loads((folders[0] / "meta.json").read_text(encoding="utf-8"))
    assert meta["engine"] == "spark" and meta["source"] == "satislar"
    (run,) = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    status = {n["name"]: n["status"] for n in json.loads((run / "run.json").read_text())["notebooks"]}
    assert status == {"02_lifecycle": "ok"}
    assert (run / "02_lifecycle.html").is_file()


def _sorted(df: pd.DataFrame, key: str) -> pd.DataFrame:
    df = df.sort_values(key, ignore_index=True)
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].astype("datetime64[us]")
    return df


@pytest.mark.parametrize("table, key", [("lines_clean", "line_id"), ("line_status", "line_id"),
                                        ("customers_rfm", "customer_id"), ("customers_btyd", "customer_id")])
def test_tables_match_duckdb(batch, duckdb_prepared, table, key):
    _code, out, folders, _reports, _peak = batch
    assert folders, out[-3000:]
    spark = pd.read_parquet(folders[0] / f"{table}.parquet")
    duck = duckdb_prepared.read(table)
    assert len(duck) > 100
    pd.testing.assert_frame_equal(_sorted(spark, key), _sorted(duck, key), check_dtype=False, rtol=1e-9)


def test_raw_lines_audit_and_notes_match_duckdb(batch, duckdb_prepared):
    _code, out, folders, _reports, _peak = batch
    assert folders, out[-3000:]
    meta = json.loads((folders[0] / "meta.json").read_text(encoding="utf-8"))
    pd.testing.assert_frame_equal(pd.read_parquet(meta["raw_lines"]), duckdb_prepared.raw_lines())
    for name in ("audit", "audit_notes"):
        spark, duck = pd.read_parquet(folders[0] / f"{name}.parquet"), duckdb_prepared.read(name)
        if "params" in duck:          # JSON of each note's numbers: shares summed in another order differ in the last digit
            assert [_numbers(p) for p in spark.pop("params")] == [_numbers(p) for p in duck.pop("params")]
        pd.testing.assert_frame_equal(spark, duck, check_dtype=False, rtol=1e-9)
    for k in ("n_raw_lines", "n_clean_lines", "data_start", "data_end", "has"):
        assert meta[k] == duckdb_prepared.meta[k], k
    assert meta["gross_sales"] == pytest.approx(duckdb_prepared.meta["gross_sales"], rel=1e-12)   # sums in another order


def _numbers(params: str) -> dict:
    """A note's JSON parameters with every float rounded to 12 significant digits (anything else as it is)."""
    if not isinstance(params, str):
        return params
    return {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in json.loads(params).items()}
