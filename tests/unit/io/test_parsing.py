"""Tests for helpers.io.parsing: cells of a raw table become numbers, dates, keys and texts, and every
bad cell raises a DataError naming the file, the column, the rule and the row."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.io.parsing import (
    check_headers,
    naive_timestamps,
    parse_dates,
    parse_keys,
    parse_numbers,
    parse_texts,
    raise_bad,
    raise_missing,
)
from helpers.io.rawfile import RawTable


def raw_of(values, col: str = "c", *, dtype=object, excel: bool = False, sep: str | None = None) -> RawTable:
    """A one-column raw table read from 'f.csv', first data row = file row 2."""
    raw = RawTable.single(pd.DataFrame({col: pd.Series(values, dtype=dtype)}), "f.csv", first_row=2)
    raw.excel, raw.sep = excel, sep
    return raw


# --------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------
def test_check_headers_passes_when_every_header_is_there():
    raw = RawTable.single(pd.DataFrame({"Tarih": ["x"], "Adet": ["1"]}), "f.csv", first_row=2)
    assert check_headers(raw, {"invoice_ts": "Tarih", "quantity": "Adet"}, what="data.columns") is None


def test_check_headers_names_the_first_missing_and_a_case_match():
    raw = RawTable.single(pd.DataFrame({"Tarih": ["x"], "Adet": ["1"]}), "f.csv", first_row=2)
    with pytest.raises(DataError) as ei:
        check_headers(raw, {"invoice_ts": "tarih", "quantity": "Adet", "unit_price": "Fiyat"}, what="data.columns")
    msg = str(ei.value)
    assert ei.value.rule == "missing-column" and ei.value.column == "tarih"
    assert "wanted as invoice_ts by data.columns" in msg and "did you mean 'Tarih'?" in msg
    assert "also missing: 'Fiyat' (unit_price)" in msg
    assert "The file's headers are: 'Tarih', 'Adet'" in msg


def test_check_headers_points_at_the_separator_of_an_unsplit_header():
    raw = raw_of(["x"], col="inv;date;amount", sep=",")
    with pytest.raises(DataError, match=r"header line looks split by ';': set data\.separator: ';'"):
        check_headers(raw, {"invoice": "inv"}, what="data.columns")


# --------------------------------------------------------------------------------------
# raise helpers
# --------------------------------------------------------------------------------------
def test_raise_missing_counts_rows_and_names_the_first_three():
    raw = raw_of(["a", None, None, None, None])
    raise_missing(raw, np.zeros(5, dtype=bool), "c")          # nothing marked: no error
    with pytest.raises(DataError, match=r"f\.csv: column 'c': 4 row\(s\) have no value, e\.g\. row 3, row 4, "
                                        r"row 5 \(rows counted as in the file, header = row 1\).*"
                                        r"\[rule: missing-value\]"):
        raise_missing(raw, raw.frame["c"].isna().to_numpy(), "c")


def test_raise_bad_shows_values_with_their_rows_and_shortens_long_ones():
    long = "x" * 60
    raw = raw_of(["ok", long, "bad"])
    with pytest.raises(DataError) as ei:
        raise_bad(raw, np.array([False, True, True]), raw.frame["c"], "c", "some-rule", "are odd", "; fix them")
    # a value longer than 42 characters (quotes included) shows its first 38 letters and "..."
    assert str(ei.value) == (f"f.csv: column 'c': 2 value(s) are odd: '{'x' * 38}...' (row 3), 'bad' (row 4) "
                             "(rows counted as in the file, header = row 1); fix them [rule: some-rule]")


# --------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------
def test_numbers_with_decimal_comma_and_thousands_dot():
    raw = raw_of(["1.234,56", "2,5", " 3 ", "-1.000"])
    assert parse_numbers(raw, "c", "c", ",", ".").tolist() == [1234.56, 2.5, 3.0, -1000.0]


def test_grouped_numbers_read_without_a_thousands_mark_when_the_decimal_is_a_comma():
    raw = raw_of(["1.234,56", "12.345.678", "0,5"])
    assert parse_numbers(raw, "c", "c", ",", None).tolist() == [1234.56, 12345678.0, 0.5]


def test_numbers_with_space_and_no_break_space_thousands():
    raw = raw_of(["1 234,5", "1\u00a0234,5", "7"])
    assert parse_numbers(raw, "c", "c", ",", " ").tolist() == [1234.5, 1234.5, 7.0]


def test_numeric_and_mixed_columns_keep_their_numbers():
    assert parse_numbers(raw_of([1, 2, 3], dtype="int64"), "c", "c", ".", None).tolist() == [1.0, 2.0, 3.0]
    mixed = raw_of([1, "2.5", np.float64(3.25)])
    out = parse_numbers(mixed, "c", "c", ".", None)
    assert out.tolist() == [1.0, 2.5, 3.25] and str(out.dtype) == "float64"


def test_a_decimal_comma_read_with_a_decimal_point_is_named():
    raw = raw_of(["1", "2,5", "3"])
    with pytest.raises(DataError, match=r"1 value\(s\) are not numbers \(read with data\.decimal '\.'\): '2,5' "
                                        r"\(row 3\).*need data\.decimal: ','.*\[rule: not-a-number\]"):
        parse_numbers(raw, "c", "c", ".", None)


def test_the_message_names_both_marks_it_read_with():
    raw = raw_of(["1", "x", "2"])
    with pytest.raises(DataError, match=r"'x' \(row 3\)") as ei:
        parse_numbers(raw, "c", "c", ",", ".")
    assert ei.value.rule == "not-a-number" and "thousands '.'" in str(ei.value)


def test_blank_text_is_missing_not_unreadable():
    raw = raw_of(["1", "  ", "3"])
    with pytest.raises(DataError, match=r"1 row\(s\) have no value, e\.g\. row 3 .*\[rule: missing-value\]"):
        parse_numbers(raw, "c", "qty", ".", None)


# --------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------
def test_day_first_text_dates():
    raw = raw_of(["31.12.2023 14:05", "01.01.2024 09:00", "02.01.2024 00:00"])
    out = parse_dates(raw, "c", "c", dayfirst=True, date_format=None)
    assert out.tolist() == [pd.Timestamp("2023-12-31 14:05"), pd.Timestamp("2024-01-01 09:00"),
                            pd.Timestamp("2024-01-02")]
    assert str(out.dtype) == "datetime64[us]"


def test_the_only_day_month_order_that_reads_every_date_is_used_with_a_warning():
    raw = raw_of(["01.02.2024", "31.12.2023", "05.01.2024"])
    with pytest.warns(UserWarning, match=r"f\.csv: column 'c': dates read as '%d\.%m\.%Y'"):
        out = parse_dates(raw, "c", "c", dayfirst=False, date_format=None)
    assert out.tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2023-12-31"), pd.Timestamp("2024-01-05")]


def test_explicit_format_and_unreadable_dates():
    raw = raw_of(["2024/31/12", "2024/01/02"])
    out = parse_dates(raw, "c", "c", dayfirst=False, date_format="%Y/%d/%m")
    assert out.tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2024-02-01")]
    bad = raw_of(["2024/31/12", "2024/13/13"])
    with pytest.raises(DataError, match=r"1 value\(s\) are not dates \(read with data\.date_format '%Y/%d/%m'\): "
                                        r"'2024/13/13' \(row 3\).*\[rule: unreadable-date\]"):
        parse_dates(bad, "c", "c", dayfirst=False, date_format="%Y/%d/%m")


def test_yyyymmdd_numbers_and_excel_serial_days():
    assert parse_dates(raw_of([20240102, 19991231], dtype="int64"), "c", "c", dayfirst=False,
                       date_format=None).tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("1999-12-31")]
    # Excel counts days from 1899-12-30; 45291.25 is that day plus 45,291 days and 6 hours
    serial = raw_of([45291.25, 20240102.0], dtype="float64", excel=True)
    expected = dt.datetime(1899, 12, 30) + dt.timedelta(days=45291, hours=6)
    assert parse_dates(serial, "c", "c", dayfirst=False, date_format=None).tolist() == [
        pd.Timestamp(expected), pd.Timestamp("2024-01-02")]
    # outside a workbook the same number is no date
    with pytest.raises(DataError, match=r"\[rule: unreadable-date\]"):
        parse_dates(raw_of([45291.0, 20240102.0], dtype="float64"), "c", "c", dayfirst=False, date_format=None)


def test_datetime_cells_and_time_zones_keep_the_wall_clock():
    aware = pd.Series(pd.to_datetime(["2024-01-01 10:00", "2024-06-01 23:30"])).dt.tz_localize("Europe/Istanbul")
    raw = RawTable.single(pd.DataFrame({"c": aware}), "f.parquet", first_row=1)
    assert parse_dates(raw, "c", "c", dayfirst=False, date_format=None).tolist() == [
        pd.Timestamp("2024-01-01 10:00"), pd.Timestamp("2024-06-01 23:30")]
    cells = raw_of([dt.datetime(2023, 12, 31, 14, 5), "01.01.2024", dt.date(2024, 1, 2)])
    assert parse_dates(cells, "c", "c", dayfirst=True, date_format=None).tolist() == [
        pd.Timestamp("2023-12-31 14:05"), pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]


def test_naive_timestamps_drops_the_zone_and_keeps_microseconds():
    ts = pd.Series(pd.to_datetime(["2024-03-31 01:30:00.000001"])).dt.tz_localize("UTC")
    out = naive_timestamps(ts)
    assert str(out.dtype) == "datetime64[us]" and out.iloc[0] == pd.Timestamp("2024-03-31 01:30:00.000001")


# --------------------------------------------------------------------------------------
# keys and texts
# --------------------------------------------------------------------------------------
def test_keys_from_floats_ints_text_and_mixed_cells():
    assert parse_keys(pd.Series([13085.0, np.nan, 1.5])).tolist() == ["13085", pd.NA, "1.5"]
    assert parse_keys(pd.Series([7, 8], dtype="int64")).tolist() == ["7", "8"]
    assert parse_keys(pd.Series([" A1 ", "", None], dtype="string")).tolist() == ["A1", pd.NA, pd.NA]
    mixed = parse_keys(pd.Series([12.0, " X ", None, 7, "00042"], dtype=object))
    assert mixed.tolist() == ["12", "X", pd.NA, "7", "00042"] and str(mixed.dtype) == "string"


def test_keys_strip_a_float_suffix_only_when_asked():
    s = pd.Series(["13085.0", "13085.00", "1.50"], dtype="string")
    assert parse_keys(s).tolist() == ["13085.0", "13085.00", "1.50"]
    assert parse_keys(s, strip_float_suffix=True).tolist() == ["13085", "13085", "1.50"]


def test_texts_keep_their_spaces_unless_stripped_and_blanks_are_null():
    s = pd.Series([" Çay ", "", "   ", None, 3.0], dtype=object)
    assert parse_texts(s, strip=False).tolist() == [" Çay ", pd.NA, pd.NA, pd.NA, "3"]
    assert parse_texts(s, strip=True).tolist() == ["Çay", pd.NA, pd.NA, pd.NA, "3"]
