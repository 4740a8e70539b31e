"""Spark reads a csv / tsv / txt sales file into the same canonical parquet as the Python reader
(:mod:`helpers.io.spark_read`): same lines, schema and notes of reading, same errors (file, column,
rule, first rows), and a clear ConfigError where Spark's reader cannot follow an option."""
from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.errors import ConfigError, DataError
from helpers.io.read import read_source, write_file_lines, write_online_retail_lines
from helpers.io.spark_read import spark_charset, spark_pattern
from tests.fixtures import LOCAL_SPARK
from tests.unit.io.test_read import BAD_CASES, FIX, TR_DATA, bad_case, file_cfg, interim  # noqa: F401

pytestmark = pytest.mark.spark

SPARK = LOCAL_SPARK          # the session the other Spark tests of this worker share


@pytest.fixture(scope="module", autouse=True)
def _java():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17) on PATH; none found")


def both(tmp_path, path, data, write=None):
    """The lines parquet written by the Python reader and by Spark: (frame, frame), both notes checked equal."""
    write = write or (lambda target, engine: write_file_lines(path, data, target, engine=engine))
    a, b = tmp_path / "python.parquet", tmp_path / "spark.parquet"
    with warnings.catch_warnings(record=True) as wa:
        warnings.simplefilter("always")
        na, notes_a = write(a, None)
    with warnings.catch_warnings(record=True) as wb:
        warnings.simplefilter("always")
        nb, notes_b = write(b, SPARK)
    assert (na, notes_a) == (nb, notes_b)
    assert [str(w.message) for w in wa if issubclass(w.category, UserWarning)] == \
        [str(w.message) for w in wb if issubclass(w.category, UserWarning)]
    # the same file: schema with its pandas metadata, and the notes of reading in the footer
    assert pq.read_schema(a).equals(pq.read_schema(b), check_metadata=True)
    assert pq.ParquetFile(a).metadata.metadata == pq.ParquetFile(b).metadata.metadata
    da, db = pd.read_parquet(a), pd.read_parquet(b)
    pd.testing.assert_frame_equal(da, db)
    return da


@pytest.mark.parametrize("encoding", ["cp1254", "iso-8859-9"])
def test_turkish_csv_decimal_comma_day_first(tmp_path, encoding):
    cfg = file_cfg(FIX / "satislar_tr.csv", **{**TR_DATA, "encoding": encoding})
    df = both(tmp_path, cfg.data_path(), cfg.data)
    assert df["unit_price"].iloc[0] == 1234.56 and df["description"].iloc[8] == "Şeker Pancarı Işığı"
    assert df["invoice_ts"].iloc[2] == pd.Timestamp("2024-01-02 09:30")


def test_amount_only_with_bom_built_invoices_and_currency_column(tmp_path):
    cfg = file_cfg(FIX / "amount_only.csv", currency="EUR",
                   columns={"invoice_ts": "Order Date", "customer_id": "Customer", "quantity": "Qty",
                            "amount": "Line Total", "currency": "Currency"})
    df = both(tmp_path, cfg.data_path(), cfg.data)
    assert df["invoice"].iloc[3] == "20240201-091500-guest"


def test_tsv_month_first_dates(tmp_path):
    cfg = file_cfg(FIX / "sales.tsv", columns={
        "invoice": "order", "invoice_ts": "date", "customer_id": "client", "product_id": "sku",
        "description": "name", "quantity": "units", "unit_price": "price", "channel": "channel"})
    assert len(both(tmp_path, cfg.data_path(), cfg.data)) == 4


@pytest.mark.parametrize("content, opts", [
    ("Fatura;Tarih;Tutar\nA;01.02.2024;1,5\nB;03.02.2024;2\nC;31.12.2024;3\n", {"decimal": ",", "dayfirst": True}),
    ("inv;date;amount\nA;31.12.2023 14:05;1\nB;01.01.2024;2\nC;02.01.2024 08:00;3\n", {"dayfirst": True}),
    ("inv;date;amount\nA;01.02.2024;1\nB;31.12.2023;2\nC;05.01.2024;3\n", {}),     # read day-first, with a warning
    ("inv,date,amount\nA,2024/31/12 23h59,1\nB,2024/01/01 00h00,2\nC,2024/02/01 12h30,3\n",
     {"date_format": "%Y/%d/%m %Hh%M"}),
    ("inv;date;amount\nA;1.234.567,5;1\nB;2;2\nC;3;3\n", {}),   # swapped below: amounts with thousands
])
def test_small_exports(tmp_path, content, opts):
    if content.startswith("inv;date;amount\nA;1.234"):
        content = "inv;date;amount\nA;2024-01-01;1.234.567,5\nB;2024-01-02;-2,25\nC;2024-01-03; 3 \n"
        opts = {"decimal": ","}
    p = tmp_path / "in.csv"
    p.write_text(content, encoding="utf-8")
    head = content.split("\n", 1)[0]
    sep = ";" if ";" in head else ","
    names = head.split(sep)
    cfg = file_cfg(p, columns={"invoice": names[0], "invoice_ts": names[1], "amount": names[2]}, **opts)
    both(tmp_path, p, cfg.data)


def test_missing_value_tokens_and_return_flags(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("inv,ts,cust,qty,price,ret,country\n1,2023-01-02,NA,1,2,yes,UK\n2,2023-01-03,17.0,1,2,,NA\n"
                 "3,2023-01-04,#N/A,1,2,no, \n4,2023-01-05,,1,2,E,UK\n5,2023-01-06, null ,-1,2,1,null\n"
                 "6,2023-01-07,Nan,1,2,x,FR\n7,2023-01-08,NA,2,3,h,FR\n", encoding="utf-8")
    cols = {"invoice": "inv", "invoice_ts": "ts", "customer_id": "cust", "quantity": "qty", "unit_price": "price",
            "return_flag": "ret", "country": "country"}
    for na in (None, ["NA", "null"]):
        extra = {} if na is None else {"na_values": na}
        df = both(tmp_path, p, file_cfg(p, columns=cols, **extra).data)
    assert df["customer_id"].tolist()[1] == "17"


def test_online_retail_csv_export_latin1(tmp_path):
    p = FIX / "online_retail_ii_export.csv"
    both(tmp_path, p, None, write=lambda target, engine: write_online_retail_lines(
        p, target, encoding="latin-1", engine=engine))


TEXT_CASES = [c for c in BAD_CASES if BAD_CASES[c][0].endswith(".csv")]


@pytest.mark.filterwarnings("ignore:.*more fields than the header line")
@pytest.mark.parametrize("case", TEXT_CASES)
def test_bad_input_gives_the_same_error(case, tmp_path, interim):  # noqa: F811
    name, content, opts, pattern = BAD_CASES[case]
    p, cfg = bad_case(tmp_path, name, content, **opts)
    cfg = cfg.model_copy(update={"engine": SPARK})
    with pytest.raises(DataError, match=pattern) as ei:
        read_source(cfg, progress=False)
    assert "Traceback" not in str(ei.value) and ei.value.__cause__ is None
    assert not interim.exists() or list(interim.iterdir()) == []


def test_errors_name_the_same_rows_and_counts(tmp_path):
    p = tmp_path / "bad.csv"
    rows = "".join(f"F{i};01.01.2024 09:00;{'x' if i % 3 == 0 else i};1,5\n" for i in range(1, 30))
    p.write_text("Fatura No;Tarih;Adet;Birim Fiyat\n" + rows, encoding="utf-8")
    _p, cfg = bad_case(tmp_path, "bad.csv", None)
    messages = []
    for engine in (None, SPARK):
        with pytest.raises(DataError) as ei:
            write_file_lines(p, cfg.data, tmp_path / "out.parquet", engine=engine)
        messages.append(str(ei.value))
    assert messages[0] == messages[1] and "9 value(s) are not numbers" in messages[0]


def test_blank_lines_are_said_not_counted(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("Fatura No;Tarih;Adet;Birim Fiyat\nF1;01.01.2024;1;1\n\nF2;01.01.2024;x;1\nF3;01.01.2024;1;1\n")
    _p, cfg = bad_case(tmp_path, "blank.csv", None)
    with pytest.raises(DataError, match=r"'x' \(row 3\) \(rows counted as in the file, header = row 1, blank lines "
                                        r"not counted\) \[rule: not-a-number\]"):
        write_file_lines(p, cfg.data, tmp_path / "out.parquet", engine=SPARK)


def test_what_spark_cannot_read_is_a_config_error(tmp_path):
    p = tmp_path / "ws.txt"
    p.write_text("inv date amount\nA 2024-01-01 1\nB 2024-01-02 2\nC 2024-01-03 3\n")
    cfg = file_cfg(p, columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    with pytest.raises(ConfigError, match=r"ws\.txt: .*white space.*data\.separator.*engine\.backend: duckdb"):
        write_file_lines(p, cfg.data, tmp_path / "out.parquet", engine=SPARK)
    p.write_text("inv;date;amount\nA;2024-01-01;1\nB;2024-01-02;2\nC;2024-01-03;3\n")
    cfg = file_cfg(p, encoding="mac-roman", columns={"invoice": "inv", "invoice_ts": "date", "amount": "amount"})
    with pytest.raises(ConfigError, match=r"ws\.txt: data\.encoding mac-roman .*not a charset Spark's csv reader"):
        write_file_lines(p, cfg.data, tmp_path / "out.parquet", engine=SPARK)
    with pytest.raises(ConfigError, match=r"utf-16.*UTF-8"):
        spark_charset(p, "utf-16")
    assert spark_charset(p, "cp1254") == "windows-1254" and spark_charset(p, "iso-8859-9") == "ISO-8859-9"
    assert spark_charset(p, "latin-1") == "ISO-8859-1"
    with pytest.raises(ConfigError, match=r"column 'Tarih'.*time-zone offset"):
        spark_pattern("%Y-%m-%d %H:%M:%S%z", p, "Tarih")
    assert spark_pattern("%d.%m.%Y %H:%M", p, "t") == "d.M.yyyy H:m"
    assert spark_pattern("%Y%m%d", p, "t") == "yyyyMMd"
    assert spark_pattern("%Y-%m-%dT%H:%M:%S.%f", p, "t") == "yyyy-M-d'T'H:m:s.SSSSSS"


def test_the_driver_does_not_parse_the_file(tmp_path, monkeypatch):
    import pyarrow.csv as pacsv

    def refuse(*args, **kwargs):
        raise AssertionError("read on the driver")

    for module, name in ((pd, "read_csv"), (pd, "read_table"), (pacsv, "read_csv"), (pacsv, "open_csv")):
        monkeypatch.setattr(module, name, refuse)
    cfg = file_cfg(FIX / "satislar_tr.csv", **TR_DATA)
    n, _notes = write_file_lines(cfg.data_path(), cfg.data, tmp_path / "spark.parquet", engine=SPARK)
    assert n == 10
    with pytest.raises(AssertionError, match="read on the driver"):        # the Python reader would
        write_file_lines(cfg.data_path(), cfg.data, tmp_path / "python.parquet")
