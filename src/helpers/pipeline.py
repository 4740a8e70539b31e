"""Prepare a run's data once: read the source, clean it with an audit, build customer tables.

:func:`prepare` is what every notebook calls first. Its outputs live in
``data/processed/<config name>-<fingerprint>/`` and are reused while the fingerprint (the
input files' content + the data, analysis and cleaning parts of the config + the cleaning
code's version) is unchanged. Everything is written into a temporary folder first and moved
into place at the end, so a failing or killed run never leaves half-written tables, and
tables of an earlier run are never overwritten.

Files in the folder:

======================  ====================================================================
lines_clean.parquet     kept lines: canonical columns + ``is_guest``, ``is_extreme``, ``is_free``
line_status.parquet     ``line_id``, ``status`` (the cleaning rule, or ``kept``), ``is_identical``,
                        ``catch_all`` and ``return_match`` per raw line
audit.parquet / .csv    the cleaning audit (:func:`helpers.clean.audit_table`)
audit_notes.parquet     what the audit says beside its rows: the line key, warnings, missing-value
  / .csv                tokens, catch-all ids, returns matched (:func:`helpers.clean.audit_notes`)
overlap.parquet / .csv  the date windows in which whole invoices repeat (:func:`helpers.clean.overlap_windows`)
catch_all.parquet       customer ids holding an implausible share of orders or lines and what was
                        done with them (:func:`helpers.clean.catch_all_table`; raw ids: mask on display)
customers_rfm.parquet   :func:`helpers.features.customers.rfm_table` at the analysis date
customers_btyd.parquet  :func:`helpers.features.customers.btyd_summary` in ``analysis.time_unit``
<table>.parquet         each optional table present (attributes, exposures, responses,
                        feedback) in its canonical schema (:mod:`helpers.io.tables`)
coverage.parquet / .csv per optional table and key: rows, keys, keys found in the sales lines and
                        the two shares (:func:`helpers.io.tables.join_to_lines`)
tables_audit.parquet    what the table rules found: table, file, column, rule, count, action
  / .csv
meta.json               fingerprint, inputs, analysis window, which optional columns exist,
                        ``tables``: "lines" and the optional tables present
======================  ====================================================================

With ``data.source: none`` (a data set without sales lines, e.g. a contract business known
from its customer table) only the optional tables, ``coverage`` and ``tables_audit`` are
written, and ``meta["tables"]`` lists only the optional tables. With ``data.source:
synthetic`` and no ``tables:`` section, the optional tables the generator wrote beside
``lines.parquet`` are used. The fingerprint covers the optional tables' input files too.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import clean, paths

from helpers.features import customers

from helpers.io import engine
from helpers.io.cache import replace_folder
from helpers.config import RunConfig, load_config
from helpers.errors import DataError

PIPELINE_VERSION = "2"
#: Bumped when reading the optional tables changes; part of the fingerprint only when tables exist.
TABLES_VERSION = "1"
#: Tables written only when the data has sales lines.
LINE_TABLES = ("lines_clean", "line_status", "audit", "audit_notes", "overlap", "catch_all", "customers_rfm",
               "customers_btyd")
OPTIONAL_TABLES = ("attributes", "exposures", "responses", "feedback")


@dataclass
class Prepared:
    """Handle on a prepared run: where its tables are, and readers for them (pandas)."""

    config: RunConfig
    folder: Path
    meta: dict

    @property
    def fingerprint(self) -> str:
        return self.meta["fingerprint"]

    @property
    def start(self) -> dt.date | None:
        """First day of the analysis window (None when the data has no sales lines)."""
        v = self.meta.get("analysis_start")
        return dt.date.fromisoformat(v) if v else None

    @property
    def end(self) -> dt.date | None:
        """The analysis date (None when the data has no sales lines)."""
        v = self.meta.get("analysis_end")
        return dt.date.fromisoformat(v) if v else None

    @property
    def has(self) -> dict[str, bool]:
        return self.meta["has"]

    @property
    def tables(self) -> list[str]:
        """Names of the tables this data provides: "lines" and any optional tables."""
        return list(self.meta.get("tables", ["lines"]))

    @property
    def currency(self) -> str:
        return self.meta["currency"]

    @property
    def raw_path(self) -> Path:
        if not self.meta.get("raw_lines"):
            raise DataError(self.folder, "no-sales-lines", "this data has no sales lines (data.source: none)")
        return Path(self.meta["raw_lines"])

    def read(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read one of the tables by its file stem, e.g. ``"audit"``, ``"customers_rfm"`` or ``"attributes"``."""
        if name in LINE_TABLES and "lines" not in self.tables:
            raise DataError(self.folder, "no-sales-lines", f"this data has no sales lines (data.source: "
                            f"{self.meta.get('source')}), so there is no '{name}' table; its tables are: "
                            f"{', '.join(self.tables)}")
        if name in OPTIONAL_TABLES and name not in self.tables:
            raise DataError(self.folder, "no-such-table", f"this data has no {name} table (set tables.{name} in "
                            f"the config); its tables are: {', '.join(self.tables)}")
        return pd.read_parquet(self.folder / f"{name}.parquet", columns=columns)

    def lines(self, columns: list[str] | None = None) -> pd.DataFrame:
        return self.read("lines_clean", columns)

    def raw_lines(self, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.raw_path, columns=columns)

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def table(self, con, name: str = "lines_clean"):
        """One of the prepared tables as an Ibis table on ``con`` (see :func:`helpers.io.engine.connect`)."""
        return engine.table(con, self.path(name))

    def synthetic_truth(self) -> dict | None:
        """The synthetic generator's ground truth (:func:`helpers.io.synth.load_truth`), or None for real data."""
        if self.meta.get("source") != "synthetic":
            return None
        from helpers.io.synth import load_truth

        return load_truth(self.raw_path.parent)

    def export_dir(self, output_dir: str | Path = "") -> Path:
        """Where a notebook writes its exports (csv/parquet for other tools).

        The batch passes ``reports/<run>/artefacts``; run by hand, exports go to
        ``data/processed/<config>-<fingerprint>/exports``.
        """
        out = Path(output_dir) if output_dir else self.folder / "exports"
        out.mkdir(parents=True, exist_ok=True)
        return out


def _sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def fingerprint(cfg: RunConfig, inputs: list[Path], table_inputs: list[Path] = ()) -> str:
    """Hash of the input files' content and the parts of the config that change the clean data.

    ``table_inputs`` are the optional tables' files; with none, the hash is what it was before
    optional tables existed (so configs without them keep their prepared folders).
    """
    h = hashlib.sha256()
    h.update(json.dumps(cfg.fingerprint_payload(), sort_keys=True, default=str).encode())
    h.update(f"clean={clean.CLEAN_VERSION};pipeline={PIPELINE_VERSION}".encode())
    for p in inputs:
        h.update(_sha256_file(Path(p)).encode())
    if table_inputs:
        h.update(f"tables={TABLES_VERSION}".encode())
        for p in table_inputs:
            h.update(_sha256_file(Path(p)).encode())
    return h.hexdigest()


def _table_files(cfg: RunConfig, synthetic_folder: Path | None) -> tuple[dict[str, list[Path]], list[Path]]:
    """The optional tables' input files by table, and all of them in order; each must exist."""
    from helpers.io import tables as tbl
    from helpers.io.rawfile import check_exists as _check_exists

    by_table = tbl.table_inputs(cfg, synthetic_folder)
    flat = [p for files in by_table.values() for p in files]
    for p in flat:
        _check_exists(Path(p))
    return by_table, flat


def _write_tables(tmp: Path, frames: dict[str, pd.DataFrame], coverage: pd.DataFrame, audit: pd.DataFrame) -> None:
    for name, df in frames.items():
        df.to_parquet(tmp / f"{name}.parquet", index=False)
    coverage.to_parquet(tmp / "coverage.parquet", index=False)
    coverage.to_csv(tmp / "coverage.csv", index=False)
    audit.to_parquet(tmp / "tables_audit.parquet", index=False)
    audit.to_csv(tmp / "tables_audit.csv", index=False)


def _say_tables(coverage: pd.DataFrame, audit: pd.DataFrame) -> None:
    for r in coverage.itertuples():
        share = "" if pd.isna(r.share_table_in_lines) else (
            f"; {r.share_table_in_lines:.1%} of them in the sales lines, "
            f"{r.share_lines_in_table:.1%} of the lines' {r.key} values in the table")
        print(f"{r.table}: {r.rows:,} rows, {r.keys:,} {r.key} values{share}", flush=True)
    for r in audit.itertuples():
        print(f"  {r.table} {r.file}: column {r.column}: {r.rule}: {r.count:,} -> {r.action}", flush=True)


def _table_meta(frames: dict[str, pd.DataFrame], by_table: dict[str, list[Path]]) -> dict:
    return {"table_inputs": {k: [str(p) for p in v] for k, v in by_table.items()},
            "table_rows": {k: int(len(v)) for k, v in frames.items()}}


def _prepare_without_lines(cfg: RunConfig, *, force: bool, progress: bool) -> "Prepared":
    """``data.source: none``: only the optional tables, their coverage (no shares) and audit."""
    from helpers.io import tables as tbl
    from helpers.io.schema import OPTIONAL

    by_table, flat = _table_files(cfg, None)
    fp = fingerprint(cfg, [], flat)
    folder = paths.PROCESSED / f"{cfg.name}-{fp[:12]}"
    if (folder / "meta.json").exists() and not force:
        return Prepared(cfg, folder, json.loads((folder / "meta.json").read_text(encoding="utf-8")))
    started = time.time()
    frames, audit = tbl.read_tables(cfg)
    files = {k: str(v[0]) for k, v in by_table.items()}
    coverage = tbl.join_to_lines(frames, audit, line_customers=None, files=files)
    audit_df = audit.frame()
    paths.PROCESSED.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=paths.PROCESSED))
    try:
        _write_tables(tmp, frames, coverage, audit_df)
        meta = {
            "fingerprint": fp,
            "config_name": cfg.name,
            "source": "none",
            "inputs": [str(p) for p in flat],
            "raw_lines": None,
            "n_raw_lines": 0,
            "n_clean_lines": 0,
            "data_start": None,
            "data_end": None,
            "analysis_start": cfg.analysis.start.isoformat() if cfg.analysis.start else None,
            "analysis_end": cfg.analysis.end.isoformat() if cfg.analysis.end else None,
            "extreme_quantity_threshold": None,
            "time_unit": cfg.analysis.time_unit,
            "period": cfg.analysis.period,
            "currency": cfg.data.currency,
            "has": {c: False for c in OPTIONAL},
            "tables": list(frames),
            **_table_meta(frames, by_table),
            "engine": cfg.engine.backend,
            "seconds": round(time.time() - started, 2),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
        }
        _write_json(tmp / "meta.json", meta)
        meta = _move_into_place(tmp, folder, meta, force=force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress:
        _say_tables(coverage, audit_df)
    return Prepared(cfg, folder, meta)


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str), encoding="utf-8")


def _move_into_place(tmp: Path, folder: Path, meta: dict, *, force: bool) -> dict:
    """Move a finished ``tmp`` folder to ``folder``; return the meta of what is there afterwards.

    When another process (a parallel test, a second run) finished the same data version
    meanwhile, its complete folder is kept and ``tmp`` dropped, so readers of it never see it
    vanish. ``force`` replaces it: the old folder is renamed aside first, then removed.
    """
    if folder.exists() and not force and (folder / "meta.json").exists():
        shutil.rmtree(tmp, ignore_errors=True)
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if not replace_folder(tmp, folder, "meta.json"):
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta


def prepare(cfg: RunConfig | str | Path, *, force: bool = False, progress: bool = True) -> Prepared:
    """Read, clean and summarise the data of a config; reuse earlier outputs when unchanged.

    The optional tables of the config (``tables:``), or those of the synthetic generator, are
    read and checked before the cleaning, joined to the clean lines after it (see
    :mod:`helpers.io.tables`) and written beside the line tables with ``coverage`` and
    ``tables_audit``. ``data.source: none`` writes only those.

    Raises
    ------
    helpers.errors.CRMInputError
        Bad config or data; the message names the file, column or key, and the rule.
    """
    from helpers.io.read import read_source

    from helpers.io import tables as tbl

    if not isinstance(cfg, RunConfig):
        cfg = load_config(cfg)
    if cfg.data.source == "none":
        return _prepare_without_lines(cfg, force=force, progress=progress)
    source = read_source(cfg, progress=progress)
    inputs = [Path(p) for p in source.inputs] or [Path(source.lines_path)]
    synthetic_folder = Path(source.lines_path).parent if cfg.data.source == "synthetic" else None
    by_table, table_files = _table_files(cfg, synthetic_folder)
    fp = fingerprint(cfg, [Path(source.lines_path)], table_files)
    folder = paths.PROCESSED / f"{cfg.name}-{fp[:12]}"
    if (folder / "meta.json").exists() and not force:
        return Prepared(cfg, folder, json.loads((folder / "meta.json").read_text(encoding="utf-8")))

    started = time.time()
    # the optional tables are read and checked first: a bad one stops the run before the cleaning
    frames, table_audit = tbl.read_tables(cfg, synthetic_folder) if by_table else ({}, tbl.Audit())
    con = engine.connect(cfg.engine)
    raw = engine.table(con, source.lines_path)
    span = raw.aggregate(lo=raw.invoice_ts.min(), hi=raw.invoice_ts.max()).execute().iloc[0]
    data_start, data_end = pd.Timestamp(span["lo"]).date(), pd.Timestamp(span["hi"]).date()
    start = cfg.analysis.start or data_start
    end = cfg.analysis.end or data_end
    if end < data_start or start > data_end:
        raise DataError(source.lines_path if not source.inputs else source.inputs[0], "analysis-window",
                        f"the analysis window {start} .. {end} does not overlap the data, which spans "
                        f"{data_start} .. {data_end}; change analysis.start / analysis.end", column="invoice_ts")
    threshold = clean.extreme_threshold(raw, cfg.cleaning)
    catch_all = clean.catch_all_table(raw, cfg.cleaning)
    # what the line key can use: the optional columns present, and whether quantities were exported
    has = {**source.has, "quantity": bool(source.notes.get("quantity_given", True))}
    guests = catch_all.loc[catch_all["action"] == "guest", "customer_id"].astype(str).tolist()
    paths.PROCESSED.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=paths.PROCESSED))
    try:
        def stage(expr, name):
            return engine.materialize(con, expr, folder=tmp, name=name)

        flagged = engine.materialize(con, clean.flag_lines(raw, cfg.cleaning, start=cfg.analysis.start, end=end,
                                                           extreme_threshold=threshold, has=has,
                                                           guest_ids=guests, stage=stage),
                                     folder=tmp, name="scratch_flagged")
        audit = clean.audit_table(flagged, cfg.cleaning, has=has)
        clean.check_reconciles(audit)
        gross = clean.gross_sales(flagged)
        clean.check_revenue(audit, gross, str(inputs[0]))
        kept = int(audit.set_index("rule").loc[clean.KEPT, "lines"])
        if kept == 0:
            raise DataError(inputs[0], "nothing-kept", "no line is left after cleaning; the audit shows which "
                            "rule removed them:\n" + audit[["rule", "lines"]].to_string(index=False))
        windows = clean.overlap_windows(flagged)
        notes = clean.audit_notes(flagged, audit, cfg.cleaning, has=has, gross=gross,
                                  read_notes=source.notes, catch_all=catch_all, windows=windows,
                                  explicit=set(cfg.cleaning.model_fields_set))
        engine.write_parquet(con, clean.clean_lines(flagged).order_by("line_id"), tmp / "lines_clean.parquet")
        engine.write_parquet(con, flagged.select("line_id", "status", "is_identical", "catch_all", "return_match")
                             .order_by("line_id"), tmp / "line_status.parquet")
        for name, frame in (("audit", audit), ("audit_notes", notes), ("overlap", windows)):
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
            frame.to_csv(tmp / f"{name}.csv", index=False)
        catch_all.to_parquet(tmp / "catch_all.parquet", index=False)
        # customer tables are built from the written clean lines, so every later step reads the same data
        lines = engine.table(con, tmp / "lines_clean.parquet")
        engine.write_parquet(con, customers.rfm_table(lines, analysis_date=end), tmp / "customers_rfm.parquet")
        engine.write_parquet(con, customers.btyd_summary(lines, observation_end=end, time_unit=cfg.analysis.time_unit),
                             tmp / "customers_btyd.parquet")
        coverage = audit_tables = None
        if frames:
            known = lines.filter(lines.customer_id.notnull())
            line_customers = known.select("customer_id").distinct().execute()["customer_id"]
            invoice_customers = None
            if "feedback" in frames and frames["feedback"]["invoice"].notna().any():
                invoice_customers = known.select("invoice", "customer_id").distinct().execute()
            coverage = tbl.join_to_lines(frames, table_audit, line_customers=line_customers,
                                         invoice_customers=invoice_customers,
                                         files={k: str(v[0]) for k, v in by_table.items()})
            audit_tables = table_audit.frame()
            _write_tables(tmp, frames, coverage, audit_tables)
        meta = {
            "fingerprint": fp,
            "config_name": cfg.name,
            "source": source.name,
            "inputs": [str(p) for p in inputs],
            "raw_lines": str(source.lines_path),
            "n_raw_lines": int(source.n_lines),
            "n_clean_lines": kept,
            "data_start": data_start.isoformat(),
            "data_end": data_end.isoformat(),
            "analysis_start": start.isoformat(),
            "analysis_end": end.isoformat(),
            "extreme_quantity_threshold": threshold,
            "time_unit": cfg.analysis.time_unit,
            "period": cfg.analysis.period,
            "currency": cfg.data.currency,
            "has": dict(source.has),
            "line_key": clean.line_key(has),
            "line_key_complete": clean.line_key_complete(has),
            "gross_sales": gross,
            "tables": ["lines", *frames],
            **(_table_meta(frames, by_table) if frames else {}),
            "engine": cfg.engine.backend,
            "seconds": round(time.time() - started, 2),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
        }
        _write_json(tmp / "meta.json", meta)
        for scratch in ("scratch_hashes", "scratch_rules", "scratch_flagged"):
            (tmp / f"{scratch}.parquet").unlink(missing_ok=True)
        meta = _move_into_place(tmp, folder, meta, force=force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress and coverage is not None:
        _say_tables(coverage, audit_tables)
    return Prepared(cfg, folder, meta)


def open_run(config_path: str | Path, overrides: list[str] | tuple = (), *, progress: bool = True) -> Prepared:
    """What a notebook calls first: load the config (with ``key=value`` overrides) and prepare its data.

    Reuses the prepared tables when the batch runner (or an earlier notebook) made them.
    """
    from helpers.config import parse_override

    from helpers import i18n

    cfg = load_config(config_path, [parse_override(o) for o in overrides])
    i18n.set_language(cfg.language)
    return prepare(cfg, progress=progress)
