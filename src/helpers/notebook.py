"""What every numbered notebook opens with, and the one way it writes its exports.

A notebook's first code cell after ``parameters`` reads::

    ctx = notebook_context(config_path, config_overrides, output_dir)
    prep, cfg, currency = ctx.prep, ctx.config, ctx.currency
    lines = ctx.lines()                       # the clean lines, an Ibis table on the run's engine

and its export cell::

    ctx.export(lifecycle_kpis=kpis, lifecycle_stages=stages)

:func:`notebook_context` loads the config (with the runner's ``key=value`` overrides), sets the
report language, prepares the data (or reuses what the runner prepared), and sets up plotly and
pandas for both JupyterLab and the HTML pages. :meth:`NotebookContext.export` writes each table as
``<name>.csv`` (and ``<name>.parquet`` when asked) into the run's exports folder, with customer ids
masked when the config says ``output.mask_customer_ids: true``; :meth:`NotebookContext.shown` masks
a table the page displays. Masking is applied once: a column whose ids are all already masked
(``C-`` + 12 hex digits, :func:`helpers.io.privacy.mask_ids`) is left as it is, so a table built
from another notebook's published (masked) columns is not masked twice.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from helpers import pipeline, plots
from helpers.config import RunConfig
from helpers.io import engine, privacy

#: Columns holding customer ids; masked in exports and shown tables when the config asks for it.
ID_COLUMNS = ("customer_id",)


@dataclass
class NotebookContext:
    """The run a notebook works on: config, prepared data, engine connection, exports folder."""

    prep: pipeline.Prepared
    output_dir: str = ""
    written: list[str] = field(default_factory=list)

    @property
    def config(self) -> RunConfig:
        return self.prep.config

    @property
    def currency(self) -> str:
        return self.prep.currency

    @property
    def mask(self) -> bool:
        """Whether customer ids are masked in what this notebook shows and writes."""
        return bool(self.config.output.mask_customer_ids)

    @cached_property
    def con(self):
        """The run's engine connection (:func:`helpers.io.engine.connect`), opened on first use."""
        return engine.connect(self.config.engine)

    def lines(self, name: str = "lines_clean"):
        """A prepared line table (``lines_clean`` by default) as an Ibis table on :attr:`con`."""
        return self.prep.table(self.con, name)

    @property
    def out(self) -> Path:
        """The exports folder: ``reports/<run>/artefacts`` in a batch, the prepared data's ``exports`` by hand."""
        return self.prep.export_dir(self.output_dir)

    def shown(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` ready to display: customer ids masked when the config asks for it."""
        return mask_ids(table, self.mask)

    def export(self, tables: dict[str, pd.DataFrame | None] | None = None, /, *, parquet: tuple[str, ...] = (),
               index: tuple[str, ...] = (), **named: pd.DataFrame | None) -> list[str]:
        """Write each table as ``<name>.csv`` into :attr:`out`; return the file names written, sorted.

        Tables come as keyword arguments or as one dict (for names that are not identifiers); a table
        that is ``None`` is skipped (the notebook had nothing to write). Names in ``parquet`` are also
        written as parquet; names in ``index`` keep their index as the first csv column.
        """
        folder = self.out
        names = []
        for name, table in {**(tables or {}), **named}.items():
            if table is None:
                continue
            safe = mask_ids(table, self.mask)
            safe.to_csv(folder / f"{name}.csv", index=name in index)
            names.append(f"{name}.csv")
            if name in parquet:
                safe.to_parquet(folder / f"{name}.parquet", index=False)
                names.append(f"{name}.parquet")
        self.written.extend(names)
        return sorted(names)


def mask_ids(table: pd.DataFrame, enabled: bool) -> pd.DataFrame:
    """``table`` with its id columns masked when ``enabled``, unless they already are (see the module docstring)."""
    if not enabled:
        return table
    out = table
    for column in ID_COLUMNS:
        if column in table.columns and not privacy.already_masked(table[column]):
            out = privacy.maybe_mask(out, True, column)
    return out


def notebook_context(config_path: str | Path, config_overrides: list[str] | tuple = (), output_dir: str = "",
                     *, progress: bool = True) -> NotebookContext:
    """Load the run's config, set the language, prepare the data and set up the display; see the module docstring."""
    plots.setup_notebook()
    # ibis 12 on pandas 3 warns about options the project does not use; the reader cannot act on it
    warnings.filterwarnings("ignore", message=r".*(future\.infer_string|fetch_arrow_table)")
    return NotebookContext(pipeline.open_run(config_path, config_overrides, progress=progress), output_dir)
