"""The canonical sales-line table every loader produces and every later step reads.

One row is one line of an invoice (order). Loaders map a company's export onto these
columns; :func:`validate_lines` checks them with pandera and raises a
:class:`~helpers.errors.DataError` naming the file, column and rule.

=============  ==============  ========  ===========================================================
column         dtype           nullable  meaning
=============  ==============  ========  ===========================================================
line_id        int64           no        position of the line in the source (0-based), unique
invoice        string          no        invoice / order number; a leading "C" marks a cancellation
invoice_ts     datetime64[us]  no        date-time of the invoice (naive, local time of the source)
customer_id    string          yes       customer key; missing = guest checkout
product_id     string          yes       product (stock) code; missing when the source has none
description    string          yes       product name as shown to people
category       string          yes       product category when the source knows it
quantity       float64         no        units; negative on cancellation lines
unit_price     float64         no        price per unit in ``currency``
amount         float64         no        line amount = quantity x unit_price unless the source gives it
country        string          yes       customer's or shipping country
channel        string          yes       sales channel (web, store, app, ...)
currency       string          no        ISO code of ``unit_price`` and ``amount``
line_no        string          yes       line number within the invoice, when the export has one
original_invoice string        yes       the invoice a return / credit note refers to, when exported
is_return      boolean         yes       the export's own return flag (return lines then carry
                                         negative quantity and amount, whatever the file's sign)
=============  ==============  ========  ===========================================================

A line is a return (a cancellation or credit note) when its invoice starts with one of
``cleaning.return_prefixes`` (default "C"), its quantity or amount is negative, or
``is_return`` is true; see :mod:`helpers.clean`.
"""
from __future__ import annotations

import pandas as pd

from helpers.errors import DataError

#: Canonical columns in order, with their pandas dtypes.
LINE_COLUMNS: dict[str, str] = {
    "line_id": "int64",
    "invoice": "string",
    "invoice_ts": "datetime64[us]",
    "customer_id": "string",
    "product_id": "string",
    "description": "string",
    "category": "string",
    "quantity": "float64",
    "unit_price": "float64",
    "amount": "float64",
    "country": "string",
    "channel": "string",
    "currency": "string",
    "line_no": "string",
    "original_invoice": "string",
    "is_return": "boolean",
}

#: Columns that must be present and non-null in every source.
REQUIRED = ("line_id", "invoice", "invoice_ts", "quantity", "unit_price", "amount", "currency")

#: Columns a source may lack entirely (filled with nulls); notebooks skip the parts that need them.
OPTIONAL = tuple(c for c in LINE_COLUMNS if c not in REQUIRED)

#: Minimum number of lines a source must have to be analysed.
MIN_LINES = 3


def empty_lines() -> pd.DataFrame:
    """A zero-row frame with the canonical columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in LINE_COLUMNS.items()})


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in order, with canonical dtypes.

    Missing optional columns are added as nulls. Values are not checked here; call
    :func:`validate_lines` for that.
    """
    out = {}
    n = len(df)
    for col, dtype in LINE_COLUMNS.items():
        if col in df.columns:
            s = df[col]
        else:
            s = pd.Series([None] * n, index=df.index)
        if dtype == "string":
            s = s.astype("string")
        elif dtype.startswith("datetime"):
            s = pd.to_datetime(s).astype(dtype)
        else:
            s = s.astype(dtype)
        out[col] = s
    return pd.DataFrame(out).reset_index(drop=True)


def _schema():
    import pandera.pandas as pa

    cols = {}
    for col, dtype in LINE_COLUMNS.items():
        checks = []
        if col == "line_id":
            checks.append(pa.Check.ge(0))
        if col == "currency":
            checks.append(pa.Check.str_length(3, 3))
        cols[col] = pa.Column(dtype, nullable=col not in REQUIRED, checks=checks,
                              unique=(col == "line_id"))
    return pa.DataFrameSchema(cols, strict=True, ordered=True)


def validate_lines(df: pd.DataFrame, source: str, *, min_lines: int = MIN_LINES) -> pd.DataFrame:
    """Check a canonical line table; raise :class:`DataError` naming file, column and rule.

    Rules: every canonical column present with its dtype; required columns without nulls;
    ``line_id`` unique and >= 0; ``currency`` a 3-letter code; at least ``min_lines`` lines
    (a batch of a file read in parts checks 0: the file's total is checked by its writer);
    ``amount``, ``quantity`` and ``unit_price`` finite.
    """
    import numpy as np
    import pandera.errors as pe

    if len(df) < min_lines:
        raise DataError(source, "too-few-lines",
                        f"has {len(df)} sales line(s); at least {min_lines} are needed for an analysis")
    try:
        _schema().validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        fc = exc.failure_cases
        first = fc.iloc[0]
        col = first.get("column") if "column" in fc else None
        check = str(first.get("check"))
        bad = fc[fc["column"] == col] if col is not None else fc
        examples = ", ".join(map(str, bad["failure_case"].head(3).tolist()))
        raise DataError(source, f"schema:{check}",
                        f"fails check {check} on {len(bad)} row(s), e.g. {examples}",
                        column=None if col is None or pd.isna(col) else str(col)) from None
    for col in ("quantity", "unit_price", "amount"):
        bad = ~np.isfinite(df[col].to_numpy(dtype="float64"))
        if bad.any():
            raise DataError(source, "finite-number",
                            f"has {int(bad.sum())} value(s) that are not finite numbers (NaN or inf)",
                            column=col)
    return df
