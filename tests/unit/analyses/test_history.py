"""The KPI history: rows per run and key, a re-run for the same analysis date replaces, an older file's missing
columns, a corrupt file moved aside, atomic writes, and the trend and change of a number."""
from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pandas as pd

from helpers.analyses import history as hist

NOW = dt.datetime(2026, 3, 2, 8, 30, 0)


def _headlines(customers, retention, text="x"):
    return pd.DataFrame([
        {"key": "customers", "label": "Customers", "value": customers, "unit": "customers", "text": text, "notebook": "01"},
        {"key": "retention_rate", "label": "Retention", "value": retention, "unit": "%", "text": text, "notebook": "02"},
        {"key": "clusters", "label": "Clusters", "value": "none", "unit": "", "text": "none", "notebook": "03"},
        {"key": "campaign_response_rate", "label": "Response", "value": float("nan"), "unit": "%", "text": "n/a", "notebook": "08"},
    ])


def _record(path, run, end, customers, retention, minute=0):
    rows = hist.headline_rows(_headlines(customers, retention), config="shop", run=run, analysis_end=end,
                              recorded=NOW + dt.timedelta(minutes=minute))
    return hist.record_run(path, rows, now=NOW)


def test_three_runs_give_one_row_per_run_and_numeric_key_in_date_order(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    assert path == tmp_path / ".history" / "shop.parquet"
    for i, (end, n, r) in enumerate([("2024-06-30", 100, 0.30), ("2024-12-31", 130, 0.25), ("2024-09-30", 120, 0.40)]):
        _record(path, f"run{i}", end, n, r, minute=i)
    rows = pd.read_parquet(path)
    assert list(rows.columns) == hist.COLUMNS
    # texts ("none") and NaN are not numbers to chart: 2 keys x 3 runs
    assert len(rows) == 6 and set(rows["key"]) == {"customers", "retention_rate"}
    s = hist.series(rows, "customers")
    assert s["run"].tolist() == ["run0", "run2", "run1"] and s["value"].tolist() == [100, 120, 130]
    assert s["analysis_end"].tolist() == ["2024-06-30", "2024-09-30", "2024-12-31"]
    assert hist.change(rows, "retention_rate", "run1") == 0.25 - 0.40
    assert math.isnan(hist.change(rows, "customers", "run0"))          # nothing before the first run
    assert not list(tmp_path.glob(".history/.*part"))                    # no temporary file left


def test_a_rerun_for_the_same_analysis_date_replaces_its_rows(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    _record(path, "first", "2024-06-30", 100, 0.3)
    _record(path, "again", "2024-06-30", 105, 0.3, minute=5)
    rows = pd.read_parquet(path)
    assert rows["run"].unique().tolist() == ["again"] and len(rows) == 2
    assert rows.set_index("key").loc["customers", "value"] == 105


def test_the_trend_keeps_the_last_twelve_runs(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    for m in range(1, 15):
        _record(path, f"r{m:02d}", f"2024-{(m - 1) % 12 + 1:02d}-28" if m <= 12 else f"2025-{m - 12:02d}-28", m, 0.1, minute=m)
    rows = pd.read_parquet(path)
    s = hist.series(rows, "customers")
    assert len(s) == 12 and s["value"].tolist() == list(range(3, 15))


def test_no_history_yet_is_an_empty_history_without_notes(tmp_path):
    read = hist.read_history(tmp_path / ".history" / "none.parquet")
    assert read.rows.empty and read.notes == [] and list(read.rows.columns) == hist.COLUMNS


def test_an_older_file_without_some_columns_is_read_and_completed_on_the_next_write(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"run": ["old"], "key": ["customers"], "value": [90.0]}).to_parquet(path)
    read = hist.read_history(path)
    assert len(read.notes) == 1 and "older version" in read.notes[0] and "analysis_end" in read.notes[0]
    assert read.rows.loc[0, "value"] == 90.0 and pd.isna(read.rows.loc[0, "unit"])
    after = _record(path, "new", "2024-06-30", 100, 0.3)
    rows = pd.read_parquet(path)
    assert list(rows.columns) == hist.COLUMNS and set(rows["run"]) == {"old", "new"}
    assert after.notes == read.notes


def test_a_corrupt_file_is_moved_aside_and_a_new_history_starts(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    _record(path, "r1", "2024-06-30", 100, 0.3)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                            # truncated
    after = _record(path, "r2", "2024-09-30", 110, 0.3)
    aside = tmp_path / ".history" / "shop.parquet.corrupt-20260302-083000"
    assert aside.is_file() and aside.read_bytes() == data[: len(data) // 2]
    assert len(after.notes) == 1 and aside.name in after.notes[0]
    assert pd.read_parquet(path)["run"].unique().tolist() == ["r2"]


def test_a_file_without_the_value_column_counts_as_unreadable(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"run": ["x"], "key": ["customers"]}).to_parquet(path)
    read = hist.read_history(path, repair=False)
    assert read.rows.empty and path.is_file() and "could not be read" in read.notes[0]   # left in place
    read = hist.read_history(path, now=NOW)
    assert not path.exists() and (path.parent / "shop.parquet.corrupt-20260302-083000").is_file()


def test_for_run_merges_this_run_into_the_history_of_the_batch_folder(tmp_path):
    path = hist.history_path(tmp_path, "shop")
    _record(path, "shop-1", "2024-06-30", 100, 0.3)
    out = tmp_path / ".tmp-shop-2" / "artefacts" / "90_executive_summary"
    config = SimpleNamespace(name="shop", output=SimpleNamespace(reports_dir=str(tmp_path)))
    found = hist.for_run(config, out, _headlines(140, 0.2), {"analysis_end": "2024-09-30"}, now=NOW)
    assert hist.series(found.rows, "customers")["value"].tolist() == [100, 140]
    assert hist.runs(found.rows) == ["shop-1", "shop-2"]
    assert len(pd.read_parquet(path)) == 2                               # the file is not changed
