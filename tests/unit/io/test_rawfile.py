"""Tests for helpers.io.rawfile: raw tables keep each row's place in the file, the readers per format
guess separators and decode text, and a missing, empty or unreadable file raises a DataError."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.io.rawfile import (
    RawTable,
    check_exists,
    first_line,
    format_of,
    iter_parquet,
    iter_text,
    iter_xlsx,
    nfc,
    read_parquet,
    read_text,
    read_xlsx,
)
from tests.fixtures.workbooks import write_xlsx


# --------------------------------------------------------------------------------------
# RawTable
# --------------------------------------------------------------------------------------
def test_single_cleans_headers_and_numbers_rows_from_the_first_data_row():
    decomposed = unicodedata.normalize("NFD", "Müşteri")
    frame = pd.DataFrame({"\ufeffFatura ": ["A", "B"], decomposed: ["x", "y"]}, index=[5, 9])
    raw = RawTable.single(frame, "f.csv", first_row=2)
    assert list(raw.frame.columns) == ["Fatura", "Müşteri"]
    assert raw.frame.index.tolist() == [0, 1]
    assert raw.row_no.tolist() == [2, 3] and raw.sheet is None and len(raw) == 2
    assert [raw.where(i) for i in range(2)] == ["row 2", "row 3"]


def test_concat_and_parts_keep_each_sheet_and_row():
    a = RawTable.single(pd.DataFrame({"c": [1, 2]}), "w.xlsx", first_row=2, sheet="Ocak")
    b = RawTable.single(pd.DataFrame({"c": [3]}), "w.xlsx", first_row=2, sheet="Şubat")
    both = RawTable.concat([a, b])
    assert both.frame["c"].tolist() == [1, 2, 3]
    assert both.row_no.tolist() == [2, 3, 2]
    assert [both.where(i) for i in range(3)] == ["sheet 'Ocak' row 2", "sheet 'Ocak' row 3", "sheet 'Şubat' row 2"]
    parts = list(both.parts())
    assert [name for name, _ in parts] == ["Ocak", "Şubat"]
    assert parts[1][1].frame["c"].tolist() == [3] and parts[1][1].row_no.tolist() == [2]
    assert RawTable.concat([a]) is a
    single = RawTable.single(pd.DataFrame({"c": [1]}), "f.csv", first_row=2)
    assert list(single.parts()) == [(None, single)]


def test_dropna_rows_drops_blank_rows_and_keeps_the_others_row_numbers():
    frame = pd.DataFrame({"a": ["x", None, "z", None], "b": ["1", None, None, "4"]})
    raw = RawTable.single(frame, "f.csv", first_row=2).dropna_rows()
    assert raw.frame["a"].tolist()[:2] == ["x", "z"] and raw.row_no.tolist() == [2, 4, 5]
    full = RawTable.single(pd.DataFrame({"a": ["x"]}), "f.csv", first_row=2)
    assert full.dropna_rows() is full


def test_nfc_composes_letters():
    assert nfc(unicodedata.normalize("NFD", "Çiğ Köfte")) == "Çiğ Köfte"
    assert len(nfc("s\u0327")) == 1                       # s + combining cedilla -> ş


def test_first_line_of_an_exception():
    assert first_line(ValueError("bad thing\nmore detail")) == "bad thing"
    assert first_line(KeyError()) == "KeyError"


# --------------------------------------------------------------------------------------
# files and formats
# --------------------------------------------------------------------------------------
def test_check_exists_names_close_files_empty_files_and_folders(tmp_path):
    (tmp_path / "satislar.csv").write_text("a\n1\n")
    check_exists(tmp_path / "satislar.csv")
    with pytest.raises(DataError, match=r"satislr\.csv: does not exist.*did you mean 'satislar\.csv'\? "
                                        r"\[rule: file-not-found\]"):
        check_exists(tmp_path / "satislr.csv")
    with pytest.raises(DataError, match=r"holds: satislar\.csv"):
        check_exists(tmp_path / "zzzzzzzz.parquet")
    with pytest.raises(DataError, match=r"the folder .*nowhere does not exist either"):
        check_exists(tmp_path / "nowhere" / "x.csv")
    with pytest.raises(DataError, match=r"is a folder, not a file"):
        check_exists(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"is empty \(0 bytes\) \[rule: empty-file\]"):
        check_exists(tmp_path / "empty.csv")


@pytest.mark.parametrize("name, fmt", [("a.CSV", "csv"), ("a.tab", "tsv"), ("a.txt", "txt"), ("a.pq", "parquet"),
                                       ("a.xlsm", "xlsx")])
def test_format_of_by_extension(name, fmt):
    assert format_of(Path(name), "auto") == fmt
    assert format_of(Path(name), "csv") == "csv"      # a given format wins


def test_format_of_refuses_old_and_unknown_files(tmp_path):
    with pytest.raises(DataError, match=r"old Excel 97-2003.*\[rule: unsupported-format\]"):
        format_of(tmp_path / "a.xls", "auto")
    with pytest.raises(DataError, match=r"has extension '\(none\)'"):
        format_of(tmp_path / "README", "auto")


# --------------------------------------------------------------------------------------
# text files
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, text, sep, columns", [
    ("csv", "a;b;c\n1;2;3\n", ";", ["a", "b", "c"]),        # csv without a comma in the header: ';'
    ("csv", "a\tb\n1\t2\n", "\t", ["a", "b"]),
    ("csv", "a,b;c\n1,2;3\n", ",", ["a", "b;c"]),          # a comma in the header: ','
    ("tsv", "a b\tc\n1 2\t3\n", "\t", ["a b", "c"]),
    ("txt", "a|b|c\n1|2|3\n", "|", ["a", "b", "c"]),        # the most frequent of ; tab , |
    ("txt", "a  b   c\n1 2 3\n", r"\s+", ["a", "b", "c"]),  # none of them: whitespace
])
def test_read_text_guesses_the_separator(tmp_path, fmt, text, sep, columns):
    p = tmp_path / f"f.{fmt}"
    p.write_text(text, encoding="utf-8")
    raw = read_text(p, fmt=fmt, separator=None, encoding="utf-8")
    assert raw.sep == sep and list(raw.frame.columns) == columns
    assert len(raw) == 1 and raw.row_no.tolist() == [2]


def test_read_text_keeps_text_skips_the_bom_and_numbers_rows_as_in_the_file(tmp_path):
    p = tmp_path / "f.csv"
    p.write_bytes("\ufeffid,name\n007,Gül\n\n008,\n".encode("utf-8"))
    raw = read_text(p, fmt="csv", separator=None, encoding="utf-8")
    assert list(raw.frame.columns) == ["id", "name"]
    assert raw.frame["id"].tolist() == ["007", "008"]           # text, leading zeros kept
    assert raw.frame["name"].iloc[0] == "Gül" and pd.isna(raw.frame["name"].iloc[1])
    assert raw.row_no.tolist() == [2, 4]                       # the blank line 3 is dropped


def test_a_row_that_does_not_split_names_the_line_and_the_decimal_comma(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"cannot be split into columns with separator ',': .*line 3, saw 3; "
                                        r"numbers with a decimal comma .*\[rule: malformed-row\]"):
        read_text(p, fmt="csv", separator=",", encoding="utf-8")


def test_read_text_errors(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("a,b\n")
    with pytest.raises(DataError, match=r"has a header line but no data rows \[rule: empty-file\]"):
        read_text(p, fmt="csv", separator=None, encoding="utf-8")
    p.write_text("\n\n")
    with pytest.raises(DataError, match=r"has no header and no data \[rule: empty-file\]"):
        read_text(p, fmt="csv", separator=None, encoding="utf-8")
    p.write_bytes("ad;ülke\nx;Türkiye\n".encode("cp1254"))
    with pytest.raises(DataError) as ei:
        read_text(p, fmt="csv", separator=";", encoding="utf-8")
    # 'ü' is 0xFC in cp1254, not UTF-8: the header line itself
    assert ei.value.rule == "encoding" and "byte 0xFC in the header line" in str(ei.value)
    p.write_bytes("ad;ülke\n".encode("utf-8") + "x;Türkiye\n".encode("cp1254"))
    with pytest.raises(DataError, match=r"column 'ülke': cannot be decoded as utf-8: byte 0xFC on line 2"):
        read_text(p, fmt="csv", separator=";", encoding="utf-8")


# --------------------------------------------------------------------------------------
# parquet and workbooks
# --------------------------------------------------------------------------------------
def test_read_parquet_keeps_types_and_counts_rows_from_one(tmp_path):
    p = tmp_path / "f.parquet"
    pd.DataFrame({"n": [1, None, 3], "t": ["a", None, "c"]}).to_parquet(p)
    raw = read_parquet(p)
    assert raw.frame["n"].tolist() == [1.0, 3.0] and raw.row_no.tolist() == [1, 3]
    assert raw.row_note == "rows counted from 1"
    pd.DataFrame({"n": pd.Series([], dtype="float64")}).to_parquet(p)
    with pytest.raises(DataError, match=r"has columns but no rows \[rule: empty-file\]"):
        read_parquet(p)
    p.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"is not a readable parquet file .*\[rule: unreadable-file\]"):
        read_parquet(p)


def test_read_xlsx_sheets(tmp_path, capsys):
    rows = [["inv", "when", "qty"], ["A", dt.datetime(2024, 1, 2), 2], [], ["B", dt.datetime(2024, 1, 3), 1.5]]
    p = write_xlsx(tmp_path / "w.xlsx", {"Ocak": rows, "Şubat": rows[:2]})
    first = read_xlsx(p, sheets=None, all_sheets=False, progress=False)
    assert first.excel and first.sheet is None                   # one sheet: no sheet names in messages
    assert first.frame["inv"].tolist() == ["A", "B"] and first.row_no.tolist() == [2, 4]
    assert first.frame["qty"].tolist() == [2, 1.5]               # Excel's numbers stay numbers
    every = read_xlsx(p, sheets=None, all_sheets=True, progress=True)
    assert [every.where(i) for i in range(len(every))] == ["sheet 'Ocak' row 2", "sheet 'Ocak' row 4",
                                                           "sheet 'Şubat' row 2"]
    assert "sheet 'Şubat': 1 rows" in capsys.readouterr().out
    assert read_xlsx(p, sheets=["Şubat"], all_sheets=False, progress=False).frame["inv"].tolist() == ["A"]
    with pytest.raises(DataError, match=r"has no sheet 'Subat' \(data\.sheets\); its sheets are: 'Ocak', 'Şubat'; "
                                        r"did you mean 'Şubat'\? \[rule: missing-sheet\]"):
        read_xlsx(p, sheets=["Subat"], all_sheets=False, progress=False)


def test_read_xlsx_empty_and_broken(tmp_path):
    p = write_xlsx(tmp_path / "w.xlsx", {"S": [["inv", "qty"]]})
    with pytest.raises(DataError, match=r"has no data rows in sheet\(s\) 'S' \[rule: empty-file\]"):
        read_xlsx(p, sheets=None, all_sheets=False, progress=False)
    q = tmp_path / "broken.xlsx"
    q.write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match=r"is not a readable \.xlsx workbook"):
        read_xlsx(q, sheets=None, all_sheets=False, progress=False)


# --------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------
def _rows_and_frame(parts):
    raw = RawTable.concat(list(parts))
    return raw.row_no.tolist(), raw.frame.reset_index(drop=True)


def test_iter_text_batches_keep_the_files_row_numbers_and_cells(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("a;b\n1;x\n\n2;y\n3;\n\n\n4;z\n5;w\n", encoding="utf-8")
    whole = read_text(p, fmt="csv", separator=None, encoding="utf-8")
    assert whole.row_no.tolist() == [2, 4, 5, 8, 9]
    for n in (1, 2, 3, 100):
        parts = list(iter_text(p, fmt="csv", separator=None, encoding="utf-8", batch_rows=n))
        rows, frame = _rows_and_frame(parts)
        assert rows == whole.row_no.tolist()
        pd.testing.assert_frame_equal(frame, whole.frame.reset_index(drop=True))
        assert all(x.sep == ";" for x in parts)
    assert len(list(iter_text(p, fmt="csv", separator=None, encoding="utf-8", batch_rows=2))) == 4


def test_iter_text_errors_in_a_late_batch_are_the_files_errors(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes("a;b\n".encode() + b"".join(f"{i};x\n".encode() for i in range(10)) + b"10;\xfe\n")
    with pytest.raises(DataError, match=r"bad\.csv: column 'b': cannot be decoded as utf-8: byte 0xFE on line 12"):
        list(iter_text(p, fmt="csv", separator=None, encoding="utf-8", batch_rows=3))
    q = tmp_path / "head.csv"
    q.write_text("a;b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"has a header line but no data rows"):
        list(iter_text(q, fmt="csv", separator=None, encoding="utf-8", batch_rows=3))
    r = tmp_path / "extra.csv"
    r.write_text("a,b\n" + "1,2\n" * 5 + "1,2,3\n", encoding="utf-8")
    for n in (None, 2):
        with pytest.raises(DataError, match=r"cannot be split .* Expected 2 fields in line 7, saw 3"):
            list(iter_text(r, fmt="csv", separator=None, encoding="utf-8", batch_rows=n))
    r.write_text("a,b\n1,2,3\n" + "1,2\n" * 5, encoding="utf-8")
    with pytest.warns(UserWarning, match="more fields than the header line") as caught:
        assert sum(len(x) for x in iter_text(r, fmt="csv", separator=None, encoding="utf-8", batch_rows=2)) == 6
    assert len(caught) == 1


def test_iter_parquet_batches_equal_read_parquet(tmp_path):
    p = tmp_path / "l.parquet"
    pd.DataFrame({"id": pd.array(["a", None, "c", "d", "e"], dtype="string"), "n": [1, 2, None, 4, 5],
                  "ts": pd.to_datetime(["2024-01-01"] * 5)}).to_parquet(p, index=False)
    whole = read_parquet(p)
    for n in (1, 2, 10):
        rows, frame = _rows_and_frame(iter_parquet(p, n))
        assert rows == whole.row_no.tolist() == [1, 2, 3, 4, 5]
        pd.testing.assert_frame_equal(frame, whole.frame.reset_index(drop=True))
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"is not a readable parquet file"):
        list(iter_parquet(tmp_path / "x.parquet", 2))


def test_iter_xlsx_groups_whole_sheets_into_batches(tmp_path):
    rows = [["a", "b"], [1, "x"], [2, "y"], [3, "z"]]
    p = write_xlsx(tmp_path / "w.xlsx", {"S1": rows, "S2": rows, "S3": rows})
    parts = list(iter_xlsx(p, sheets=None, all_sheets=True, progress=False, batch_rows=4))
    assert [len(x) for x in parts] == [6, 3]
    assert [list(pd.unique(x.sheet)) for x in parts] == [["S1", "S2"], ["S3"]]
    whole = read_xlsx(p, sheets=None, all_sheets=True, progress=False)
    rows, got = _rows_and_frame(parts)
    assert rows == whole.row_no.tolist()
    pd.testing.assert_frame_equal(got, whole.frame.reset_index(drop=True))


def test_iter_xlsx_streams_cells_as_pandas_read_excel_reads_them(tmp_path):
    rows = [["Fatura", None, "Fiyat", "Fiyat", 7],
            ["F1", "NA", 2.0, 1.5, dt.datetime(2024, 1, 2, 9, 30)],
            ["F2", None, 3, "#N/A", dt.date(2024, 1, 3)],
            [None, None, None, None, None],
            ["F3", "x", -1e-3, True, "2024-01-04"],
            ["F4", "", 10**12, None, None, "extra"],
            [None] * 5, [None] * 5]
    p = write_xlsx(tmp_path / "w.xlsx", {"S": rows})
    expected = pd.read_excel(p, dtype=object)
    expected.columns = [str(c) for c in expected.columns]
    for n in (None, 1, 2, 100):
        parts = list(iter_xlsx(p, sheets=None, all_sheets=False, progress=False, batch_rows=n))
        raw = RawTable.concat(parts)
        assert raw.row_no.tolist() == [2, 3, 5, 6]
        want = expected.dropna(how="all").reset_index(drop=True)
        got = raw.frame.reset_index(drop=True)
        assert list(got.columns) == list(want.columns) == ["Fatura", "Unnamed: 1", "Fiyat", "Fiyat.1", "7",
                                                           "Unnamed: 5"]
        for c in want.columns:
            assert [None if pd.isna(v) else v for v in got[c]] == [None if pd.isna(v) else v for v in want[c]], c
