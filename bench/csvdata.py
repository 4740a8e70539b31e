"""A large sales export as users have them, generated on demand for the read + clean benchmark.

:func:`ensure_export` writes ``data/raw/bench-export-<n>/sales.csv`` (and ``sales.parquet``, the
same lines) with DuckDB, out of core, in the layout of a Turkish ERP export: ``;`` separated,
Turkish headers, day-first dates (``31.12.2023 14:05``), prices with a decimal comma and a dot
grouping thousands (``1.234,56``), about 5 % guest lines with a blank customer id and one invoice
in 50 a cancellation (``C`` prefix, negative quantities). :func:`export_config` writes the run
config that reads it (``data.source: file``). Nothing is generated when the files exist.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The export's headers, by canonical column.
COLUMNS = {
    "invoice": "Fatura No",
    "invoice_ts": "Tarih",
    "customer_id": "Müşteri No",
    "product_id": "Ürün Kodu",
    "description": "Açıklama",
    "quantity": "Miktar",
    "unit_price": "Birim Fiyat",
    "country": "Ülke",
}


def folder_for(n_lines: int, root: Path = ROOT) -> Path:
    return root / "data" / "raw" / f"bench-export-{n_lines}"


def _select(n: int) -> str:
    """The export's lines as DuckDB SQL: 4 lines per invoice, one customer in 40 lines, two years."""
    n_inv = max(n // 4, 1)
    n_cust = max(n // 40, 10)
    span = 2 * 365 * 86400
    h = COLUMNS
    return f"""
    SELECT
      CASE WHEN inv % 50 = 0 THEN 'C' ELSE '' END || CAST(100000 + inv AS VARCHAR) AS "{h['invoice']}",
      strftime(TIMESTAMP '2023-01-01 08:00:00' + to_seconds(inv * {span} // {n_inv}), '%d.%m.%Y %H:%M')
        AS "{h['invoice_ts']}",
      CASE WHEN hash(inv, 1) % 20 = 0 THEN '' ELSE CAST(CAST(1 + hash(inv, 2) % {n_cust} AS BIGINT) AS VARCHAR) END
        AS "{h['customer_id']}",
      'P' || lpad(CAST(prod AS VARCHAR), 5, '0') AS "{h['product_id']}",
      (['Çay bardağı', 'Şeker kutusu', 'Ağaç oyuncak', 'Güneş gözlüğü', 'Işıklı lamba'])[1 + prod % 5]
        || ' ' || CAST(prod AS VARCHAR) AS "{h['description']}",
      CAST(CASE WHEN inv % 50 = 0 THEN -1 ELSE 1 END * CAST(1 + hash(i, 3) % 6 AS BIGINT) AS VARCHAR) AS "{h['quantity']}",
      CASE WHEN cents >= 100000
           THEN CAST(cents // 100000 AS VARCHAR) || '.' || lpad(CAST((cents // 100) % 1000 AS VARCHAR), 3, '0')
           ELSE CAST(cents // 100 AS VARCHAR) END
        || ',' || lpad(CAST(cents % 100 AS VARCHAR), 2, '0') AS "{h['unit_price']}",
      CASE hash(inv, 4) % 10 WHEN 0 THEN 'Almanya' WHEN 1 THEN 'Hollanda' ELSE 'Türkiye' END AS "{h['country']}"
    FROM (SELECT i, i // 4 AS inv, CAST(hash(i, 5) % 3000 AS BIGINT) AS prod, CAST(50 + hash(i // 4 * 7 + i % 4, 6) % 200000 AS BIGINT) AS cents
          FROM range({n}) t(i))
    ORDER BY i
    """


def ensure_export(n_lines: int, root: Path = ROOT) -> Path:
    """The csv export of ``n_lines`` lines (written once, with its parquet twin); returns the csv path."""
    import duckdb

    folder = folder_for(n_lines, root)
    csv, parquet = folder / "sales.csv", folder / "sales.parquet"
    if csv.is_file() and parquet.is_file():
        return csv
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    tmp = folder / ".sales.parquet.tmp"
    con.execute(f"COPY ({_select(n_lines)}) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    tmp.replace(parquet)
    tmp = folder / ".sales.csv.tmp"
    con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{tmp}' (HEADER, DELIMITER ';', QUOTE '\"')")
    tmp.replace(csv)
    con.close()
    return csv


def export_config(n_lines: int, folder: Path, *, fmt: str = "csv", root: Path = ROOT) -> Path:
    """A run config reading the export of ``n_lines`` lines (``fmt`` csv or parquet), written into ``folder``."""
    src = ensure_export(n_lines, root)
    if fmt == "parquet":
        src = src.with_suffix(".parquet")
    folder.mkdir(parents=True, exist_ok=True)
    cols = "\n".join(f"    {k}: {v}" for k, v in COLUMNS.items())
    path = folder / f"bench_export_{n_lines}_{fmt}.yaml"
    path.write_text(f"# written by bench/csvdata.py\nname: bench_export_{n_lines}_{fmt}\ndata:\n  source: file\n"
                    f"  path: {src}\n  separator: ';'\n  decimal: ','\n  dayfirst: true\n  currency: TRY\n"
                    f"  columns:\n{cols}\nanalysis: {{period: month, time_unit: W}}\n", encoding="utf-8")
    return path
