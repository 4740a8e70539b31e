"""The parquet files :func:`helpers.io.read.read_source` keeps the canonical lines in.

They are written atomically (:func:`write_atomic`); their row count and which optional
columns hold values come from the parquet metadata (:func:`describe_parquet`), and what
reading found (:attr:`helpers.io.read.Source.notes`) travels in the pandas metadata
(:func:`read_notes`). A finished folder (the synthetic shop, a prepared run) replaces the old one
in one rename (:func:`replace_folder`).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from helpers.io.schema import LINE_COLUMNS, OPTIONAL


def filled_columns(df: pd.DataFrame) -> dict[str, bool]:
    """For every optional canonical column: whether it holds any non-null value (:attr:`helpers.io.read.Source.has`)."""
    return {c: bool(df[c].notna().any()) for c in OPTIONAL}


def describe_parquet(p: Path) -> tuple[int, dict[str, bool]]:
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


def read_notes(cache: Path) -> dict:
    """What reading found (:attr:`Source.notes`): kept in the cached parquet's metadata (pandas ``attrs``)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(cache)
    # pandas keeps attrs in the schema; a file written batch by batch adds them to the footer
    md = {**(pf.metadata.metadata or {}), **(pf.schema_arrow.metadata or {})}
    attrs = json.loads(md[b"PANDAS_ATTRS"]) if b"PANDAS_ATTRS" in md else {}
    return dict(attrs.get("read_notes", {}))


@contextlib.contextmanager
def atomic_target(target: Path):
    """A temporary path next to ``target`` to write to; renamed over ``target`` when the block ends
    without an error, removed when it raises (so ``target`` is the old file or the new one, never half)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_atomic(df: pd.DataFrame, target: Path) -> None:
    """Write parquet next to ``target`` under a temporary name, then rename over it."""
    with atomic_target(target) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow")


def replace_folder(tmp: Path, folder: Path, marker: str) -> bool:
    """Put the finished folder ``tmp`` at ``folder``, so readers see the old folder or the new one, never half.

    An existing ``folder`` is renamed aside first and removed after. When the final rename fails
    because another process put a complete folder there meanwhile (it holds ``marker``), that one
    is kept, ``tmp`` is removed and False is returned; any other failure is raised.
    """
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.old-{os.getpid()}-{time.time_ns()}"
        os.replace(folder, old)
    try:
        os.replace(tmp, folder)
        placed = True
    except OSError:
        if not (folder / marker).exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        placed = False
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return placed
