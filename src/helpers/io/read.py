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
    (:func:`helpers.io.tables.olist_lines`).
``none``
    no sales lines at all (only the optional tables of :mod:`helpers.io.tables`); nothing to read.

:func:`read_source` reads the source once and keeps the canonical lines as parquet in
``data/interim`` (``<name>-<hash12>.parquet``, the hash covers the file's content and the
read options), so a large workbook is parsed only on the first run. The cache is written
atomically and only after the lines passed :func:`helpers.io.schema.validate_lines`.

Every problem in the input (missing file, misspelt header, a price that is not a number,
an unreadable date, a wrong sheet name, the wrong text encoding, ...) raises a
:class:`~helpers.errors.DataError` whose message names the file, the column as it is
spelt in the file, the rule, and the first offending values with their row numbers.
"""
from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from helpers import paths
from helpers.config import DEFAULT_CUSTOMER_NA, DEFAULT_SALE_VALUES, NA_COLUMNS, DataConfig, RunConfig
from helpers.errors import DataError
from helpers.i18n import fmt_number, t
from helpers.io.schema import LINE_COLUMNS, MIN_LINES, OPTIONAL, conform, validate_lines

__all__ = [
    "Source",
    "read_source",
    "read_online_retail",
    "read_cdnow",
    "read_file",
    "fingerprint_file",
    "READER_VERSION",
]

#: Bumped whenever the reading logic changes what ends up in the canonical table; it is
#: part of the cache key, so old caches are simply not used any more.
READER_VERSION = 2

_TEXT_FORMATS = ("csv", "tsv", "txt")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_TURKISH_HINT = ("Turkish files are usually cp1254 (Windows export) or iso-8859-9; "
                 "Western European ones latin-1")

#: Currency marks found in exports instead of ISO codes.
_CURRENCY_ALIASES = {"TL": "TRY", "YTL": "TRY", "₺": "TRY", "€": "EUR", "£": "GBP"}

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
        n, has = _describe_parquet(lines)
        say(t("read_synthetic", n=fmt_number(n), path=_short(lines)))
        return Source("synthetic", lines, (lines,), n, has)

    path = cfg.data_path()
    if data.source == "none":
        raise DataError("<config>", "no-sales-lines", "data.source is 'none': this data set has no sales lines "
                        "to read (the pipeline reads only its optional tables)")
    if path is None:  # the config validator already prevents this
        raise DataError("<config>", "missing-path", f"data.source '{data.source}' needs data.path")
    if data.source == "olist":
        return _read_olist_source(path, data.currency if "currency" in data.model_fields_set else "BRL", say)
    _check_exists(path)

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
            n, has = _describe_parquet(cache)
            notes = _read_notes(cache)
        except Exception:  # unreadable cache (e.g. truncated by hand): read the source again
            n = None
        if n is not None:
            say(t("read_from_cache", name=name, n=fmt_number(n), path=_short(cache)))
            return Source(name, cache, (path.resolve(),), n, has, notes)

    t0 = time.perf_counter()
    say(t("read_reading", name=name, file=path.name, size=_size(path)))
    if data.source == "online_retail_ii":
        df = read_online_retail(path, sheets=data.sheets, currency=currency, encoding=data.encoding,
                                separator=data.separator, progress=progress, na_values=data.na_values)
    elif data.source == "cdnow":
        df = read_cdnow(path, variant=variant, currency=currency)
    else:
        df = read_file(path, data, progress=progress)
    # every loader ends with validate_lines, so only valid lines reach the cache
    notes = dict(df.attrs.get("read_notes", {}))
    _write_atomic(df, cache)  # the notes travel in the parquet's metadata (pandas attrs)
    say(t("read_done", name=name, n=fmt_number(len(df)), seconds=fmt_number(time.perf_counter() - t0, 1), path=_short(cache)))
    return Source(name, cache, (path.resolve(),), len(df), _has(df), notes)


def _read_olist_source(folder: Path, currency: str, say: Callable[[str], None]) -> Source:
    """The Olist folder's order items as canonical lines (:func:`helpers.io.tables.olist_lines`), cached."""
    from helpers.io.tables import OLIST_FILES, OLIST_LINES_VERSION, olist_lines

    if not folder.is_dir():
        if folder.is_file():
            raise DataError(folder, "not-a-folder", "data.source 'olist' reads a folder of the Olist csv files; "
                            "set data.path to the folder, not to one file")
        _check_exists(folder)
    files = [folder / f for f in OLIST_FILES["lines"]]
    for f in files:
        _check_exists(f)
    payload = {"reader": READER_VERSION, "source": "olist", "adapter": OLIST_LINES_VERSION, "currency": currency,
               "sha256": [fingerprint_file(f) for f in files]}
    hash12 = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
    cache = Path(paths.INTERIM) / f"olist-{hash12}.parquet"
    inputs = tuple(f.resolve() for f in files)
    if cache.is_file():
        try:
            n, has = _describe_parquet(cache)
        except Exception:  # unreadable cache: read again
            n = None
        if n is not None:
            say(t("read_from_cache", name="olist", n=fmt_number(n), path=_short(cache)))
            return Source("olist", cache, inputs, n, has)
    t0 = time.perf_counter()
    say(t("read_olist_join", folder=_short(Path(folder))))
    df = olist_lines(folder)
    if currency != "BRL":
        df["currency"] = currency
    _write_atomic(df, cache)
    say(t("read_done", name="olist", n=fmt_number(len(df)), seconds=fmt_number(time.perf_counter() - t0, 1), path=_short(cache)))
    return Source("olist", cache, inputs, len(df), _has(df))


def read_online_retail(path, *, sheets=None, currency: str = "GBP", encoding: str = "utf-8",
                       separator: str | None = None, progress: bool = False,
                       na_values: list[str] | dict[str, list[str]] | None = None) -> pd.DataFrame:
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
    """
    p = Path(path)
    _check_exists(p)
    fmt = _format_of(p, "auto")
    if fmt == "xlsx":
        raw = _read_xlsx(p, sheets=sheets, all_sheets=True, progress=progress)
    elif fmt in _TEXT_FORMATS:
        if sheets:
            warnings.warn(f"{p}: data.sheets is ignored for a {fmt} file", stacklevel=2)
        raw = _read_text(p, fmt=fmt, separator=separator, encoding=encoding)
    else:
        raise DataError(p, "unsupported-format",
                        f"Online Retail is read from its .xlsx workbook or a .csv export, not {fmt}")

    # one layout per sheet (a workbook could mix them); the current layout wins on ties
    new_names, old_names = set(ONLINE_RETAIL_COLUMNS.values()), set(ONLINE_RETAIL_OLD_COLUMNS.values())
    parts, spelled = [], None
    for _, part in raw.parts():
        headers = set(part.frame.columns)
        use_old = not new_names <= headers and len(old_names & headers) > len(new_names & headers)
        mapping = ONLINE_RETAIL_OLD_COLUMNS if use_old else ONLINE_RETAIL_COLUMNS
        _check_headers(part, mapping, what="the Online Retail layout")
        frame = part.frame.rename(columns={v: k for k, v in mapping.items()})[list(mapping)]
        parts.append(replace(part, frame=frame))
        spelled = spelled or dict(mapping)  # headers as the file spells them, for messages
    return _build_lines(
        _Raw.concat(parts), {k: k for k in ONLINE_RETAIL_COLUMNS}, spelled=spelled, currency=currency,
        decimal=".", thousands=None, dayfirst=False, date_format=None,
        na_values=na_values if na_values is not None else {"customer_id": list(DEFAULT_CUSTOMER_NA)})


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
    _check_exists(p)
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
        raise DataError(p, "malformed-row", f"is not a {variant} CDNOW file: {_first_line(exc)}") from None
    raw = _Raw.single(frame, p, first_row=2 if has_header else 1,
                      row_note="rows are line numbers of the file")
    spelled = {c: c if has_header else f"{c} (column {i + 1})" for i, c in enumerate(names)}
    raw = raw.dropna_rows()
    if len(raw) == 0:
        raise DataError(p, "empty-file", "has no data rows")
    _check_min_lines(raw)

    cust = raw.frame["customer_id"]
    bad = cust.notna() & ~cust.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if bad.any():
        _raise_bad(raw, bad.to_numpy(), cust, spelled["customer_id"], "bad-customer-id",
                   "are not numeric customer ids")
    _raise_missing(raw, cust.isna().to_numpy(), spelled["customer_id"])
    cust = cust.str.lstrip("0").replace("", "0")
    day = _parse_dates(raw, "date", spelled["date"], dayfirst=False, date_format="%Y%m%d")
    qty = _parse_numbers(raw, "number_of_cds", spelled["number_of_cds"], ".", None)
    amount = _parse_numbers(raw, "dollar_value", spelled["dollar_value"], ".", None)
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


def read_file(path, data: DataConfig, *, progress: bool = False) -> pd.DataFrame:
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

    Raises
    ------
    DataError
        For a missing or empty file, fewer than ``MIN_LINES`` rows, a misspelt header, a
        value that is not a number or a date, an unknown sheet, bytes that are not in
        ``data.encoding`` or an unsupported extension; the message names the file, the
        column as spelt in the file, the rule and the first bad values with row numbers.
    """
    p = Path(path)
    _check_exists(p)
    if data.columns is None:
        raise DataError(p, "missing-mapping",
                        "data.columns is needed: map at least invoice_ts and unit_price or amount "
                        "to the file's headers")
    mapping = {k: _nfc(v).strip() for k, v in data.columns.model_dump().items() if v is not None}
    if "invoice_ts" not in mapping:
        raise DataError(p, "missing-mapping", "data.columns.invoice_ts is needed: the header of the "
                        "invoice date (or date-time) column")
    if "unit_price" not in mapping and "amount" not in mapping:
        raise DataError(p, "missing-mapping", "data.columns needs unit_price or amount: the header of "
                        "the price per unit or of the line amount")
    fmt = _format_of(p, data.format)
    if fmt == "xlsx":
        raw = _read_xlsx(p, sheets=data.sheets, all_sheets=False, progress=progress)
    elif fmt == "parquet":
        raw = _read_parquet(p)
    else:
        raw = _read_text(p, fmt=fmt, separator=data.separator, encoding=data.encoding)
    for _, part in raw.parts():
        _check_headers(part, mapping, what="data.columns")
    spelled = dict(mapping)
    # one column per canonical name, even when two names map to the same header
    frame = pd.DataFrame({k: raw.frame[v] for k, v in mapping.items()}, index=raw.frame.index)
    raw = replace(raw, frame=frame)
    return _build_lines(raw, {k: k for k in mapping}, spelled=spelled, currency=data.currency,
                        decimal=data.decimal, thousands=data.thousands, dayfirst=data.dayfirst,
                        date_format=data.date_format, na_values=data.na_values,
                        return_values=data.return_flag_values)


# --------------------------------------------------------------------------------------
# raw frames with row numbers
# --------------------------------------------------------------------------------------
@dataclass
class _Raw:
    """File headers as columns, plus where each row sits in the file (for messages)."""

    frame: pd.DataFrame
    file: Path
    row_no: np.ndarray                  # 1-based row number in the file / sheet
    sheet: np.ndarray | None = None     # sheet name per row (workbooks) or None
    row_note: str = "rows counted as in the file, header = row 1"
    sep: str | None = None              # separator of a text file (for hints)
    excel: bool = False                 # from a workbook: numbers in a date column are serials

    @classmethod
    def single(cls, frame, file, *, first_row: int, sheet: str | None = None,
               row_note: str = "rows counted as in the file, header = row 1") -> "_Raw":
        frame = frame.reset_index(drop=True)
        frame.columns = [_clean_header(c) for c in frame.columns]
        rows = np.arange(first_row, first_row + len(frame), dtype="int64")
        sheets = None if sheet is None else np.full(len(frame), sheet, dtype=object)
        return cls(frame, Path(file), rows, sheets, row_note)

    @classmethod
    def concat(cls, parts: list["_Raw"]) -> "_Raw":
        if len(parts) == 1:
            return parts[0]
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        rows = np.concatenate([p.row_no for p in parts])
        sheets = None
        if any(p.sheet is not None for p in parts):
            sheets = np.concatenate([p.sheet if p.sheet is not None else np.full(len(p.frame), None)
                                     for p in parts])
        return replace(parts[0], frame=frame, row_no=rows, sheet=sheets)

    def __len__(self) -> int:
        return len(self.frame)

    def parts(self):
        """(sheet, _Raw) per sheet; one part for single-table files."""
        if self.sheet is None:
            yield None, self
            return
        for name in pd.unique(self.sheet):
            m = self.sheet == name
            yield name, replace(self, frame=self.frame[m].reset_index(drop=True),
                                row_no=self.row_no[m], sheet=self.sheet[m])

    def dropna_rows(self) -> "_Raw":
        """Drop rows with no value at all (blank lines), keeping the others' row numbers."""
        keep = self.frame.notna().any(axis=1).to_numpy()
        if keep.all():
            return self
        return replace(self, frame=self.frame[keep].reset_index(drop=True), row_no=self.row_no[keep],
                       sheet=None if self.sheet is None else self.sheet[keep])

    def where(self, i: int) -> str:
        row = f"row {int(self.row_no[i])}"
        if self.sheet is not None and self.sheet[i] is not None:
            return f"sheet '{self.sheet[i]}' {row}"
        return row


def _clean_header(c) -> str:
    return _nfc(str(c)).replace("\ufeff", "").strip()


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------------------
# readers per format
# --------------------------------------------------------------------------------------
def _check_exists(p: Path) -> None:
    if p.is_file():
        if p.stat().st_size == 0:
            raise DataError(p, "empty-file", "is empty (0 bytes)")
        return
    if p.is_dir():
        raise DataError(p, "file-not-found", "is a folder, not a file; data.path must name the file")
    hint = ""
    if p.parent.is_dir():
        siblings = [x.name for x in p.parent.iterdir() if x.is_file()]
        close = difflib.get_close_matches(p.name, siblings, n=3, cutoff=0.5)
        if close:
            hint = "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        elif siblings:
            hint = f"; {p.parent} holds: " + ", ".join(sorted(siblings)[:10])
    else:
        hint = f"; the folder {p.parent} does not exist either"
    raise DataError(p, "file-not-found", f"does not exist (a relative data.path starts at the project "
                    f"root {paths.ROOT}){hint}")


def _format_of(p: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    ext = p.suffix.lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if ext == ".xls":
        raise DataError(p, "unsupported-format", "is an old Excel 97-2003 workbook (.xls); save it as "
                        ".xlsx or .csv, or set data.format")
    known = ", ".join(sorted(_EXTENSIONS))
    raise DataError(p, "unsupported-format", f"has extension '{ext or '(none)'}' which is not one of "
                    f"{known}; rename the file or set data.format (csv, tsv, txt, parquet, xlsx)")


def _read_text(p: Path, *, fmt: str, separator: str | None, encoding: str) -> _Raw:
    head = _head_bytes(p)
    enc = encoding
    if codecs.lookup(encoding).name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    first = head.decode(enc, errors="replace").lstrip("\ufeff").splitlines()[0] if head else ""
    sep = separator
    if sep is None:
        if fmt == "tsv":
            sep = "\t"
        elif fmt == "csv":
            sep = ","
            if "," not in first:
                sep = ";" if ";" in first else ("\t" if "\t" in first else ",")
        else:
            counts = {s: first.count(s) for s in (";", "\t", ",", "|")}
            best = max(counts, key=counts.get)
            sep = best if counts[best] else r"\s+"
    kw: dict[str, Any] = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                              skip_blank_lines=False, encoding=enc, index_col=False)
    if len(sep) > 1 and sep != r"\s+":
        kw["engine"] = "python"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(p, **kw)
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            warnings.warn(f"{p}: some rows have more fields than the header line; the extra fields "
                          f"are ignored (separator {sep!r})", stacklevel=3)
    except UnicodeDecodeError as exc:
        raise _encoding_error(p, encoding, sep, exc) from None
    except pd.errors.EmptyDataError:
        raise DataError(p, "empty-file", "has no header and no data") from None
    except pd.errors.ParserError as exc:
        hint = ""
        if sep == "," and re.search(r"\d,\d", first + head.decode(enc, errors="replace")[:2000]):
            hint = ("; numbers with a decimal comma in a comma-separated file must be quoted, or use "
                    "';' as separator (data.separator)")
        raise DataError(p, "malformed-row", f"cannot be split into columns with separator {sep!r}: "
                        f"{_first_line(exc)}{hint}") from None
    _warn_if_utf8_as_single_byte(p, head, encoding)
    raw = replace(_Raw.single(frame, p, first_row=2), sep=sep)
    if len(frame) == 0:
        raise DataError(p, "empty-file", "has a header line but no data rows")
    return raw.dropna_rows()


def _head_bytes(p: Path, n: int = 1 << 20) -> bytes:
    with open(p, "rb") as f:
        return f.read(n)


def _warn_if_utf8_as_single_byte(p: Path, head: bytes, encoding: str) -> None:
    name = codecs.lookup(encoding).name
    if name.startswith("utf") or head.isascii():
        return
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 or len(head) < 1 << 20:  # a real error, not a cut character
            return
    warnings.warn(f"{p}: data.encoding is {encoding} but the file looks like UTF-8 text; letters "
                  f"such as ü or ş may come out garbled (set data.encoding: utf-8)", stacklevel=3)


def _encoding_error(p: Path, encoding: str, sep: str, exc: UnicodeDecodeError) -> DataError:
    """Find the first undecodable byte's line and column for the message."""
    line_no, col, byte = None, None, exc.object[exc.start:exc.start + 1] if exc.object else b""
    try:
        with open(p, "rb") as f:
            header = None
            for i, line in enumerate(f, 1):
                if header is None:
                    header = line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as e:
                    line_no, byte = i, line[e.start:e.start + 1]
                    if i == 1:
                        break
                    text = line.decode(encoding, errors="replace")
                    fields = re.split(sep, text) if sep == r"\s+" else text.split(sep)
                    names = re.split(sep, header) if sep == r"\s+" else header.split(sep)
                    for j, fld in enumerate(fields):
                        if "\ufffd" in fld and j < len(names):
                            col = names[j].strip().strip('"')
                            break
                    break
    except Exception:  # best effort only
        pass
    where = " in the header line" if line_no == 1 else f" on line {line_no}" if line_no else ""
    fix = f"set data.encoding to the file's encoding ({_TURKISH_HINT})"
    if codecs.lookup(encoding).name != "utf-8" and _looks_utf8(p):
        fix = "the file looks like UTF-8: set data.encoding: utf-8"
    return DataError(p, "encoding",
                     f"cannot be decoded as {encoding}: byte 0x{byte.hex().upper() or '??'}{where} is not "
                     f"valid {encoding}; {fix}", column=col)


def _looks_utf8(p: Path) -> bool:
    head = _head_bytes(p)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4 and len(head) == 1 << 20  # cut inside a character
    return True


def _read_parquet(p: Path) -> _Raw:
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises several kinds
        raise DataError(p, "unreadable-file",
                        f"is not a readable parquet file ({_first_line(exc)})") from None
    if len(frame) == 0:
        raise DataError(p, "empty-file", "has columns but no rows")
    return _Raw.single(frame, p, first_row=1, row_note="rows counted from 1").dropna_rows()


def _read_xlsx(p: Path, *, sheets, all_sheets: bool, progress: bool) -> _Raw:
    import zipfile

    try:
        xl = pd.ExcelFile(p, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(p, "unreadable-file", f"is not a readable .xlsx workbook ({_first_line(exc)}); "
                        "save it again from Excel as .xlsx, or as .csv") from None
    with xl:
        names = list(xl.sheet_names)
        if sheets:
            missing = [s for s in sheets if s not in names]
            if missing:
                close = difflib.get_close_matches(missing[0], names, n=1, cutoff=0.5)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise DataError(p, "missing-sheet",
                                f"has no sheet {', '.join(repr(m) for m in missing)} (data.sheets); its "
                                f"sheets are: {', '.join(repr(n) for n in names)}{hint}")
            wanted = list(sheets)
        else:
            wanted = names if all_sheets else names[:1]
        parts = []
        for s in wanted:
            t0 = time.perf_counter()
            try:
                frame = pd.read_excel(xl, sheet_name=s, dtype=object)
            except Exception as exc:
                raise DataError(p, "unreadable-file",
                                f"sheet '{s}' cannot be read ({_first_line(exc)})") from None
            if progress:
                print(f"  sheet '{s}': {len(frame):,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
            part = _Raw.single(frame, p, first_row=2, sheet=s if len(wanted) > 1 else None,
                               row_note="rows counted as in the sheet, header = row 1")
            parts.append(replace(part, excel=True).dropna_rows())
    raw = _Raw.concat(parts)
    if len(raw) == 0:
        which = ", ".join(repr(s) for s in wanted)
        raise DataError(p, "empty-file", f"has no data rows in sheet(s) {which}")
    return raw


def _cdnow_variant(p: Path, variant: str) -> tuple[str, bool]:
    """(variant, has_header) from the first non-blank line; checks an explicit variant."""
    _check_exists(p)
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
def _check_headers(raw: _Raw, mapping: dict[str, str], *, what: str) -> None:
    headers = list(raw.frame.columns)
    missing = [(k, v) for k, v in mapping.items() if v not in headers]
    if not missing:
        return
    canon, col = missing[0]
    shown = ", ".join(repr(h) for h in headers[:40]) + (" ..." if len(headers) > 40 else "")
    folded = {h.casefold(): h for h in headers}
    close = [folded[col.casefold()]] if col.casefold() in folded else \
        difflib.get_close_matches(col, headers, n=1, cutoff=0.6)
    msg = f"is not in the file (wanted as {canon} by {what})"
    if raw.sheet is not None:
        msg += f" in sheet '{raw.sheet[0]}'"
    msg += f"; did you mean '{close[0]}'?" if close else "."
    msg += f" The file's headers are: {shown}"
    if len(missing) > 1:
        msg += "; also missing: " + ", ".join(f"'{v}' ({k})" for k, v in missing[1:])
    sep = raw.sep
    if len(headers) == 1:
        for s in (";", "\t", ",", "|"):
            if s in headers[0] and s != sep:
                msg += f". The header line looks split by {s!r}: set data.separator: {s!r}"
                break
    raise DataError(raw.file, "missing-column", msg, column=col)


def _check_min_lines(raw: _Raw) -> None:
    if len(raw) < MIN_LINES:
        raise DataError(raw.file, "too-few-lines",
                        f"has {len(raw)} data row(s); at least {MIN_LINES} sales lines are needed for an "
                        "analysis")


def _na_tokens(na_values) -> dict[str, set[str]]:
    """``data.na_values`` as {canonical column: case-folded tokens}; a list applies to every column."""
    if na_values is None:
        return {}
    if isinstance(na_values, dict):
        return {k: {str(v).strip().casefold() for v in vals} for k, vals in na_values.items()}
    tokens = {str(v).strip().casefold() for v in na_values}
    return {k: tokens for k in NA_COLUMNS}


def _mask_na(s: pd.Series, column: str, tokens: dict[str, set[str]], found: list[dict]) -> pd.Series:
    """Values of ``s`` (text) that are missing-value tokens become null; each token's count goes to ``found``."""
    wanted = tokens.get(column)
    if not wanted:
        return s
    blank = int(s.isna().sum())
    if blank:
        found.append({"column": column, "token": "(blank)", "count": blank})
    key = s.str.strip().str.casefold()
    hit = key.isin(sorted(wanted)).fillna(False).astype(bool).to_numpy()
    if hit.any():
        for token, n in s[hit].str.strip().value_counts().items():
            found.append({"column": column, "token": str(token), "count": int(n)})
        s = s.mask(hit)
    return s


def _return_flags(raw: _Raw, col: str, column: str, return_values: list[str]) -> pd.Series:
    """A return-flag column as booleans (null when blank); a value neither "return" nor "sale" is an error."""
    text = _texts(raw.frame[col], strip=True).str.casefold()
    yes = {str(v).strip().casefold() for v in return_values}
    no = {v.casefold() for v in DEFAULT_SALE_VALUES} - yes
    is_yes = text.isin(sorted(yes)).fillna(False).astype(bool)
    is_no = text.isin(sorted(no)).fillna(False).astype(bool)
    bad = (text.notna() & ~is_yes & ~is_no).to_numpy()
    if bad.any():
        _raise_bad(raw, bad, raw.frame[col], column, "bad-return-flag",
                   "are neither a return mark nor a sale mark",
                   f"; list the values that mark a return in data.return_flag_values (now "
                   f"{', '.join(sorted(yes))}); {', '.join(sorted(no))} and blanks mark a sale")
    return pd.Series(np.where(text.isna(), None, is_yes), index=text.index, dtype="boolean")


def _build_lines(raw: _Raw, cols: dict[str, str], *, spelled: dict[str, str], currency: str,
                 decimal: str, thousands: str | None, dayfirst: bool,
                 date_format: str | None, na_values=None, return_values: list[str] | None = None) -> pd.DataFrame:
    """Parse the mapped columns of ``raw`` (``cols``: canonical -> column of raw.frame).

    ``spelled`` gives each canonical column's header as written in the file (for messages).
    The result's ``attrs["read_notes"]`` holds what :attr:`Source.notes` describes.
    """
    raw = raw.dropna_rows()
    if len(raw) == 0:
        raise DataError(raw.file, "empty-file", "has no data rows")
    _check_min_lines(raw)
    n = len(raw)
    f = raw.frame

    def name(k):
        return spelled.get(k, k)

    ts = _parse_dates(raw, cols["invoice_ts"], name("invoice_ts"), dayfirst=dayfirst,
                      date_format=date_format)
    qty = (_parse_numbers(raw, cols["quantity"], name("quantity"), decimal, thousands)
           if "quantity" in cols else pd.Series(1.0, index=f.index))
    price = (_parse_numbers(raw, cols["unit_price"], name("unit_price"), decimal, thousands)
             if "unit_price" in cols else None)
    amount = (_parse_numbers(raw, cols["amount"], name("amount"), decimal, thousands)
              if "amount" in cols else None)
    if price is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            price = pd.Series(np.where(qty.to_numpy() == 0, 0.0, amount.to_numpy() / qty.to_numpy()),
                              index=f.index)
    if amount is None:
        amount = qty * price

    tokens = _na_tokens(na_values)
    found: list[dict] = []
    flipped = 0
    if "return_flag" in cols:
        flag = _return_flags(raw, cols["return_flag"], name("return_flag"), return_values or [])
        turn = flag.fillna(False).to_numpy(dtype=bool)
        flipped = int((turn & ((qty.to_numpy() > 0) | (amount.to_numpy() > 0))).sum())
        qty = qty.where(~turn, -qty.abs())
        amount = amount.where(~turn, -amount.abs())
    out: dict[str, Any] = {"line_id": np.arange(n, dtype="int64")}
    customer = (_mask_na(_keys(f[cols["customer_id"]], strip_float_suffix=True), "customer_id", tokens, found)
                if "customer_id" in cols else pd.Series(pd.NA, index=f.index, dtype="string"))
    if "invoice" in cols:
        inv = _mask_na(_keys(f[cols["invoice"]]), "invoice", tokens, found)
        _raise_missing(raw, inv.isna().to_numpy(), name("invoice"))
    else:
        inv = (ts.dt.strftime("%Y%m%d-%H%M%S").astype("string") + "-"
               + customer.fillna("guest")).astype("string")
    out["invoice"] = inv
    out["invoice_ts"] = ts
    out["customer_id"] = customer
    for k in ("product_id", "line_no", "original_invoice"):
        if k in cols:
            out[k] = _mask_na(_keys(f[cols[k]]), k, tokens, found)
    for k in ("description", "category", "country", "channel"):
        if k in cols:
            out[k] = _mask_na(_texts(f[cols[k]], strip=(k != "description")), k, tokens, found)
    if "return_flag" in cols:
        out["is_return"] = flag
    out["quantity"] = qty
    out["unit_price"] = price
    out["amount"] = amount
    if "currency" in cols:
        cur = _texts(f[cols["currency"]], strip=True).str.upper()
        cur = cur.replace(_CURRENCY_ALIASES)
        bad = (cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)).to_numpy()
        if bad.any():
            _raise_bad(raw, bad, f[cols["currency"]], name("currency"), "bad-currency",
                       "are not 3-letter ISO currency codes (e.g. TRY, EUR, USD)")
        out["currency"] = cur.fillna(currency)
    else:
        out["currency"] = currency
    df = pd.DataFrame(out, index=f.index)
    # numbers must be finite
    for k in ("quantity", "unit_price", "amount"):
        if k in cols:
            bad = ~np.isfinite(df[k].to_numpy(dtype="float64"))
            if bad.any():
                _raise_bad(raw, bad, f[cols[k]], name(k), "finite-number", "are not finite numbers")
    lines = validate_lines(conform(df), str(raw.file))
    lines.attrs["read_notes"] = {"na_tokens": found, "return_sign_flipped": flipped,
                                 "quantity_given": "quantity" in cols}
    return lines


def _raise_missing(raw: _Raw, mask: np.ndarray, column: str) -> None:
    if mask.any():
        idx = np.flatnonzero(mask)
        rows = ", ".join(raw.where(i) for i in idx[:3])
        raise DataError(raw.file, "missing-value",
                        f"{len(idx):,} row(s) have no value, e.g. {rows} ({raw.row_note}); fill them "
                        "in or remove those rows", column=column)


def _raise_bad(raw: _Raw, mask: np.ndarray, values: pd.Series, column: str, rule: str, what: str,
               hint: str = "") -> None:
    idx = np.flatnonzero(mask)
    vals = values.to_numpy(dtype=object)
    ex = ", ".join(f"{_show(vals[i])} ({raw.where(i)})" for i in idx[:3])
    raise DataError(raw.file, rule, f"{len(idx):,} value(s) {what}: {ex} ({raw.row_note}){hint}",
                    column=column)


def _show(v) -> str:
    s = repr(v if isinstance(v, str) else str(v))
    return s if len(s) <= 42 else s[:39] + "...'"


def _is_text_dtype(dtype) -> bool:
    """A pandas string dtype (every non-null value is a str), not object."""
    return isinstance(dtype, pd.StringDtype)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _parse_numbers(raw: _Raw, col: str, column: str, decimal: str, thousands: str | None) -> pd.Series:
    """Numbers from a column of numbers and/or text, with the file's decimal and thousands marks."""
    s = raw.frame[col]
    notnull = s.notna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s.astype("float64")
    else:
        obj = s.astype(object)
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        num = (np.zeros(len(s), dtype=bool) if _is_text_dtype(s.dtype)
               else obj.map(_is_number).to_numpy(dtype=bool))
        if num.any():
            out[num] = obj[num].astype("float64")
        txt_mask = notnull & ~num
        if txt_mask.any():
            txt = obj[txt_mask].astype(str).str.strip()
            txt = txt.str.replace("\u00a0", "", regex=False).str.replace("\u202f", "", regex=False)
            if thousands:
                txt = txt.str.replace(thousands, "", regex=False)
                if thousands == " ":
                    txt = txt.str.replace("\u00a0", "", regex=False)
            elif decimal == ",":
                grouped = txt.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?").fillna(False).astype(bool)
                txt = txt.where(~grouped, txt.str.replace(".", "", regex=False))
            if decimal == ",":
                txt = txt.str.replace(",", ".", regex=False)
            blank = (txt == "").to_numpy()
            parsed = pd.to_numeric(txt.where(~blank, None), errors="coerce")
            # the only strings pandas turns into NaN on purpose; treat them as unreadable
            out[txt_mask] = parsed.astype("float64").to_numpy()
            notnull = notnull.copy()
            notnull[np.flatnonzero(txt_mask)[blank]] = False
    bad = notnull & out.isna().to_numpy()
    if bad.any():
        hint = ""
        sample = [v for v in s.to_numpy(dtype=object)[bad][:20] if isinstance(v, str)]
        if decimal == "." and any(re.search(r"\d,\d", v) for v in sample):
            hint = "; numbers with a decimal comma need data.decimal: ',' (and data.thousands: '.')"
        elif decimal == "," and any(re.fullmatch(r"[+-]?\d+\.\d+", v.strip()) for v in sample):
            hint = "; these use a decimal point: check data.decimal"
        marks = f"data.decimal {decimal!r}" + (f" and data.thousands {thousands!r}" if thousands else "")
        _raise_bad(raw, bad, s, column, "not-a-number", f"are not numbers (read with {marks})", hint)
    _raise_missing(raw, ~notnull, column)
    return out


_SWAP = {"%d": "%m", "%m": "%d"}


def _parse_dates(raw: _Raw, col: str, column: str, *, dayfirst: bool, date_format: str | None) -> pd.Series:
    """Timestamps (naive) from datetimes, YYYYMMDD integers or text."""
    s = raw.frame[col]
    notnull = s.notna().to_numpy()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_localize(None).astype("datetime64[us]")
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("datetime64[us]")
    else:
        obj = s.astype(object)
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        if _is_text_dtype(s.dtype):
            kind = np.full(len(s), "s")
        else:
            kind = obj.map(lambda v: "d" if isinstance(v, (dt.date, np.datetime64)) else
                           "n" if _is_number(v) else "s").to_numpy()
        d = notnull & (kind == "d")
        if d.any():
            out[d] = _naive(pd.to_datetime(pd.Series(list(obj[d]), dtype=object), errors="coerce")).to_numpy()
        nm = notnull & (kind == "n")
        if nm.any():  # YYYYMMDD stored as a number, or an Excel serial day number
            vals = pd.to_numeric(obj[nm], errors="coerce").astype("float64")
            ok = (vals == vals.round()) & vals.between(10000101, 29991231)
            txt = vals.where(ok).astype("Int64").astype("string")
            got = pd.to_datetime(txt, format="%Y%m%d", errors="coerce")
            if raw.excel:  # 1954 .. 2119 as Excel day numbers (days since 1899-12-30)
                serial = vals.between(20000, 80000)
                got = got.where(~serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(
                    vals.where(serial, 0) * 86400, unit="s").dt.round("s"))
            out[nm] = _naive(got).to_numpy()
        st = notnull & (kind == "s")
        if st.any():
            txt = obj[st].astype(str).str.strip()
            blank = (txt == "").to_numpy()
            out[st] = _dates_from_text(raw, txt.where(~blank, None), s, column, dayfirst,
                                       date_format).to_numpy()
            notnull = notnull.copy()
            notnull[np.flatnonzero(st)[blank]] = False
    bad = notnull & out.isna().to_numpy()
    if bad.any():
        if date_format:
            how = f"data.date_format {date_format!r}"
            hint = ("; check these values, or fix data.date_format (codes as in Python's strftime, "
                    "e.g. '%d.%m.%Y %H:%M' for 31.12.2023 14:05)")
        else:
            how = f"data.dayfirst {str(dayfirst).lower()}"
            hint = ("; check these values, or give data.date_format, e.g. '%d.%m.%Y %H:%M' for "
                    "31.12.2023 14:05" + ("" if dayfirst else ", or set data.dayfirst: true for "
                                          "day-first dates"))
        _raise_bad(raw, bad, s, column, "unreadable-date", f"are not dates (read with {how})", hint)
    _raise_missing(raw, ~notnull, column)
    return out


def _naive(ts: pd.Series) -> pd.Series:
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_localize(None)
    return ts.astype("datetime64[us]")


def _to_dt(txt: pd.Series, **kw) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = pd.to_datetime(txt, errors="coerce", **kw)
        except (ValueError, TypeError):  # e.g. mixed time zones
            res = pd.to_datetime(txt, errors="coerce", utc=True, **kw).dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(res.dtype):  # all failed -> object
        res = pd.to_datetime(res, errors="coerce")
    return _naive(res)


def _dates_from_text(raw: _Raw, txt: pd.Series, full: pd.Series, column: str, dayfirst: bool,
                     date_format: str | None) -> pd.Series:
    """Parse date strings ``txt`` (indexed by row position in ``raw``; ``full`` is the whole
    column, for messages): one format for all when possible, as pandas does."""
    from pandas.tseries.api import guess_datetime_format

    present = txt.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
    if date_format:
        return _to_dt(txt, format=date_format)
    first = txt[present].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmt = guess_datetime_format(first, dayfirst=dayfirst)
    if not fmt:
        return _to_dt(txt, format="mixed", dayfirst=dayfirst)
    out = _to_dt(txt, format=fmt)
    bad = present & out.isna()
    if not bad.any():
        return out
    if "%d" in fmt and "%m" in fmt:
        swapped = re.sub(r"%[dm]", lambda m: _SWAP[m.group(0)], fmt)
        alt = _to_dt(txt, format=swapped)
        if alt[present].notna().all():
            # only the other day/month order reads every date: that is the file's order
            warnings.warn(f"{raw.file}: column '{column}': dates read as {swapped!r} (the only order "
                          f"that reads them all); set data.dayfirst or data.date_format to say so",
                          stacklevel=6)
            return alt
        if alt[bad].notna().any():
            mask = np.zeros(len(raw), dtype=bool)
            mask[np.asarray(txt.index)[(bad & alt.notna()).to_numpy()]] = True
            order = "day-first" if swapped.index("%d") < swapped.index("%m") else "month-first"
            _raise_bad(raw, mask, full, column, "unreadable-date",
                       f"only read {order} while the first date {first!r} reads as {fmt!r}",
                       "; the file mixes day/month orders or data.dayfirst is wrong: set "
                       "data.date_format, e.g. '%d.%m.%Y %H:%M'")
    # mixed layouts (e.g. some dates without a time): read the rest one by one
    rest = _to_dt(txt[bad], format="mixed", dayfirst=dayfirst)
    out[bad] = rest.to_numpy()
    return out


def _keys(s: pd.Series, *, strip_float_suffix: bool = False) -> pd.Series:
    """Identifiers as trimmed text; numbers without a spurious '.0'; blanks -> null."""
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype="float64")
        out = np.full(len(s), None, dtype=object)
        ok = ~np.isnan(vals)
        integral = ok & (vals == np.round(vals))
        out[integral] = vals[integral].astype("int64").astype(str)
        rest = ok & ~integral
        out[rest] = [repr(v) for v in vals[rest]]
        res = pd.Series(out, index=s.index, dtype="string")
    elif pd.api.types.is_integer_dtype(s.dtype):
        res = s.astype("Int64").astype("string")
    elif pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        res = s.astype("string").str.strip()
    else:
        def one(v):
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                return str(int(v))
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                return str(int(v))
            return str(v).strip()
        res = pd.Series(s.map(one).to_numpy(dtype=object), index=s.index, dtype="string")
    if strip_float_suffix:
        res = res.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return res.mask(res == "")


def _texts(s: pd.Series, *, strip: bool) -> pd.Series:
    """Free text as strings; blank cells -> null (text itself kept as written unless strip)."""
    def one(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v)
    if _is_text_dtype(s.dtype):
        res = s.astype("string")
    else:
        res = pd.Series(s.astype(object).map(one).to_numpy(dtype=object), index=s.index, dtype="string")
    if strip:
        res = res.str.strip()
    return res.mask(res.str.strip() == "")


# --------------------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------------------
def _has(df: pd.DataFrame) -> dict[str, bool]:
    return {c: bool(df[c].notna().any()) for c in OPTIONAL}


def _describe_parquet(p: Path) -> tuple[int, dict[str, bool]]:
    """(rows, has) from parquet metadata; reads the columns only when statistics are missing."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(p)
    md = pf.metadata
    names = pf.schema_arrow.names
    missing = [c for c in LINE_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{p} lacks canonical columns {missing}")
    n = md.num_rows
    has: dict[str, bool] = {}
    need_read = []
    for c in OPTIONAL:
        j = names.index(c)
        nulls = 0
        for g in range(md.num_row_groups):
            st = md.row_group(g).column(j).statistics
            if st is None or not st.has_null_count:
                need_read.append(c)
                break
            nulls += st.null_count
        else:
            has[c] = nulls < n
    if need_read:
        tab = pq.read_table(p, columns=need_read)
        for c in need_read:
            has[c] = tab.column(c).null_count < n
    return n, {c: has[c] for c in OPTIONAL}


def _read_notes(cache: Path) -> dict:
    """What reading found (:attr:`Source.notes`): kept in the cached parquet's metadata (pandas ``attrs``)."""
    import pyarrow.parquet as pq

    md = pq.ParquetFile(cache).schema_arrow.metadata or {}
    attrs = json.loads(md[b"PANDAS_ATTRS"]) if b"PANDAS_ATTRS" in md else {}
    return dict(attrs.get("read_notes", {}))


def _write_atomic(df: pd.DataFrame, target: Path) -> None:
    """Write parquet next to ``target`` under a temporary name, then rename over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False, engine="pyarrow")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _short(p: Path) -> str:
    try:
        return str(p.relative_to(paths.ROOT))
    except ValueError:
        return str(p)


def _size(p: Path) -> str:
    b = p.stat().st_size
    return f"{b / 1e6:.1f} MB" if b >= 1e5 else f"{b / 1e3:.1f} kB"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
