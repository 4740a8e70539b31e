"""What each notebook publishes for the executive summary and the customer action table.

Every analytic notebook ends with :func:`publish`: its headline numbers (each with a label,
a unit and the exact text shown) and, optionally, one row per customer with the columns it
computed (life-cycle stage, RFM segment, P(alive), CLV, churn risk, next best offer ...).
The notebook displays the same table it writes, so a number in the executive summary is
the very text shown in the report that computed it.

Files, per notebook: ``headline.json`` and ``customers.parquet`` in the notebook's artefacts
folder (``reports/<run>/artefacts/<notebook>/`` in the batch; run by hand,
``data/processed/<config>-<fingerprint>/exports/<notebook>/``). Customer ids are masked when
the config says so, with the same key in every notebook, so the tables still join.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from . import privacy
from .batch import NOTEBOOKS

HEADLINE_FILE = "headline.json"
CUSTOMERS_FILE = "customers.parquet"


@dataclass
class Headline:
    """One headline number: ``key`` is stable across runs, ``text`` is what a reader sees."""

    key: str
    label: str
    value: float | int | str | None
    unit: str = ""
    text: str = ""
    notebook: str = ""


def format_value(value, unit: str) -> str:
    """The one way a headline number is written: ``43.2 %``, ``12,345 GBP``, ``1,204 customers``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "%":
        return f"{100 * float(value):.1f} %"
    if unit in ("", "count"):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if len(unit) == 3 and unit.isupper():          # a currency code
        return f"{float(value):,.0f} {unit}"
    return f"{value:,.0f} {unit}" if float(value).is_integer() else f"{value:,.2f} {unit}"


def folder_for(prep, output_dir: str | Path, notebook: str) -> Path:
    """Where ``notebook`` publishes (see the module docstring)."""
    out = Path(output_dir) if output_dir else prep.folder / "exports" / notebook
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_folder(prep, output_dir: str | Path) -> Path:
    """The folder holding every notebook's published folder for this run."""
    return Path(output_dir).parent if output_dir else prep.folder / "exports"


def publish(prep, output_dir: str | Path, notebook: str, headline: list[tuple], customers: pd.DataFrame | None = None):
    """Write a notebook's headline numbers and customer columns; return the table to display.

    Parameters
    ----------
    headline : list of (key, label, value, unit)
        ``unit`` is ``"%"`` (value is a share 0..1), a currency code, ``"count"``, or a word
        such as ``"customers"`` or ``"weeks"``.
    customers : DataFrame, optional
        ``customer_id`` plus this notebook's per-customer columns (raw ids; masked here when
        the config asks for it).
    """
    out = folder_for(prep, output_dir, notebook)
    items = [Headline(k, label, _plain(v), unit, format_value(v, unit), notebook) for k, label, v, unit in headline]
    (out / HEADLINE_FILE).write_text(json.dumps([asdict(h) for h in items], indent=2, default=str), encoding="utf-8")
    if customers is not None:
        if "customer_id" not in customers.columns:
            raise ValueError(f"{notebook}: the customer table to publish needs a customer_id column")
        masked = privacy.maybe_mask(customers, prep.config.output.mask_customer_ids)
        masked.to_parquet(out / CUSTOMERS_FILE, index=False)
    return pd.DataFrame({"headline": [h.label for h in items], "value": [h.text for h in items]})


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    return v


def collect_headlines(folder: Path) -> pd.DataFrame:
    """Every published headline in a run folder, in batch order."""
    rows = []
    for nb in NOTEBOOKS:
        f = folder / nb / HEADLINE_FILE
        if f.exists():
            rows += json.loads(f.read_text(encoding="utf-8"))
    return pd.DataFrame(rows, columns=["key", "label", "value", "unit", "text", "notebook"])


def collect_customers(folder: Path) -> dict[str, pd.DataFrame]:
    """Every published customer table in a run folder, keyed by notebook."""
    return {nb: pd.read_parquet(folder / nb / CUSTOMERS_FILE) for nb in NOTEBOOKS
            if (folder / nb / CUSTOMERS_FILE).exists()}
