"""Reach and response per campaign (*erişim*, *kazanma*): windows, responders, summaries by campaign and type, the funnel.

Definitions (campaign window, reached, responder, response rate, days to respond, repeat) are
those of :mod:`helpers.models.campaigns`.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from helpers.models.campaigns.intervals import wilson_ci
from helpers.models.campaigns.tables import NO_TYPE, days_in_window


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
        inside = days_in_window(days, w.window_start, w.window_end)
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
