"""Tests for helpers.io.cache: the parquet cache of the canonical lines is written atomically, and its
row count, filled optional columns and reading notes are read back from the file's metadata."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.io.cache import atomic_target, describe_parquet, filled_columns, read_notes, write_atomic
from helpers.io.schema import OPTIONAL
from tests.fixtures import make_lines

ROWS = [
    (0, "100", "2023-01-02 10:00", "A", "P1", 2, 5.0),
    (1, "101", "2023-01-03 10:00", None, "P2", 1, 3.0),
    (2, "102", "2023-01-04 10:00", "B", "P1", 4, 5.0),
]
#: make_lines fills customer_id and product_id (one guest), every other optional column is empty
FILLED = {c: c in ("customer_id", "product_id") for c in OPTIONAL}


@pytest.fixture
def lines() -> pd.DataFrame:
    return make_lines(ROWS)


def test_filled_columns_of_a_frame(lines):
    assert filled_columns(lines) == FILLED
    lines["country"] = pd.array([None, None, "TR"], dtype="string")
    assert filled_columns(lines) == {**FILLED, "country": True}


def test_describe_parquet_from_statistics(tmp_path, lines):
    target = tmp_path / "cache" / "lines.parquet"
    write_atomic(lines, target)
    assert describe_parquet(target) == (3, FILLED)
    assert list(describe_parquet(target)[1]) == list(OPTIONAL)          # in canonical order


def test_describe_parquet_without_statistics_reads_the_columns(tmp_path, lines):
    p = tmp_path / "nostats.parquet"
    lines.to_parquet(p, index=False, write_statistics=False)
    assert pq.ParquetFile(p).metadata.row_group(0).column(3).statistics is None
    assert describe_parquet(p) == (3, FILLED)


def test_describe_parquet_counts_nulls_over_row_groups(tmp_path):
    # customer_id is null in the whole first row group and filled in one row of the second
    df = make_lines([(i, str(i), "2023-01-02", None if i < 4 else "A", "P", 1, 1.0) for i in range(5)])
    p = tmp_path / "groups.parquet"
    df.to_parquet(p, index=False, row_group_size=4)
    assert pq.ParquetFile(p).metadata.num_row_groups == 2
    assert describe_parquet(p) == (5, FILLED)
    df.assign(customer_id=pd.array([None] * 5, dtype="string")).to_parquet(p, index=False, row_group_size=4)
    assert describe_parquet(p) == (5, {**FILLED, "customer_id": False})


def test_describe_parquet_refuses_a_file_without_the_canonical_columns(tmp_path, lines):
    p = tmp_path / "short.parquet"
    lines.drop(columns=["currency", "channel"]).to_parquet(p, index=False)
    with pytest.raises(ValueError, match=r"short\.parquet lacks canonical columns \['channel', 'currency'\]"):
        describe_parquet(p)


def test_read_notes_travel_in_the_pandas_metadata(tmp_path, lines):
    p = tmp_path / "notes.parquet"
    write_atomic(lines, p)
    assert read_notes(p) == {}
    notes = {"na_tokens": [{"column": "customer_id", "token": "NA", "count": 2}], "return_sign_flipped": 1}
    lines.attrs["read_notes"] = notes
    write_atomic(lines, p)
    assert read_notes(p) == notes


def test_write_atomic_replaces_the_target_and_leaves_no_temporary_file(tmp_path, lines):
    target = tmp_path / "deep" / "er" / "lines.parquet"
    write_atomic(lines, target)
    write_atomic(lines.iloc[:1], target)
    assert len(pd.read_parquet(target)) == 1
    assert [f.name for f in target.parent.iterdir()] == ["lines.parquet"]


def test_a_failing_write_keeps_the_old_file(tmp_path, lines, monkeypatch):
    target = tmp_path / "lines.parquet"
    write_atomic(lines, target)
    before = target.read_bytes()

    def half_write(self, path, *a, **k):
        with open(path, "wb") as f:
            f.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(lines, target)
    assert target.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["lines.parquet"]


def test_atomic_target_renames_on_success_and_removes_on_failure(tmp_path):
    target = tmp_path / "sub" / "lines.parquet"
    with atomic_target(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError):
        with atomic_target(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("stopped")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["lines.parquet"]


def test_read_notes_from_a_file_written_in_batches(tmp_path, lines):
    import json

    import pyarrow as pa

    table = pa.Table.from_pandas(lines, preserve_index=False)
    with pq.ParquetWriter(tmp_path / "l.parquet", table.schema) as w:
        w.write_table(table)
        w.add_key_value_metadata({"PANDAS_ATTRS": json.dumps({"read_notes": {"return_sign_flipped": 2}})})
    assert read_notes(tmp_path / "l.parquet") == {"return_sign_flipped": 2}
