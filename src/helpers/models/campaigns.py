"""Campaign reach and response (*erişim*, *kazanma*): who a campaign reached, who responded, what it changed.

Inputs are the optional prepared tables beside the sales lines (pandas frames):

=========  ==========================================================================================
exposures  customer_id, campaign_id, campaign_type (may be null), start, end (timestamps; end = start
           when the source has only a date), channel (may be null). One row per customer and campaign
           (repeated rows of the same pair count once).
responses  customer_id, campaign_id, response_ts, response_type (may be null), value (may be null).
lines      the clean sales lines: customer_id, invoice_ts, amount (currency), invoice (optional).
=========  ==========================================================================================

Definitions (every function below uses exactly these)
-----------------------------------------------------
* **Campaign window**: calendar days from the earliest ``start`` to the latest ``end`` of the
  campaign's exposures, both inclusive, plus ``extend_days`` after the end (for campaigns whose
  exposures carry only a send date). A purchase is *in the window* when its invoice date is in it.
  With ``end_inclusive=False`` the ``end`` is read as the first day *after* the window (the
  synthetic generator's convention, see :func:`end_inclusive_for`).
* **Reached** (*erişim*): distinct customers with an exposure row for the campaign.
* **Responder**: a reached customer with at least one response to that campaign. Responses by
  customers the campaign did not reach are counted apart (``unreached_responders``); responses
  dated outside the window still count (``responders_outside_window`` says how many).
* **Response rate** = responders / reached, with a Wilson score interval.
* **Days to respond**: first response of the customer minus the customer's own exposure start
  (days, fractional).
* **Responder revenue in the window**: the responders' line amounts dated in the window (currency).
* **Repeat** (funnel): a customer who bought again in the ``repeat_days`` days after the window
  end; known only when window end + ``repeat_days`` is on or before the analysis date.
* **Eligible** (targeted vs not targeted): a customer with a purchase before the window start
  (within ``lookback_days`` of it, when given). The comparison is between eligible customers the
  campaign reached and eligible customers it did not, on the share buying in the window and the
  revenue per customer in the window. Unless targeting was randomised this is an
  **observational difference**, not the campaign's causal uplift: targeted customers are usually
  chosen because they buy more.

Statistics come from scipy: Wilson intervals (:meth:`scipy.stats.binomtest.proportion_ci`),
Newcombe's hybrid score interval for a difference of proportions (method 10 of Newcombe 1998,
built from the two Wilson intervals), the Wald interval and its standard error, the chi-square
test of a 2 x k table (:func:`scipy.stats.chi2_contingency`) and Welch's t interval for the
difference in revenue per customer (:func:`scipy.stats.ttest_ind`).

References
----------
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers import i18n
from helpers.errors import DataError

EXPOSURE_COLUMNS = ("customer_id", "campaign_id", "campaign_type", "start", "end", "channel")
RESPONSE_COLUMNS = ("customer_id", "campaign_id", "response_ts", "response_type", "value")
#: label of a missing campaign type or attribute value
NO_TYPE = "(none)"
MISSING = "(missing)"


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _need(df: pd.DataFrame, columns, source: str) -> None:
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
    _need(exposures, ("customer_id", "campaign_id", "start"), source)
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
    _need(responses, ("customer_id", "campaign_id", "response_ts"), source)
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
    _need(lines, ("customer_id", "invoice_ts", "amount"), source)
    t = lines.loc[lines["customer_id"].notna(), ["customer_id", "invoice_ts", "amount"]]
    out = (t.assign(customer_id=t["customer_id"].astype("string"),
                    day=pd.to_datetime(t["invoice_ts"]).dt.normalize().astype("datetime64[us]"))
            .groupby(["customer_id", "day"], as_index=False, sort=True)["amount"].sum()
            .rename(columns={"amount": "revenue"}))
    return out


# --------------------------------------------------------------------------------------
# Statistics (thin layers over scipy)
# --------------------------------------------------------------------------------------
def wilson_ci(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy); (nan, nan) when there are no trials."""
    if trials <= 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


@dataclass(frozen=True)
class DiffCI:
    """A difference of two proportions p1 - p2 with its intervals and test."""

    diff: float
    low: float            # Newcombe hybrid score interval
    high: float
    se: float             # Wald standard error sqrt(p1 q1 / n1 + p2 q2 / n2)
    wald_low: float
    wald_high: float
    p_value: float        # chi-square test of the 2 x 2 table (no continuity correction)


def diff_proportions(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> DiffCI:
    """p1 - p2 = x1/n1 - x2/n2 with Newcombe's hybrid score interval, the Wald interval and a p-value.

    Newcombe (1998, method 10) combines the Wilson intervals (l1, u1) and (l2, u2) of the two
    proportions: low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    It keeps its coverage near the nominal level for small counts and proportions near 0 or 1,
    where the Wald interval d +/- z se fails. The p-value is the chi-square test of independence
    of the 2 x 2 table (equal to the pooled two-proportion z-test); nan when a margin is zero.

    Examples
    --------
    Newcombe's (1998) worked example, 56/70 vs 48/80: d = 0.2, 95 % interval 0.0524 .. 0.3339.

    >>> r = diff_proportions(56, 70, 48, 80)
    >>> round(r.low, 4), round(r.high, 4)
    (0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        nan = math.nan
        return DiffCI(nan, nan, nan, nan, nan, nan, nan)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    l1, u1 = wilson_ci(x1, n1, confidence)
    l2, u2 = wilson_ci(x2, n2, confidence)
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = stats.norm.ppf(0.5 + confidence / 2)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    if (table.sum(axis=0) == 0).any():
        p = math.nan
    else:
        p = float(stats.chi2_contingency(table, correction=False).pvalue)
    return DiffCI(d, low, high, se, d - z * se, d + z * se, p)


# --------------------------------------------------------------------------------------
# Campaigns, reach and response
# --------------------------------------------------------------------------------------
def end_inclusive_for(truth: dict | None) -> bool:
    """How to read ``end`` for a data set: False when the synthetic truth says its ends are exclusive, else True."""
    camps = (truth or {}).get("campaigns") or []
    first = camps[0] if isinstance(camps, list) and camps else {}
    return not (isinstance(first, dict) and "end_exclusive" in first)


def campaign_windows(exposures: pd.DataFrame, *, extend_days: int = 0, end_inclusive: bool = True) -> pd.DataFrame:
    """One row per campaign: its type, window and reach.

    Parameters
    ----------
    exposures : pandas.DataFrame
        Output of :func:`check_exposures`.
    extend_days : int
        Days added after the last ``end`` (0: the window ends on the last end date).
    end_inclusive : bool
        True (the canonical reading): ``end`` is the window's last day. False: ``end`` is the
        first day after the window (an exclusive end, as the synthetic generator writes it);
        the window then ends the day before (but never before its start).

    Returns
    -------
    pandas.DataFrame
        campaign_id, campaign_type (:data:`NO_TYPE` when missing), window_start and window_end
        (dates at midnight, both inclusive), window_days, reached (distinct customers),
        channels (comma-separated, or empty). Sorted by window_start, then campaign_id.
    """
    if extend_days < 0:
        raise ValueError(f"extend_days must be >= 0, got {extend_days}")
    g = exposures.groupby("campaign_id", sort=True)
    out = pd.DataFrame({
        "campaign_type": g["campaign_type"].first().fillna(NO_TYPE).astype("string"),
        "window_start": g["start"].min().dt.normalize(),
        "window_end": g["end"].max().dt.normalize() + pd.Timedelta(days=extend_days - (0 if end_inclusive else 1)),
        "reached": g["customer_id"].nunique().astype("int64"),
        "channels": g["channel"].agg(lambda s: ", ".join(sorted(s.dropna().astype(str).unique()))),
    }).reset_index()
    out["window_end"] = out[["window_start", "window_end"]].max(axis=1)
    out["window_days"] = ((out["window_end"] - out["window_start"]).dt.days + 1).astype("int64")
    cols = ["campaign_id", "campaign_type", "window_start", "window_end", "window_days", "reached", "channels"]
    return out[cols].sort_values(["window_start", "campaign_id"], ignore_index=True)


def response_pairs(exposures: pd.DataFrame, responses: pd.DataFrame | None, windows: pd.DataFrame) -> pd.DataFrame:
    """One row per reached (customer, campaign): did the customer respond, when, how fast.

    Returns
    -------
    pandas.DataFrame
        customer_id, campaign_id, campaign_type, start (the customer's exposure start),
        responded (bool; missing when there are no responses at all), responses (count),
        first_response (timestamp), days_to_respond (float days from the exposure start),
        response_in_window (bool: first response dated within the campaign window),
        response_value (sum of ``value``).
    """
    pairs = exposures[["customer_id", "campaign_id", "start"]].merge(
        windows[["campaign_id", "campaign_type", "window_start", "window_end"]], on="campaign_id", how="left")
    if responses is None:
        pairs["responded"] = pd.array([pd.NA] * len(pairs), dtype="boolean")
        for c in ("responses", "first_response", "days_to_respond", "response_in_window", "response_value"):
            pairs[c] = pd.NA
        return pairs.drop(columns=["window_start", "window_end"])
    r = (responses.groupby(["customer_id", "campaign_id"], as_index=False)
         .agg(responses=("response_ts", "size"), first_response=("response_ts", "min"),
              response_value=("value", "sum")))
    pairs = pairs.merge(r, on=["customer_id", "campaign_id"], how="left")
    pairs["responded"] = pairs["responses"].notna()
    pairs["responses"] = pairs["responses"].fillna(0).astype("int64")
    pairs["days_to_respond"] = (pairs["first_response"] - pairs["start"]) / pd.Timedelta(days=1)
    day = pairs["first_response"].dt.normalize()
    pairs["response_in_window"] = pairs["responded"] & (day >= pairs["window_start"]) & (day <= pairs["window_end"])
    pairs.loc[~pairs["responded"], "response_value"] = np.nan
    return pairs.drop(columns=["window_start", "window_end"])


def _in_window(days: pd.DataFrame, start, end) -> pd.DataFrame:
    return days[(days["day"] >= start) & (days["day"] <= end)]


def campaign_summary(exposures: pd.DataFrame, responses: pd.DataFrame | None, days: pd.DataFrame, *,
                     extend_days: int = 0, end_inclusive: bool = True, confidence: float = 0.95) -> pd.DataFrame:
    """Per campaign: reach, responders, response rate, time to respond and responder revenue in the window.

    Parameters
    ----------
    exposures, responses : pandas.DataFrame
        Outputs of :func:`check_exposures` and :func:`check_responses` (responses may be None:
        then only the reach columns are filled).
    days : pandas.DataFrame
        :func:`customer_days` of the clean lines.
    extend_days, end_inclusive
        See :func:`campaign_windows`.
    confidence : float
        Level of the Wilson interval of the response rate.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`campaign_windows` plus: responders, response_rate (0..1),
        rate_low, rate_high, median_days_to_respond (days), responders_outside_window,
        unreached_responders (customers who responded without an exposure),
        reached_buyers_in_window (reached customers with a purchase in the window),
        responder_revenue (responders' revenue in the window, currency) and
        responder_revenue_per_responder (currency).
    """
    windows = campaign_windows(exposures, extend_days=extend_days, end_inclusive=end_inclusive)
    pairs = response_pairs(exposures, responses, windows)
    rows = []
    for w in windows.itertuples(index=False):
        p = pairs[pairs["campaign_id"] == w.campaign_id]
        inside = _in_window(days, w.window_start, w.window_end)
        spend = inside.groupby("customer_id")["revenue"].sum()
        row = {"campaign_id": w.campaign_id,
               "reached_buyers_in_window": int(p["customer_id"].isin(spend.index).sum())}
        if responses is not None:
            resp = p[p["responded"]]
            lo, hi = wilson_ci(len(resp), len(p), confidence)
            who = set(responses.loc[responses["campaign_id"] == w.campaign_id, "customer_id"])
            revenue = float(spend.reindex(resp["customer_id"]).fillna(0.0).sum())
            row.update(responders=len(resp), response_rate=len(resp) / len(p) if len(p) else math.nan,
                       rate_low=lo, rate_high=hi,
                       median_days_to_respond=float(resp["days_to_respond"].median()) if len(resp) else math.nan,
                       responders_outside_window=int((~resp["response_in_window"].astype(bool)).sum()),
                       unreached_responders=len(who - set(p["customer_id"])),
                       responder_revenue=revenue,
                       responder_revenue_per_responder=revenue / len(resp) if len(resp) else math.nan)
        rows.append(row)
    return windows.merge(pd.DataFrame(rows), on="campaign_id", how="left")


def type_summary(summary: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Campaign types pooled: reach (customer-campaign pairs) and response rate with its Wilson interval.

    Returns
    -------
    pandas.DataFrame
        campaign_type, campaigns, reached (pairs), and when responses exist: responders,
        response_rate, rate_low, rate_high, responder_revenue (currency). Sorted by
        response rate (highest first) when there is one, else by reach.
    """
    agg = {"campaigns": ("campaign_id", "nunique"), "reached": ("reached", "sum")}
    has_resp = "responders" in summary.columns
    if has_resp:
        agg |= {"responders": ("responders", "sum"), "responder_revenue": ("responder_revenue", "sum")}
    out = summary.groupby("campaign_type", as_index=False, sort=True).agg(**agg)
    if has_resp:
        out["response_rate"] = out["responders"] / out["reached"]
        ci = [wilson_ci(x, n, confidence) for x, n in zip(out["responders"], out["reached"])]
        out["rate_low"] = [c[0] for c in ci]
        out["rate_high"] = [c[1] for c in ci]
        out = out[["campaign_type", "campaigns", "reached", "responders", "response_rate", "rate_low", "rate_high",
                   "responder_revenue"]]
        return out.sort_values(["response_rate", "campaign_type"], ascending=[False, True], ignore_index=True)
    return out.sort_values(["reached", "campaign_type"], ascending=[False, True], ignore_index=True)


def funnel(pairs: pd.DataFrame, windows: pd.DataFrame, days: pd.DataFrame, *, repeat_days: int,
           analysis_date: dt.date) -> pd.DataFrame:
    """Reach -> response -> repeat, per campaign, with the repeat rate of non-responders beside it.

    A pair is **repeat** when the customer has a purchase in the ``repeat_days`` days after the
    window end (window_end + 1 .. window_end + repeat_days). Campaigns whose follow-up is not over
    on ``analysis_date`` have ``follow_up_complete`` False and missing repeat counts.

    Returns
    -------
    pandas.DataFrame
        campaign_id, campaign_type, reached, responded, repeat (responders who bought again),
        non_responder_repeat (non-responders who bought again), response_rate (responded /
        reached), repeat_rate (repeat / responded), non_responder_repeat_rate, follow_up_complete.
    """
    if repeat_days <= 0:
        raise ValueError(f"repeat_days must be > 0, got {repeat_days}")
    end = pd.Timestamp(analysis_date)
    rows = []
    for w in windows.itertuples(index=False):
        p = pairs[pairs["campaign_id"] == w.campaign_id]
        resp = p["responded"].fillna(False).astype(bool)
        done = w.window_end + pd.Timedelta(days=repeat_days) <= end
        row = {"campaign_id": w.campaign_id, "campaign_type": w.campaign_type, "reached": len(p),
               "responded": int(resp.sum()), "follow_up_complete": bool(done)}
        if done:
            after = days[(days["day"] > w.window_end) & (days["day"] <= w.window_end + pd.Timedelta(days=repeat_days))]
            again = p["customer_id"].isin(set(after["customer_id"]))
            row["repeat"] = int((again & resp).sum())
            row["non_responder_repeat"] = int((again & ~resp).sum())
        rows.append(row)
    out = pd.DataFrame(rows, columns=["campaign_id", "campaign_type", "reached", "responded", "repeat",
                                      "non_responder_repeat", "follow_up_complete"])
    out["repeat"] = out["repeat"].astype("Int64")
    out["non_responder_repeat"] = out["non_responder_repeat"].astype("Int64")
    out["response_rate"] = out["responded"] / out["reached"].where(out["reached"] > 0)
    out["repeat_rate"] = (out["repeat"] / out["responded"].where(out["responded"] > 0)).astype("Float64")
    nonresp = out["reached"] - out["responded"]
    out["non_responder_repeat_rate"] = (out["non_responder_repeat"] / nonresp.where(nonresp > 0)).astype("Float64")
    return out


def funnel_total(f: pd.DataFrame) -> pd.DataFrame:
    """The funnel summed over campaigns whose follow-up is complete: step, pairs, share of reached, of previous."""
    done = f[f["follow_up_complete"]]
    counts = [int(done["reached"].sum()), int(done["responded"].sum()), int(done["repeat"].sum())]
    out = pd.DataFrame({"step": ["reached", "responded", "repeat"], "pairs": counts})
    out["share_of_reached"] = out["pairs"] / counts[0] if counts[0] else math.nan
    prev = pd.Series([counts[0], counts[0], counts[1]], dtype="float64")
    out["share_of_previous"] = out["pairs"] / prev.where(prev > 0)
    return out


# --------------------------------------------------------------------------------------
# Targeted vs not targeted
# --------------------------------------------------------------------------------------
def targeting_comparison(exposures: pd.DataFrame, days: pd.DataFrame, *, extend_days: int = 0,
                         end_inclusive: bool = True, lookback_days: int | None = None,
                         exclude_other_campaigns: bool = False, confidence: float = 0.95) -> pd.DataFrame:
    """Eligible customers the campaign reached vs those it did not: buying and revenue in the window.

    Parameters
    ----------
    exposures : pandas.DataFrame
        Output of :func:`check_exposures`.
    days : pandas.DataFrame
        :func:`customer_days` of the clean lines.
    extend_days, end_inclusive
        See :func:`campaign_windows`.
    lookback_days : int, optional
        Eligible = a purchase in the ``lookback_days`` days before the window start; None: any
        purchase before the window start.
    exclude_other_campaigns : bool
        Leave out of the not-targeted group the customers reached by another campaign whose
        window overlaps this one (a cleaner control when campaigns overlap, but a smaller one).
    confidence : float
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per campaign: campaign_id, campaign_type, window_start, window_end, eligible,
        targeted and not_targeted (eligible customers in each group), reached_not_eligible
        (reached customers without a purchase before the window, left out), targeted_buyers,
        not_targeted_buyers, share_targeted, share_not_targeted (0..1, share buying in the
        window), difference (share_targeted - share_not_targeted), diff_low, diff_high
        (Newcombe), se (Wald), p_value (chi-square), revenue_targeted, revenue_not_targeted
        (mean revenue per customer in the window, currency, 0 for non-buyers), revenue_difference,
        revenue_low, revenue_high (Welch t interval).
    """
    windows = campaign_windows(exposures, extend_days=extend_days, end_inclusive=end_inclusive)
    rows = []
    for w in windows.itertuples(index=False):
        before = days[days["day"] < w.window_start]
        if lookback_days is not None:
            before = before[before["day"] >= w.window_start - pd.Timedelta(days=lookback_days)]
        eligible = pd.Index(before["customer_id"].unique())
        reached = set(exposures.loc[exposures["campaign_id"] == w.campaign_id, "customer_id"])
        is_target = eligible.isin(list(reached))
        control = eligible[~is_target]
        if exclude_other_campaigns:
            overlap = windows[(windows["campaign_id"] != w.campaign_id) & (windows["window_start"] <= w.window_end)
                              & (windows["window_end"] >= w.window_start)]["campaign_id"]
            others = set(exposures.loc[exposures["campaign_id"].isin(overlap), "customer_id"])
            control = control[~control.isin(list(others))]
        target = eligible[is_target]
        spend = _in_window(days, w.window_start, w.window_end).groupby("customer_id")["revenue"].sum()
        rt = spend.reindex(target).fillna(0.0).to_numpy()
        rc = spend.reindex(control).fillna(0.0).to_numpy()
        x1, n1 = int(target.isin(spend.index).sum()), len(target)
        x2, n2 = int(control.isin(spend.index).sum()), len(control)
        d = diff_proportions(x1, n1, x2, n2, confidence)
        if n1 >= 2 and n2 >= 2 and (rt.std() > 0 or rc.std() > 0):
            tt = stats.ttest_ind(rt, rc, equal_var=False)
            rci = tt.confidence_interval(confidence_level=confidence)
            r_lo, r_hi = float(rci.low), float(rci.high)
        else:
            r_lo = r_hi = math.nan
        rows.append({
            "campaign_id": w.campaign_id, "campaign_type": w.campaign_type,
            "window_start": w.window_start, "window_end": w.window_end,
            "eligible": len(eligible), "targeted": n1, "not_targeted": n2,
            "reached_not_eligible": len(reached) - n1,
            "targeted_buyers": x1, "not_targeted_buyers": x2,
            "share_targeted": x1 / n1 if n1 else math.nan, "share_not_targeted": x2 / n2 if n2 else math.nan,
            "difference": d.diff, "diff_low": d.low, "diff_high": d.high, "se": d.se, "p_value": d.p_value,
            "revenue_targeted": float(rt.mean()) if n1 else math.nan,
            "revenue_not_targeted": float(rc.mean()) if n2 else math.nan,
            "revenue_difference": (float(rt.mean() - rc.mean()) if n1 and n2 else math.nan),
            "revenue_low": r_lo, "revenue_high": r_hi,
        })
    cols = ["campaign_id", "campaign_type", "window_start", "window_end", "eligible", "targeted", "not_targeted",
            "reached_not_eligible", "targeted_buyers", "not_targeted_buyers", "share_targeted", "share_not_targeted",
            "difference", "diff_low", "diff_high", "se", "p_value", "revenue_targeted", "revenue_not_targeted",
            "revenue_difference", "revenue_low", "revenue_high"]
    return pd.DataFrame(rows, columns=cols)


def pooled_difference(comparison: pd.DataFrame, confidence: float = 0.95) -> dict:
    """All campaigns together: the targeted-minus-not difference of the pooled customer-campaign pairs.

    A customer eligible for several campaigns counts once per campaign, so the pairs are not
    independent and the interval is somewhat too narrow; it is a summary, per-campaign rows are
    the inference.
    """
    x1, n1 = int(comparison["targeted_buyers"].sum()), int(comparison["targeted"].sum())
    x2, n2 = int(comparison["not_targeted_buyers"].sum()), int(comparison["not_targeted"].sum())
    d = diff_proportions(x1, n1, x2, n2, confidence)
    return {"targeted": n1, "not_targeted": n2, "share_targeted": x1 / n1 if n1 else math.nan,
            "share_not_targeted": x2 / n2 if n2 else math.nan, "difference": d.diff, "low": d.low, "high": d.high}


def family_z(campaigns: int, family_error: float = 0.01) -> float:
    """z such that K two-sided checks at |error| <= z se all pass with probability >= 1 - family_error (Bonferroni).

    Never below 3 (the usual "3 standard errors").
    """
    k = max(int(campaigns), 1)
    return max(3.0, float(stats.norm.ppf(1 - family_error / (2 * k))))


def _truth_frame(truth_campaigns) -> pd.DataFrame:
    t = truth_campaigns
    if isinstance(t, dict) and "campaign_id" not in t:
        t = pd.DataFrame([{"campaign_id": k, **(v if isinstance(v, dict) else {"uplift": v})} for k, v in t.items()])
    t = pd.DataFrame(t).copy()
    if "campaign_id" not in t.columns:
        raise DataError("synthetic truth", "missing-column", "the campaigns truth has no campaign_id",
                        column="campaign_id")
    t["campaign_id"] = t["campaign_id"].astype("string")
    return t


def _pick(t: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in t.columns), None)


def truth_check(comparison: pd.DataFrame, truth_campaigns, *, summary: pd.DataFrame | None = None,
                family_error: float = 0.01) -> pd.DataFrame:
    """Compare each campaign's estimated uplift (and response rate) with the generator's planted values.

    The tolerance is z x the Wald standard error of the estimate, with z from :func:`family_z`:
    the estimate differs from the true probability difference only by sampling error, whose
    standard error is ``se``; z = max(3, the Bonferroni z) keeps the chance that *any* of the K
    campaigns fails by bad luck below ``family_error`` (1 %), so a fail points at a real bias.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`targeting_comparison`.
    truth_campaigns : DataFrame, list of dicts, or dict keyed by campaign_id
        One entry per campaign with ``campaign_id`` and the planted ``uplift`` (also read:
        ``true_uplift``) and optionally ``response_rate``.
    summary : pandas.DataFrame, optional
        :func:`campaign_summary`, to check the response rate too.

    Returns
    -------
    pandas.DataFrame
        campaign_id, true_uplift, estimated_uplift, se, tolerance, uplift_error, uplift_ok and,
        when both sides have it, true_response_rate, estimated_response_rate, rate_tolerance,
        rate_ok.
    """
    t = _truth_frame(truth_campaigns)
    col = _pick(t, ("uplift", "true_uplift"))
    if col is None:
        raise DataError("synthetic truth", "missing-column", f"the campaigns truth has no uplift column; it has "
                        f"{list(t.columns)}", column="uplift")
    z = family_z(len(t), family_error)
    m = comparison[["campaign_id", "difference", "se", "targeted", "not_targeted"]].merge(
        t[["campaign_id", col]].rename(columns={col: "true_uplift"}), on="campaign_id", how="inner")
    out = pd.DataFrame({"campaign_id": m["campaign_id"], "true_uplift": m["true_uplift"].astype(float),
                        "estimated_uplift": m["difference"], "se": m["se"]})
    out["tolerance"] = z * out["se"]
    out["uplift_error"] = out["estimated_uplift"] - out["true_uplift"]
    out["uplift_ok"] = out["uplift_error"].abs() <= out["tolerance"]
    rate = _pick(t, ("response_rate", "true_response_rate"))
    if summary is not None and rate is not None and "response_rate" in summary.columns:
        s = summary[["campaign_id", "response_rate", "reached"]].merge(
            t[["campaign_id", rate]].rename(columns={rate: "true_response_rate"}), on="campaign_id")
        se = np.sqrt(s["true_response_rate"] * (1 - s["true_response_rate"]) / s["reached"])
        s["rate_tolerance"] = z * se
        s["rate_ok"] = (s["response_rate"] - s["true_response_rate"]).abs() <= s["rate_tolerance"]
        out = out.merge(s.rename(columns={"response_rate": "estimated_response_rate"})
                        [["campaign_id", "true_response_rate", "estimated_response_rate", "rate_tolerance", "rate_ok"]],
                        on="campaign_id", how="left")
    out.attrs["z"] = z
    return out


# --------------------------------------------------------------------------------------
# Who responds: profiles
# --------------------------------------------------------------------------------------
def customer_flags(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per reached customer: campaigns_reached, campaigns_responded, campaign_responder (responded to any)."""
    resp = pairs["responded"].fillna(False).astype(bool)
    g = pairs.assign(_r=resp).groupby("customer_id", as_index=False, sort=True)
    out = g.agg(campaigns_reached=("campaign_id", "nunique"), campaigns_responded=("_r", "sum"))
    out["campaigns_responded"] = out["campaigns_responded"].astype("int64")
    out["campaign_responder"] = out["campaigns_responded"] > 0
    return out


def spend_tier(rfm: pd.DataFrame, labels=("low", "mid", "high")) -> pd.DataFrame:
    """A simple value tier: terciles of total revenue (``monetary``) over all customers.

    The stand-in for the CLV tier (:func:`helpers.models.clv.value_tier_table`) when no CLV model can be fitted.
    Returns customer_id and spend_tier (ordered categorical of ``labels``).
    """
    _need(rfm, ("customer_id", "monetary"), "customers_rfm")
    ranks = rfm["monetary"].rank(method="first")
    tier = pd.qcut(ranks, len(labels), labels=list(labels)) if len(rfm) >= len(labels) else \
        pd.Categorical([labels[0]] * len(rfm), categories=list(labels), ordered=True)
    return pd.DataFrame({"customer_id": rfm["customer_id"].astype("string"), "spend_tier": tier})


def _ordered_tiers(s: pd.Series, language: str) -> pd.Categorical:
    """Tier labels as an ordered categorical, best tier first (the order of clv.value_tiers), named in ``language``."""
    from helpers.models import clv

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories]
    else:
        known = clv.tier_labels()
        present = [v for v in s.dropna().astype(str).unique()]
        cats = [c for c in known if c in present] + sorted(v for v in present if v not in known)
    values = s.astype("object").where(s.notna(), None).map(lambda v: None if v is None else str(v))
    cats = [str(c) for c in cats]
    if language != "en":
        names = {c: i18n.translate_phrases(c, "tierw_", language) for c in cats}
        values, cats = values.map(lambda v: names.get(v, v) if v is not None else None), [names[c] for c in cats]
    return pd.Categorical(values, categories=cats, ordered=True)


def _as_categories(s: pd.Series, max_levels: int = 12, missing: str = MISSING) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if s.nunique() > max_levels:
            return pd.qcut(s, 4, duplicates="drop").astype("string").fillna(missing)
        whole = s.dropna()
        if len(whole) and (whole == whole.round()).all():   # 2.0 -> "2"
            return s.astype("Int64").astype("string").fillna(missing)
    return s.astype("string").fillna(missing)


#: value orders recognised in attribute columns (others: by leading number, then alphabetically)
_KNOWN_ORDERS = (("low", "lower", "middle", "mid", "medium", "upper", "high", "higher"),)


def _value_order(values) -> list:
    """Attribute values in a readable order: known words (low < middle < high), else by leading number, else A-Z."""
    import re

    vals = list(values)
    for known in _KNOWN_ORDERS:
        low = [str(v).lower() for v in vals]
        if all(v in known for v in low if v):
            return [v for _, v in sorted(zip((known.index(x) if x in known else 99 for x in low), vals))]

    def key(v):
        m = re.match(r"\s*[<>]?\s*(\d+(?:[.,]\d+)?)", str(v))
        return (0, float(m.group(1).replace(",", ".")), str(v)) if m else (1, 0.0, str(v))
    return sorted(vals, key=key)


def responder_profile(flags: pd.DataFrame, groups: pd.DataFrame, *, alpha: float = 0.05,
                      max_levels: int = 12, missing_label: str = MISSING) -> pd.DataFrame:
    """Responders vs non-responders across the values of each grouping column, with a chi-square test.

    Parameters
    ----------
    flags : pandas.DataFrame
        :func:`customer_flags` (reached customers with ``campaign_responder``).
    groups : pandas.DataFrame
        customer_id plus one column per grouping (RFM segment, spend tier, region, age band,
        ...). Reached customers missing from ``groups`` (or with a null value) get
        ``missing_label`` (default :data:`MISSING`). Numeric columns
        with more than ``max_levels`` values are cut into quartiles.
    alpha : float
        Family significance level; each of the m groupings is tested at alpha / m (Bonferroni).

    Returns
    -------
    pandas.DataFrame
        Long table, one row per grouping and value: variable, value, responders,
        non_responders, share_of_responders and share_of_non_responders (column shares, 0..1),
        response_rate (responders / customers with that value), p_value and significant (of
        the grouping's chi-square test of independence; the same on every row of a grouping),
        min_expected (smallest expected count: below 5 the test is approximate) and
        customers_tested. The test leaves out the customers without a value (``missing_label``):
        whether a value is known (e.g. who filled in a survey) would otherwise dominate it; their
        row is still shown.
    """
    _need(groups, ("customer_id",), "groups")
    variables = [c for c in groups.columns if c != "customer_id"]
    g = groups.assign(customer_id=groups["customer_id"].astype("string")).drop_duplicates("customer_id")
    base = flags[["customer_id", "campaign_responder"]].merge(g, on="customer_id", how="left")
    level = alpha / max(len(variables), 1)
    parts = []
    for var in variables:
        values = _as_categories(base[var], max_levels, missing_label)
        tab = pd.crosstab(values, base["campaign_responder"]).reindex(columns=[True, False], fill_value=0)
        if isinstance(base[var].dtype, pd.CategoricalDtype):
            order = [str(c) for c in base[var].cat.categories if str(c) in tab.index]
        else:
            order = _value_order([i for i in tab.index if i != missing_label])
        tab = tab.reindex(order + [i for i in tab.index if i not in order])
        p, min_exp = math.nan, math.nan
        keep = tab[(tab.sum(axis=1) > 0) & (tab.index != missing_label)]
        if keep.shape[0] >= 2 and (keep.sum(axis=0) > 0).all():
            res = stats.chi2_contingency(keep.to_numpy(), correction=False)
            p, min_exp = float(res.pvalue), float(res.expected_freq.min())
        part = pd.DataFrame({
            "variable": var, "value": tab.index.astype(str),
            "responders": tab[True].to_numpy(), "non_responders": tab[False].to_numpy()})
        part["share_of_responders"] = part["responders"] / max(int(tab[True].sum()), 1)
        part["share_of_non_responders"] = part["non_responders"] / max(int(tab[False].sum()), 1)
        part["response_rate"] = part["responders"] / (part["responders"] + part["non_responders"])
        part["p_value"] = p
        part["customers_tested"] = int(keep.to_numpy().sum())
        part["significant"] = bool(p < level) if not math.isnan(p) else False
        part["min_expected"] = min_exp
        parts.append(part)
    cols = ["variable", "value", "responders", "non_responders", "share_of_responders", "share_of_non_responders",
            "response_rate", "p_value", "significant", "min_expected", "customers_tested"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.attrs["level"] = level
    return out[cols]


def profile_groups(rfm: pd.DataFrame | None, attributes: pd.DataFrame | None = None, *,
                   tier_labels=("low", "mid", "high"), segment_language: str = "en",
                   clv_tiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The groupings responders are profiled by: RFM segment, CLV tier (else spend tier), and every attribute column.

    Parameters
    ----------
    rfm : pandas.DataFrame, optional
        The prepared ``customers_rfm`` table (:func:`helpers.features.customers.rfm_table` at the
        analysis date). Its segment uses the rules of 03_segmentation
        (:func:`helpers.models.segments.rfm_scores`); the spend tier is :func:`spend_tier`.
    attributes : pandas.DataFrame, optional
        customer_id plus demographic columns (region, age_band, ...).
    tier_labels : tuple of str
        Names of the three spend tiers, lowest first.
    segment_language : str
        ``"tr"`` shows the Turkish segment names of :data:`helpers.models.segments.SEGMENTS`
        and the Turkish names of the CLV tiers (glossary ``tierw_*``, as notebook 04 shows them).
    clv_tiers : pandas.DataFrame, optional
        customer_id and clv_tier (e.g. :func:`helpers.models.clv.value_tier_table`). When given and non-empty, the
        grouping ``clv_tier`` (ordered best tier first) replaces ``spend_tier``; customers
        without a tier are left missing. When None or empty, ``spend_tier`` is used.

    Returns
    -------
    pandas.DataFrame
        customer_id, rfm_segment and clv_tier or spend_tier (ordered categoricals; the segment
        and spend tier when ``rfm`` is given), then the attribute columns.
    """
    from helpers.models import segments

    use_clv = clv_tiers is not None and len(clv_tiers) > 0
    if use_clv:
        _need(clv_tiers, ("customer_id", "clv_tier"), "clv_tiers")
        use_clv = bool(clv_tiers["clv_tier"].notna().any())
    out = None
    if rfm is not None and len(rfm):
        scored = segments.rfm_scores(rfm)
        seg = scored["segment"]
        if segment_language == "tr":
            names = dict(zip(segments.SEGMENTS["segment"], segments.SEGMENTS["turkish"]))
            seg = pd.Categorical(seg.map(names), categories=[names[s] for s in segments.SEGMENT_ORDER], ordered=True)
        out = pd.DataFrame({"customer_id": scored["customer_id"].astype("string"), "rfm_segment": seg})
        if not use_clv:
            out = out.merge(spend_tier(rfm, tier_labels), on="customer_id", how="left")
    if use_clv:
        ct = clv_tiers.assign(customer_id=clv_tiers["customer_id"].astype("string")).drop_duplicates("customer_id")
        tiers = pd.DataFrame({"customer_id": ct["customer_id"].to_numpy(),
                              "clv_tier": _ordered_tiers(ct["clv_tier"].reset_index(drop=True), segment_language)})
        out = tiers if out is None else out.merge(tiers, on="customer_id", how="left")
    if attributes is not None and len(attributes):
        _need(attributes, ("customer_id",), "attributes")
        attrs = attributes.assign(customer_id=attributes["customer_id"].astype("string")).drop_duplicates("customer_id")
        out = attrs if out is None else out.merge(attrs, on="customer_id", how="outer")
    return out if out is not None else pd.DataFrame({"customer_id": pd.Series(dtype="string")})


@dataclass
class CampaignInputs:
    """The checked tables of a prepared run; ``exposures`` is None when the data has no campaigns."""

    exposures: pd.DataFrame | None
    responses: pd.DataFrame | None
    attributes: pd.DataFrame | None
    days: pd.DataFrame
    note: str

    @property
    def ready(self) -> bool:
        return self.exposures is not None and len(self.exposures) > 0

    @property
    def has_responses(self) -> bool:
        return self.ready and self.responses is not None


def load_inputs(prep) -> CampaignInputs:
    """Read and check the campaign tables of a prepared run (:class:`helpers.pipeline.Prepared`).

    Exposures are required for any campaign analysis, responses for the response and profile
    parts, attributes for the demographic profile; ``note`` says what is missing. The lines are
    reduced to purchase days per customer (:func:`customer_days`).
    """
    tables = set(prep.tables)
    lines = prep.lines(columns=["customer_id", "invoice_ts", "amount"])
    days = customer_days(lines)
    ex = check_exposures(prep.read("exposures"), "exposures") if "exposures" in tables else None
    rs = check_responses(prep.read("responses"), "responses") if "responses" in tables else None
    at = prep.read("attributes") if "attributes" in tables else None
    if ex is None:
        note = i18n.t("cmp_note_no_exposures")
    elif len(ex) == 0:
        note = i18n.t("cmp_note_empty")
    elif rs is None:
        note = i18n.t("cmp_note_no_responses")
    else:
        note = i18n.t("cmp_note_tables", campaigns=i18n.fmt_number(ex["campaign_id"].nunique()),
                      exposures=i18n.fmt_number(len(ex)), responses=i18n.fmt_number(len(rs)),
                      attributes=i18n.fmt_number(0 if at is None else len(at)))
    return CampaignInputs(ex, rs, at, days, note)


def profile_tests(profile: pd.DataFrame) -> pd.DataFrame:
    """One row per grouping of :func:`responder_profile`.

    Returns variable, customers_tested, p_value, significant and min_expected.
    """
    return (profile.groupby("variable", sort=False)
            .agg(customers_tested=("customers_tested", "first"), p_value=("p_value", "first"),
                 significant=("significant", "first"), min_expected=("min_expected", "first")).reset_index())
