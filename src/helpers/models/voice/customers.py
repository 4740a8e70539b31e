"""Voice per customer: complaint features for churn and CLV models, and whether complainers came back.

Scores on the 1..5 scale; rates and shares 0..1; ``window_days`` in days.
"""
from __future__ import annotations

import math

import pandas as pd

from helpers.errors import DataError
from helpers.models.voice.intervals import diff_proportions, wilson_interval
from helpers.models.voice.table import complaint_flags


def customer_voice(fb: pd.DataFrame, *, rule: str = "auto", orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per known customer with feedback: the complaint features for churn and CLV models.

    Parameters
    ----------
    orders : DataFrame, optional
        ``customer_id`` and ``orders`` (e.g. ``frequency`` of ``customers_rfm`` renamed): adds
        ``complaints_per_order``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``reviews``, ``complaints`` (count), ``complaint_rate`` (complaints /
        reviews), ``mean_score`` (1..5), ``low_reviews``, ``first_complaint_ts``,
        ``last_feedback_ts`` [, ``orders``, ``complaints_per_order``].
    """
    if "customer_id" not in fb.columns:
        return pd.DataFrame(columns=["customer_id", "reviews", "complaints", "complaint_rate", "mean_score",
                                     "low_reviews", "first_complaint_ts", "last_feedback_ts"])
    d = fb[fb["customer_id"].notna()].assign(_c=complaint_flags(fb, rule))
    d["_cts"] = d["feedback_ts"].where(d["_c"])
    g = d.groupby("customer_id")
    out = g.agg(reviews=("feedback_id", "size"), complaints=("_c", "sum"), mean_score=("score5", "mean"),
                low_reviews=("is_low", "sum"), first_complaint_ts=("_cts", "min"),
                last_feedback_ts=("feedback_ts", "max")).reset_index()
    out["complaints"] = out["complaints"].astype("int64")
    out["low_reviews"] = out["low_reviews"].astype("int64")
    out["complaint_rate"] = out["complaints"] / out["reviews"]
    out = out[["customer_id", "reviews", "complaints", "complaint_rate", "mean_score", "low_reviews",
               "first_complaint_ts", "last_feedback_ts"]]
    if orders is not None:
        o = orders[["customer_id", "orders"]].astype({"customer_id": "string"})
        out = out.merge(o, on="customer_id", how="left")
        out["complaints_per_order"] = out["complaints"] / out["orders"]
    return out


def came_back(fb: pd.DataFrame, lines: pd.DataFrame, *, analysis_date, window_days: int = 180,
              rule: str = "auto", level: float = 0.95) -> pd.DataFrame:
    """Did customers who complained buy again, against customers who gave a good review?

    Each known customer gets one event: the **first complaint** (customers with any complaint),
    or else the **first high-score review** (customers who never complained). Neutral-only
    customers are left out. A customer *came back* when he or she has an order (invoice) dated
    after the event and at most ``window_days`` later. Only events at least ``window_days``
    before ``analysis_date`` count, so every customer had the same time to return.

    Parameters
    ----------
    lines : DataFrame
        Clean sales lines with ``customer_id``, ``invoice``, ``invoice_ts``.

    Returns
    -------
    DataFrame
        One row per group ("complained", "good review"): ``customers``, ``came_back``,
        ``share``, ``ci_low``, ``ci_high`` (Wilson, ``level``). ``attrs``: ``diff`` (complained -
        good review: dict with ``diff``, ``low``, ``high``, ``p_value``), ``too_recent`` (events
        left out for lack of time, per group), ``window_days``.
    """
    for c in ("customer_id", "invoice", "invoice_ts"):
        if c not in lines.columns:
            raise DataError("lines_clean", "missing-column", "came-back analysis needs the sales lines' "
                            f"'{c}' column", column=c)
    end = pd.Timestamp(analysis_date) + pd.Timedelta(days=1)     # the analysis date is inclusive
    d = fb[fb["customer_id"].notna()].assign(_c=complaint_flags(fb, rule))
    comp = d[d["_c"]].groupby("customer_id")["feedback_ts"].min()
    good = d[d["is_high"] & ~d["customer_id"].isin(comp.index)].groupby("customer_id")["feedback_ts"].min()
    ev = pd.concat([comp.rename("event_ts").to_frame().assign(group="complained"),
                    good.rename("event_ts").to_frame().assign(group="good review")]).reset_index()
    ok = ev["event_ts"] + pd.Timedelta(days=window_days) < end
    too_recent = ev.loc[~ok, "group"].value_counts().to_dict()
    ev = ev[ok]
    orders = (lines[lines["customer_id"].notna()][["customer_id", "invoice", "invoice_ts"]]
              .groupby(["customer_id", "invoice"], as_index=False)["invoice_ts"].min())
    orders["customer_id"] = orders["customer_id"].astype("string")
    ev["customer_id"] = ev["customer_id"].astype("string")
    m = ev.merge(orders, on="customer_id", how="left")
    after = (m["invoice_ts"] > m["event_ts"]) & (m["invoice_ts"] <= m["event_ts"] + pd.Timedelta(days=window_days))
    back = m.assign(_b=after).groupby(["customer_id", "group"], as_index=False)["_b"].any()
    rows = []
    for grp in ("complained", "good review"):
        x = back[back["group"] == grp]
        n, k = len(x), int(x["_b"].sum())
        lo, hi = wilson_interval(k, n, level)
        rows.append({"group": grp, "customers": n, "came_back": k, "share": k / n if n else math.nan,
                     "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    out.attrs.update(diff=diff_proportions(rows[0]["came_back"], rows[0]["customers"], rows[1]["came_back"],
                                           rows[1]["customers"], level),
                     too_recent={g: int(too_recent.get(g, 0)) for g in ("complained", "good review")},
                     window_days=window_days, level=level)
    return out
