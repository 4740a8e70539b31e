"""Read a sales source into the canonical line table (:mod:`helpers.io.schema`).

Six kinds of source, chosen by ``data.source`` in the run config:

``synthetic``
    the embedded synthetic shop (:func:`helpers.io.synth.ensure_synthetic`).
``online_retail_ii``
    the UCI "Online Retail II" workbook (both sheets), its csv export, or the older
    "Online Retail" layout (InvoiceNo, UnitPrice, CustomerID): :func:`read_online_retail`.
``cdnow``
    the CDNOW master or 1/10 sample text file: :func:`read_cdnow`.
``file``
    your own csv / tsv / txt / parquet / xlsx export, with ``data.columns`` mapping the
    canonical columns to its headers: :func:`read_file`.
``olist``
    the folder of Olist's Brazilian e-commerce csv files; order items become the lines
    (:func:`helpers.io.olist.olist_lines`).
``none``
    no sales lines at all (only the optional tables of :mod:`helpers.io.tables`); nothing to read.

:func:`read_source` reads the source once and keeps the canonical lines as parquet in
``data/interim`` (``<name>-<hash12>.parquet``, the hash covers the file's content and the
read options), so a large workbook is parsed only on the first run. A csv / tsv / txt or
parquet file is read and parsed in batches straight into that parquet file
(:mod:`helpers.io.batches`), so memory does not grow with the file; the engine reads the
parquet. The cache is written atomically and only after every batch passed
:func:`helpers.io.schema.validate_lines`.

Every problem in the input (missing file, misspelt header, a price that is not a number,
an unreadable date, a wrong sheet name, the wrong text encoding, ...) raises a
:class:`~helpers.errors.DataError` whose message names the file, the column as it is
spelt in the file, the rule, and the first offending values with their row numbers.
"""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from helpers import paths
from helpers.config import DEFAULT_CUSTOMER_NA, DataConfig, EngineConfig, RunConfig
from helpers.errors import DataError
from helpers.i18n import _, fmt_number
from helpers.io.batches import BATCH_ROWS, LineSpec, check_min_lines, write_lines
from helpers.io.cache import atomic_target, describe_parquet, filled_columns, read_notes, write_atomic
from helpers.io.olist import OLIST_FILES, OLIST_LINES_VERSION, olist_lines
from helpers.io.parsing import check_headers, parse_dates, parse_numbers, raise_bad, raise_missing
from helpers.io.rawfile import (
    TEXT_FORMATS,
    RawTable,
    check_exists,
    first_line,
    format_of,
    iter_parquet,
    iter_text,
    iter_xlsx,
    nfc,
)
from helpers.io.schema import conform, validate_lines

__all__ = [
    "Source",
    "read_source",
    "read_online_retail",
    "read_cdnow",
    "read_file",
    "write_file_lines",
    "write_online_retail_lines",
    "fingerprint_file",
    "READER_VERSION",
]

#: Bumped whenever the reading logic changes what ends up in the canonical table; it is
#: part of the cache key, so old caches are simply not used any more.
READER_VERSION = 2

#: Online Retail II headers (current UCI layout) and the older "Online Retail" ones.
ONLINE_RETAIL_COLUMNS = {
    "invoice": "Invoice",
    "product_id": "StockCode",
    "description": "Description",
    "quantity": "Quantity",
    "invoice_ts": "InvoiceDate",
    "unit_price": "Price",
    "customer_id": "Customer ID",
    "country": "Country",
}
ONLINE_RETAIL_OLD_COLUMNS = {
    "invoice": "InvoiceNo",
    "product_id": "StockCode",
    "description": "Description",
    "quantity": "Quantity",
    "invoice_ts": "InvoiceDate",
    "unit_price": "UnitPrice",
    "customer_id": "CustomerID",
    "country": "Country",
}


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A source read into canonical lines.

    Attributes
    ----------
    name : str
        Short dataset label: ``"online_retail_ii"``, ``"cdnow_master"``, ``"cdnow_sample"``,
        ``"synthetic"``, or the stem of your own file (e.g. ``"sales"``).
    lines_path : Path
        Parquet file with all canonical raw lines (dirt included; cleaning comes later).
    inputs : tuple[Path, ...]
        The files that were read (for fingerprints).
    n_lines : int
        Number of lines.
    has : dict[str, bool]
        For every optional canonical column: whether it holds any non-null value.
    notes : dict
        What reading found that the cleaning audit reports: ``na_tokens`` (a list of
        ``{"column", "token", "count"}``: cell texts read as missing, ``"(blank)"`` for empty
        cells of a column with missing-value tokens) and ``return_sign_flipped`` (return-flagged
        lines whose quantity and amount were made negative) and ``quantity_given`` (False when
        the export has no quantity column and every line counts one unit).
    """

    name: str
    lines_path: Path
    inputs: tuple[Path, ...]
    n_lines: int
    has: dict[str, bool] = field(default_factory=dict)
    notes: dict = field(default_factory=dict)


_FP_MEMO: dict[tuple, str] = {}


def fingerprint_file(path) -> str:
    """SHA-256 (hex) of a file's content, read in 1 MiB chunks.

    Remembered per (path, size, mtime) within the process, so asking twice is free.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError(p, "file-not-found", "does not exist") from None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key in _FP_MEMO:
        return _FP_MEMO[key]
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    _FP_MEMO[key] = h.hexdigest()
    return _FP_MEMO[key]


def read_source(cfg: RunConfig, *, progress: bool = True) -> Source:
    """Read the source named by ``cfg.data`` and describe its canonical lines.

    File sources (``online_retail_ii``, ``cdnow``, ``file``) are read once and cached as
    ``paths.INTERIM / f"{name}-{hash12}.parquet"``; ``hash12`` covers the file's SHA-256,
    the read options in ``cfg.data`` and :data:`READER_VERSION`. A changed file or option
    gives a new cache file; a failed read writes nothing and leaves existing caches as
    they are. ``synthetic`` is generated (or reused) by :func:`helpers.io.synth.ensure_synthetic`.

    Parameters
    ----------
    cfg : RunConfig
        The run config; only ``cfg.data`` is used.
    progress : bool
        Print one line when reading starts and one when it is done (or found in the cache).

    Raises
    ------
    DataError
        The file cannot be read or does not give valid canonical lines.
    """
    data = cfg.data
    say: Callable[[str], None] = (lambda m: print(m, flush=True)) if progress else (lambda m: None)

    if data.source == "synthetic":
        from helpers.io import synth  # lazy: heavy, and written separately

        folder = Path(synth.ensure_synthetic(data.synthetic, progress=progress))
        lines = folder / "lines.parquet"
        if not lines.is_file():
            raise DataError(lines, "file-not-found",
                            "the synthetic generator did not produce lines.parquet; delete the "
                            "folder and run again")
        n, has = describe_parquet(lines)
        say(_("synthetic: {n} lines in {path}", n=fmt_number(n), path=_short(lines)))
        return Source("synthetic", lines, (lines,), n, has)

    path = cfg.data_path()
    if data.source == "none":
        raise DataError("<config>", "no-sales-lines", "data.source is 'none': this data set has no sales lines "
                        "to read (the pipeline reads only its optional tables)")
    if path is None:  # the config validator already prevents this
        raise DataError("<config>", "missing-path", f"data.source '{data.source}' needs data.path")
    if data.source == "olist":
        return _read_olist_source(path, data.currency if "currency" in data.model_fields_set else "BRL", say)
    check_exists(path)

    currency = data.currency
    variant = data.cdnow_variant
    if data.source == "online_retail_ii":
        name = "online_retail_ii"
    elif data.source == "cdnow":
        # CDNOW is in US dollars; the config's currency only counts when set explicitly.
        currency = data.currency if "currency" in data.model_fields_set else "USD"
        variant = _cdnow_variant(path, data.cdnow_variant)[0]
        name = f"cdnow_{variant}"
    elif data.source == "file":
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem).strip("._") or "file"
    else:  # pragma: no cover - Literal in the config
        raise DataError(path, "unknown-source", f"unknown data.source '{data.source}'")

    opts = data.model_dump(mode="json", exclude={"synthetic", "path"})
    payload = {
        "reader": READER_VERSION,
        "source": data.source,
        "sha256": fingerprint_file(path),
        "options": opts,
        "currency": currency,
        "variant": variant,
    }
    hash12 = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
    cache_dir = Path(paths.INTERIM)
    cache = cache_dir / f"{name}-{hash12}.parquet"

    if cache.is_file():
        try:
            n, has = describe_parquet(cache)
            notes = read_notes(cache)
        except Exception:  # unreadable cache (e.g. truncated by hand): read the source again
            n = None
        if n is not None:
            say(_("{name}: {n} lines from cache {path}", name=name, n=fmt_number(n), path=_short(cache)))
            return Source(name, cache, (path.resolve(),), n, has, notes)

    t0 = time.perf_counter()
    say(_("{name}: reading {file} ({size}) ...", name=name, file=path.name, size=_size(path)))
    if data.source == "cdnow":  # a CDNOW file is small (70k lines): read whole
        df = read_cdnow(path, variant=variant, currency=currency)
        write_atomic(df, cache)
        n, notes = len(df), {}
    else:
        # read batch by batch into the cache file; only lines that passed validate_lines reach it
        with atomic_target(cache) as tmp:
            if data.source == "online_retail_ii":
                n, notes = write_online_retail_lines(path, tmp, sheets=data.sheets, currency=currency,
                                                     encoding=data.encoding, separator=data.separator,
                                                     progress=progress, na_values=data.na_values,
                                                     engine=cfg.engine)
            else:
                n, notes = write_file_lines(path, data, tmp, progress=progress, engine=cfg.engine)
    say(_("{name}: {n} lines in {seconds} s, cached as {path}", name=name, n=fmt_number(n), seconds=fmt_number(time.perf_counter() - t0, 1), path=_short(cache)))
    n, has = describe_parquet(cache)
    return Source(name, cache, (path.resolve(),), n, has, notes)


def _read_olist_source(folder: Path, currency: str, say: Callable[[str], None]) -> Source:
    """The Olist folder's order items as canonical lines (:func:`helpers.io.tables.olist_lines`), cached."""
    if not folder.is_dir():
        if folder.is_file():
            raise DataError(folder, "not-a-folder", "data.source 'olist' reads a folder of the Olist csv files; "
                            "set data.path to the folder, not to one file")
        check_exists(folder)
    files = [folder / f for f in OLIST_FILES["lines"]]
    for f in files:
        check_exists(f)
    payload = {"reader": READER_VERSION, "source": "olist", "adapter": OLIST_LINES_VERSION, "currency": currency,
               "sha256": [fingerprint_file(f) for f in files]}
    hash12 = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
    cache = Path(paths.INTERIM) / f"olist-{hash12}.parquet"
    inputs = tuple(f.resolve() for f in files)
    if cache.is_file():
        try:
            n, has = describe_parquet(cache)
        except Exception:  # unreadable cache: read again
            n = None
        if n is not None:
            say(_("{name}: {n} lines from cache {path}", name="olist", n=fmt_number(n), path=_short(cache)))
            return Source("olist", cache, inputs, n, has)
    t0 = time.perf_counter()
    say(_("olist: joining orders, items, customers and products in {folder} ...", folder=_short(Path(folder))))
    df = olist_lines(folder)
    if currency != "BRL":
        df["currency"] = currency
    write_atomic(df, cache)
    say(_("{name}: {n} lines in {seconds} s, cached as {path}", name="olist", n=fmt_number(len(df)), seconds=fmt_number(time.perf_counter() - t0, 1), path=_short(cache)))
    return Source("olist", cache, inputs, len(df), filled_columns(df))


def read_online_retail(path, *, sheets=None, currency: str = "GBP", encoding: str = "utf-8",
                       separator: str | None = None, progress: bool = False,
                       na_values: list[str] | dict[str, list[str]] | None = None,
                       batch_rows: int | None = None) -> pd.DataFrame:
    """Read UCI Online Retail (II) into canonical lines.

    Accepts the original workbook (all sheets concatenated in workbook order, or only
    ``sheets``) or its csv export, with the current headers (Invoice, StockCode,
    Description, Quantity, InvoiceDate, Price, Customer ID, Country) or the older ones
    (InvoiceNo, UnitPrice, CustomerID). ``Customer ID`` 13085.0 becomes "13085", missing
    ids stay null (guest checkout); invoices keep their "C" cancellation prefix;
    ``line_id`` is the position over the concatenated sheets; ``amount = quantity x
    unit_price``. The csv is read as ``encoding`` (utf-8 unless you say otherwise, e.g.
    ``latin-1`` for the Kaggle copy). Customer ids written as ``NA``, ``NULL``, ``#N/A`` ...
    (``na_values``, default :data:`helpers.config.DEFAULT_CUSTOMER_NA`) are missing.
    The file is read in batches of ``batch_rows`` rows (:func:`write_online_retail_lines`;
    whole when None), the lines are returned as one frame.
    """
    return _frame_of(lambda target: write_online_retail_lines(
        path, target, sheets=sheets, currency=currency, encoding=encoding, separator=separator,
        progress=progress, na_values=na_values, batch_rows=batch_rows))


def _frame_of(write: Callable[[Path], tuple[int, dict]]) -> pd.DataFrame:
    """The lines ``write`` puts into a parquet file, as a frame with the notes in ``attrs["read_notes"]``."""
    with tempfile.TemporaryDirectory(prefix="crm-read-") as tmp:
        target = Path(tmp) / "lines.parquet"
        _n, notes = write(target)
        df = pd.read_parquet(target)
    df.attrs["read_notes"] = notes
    return df


def write_online_retail_lines(path, target: Path, *, sheets=None, currency: str = "GBP",
                              encoding: str = "utf-8", separator: str | None = None, progress: bool = False,
                              na_values: list[str] | dict[str, list[str]] | None = None,
                              batch_rows: int | None = BATCH_ROWS,
                              engine: EngineConfig | None = None) -> tuple[int, dict]:
    """Write Online Retail (II) as canonical lines (see :func:`read_online_retail`) to the parquet
    file ``target``, ``batch_rows`` rows of the file at a time; return (lines, notes of reading).
    A csv export with ``engine.backend: spark`` is read by Spark (:mod:`helpers.io.spark_read`)."""
    p = Path(path)
    check_exists(p)
    fmt = format_of(p, "auto")
    if fmt == "xlsx":
        def batches():
            return iter_xlsx(p, sheets=sheets, all_sheets=True, progress=progress, batch_rows=batch_rows)
    elif fmt in TEXT_FORMATS:
        if sheets:
            warnings.warn(f"{p}: data.sheets is ignored for a {fmt} file", stacklevel=2)

        def batches():
            return iter_text(p, fmt=fmt, separator=separator, encoding=encoding, batch_rows=batch_rows)
    else:
        raise DataError(p, "unsupported-format",
                        f"Online Retail is read from its .xlsx workbook or a .csv export, not {fmt}")

    # one layout per sheet (a workbook could mix them); the current layout wins on ties
    new_names, old_names = set(ONLINE_RETAIL_COLUMNS.values()), set(ONLINE_RETAIL_OLD_COLUMNS.values())
    spelled: dict[str, str] = {}   # headers as the file spells them (its first part), for messages

    def select(raw: RawTable) -> RawTable:
        parts = []
        for _unused, part in raw.parts():
            headers = set(part.frame.columns)
            use_old = not new_names <= headers and len(old_names & headers) > len(new_names & headers)
            mapping = ONLINE_RETAIL_OLD_COLUMNS if use_old else ONLINE_RETAIL_COLUMNS
            check_headers(part, mapping, what="the Online Retail layout")
            frame = part.frame.rename(columns={v: k for k, v in mapping.items()})[list(mapping)]
            parts.append(replace(part, frame=frame))
            if not spelled:
                spelled.update(mapping)
        return RawTable.concat(parts)

    spec = LineSpec({k: k for k in ONLINE_RETAIL_COLUMNS}, spelled, currency,
                    na_values=na_values if na_values is not None else {"customer_id": list(DEFAULT_CUSTOMER_NA)})
    if fmt in TEXT_FORMATS and _on_spark(engine):
        def columns(raw: RawTable) -> dict[str, str]:
            select(raw)
            return dict(spelled)

        return _spark_text_lines(engine, p, fmt, separator, encoding, columns, spec, target)
    return write_lines(batches, spec, target, select=select)


def read_cdnow(path, *, variant: str = "auto", currency: str = "USD") -> pd.DataFrame:
    """Read a CDNOW text file into canonical lines.

    ``variant="master"``: ``CDNOW_master.txt`` (header ``customer_id date number_of_cds
    dollar_value``, whitespace separated). ``"sample"``: ``CDNOW_sample.txt`` (no header;
    master id, sample id, date, number of CDs, dollar value). ``"auto"`` looks at the first
    line. ``customer_id`` is the master customer id without its leading zeros ("00004" ->
    "4"), so ids agree between master and sample; every source row is its own order:
    ``invoice = f"{customer_id}-{yyyymmdd}-{k}"`` with k = 0, 1, ... over the rows of that
    customer and day; ``invoice_ts`` is the day at midnight; ``quantity`` = number of CDs,
    ``amount`` = dollar value, ``unit_price`` = amount / quantity (0 when quantity is 0).
    """
    p = Path(path)
    check_exists(p)
    variant, has_header = _cdnow_variant(p, variant)
    names = (["customer_id", "date", "number_of_cds", "dollar_value"] if variant == "master"
             else ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"])
    try:
        frame = pd.read_csv(p, sep=r"\s+", header=None, names=names, dtype=str,
                            skiprows=1 if has_header else 0, skip_blank_lines=False,
                            keep_default_na=False, na_values=[""], encoding="ascii",
                            index_col=False)
    except UnicodeDecodeError:
        raise DataError(p, "encoding", "has non-ASCII bytes; a CDNOW file is plain ASCII text") from None
    except pd.errors.ParserError as exc:
        raise DataError(p, "malformed-row", f"is not a {variant} CDNOW file: {first_line(exc)}") from None
    raw = RawTable.single(frame, p, first_row=2 if has_header else 1,
                          row_note="rows are line numbers of the file")
    spelled = {c: c if has_header else f"{c} (column {i + 1})" for i, c in enumerate(names)}
    raw = raw.dropna_rows()
    if len(raw) == 0:
        raise DataError(p, "empty-file", "has no data rows")
    check_min_lines(raw)

    cust = raw.frame["customer_id"]
    bad = cust.notna() & ~cust.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if bad.any():
        raise_bad(raw, bad.to_numpy(), cust, spelled["customer_id"], "bad-customer-id",
                  "are not numeric customer ids")
    raise_missing(raw, cust.isna().to_numpy(), spelled["customer_id"])
    cust = cust.str.lstrip("0").replace("", "0")
    day = parse_dates(raw, "date", spelled["date"], dayfirst=False, date_format="%Y%m%d")
    qty = parse_numbers(raw, "number_of_cds", spelled["number_of_cds"], ".", None)
    amount = parse_numbers(raw, "dollar_value", spelled["dollar_value"], ".", None)
    ymd = day.dt.strftime("%Y%m%d")
    keys = pd.DataFrame({"c": cust.to_numpy(), "d": ymd.to_numpy()})
    k = keys.groupby(["c", "d"], sort=False).cumcount().astype(str)
    invoice = (cust.to_numpy(dtype=object) + "-" + ymd.to_numpy(dtype=object) + "-"
               + k.to_numpy(dtype=object))
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(qty.to_numpy() == 0, 0.0, amount.to_numpy() / qty.to_numpy())
    df = pd.DataFrame({
        "line_id": np.arange(len(raw), dtype="int64"),
        "invoice": invoice,
        "invoice_ts": day.to_numpy(),
        "customer_id": cust.to_numpy(),
        "quantity": qty.to_numpy(),
        "unit_price": unit,
        "amount": amount.to_numpy(),
        "currency": currency,
    })
    return validate_lines(conform(df), str(p))


def read_file(path, data: DataConfig, *, progress: bool = False, batch_rows: int | None = None) -> pd.DataFrame:
    """Read your own sales export into canonical lines, as described by ``data``.

    Formats (``data.format``, or from the extension when "auto"): ``csv`` (separator ","
    unless the header line has no "," but has ";" or a tab, as Excel writes in Turkish
    and most European locales), ``tsv`` (tab), ``txt`` (";", tab, ",", "|" or whitespace,
    whichever the header line uses), ``parquet``, ``xlsx`` (the first sheet, or
    ``data.sheets`` concatenated in order). ``data.separator`` overrides the guess.

    ``data.columns`` maps canonical names to the file's headers (any language; compared
    after Unicode NFC normalisation and trimming spaces around headers). Needed:
    ``invoice_ts`` and ``unit_price`` or ``amount``.

    * numbers follow ``data.decimal`` and ``data.thousands``; with ``decimal: ","`` and no
      ``thousands``, a dot grouping thousands (``1.234,56``) is understood too;
    * dates follow ``data.date_format`` when given, else the format is recognised from the
      first date, read day-first when ``data.dayfirst`` (``31.12.2023 14:05``);
    * ``amount`` without ``unit_price``: unit_price = amount / quantity (0 when quantity
      is 0); without ``quantity`` every line counts 1 unit; without ``amount``, amount =
      quantity x unit_price;
    * ``currency`` from the mapped column (blank cells take ``data.currency``; "TL" and "₺"
      mean TRY, "€" EUR, "£" GBP) or ``data.currency``;
    * **no invoice column**: one invoice is built per customer and timestamp,
      ``"YYYYMMDD-HHMMSS-<customer_id>"`` (``guest`` for lines without a customer), i.e.
      lines of the same customer at the same moment form one order;
    * identifiers (invoice, customer, product) are kept as text: ``00123`` stays ``00123``;
      a customer id written as a float (``13085.0``) becomes ``13085``;
    * cell texts that mean "missing" (``data.na_values``; by default a customer id that is
      blank, ``NA``, ``N/A``, ``NULL``, ``null``, ``None``, ``nan``, ``#N/A`` or ``-``) are
      missing values, counted per token for the cleaning audit: such a line is a guest's;
    * ``line_no`` (line number within the invoice) and ``original_invoice`` (the invoice a
      return refers to) are kept as text; ``return_flag`` is read with
      ``data.return_flag_values`` (true) and the usual "no" words (false, blank too), and a
      flagged line gets a negative quantity and amount whatever sign the file gave it.

    The file is read in batches of ``batch_rows`` rows (:func:`write_file_lines`; whole when
    None), the lines are returned as one frame.

    Raises
    ------
    DataError
        For a missing or empty file, fewer than ``MIN_LINES`` rows, a misspelt header, a
        value that is not a number or a date, an unknown sheet, bytes that are not in
        ``data.encoding`` or an unsupported extension; the message names the file, the
        column as spelt in the file, the rule and the first bad values with row numbers.
    """
    return _frame_of(lambda target: write_file_lines(path, data, target, progress=progress,
                                                     batch_rows=batch_rows))


def write_file_lines(path, data: DataConfig, target: Path, *, progress: bool = False,
                     batch_rows: int | None = BATCH_ROWS, engine: EngineConfig | None = None) -> tuple[int, dict]:
    """Write your own sales export as canonical lines (see :func:`read_file`) to the parquet file
    ``target``, ``batch_rows`` rows of the file at a time; return (lines, notes of reading).

    With ``engine.backend: spark`` a csv / tsv / txt file is read and parsed by Spark
    (:mod:`helpers.io.spark_read`), not in this process; xlsx and parquet files are read here.
    """
    p = Path(path)
    check_exists(p)
    if data.columns is None:
        raise DataError(p, "missing-mapping",
                        "data.columns is needed: map at least invoice_ts and unit_price or amount "
                        "to the file's headers")
    mapping = {k: nfc(v).strip() for k, v in data.columns.model_dump().items() if v is not None}
    if "invoice_ts" not in mapping:
        raise DataError(p, "missing-mapping", "data.columns.invoice_ts is needed: the header of the "
                        "invoice date (or date-time) column")
    if "unit_price" not in mapping and "amount" not in mapping:
        raise DataError(p, "missing-mapping", "data.columns needs unit_price or amount: the header of "
                        "the price per unit or of the line amount")
    fmt = format_of(p, data.format)

    def batches():
        if fmt == "xlsx":
            return iter_xlsx(p, sheets=data.sheets, all_sheets=False, progress=progress, batch_rows=batch_rows)
        if fmt == "parquet":
            return iter_parquet(p, batch_rows)
        return iter_text(p, fmt=fmt, separator=data.separator, encoding=data.encoding, batch_rows=batch_rows)

    def select(raw: RawTable) -> RawTable:
        for _unused, part in raw.parts():
            check_headers(part, mapping, what="data.columns")
        # one column per canonical name, even when two names map to the same header
        return replace(raw, frame=pd.DataFrame({k: raw.frame[v] for k, v in mapping.items()}, index=raw.frame.index))

    spec = LineSpec({k: k for k in mapping}, dict(mapping), data.currency, decimal=data.decimal,
                    thousands=data.thousands, dayfirst=data.dayfirst, date_format=data.date_format,
                    na_values=data.na_values, return_values=list(data.return_flag_values))
    if fmt in TEXT_FORMATS and _on_spark(engine):
        def columns(raw: RawTable) -> dict[str, str]:
            check_headers(raw, mapping, what="data.columns")
            return dict(mapping)

        return _spark_text_lines(engine, p, fmt, data.separator, data.encoding, columns, spec, target)
    return write_lines(batches, spec, target, select=select)


def _on_spark(engine: EngineConfig | None) -> bool:
    return engine is not None and engine.backend == "spark"


def _spark_text_lines(engine: EngineConfig, p: Path, fmt: str, separator: str | None, encoding: str,
                      columns: Callable[[RawTable], dict[str, str]], spec: LineSpec, target: Path) -> tuple[int, dict]:
    """A text file's canonical lines read by Spark on ``engine`` (:func:`helpers.io.spark_read.write_text_lines`)."""
    from helpers.io import engine as eng
    from helpers.io.spark_read import write_text_lines

    spark = eng.spark_session(engine)
    return write_text_lines(spark, p, fmt=fmt, separator=separator, encoding=encoding, select=columns, spec=spec,
                            target=Path(target), scratch=eng.scratch_dir())


# --------------------------------------------------------------------------------------
# CDNOW layout
# --------------------------------------------------------------------------------------
def _cdnow_variant(p: Path, variant: str) -> tuple[str, bool]:
    """(variant, has_header) from the first non-blank line; checks an explicit variant."""
    check_exists(p)
    with open(p, "rb") as f:
        first = b""
        for line in f:
            if line.strip():
                first = line
                break
    tokens = first.decode("ascii", errors="replace").split()
    if not tokens:
        raise DataError(p, "empty-file", "has no data rows")
    has_header = not tokens[0].isdigit()
    if has_header:
        found = "master" if len(tokens) == 4 else "sample" if len(tokens) == 5 else None
    else:
        found = {4: "master", 5: "sample"}.get(len(tokens))
    if found is None:
        raise DataError(p, "cdnow-variant",
                        f"first line has {len(tokens)} fields ({' '.join(tokens)[:80]!r}); a CDNOW master "
                        "file has 4 (customer_id date number_of_cds dollar_value), the sample 5 "
                        "(customer id, sample id, date, number of CDs, dollar value)")
    if variant not in ("auto", found):
        raise DataError(p, "cdnow-variant",
                        f"data.cdnow_variant is '{variant}' but the file looks like the {found} file "
                        f"({len(tokens)} fields per line); use 'auto' or '{found}'")
    return found, has_header


# --------------------------------------------------------------------------------------
# raw -> canonical
# --------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------
def _short(p: Path) -> str:
    try:
        return str(p.relative_to(paths.ROOT))
    except ValueError:
        return str(p)


def _size(p: Path) -> str:
    b = p.stat().st_size
    return f"{b / 1e6:.1f} MB" if b >= 1e5 else f"{b / 1e3:.1f} kB"


