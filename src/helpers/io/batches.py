"""Canonical lines built from a raw sales file batch by batch and written to one parquet file.

A sales file is never held whole: :func:`write_lines` takes its batches (the readers of
:mod:`helpers.io.rawfile`: ``iter_text``, ``iter_parquet``, ``iter_xlsx``), parses each
with :func:`build_lines` (numbers, dates, identifiers, missing-value tokens, return flags) and
appends it to a parquet file with pyarrow's ``ParquetWriter``, so memory depends on the batch
size (:data:`BATCH_ROWS`), not on the file. What must hold for the whole file holds across
batches: line ids run on, the date format is chosen from the file's first date
(:func:`helpers.io.parsing.parse_dates`), rows keep their numbers in the file (an error in a
late batch names the file's rows), the row-count rules apply to the total and the notes of
reading (missing-value tokens, flipped return signs) are summed. The engine then reads the
parquet file (:mod:`helpers.io.engine`). Used by :mod:`helpers.io.read`.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from helpers.config import DEFAULT_SALE_VALUES, NA_COLUMNS
from helpers.errors import DataError
from helpers.io.parsing import (
    DateOrderSwitch,
    parse_dates,
    parse_keys,
    parse_numbers,
    parse_texts,
    raise_bad,
    raise_missing,
)
from helpers.io.rawfile import RawTable
from helpers.io.schema import MIN_LINES, conform, validate_lines

#: Rows of the file parsed at a time: a few hundred MB of pandas frames at most.
BATCH_ROWS = 200_000

#: Currency marks found in exports instead of ISO codes.
CURRENCY_ALIASES = {"TL": "TRY", "YTL": "TRY", "₺": "TRY", "€": "EUR", "£": "GBP"}


@dataclass(frozen=True)
class LineSpec:
    """How a file's columns become canonical lines.

    ``cols`` maps canonical names to columns of the raw batches, ``spelled`` canonical names to
    the headers as the file writes them (for messages); the rest are the ``data.*`` read options.
    """

    cols: dict[str, str]
    spelled: dict[str, str]
    currency: str
    decimal: str = "."
    thousands: str | None = None
    dayfirst: bool = False
    date_format: str | None = None
    na_values: Any = None
    return_values: list[str] = field(default_factory=list)


def write_lines(batches: Callable[[], Iterable[RawTable]], spec: LineSpec, target: Path, *,
                select: Callable[[RawTable], RawTable] | None = None) -> tuple[int, dict]:
    """Write the canonical lines of a file's ``batches`` to the parquet file ``target``; return
    (lines, notes of reading). ``batches()`` starts the file's batches (again, when a late batch
    shows the dates are in the other day/month order); ``select`` turns a raw batch into the
    columns of ``spec.cols`` (checking its headers). The notes also go into the file's metadata
    (``PANDAS_ATTRS``, as pandas writes ``attrs``: :func:`helpers.io.cache.read_notes`).
    """
    plan: dict = {}
    while True:
        try:
            return _write_once(batches, spec, Path(target), plan, select)
        except DateOrderSwitch as switch:
            warnings.warn(f"{switch.file}: column '{switch.column}': dates read as {switch.fmt!r} (the only "
                          f"order that reads them all); set data.dayfirst or data.date_format to say so",
                          stacklevel=2)
            first = plan[switch.column]["first"]
            plan = {switch.column: {"fmt": switch.fmt, "max_day": 0, "first": first, "locked": True}}


class LinesWriter:
    """The canonical lines parquet written one frame at a time (``with LinesWriter(target) as w``): the schema is
    the first frame's, :meth:`finish` puts the notes of reading in the file's metadata and closes it; a file left
    open by an error is closed. ``n`` counts the rows written."""

    def __init__(self, target: Path):
        self.target, self.n = Path(target), 0
        self._writer = self._schema = None

    def __enter__(self) -> "LinesWriter":
        self.target.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, schema=self._schema, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.target, self._schema)
        self._writer.write_table(table)
        self.n += len(df)

    def finish(self, notes: dict | None) -> None:
        self._writer.add_key_value_metadata({"PANDAS_ATTRS": json.dumps({"read_notes": notes})})
        self._writer.close()
        self._writer = None

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._writer.close()


def _write_once(batches, spec: LineSpec, target: Path, plan: dict, select) -> tuple[int, dict]:
    notes, file = None, None
    it = iter(batches())
    with LinesWriter(target) as out:
        cur = next(it, None)
        while cur is not None:
            nxt = next(it, None)   # one batch ahead: a file of one batch is checked as a whole
            raw = select(cur) if select else cur
            file = raw.file
            whole = out.n == 0 and nxt is None
            try:
                df, found = build_lines(raw, spec, offset=out.n, plan=plan, whole=whole)
            except DataError as exc:
                if whole or not any(w in str(exc) for w in ("value(s)", "row(s) have no value")):
                    raise
                raise _counted_so_far(exc, raw) from None
            notes = found if notes is None else merge_notes(notes, found)
            if df is not None and len(df):
                out.write(df)
            cur = nxt
        if out.n == 0:
            raise DataError(file or target, "empty-file", "has no data rows")
        if out.n < MIN_LINES:
            raise DataError(file, "too-few-lines", f"has {out.n} data row(s); at least {MIN_LINES} sales lines "
                            "are needed for an analysis")
        out.finish(notes)
    return out.n, notes


def _counted_so_far(exc: DataError, raw: RawTable) -> DataError:
    """``exc`` (bad values of one batch) saying its count stops at the batch's last row."""
    text = str(exc)
    where = exc.file + (f": column '{exc.column}'" if exc.column is not None else "") + ": "
    message = text[len(where):text.rindex(f" [rule: {exc.rule}]")]
    return DataError(exc.file, exc.rule, f"{message} (counted up to {raw.where(len(raw) - 1)}, where reading "
                     "stopped)", column=exc.column)


def merge_notes(a: dict, b: dict) -> dict:
    """The notes of reading two parts of a file: counts of the same missing-value token and flipped
    return signs added; per column the blank cells first, then the tokens by count (most first)."""
    counts: dict[tuple[str, str], int] = {}
    for note in [*a["na_tokens"], *b["na_tokens"]]:
        key = (note["column"], note["token"])
        counts[key] = counts.get(key, 0) + int(note["count"])
    columns = list(dict.fromkeys(c for c, _t in counts))
    tokens = []
    for c in columns:
        mine = [(t, k) for (col, t), k in counts.items() if col == c]
        mine.sort(key=lambda tk: (tk[0] != "(blank)", -tk[1]))
        tokens += [{"column": c, "token": t, "count": k} for t, k in mine]
    return {**a, "na_tokens": tokens, "return_sign_flipped": int(a["return_sign_flipped"]) + int(b["return_sign_flipped"])}


def check_min_lines(raw: RawTable) -> None:
    if len(raw) < MIN_LINES:
        raise DataError(raw.file, "too-few-lines",
                        f"has {len(raw)} data row(s); at least {MIN_LINES} sales lines are needed for an "
                        "analysis")


def na_tokens(na_values) -> dict[str, set[str]]:
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


def _return_flags(raw: RawTable, col: str, column: str, return_values: list[str]) -> pd.Series:
    """A return-flag column as booleans (null when blank); a value neither "return" nor "sale" is an error."""
    text = parse_texts(raw.frame[col], strip=True).str.casefold()
    yes = {str(v).strip().casefold() for v in return_values}
    no = {v.casefold() for v in DEFAULT_SALE_VALUES} - yes
    is_yes = text.isin(sorted(yes)).fillna(False).astype(bool)
    is_no = text.isin(sorted(no)).fillna(False).astype(bool)
    bad = (text.notna() & ~is_yes & ~is_no).to_numpy()
    if bad.any():
        raise_bad(raw, bad, raw.frame[col], column, "bad-return-flag",
                  "are neither a return mark nor a sale mark",
                  f"; list the values that mark a return in data.return_flag_values (now "
                  f"{', '.join(sorted(yes))}); {', '.join(sorted(no))} and blanks mark a sale")
    return pd.Series(np.where(text.isna(), None, is_yes), index=text.index, dtype="boolean")


def build_lines(raw: RawTable, spec: LineSpec, *, offset: int = 0, plan: dict | None = None,
                whole: bool = True) -> tuple[pd.DataFrame | None, dict]:
    """Parse the mapped columns of ``raw`` (one batch of a file, or all of it when ``whole``) into
    canonical lines numbered from ``offset``, and what reading found (:attr:`Source.notes`).

    ``plan`` carries choices that must hold for the whole file (the date format, see
    :func:`helpers.io.parsing.parse_dates`) from batch to batch. A batch of blank rows gives None.
    """
    cols, spelled = spec.cols, spec.spelled
    raw = raw.dropna_rows()
    if whole:
        if len(raw) == 0:
            raise DataError(raw.file, "empty-file", "has no data rows")
        check_min_lines(raw)
    elif len(raw) == 0:
        return None, {"na_tokens": [], "return_sign_flipped": 0, "quantity_given": "quantity" in cols}
    n = len(raw)
    f = raw.frame

    def name(k):
        return spelled.get(k, k)

    ts = parse_dates(raw, cols["invoice_ts"], name("invoice_ts"), dayfirst=spec.dayfirst,
                     date_format=spec.date_format, plan=plan)
    qty = (parse_numbers(raw, cols["quantity"], name("quantity"), spec.decimal, spec.thousands)
           if "quantity" in cols else pd.Series(1.0, index=f.index))
    price = (parse_numbers(raw, cols["unit_price"], name("unit_price"), spec.decimal, spec.thousands)
             if "unit_price" in cols else None)
    amount = (parse_numbers(raw, cols["amount"], name("amount"), spec.decimal, spec.thousands)
              if "amount" in cols else None)
    if price is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            price = pd.Series(np.where(qty.to_numpy() == 0, 0.0, amount.to_numpy() / qty.to_numpy()),
                              index=f.index)
    if amount is None:
        amount = qty * price

    tokens = na_tokens(spec.na_values)
    found: list[dict] = []
    flipped = 0
    if "return_flag" in cols:
        flag = _return_flags(raw, cols["return_flag"], name("return_flag"), spec.return_values or [])
        turn = flag.fillna(False).to_numpy(dtype=bool)
        flipped = int((turn & ((qty.to_numpy() > 0) | (amount.to_numpy() > 0))).sum())
        qty = qty.where(~turn, -qty.abs())
        amount = amount.where(~turn, -amount.abs())
    out: dict[str, Any] = {"line_id": np.arange(offset, offset + n, dtype="int64")}
    customer = (_mask_na(parse_keys(f[cols["customer_id"]], strip_float_suffix=True), "customer_id", tokens, found)
                if "customer_id" in cols else pd.Series(pd.NA, index=f.index, dtype="string"))
    if "invoice" in cols:
        inv = _mask_na(parse_keys(f[cols["invoice"]]), "invoice", tokens, found)
        raise_missing(raw, inv.isna().to_numpy(), name("invoice"))
    else:
        inv = (ts.dt.strftime("%Y%m%d-%H%M%S").astype("string") + "-"
               + customer.fillna("guest")).astype("string")
    out["invoice"] = inv
    out["invoice_ts"] = ts
    out["customer_id"] = customer
    for k in ("product_id", "line_no", "original_invoice"):
        if k in cols:
            out[k] = _mask_na(parse_keys(f[cols[k]]), k, tokens, found)
    for k in ("description", "category", "country", "channel"):
        if k in cols:
            out[k] = _mask_na(parse_texts(f[cols[k]], strip=(k != "description")), k, tokens, found)
    if "return_flag" in cols:
        out["is_return"] = flag
    out["quantity"] = qty
    out["unit_price"] = price
    out["amount"] = amount
    if "currency" in cols:
        cur = parse_texts(f[cols["currency"]], strip=True).str.upper()
        cur = cur.replace(CURRENCY_ALIASES)
        bad = (cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)).to_numpy()
        if bad.any():
            raise_bad(raw, bad, f[cols["currency"]], name("currency"), "bad-currency",
                      "are not 3-letter ISO currency codes (e.g. TRY, EUR, USD)")
        out["currency"] = cur.fillna(spec.currency)
    else:
        out["currency"] = spec.currency
    df = pd.DataFrame(out, index=f.index)
    # numbers must be finite
    for k in ("quantity", "unit_price", "amount"):
        if k in cols:
            bad = ~np.isfinite(df[k].to_numpy(dtype="float64"))
            if bad.any():
                raise_bad(raw, bad, f[cols[k]], name(k), "finite-number", "are not finite numbers")
    lines = validate_lines(conform(df), str(raw.file), min_lines=MIN_LINES if whole else 0)
    return lines, {"na_tokens": found, "return_sign_flipped": flipped, "quantity_given": "quantity" in cols}
