"""Canonical schemas of the optional tables, the parser of their columns and the audit.

:data:`CORE_COLUMNS` and :data:`COLUMN_TYPES` describe the tables (the rules are in
:mod:`helpers.io.tables`); :class:`ColumnParser` reads mapped columns of a raw file into
those dtypes, recording in an :class:`Audit` what it left empty or read leniently;
:func:`conform` puts a table in canonical order and dtypes; :func:`check_scale` checks review
scores against their declared scale. Shared by :mod:`helpers.io.tables` and the Olist adapters
(:mod:`helpers.io.olist`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.config import CampaignLookup, TableFile
from helpers.errors import DataError
from helpers.io.parsing import (
    naive_timestamps,
    parse_dates,
    parse_keys,
    parse_numbers,
    parse_texts,
    raise_bad,
    raise_missing,
)
from helpers.io.rawfile import RawTable, first_line

#: Core columns of each table, in order; other columns follow them.
CORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "attributes": ("customer_id",),
    "exposures": ("customer_id", "campaign_id", "campaign_type", "start", "end", "channel"),
    "responses": ("customer_id", "campaign_id", "response_ts", "response_type", "value"),
    "feedback": ("feedback_id", "customer_id", "invoice", "feedback_ts", "score", "score_min", "score_max",
                 "title", "text", "category", "language"),
}

_DT = "datetime64[us]"
#: dtype of every standard column name; any other column is inferred (number or text).
COLUMN_TYPES: dict[str, str] = {
    "customer_id": "string", "region": "string", "age_band": "string", "income_band": "string",
    "contract": "string", "household_size": "float64", "tenure": "float64", "churned": "boolean",
    "monthly_charges": "float64", "total_charges": "float64",
    "campaign_id": "string", "campaign_type": "string", "start": _DT, "end": _DT, "channel": "string", "group": "string",
    "response_ts": _DT, "response_type": "string", "value": "float64",
    "feedback_id": "string", "invoice": "string", "feedback_ts": _DT, "score": "float64",
    "score_min": "float64", "score_max": "float64", "title": "string", "text": "string",
    "category": "string", "language": "string",
    "delivered_ts": _DT, "estimated_ts": _DT, "delay_days": "float64", "seller_id": "string",
    "product_category": "string",
}
#: identifier columns: compared as trimmed text, "13085.0" read as "13085" (as the sales lines do)
_ID_COLUMNS = ("customer_id", "campaign_id", "feedback_id", "seller_id")
#: dates that must be present in every row
_REQUIRED_DATES = {"exposures": ("start",), "responses": ("response_ts",), "feedback": ("feedback_ts",)}

_TRUE = {"yes", "y", "true", "t", "1", "1.0", "evet", "e", "churned", "left"}
_FALSE = {"no", "n", "false", "f", "0", "0.0", "hayır", "hayir", "h", "stayed", "active"}
_OPEN_BAND = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*\+\s*$")


# --------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------
@dataclass
class Audit:
    """Findings about the optional tables: one row per (table, file, column, rule)."""

    rows: list[dict] = field(default_factory=list)

    def add(self, table: str, file, column: str | None, rule: str, count: int, action: str,
            note: str = "") -> None:
        """Record a finding; a zero ``count`` records nothing."""
        if count:
            self.rows.append({"table": table, "file": str(file), "column": column, "rule": rule,
                              "count": int(count), "action": action, "note": note})

    def frame(self) -> pd.DataFrame:
        """The findings as a table: table, file, column, rule, count, action, note."""
        cols = ["table", "file", "column", "rule", "count", "action", "note"]
        df = pd.DataFrame(self.rows, columns=cols)
        return df.astype({"table": "string", "file": "string", "column": "string", "rule": "string",
                          "count": "int64", "action": "string", "note": "string"})


# --------------------------------------------------------------------------------------
# parsing the columns of a raw file
# --------------------------------------------------------------------------------------
def _subset(raw: RawTable, mask: np.ndarray) -> RawTable:
    return replace(raw, frame=raw.frame[mask].reset_index(drop=True), row_no=raw.row_no[mask],
                   sheet=None if raw.sheet is None else raw.sheet[mask])


def _blank(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.isna().to_numpy()
    if pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        return (s.isna() | (s.str.strip() == "")).fillna(True).to_numpy(dtype=bool)
    txt = s.astype(object)
    return np.array([v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                     or (isinstance(v, str) and not v.strip()) for v in txt], dtype=bool)


class ColumnParser:
    """Parse mapped columns of one raw file into canonical dtypes, recording the audit."""

    def __init__(self, table: str, raw: RawTable, t: TableFile | CampaignLookup, audit: Audit):
        self.table, self.raw, self.t, self.audit = table, raw, t, audit
        self.file = raw.file

    def column(self, key: str, header: str) -> pd.Series:
        """Column ``header`` of the file as canonical column ``key``, in its dtype (:data:`COLUMN_TYPES`)."""
        kind = COLUMN_TYPES.get(key, "infer")
        s = self.raw.frame[header]
        if kind == "string":
            if key in _ID_COLUMNS:
                return parse_keys(s, strip_float_suffix=True)
            if key == "invoice":
                return parse_keys(s)
            return parse_texts(s, strip=True)
        if kind == "float64":
            return self.numbers(key, header)
        if kind == _DT:
            return self.dates(key, header, required=key in _REQUIRED_DATES.get(self.table, ()))
        if kind == "boolean":
            return self.booleans(key, header)
        return self.infer(key, header)

    def numbers(self, key: str, header: str) -> pd.Series:
        """Numbers; "5+" reads as 5 (``open-band``), blanks stay null or take ``fill_blank`` (``blank-number``)."""
        raw, s = self.raw, self.raw.frame[header]
        blank = _blank(s)
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        if (~blank).any():
            sub = _subset(raw, ~blank)
            col = sub.frame[header]
            if not pd.api.types.is_numeric_dtype(col.dtype):
                txt = col.astype(object).map(lambda v: v if not isinstance(v, str) else v.strip())
                band = txt.map(lambda v: isinstance(v, str) and bool(_OPEN_BAND.match(v))).to_numpy(dtype=bool)
                if band.any():
                    examples = ", ".join(sorted({str(v) for v in txt[band]})[:3])
                    self.audit.add(self.table, self.file, header, "open-band", int(band.sum()),
                                   "read as its lower bound", f"e.g. {examples} -> the number before '+'")
                    txt = txt.where(~band, txt.map(lambda v: _OPEN_BAND.match(v).group(1)
                                                   if isinstance(v, str) and _OPEN_BAND.match(v) else v))
                sub = replace(sub, frame=sub.frame.assign(**{header: txt}))
            vals = parse_numbers(sub, header, header, getattr(self.t, "decimal", "."),
                                 getattr(self.t, "thousands", None))
            out[~blank] = vals.to_numpy()
        n_blank = int(blank.sum())
        fill = getattr(self.t, "fill_blank", {}).get(key)
        if n_blank:
            if fill is not None:
                out[blank] = float(fill)
                action = f"set to {fill:g} (tables.{self.table}.fill_blank.{key})"
            else:
                action = f"left empty (null); set tables.{self.table}.fill_blank.{key} to give a value"
            self.audit.add(self.table, self.file, header, "blank-number", n_blank, action,
                           "rows " + ", ".join(raw.where(i) for i in np.flatnonzero(blank)[:3]))
        return out

    def dates(self, key: str, header: str, *, required: bool) -> pd.Series:
        """Naive timestamps; a blank cell stops (``missing-value``) when ``required``, else stays null."""
        raw, s = self.raw, self.raw.frame[header]
        blank = _blank(s)
        if required and blank.any():
            raise_missing(raw, blank, header)
        out = pd.Series(pd.NaT, index=s.index, dtype=_DT)
        if (~blank).any():
            vals = parse_dates(_subset(raw, ~blank), header, header, dayfirst=self.t.dayfirst,
                               date_format=self.t.date_format)
            out[~blank] = vals.to_numpy()
        return out

    def booleans(self, key: str, header: str) -> pd.Series:
        """Yes/no words (English and Turkish), true/false, 1/0 as booleans; anything else stops."""
        raw, s = self.raw, self.raw.frame[header]
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.astype("boolean")
        blank = _blank(s)
        txt = s.astype(object).map(lambda v: None if v is None or v is pd.NA or
                                   (isinstance(v, float) and np.isnan(v)) else str(v).strip().casefold())
        yes = txt.isin(_TRUE).to_numpy()
        no = txt.isin(_FALSE).to_numpy()
        bad = ~blank & ~yes & ~no
        if bad.any():
            raise_bad(raw, bad, s, header, "not-a-boolean",
                      f"are not yes/no values (read: {', '.join(sorted(_TRUE))} / {', '.join(sorted(_FALSE))})")
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[yes] = True
        out[no] = False
        self.audit.add(self.table, self.file, header, "blank-value", int(blank.sum()), "left empty (null)")
        return out

    def infer(self, key: str, header: str) -> pd.Series:
        """A column kept as given: numbers when every filled cell is one, else text."""
        s = self.raw.frame[header]
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.astype("boolean")
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return naive_timestamps(s)
        blank = _blank(s)
        if pd.api.types.is_numeric_dtype(s.dtype):
            numeric = True
        else:
            txt = s.astype(object)[~blank].map(lambda v: str(v).strip())
            if getattr(self.t, "decimal", ".") == ",":
                txt = txt.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            numeric = bool((~blank).any()) and bool(pd.to_numeric(txt, errors="coerce").notna().all())
        if numeric:
            return self.numbers(key, header)
        return parse_texts(s, strip=True)


def check_scale(df: pd.DataFrame, file, column: str, rows: np.ndarray | None = None) -> None:
    """Raise ``score-out-of-scale`` when a canonical feedback table has a score outside
    [``score_min``, ``score_max``]; ``column`` is the score's header and ``rows`` the file rows
    (else the message gives the feedback_id)."""
    s, lo, hi = df["score"], df["score_min"], df["score_max"]
    bad = (s.notna() & ((s < lo) | (s > hi))).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" in row {rows[i]}" if rows is not None else f" (feedback_id {df['feedback_id'].iloc[i]!r})"
        raise DataError(file, "score-out-of-scale",
                        f"{int(bad.sum()):,} score(s) lie outside the declared scale "
                        f"[{lo.iloc[i]:g}, {hi.iloc[i]:g}], e.g. {s.iloc[i]:g}{where}; fix the scores or "
                        "tables.feedback.scale", column=column)


def conform(name: str, df: pd.DataFrame, file="<table>") -> pd.DataFrame:
    """``df`` with the core columns of table ``name`` first, in order and canonical dtypes; other
    columns follow as they are (standard names get their standard dtype)."""
    core = CORE_COLUMNS[name]
    out: dict[str, pd.Series] = {}
    n = len(df)
    for col in list(core) + [c for c in df.columns if c not in core]:
        s = df[col] if col in df else pd.Series([None] * n, index=df.index, dtype=object)
        kind = COLUMN_TYPES.get(col)
        try:
            if kind == "string":
                s = (parse_keys(s, strip_float_suffix=col in _ID_COLUMNS)
                     if col in _ID_COLUMNS or col == "invoice" else s.astype("string"))
            elif kind == "float64":
                s = pd.to_numeric(s, errors="raise").astype("float64")
            elif kind == _DT:
                s = naive_timestamps(pd.to_datetime(s))
            elif kind == "boolean":
                s = s.astype("boolean")
            elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
                s = s.astype("string")
        except (ValueError, TypeError) as exc:
            raise DataError(file, "wrong-type", f"cannot be read as {kind} ({first_line(exc)})",
                            column=col) from None
        out[col] = s
    return pd.DataFrame(out).reset_index(drop=True)


