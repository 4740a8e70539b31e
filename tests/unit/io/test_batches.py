"""Reading a sales file in batches gives the lines, notes and errors of reading it whole."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.config import config_from_dict
from helpers.errors import DataError
from helpers.io.batches import LineSpec, merge_notes, write_lines
from helpers.io.cache import describe_parquet, read_notes
from helpers.io.rawfile import iter_text
from helpers.io.read import read_file, read_online_retail, write_file_lines
from helpers.io.schema import LINE_COLUMNS

COLUMNS = {"invoice": "Fatura No", "invoice_ts": "Tarih", "customer_id": "Müşteri No",
           "product_id": "Ürün Kodu", "description": "Ürün Adı", "quantity": "Adet",
           "unit_price": "Birim Fiyat", "country": "Ülke"}
TR = {"separator": ";", "decimal": ",", "thousands": ".", "dayfirst": True, "encoding": "cp1254",
      "currency": "TRY", "columns": COLUMNS}
HEADER = ";".join(COLUMNS.values()) + "\n"


def data_cfg(path, **data):
    return config_from_dict({"name": "t", "data": {"source": "file", "path": str(path), **data}}).data


def turkish_rows(n: int) -> list[str]:
    """``n`` lines of a Turkish export: decimal comma, a dot for thousands, day-first dates, some
    guests written ``NULL`` or blank, letters only cp1254 has."""
    rows = []
    for i in range(n):
        cust = "NULL" if i % 7 == 3 else ("" if i % 11 == 5 else f"M{i % 9:03d}")
        price = f"{1 + i * 37 % 2000}.{i % 1000:03d},{i % 100:02d}" if i % 3 == 0 else f"{i % 500},{i % 10}5"
        rows.append(f"F{i // 3:05d};{1 + i % 28:02d}.{1 + i % 12:02d}.2024 {i % 24:02d}:{i % 60:02d};{cust};"
                    f"U-{i % 13};Şiş köfte {i % 5};{1 + i % 4};{price};Türkiye\n")
    return rows


def write(path, rows, *, encoding="cp1254", blank_every: int = 0):
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write(HEADER)
        for i, r in enumerate(rows):
            f.write(r)
            if blank_every and i % blank_every == blank_every - 1:
                f.write("\n")
    return path


def plain_pandas(path) -> pd.DataFrame:
    """The same file read independently with plain pandas (no project code)."""
    df = pd.read_csv(path, sep=";", encoding="cp1254", dtype=str, keep_default_na=False).replace("", None)
    df = df.dropna(how="all").reset_index(drop=True)
    num = lambda s: pd.to_numeric(s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))  # noqa: E731
    qty, price = num(df["Adet"]), num(df["Birim Fiyat"])
    cust = df["Müşteri No"].where(~df["Müşteri No"].isin(["NULL"]))
    return pd.DataFrame({"invoice": df["Fatura No"], "invoice_ts": pd.to_datetime(df["Tarih"], format="%d.%m.%Y %H:%M"),
                         "customer_id": cust, "quantity": qty, "unit_price": price, "amount": qty * price})


def test_a_file_read_in_small_batches_equals_reading_it_whole_and_plain_pandas(tmp_path):
    p = write(tmp_path / "satis.csv", turkish_rows(50), blank_every=9)
    data = data_cfg(p, **TR)
    whole = read_file(p, data)
    for batch_rows in (1, 4, 7, 50, 1000):
        parts = read_file(p, data, batch_rows=batch_rows)
        pd.testing.assert_frame_equal(parts, whole)
        assert parts.attrs["read_notes"] == whole.attrs["read_notes"]
    assert whole["line_id"].tolist() == list(range(50))
    assert {c: str(t) for c, t in whole.dtypes.items()} == LINE_COLUMNS
    expected = plain_pandas(p)
    for c in ("invoice", "customer_id"):
        assert whole[c].astype(object).where(whole[c].notna(), None).tolist() == \
            expected[c].astype(object).where(expected[c].notna(), None).tolist()
    assert (whole["invoice_ts"].to_numpy() == expected["invoice_ts"].to_numpy().astype("datetime64[us]")).all()
    for c in ("quantity", "unit_price", "amount"):
        np.testing.assert_allclose(whole[c].to_numpy(), expected[c].to_numpy())
    tokens = {(t["column"], t["token"]): t["count"] for t in whole.attrs["read_notes"]["na_tokens"]}
    assert tokens == {("customer_id", "(blank)"): 4, ("customer_id", "NULL"): 7}


def test_an_error_in_a_late_batch_names_the_files_row(tmp_path):
    rows = turkish_rows(40)
    rows[30] = rows[30].replace(";1,", ";bir,", 1) if ";1," in rows[30] else \
        ";".join(f if k != 5 else "bir" for k, f in enumerate(rows[30].split(";")))
    p = write(tmp_path / "satis.csv", rows, blank_every=10)   # 3 blank lines before row 30
    data = data_cfg(p, **TR)
    file_row = 2 + 30 + 3                                     # header = row 1, blank lines count
    with pytest.raises(DataError, match=rf"satis\.csv: column 'Adet': 1 value\(s\) are not numbers.*"
                                        rf"'bir' \(row {file_row}\).*\[rule: not-a-number\]") as whole:
        read_file(p, data)
    with pytest.raises(DataError, match=rf"'bir' \(row {file_row}\).*counted up to row \d+, where reading "
                                        r"stopped\) \[rule: not-a-number\]") as parts:
        read_file(p, data, batch_rows=8)
    assert parts.value.column == whole.value.column == "Adet"


def test_dates_read_day_first_only_late_in_the_file_are_read_so_from_the_start(tmp_path):
    # the first batches' dates read either way; a late one only day-first: the whole file is day-first
    rows = [f"F{i};0{1 + i % 9}.0{1 + i % 3}.2024;M1;U;x;1;2,5;TR\n" for i in range(12)]
    rows.append("F99;25.03.2024;M1;U;x;1;2,5;TR\n")
    p = write(tmp_path / "tarih.csv", rows)
    data = data_cfg(p, **{**TR, "dayfirst": False})
    with pytest.warns(UserWarning, match="dates read as '%d.%m.%Y'"):
        whole = read_file(p, data)
    with pytest.warns(UserWarning, match="dates read as '%d.%m.%Y'"):
        parts = read_file(p, data, batch_rows=5)
    pd.testing.assert_frame_equal(parts, whole)
    assert whole["invoice_ts"].iloc[1] == pd.Timestamp("2024-02-02")
    assert whole["invoice_ts"].iloc[2] == pd.Timestamp("2024-03-03")
    assert whole["invoice_ts"].iloc[3] == pd.Timestamp("2024-01-04")


def test_mixed_day_month_orders_across_batches_name_the_late_rows(tmp_path):
    rows = [f"F{i};{13 + i}.01.2024;M1;U;x;1;2,5;TR\n" for i in range(6)]      # only day-first
    rows += [f"F{i};01.{13 + i}.2024;M1;U;x;1;2,5;TR\n" for i in range(6, 8)]  # only month-first
    p = write(tmp_path / "karisik.csv", rows)
    data = data_cfg(p, **TR)
    with pytest.raises(DataError, match=r"only read month-first while the first date '13\.01\.2024'.*"
                                        r"'01\.19\.2024' \(row 8\)"):
        read_file(p, data)
    with pytest.raises(DataError, match=r"only read month-first while the first date '13\.01\.2024'.*"
                                        r"'01\.19\.2024' \(row 8\)"):
        read_file(p, data, batch_rows=3)


def test_too_few_lines_and_blank_batches_count_the_whole_file(tmp_path):
    p = tmp_path / "az.csv"
    p.write_text(HEADER + "\n\n\nF1;01.01.2024;M1;U;x;1;2,5;TR\n\n\nF2;02.01.2024;M1;U;x;1;2,5;TR\n",
                 encoding="cp1254")
    data = data_cfg(p, **TR)
    for batch_rows in (None, 2):
        with pytest.raises(DataError, match=r"has 2 data row\(s\); at least 3.*\[rule: too-few-lines\]"):
            read_file(p, data, batch_rows=batch_rows)


def test_written_file_carries_row_count_filled_columns_and_notes(tmp_path):
    p = write(tmp_path / "satis.csv", turkish_rows(20))
    target = tmp_path / "out" / "lines.parquet"
    n, notes = write_file_lines(p, data_cfg(p, **TR), target, batch_rows=6)
    assert n == 20
    assert pq.ParquetFile(target).metadata.num_row_groups == 4        # one per batch
    rows, has = describe_parquet(target)
    assert rows == 20 and has["customer_id"] and has["country"] and not has["category"]
    assert read_notes(target) == notes
    assert notes["return_sign_flipped"] == 0 and notes["quantity_given"] is True


def test_online_retail_csv_in_batches_equals_whole(tmp_path):
    p = tmp_path / "online_retail.csv"
    lines = ["Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"]
    for i in range(30):
        cust = "" if i % 4 == 0 else f"{13000 + i % 6}.0"
        lines.append(f"{'C' if i % 10 == 9 else ''}{489000 + i // 3},8512{i % 5},THING {i},{-1 if i % 10 == 9 else 2},"
                     f"2010-12-{1 + i % 9:02d} 07:45:00,{1.25 + i},{cust},United Kingdom")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = read_online_retail(p)
    parts = read_online_retail(p, batch_rows=4)
    pd.testing.assert_frame_equal(parts, whole)
    assert parts.attrs["read_notes"] == whole.attrs["read_notes"]
    assert whole["customer_id"].isna().sum() == 8


def test_write_lines_takes_any_batches_and_restarts_them_when_needed(tmp_path):
    p = write(tmp_path / "satis.csv", turkish_rows(9))
    starts = []

    def batches():
        starts.append(1)
        return iter_text(p, fmt="csv", separator=";", encoding="cp1254", batch_rows=4)

    spec = LineSpec({"invoice": "Fatura No", "invoice_ts": "Tarih", "unit_price": "Birim Fiyat"},
                    {}, "TRY", decimal=",", dayfirst=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n, notes = write_lines(batches, spec, tmp_path / "l.parquet")
    assert (n, len(starts)) == (9, 1)
    df = pd.read_parquet(tmp_path / "l.parquet")
    assert df["quantity"].eq(1.0).all() and df["currency"].eq("TRY").all()
    assert notes == {"na_tokens": [], "return_sign_flipped": 0, "quantity_given": False}


def test_merge_notes_adds_counts_per_token():
    a = {"na_tokens": [{"column": "customer_id", "token": "(blank)", "count": 2},
                       {"column": "customer_id", "token": "NULL", "count": 1}],
         "return_sign_flipped": 1, "quantity_given": True}
    b = {"na_tokens": [{"column": "customer_id", "token": "NA", "count": 5},
                       {"column": "customer_id", "token": "NULL", "count": 1},
                       {"column": "invoice", "token": "-", "count": 1}],
         "return_sign_flipped": 2, "quantity_given": True}
    assert merge_notes(a, b) == {
        "na_tokens": [{"column": "customer_id", "token": "(blank)", "count": 2},
                      {"column": "customer_id", "token": "NA", "count": 5},
                      {"column": "customer_id", "token": "NULL", "count": 2},
                      {"column": "invoice", "token": "-", "count": 1}],
        "return_sign_flipped": 3, "quantity_given": True}
