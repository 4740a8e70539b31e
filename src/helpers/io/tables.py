"""Optional tables beside the sales lines: attributes, exposures, responses, feedback.

A config's ``tables:`` section (:class:`helpers.config.TablesConfig`) says where each table
comes from: a file with a column map (same reading options and messages as the sales lines)
or a named adapter for a published data set whose layout needs joins (``adapter: olist``).
With ``data.source: synthetic`` and no ``tables:`` section, the tables the synthetic
generator wrote beside ``lines.parquet`` are used. :func:`helpers.pipeline.prepare` reads
them with :func:`read_tables`, joins them to the sales lines with :func:`join_to_lines` and
writes each as ``<name>.parquet``, plus ``coverage`` and ``tables_audit``.

Canonical schemas (column: dtype; every timestamp is naive):

``attributes`` -- one row per customer
    ``customer_id`` (string, unique) and any other columns, kept as given under their
    mapped or snake_case names. Standard names when present: ``region``, ``age_band``,
    ``income_band``, ``contract`` (string), ``household_size``, ``tenure`` (whole periods of
    ``tables.attributes.tenure_unit``: months unless it says day, week, quarter or year),
    ``monthly_charges``, ``total_charges`` (float64), ``churned`` (boolean, observed label).
``exposures`` -- who was sent which campaign, when
    ``customer_id``, ``campaign_id``, ``campaign_type`` (string), ``start``, ``end``
    (datetime; ``end`` = ``start`` when only a date is known), ``channel`` (string).
``responses`` -- who responded to which campaign, when
    ``customer_id``, ``campaign_id``, ``response_ts``, ``response_type`` (string), ``value``
    (float64, may be null).
``feedback`` -- reviews, surveys, complaints
    ``feedback_id``, ``customer_id`` (filled from the sales lines' invoice -> customer when
    only the order is known), ``invoice``, ``feedback_ts``, ``score``, ``score_min``,
    ``score_max`` (the declared scale), ``title``, ``text``, ``category``, ``language``
    (ISO code), plus any extra mapped columns (the Olist adapter adds ``delivered_ts``,
    ``estimated_ts``, ``delay_days`` (delivered - estimated, days; positive = late),
    ``seller_id``, ``region`` (customer state), ``product_category`` (English)).

Rules (each finding is a row of the audit table: table, file, column, rule, count, action):

=============================  ==========================================================================
rule                           handling
=============================  ==========================================================================
missing-column                 stop: the mapped header is not in the file (with a close match)
unreadable-date / not-a-number stop, with the first bad values and their rows
missing-value                  stop: a required date (exposure start, response, feedback) is blank
missing-key                    rows without customer (or campaign) id are dropped, counted
duplicate-key                  stop: an attribute table has one row per customer; a feedback id is unique
blank-number                   blank numeric cells are left null, or set to ``fill_blank[column]``; counted
open-band                      "5+" in a numeric column is read as its lower bound 5; counted
not-a-boolean                  stop: ``churned`` must read as yes/no, true/false, 1/0 (evet/hayır)
end-before-start               stop: an exposure window that ends before it starts
score-out-of-scale             stop: a score outside the declared scale, with the count and an example
unknown-campaign               reported: exposure rows whose campaign is not in the campaign table
campaign-without-exposures     reported: a campaign (listed, or responded to) with no exposure row
response-without-exposure      reported: responses by a customer the exposures do not show for that campaign
customer-from-invoice          feedback keyed by order: customer filled from the sales lines; counted
no-matching-customer           stop when no key matches the sales lines; otherwise the shares are in
                               the coverage table
=============================  ==========================================================================
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import paths
from helpers.io import read as _rd
from helpers.config import CampaignLookup, RunConfig, TableFile
from helpers.errors import DataError

__all__ = [
    "TABLES",
    "CORE_COLUMNS",
    "COLUMN_TYPES",
    "Audit",
    "table_inputs",
    "read_tables",
    "join_to_lines",
    "conform",
    "olist_lines",
    "olist_attributes",
    "olist_feedback",
    "OLIST_FILES",
    "OLIST_DROPPED_STATUSES",
    "OLIST_LINES_VERSION",
]

#: The optional tables, in the order they are written and listed.
TABLES = ("attributes", "exposures", "responses", "feedback")

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
    "campaign_id": "string", "campaign_type": "string", "start": _DT, "end": _DT, "channel": "string",
    "response_ts": _DT, "response_type": "string", "value": "float64",
    "feedback_id": "string", "invoice": "string", "feedback_ts": _DT, "score": "float64",
    "score_min": "float64", "score_max": "float64", "title": "string", "text": "string",
    "category": "string", "language": "string",
    "delivered_ts": _DT, "estimated_ts": _DT, "delay_days": "float64", "seller_id": "string",
    "product_category": "string",
}
#: identifier columns: compared as trimmed text, "13085.0" read as "13085" (as the sales lines do)
_ID_COLUMNS = ("customer_id", "campaign_id", "feedback_id", "seller_id")
#: columns without which a row cannot be joined: dropped and counted when blank
_KEYS = {"attributes": ("customer_id",), "exposures": ("customer_id", "campaign_id"),
         "responses": ("customer_id", "campaign_id"), "feedback": ()}
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
        if count:
            self.rows.append({"table": table, "file": str(file), "column": column, "rule": rule,
                              "count": int(count), "action": action, "note": note})

    def frame(self) -> pd.DataFrame:
        cols = ["table", "file", "column", "rule", "count", "action", "note"]
        df = pd.DataFrame(self.rows, columns=cols)
        return df.astype({"table": "string", "file": "string", "column": "string", "rule": "string",
                          "count": "int64", "action": "string", "note": "string"})


# --------------------------------------------------------------------------------------
# which files a config reads (for the fingerprint)
# --------------------------------------------------------------------------------------
#: Olist files each adapter reads.
OLIST_FILES: dict[str, tuple[str, ...]] = {
    "lines": ("olist_orders_dataset.csv", "olist_customers_dataset.csv", "olist_order_items_dataset.csv",
              "olist_products_dataset.csv", "product_category_name_translation.csv"),
    "attributes": ("olist_customers_dataset.csv", "olist_orders_dataset.csv"),
    "feedback": ("olist_order_reviews_dataset.csv", "olist_orders_dataset.csv", "olist_customers_dataset.csv",
                 "olist_order_items_dataset.csv", "olist_products_dataset.csv",
                 "product_category_name_translation.csv"),
}


def _adapter_files(adapter: str, table: str, folder: Path) -> list[Path]:
    if adapter == "olist":
        if table not in OLIST_FILES:
            raise DataError(folder, "unknown-adapter",
                            f"adapter 'olist' provides {', '.join(k for k in OLIST_FILES if k != 'lines')}, "
                            f"not {table}")
        return [folder / f for f in OLIST_FILES[table]]
    raise DataError(folder, "unknown-adapter", f"no adapter named '{adapter}'")  # pragma: no cover


def _resolve(path: str) -> Path:
    """A config path from the project root, with ``..`` folded (for readable messages)."""
    import os

    return Path(os.path.normpath(paths.resolve(path)))


def table_inputs(cfg: RunConfig, synthetic_folder: Path | None = None) -> dict[str, list[Path]]:
    """The files each optional table is read from, by table name (only the tables present).

    With ``tables:`` in the config: the mapped files (and the campaign table of the
    exposures) or the adapter's files. Without it and a synthetic source: whichever of
    ``attributes.parquet``, ``exposures.parquet``, ``responses.parquet``, ``feedback.parquet``
    exist in ``synthetic_folder``.
    """
    out: dict[str, list[Path]] = {}
    if cfg.tables is not None:
        for name, t in cfg.tables.present().items():
            path = _resolve(t.path)
            if t.adapter:
                out[name] = _adapter_files(t.adapter, name, path)
            else:
                out[name] = [path]
                lookup = getattr(t, "campaigns", None)
                if lookup is not None:
                    out[name].append(_resolve(lookup.path))
    elif synthetic_folder is not None and cfg.data.source == "synthetic":
        for name in TABLES:
            p = Path(synthetic_folder) / f"{name}.parquet"
            if p.is_file():
                out[name] = [p]
    return out


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------
def read_tables(cfg: RunConfig, synthetic_folder: Path | None = None, *,
                audit: Audit | None = None) -> tuple[dict[str, pd.DataFrame], Audit]:
    """Read and check every optional table of ``cfg``; return them in canonical form and the audit.

    The checks that need the sales lines (coverage, invoice -> customer) are in
    :func:`join_to_lines`.

    Raises
    ------
    DataError
        A rule that stops (see the module docstring); the message names the file, the column
        as spelt in the file, the rule and the count, with examples.
    """
    audit = audit if audit is not None else Audit()
    frames: dict[str, pd.DataFrame] = {}
    if cfg.tables is not None:
        for name, t in cfg.tables.present().items():
            if t.adapter == "olist":
                folder = _resolve(t.path)
                if name == "attributes":
                    df = olist_attributes(folder, audit=audit)
                elif name == "feedback":
                    df = olist_feedback(folder, audit=audit, language=t.language or "pt")
                else:
                    _adapter_files("olist", name, folder)  # raises: olist has no such table
                    continue  # pragma: no cover
            else:
                df = read_table_file(name, t, audit=audit)
            frames[name] = df
    else:
        for name, files in table_inputs(cfg, synthetic_folder).items():
            frames[name] = read_canonical(name, files[0], audit=audit)
    if "exposures" in frames and "responses" in frames:
        _responses_vs_exposures(frames["responses"], frames["exposures"], audit, _file_of(cfg, "responses"))
    return frames, audit


def _file_of(cfg: RunConfig, name: str) -> str:
    if cfg.tables is not None and getattr(cfg.tables, name, None) is not None:
        return str(_resolve(getattr(cfg.tables, name).path))
    return f"{name}.parquet"


def _subset(raw: _rd._Raw, mask: np.ndarray) -> _rd._Raw:
    return replace(raw, frame=raw.frame[mask].reset_index(drop=True), row_no=raw.row_no[mask],
                   sheet=None if raw.sheet is None else raw.sheet[mask])


def _read_raw(path: Path, t: TableFile | CampaignLookup) -> _rd._Raw:
    _rd._check_exists(path)
    fmt = _rd._format_of(path, t.format)
    if fmt == "xlsx":
        return _rd._read_xlsx(path, sheets=getattr(t, "sheets", None), all_sheets=False, progress=False)
    if fmt == "parquet":
        return _rd._read_parquet(path)
    return _rd._read_text(path, fmt=fmt, separator=t.separator, encoding=t.encoding)


def _blank(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.isna().to_numpy()
    if pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        return (s.isna() | (s.str.strip() == "")).fillna(True).to_numpy(dtype=bool)
    txt = s.astype(object)
    return np.array([v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                     or (isinstance(v, str) and not v.strip()) for v in txt], dtype=bool)


def _snake(header: str) -> str:
    """``"SeniorCitizen"`` -> ``"senior_citizen"``, ``"Müşteri No"`` -> ``"musteri_no"``."""
    s = str(header).replace("ı", "i").replace("İ", "I")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    return s if s and not s[0].isdigit() else f"c_{s}"


class _Parser:
    """Parse mapped columns of one raw file into canonical dtypes, recording the audit."""

    def __init__(self, table: str, raw: _rd._Raw, t: TableFile | CampaignLookup, audit: Audit):
        self.table, self.raw, self.t, self.audit = table, raw, t, audit
        self.file = raw.file

    def column(self, key: str, header: str) -> pd.Series:
        kind = COLUMN_TYPES.get(key, "infer")
        s = self.raw.frame[header]
        if kind == "string":
            if key in _ID_COLUMNS:
                return _rd._keys(s, strip_float_suffix=True)
            if key == "invoice":
                return _rd._keys(s)
            return _rd._texts(s, strip=True)
        if kind == "float64":
            return self.numbers(key, header)
        if kind == _DT:
            return self.dates(key, header, required=key in _REQUIRED_DATES.get(self.table, ()))
        if kind == "boolean":
            return self.booleans(key, header)
        return self.infer(key, header)

    def numbers(self, key: str, header: str) -> pd.Series:
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
            vals = _rd._parse_numbers(sub, header, header, getattr(self.t, "decimal", "."),
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
        raw, s = self.raw, self.raw.frame[header]
        blank = _blank(s)
        if required and blank.any():
            _rd._raise_missing(raw, blank, header)
        out = pd.Series(pd.NaT, index=s.index, dtype=_DT)
        if (~blank).any():
            vals = _rd._parse_dates(_subset(raw, ~blank), header, header, dayfirst=self.t.dayfirst,
                                    date_format=self.t.date_format)
            out[~blank] = vals.to_numpy()
        return out

    def booleans(self, key: str, header: str) -> pd.Series:
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
            _rd._raise_bad(raw, bad, s, header, "not-a-boolean",
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
            return _rd._naive(s)
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
        return _rd._texts(s, strip=True)


def read_table_file(name: str, t: TableFile, *, audit: Audit) -> pd.DataFrame:
    """Read one optional table from its file and column map; checks that need no sales lines."""
    path = _resolve(t.path)
    raw = _read_raw(path, t)
    mapping = {k: _rd._nfc(v).strip() for k, v in (t.columns or {}).items()}
    _rd._check_headers(raw, mapping, what=f"tables.{name}.columns")
    keep = getattr(t, "keep", [])
    mapped_headers = set(mapping.values())
    if keep == "all":
        kept = [h for h in raw.frame.columns if h not in mapped_headers]
    else:
        kept = [_rd._nfc(h).strip() for h in keep]
        _rd._check_headers(raw, {f"keep[{i}]": h for i, h in enumerate(kept)}, what=f"tables.{name}.keep")
        kept = [h for h in kept if h not in mapped_headers]
    names = dict(mapping)
    spelled = {k: v for k, v in mapping.items()}
    for h in kept:
        k = _snake(h)
        if k in names:
            raise DataError(path, "name-clash", f"kept column becomes '{k}', which is already the name of "
                            f"column '{names[k]}'; map it under another name in tables.{name}.columns",
                            column=h)
        names[k] = h
        spelled[k] = h
    p = _Parser(name, raw, t, audit)
    out = pd.DataFrame({k: p.column(k, h) for k, h in names.items()}, index=raw.frame.index)
    for k, v in t.constants.items():
        out[k] = v
    out.attrs["spelled"] = spelled
    finish = {"attributes": _finish_attributes, "exposures": _finish_exposures,
              "responses": _finish_responses, "feedback": _finish_feedback}[name]
    return finish(out, t, raw, audit)


def _drop_missing_keys(df: pd.DataFrame, table: str, file, audit: Audit, spelled: dict) -> pd.DataFrame:
    for key in _KEYS[table]:
        miss = df[key].isna().to_numpy()
        audit.add(table, file, spelled.get(key, key), "missing-key", int(miss.sum()), "row dropped",
                  f"a row without {key} cannot be joined")
        df = df[~miss]
    return df.reset_index(drop=True)


def _check_unique(df: pd.DataFrame, key: str, table: str, file, column: str, raw: _rd._Raw | None,
                  what: str) -> None:
    dup = df[key].duplicated(keep=False) & df[key].notna()
    if dup.any():
        ids = df.loc[dup, key]
        n_keys = ids.nunique()
        first = ids.iloc[0]
        where = ""
        if raw is not None and "_row" in df:
            rows = df.loc[df[key] == first, "_row"].head(3).tolist()
            where = f" (rows {', '.join(str(r) for r in rows)})"
        raise DataError(file, "duplicate-key", f"{n_keys:,} {key} value(s) appear more than once "
                        f"({int(dup.sum()):,} rows), e.g. {first!r}{where}; {what}", column=column)


def _finish_attributes(df: pd.DataFrame, t, raw: _rd._Raw, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    df = df.assign(_row=raw.row_no)
    df = _drop_missing_keys(df, "attributes", raw.file, audit, spelled)
    _check_unique(df, "customer_id", "attributes", raw.file, spelled.get("customer_id"), raw,
                  "an attribute table has one row per customer: remove the duplicates or aggregate them first")
    return conform("attributes", df.drop(columns="_row"), raw.file)


def _finish_exposures(df: pd.DataFrame, t, raw: _rd._Raw, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    file = raw.file
    df = _drop_missing_keys(df.assign(_row=raw.row_no), "exposures", file, audit, spelled)
    lookup = getattr(t, "campaigns", None)
    if lookup is not None:
        camp = _read_campaigns(lookup, audit)
        known = set(camp["campaign_id"])
        unknown = ~df["campaign_id"].isin(known)
        audit.add("exposures", file, spelled.get("campaign_id"), "unknown-campaign", int(unknown.sum()),
                  "kept; no type or window from the campaign table",
                  f"e.g. {', '.join(map(repr, df.loc[unknown, 'campaign_id'].unique()[:3]))}")
        unused = sorted(known - set(df["campaign_id"]))
        audit.add("exposures", _resolve(lookup.path), lookup.columns["campaign_id"],
                  "campaign-without-exposures", len(unused), "reported",
                  f"campaigns with no exposure row: {', '.join(unused[:10])}")
        extra = [c for c in camp.columns if c != "campaign_id"]
        own = [c for c in extra if c in df.columns]
        merged = df.merge(camp, on="campaign_id", how="left", suffixes=("", "_campaign"))
        for c in own:  # the exposure's own value wins; the campaign's fills its blanks
            merged[c] = merged[c].fillna(merged.pop(f"{c}_campaign"))
        df = merged
    if "start" not in df or df["start"].isna().any():
        miss = df["start"].isna() if "start" in df else pd.Series(True, index=df.index)
        rows = df.loc[miss, "_row"].head(3).tolist()
        raise DataError(file, "missing-value", f"{int(miss.sum()):,} exposure row(s) have no start date "
                        f"(rows {', '.join(map(str, rows))}): map columns.start or give every campaign a "
                        "start in the campaign table", column=spelled.get("start", "start"))
    if "end" in df:
        no_end = df["end"].isna()
        if "end" in spelled:
            audit.add("exposures", file, spelled["end"], "blank-date", int(no_end.sum()), "end = start")
        df["end"] = df["end"].fillna(df["start"])
    else:
        df["end"] = df["start"]
    bad = (df["end"] < df["start"]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(file, "end-before-start", f"{int(bad.sum()):,} exposure window(s) end before they start, "
                        f"e.g. row {df['_row'].iloc[i]}: start {df['start'].iloc[i]}, end {df['end'].iloc[i]}",
                        column=spelled.get("end", "end"))
    return conform("exposures", df.drop(columns="_row"), file)


def _read_campaigns(lookup: CampaignLookup, audit: Audit) -> pd.DataFrame:
    path = _resolve(lookup.path)
    raw = _read_raw(path, lookup)
    mapping = {k: _rd._nfc(v).strip() for k, v in lookup.columns.items()}
    _rd._check_headers(raw, mapping, what="tables.exposures.campaigns.columns")
    p = _Parser("campaigns", raw, lookup, audit)
    camp = pd.DataFrame({k: p.column(k, h) for k, h in mapping.items()})
    camp = camp[camp["campaign_id"].notna()]
    dup = camp["campaign_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(path, "duplicate-key", f"{camp.loc[dup, 'campaign_id'].nunique():,} campaign id(s) appear "
                        f"more than once, e.g. {camp.loc[dup, 'campaign_id'].iloc[0]!r}; the campaign table has "
                        "one row per campaign", column=mapping["campaign_id"])
    return camp.reset_index(drop=True)


def _finish_responses(df: pd.DataFrame, t, raw: _rd._Raw, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    df = _drop_missing_keys(df.assign(_row=raw.row_no), "responses", raw.file, audit, spelled)
    return conform("responses", df.drop(columns="_row"), raw.file)


def _finish_feedback(df: pd.DataFrame, t, raw: _rd._Raw, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    file = raw.file
    df = df.assign(_row=raw.row_no)
    if "feedback_id" not in df:
        df["feedback_id"] = pd.Series(raw.row_no, index=df.index).astype(str).astype("string")
        audit.add("feedback", file, None, "generated-id", len(df), "feedback_id = the row number in the file")
    _check_unique(df, "feedback_id", "feedback", file, spelled.get("feedback_id"), raw,
                  "each feedback row needs its own id")
    lo, hi = t.scale
    df["score_min"], df["score_max"] = float(lo), float(hi)
    if "language" not in df:
        df["language"] = t.language
    elif t.language:
        df["language"] = df["language"].fillna(t.language)
    both_missing = df.get("customer_id", pd.Series(pd.NA, index=df.index)).isna() & \
        df.get("invoice", pd.Series(pd.NA, index=df.index)).isna()
    audit.add("feedback", file, None, "missing-key", int(both_missing.sum()), "kept, not joined",
              "rows with neither customer nor order")
    out = conform("feedback", df.drop(columns="_row"), file)
    _check_scale(out, file, spelled.get("score", "score"), rows=df["_row"].to_numpy())
    return out


def _check_scale(df: pd.DataFrame, file, column: str, rows: np.ndarray | None = None) -> None:
    s, lo, hi = df["score"], df["score_min"], df["score_max"]
    bad = (s.notna() & ((s < lo) | (s > hi))).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" in row {rows[i]}" if rows is not None else f" (feedback_id {df['feedback_id'].iloc[i]!r})"
        raise DataError(file, "score-out-of-scale",
                        f"{int(bad.sum()):,} score(s) lie outside the declared scale "
                        f"[{lo.iloc[i]:g}, {hi.iloc[i]:g}], e.g. {s.iloc[i]:g}{where}; fix the scores or "
                        "tables.feedback.scale", column=column)


def read_canonical(name: str, path: Path, *, audit: Audit) -> pd.DataFrame:
    """Read a table that is already in its canonical schema (e.g. from the synthetic generator)."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds
        raise DataError(path, "unreadable-file", f"is not a readable parquet file ({_rd._first_line(exc)})") from None
    required = {"attributes": ("customer_id",), "exposures": ("customer_id", "campaign_id", "start"),
                "responses": ("customer_id", "campaign_id", "response_ts"),
                "feedback": ("feedback_ts", "score", "score_min", "score_max")}[name]
    missing = [c for c in required if c not in df.columns]
    if name == "feedback" and "customer_id" not in df and "invoice" not in df:
        missing.append("customer_id or invoice")
    if missing:
        raise DataError(path, "missing-column", f"lacks the canonical {name} column(s) {', '.join(missing)}; "
                        f"its columns are {', '.join(map(str, df.columns))}", column=missing[0])
    if name in ("attributes", "exposures", "responses"):
        df = _drop_missing_keys(df.assign(customer_id=_rd._keys(df["customer_id"], strip_float_suffix=True)),
                                name, path, audit, {})
    if name == "attributes":
        _check_unique(df, "customer_id", name, path, "customer_id", None, "an attribute table has one row per customer")
    if name == "exposures" and "end" not in df:
        df = df.assign(end=df["start"])
    if name == "feedback" and "feedback_id" not in df:
        df = df.assign(feedback_id=[str(i) for i in range(len(df))])
    if name == "feedback":
        _check_unique(df, "feedback_id", name, path, "feedback_id", None, "each feedback row needs its own id")
    out = conform(name, df, path)
    if name == "feedback":
        _check_scale(out, path, "score")
    return out


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
                s = (_rd._keys(s, strip_float_suffix=col in _ID_COLUMNS)
                     if col in _ID_COLUMNS or col == "invoice" else s.astype("string"))
            elif kind == "float64":
                s = pd.to_numeric(s, errors="raise").astype("float64")
            elif kind == _DT:
                s = _rd._naive(pd.to_datetime(s))
            elif kind == "boolean":
                s = s.astype("boolean")
            elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
                s = s.astype("string")
        except (ValueError, TypeError) as exc:
            raise DataError(file, "wrong-type", f"cannot be read as {kind} ({_rd._first_line(exc)})",
                            column=col) from None
        out[col] = s
    return pd.DataFrame(out).reset_index(drop=True)


def _responses_vs_exposures(resp: pd.DataFrame, expo: pd.DataFrame, audit: Audit, file) -> None:
    sent = set(expo["campaign_id"].dropna())
    no_expo = sorted(set(resp["campaign_id"].dropna()) - sent)
    audit.add("responses", file, "campaign_id", "campaign-without-exposures", len(no_expo),
              "reported; responses kept", f"campaigns responded to but never sent: {', '.join(no_expo[:10])}")
    pairs = pd.MultiIndex.from_frame(expo[["customer_id", "campaign_id"]].astype(object))
    r_pairs = pd.MultiIndex.from_frame(resp[["customer_id", "campaign_id"]].astype(object))
    unexposed = ~r_pairs.isin(pairs)
    audit.add("responses", file, "customer_id", "response-without-exposure", int(unexposed.sum()),
              "reported; responses kept", "responses by a customer the exposures do not show for that campaign")


# --------------------------------------------------------------------------------------
# joining to the sales lines
# --------------------------------------------------------------------------------------
def join_to_lines(frames: dict[str, pd.DataFrame], audit: Audit, *, line_customers: pd.Series | None,
                  invoice_customers: pd.DataFrame | None = None,
                  files: dict[str, str] | None = None) -> pd.DataFrame:
    """Fill feedback customers from orders, check the joins and return the coverage table.

    Parameters
    ----------
    frames : dict
        Canonical optional tables by name (the feedback frame is updated in place).
    line_customers : Series or None
        Distinct customer ids of the clean sales lines; None when the data has no sales lines.
    invoice_customers : DataFrame, optional
        ``invoice``, ``customer_id`` of the clean sales lines (one row per invoice), used for
        feedback rows keyed by order only.
    files : dict, optional
        File named in messages per table.

    Returns
    -------
    DataFrame
        One row per table and key (``customer_id``; ``invoice`` too for feedback with orders):
        ``table, key, file, rows, keys`` (distinct non-null keys), ``matched`` (keys found in
        the sales lines), ``share_table_in_lines`` (matched / keys), ``share_lines_in_table``
        (matched / the lines' distinct keys), ``rows_without_key``. Shares are null without lines.

    Raises
    ------
    DataError
        ``no-matching-customer``: a table with keys of which none is in the sales lines.
    """
    files = files or {}
    fb = frames.get("feedback")
    if fb is not None and invoice_customers is not None and fb["customer_id"].isna().any():
        lookup = invoice_customers.dropna().drop_duplicates("invoice").set_index("invoice")["customer_id"]
        need = fb["customer_id"].isna() & fb["invoice"].notna()
        found = fb.loc[need, "invoice"].map(lookup)
        fb.loc[need, "customer_id"] = found.astype("string")
        audit.add("feedback", files.get("feedback", "feedback"), "customer_id", "customer-from-invoice",
                  int(found.notna().sum()), "filled from the sales lines' invoice -> customer")
        audit.add("feedback", files.get("feedback", "feedback"), "invoice", "invoice-not-in-lines",
                  int(found.isna().sum()), "customer left empty", "feedback on orders the clean lines lack")
    line_set = set(line_customers.dropna()) if line_customers is not None else None
    inv_set = set(invoice_customers["invoice"].dropna()) if invoice_customers is not None else None
    rows = []
    for name, df in frames.items():
        keys = [("customer_id", line_set)]
        if name == "feedback" and df["invoice"].notna().any():
            keys.append(("invoice", inv_set))
        for key, ref in keys:
            vals = df[key].dropna()
            distinct = set(vals)
            matched = len(distinct & ref) if ref is not None else None
            rows.append({
                "table": name, "key": key, "file": files.get(name, name), "rows": len(df),
                "keys": len(distinct), "matched": matched,
                "share_table_in_lines": (matched / len(distinct)) if ref is not None and distinct else None,
                "share_lines_in_table": (matched / len(ref)) if ref else None,
                "rows_without_key": int(df[key].isna().sum()),
            })
            if ref is not None and distinct and matched == 0:
                ex_t = ", ".join(repr(v) for v in sorted(distinct)[:3])
                ex_l = ", ".join(repr(v) for v in sorted(ref)[:3])
                raise DataError(files.get(name, name), "no-matching-customer",
                                f"none of the {len(distinct):,} {key} values of the {name} table is in the "
                                f"sales lines (table: {ex_t}; lines: {ex_l}); check that both files write the "
                                "ids the same way (leading zeros, prefixes, the right column)", column=key)
            if ref is not None and matched is not None and matched < len(distinct):
                audit.add(name, files.get(name, name), key, "key-not-in-lines", len(distinct) - matched,
                          "kept; see the coverage table",
                          f"{len(distinct) - matched:,} of {len(distinct):,} {key} values have no clean sales line")
    cov = pd.DataFrame(rows, columns=["table", "key", "file", "rows", "keys", "matched", "share_table_in_lines",
                                      "share_lines_in_table", "rows_without_key"])
    return cov.astype({"table": "string", "key": "string", "file": "string", "rows": "int64", "keys": "int64",
                       "matched": "Int64", "share_table_in_lines": "float64", "share_lines_in_table": "float64",
                       "rows_without_key": "int64"})


# --------------------------------------------------------------------------------------
# Olist (Brazilian e-commerce public data set): adapters
# --------------------------------------------------------------------------------------
#: Bumped when :func:`olist_lines` changes what it returns; part of the read cache key.
OLIST_LINES_VERSION = 2
#: Order statuses that are not sales: the order never went through.
OLIST_DROPPED_STATUSES = ("canceled", "unavailable")


def _olist_csv(folder: Path, name: str, columns: list[str]) -> _rd._Raw:
    p = Path(folder) / name
    raw = _rd._read_text(p, fmt="csv", separator=",", encoding="utf-8")
    _rd._check_headers(raw, {c: c for c in columns}, what=f"the Olist layout ({name})")
    return raw


@dataclass(frozen=True)
class _IsoOptions:
    """Reading options of the Olist csv files: ISO dates, decimal point."""

    dayfirst: bool = False
    date_format: str | None = None
    decimal: str = "."
    thousands: str | None = None


def _olist_dates(raw: _rd._Raw, col: str, *, required: bool) -> pd.Series:
    return _Parser("olist", raw, _IsoOptions(), Audit()).dates(col, col, required=required)


def _olist_categories(folder: Path) -> pd.DataFrame:
    """product_id -> English category (the Portuguese name when it has no translation)."""
    prod = _olist_csv(folder, "olist_products_dataset.csv", ["product_id", "product_category_name"]).frame
    tr = _olist_csv(folder, "product_category_name_translation.csv",
                    ["product_category_name", "product_category_name_english"]).frame
    m = prod[["product_id", "product_category_name"]].merge(tr, on="product_category_name", how="left")
    cat = m["product_category_name_english"].fillna(m["product_category_name"])
    return pd.DataFrame({"product_id": m["product_id"].astype("string"), "category": _rd._texts(cat, strip=True)})


def _olist_orders(folder: Path) -> pd.DataFrame:
    """Orders with the person (customer_unique_id), state and timestamps."""
    raw = _olist_csv(folder, "olist_orders_dataset.csv",
                     ["order_id", "customer_id", "order_status", "order_purchase_timestamp",
                      "order_delivered_customer_date", "order_estimated_delivery_date"])
    cust = _olist_csv(folder, "olist_customers_dataset.csv",
                      ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
                       "customer_state"]).frame
    o = pd.DataFrame({
        "order_id": raw.frame["order_id"].astype("string"),
        "order_customer": raw.frame["customer_id"].astype("string"),
        "status": raw.frame["order_status"].astype("string"),
        "purchase_ts": _olist_dates(raw, "order_purchase_timestamp", required=True),
        "delivered_ts": _olist_dates(raw, "order_delivered_customer_date", required=False),
        "estimated_ts": _olist_dates(raw, "order_estimated_delivery_date", required=False),
    })
    c = cust.rename(columns={"customer_id": "order_customer"}).astype("string")
    o = o.merge(c, on="order_customer", how="left")
    miss = o["customer_unique_id"].isna()
    if miss.any():
        raise DataError(Path(folder) / "olist_customers_dataset.csv", "missing-key",
                        f"{int(miss.sum()):,} order(s) have a customer_id that is not in this file, e.g. "
                        f"{o.loc[miss, 'order_customer'].iloc[0]!r}", column="customer_id")
    return o


def olist_lines(folder: str | Path) -> pd.DataFrame:
    """Canonical sales lines from the Olist tables: one line per order, product and price.

    ``invoice`` = order_id, ``invoice_ts`` = order_purchase_timestamp, ``customer_id`` =
    customer_unique_id (the person; Olist's ``customer_id`` is per order), ``product_id``,
    ``category`` = English category name (Portuguese when untranslated), ``quantity`` = the
    number of identical items (Olist lists each unit as its own item row; kept apart they
    would look like duplicated lines), ``unit_price`` = price (freight excluded),
    ``amount`` = quantity x price,
    ``country`` = the customer's state (every customer is in Brazil), ``currency`` = BRL.
    Orders whose status is ``canceled`` or ``unavailable`` (:data:`OLIST_DROPPED_STATUSES`)
    are left out: no sale took place. Orders still on their way (shipped, invoiced,
    processing, approved) are sales and are kept.
    """
    folder = Path(folder)
    orders = _olist_orders(folder)
    items = _olist_csv(folder, "olist_order_items_dataset.csv", ["order_id", "order_item_id", "product_id",
                                                                  "price"])
    price = _rd._parse_numbers(items, "price", "price", ".", None)
    it = pd.DataFrame({"order_id": items.frame["order_id"].astype("string"),
                       "item": pd.to_numeric(items.frame["order_item_id"]).astype("int64"),
                       "product_id": items.frame["product_id"].astype("string"), "price": price})
    # identical items of one order (same product and price) become one line with their count as
    # quantity; as separate rows they would look like duplicated lines to the cleaning
    it = (it.groupby(["order_id", "product_id", "price"], sort=False, dropna=False)
          .agg(item=("item", "min"), quantity=("item", "size")).reset_index())
    it = it.merge(_olist_categories(folder), on="product_id", how="left")
    m = it.merge(orders, on="order_id", how="inner")
    m = m[~m["status"].isin(OLIST_DROPPED_STATUSES)].sort_values(["purchase_ts", "order_id", "item"])
    qty = m["quantity"].to_numpy(dtype="float64")
    df = pd.DataFrame({
        "line_id": np.arange(len(m), dtype="int64"),
        "invoice": m["order_id"].to_numpy(),
        "invoice_ts": m["purchase_ts"].to_numpy(),
        "customer_id": m["customer_unique_id"].to_numpy(),
        "product_id": m["product_id"].to_numpy(),
        "category": m["category"].to_numpy(),
        "quantity": qty,
        "unit_price": m["price"].to_numpy(),
        "amount": qty * m["price"].to_numpy(),
        "country": m["customer_state"].to_numpy(),
        "currency": "BRL",
    })
    from helpers.io.schema import conform as conform_lines, validate_lines

    return validate_lines(conform_lines(df), str(folder / "olist_order_items_dataset.csv"))


def olist_attributes(folder: str | Path, *, audit: Audit | None = None) -> pd.DataFrame:
    """One row per person (customer_unique_id): ``city``, ``region`` (state), ``zip_code_prefix``
    (5 digits, leading zeros restored), ``n_orders`` and ``first_order_ts``.

    A person with orders from several addresses gets the address of their latest order
    (counted in the audit as ``several-addresses``).
    """
    folder = Path(folder)
    audit = audit if audit is not None else Audit()
    o = _olist_orders(folder).sort_values(["purchase_ts", "order_id"])
    g = o.groupby("customer_unique_id", sort=True)
    last = g.tail(1).set_index("customer_unique_id")
    several = int((g[["customer_city", "customer_state", "customer_zip_code_prefix"]].nunique().max(axis=1) > 1).sum())
    audit.add("attributes", folder / "olist_customers_dataset.csv", "customer_unique_id", "several-addresses",
              several, "address of the latest order kept", "people who ordered from more than one address")
    idx = g.size().index
    zip_ = last.loc[idx, "customer_zip_code_prefix"].astype("string").str.replace(r"\.0$", "", regex=True)
    df = pd.DataFrame({
        "customer_id": idx.astype("string"),
        "region": last.loc[idx, "customer_state"].to_numpy(),
        "city": last.loc[idx, "customer_city"].to_numpy(),
        "zip_code_prefix": zip_.str.zfill(5).to_numpy(),
        "n_orders": g["order_id"].nunique().loc[idx].astype("float64").to_numpy(),
        "first_order_ts": g["purchase_ts"].min().loc[idx].to_numpy(),
    })
    return conform("attributes", df, folder / "olist_customers_dataset.csv")


def olist_feedback(folder: str | Path, *, audit: Audit | None = None, language: str = "pt") -> pd.DataFrame:
    """Olist reviews as canonical feedback, with their order's context.

    One row per review and order: ``feedback_id`` = review_id (Olist reuses a review_id
    for the orders of one purchase; those rows get ``review_id/order_id``, counted as
    ``shared-review-id``), ``invoice`` = order_id, ``customer_id`` = the person,
    ``feedback_ts`` = review_creation_date, ``score`` on [1, 5], ``title`` / ``text`` =
    the comment title and message (Portuguese), ``answered_ts``, ``delivered_ts``,
    ``estimated_ts``, ``delay_days`` = delivered - estimated in days (positive = late; null
    while not delivered), ``seller_id`` and ``product_category`` of the order's first item,
    ``region`` = the customer's state, ``order_status``.
    """
    folder = Path(folder)
    audit = audit if audit is not None else Audit()
    f = folder / "olist_order_reviews_dataset.csv"
    raw = _olist_csv(folder, f.name, ["review_id", "order_id", "review_score", "review_comment_title",
                                      "review_comment_message", "review_creation_date",
                                      "review_answer_timestamp"])
    score = _rd._parse_numbers(raw, "review_score", "review_score", ".", None)
    rv = pd.DataFrame({
        "review_id": raw.frame["review_id"].astype("string"),
        "invoice": raw.frame["order_id"].astype("string"),
        "feedback_ts": _olist_dates(raw, "review_creation_date", required=True),
        "answered_ts": _olist_dates(raw, "review_answer_timestamp", required=False),
        "score": score.to_numpy(),
        "title": _rd._texts(raw.frame["review_comment_title"], strip=True),
        "text": _rd._texts(raw.frame["review_comment_message"], strip=True),
        "_row": raw.row_no,
    })
    shared = rv["review_id"].duplicated(keep=False)
    audit.add("feedback", f, "review_id", "shared-review-id", int(shared.sum()),
              "feedback_id = review_id/order_id", "one review written for several orders of a purchase")
    rv["feedback_id"] = rv["review_id"].where(~shared, rv["review_id"] + "/" + rv["invoice"])
    dup = rv["feedback_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(f, "duplicate-key", f"{int(dup.sum()):,} rows repeat the same review_id and order_id, "
                        f"e.g. {rv.loc[dup, 'feedback_id'].iloc[0]!r}", column="review_id")
    orders = _olist_orders(folder)
    items = _olist_csv(folder, "olist_order_items_dataset.csv", ["order_id", "order_item_id", "product_id",
                                                                  "seller_id"]).frame
    first = items.assign(item=pd.to_numeric(items["order_item_id"])).sort_values(["order_id", "item"])
    first = first.drop_duplicates("order_id")[["order_id", "product_id", "seller_id"]].astype("string")
    first = first.merge(_olist_categories(folder), on="product_id", how="left")
    ctx = orders.merge(first, on="order_id", how="left").rename(columns={"order_id": "invoice"})
    m = rv.merge(ctx, on="invoice", how="left")
    no_order = m["customer_unique_id"].isna()
    audit.add("feedback", f, "order_id", "order-not-found", int(no_order.sum()), "customer left empty",
              "reviews of orders missing from olist_orders_dataset.csv")
    delay = (m["delivered_ts"] - m["estimated_ts"]).dt.total_seconds() / 86400.0
    df = pd.DataFrame({
        "feedback_id": m["feedback_id"], "customer_id": m["customer_unique_id"], "invoice": m["invoice"],
        "feedback_ts": m["feedback_ts"], "score": m["score"], "score_min": 1.0, "score_max": 5.0,
        "title": m["title"], "text": m["text"], "category": pd.Series(pd.NA, index=m.index, dtype="string"),
        "language": language, "answered_ts": m["answered_ts"], "delivered_ts": m["delivered_ts"],
        "estimated_ts": m["estimated_ts"], "delay_days": delay, "seller_id": m["seller_id"],
        "region": m["customer_state"], "product_category": m["category"], "order_status": m["status"],
    })
    out = conform("feedback", df, f)
    _check_scale(out, f, "review_score", rows=m["_row"].to_numpy())
    return out
