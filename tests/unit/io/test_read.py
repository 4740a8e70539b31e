"""Tests for helpers.io.read: every loader gives the canonical line table, every bad input a
DataError naming file, column and rule, and the cache is written only after a good read."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
import time
import types
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

import helpers
from helpers import paths
from helpers.config import config_from_dict
from helpers.errors import DataError
from helpers.io.read import (
    Source,
    fingerprint_file,
    read_cdnow,
    read_file,
    read_online_retail,
    read_source,
)
from helpers.io.olist import OLIST_FILES
from helpers.io.schema import LINE_COLUMNS, OPTIONAL, validate_lines
from tests.fixtures import FIXTURES
from tests.fixtures.workbooks import write_xlsx

FIX = FIXTURES / "read"
TR_COLUMNS = {
    "invoice": "Fatura No", "invoice_ts": "Tarih", "customer_id": "Müşteri No",
    "product_id": "Ürün Kodu", "description": "Ürün Adı", "quantity": "Adet",
    "unit_price": "Birim Fiyat", "country": "Ülke",
}
TR_DATA = {"separator": ";", "decimal": ",", "thousands": ".", "dayfirst": True,
           "encoding": "cp1254", "currency": "TRY", "columns": TR_COLUMNS}

ORII = paths.SHARED_DATA / "online_retail_ii" / "online_retail_II_sample.xlsx"
CDNOW_MASTER = paths.SHARED_DATA / "cdnow" / "CDNOW_master.txt"
CDNOW_SAMPLE = paths.SHARED_DATA / "cdnow" / "CDNOW_sample.txt"


def needs(path: Path):
    return pytest.mark.skipif(not path.is_file(),
                              reason=f"shared data file {path} is absent (../shared/data not present)")


def make_cfg(**data):
    return config_from_dict({"name": "t", "data": data})


def file_cfg(path, **data):
    return make_cfg(source="file", path=str(path), **data)


@pytest.fixture
def interim(tmp_path, monkeypatch):
    d = tmp_path / "interim"
    monkeypatch.setattr(paths, "INTERIM", d)
    return d


def snapshot(folder: Path) -> dict:
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def assert_clean_error(exc: BaseException):
    """No pandas traceback chained to the DataError."""
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


# --------------------------------------------------------------------------------------
# the canonical shape
# --------------------------------------------------------------------------------------
def assert_canonical(df: pd.DataFrame):
    assert list(df.columns) == list(LINE_COLUMNS)
    assert {c: str(t) for c, t in df.dtypes.items()} == LINE_COLUMNS
    validate_lines(df, "test")
    assert df["line_id"].tolist() == list(range(len(df)))


# --------------------------------------------------------------------------------------
# user's own file
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["cp1254", "iso-8859-9"])
def test_turkish_csv(encoding):
    cfg = file_cfg(FIX / "satislar_tr.csv", **{**TR_DATA, "encoding": encoding})
    df = read_file(cfg.data_path(), cfg.data)
    assert_canonical(df)
    assert len(df) == 10
    first = df.iloc[0]
    assert first["invoice"] == "F2023-001"
    assert first["invoice_ts"] == pd.Timestamp("2023-12-31 14:05")
    assert first["unit_price"] == 1234.56
    assert first["quantity"] == 2.0
    assert first["amount"] == 2 * 1234.56
    assert first["description"] == "Çiğ Köfte Seti"
    assert first["country"] == "Türkiye"
    assert first["currency"] == "TRY"
    assert df["unit_price"].tolist() == [1234.56, 15.5, 89.9, 120.0, 1234.56, 45.75, 2500.0,
                                         32.25, 7.5, 1049.99]
    assert df["invoice_ts"].tolist()[2] == pd.Timestamp("2024-01-02 09:30")  # 02.01 is 2 January
    assert df["invoice_ts"].tolist()[6] == pd.Timestamp("2024-02-29 23:59")
    assert df["description"].tolist()[2:4] == ["Ispanaklı Börek", "İncir Reçeli"]
    assert df["description"].iloc[8] == "Şeker Pancarı Işığı"
    assert df["description"].iloc[6] == "Öğretmen Çantası"
    assert df["country"].iloc[6] == "Kuzey Kıbrıs"
    assert df["invoice"].iloc[4] == "C2024-004" and df["quantity"].iloc[4] == -1
    assert pd.isna(df["customer_id"].iloc[5])          # blank cell = guest
    assert df["customer_id"].iloc[9] == "00042"         # ids stay text
    assert df["category"].isna().all() and df["channel"].isna().all()


def test_turkish_csv_decoded_as_utf8_is_an_encoding_error():
    cfg = file_cfg(FIX / "satislar_tr.csv", **{**TR_DATA, "encoding": "utf-8"})
    with pytest.raises(DataError, match=r"satislar_tr\.csv.*utf-8.*data\.encoding.*cp1254.*iso-8859-9"
                       r".*\[rule: encoding\]") as ei:
        read_file(cfg.data_path(), cfg.data)
    assert_clean_error(ei.value)


def test_amount_instead_of_price_and_built_invoices():
    cfg = file_cfg(FIX / "amount_only.csv", currency="EUR",
                   columns={"invoice_ts": "Order Date", "customer_id": "Customer", "quantity": "Qty",
                            "amount": "Line Total", "currency": "Currency"})
    df = read_file(cfg.data_path(), cfg.data)           # utf-8 with a BOM
    assert_canonical(df)
    assert df["amount"].tolist() == [10.0, 3.5, 0.0, 20.0, -7.5]
    assert df["unit_price"].tolist() == [5.0, 3.5, 0.0, 5.0, -2.5]   # 0 when quantity is 0
    assert df["currency"].tolist() == ["EUR", "EUR", "EUR", "USD", "EUR"]  # blank -> config
    inv = df["invoice"].tolist()
    assert inv[0] == inv[1] == "20240105-100000-A1"     # same customer and moment = one order
    assert inv[3] == "20240201-091500-guest"
    assert len(set(inv)) == 4
    assert not any(i.startswith("C") for i in inv)


def test_amount_without_quantity_counts_one_unit(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text("id,when,who,total\n1,2024-01-01,a,10\n2,2024-01-02,b,20.5\n3,2024-01-03,a,7\n")
    cfg = file_cfg(p, columns={"invoice": "id", "invoice_ts": "when", "customer_id": "who",
                               "amount": "total"})
    df = read_file(p, cfg.data)
    assert df["quantity"].tolist() == [1.0, 1.0, 1.0]
    assert df["unit_price"].tolist() == [10.0, 20.5, 7.0]
    assert df["currency"].unique().tolist() == ["GBP"]


def test_tsv_with_blank_line_and_month_first_dates():
    cfg = file_cfg(FIX / "sales.tsv", columns={
        "invoice": "order", "invoice_ts": "date", "customer_id": "client", "product_id": "sku",
        "description": "name", "quantity": "units", "unit_price": "price", "channel": "channel"})
    df = read_file(cfg.data_path(), cfg.data)
    assert_canonical(df)
    assert len(df) == 4
    assert df["invoice"].tolist() == ["1001", "1001", "1002", "1003"]
    assert df["invoice_ts"].iloc[0] == pd.Timestamp("2024-03-15")
    assert df["channel"].tolist() == ["web", "web", "store", "app"]
    assert df["amount"].tolist() == [2.5, 4.5, 12.5, 12.0]


def test_semicolon_csv_is_recognised_without_separator(tmp_path):
    p = tmp_path / "excel_tr.csv"
    p.write_text("Fatura;Tarih;Tutar\nA;01.02.2024;1,5\nB;03.02.2024;2\nC;31.12.2024;3\n", encoding="utf-8")
    cfg = file_cfg(p, decimal=",", dayfirst=True,
                   columns={"invoice": "Fatura", "invoice_ts": "Tarih", "amount": "Tutar"})
    df = read_file(p, cfg.data)
    assert df["amount"].tolist() == [1.5, 2.0, 3.0]
    assert df["invoice_ts"].iloc[0] == pd.Timestamp("2024-02-01")


def test_parquet_file_with_numeric_ids(tmp_path):
    p = tmp_path / "lines.parquet"
    pd.DataFrame({
        "order_no": [5001, 5001, 5002, 5003],
        "ts": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02", "2024-01-03"],
                             format="mixed"),
        "cust": [13085.0, 13085.0, np.nan, 12.0],
        "sku": ["A", "B", "A", "C"],
        "cat": ["x", "y", "x", None],
        "qty": [1, 2, 3, 4],
        "price": [1.5, 2.0, 1.5, 10.0],
    }).to_parquet(p)
    cfg = file_cfg(p, currency="EUR", columns={
        "invoice": "order_no", "invoice_ts": "ts", "customer_id": "cust", "product_id": "sku",
        "category": "cat", "quantity": "qty", "unit_price": "price"})
    df = read_file(p, cfg.data)
    assert_canonical(df)
    assert df["invoice"].tolist() == ["5001", "5001", "5002", "5003"]
    assert df["customer_id"].tolist()[:2] == ["13085", "13085"] and pd.isna(df["customer_id"].iloc[2])
    assert df["customer_id"].iloc[3] == "12"
    assert df["amount"].tolist() == [1.5, 4.0, 4.5, 40.0]
    assert df["category"].iloc[1] == "y"


def test_xlsx_user_file_text_and_number_cells(tmp_path):
    p = write_xlsx(tmp_path / "satış.xlsx", {
        "Özet": [["Toplam", 12]],
        "Satışlar": [
            ["Fatura No", "Tarih", "Müşteri", "Adet", "Birim Fiyat"],
            ["F1", dt.datetime(2023, 12, 31, 14, 5), "00123", 2, 1234.56],
            ["F2", "31.12.2023 15:30", "00124", "3", "1.234,56"],
            [],
            [1003, dt.datetime(2024, 1, 2), 125, 1, "2,5"],
        ],
    })
    cfg = file_cfg(p, sheets=["Satışlar"], decimal=",", dayfirst=True, columns={
        "invoice": "Fatura No", "invoice_ts": "Tarih", "customer_id": "Müşteri",
        "quantity": "Adet", "unit_price": "Birim Fiyat"})
    df = read_file(p, cfg.data)
    assert_canonical(df)
    assert df["invoice"].tolist() == ["F1", "F2", "1003"]
    assert df["customer_id"].tolist() == ["00123", "00124", "125"]
    assert df["unit_price"].tolist() == [1234.56, 1234.56, 2.5]
    assert df["invoice_ts"].tolist() == [pd.Timestamp("2023-12-31 14:05"),
                                         pd.Timestamp("2023-12-31 15:30"), pd.Timestamp("2024-01-02")]


def test_xlsx_user_file_reads_first_sheet_by_default(tmp_path):
    rows = [["inv", "date", "qty", "price"]] + [[f"I{i}", dt.datetime(2024, 1, i + 1), 1, 2.0]
                                                for i in range(3)]
    p = write_xlsx(tmp_path / "book.xlsx", {"data": rows, "notes": [["just notes"]]})
    cfg = file_cfg(p, columns={"invoice": "inv", "invoice_ts": "date", "quantity": "qty",
                               "unit_price": "price"})
    assert len(read_file(p, cfg.data)) == 3


def test_dates_mixing_date_only_and_date_time(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_text("inv;date;amount\nA;31.12.2023 14:05;1\nB;01.01.2024;2\nC;02.01.2024 08:00;3\n")
    cfg = file_cfg(p, dayfirst=True, columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    df = read_file(p, cfg.data)
    assert df["invoice_ts"].tolist() == [pd.Timestamp("2023-12-31 14:05"), pd.Timestamp("2024-01-01"),
                                         pd.Timestamp("2024-01-02 08:00")]


def test_day_first_dates_without_dayfirst_are_read_day_first_with_a_warning(tmp_path):
    p = tmp_path / "dates.csv"
    p.write_text("inv;date;amount\nA;01.02.2024;1\nB;31.12.2023;2\nC;05.01.2024;3\n")
    cfg = file_cfg(p, columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    with pytest.warns(UserWarning, match="date"):
        df = read_file(p, cfg.data)
    assert df["invoice_ts"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2023-12-31"),
                                         pd.Timestamp("2024-01-05")]


def test_explicit_date_format(tmp_path):
    p = tmp_path / "fmt.csv"
    p.write_text("inv,date,amount\nA,2024/31/12 23h59,1\nB,2024/01/01 00h00,2\nC,2024/02/01 12h30,3\n")
    cfg = file_cfg(p, date_format="%Y/%d/%m %Hh%M",
                   columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    df = read_file(p, cfg.data)
    assert df["invoice_ts"].iloc[0] == pd.Timestamp("2024-12-31 23:59")
    assert df["invoice_ts"].iloc[2] == pd.Timestamp("2024-01-02 12:30")


def test_headers_in_decomposed_unicode_match_the_config(tmp_path):
    import unicodedata

    head = unicodedata.normalize("NFD", "Fatura No;Tarih;Müşteri No;Tutar")   # as macOS may write
    p = tmp_path / "nfd.csv"
    p.write_text(head + "\nA;2024-01-01;m1;1\nB;2024-01-02;m2;2\nC;2024-01-03;m1;3\n", encoding="utf-8")
    cfg = file_cfg(p, columns={"invoice": "Fatura No", "invoice_ts": "Tarih", "customer_id": "Müşteri No",
                               "amount": "Tutar"})
    assert read_file(p, cfg.data)["customer_id"].tolist() == ["m1", "m2", "m1"]


def test_utf8_file_read_as_cp1254_warns(tmp_path):
    p = tmp_path / "utf8.csv"
    p.write_text("inv;date;amount;name\nA;2024-01-01;1;Gül\nB;2024-01-02;2;Çay\nC;2024-01-03;3;Süt\n",
                 encoding="utf-8")
    cfg = file_cfg(p, encoding="cp1254", columns={"invoice": "inv", "invoice_ts": "date",
                                                  "amount": "amount", "description": "name"})
    with pytest.warns(UserWarning, match=r"utf8\.csv.*looks like UTF-8"):
        assert read_file(p, cfg.data)["description"].iloc[0] == "GÃ¼l"   # garbled, hence the warning
    # a letter whose UTF-8 bytes are not cp1254 at all (Ş = C5 9E): an error pointing to utf-8
    p.write_text("inv;date;amount;name\nA;2024-01-01;1;Şeker\nB;2024-01-02;2;x\nC;2024-01-03;3;y\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match=r"utf8\.csv: column 'name': cannot be decoded as cp1254.*line 2"
                                        r".*looks like UTF-8: set data\.encoding: utf-8"):
        read_file(p, cfg.data)


def test_xlsx_dates_as_excel_serial_numbers(tmp_path):
    p = write_xlsx(tmp_path / "serial.xlsx", {"s": [["inv", "date", "amount"], ["A", 45291, 1.0],
                                                    ["B", 45291.5, 2.0], ["C", 20240102, 3.0]]})
    cfg = file_cfg(p, columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    assert read_file(p, cfg.data)["invoice_ts"].tolist() == [
        pd.Timestamp("2023-12-31"), pd.Timestamp("2023-12-31 12:00"), pd.Timestamp("2024-01-02")]


# --------------------------------------------------------------------------------------
# Online Retail (II)
# --------------------------------------------------------------------------------------
NEW_HEAD = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID",
            "Country"]
OLD_HEAD = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
            "CustomerID", "Country"]
SHEET1 = [
    [489434, 85048, "15CM CHRISTMAS GLASS BALL 20 LIGHTS", 12, dt.datetime(2009, 12, 1, 7, 45), 6.95,
     13085.0, "United Kingdom"],
    [489434, "79323P", "PINK CHERRY LIGHTS", 12, dt.datetime(2009, 12, 1, 7, 45), 6.75, 13085.0,
     "United Kingdom"],
    ["C489449", 22087, "PAPER BUNTING WHITE LACE", -12, dt.datetime(2009, 12, 1, 10, 33), 2.95, 16321.0,
     "Australia"],
]
SHEET2 = [
    [537026, "POST", "POSTAGE", 1, dt.datetime(2010, 12, 3, 9, 0), 18.0, None, "Belgium"],
    [537027, 21217, "RED RETROSPOT ROUND CAKE TINS", 2, dt.datetime(2010, 12, 3, 9, 5), 9.95, 12395.0,
     "Belgium"],
    [537028, "M", "Manual", 1, dt.datetime(2010, 12, 3, 9, 7), 0.0, 12395.0, "Belgium"],
]


@pytest.mark.parametrize("head", [NEW_HEAD, OLD_HEAD], ids=["online_retail_ii", "online_retail_old"])
def test_online_retail_xlsx_two_sheets(tmp_path, head):
    p = write_xlsx(tmp_path / "or.xlsx", {"Year 2009-2010": [head, *SHEET1],
                                          "Year 2010-2011": [head, *SHEET2]})
    df = read_online_retail(p)
    assert_canonical(df)
    assert df["line_id"].tolist() == [0, 1, 2, 3, 4, 5]
    assert df["invoice"].tolist() == ["489434", "489434", "C489449", "537026", "537027", "537028"]
    assert df["product_id"].tolist() == ["85048", "79323P", "22087", "POST", "21217", "M"]
    assert df["customer_id"].tolist()[:3] == ["13085", "13085", "16321"]
    assert pd.isna(df["customer_id"].iloc[3])
    assert df["amount"].tolist() == [12 * 6.95, 12 * 6.75, -12 * 2.95, 18.0, 2 * 9.95, 0.0]
    assert df["invoice_ts"].iloc[2] == pd.Timestamp("2009-12-01 10:33")
    assert (df["currency"] == "GBP").all()
    assert df["category"].isna().all() and df["channel"].isna().all()

    only2 = read_online_retail(p, sheets=["Year 2010-2011"], currency="EUR")
    assert only2["invoice"].tolist() == ["537026", "537027", "537028"]
    assert only2["line_id"].tolist() == [0, 1, 2] and (only2["currency"] == "EUR").all()


def test_online_retail_csv_export_latin1():
    df = read_online_retail(FIX / "online_retail_ii_export.csv", encoding="latin-1")
    assert_canonical(df)
    assert df["description"].iloc[4] == "CAFÉ LOVE BUILDING BLOCK WORD"
    assert df["customer_id"].tolist()[:3] == ["13085", "13085", "16321"]
    assert pd.isna(df["customer_id"].iloc[3])
    assert df["invoice"].iloc[2] == "C489449"
    with pytest.raises(DataError, match=r"online_retail_ii_export\.csv.*utf-8.*data\.encoding"
                                        r".*\[rule: encoding\]") as ei:
        read_online_retail(FIX / "online_retail_ii_export.csv")
    assert ei.value.column == "Description"


def test_online_retail_wrong_sheet_name(tmp_path):
    p = write_xlsx(tmp_path / "or.xlsx", {"Year 2009-2010": [NEW_HEAD, *SHEET1],
                                          "Year 2010-2011": [NEW_HEAD, *SHEET2]})
    with pytest.raises(DataError, match=r"or\.xlsx.*'Year 2011'.*'Year 2009-2010', 'Year 2010-2011'"
                                        r".*\[rule: missing-sheet\]") as ei:
        read_online_retail(p, sheets=["Year 2009-2010", "Year 2011"])
    assert_clean_error(ei.value)


def test_online_retail_missing_column_names_sheet(tmp_path):
    head = [h if h != "Price" else "Prise" for h in NEW_HEAD]
    p = write_xlsx(tmp_path / "or.xlsx", {"Year 2009-2010": [head, *SHEET1]})
    with pytest.raises(DataError, match=r"or\.xlsx: column 'Price'.*did you mean 'Prise'"
                                        r".*\[rule: missing-column\]"):
        read_online_retail(p)


# --------------------------------------------------------------------------------------
# CDNOW
# --------------------------------------------------------------------------------------
def test_cdnow_master_tiny():
    df = read_cdnow(FIX / "cdnow_master_tiny.txt")
    assert_canonical(df)
    assert df["customer_id"].tolist() == ["1", "2", "2", "3", "3", "3"]
    assert df["invoice"].tolist() == ["1-19970101-0", "2-19970112-0", "2-19970112-1", "3-19970102-0",
                                      "3-19970330-0", "3-19970402-0"]
    assert df["invoice_ts"].iloc[1] == pd.Timestamp("1997-01-12")
    assert df["quantity"].tolist() == [1, 1, 5, 2, 0, 2]
    assert df["amount"].tolist() == [11.77, 12.0, 77.0, 20.76, 0.0, 19.54]
    assert df["unit_price"].iloc[2] == 77.0 / 5 and df["unit_price"].iloc[4] == 0.0
    assert (df["currency"] == "USD").all()
    for c in ("product_id", "description", "category", "country", "channel"):
        assert df[c].isna().all()


def test_cdnow_sample_tiny():
    df = read_cdnow(FIX / "cdnow_sample_tiny.txt", currency="EUR")
    assert_canonical(df)
    assert df["customer_id"].tolist() == ["4", "4", "4", "18", "21", "21"]
    assert df["invoice"].tolist()[1:3] == ["4-19970118-0", "4-19970118-1"]
    assert df["amount"].sum() == pytest.approx(29.33 + 29.73 + 14.96 + 26.48 + 63.34 + 46.94)
    assert (df["currency"] == "EUR").all()
    assert len(read_cdnow(FIX / "cdnow_sample_tiny.txt", variant="sample")) == 6


def test_cdnow_variant_mismatch():
    with pytest.raises(DataError, match=r"cdnow_sample_tiny\.txt.*'master'.*sample.*\[rule: cdnow-variant\]"):
        read_cdnow(FIX / "cdnow_sample_tiny.txt", variant="master")


def test_cdnow_bad_date(tmp_path):
    p = tmp_path / "cd.txt"
    p.write_text(" 00001 19970101 1 1.0\n 00002 19971301 1 2.0\n 00003 19970105 1 3.0\n")
    with pytest.raises(DataError, match=r"cd\.txt: column 'date \(column 2\)'.*'19971301' \(row 2\)"
                                        r".*\[rule: unreadable-date\]"):
        read_cdnow(p)


# --------------------------------------------------------------------------------------
# read_source: dispatch and cache
# --------------------------------------------------------------------------------------
def test_read_source_file_caches_canonical_parquet(interim, capsys):
    cfg = file_cfg(FIX / "satislar_tr.csv", **TR_DATA)
    src = read_source(cfg)
    assert isinstance(src, Source)
    assert src.name == "satislar_tr"
    assert src.n_lines == 10
    assert src.inputs == (FIX / "satislar_tr.csv",)
    assert src.lines_path.parent == interim
    assert re.fullmatch(r"satislar_tr-[0-9a-f]{12}\.parquet", src.lines_path.name)
    assert src.has == {"customer_id": True, "product_id": True, "description": True,
                       "category": False, "country": True, "channel": False, "line_no": False,
                       "original_invoice": False, "is_return": False}
    assert set(src.has) == set(OPTIONAL)
    cached = pd.read_parquet(src.lines_path)
    validate_lines(cached, "cache")
    pd.testing.assert_frame_equal(cached, read_file(FIX / "satislar_tr.csv", cfg.data))
    assert "reading" in capsys.readouterr().out

    before = snapshot(interim)
    again = read_source(cfg)
    assert again == src
    assert snapshot(interim) == before
    assert "from cache" in capsys.readouterr().out

    other = read_source(file_cfg(FIX / "satislar_tr.csv", **{**TR_DATA, "currency": "EUR"}),
                        progress=False)
    assert other.lines_path != src.lines_path      # options are part of the cache key
    assert capsys.readouterr().out == ""
    assert [f for f in interim.iterdir() if f.suffix == ".tmp"] == []


def test_read_source_rebuilds_a_corrupt_cache(interim):
    cfg = file_cfg(FIX / "satislar_tr.csv", **TR_DATA)
    src = read_source(cfg, progress=False)
    src.lines_path.write_bytes(b"PAR1 truncated")
    again = read_source(cfg, progress=False)
    assert again.n_lines == 10
    validate_lines(pd.read_parquet(again.lines_path), "cache")


def test_read_source_cdnow_and_online_retail(interim, tmp_path):
    s = read_source(make_cfg(source="cdnow", path=str(FIX / "cdnow_sample_tiny.txt")), progress=False)
    assert s.name == "cdnow_sample" and s.n_lines == 6
    assert pd.read_parquet(s.lines_path)["currency"].unique().tolist() == ["USD"]
    assert s.has["customer_id"] and not s.has["product_id"]
    m = read_source(make_cfg(source="cdnow", path=str(FIX / "cdnow_master_tiny.txt"), currency="GBP"),
                    progress=False)
    assert m.name == "cdnow_master"
    assert pd.read_parquet(m.lines_path)["currency"].unique().tolist() == ["GBP"]

    p = write_xlsx(tmp_path / "or.xlsx", {"Year 2009-2010": [NEW_HEAD, *SHEET1],
                                          "Year 2010-2011": [NEW_HEAD, *SHEET2]})
    o = read_source(make_cfg(source="online_retail_ii", path=str(p)), progress=False)
    assert o.name == "online_retail_ii" and o.n_lines == 6 and o.inputs == (p,)
    assert o.has["country"] and not o.has["category"]


def test_read_source_synthetic(monkeypatch, tmp_path):
    folder = tmp_path / "synthetic"
    folder.mkdir()
    df = read_cdnow(FIX / "cdnow_master_tiny.txt")
    df.to_parquet(folder / "lines.parquet", index=False)
    seen = []
    fake = types.ModuleType("helpers.io.synth")
    fake.ensure_synthetic = lambda sc, **kw: seen.append(sc) or folder
    monkeypatch.setitem(sys.modules, "helpers.io.synth", fake)
    monkeypatch.setattr(helpers.io, "synth", fake, raising=False)
    cfg = make_cfg(source="synthetic", synthetic={"customers": 50, "seed": 7})
    src = read_source(cfg, progress=False)
    assert seen == [cfg.data.synthetic]
    assert src.lines_path == folder / "lines.parquet"
    assert src.n_lines == 6 and src.inputs == (folder / "lines.parquet",)
    assert src.has["customer_id"] and not src.has["country"]


def test_fingerprint_file(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"abc" * 1_000_000)
    assert fingerprint_file(p) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
    assert fingerprint_file(str(p)) == fingerprint_file(p)


def test_olist_source_wants_the_folder(tmp_path):
    f = tmp_path / "olist_orders_dataset.csv"
    f.write_text("order_id\nx\n")
    cfg = config_from_dict({"name": "o", "data": {"source": "olist", "path": str(f)}})
    with pytest.raises(DataError, match=r"reads a folder of the Olist csv files.*not-a-folder"):
        read_source(cfg, progress=False)
    cfg = config_from_dict({"name": "o", "data": {"source": "olist", "path": str(tmp_path)}})
    with pytest.raises(DataError, match=r"olist_customers_dataset\.csv: does not exist"):
        read_source(cfg, progress=False)


def test_read_source_olist_folder_is_read_once_and_cached(interim):
    folder = FIXTURES / "olist"
    cfg = config_from_dict({"name": "o", "data": {"source": "olist", "path": str(folder)}})
    src = read_source(cfg, progress=False)
    assert src.name == "olist" and src.n_lines == 4          # tests/fixtures/olist: o1 (2 lines), o2, o4
    assert re.fullmatch(r"olist-[0-9a-f]{12}\.parquet", src.lines_path.name) and src.lines_path.parent == interim
    assert {f.name for f in src.inputs} == set(OLIST_FILES["lines"])
    assert src.has["country"] and src.has["category"] and not src.has["description"]
    assert pd.read_parquet(src.lines_path)["currency"].unique().tolist() == ["BRL"]
    before = snapshot(interim)
    assert read_source(cfg, progress=False) == src
    assert snapshot(interim) == before
    eur = config_from_dict({"name": "o", "data": {"source": "olist", "path": str(folder), "currency": "EUR"}})
    other = read_source(eur, progress=False)
    assert other.lines_path != src.lines_path
    assert pd.read_parquet(other.lines_path)["currency"].unique().tolist() == ["EUR"]


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
BASIC = {"invoice": "Fatura No", "invoice_ts": "Tarih", "quantity": "Adet", "unit_price": "Birim Fiyat"}
BASIC_OPTS = {"separator": ";", "decimal": ",", "thousands": ".", "dayfirst": True}
GOOD_ROWS = "F1;31.12.2023 14:05;1;1.234,56\nF2;31.12.2023 14:06;2;2,5\nF3;01.01.2024 09:00;3;3\n"
HEADER = "Fatura No;Tarih;Adet;Birim Fiyat\n"


def bad_case(tmp_path, name, content, **opts):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif content is not None:
        p.write_text(content, encoding="utf-8")
    data = {**BASIC_OPTS, "columns": BASIC, **opts}
    return p, file_cfg(p, **data)


BAD_CASES = {
    "not-found": (
        "satis.csv", None, {},
        r"satis\.csv: does not exist.*\[rule: file-not-found\]"),
    "empty-0-bytes": (
        "satis.csv", b"", {},
        r"satis\.csv: is empty \(0 bytes\) \[rule: empty-file\]"),
    "header-only": (
        "satis.csv", HEADER, {},
        r"satis\.csv: has a header line but no data rows \[rule: empty-file\]"),
    "two-rows": (
        "satis.csv", HEADER + "F1;31.12.2023 14:05;1;1\nF2;31.12.2023 14:06;2;2\n", {},
        r"satis\.csv: has 2 data row\(s\); at least 3 .*\[rule: too-few-lines\]"),
    "misspelt-column": (
        "satis.csv", HEADER + GOOD_ROWS,
        {"columns": {**BASIC, "unit_price": "Birim Fyat"}},
        r"satis\.csv: column 'Birim Fyat': is not in the file .*did you mean 'Birim Fiyat'\?.*"
        r"'Fatura No', 'Tarih', 'Adet', 'Birim Fiyat'.*\[rule: missing-column\]"),
    "wrong-separator": (
        "satis.csv", HEADER + GOOD_ROWS, {"separator": ","},
        r"satis\.csv: column 'Fatura No': is not in the file.*data\.separator: ';'"
        r".*\[rule: missing-column\]"),
    "not-a-number": (
        "satis.csv",
        HEADER + GOOD_ROWS + "F4;01.01.2024 09:00;bir;3\nF5;01.01.2024 09:00;1;3\n"
        "F6;01.01.2024 09:00;2 adet;3\nF7;01.01.2024 09:00;?;3\nF8;01.01.2024 09:00;x;3\n", {},
        r"satis\.csv: column 'Adet': 4 value\(s\) are not numbers \(read with data\.decimal ','"
        r" and data\.thousands '\.'\): 'bir' \(row 5\), '2 adet' \(row 7\), '\?' \(row 8\) "
        r"\(rows counted as in the file, header = row 1\) \[rule: not-a-number\]"),
    "unreadable-date": (
        "satis.csv", HEADER + GOOD_ROWS + "F4;32.01.2024 09:00;1;3\nF5;dün;1;3\n", {},
        r"satis\.csv: column 'Tarih': 2 value\(s\) are not dates.*'32\.01\.2024 09:00' \(row 5\), "
        r"'dün' \(row 6\).*date_format.*\[rule: unreadable-date\]"),
    "day-month-confusion": (
        "satis.csv", HEADER + "F1;01.02.2024 10:00;1;1\nF2;31.01.2024 10:00;1;1\nF3;xx;1;1\n",
        {"dayfirst": False},
        r"satis\.csv: column 'Tarih': 1 value\(s\) only read day-first.*'31\.01\.2024 10:00' "
        r"\(row 3\).*\[rule: unreadable-date\]"),
    "missing-value": (
        "satis.csv", HEADER + GOOD_ROWS + "F4;01.01.2024 09:00;;3\n", {},
        r"satis\.csv: column 'Adet': 1 row\(s\) have no value, e\.g\. row 5 .*\[rule: missing-value\]"),
    "encoding": (
        "satis.csv",
        (HEADER + GOOD_ROWS).encode() + "F4;01.01.2024 09:00;1;3,5\n".encode().replace(b"F4", b"F\xfe4"),
        {"encoding": "utf-8"},
        r"satis\.csv: column 'Fatura No': cannot be decoded as utf-8: byte 0xFE on line 5.*"
        r"data\.encoding.*cp1254.*iso-8859-9.*\[rule: encoding\]"),
    "unsupported-extension": (
        "satis.json", HEADER + GOOD_ROWS, {},
        r"satis\.json: has extension '\.json' which is not one of .*data\.format"
        r".*\[rule: unsupported-format\]"),
    "old-excel": (
        "satis.xls", b"\xd0\xcf\x11\xe0", {},
        r"satis\.xls: is an old Excel.*\[rule: unsupported-format\]"),
    "bad-currency": (
        "satis.csv", "Fatura No;Tarih;Adet;Birim Fiyat;PB\nF1;31.12.2023 14:05;1;1;TL\n"
        "F2;31.12.2023 14:05;1;1;Lira\nF3;31.12.2023 14:05;1;1;TRY\n",
        {"columns": {**BASIC, "currency": "PB"}},
        r"satis\.csv: column 'PB': 1 value\(s\) are not 3-letter ISO currency codes.*'Lira' \(row 3\)"
        r".*\[rule: bad-currency\]"),
}


@pytest.mark.filterwarnings("ignore:.*more fields than the header line")
@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_raises_data_error_and_writes_no_cache(case, tmp_path, interim):
    name, content, opts, pattern = BAD_CASES[case]
    p, cfg = bad_case(tmp_path, name, content, **opts)
    with pytest.raises(DataError, match=pattern) as ei:
        read_file(p, cfg.data)
    assert_clean_error(ei.value)
    assert "Traceback" not in str(ei.value)
    with pytest.raises(DataError, match=pattern):
        read_source(cfg, progress=False)
    assert not interim.exists() or list(interim.iterdir()) == []


def test_bad_xlsx_cases(tmp_path, interim):
    good = [["Fatura No", "Tarih", "Adet", "Birim Fiyat"],
            ["F1", dt.datetime(2024, 1, 1), 1, 2.0],
            ["F2", dt.datetime(2024, 1, 2), "iki", 2.0],
            ["F3", dt.datetime(2024, 1, 3), 1, 2.0]]
    p = write_xlsx(tmp_path / "satış.xlsx", {"Ocak": good, "Şubat": good})
    cfg = file_cfg(p, sheets=["Ocak", "Subat"], columns=BASIC)
    with pytest.raises(DataError, match=r"satış\.xlsx: has no sheet 'Subat' \(data\.sheets\); its sheets "
                                        r"are: 'Ocak', 'Şubat'; did you mean 'Şubat'\? "
                                        r"\[rule: missing-sheet\]"):
        read_source(cfg, progress=False)
    cfg = file_cfg(p, sheets=["Ocak", "Şubat"], columns=BASIC)
    with pytest.raises(DataError, match=r"satış\.xlsx: column 'Adet': 2 value\(s\) are not numbers.*"
                                        r"'iki' \(sheet 'Ocak' row 3\), 'iki' \(sheet 'Şubat' row 3\)"
                                        r".*\[rule: not-a-number\]"):
        read_source(cfg, progress=False)
    q = tmp_path / "broken.xlsx"
    q.write_text("this is not a workbook")
    with pytest.raises(DataError, match=r"broken\.xlsx: is not a readable \.xlsx workbook"
                                        r".*\[rule: unreadable-file\]"):
        read_file(q, file_cfg(q, columns=BASIC).data)
    assert not interim.exists() or list(interim.iterdir()) == []


def test_failing_read_leaves_existing_cache_untouched(tmp_path, interim):
    p = tmp_path / "satis.csv"
    p.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    cfg = file_cfg(p, **BASIC_OPTS, columns=BASIC)
    src = read_source(cfg, progress=False)
    before = snapshot(interim)
    assert list(before) == [src.lines_path.name]

    time.sleep(0.01)
    p.write_text(HEADER + GOOD_ROWS + "F4;01.01.2024 09:00;yok;3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"\[rule: not-a-number\]"):
        read_source(cfg, progress=False)
    assert snapshot(interim) == before


def test_failing_cache_write_leaves_nothing_behind(tmp_path, interim, monkeypatch):
    p = tmp_path / "satis.csv"
    p.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    cfg = file_cfg(p, **BASIC_OPTS, columns=BASIC)
    src = read_source(cfg, progress=False)
    src.lines_path.write_bytes(b"corrupt, to be replaced")   # same key: a rebuild will target it
    before = snapshot(interim)

    def half_write(self, table, *a, **k):   # the lines go to the cache batch by batch
        self.where_written.write_bytes(b"PAR1 half")
        raise OSError("disk full")

    real_init = pq.ParquetWriter.__init__

    def init(self, where, *a, **k):
        real_init(self, where, *a, **k)
        self.where_written = Path(where)

    monkeypatch.setattr(pq.ParquetWriter, "__init__", init)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", half_write)
    with pytest.raises(OSError, match="disk full"):
        read_source(cfg, progress=False)
    assert snapshot(interim) == before


# --------------------------------------------------------------------------------------
# real data (../shared/data)
# --------------------------------------------------------------------------------------
def _independent_online_retail(path: Path):
    wb = openpyxl.load_workbook(path, read_only=True)
    n, total, invoices, guests = 0, 0.0, set(), 0
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        head = list(next(rows))
        iq, ip, ii, ic = (head.index(c) for c in ("Quantity", "Price", "Invoice", "Customer ID"))
        for r in rows:
            if all(v is None for v in r):
                continue
            n += 1
            total += r[iq] * r[ip]
            invoices.add(str(r[ii]))
            guests += r[ic] is None
    wb.close()
    return n, total, len(invoices), guests


@pytest.mark.slow
@pytest.mark.shared_data
@needs(ORII)
def test_online_retail_ii_sample(interim):
    n, total, n_inv, guests = _independent_online_retail(ORII)
    assert n == 34_766
    src = read_source(make_cfg(source="online_retail_ii", path=str(ORII)), progress=False)
    assert src.n_lines == 34_766
    df = pd.read_parquet(src.lines_path)
    validate_lines(df, "cache")
    assert df["amount"].sum() == pytest.approx(total, rel=1e-12)
    assert df["invoice"].nunique() == n_inv
    assert int(df["customer_id"].isna().sum()) == guests
    assert df["invoice"].str.startswith("C").any()
    assert src.has == {"customer_id": True, "product_id": True, "description": True,
                       "category": False, "country": True, "channel": False, "line_no": False,
                       "original_invoice": False, "is_return": False}
    assert read_source(make_cfg(source="online_retail_ii", path=str(ORII)), progress=False) == src


def _independent_cdnow(path: Path, header: bool):
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    if header:
        lines = lines[1:]
    return len(lines), len({int(t[0]) for t in lines}), sum(float(t[-1]) for t in lines)


@pytest.mark.shared_data
@needs(CDNOW_SAMPLE)
def test_cdnow_sample_real():
    n, customers, dollars = _independent_cdnow(CDNOW_SAMPLE, header=False)
    df = read_cdnow(CDNOW_SAMPLE)
    assert (len(df), df["customer_id"].nunique()) == (n, customers) == (6_919, 2_357)
    assert df["amount"].sum() == pytest.approx(dollars, rel=1e-12)
    assert df["invoice"].is_unique


@pytest.mark.shared_data
@needs(CDNOW_MASTER)
def test_cdnow_master_real():
    n, customers, dollars = _independent_cdnow(CDNOW_MASTER, header=True)
    df = read_cdnow(CDNOW_MASTER)
    assert (len(df), df["customer_id"].nunique()) == (n, customers) == (69_659, 23_570)
    assert df["amount"].sum() == pytest.approx(dollars, rel=1e-12)
    assert df["invoice"].is_unique
    assert df["invoice_ts"].min() == pd.Timestamp("1997-01-01")
    assert df["invoice_ts"].max() == pd.Timestamp("1998-06-30")


# --------------------------------------------------------------------------------------
# text that means "missing", return flags and references
# --------------------------------------------------------------------------------------
def test_missing_customer_tokens_are_missing_and_counted(tmp_path, interim):
    p = tmp_path / "r_export.csv"
    p.write_text("inv,ts,cust,qty,price\n1,2023-01-02,NA,1,2\n2,2023-01-03,17,1,2\n3,2023-01-04,#N/A,1,2\n"
                 "4,2023-01-05,,1,2\n5,2023-01-06, null ,1,2\n6,2023-01-07,Nan,1,2\n", encoding="utf-8")
    cols = {"invoice": "inv", "invoice_ts": "ts", "customer_id": "cust", "quantity": "qty", "unit_price": "price"}
    src = read_source(file_cfg(p, columns=cols), progress=False)
    lines = pd.read_parquet(src.lines_path)
    assert lines["customer_id"].tolist()[1] == "17" and lines["customer_id"].isna().sum() == 5
    found = {(n["column"], n["token"]): n["count"] for n in src.notes["na_tokens"]}
    assert found == {("customer_id", "NA"): 1, ("customer_id", "#N/A"): 1, ("customer_id", "null"): 1,
                     ("customer_id", "Nan"): 1, ("customer_id", "(blank)"): 1}
    # the notes survive the cache
    assert read_source(file_cfg(p, columns=cols), progress=False).notes == src.notes
    # a list applies to every text column; the customer's tokens are then the list's
    src2 = read_source(file_cfg(p, columns=cols, na_values=["NA", "17"]), progress=False)
    assert pd.read_parquet(src2.lines_path)["customer_id"].isna().sum() == 3      # NA, blank, 17


def test_return_flag_column_makes_return_lines_negative(tmp_path, interim):
    p = tmp_path / "iade.csv"
    p.write_text("Fatura;Tarih;Müşteri;Adet;Fiyat;İade;Asıl Fatura\nA1;02.01.2023;K1;2;5;H;\n"
                 "A2;05.01.2023;K1;2;5;E;A1\nA3;06.01.2023;K2;1;5;;\n", encoding="utf-8")
    cols = {"invoice": "Fatura", "invoice_ts": "Tarih", "customer_id": "Müşteri", "quantity": "Adet",
            "unit_price": "Fiyat", "return_flag": "İade", "original_invoice": "Asıl Fatura"}
    src = read_source(file_cfg(p, columns=cols, separator=";", dayfirst=True), progress=False)
    lines = pd.read_parquet(src.lines_path)
    assert lines["quantity"].tolist() == [2, -2, 1] and lines["amount"].tolist() == [10, -10, 5]
    assert lines["is_return"].isna().tolist() == [False, False, True]          # a blank flag is unknown: a sale
    assert lines["is_return"].iloc[:2].tolist() == [False, True]
    assert lines["original_invoice"].tolist()[1] == "A1" and src.notes["return_sign_flipped"] == 1


def test_an_unknown_return_flag_value_names_the_column_and_the_fix(tmp_path):
    p = tmp_path / "iade.csv"
    p.write_text("inv,ts,qty,price,ret\n1,2023-01-02,1,2,yes\n2,2023-01-03,1,2,maybe\n3,2023-01-04,1,2,no\n",
                 encoding="utf-8")
    cols = {"invoice": "inv", "invoice_ts": "ts", "quantity": "qty", "unit_price": "price", "return_flag": "ret"}
    with pytest.raises(DataError, match=r"iade\.csv: column 'ret': 1 value\(s\) are neither a return mark nor a sale "
                                        r"mark: 'maybe' \(row 3\).*data\.return_flag_values.*\[rule: bad-return-flag\]"):
        read_file(p, file_cfg(p, columns=cols).data)
