"""The engine: DuckDB set up from the config, tables from frames and parquet files, materialised steps."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.config import EngineConfig
from helpers.io import engine

FRAME = pd.DataFrame({"customer_id": pd.Series(["A", "B", "A", None], dtype="string"),
                      "amount": [10.0, 2.5, 7.5, 1.0]})


def _setting(con, name: str) -> str:
    return str(con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0])


def test_duckdb_by_default_with_the_configured_threads_memory_and_utc():
    con = engine.connect(EngineConfig(duckdb_threads=1, duckdb_memory_limit="1GB"))
    assert con.name == "duckdb" and not engine.is_spark(con)
    assert _setting(con, "threads") == "1"
    assert _setting(con, "TimeZone") == "UTC"
    # DuckDB reports its limit in its own units: 1 GB = 10^9 bytes, shown as about 953 MiB
    assert _setting(con, "memory_limit").replace(" ", "") in {"1.0GB", "953.6MiB", "953.6MB"}
    # what passes the limit spills into this process's scratch folder, not ./.tmp
    assert _setting(con, "temp_directory") == str(engine.scratch_dir() / "duckdb")


def test_duckdb_runs_twice_as_many_threads_as_the_cores_it_detects_unless_the_config_pins_them():
    import duckdb

    cores = int(duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0])
    assert _setting(engine.connect(EngineConfig()), "threads") == str(engine.THREADS_PER_CORE * cores)
    assert _setting(engine.connect(EngineConfig(duckdb_threads=3)), "threads") == "3"


def test_a_frame_becomes_a_table_with_the_same_rows(duck):
    t = engine.table(duck, FRAME)
    assert t.count().execute() == 4
    per = t.group_by("customer_id").aggregate(total=t.amount.sum()).execute().set_index("customer_id")["total"]
    assert per["A"] == 17.5 and per["B"] == 2.5


def test_each_table_gets_its_own_name_unless_one_is_given(duck):
    a, b = engine.table(duck, FRAME), engine.table(duck, FRAME)
    assert a.get_name() != b.get_name()
    assert engine.table(duck, FRAME, name="named_lines").get_name().split(".")[-1] == "named_lines"


def test_a_parquet_file_is_read_as_a_table(duck, tmp_path):
    path = tmp_path / "lines.parquet"
    FRAME.to_parquet(path, index=False)
    t = engine.table(duck, path)
    assert t.amount.sum().execute() == 21.0
    assert engine.table(duck, str(path)).count().execute() == 4


def test_write_parquet_writes_the_expression_and_makes_the_folder(duck, tmp_path):
    t = engine.table(duck, FRAME)
    out = tmp_path / "new" / "big.parquet"
    engine.write_parquet(duck, t.filter(t.amount > 5), out)
    back = pq.read_table(out).to_pandas()
    assert sorted(back["amount"].tolist()) == [7.5, 10.0]


def test_materialize_computes_once_into_a_named_file(duck, tmp_path):
    t = engine.table(duck, FRAME)
    m = engine.materialize(duck, t.mutate(double=t.amount * 2), folder=tmp_path, name="doubled")
    assert (tmp_path / "doubled.parquet").is_file()
    assert m.double.sum().execute() == 42.0
    assert engine.materialize(duck, t).count().execute() == 4     # no folder: a temporary one


@pytest.mark.spark
def test_spark_tables_keep_the_frame(spark_con):
    assert engine.is_spark(spark_con)
    t = engine.table(spark_con, FRAME)
    assert t.amount.sum().execute() == 21.0
    assert t.customer_id.isnull().sum().execute() == 1
