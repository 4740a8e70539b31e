"""Optional tables beside the sales lines: attributes, exposures, responses, feedback.

A config's ``tables:`` section (:class:`helpers.config.TablesConfig`) says where each table
comes from: a file with a column map (same reading options and messages as the sales lines)
or a named adapter for a published data set whose layout needs joins (``adapter: olist``).
With ``data.source: synthetic`` and no ``tables:`` section, the tables the synthetic
generator wrote beside ``lines.parquet`` are used. :func:`helpers.pipeline.prepare` reads
them with :func:`read_tables`, joins them to the sales lines with :func:`join_to_lines` and
writes each as ``<name>.parquet``, plus ``coverage`` and ``tables_audit``.
The schemas, the column parser and the audit are in :mod:`helpers.io.table_schema`, the
Olist adapters in :mod:`helpers.io.olist` (both re-exported here).

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
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import paths
from helpers.config import CampaignLookup, RunConfig, TableFile
from helpers.errors import DataError
from helpers.io.olist import (
    OLIST_DROPPED_STATUSES,
    OLIST_FILES,
    OLIST_LINES_VERSION,
    olist_attributes,
    olist_feedback,
    olist_lines,
)
from helpers.io.parsing import check_headers, parse_keys
from helpers.io.rawfile import RawTable, check_exists, first_line, format_of, nfc, read_parquet, read_text, read_xlsx
from helpers.io.table_schema import COLUMN_TYPES, CORE_COLUMNS, Audit, ColumnParser, check_scale, conform

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

#: columns without which a row cannot be joined: dropped and counted when blank
_KEYS = {"attributes": ("customer_id",), "exposures": ("customer_id", "campaign_id"),
         "responses": ("customer_id", "campaign_id"), "feedback": ()}


# --------------------------------------------------------------------------------------
# which files a config reads (for the fingerprint)
# --------------------------------------------------------------------------------------
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


def _read_raw(path: Path, t: TableFile | CampaignLookup) -> RawTable:
    check_exists(path)
    fmt = format_of(path, t.format)
    if fmt == "xlsx":
        return read_xlsx(path, sheets=getattr(t, "sheets", None), all_sheets=False, progress=False)
    if fmt == "parquet":
        return read_parquet(path)
    return read_text(path, fmt=fmt, separator=t.separator, encoding=t.encoding)


def _snake(header: str) -> str:
    """``"SeniorCitizen"`` -> ``"senior_citizen"``, ``"Müşteri No"`` -> ``"musteri_no"``."""
    s = str(header).replace("ı", "i").replace("İ", "I")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    return s if s and not s[0].isdigit() else f"c_{s}"


def read_table_file(name: str, t: TableFile, *, audit: Audit) -> pd.DataFrame:
    """Read one optional table from its file and column map; checks that need no sales lines."""
    path = _resolve(t.path)
    raw = _read_raw(path, t)
    mapping = {k: nfc(v).strip() for k, v in (t.columns or {}).items()}
    check_headers(raw, mapping, what=f"tables.{name}.columns")
    keep = getattr(t, "keep", [])
    mapped_headers = set(mapping.values())
    if keep == "all":
        kept = [h for h in raw.frame.columns if h not in mapped_headers]
    else:
        kept = [nfc(h).strip() for h in keep]
        check_headers(raw, {f"keep[{i}]": h for i, h in enumerate(kept)}, what=f"tables.{name}.keep")
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
    p = ColumnParser(name, raw, t, audit)
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


def _check_unique(df: pd.DataFrame, key: str, table: str, file, column: str, raw: RawTable | None,
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


def _finish_attributes(df: pd.DataFrame, t, raw: RawTable, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    df = df.assign(_row=raw.row_no)
    df = _drop_missing_keys(df, "attributes", raw.file, audit, spelled)
    _check_unique(df, "customer_id", "attributes", raw.file, spelled.get("customer_id"), raw,
                  "an attribute table has one row per customer: remove the duplicates or aggregate them first")
    return conform("attributes", df.drop(columns="_row"), raw.file)


def _finish_exposures(df: pd.DataFrame, t, raw: RawTable, audit: Audit) -> pd.DataFrame:
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
    mapping = {k: nfc(v).strip() for k, v in lookup.columns.items()}
    check_headers(raw, mapping, what="tables.exposures.campaigns.columns")
    p = ColumnParser("campaigns", raw, lookup, audit)
    camp = pd.DataFrame({k: p.column(k, h) for k, h in mapping.items()})
    camp = camp[camp["campaign_id"].notna()]
    dup = camp["campaign_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(path, "duplicate-key", f"{camp.loc[dup, 'campaign_id'].nunique():,} campaign id(s) appear "
                        f"more than once, e.g. {camp.loc[dup, 'campaign_id'].iloc[0]!r}; the campaign table has "
                        "one row per campaign", column=mapping["campaign_id"])
    return camp.reset_index(drop=True)


def _finish_responses(df: pd.DataFrame, t, raw: RawTable, audit: Audit) -> pd.DataFrame:
    spelled = df.attrs.get("spelled", {})
    df = _drop_missing_keys(df.assign(_row=raw.row_no), "responses", raw.file, audit, spelled)
    return conform("responses", df.drop(columns="_row"), raw.file)


def _finish_feedback(df: pd.DataFrame, t, raw: RawTable, audit: Audit) -> pd.DataFrame:
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
    check_scale(out, file, spelled.get("score", "score"), rows=df["_row"].to_numpy())
    return out


def read_canonical(name: str, path: Path, *, audit: Audit) -> pd.DataFrame:
    """Read a table that is already in its canonical schema (e.g. from the synthetic generator)."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds
        raise DataError(path, "unreadable-file", f"is not a readable parquet file ({first_line(exc)})") from None
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
        df = _drop_missing_keys(df.assign(customer_id=parse_keys(df["customer_id"], strip_float_suffix=True)),
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
        check_scale(out, path, "score")
    return out


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


