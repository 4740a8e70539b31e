"""Late against on-time orders: the score gap and the gap in 1-2 star reviews, with intervals.

Late = ``delay_days > late_after_days`` (days; positive = delivered after the promised day).
Scores on the 1..5 scale; shares 0..1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.models.voice.intervals import diff_means, diff_proportions


@dataclass
class DelayEffect:
    """Late against on-time orders (see :func:`delay_effect`).

    ``table``: one row per group ("late", "on time"): ``reviews``, ``mean_score`` (1..5),
    ``low`` (1-2 star reviews), ``low_share``. ``mean_gap`` and ``low_share_gap``: late minus
    on time, each a dict of ``diff``, ``low``, ``high`` (interval at ``level``) and ``p_value``.
    ``by_delay``: mean score and low share per delay band. ``unknown``: reviews without a delay.
    """

    table: pd.DataFrame
    mean_gap: dict
    low_share_gap: dict
    by_delay: pd.DataFrame
    unknown: int
    late_after_days: float
    level: float = 0.95


DELAY_BANDS = (-np.inf, -14, -7, 0, 3, 7, 14, np.inf)
DELAY_LABELS = ("14+ days early", "8-14 days early", "0-7 days early", "1-3 days late", "4-7 days late",
                "8-14 days late", "15+ days late")


def delay_effect(fb: pd.DataFrame, *, late_after_days: float = 0.0, level: float = 0.95) -> DelayEffect | None:
    """Mean score and share of 1-2 star reviews of late against on-time orders, with intervals.

    Parameters
    ----------
    fb : DataFrame
        After :func:`helpers.models.voice.table.check_feedback`, which adds ``delay_days`` when the table has a delay or
        both delivery dates.
    late_after_days : float
        Late = ``delay_days > late_after_days`` (default 0: delivered after the promised day).

    Returns
    -------
    DelayEffect or None
        None when the delay is unknown for every review or one of the two groups is empty.
        The mean gap uses Welch's t interval; the low-share gap Newcombe's hybrid score interval.
    """
    if "delay_days" not in fb.columns or fb["delay_days"].notna().sum() == 0:
        return None
    known = fb[fb["delay_days"].notna()]
    is_late = known["delay_days"] > late_after_days
    late, on = known[is_late], known[~is_late]
    if len(late) == 0 or len(on) == 0:
        return None
    rows = []
    for name, d in (("late", late), ("on time", on)):
        rows.append({"group": name, "reviews": len(d), "mean_score": float(d["score5"].mean()),
                     "low": int(d["is_low"].sum()), "low_share": float(d["is_low"].mean())})
    table = pd.DataFrame(rows)
    mean_gap = diff_means(late["score5"].to_numpy(), on["score5"].to_numpy(), level)
    low_gap = diff_proportions(int(late["is_low"].sum()), len(late), int(on["is_low"].sum()), len(on), level)
    band = pd.cut(known["delay_days"], bins=list(DELAY_BANDS), labels=list(DELAY_LABELS), right=True)
    by = known.groupby(band, observed=False).agg(reviews=("score5", "size"), mean_score=("score5", "mean"),
                                                 low_share=("is_low", "mean"))
    by["low_share"] = by["low_share"].astype(float)
    by.index = by.index.astype(str)
    by.index.name = "delay"
    by = by.reset_index()
    return DelayEffect(table, mean_gap, low_gap, by, int(fb["delay_days"].isna().sum()), float(late_after_days), level)
