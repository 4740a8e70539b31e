"""The table engine: Ibis on DuckDB in-process by default, on PySpark when it outgrows one machine.

Every heavy table step (cleaning, customer tables, cohorts, pair counts) is written once as
Ibis expressions; :func:`connect` picks the backend from the config, so the same code runs
on DuckDB on a laptop and on a Spark cluster (``engine.backend: spark`` with
``engine.spark_master``: ``local[2]`` by default, or a cluster URL such as
``spark://host:7077``).

Scratch parquet files (a pandas frame handed to Spark, :func:`materialize` without a folder) and
what DuckDB spills to disk past its memory limit go into this process's folder :func:`scratch_dir`: under ``$CRM_SCRATCH_DIR`` when set (the batch
runner points it into the run's temporary folder, so they go with the run), else under
``data/processed/.scratch/``; the folder is removed when the process exits.
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import ibis
import pandas as pd

from helpers import paths
from helpers.config import EngineConfig

#: Environment variable naming the folder for scratch files (set by the batch runner for its notebook kernels).
SCRATCH_ENV = "CRM_SCRATCH_DIR"
_scratch_made: set[Path] = set()


#: DuckDB threads per core DuckDB detects when ``engine.duckdb_threads`` is not set (config.EngineConfig says why)
THREADS_PER_CORE = 2


def _cores(con) -> int:
    """The cores DuckDB detected for this process (its default thread count: cgroup and affinity aware)."""
    return int(con.raw_sql("SELECT current_setting('threads')").fetchone()[0])


def connect(engine: EngineConfig | None = None):
    """Return an Ibis backend for ``engine`` (DuckDB in memory unless ``backend == 'spark'``)."""
    engine = engine or EngineConfig()
    if engine.backend == "spark":
        return ibis.pyspark.connect(spark_session(engine))
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET threads = {int(engine.duckdb_threads or THREADS_PER_CORE * _cores(con))}")
    if engine.duckdb_memory_limit:
        con.raw_sql(f"SET memory_limit = '{engine.duckdb_memory_limit}'")
    # what DuckDB spills past its memory limit goes to this process's scratch folder, not ./.tmp
    con.raw_sql(f"SET temp_directory = '{scratch_dir() / 'duckdb'}'")
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


def spark_session(engine: EngineConfig):
    """The Spark session of ``engine`` (``engine.spark_master``, ``engine.spark_conf``), started on first use."""
    return _spark_session(engine.spark_master, tuple(sorted(engine.spark_conf.items())))


@functools.lru_cache(maxsize=2)
def _spark_session(master: str, conf: tuple):
    """One Spark session per master URL, reused across calls (start-up takes seconds)."""
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName("crm-analytics")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    for k, v in conf:
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def is_spark(con) -> bool:
    return con.name == "pyspark"


_counter = iter(range(10**9))


def scratch_dir() -> Path:
    """This process's folder for scratch parquet files: ``<root>/crm-<pid>``, the root being
    ``$CRM_SCRATCH_DIR`` or ``data/processed/.scratch``; made on first use, removed at exit."""
    folder = Path(os.environ.get(SCRATCH_ENV) or paths.PROCESSED / ".scratch") / f"crm-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    if folder not in _scratch_made:
        _scratch_made.add(folder)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def table(con, data: pd.DataFrame | str | Path, name: str | None = None):
    """Register a pandas frame or a parquet file with the backend and return the Ibis table.

    PySpark needs a registered temporary view; DuckDB reads parquet lazily.
    """
    name = name or f"crm_t{next(_counter)}"
    if isinstance(data, (str, Path)):
        return con.read_parquet(str(data), table_name=name)
    if is_spark(con):
        # via parquet: keeps pandas' nullable strings and timestamps exactly as DuckDB sees them
        tmpdir = Path(tempfile.mkdtemp(prefix="crm-spark-", dir=scratch_dir()))
        data.to_parquet(tmpdir / f"{name}.parquet", index=False)
        return con.read_parquet(str(tmpdir / f"{name}.parquet"), table_name=name)
    return con.create_table(name, data, temp=True, overwrite=True)


def write_parquet(con, expr, path: Path) -> None:
    """Write an Ibis expression to one parquet file (DuckDB streams it; Spark collects via Arrow)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_spark(con):
        import pyarrow.parquet as pq

        pq.write_table(expr.to_pyarrow(), path)
    else:
        con.to_parquet(expr, str(path))


def materialize(con, expr, folder: Path | None = None, name: str | None = None):
    """Compute ``expr`` once into a parquet file and return it as a table.

    Long chains (cleaning with joins and windows) are otherwise recomputed by every query
    built on them; Spark in particular re-plans them each time. Without ``folder`` the file goes
    into a new folder under :func:`scratch_dir`.
    """
    name = name or f"crm_m{next(_counter)}"
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="crm-mat-", dir=scratch_dir()))
    path = folder / f"{name}.parquet"
    write_parquet(con, expr, path)
    return table(con, path, name=name)
