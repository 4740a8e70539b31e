"""The contract customer table: which setting a run is in, the checked and typed table, churn by group.

Input: the prepared ``attributes`` table (``prep.read("attributes")``) with at least
``customer_id``, ``tenure`` (periods of the tenure unit, >= 0) and ``churned`` (yes/no),
optionally ``contract``, ``monthly_charges`` (currency per month), ``total_charges`` and any other
customer columns. Churn rates are 0..1.
"""
from __future__ import annotations

import pandas as pd

from helpers.errors import DataError
from helpers.models.contract_churn.units import MAX_TENURE_YEARS, check_unit, periods_per_year


FILE = "attributes"
REQUIRED = ("customer_id", "tenure", "churned")


_TRUE = {"yes", "y", "true", "t", "1", "churned", "evet"}
_FALSE = {"no", "n", "false", "f", "0", "retained", "hayir", "hayır"}


def setting(tables, attribute_columns=None) -> tuple[str, list[str] | None]:
    """Whether a run is in the contractual setting, and why.

    Parameters
    ----------
    tables : list of str
        ``prep.tables``, the prepared tables of the run.
    attribute_columns : list of str, optional
        The columns of the ``attributes`` table when it exists.

    Returns
    -------
    (str, list of str or None)
        ``"contractual"`` when an ``attributes`` table with ``churned`` and ``tenure``
        exists, else ``"non-contractual"``; and why: None when there is no ``attributes``
        table, else the required columns it lacks (empty when contractual).
        :func:`helpers.plots.contract_churn.setting_reason` says it in a sentence.
    """
    if "attributes" not in tables:
        return "non-contractual", None
    cols = set(attribute_columns or [])
    missing = [c for c in ("churned", "tenure") if c not in cols]
    return ("non-contractual" if missing else "contractual"), missing


def _as_bool(s: pd.Series, column: str, file: str = FILE) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        if s.isna().any():
            raise DataError(file, "label-missing", f"{int(s.isna().sum())} rows have no churn label", column=column)
        return s.astype(bool)
    text = s.astype("string").str.strip().str.lower()
    ok = text.isin(_TRUE | _FALSE)
    if not ok.all():
        bad = text[~ok]
        raise DataError(file, "label-values",
                        f"{len(bad)} rows are not a yes/no churn label (e.g. {bad.iloc[0]!r}); use True/False, "
                        "1/0 or Yes/No", column=column)
    return text.isin(_TRUE).astype(bool)


def contract_table(attrs: pd.DataFrame, unit: str = "month", *, file: str | None = None) -> pd.DataFrame:
    """The customer table checked and typed for the contract analysis.

    Parameters
    ----------
    attrs : pandas.DataFrame
        ``prep.read("attributes")``: ``customer_id``, ``tenure`` (whole periods of ``unit`` as
        a customer), ``churned`` and any other columns.
    unit : str
        The tenure unit (:func:`helpers.models.contract_churn.units.tenure_unit`): day, week, month, quarter or year.
    file : str, optional
        The file the table was read from, named in error messages (default ``attributes``).

    Returns
    -------
    pandas.DataFrame
        The same rows with ``tenure`` as float (in ``unit``), ``churned`` as bool, and
        ``monthly_charges`` / ``total_charges`` as float when present (blank totals, as a
        telecom export writes them for customers in their first month, become empty).

    Raises
    ------
    helpers.errors.DataError
        A required column is missing, ``customer_id`` repeats, a tenure is missing, not a
        number, negative or longer than :data:`MAX_TENURE_YEARS` years in ``unit`` (a sign
        that ``tables.attributes.tenure_unit`` is wrong), or a churn label is not yes/no; the
        message names the column and how many rows break the rule.
    """
    check_unit(unit)
    file = str(file or FILE)
    missing = [c for c in REQUIRED if c not in attrs.columns]
    if missing:
        raise DataError(file, "missing-column", f"the contract analysis needs {', '.join(missing)} "
                        f"(has: {', '.join(map(str, attrs.columns))})", column=missing[0])
    df = attrs.copy()
    dup = int(df["customer_id"].duplicated().sum())
    if dup:
        raise DataError(file, "unique-customer", f"{dup} customer ids appear more than once; one row per customer",
                        column="customer_id")
    tenure = pd.to_numeric(df["tenure"], errors="coerce")
    bad = int(tenure.isna().sum())
    if bad:
        raise DataError(file, "tenure-number", f"{bad} rows have no numeric tenure ({unit}s)", column="tenure")
    neg = int((tenure < 0).sum())
    if neg:
        raise DataError(file, "tenure-non-negative", f"{neg} rows have a negative tenure; {unit}s as a customer "
                        "must be >= 0", column="tenure")
    limit = MAX_TENURE_YEARS * periods_per_year(unit)
    long = int((tenure > limit).sum())
    if long:
        raise DataError(file, "tenure-plausible", f"{long} rows have a tenure above {limit:,.0f} {unit}s "
                        f"({MAX_TENURE_YEARS:.0f} years; longest {tenure.max():,.0f}): is "
                        f"tables.attributes.tenure_unit ({unit}) the unit of this column?", column="tenure")
    df["tenure"] = tenure.astype(float)
    df["churned"] = _as_bool(df["churned"], "churned", file)
    for c in ("monthly_charges", "total_charges"):
        if c in df.columns:
            df[c] = pd.to_numeric(df[c].astype("string").str.strip().replace("", pd.NA), errors="coerce").astype(float)
    return df.reset_index(drop=True)


def churn_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers, churners and churn rate (0..1) per value of ``column``, largest group first."""
    g = df.groupby(df[column].astype("string").fillna("(missing)"), observed=True)["churned"]
    out = pd.DataFrame({"customers": g.size(), "churned": g.sum().astype(int), "churn_rate": g.mean()})
    return out.rename_axis(column).reset_index().sort_values(["customers", column], ascending=[False, True],
                                                             ignore_index=True)
