"""Purchase days and life-cycle stages: new, converted, active, loyal, reactivated, at risk, lost.

A purchase is a distinct day on which a customer ordered (see :mod:`helpers.features.lifecycle`
for the definitions). :func:`purchase_days` lists them with the gaps between them (built in
the engine, Ibis); the stage rules (:class:`StageRules`, thresholds in days and purchase
counts, from the gaps by :func:`rules_from_gaps`) give each customer a stage at any date
(:func:`stages_at`), per period (:func:`stage_history`) and as a funnel (:func:`funnel`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.features.periods import index_of, lines_upto, period_end, period_label, ratio
from helpers.phrase import Phrase, Share


def purchase_days_expr(lines, analysis_date: dt.date):
    """Ibis: one row per customer and purchase day up to the analysis date.

    ``customer_id``, ``day`` (date), ``orders`` (invoices that day), ``revenue`` (currency),
    ``n`` (1 for the first purchase day, 2 for the second, ...) and ``prev_day`` (the
    customer's previous purchase day; null for the first). Guests are left out.
    """
    t = lines_upto(lines, analysis_date)
    t = t.filter(t.customer_id.notnull()).mutate(day=t.invoice_ts.date())
    d = t.group_by(["customer_id", "day"]).aggregate(orders=t.invoice.nunique(), revenue=t.amount.sum())
    w = ibis.window(group_by=d.customer_id, order_by=d.day)
    return d.mutate(n=ibis.row_number().over(w) + 1, prev_day=d.day.lag().over(w))


def purchase_days(lines, *, analysis_date: dt.date) -> pd.DataFrame:
    """One row per customer and purchase day, with the gap to the customer's previous purchase.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``day`` (datetime64, midnight), ``orders`` (invoices that day),
        ``revenue`` (currency), ``n`` (1 for the first purchase day, 2 for the second, ...),
        ``gap_days`` (days since the previous purchase day; NaN for the first), sorted by
        customer and day.
    """
    d = purchase_days_expr(lines, analysis_date)
    d = d.mutate(gap_days=d.day.delta(d.prev_day, unit="day")).drop("prev_day")
    out = d.execute()
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[us]")
    out["gap_days"] = out["gap_days"].astype("float64")
    out["n"] = out["n"].astype("int64")
    out["revenue"] = out["revenue"].astype("float64")
    out["customer_id"] = out["customer_id"].astype("string")
    return out.sort_values(["customer_id", "day"], ignore_index=True)[
        ["customer_id", "day", "orders", "revenue", "n", "gap_days"]]


#: The life-cycle stages in the order the rules test them, with the Turkish term and meaning.
STAGES = pd.DataFrame([
    ("new", "yeni", "one purchase so far, recent (recency <= at_risk_days)"),
    ("converted", "dönüşen (ikinci alışveriş)", "exactly two purchases, recent"),
    ("active", "aktif", "three or more purchases, recent, not (yet) loyal"),
    ("loyal", "sadık", "recent, >= loyal_min_purchases purchases and >= loyal_min_tenure_days since the first"),
    ("reactivated", "geri kazanılan", "recent purchase after a gap longer than lost_days (won back)"),
    ("at risk", "risk altında (kaybedilmek üzere)", "at_risk_days < recency <= lost_days"),
    ("lost", "kayıp", "recency > lost_days"),
], columns=["stage", "turkish", "rule"])
STAGE_ORDER = list(STAGES["stage"])


@dataclass(frozen=True)
class StageRules:
    """Thresholds of the life-cycle stage rules (days and purchase counts).

    At an as-of date, with recency = days since the last purchase, tenure = days since the
    first, and last gap = days between the last two purchases, the first rule that holds
    gives the stage:

    1. recency > ``lost_days``                                  -> lost
    2. recency > ``at_risk_days``                               -> at risk
    3. last gap > ``lost_days`` (came back after being lost)    -> reactivated
    4. one purchase                                             -> new
    5. purchases >= ``loyal_min_purchases`` and tenure >= ``loyal_min_tenure_days`` -> loyal
    6. two purchases                                            -> converted
    7. otherwise (three or more purchases)                      -> active
    """

    at_risk_days: int = 90
    lost_days: int = 180
    loyal_min_purchases: int = 4
    loyal_min_tenure_days: int = 180

    def __post_init__(self):
        if not 0 < self.at_risk_days < self.lost_days:
            raise ValueError(f"stage rules: need 0 < at_risk_days < lost_days, got at_risk_days={self.at_risk_days}, "
                             f"lost_days={self.lost_days}")
        if self.loyal_min_purchases < 3:
            raise ValueError(f"stage rules: loyal_min_purchases must be >= 3 (two purchases is 'converted'), "
                             f"got {self.loyal_min_purchases}")
        if self.loyal_min_tenure_days < 0:
            raise ValueError(f"stage rules: loyal_min_tenure_days must be >= 0, got {self.loyal_min_tenure_days}")


def rules_from_gaps(days: pd.DataFrame, *, at_risk_days: int | None = None, lost_days: int | None = None,
                    at_risk_quantile: float = 0.80, lost_quantile: float = 0.95, loyal_min_purchases: int = 4,
                    loyal_min_tenure_days: int = 180, min_gaps: int = 30,
                    fallback: tuple[int, int] = (90, 180)) -> tuple[StageRules, list[Phrase]]:
    """Stage thresholds: given values, or quantiles of the gaps between purchases.

    A customer whose recency exceeds the ``at_risk_quantile`` of all observed gaps between
    consecutive purchase days (80 % by default) is later than 80 % of repeat purchases ever
    were: at risk. Beyond the ``lost_quantile`` (95 %) the customer is counted as lost. The
    gaps are those of :func:`purchase_days` (days). With fewer than ``min_gaps`` gaps the
    fixed ``fallback`` (at risk, lost) days are used.

    Returns
    -------
    (StageRules, list of Phrase)
        The rules, and for at-risk and lost days a :class:`~helpers.phrase.Phrase` saying where the
        threshold came from (``i18n.say`` writes them as one sentence).
    """
    gaps = days["gap_days"].dropna()
    notes: dict[str, Phrase] = {}
    if at_risk_days is None or lost_days is None:
        from_data = len(gaps) >= min_gaps
        if from_data:
            q_risk = int(np.ceil(gaps.quantile(at_risk_quantile)))
            q_lost = int(np.ceil(gaps.quantile(lost_quantile)))
            src = Phrase("stg_from_gaps", n=len(gaps))
        else:
            q_risk, q_lost = fallback
            src = Phrase("stg_fixed_defaults", n=len(gaps), min=min_gaps)
        if at_risk_days is None:
            at_risk_days = max(q_risk, 1)
            notes["at_risk_days"] = _threshold("at_risk_days", at_risk_days, at_risk_quantile, src, from_data)
        if lost_days is None:
            lost_days = max(q_lost, at_risk_days + 1)
            notes["lost_days"] = _threshold("lost_days", lost_days, lost_quantile, src, from_data)
    for name, v in (("at_risk_days", at_risk_days), ("lost_days", lost_days)):
        notes.setdefault(name, Phrase("stg_given", name=name, days=int(v)))
    rules = StageRules(int(at_risk_days), int(lost_days), int(loyal_min_purchases), int(loyal_min_tenure_days))
    return rules, [notes["at_risk_days"], notes["lost_days"]]


def _threshold(name: str, days: int, q: float, src: Phrase, from_data: bool) -> Phrase:
    if from_data:
        return Phrase("stg_from_quantile", name=name, days=int(days), share=Share(q, 0), source=src)
    return Phrase("stg_from_defaults", name=name, days=int(days), source=src)


def stages_at(days: pd.DataFrame, as_of: dt.date | pd.Timestamp, rules: StageRules) -> pd.DataFrame:
    """Each customer's life-cycle stage on ``as_of`` from the purchases up to that day.

    Parameters
    ----------
    days : pandas.DataFrame
        :func:`purchase_days` (customer_id, day, revenue, gap_days), sorted by customer and day.
    as_of : date
    rules : StageRules

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase on or before ``as_of``: ``first_purchase``,
        ``last_purchase`` (datetime), ``purchases`` (purchase days), ``revenue`` (currency),
        ``recency_days`` = as_of - last purchase, ``tenure_days`` = as_of - first purchase,
        ``last_gap_days`` (days between the last two purchases; NaN with one purchase) and
        ``stage`` (see :class:`StageRules`; ordered categorical in :data:`STAGE_ORDER`).
    """
    as_of = pd.Timestamp(as_of)
    d = days[days["day"] <= as_of]
    g = d.groupby("customer_id", sort=True, observed=True)
    s = pd.DataFrame({
        "first_purchase": g["day"].min(),
        "last_purchase": g["day"].max(),
        "purchases": g.size().astype("int64"),
        "revenue": g["revenue"].sum(),
        "last_gap_days": g["gap_days"].last(),
    })
    s["recency_days"] = (as_of - s["last_purchase"]).dt.days.astype("int64")
    s["tenure_days"] = (as_of - s["first_purchase"]).dt.days.astype("int64")
    s["stage"] = assign_stage(s["recency_days"], s["purchases"], s["tenure_days"], s["last_gap_days"], rules)
    s = s.reset_index()
    return s[["customer_id", "first_purchase", "last_purchase", "purchases", "revenue", "recency_days",
              "tenure_days", "last_gap_days", "stage"]]


def assign_stage(recency_days, purchases, tenure_days, last_gap_days, rules: StageRules) -> pd.Series:
    """The stage rules of :class:`StageRules` on aligned Series (vectorised)."""
    rec = pd.Series(recency_days, dtype="float64")
    n = pd.Series(purchases, dtype="float64").to_numpy()
    ten = pd.Series(tenure_days, dtype="float64").to_numpy()
    gap = pd.Series(last_gap_days, dtype="float64").fillna(-1).to_numpy()
    r = rec.to_numpy()
    conds = [r > rules.lost_days, r > rules.at_risk_days, gap > rules.lost_days, n == 1,
             (n >= rules.loyal_min_purchases) & (ten >= rules.loyal_min_tenure_days), n == 2]
    choice = ["lost", "at risk", "reactivated", "new", "loyal", "converted"]
    out = np.select(conds, choice, default="active")
    return pd.Series(pd.Categorical(out, categories=STAGE_ORDER, ordered=True), index=rec.index)


def stage_history(days: pd.DataFrame, rules: StageRules, *, period: str = "month",
                  analysis_date: dt.date) -> pd.DataFrame:
    """Customers per stage at the end of every period (the last one on the analysis date).

    Returns
    -------
    pandas.DataFrame
        Long format: ``period`` (label), ``as_of`` (last day of the period, or the analysis
        date), ``stage``, ``customers``. Every stage appears in every period (0 when empty).
    """
    if days.empty:
        return pd.DataFrame(columns=["period", "as_of", "stage", "customers"])
    first = index_of(days["day"].min(), period)
    last = index_of(analysis_date, period)
    idx = np.arange(first, last + 1)
    ends = period_end(idx, period).clip(upper=pd.Timestamp(analysis_date))
    labels = period_label(idx, period)
    rows = []
    for lab, end in zip(labels, ends):
        counts = stages_at(days, end, rules)["stage"].value_counts().reindex(STAGE_ORDER, fill_value=0)
        rows += [(lab, end, st, int(c)) for st, c in counts.items()]
    return pd.DataFrame(rows, columns=["period", "as_of", "stage", "customers"])


def funnel(stages: pd.DataFrame, rules: StageRules) -> pd.DataFrame:
    """The life-cycle funnel at one date: acquired -> converted -> retained -> loyal.

    acquired = every customer with a purchase; converted = 2+ purchases; retained =
    converted and recency <= ``at_risk_days`` (still buying); loyal = retained with
    purchases >= ``loyal_min_purchases`` and tenure >= ``loyal_min_tenure_days``. Each step
    is a subset of the one before.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``turkish``, ``customers``, ``share_of_acquired``, ``share_of_previous``.
    """
    conv = stages["purchases"] >= 2
    ret = conv & (stages["recency_days"] <= rules.at_risk_days)
    loyal = ret & (stages["purchases"] >= rules.loyal_min_purchases) & (stages["tenure_days"] >= rules.loyal_min_tenure_days)
    counts = [len(stages), int(conv.sum()), int(ret.sum()), int(loyal.sum())]
    out = pd.DataFrame({"step": ["acquired", "converted", "retained", "loyal"],
                        "turkish": ["kazanılan", "dönüşen", "elde tutulan", "sadık"], "customers": counts})
    out["share_of_acquired"] = ratio(out["customers"], pd.Series([counts[0]] * 4))
    out["share_of_previous"] = ratio(out["customers"], pd.Series([counts[0], *counts[:-1]]))
    return out
