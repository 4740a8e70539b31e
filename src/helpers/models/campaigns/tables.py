"""Campaign input tables: checks of the exposures and responses tables, purchase days per customer, loading a run.

The columns and the rules they must follow are described in :mod:`helpers.models.campaigns`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.errors import DataError

EXPOSURE_COLUMNS = ("customer_id", "campaign_id", "campaign_type", "start", "end", "channel")
RESPONSE_COLUMNS = ("customer_id", "campaign_id", "response_ts", "response_type", "value")
#: label of a missing campaign type or attribute value
NO_TYPE = "(none)"
MISSING = "(missing)"


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def need_columns(df: pd.DataFrame, columns, source: str) -> None:
    """Raise a :class:`~helpers.errors.DataError` naming ``source`` unless ``df`` is a table holding every one of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(source, "not-a-table", f"expected a table (pandas DataFrame), got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(source, "missing-column", f"lacks the column(s) {missing}; it has {list(df.columns)}",
                        column=missing[0])


def _no_nulls(df: pd.DataFrame, column: str, source: str) -> None:
    n = int(df[column].isna().sum())
    if n:
        raise DataError(source, "not-null", f"has {n} missing value(s); every row needs one", column=column)


def _timestamps(s: pd.Series, column: str, source: str) -> pd.Series:
    try:
        out = pd.to_datetime(s)
    except (ValueError, TypeError) as exc:
        raise DataError(source, "timestamp", f"has values that are not dates: {exc}", column=column) from None
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[us]")


def check_exposures(exposures: pd.DataFrame, source: str = "exposures") -> pd.DataFrame:
    """Validate and normalise the exposures table.

    Parameters
    ----------
    exposures : pandas.DataFrame
        customer_id, campaign_id, start, and optionally campaign_type, end, channel.
    source : str
        Name used in error messages (the file or table).

    Returns
    -------
    pandas.DataFrame
        The six :data:`EXPOSURE_COLUMNS`: ids as strings, ``start`` and ``end`` as naive
        timestamps (a missing ``end`` becomes ``start``), campaign_type and channel as strings
        (missing stays missing). Duplicate (customer, campaign) rows are kept once, with the
        earliest start and latest end.

    Raises
    ------
    DataError
        A required column is missing, ``customer_id``, ``campaign_id`` or ``start`` has nulls, a
        start is not a date, an ``end`` falls before its ``start``, or one campaign has two types.
    """
    need_columns(exposures, ("customer_id", "campaign_id", "start"), source)
    df = exposures.copy()
    for c in ("customer_id", "campaign_id", "start"):
        _no_nulls(df, c, source)
    for c in ("campaign_type", "end", "channel"):
        if c not in df.columns:
            df[c] = None
    df["customer_id"] = df["customer_id"].astype("string")
    df["campaign_id"] = df["campaign_id"].astype("string")
    df["start"] = _timestamps(df["start"], "start", source)
    df["end"] = _timestamps(df["end"], "end", source)
    df["end"] = df["end"].fillna(df["start"])
    bad = int((df["end"] < df["start"]).sum())
    if bad:
        raise DataError(source, "end-after-start", f"has {bad} row(s) whose end is before their start", column="end")
    df["campaign_type"] = df["campaign_type"].astype("string")
    df["channel"] = df["channel"].astype("string")
    types = df.dropna(subset=["campaign_type"]).groupby("campaign_id")["campaign_type"].nunique()
    if (types > 1).any():
        clash = types[types > 1].index[:3].tolist()
        raise DataError(source, "one-type-per-campaign",
                        f"{int((types > 1).sum())} campaign(s) have more than one campaign_type, e.g. {clash}",
                        column="campaign_type")
    df = (df.groupby(["customer_id", "campaign_id"], as_index=False, sort=True)
            .agg(campaign_type=("campaign_type", "first"), start=("start", "min"), end=("end", "max"),
                 channel=("channel", "first")))
    return df[list(EXPOSURE_COLUMNS)]


def check_responses(responses: pd.DataFrame, source: str = "responses") -> pd.DataFrame:
    """Validate and normalise the responses table.

    Returns
    -------
    pandas.DataFrame
        The five :data:`RESPONSE_COLUMNS`: ids as strings, ``response_ts`` a naive timestamp,
        ``response_type`` a string and ``value`` a float (missing stays missing).

    Raises
    ------
    DataError
        A required column is missing, ``customer_id``, ``campaign_id`` or ``response_ts`` has
        nulls, or ``response_ts`` or ``value`` cannot be read.
    """
    need_columns(responses, ("customer_id", "campaign_id", "response_ts"), source)
    df = responses.copy()
    for c in ("customer_id", "campaign_id", "response_ts"):
        _no_nulls(df, c, source)
    for c in ("response_type", "value"):
        if c not in df.columns:
            df[c] = None
    df["customer_id"] = df["customer_id"].astype("string")
    df["campaign_id"] = df["campaign_id"].astype("string")
    df["response_ts"] = _timestamps(df["response_ts"], "response_ts", source)
    df["response_type"] = df["response_type"].astype("string")
    try:
        df["value"] = pd.to_numeric(df["value"]).astype("float64")
    except (ValueError, TypeError):
        raise DataError(source, "number", "has values that are not numbers", column="value") from None
    return df[list(RESPONSE_COLUMNS)].reset_index(drop=True)


def customer_days(lines: pd.DataFrame, source: str = "lines_clean") -> pd.DataFrame:
    """Purchases per customer and calendar day, the unit every window question is asked on.

    Parameters
    ----------
    lines : pandas.DataFrame
        Clean lines with customer_id, invoice_ts and amount (currency); guests (null
        customer_id) are left out.

    Returns
    -------
    pandas.DataFrame
        customer_id (string), day (timestamp at midnight), revenue (sum of amounts, currency).
    """
    need_columns(lines, ("customer_id", "invoice_ts", "amount"), source)
    t = lines.loc[lines["customer_id"].notna(), ["customer_id", "invoice_ts", "amount"]]
    out = (t.assign(customer_id=t["customer_id"].astype("string"),
                    day=pd.to_datetime(t["invoice_ts"]).dt.normalize().astype("datetime64[us]"))
            .groupby(["customer_id", "day"], as_index=False, sort=True)["amount"].sum()
            .rename(columns={"amount": "revenue"}))
    return out


def days_in_window(days: pd.DataFrame, start, end) -> pd.DataFrame:
    """The rows of :func:`customer_days` dated from ``start`` to ``end`` (timestamps at midnight, both inclusive)."""
    return days[(days["day"] >= start) & (days["day"] <= end)]


# --------------------------------------------------------------------------------------
# A prepared run's tables
# --------------------------------------------------------------------------------------
@dataclass
class CampaignInputs:
    """The checked tables of a prepared run; ``exposures`` is None when the data has no campaigns."""

    exposures: pd.DataFrame | None
    responses: pd.DataFrame | None
    attributes: pd.DataFrame | None
    days: pd.DataFrame
    arms: pd.DataFrame | None = None          # a ``group`` column's arms, cleaned (:func:`~helpers.models.campaigns.arms.clean_arms`)
    arms_report: dict | None = None           # what the cleaning rule counted and removed

    @property
    def ready(self) -> bool:
        return self.exposures is not None and len(self.exposures) > 0

    @property
    def has_responses(self) -> bool:
        return self.ready and self.responses is not None


def load_inputs(prep) -> CampaignInputs:
    """Read and check the campaign tables of a prepared run (:class:`helpers.pipeline.Prepared`).

    Exposures are required for any campaign analysis, responses for the response and profile
    parts, attributes for the demographic profile (:func:`helpers.plots.campaigns.inputs_note` says what is
    missing). The lines are
    reduced to purchase days per customer (:func:`customer_days`). Exposures with a ``group``
    column: ``exposures`` keeps the treatment rows (reach and response are about the contacted
    customers), ``arms`` both arms after :func:`~helpers.models.campaigns.arms.clean_arms`.
    """
    tables = set(prep.tables)
    lines = prep.lines(columns=["customer_id", "invoice_ts", "amount"])
    days = customer_days(lines)
    raw = prep.read("exposures") if "exposures" in tables else None
    arms = report = None
    if raw is not None and "group" in raw.columns:
        from helpers.models.campaigns.arms import arm_of, clean_arms

        checked = check_exposures(raw, "exposures")
        arms, report = clean_arms(raw)
        arms = checked.merge(arms[["customer_id", "campaign_id", "group"]].astype({"customer_id": "string", "campaign_id": "string"}),
                             on=["customer_id", "campaign_id"])
        raw = raw[arm_of(raw["group"]).eq("treatment").fillna(False).to_numpy(bool)]
    ex = check_exposures(raw, "exposures") if raw is not None else None
    rs = check_responses(prep.read("responses"), "responses") if "responses" in tables else None
    at = prep.read("attributes") if "attributes" in tables else None
    return CampaignInputs(ex, rs, at, days, arms, report)

