"""Review scores: the headline numbers, scores over time, and the mean score by group with its interval.

Scores on the 1..5 scale (``score5`` of :func:`helpers.models.voice.table.check_feedback`);
shares 0..1; intervals are t intervals of the mean at ``level``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.errors import DataError
from helpers.models.voice.table import FILE, complaint_flags


def headline(fb: pd.DataFrame, rule: str = "auto") -> dict:
    """The headline numbers: reviews, mean score (1..5), share of low scores, complaints.

    Returns
    -------
    dict
        ``reviews``, ``customers`` (distinct known customers), ``mean_score`` (1..5 scale),
        ``low_share`` and ``high_share`` (0..1), ``complaints``, ``complaint_rate`` (complaints /
        reviews), ``text_share`` (reviews with a comment).
    """
    c = complaint_flags(fb, rule)
    n = len(fb)
    return {
        "reviews": n,
        "customers": int(fb["customer_id"].nunique()) if "customer_id" in fb.columns else 0,
        "mean_score": float(fb["score5"].mean()) if n else math.nan,
        "low_share": float(fb["is_low"].mean()) if n else math.nan,
        "high_share": float(fb["is_high"].mean()) if n else math.nan,
        "complaints": int(c.sum()),
        "complaint_rate": float(c.mean()) if n else math.nan,
        "text_share": float(fb["has_text"].mean()) if n else math.nan,
    }


_PERIODS = {"week": "W", "month": "M", "quarter": "Q"}


def score_over_time(fb: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Reviews per period and score: counts, shares, the mean and the low-score share.

    Returns
    -------
    DataFrame
        One row per period (``period`` start as a Timestamp): ``reviews``, ``mean_score`` (1..5),
        ``low_share``, and ``n_<s>`` / ``share_<s>`` for each rounded score s = 1..5.
    """
    if period not in _PERIODS:
        raise ValueError(f"period {period!r} is not one of {sorted(_PERIODS)}")
    p = fb["feedback_ts"].dt.to_period(_PERIODS[period]).dt.start_time
    s = fb["score5"].round().clip(1, 5).astype(int)
    counts = pd.crosstab(p, s).reindex(columns=range(1, 6), fill_value=0)
    out = pd.DataFrame(index=counts.index)
    out["reviews"] = counts.sum(axis=1)
    g = fb.groupby(p)
    out["mean_score"] = g["score5"].mean()
    out["low_share"] = g["is_low"].mean().astype(float)
    for k in range(1, 6):
        out[f"n_{k}"] = counts[k]
        out[f"share_{k}"] = counts[k] / out["reviews"]
    out.index.name = "period"
    return out.reset_index()


def _t_interval(mean: float, sd: float, n: int, level: float) -> tuple[float, float]:
    if n < 2 or not np.isfinite(sd):
        return math.nan, math.nan
    h = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean - h, mean + h


def score_by(fb: pd.DataFrame, column: str, *, min_reviews: int = 20, top: int | None = 15,
             worst_first: bool = True, level: float = 0.95) -> pd.DataFrame:
    """Mean score, its confidence interval and the low-score share per value of ``column``.

    Parameters
    ----------
    column : str
        A column of the feedback table (product_category, seller_id, region, category, ...).
    min_reviews : int
        Groups with fewer reviews are left out (their count is in ``.attrs``).
    top : int or None
        Keep this many groups: the lowest mean scores first (``worst_first``), else the most reviewed.

    Returns
    -------
    DataFrame
        ``column``, ``reviews``, ``mean_score`` (1..5), ``ci_low``, ``ci_high`` (t interval at
        ``level``), ``low_share``, ``diff_from_all`` (mean score - overall mean).
        ``attrs``: ``groups``, ``groups_kept``, ``reviews_in_small_groups``, ``overall_mean``.
    """
    if column not in fb.columns:
        raise DataError(FILE, "missing-column", f"no '{column}' column to break the scores down by", column=column)
    d = fb[fb[column].notna()]
    g = d.groupby(d[column].astype(str))
    t = g.agg(reviews=("score5", "size"), mean_score=("score5", "mean"), sd=("score5", "std"),
              low_share=("is_low", "mean"))
    ci = [_t_interval(m, s, n, level) for m, s, n in zip(t["mean_score"], t["sd"], t["reviews"])]
    t["ci_low"], t["ci_high"] = [c[0] for c in ci], [c[1] for c in ci]
    t["low_share"] = t["low_share"].astype(float)
    overall = float(fb["score5"].mean())
    t["diff_from_all"] = t["mean_score"] - overall
    small = t["reviews"] < min_reviews
    kept = t[~small]
    kept = kept.sort_values(["mean_score", "reviews"], ascending=[True, False]) if worst_first \
        else kept.sort_values("reviews", ascending=False)
    if top is not None:
        kept = kept.head(top)
    out = kept.drop(columns="sd").reset_index().rename(columns={"index": column})
    out = out[[column, "reviews", "mean_score", "ci_low", "ci_high", "low_share", "diff_from_all"]]
    out.attrs.update(groups=int(len(t)), groups_kept=int((~small).sum()),
                     reviews_in_small_groups=int(t.loc[small, "reviews"].sum()), overall_mean=overall)
    return out
