"""Targeted vs not targeted: eligible customers a campaign reached against those it did not, and the check against planted uplifts.

Unless targeting was randomised the difference is observational, not the campaign's causal
uplift (see *Eligible* in :mod:`helpers.models.campaigns`).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.errors import DataError
from helpers.models.campaigns.intervals import diff_proportions, family_z
from helpers.models.campaigns.response import campaign_windows
from helpers.models.campaigns.tables import days_in_window


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
        spend = days_in_window(days, w.window_start, w.window_end).groupby("customer_id")["revenue"].sum()
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
