"""The customer action table's recommended action: a documented decision matrix.

Each customer gets a value tier from expected CLV (top 20 % high, bottom 40 % low by default,
among the customers who have a CLV) and a risk level from churn risk (``risk >= 0.5`` is high).
Nothing missing is filled in: a customer without a CLV has value tier ``unknown``, one without
a risk has risk level ``unknown``. The action is the cell of this matrix:

==============  ===========================================  ===========================================
value \\ risk    high risk (churn risk >= 0.5)                low risk
==============  ===========================================  ===========================================
high            retention call: personal contact, service    loyalty care: VIP treatment, early access,
                recovery, a retention offer                  no discount needed
medium          win-back offer: an incentive to buy again    cross-sell: offer the next best product
                before they lapse                            (only to a customer who has an offer)
low             automated reminder: low-cost e-mail only     no contact: standard communication only
==============  ===========================================  ===========================================

The rules, first match wins:

1. Life-cycle stage ``new`` -> "onboarding: nudge to second purchase" (risk is not yet
   measurable after one purchase; neither CLV nor risk is needed).
2. Stage ``lost`` or ``lapsed``: the high-risk column, whatever the risk score says (the
   customer has already gone quiet): retention call (high value), win-back offer (medium),
   "no contact: value below contact cost" (low). A lost customer never gets loyalty care or
   cross-sell. Only the value tier is needed.
3. An input the cell needs is unknown -> the action names what is missing instead of picking a
   cell: "unknown: needs CLV", "unknown: needs churn risk", "unknown: needs CLV and churn risk".
4. The matrix cell. The cross-sell cell needs an offer for the customer: without one the
   action is "no offer: standard communication" (the cross-sell notebook ran and has no offer
   for this customer) or "unknown: needs next best offer" (no offers were published at all).

Without a life-cycle stage (the life-cycle notebook did not publish) rules 1 and 2 cannot
apply and the matrix decides alone. Where the risk comes from (the churn model, or 1 - P(alive)
of the CLV notebook when there is no churn risk) is the action table's ``risk_basis`` column
(:func:`helpers.analyses.headlines.action_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.i18n import N_

MATRIX: dict[tuple[str, str], str] = {
    ("high", "high"): "retention call",
    ("high", "low"): "loyalty care",
    ("medium", "high"): "win-back offer",
    ("medium", "low"): "cross-sell next best offer",
    ("low", "high"): "automated reminder",
    ("low", "low"): "no contact",
}
CROSS_SELL = MATRIX[("medium", "low")]
ONBOARDING = "onboarding: nudge to second purchase"
NOT_WORTH = "no contact: value below contact cost"
#: A customer's value tier or risk level that could not be measured (its input is missing).
UNKNOWN = "unknown"
NEEDS_CLV = "unknown: needs CLV"
NEEDS_RISK = "unknown: needs churn risk"
NEEDS_CLV_AND_RISK = "unknown: needs CLV and churn risk"
NEEDS_OFFER = "unknown: needs next best offer"
NO_OFFER = "no offer: standard communication"
#: Stages whose customers have already gone quiet: the high-risk column, whatever the risk says.
LOST_STAGES = ("lost", "lapsed")
#: Glossary key of each action's display name (the English names above stay the stored keys).
ACTION_KEYS = {
    "retention call": "act_retention_call", "loyalty care": "act_loyalty_care", "win-back offer": "act_win_back_offer",
    "cross-sell next best offer": "act_cross_sell_offer", "automated reminder": "act_automated_reminder",
    "no contact": "act_no_contact", ONBOARDING: "act_onboarding", NOT_WORTH: "act_not_worth",
    NEEDS_CLV: "act_needs_clv", NEEDS_RISK: "act_needs_risk", NEEDS_CLV_AND_RISK: "act_needs_clv_and_risk",
    NEEDS_OFFER: "act_needs_offer", NO_OFFER: "act_no_offer",
}
#: Glossary keys of the value tiers and risk levels.
LEVEL_KEYS = {"high": "level_high", "medium": "level_medium", "low": "level_low", UNKNOWN: "level_unknown"}


def action_label(action) -> str:
    """A recommended action (or a value tier / risk level) in the report language; other values as they are."""
    from helpers import i18n

    key = ACTION_KEYS.get(str(action)) or LEVEL_KEYS.get(str(action))
    return i18n.lookup(key) if key else str(action)


def value_tier(clv: pd.Series, *, high_quantile: float = 0.8, low_quantile: float = 0.4) -> pd.Series:
    """``high`` at or above the ``high_quantile`` of CLV, ``low`` at or below ``low_quantile``, else ``medium``.

    The quantiles are those of the customers with a CLV; a customer without one is ``unknown``.
    """
    clv = pd.to_numeric(clv, errors="coerce").astype(float)
    known = clv.dropna()
    if known.empty:
        return pd.Series(UNKNOWN, index=clv.index, dtype=object)
    hi, lo = known.quantile(high_quantile), known.quantile(low_quantile)
    tier = np.where(clv >= hi, "high", np.where(clv <= lo, "low", "medium"))
    return pd.Series(np.where(clv.isna(), UNKNOWN, tier), index=clv.index, dtype=object)


def risk_level(risk: pd.Series, *, threshold: float = 0.5) -> pd.Series:
    """``high`` when the churn risk (probability 0..1) is at least ``threshold``, ``unknown`` when it is missing."""
    risk = pd.to_numeric(risk, errors="coerce").astype(float)
    return pd.Series(np.where(risk.isna(), UNKNOWN, np.where(risk >= threshold, "high", "low")), index=risk.index,
                     dtype=object)


def recommend(clv: pd.Series, risk: pd.Series, stage: pd.Series | None = None, *, offer: pd.Series | None = None,
              high_quantile: float = 0.8, low_quantile: float = 0.4, risk_threshold: float = 0.5) -> pd.DataFrame:
    """Value tier, risk level and recommended action per customer (same index as ``clv``); see the module docstring.

    Parameters
    ----------
    clv, risk : Series
        Expected CLV and churn risk (0..1) per customer; missing values stay unknown.
    stage : Series, optional
        Life-cycle stage per customer; ``None`` when no stage was computed (rules 1 and 2 then do not apply).
    offer : Series, optional
        The customer's next best offer (missing where there is none); ``None`` when no offers were
        published, so no customer can be sent a cross-sell offer.
    """
    tier = value_tier(clv, high_quantile=high_quantile, low_quantile=low_quantile)
    level = risk_level(risk.reindex(clv.index), threshold=risk_threshold)
    st = (stage.reindex(clv.index).astype("string").str.lower() if stage is not None
          else pd.Series(pd.NA, index=clv.index, dtype="string"))
    is_new = st.eq("new").fillna(False).to_numpy(bool)
    is_lost = st.isin(LOST_STAGES).fillna(False).to_numpy(bool)
    has_offer = (offer.reindex(clv.index).notna().to_numpy(bool) if offer is not None
                 else np.zeros(len(clv), dtype=bool))
    actions = []
    for t, r, new, lost, offered in zip(tier, level, is_new, is_lost, has_offer):
        if new:
            actions.append(ONBOARDING)
        elif lost:
            actions.append(NEEDS_CLV if t == UNKNOWN else NOT_WORTH if t == "low" else MATRIX[(t, "high")])
        elif t == UNKNOWN or r == UNKNOWN:
            actions.append(NEEDS_CLV_AND_RISK if t == r == UNKNOWN else NEEDS_CLV if t == UNKNOWN else NEEDS_RISK)
        elif MATRIX[(t, r)] == CROSS_SELL and not offered:
            actions.append(NEEDS_OFFER if offer is None else NO_OFFER)
        else:
            actions.append(MATRIX[(t, r)])
    return pd.DataFrame({"value_tier": tier, "risk_level": level,
                         "recommended_action": pd.Series(actions, index=clv.index, dtype=object)})


#: Display names of the targeting rules of the campaign uplift study (notebook 08).
TARGETING_RULES = {"random": N_("random"), "risk": N_("churn risk"), "risk_clv": N_("risk × value"), "uplift": N_("uplift")}


def retention_rule(table: pd.DataFrame) -> str:
    """The executive summary's retention line: which rule decides whom to contact, and why.

    The rule is the action table's ``targeting_rule`` (published by 08 when a randomised campaign
    let it compare random, churn risk, risk × value and uplift targeting); without one the
    retention contacts stay ranked by risk × value, and the line says there was no evidence to compare.
    """
    from helpers.i18n import _

    rules = table["targeting_rule"].dropna().unique() if "targeting_rule" in table.columns else []
    if len(rules) == 0:
        return _("Retention contacts: ranked by churn risk × value; no randomised campaign let the targeting rules be compared.")
    rule = str(rules[0])
    scored = pd.to_numeric(table.get("uplift"), errors="coerce")
    negative = int((scored < 0).sum()) if scored is not None else 0
    return _("Retention contacts: the {rule} rule won on the evidence of the randomised campaigns (notebook 08); {n} customers have a negative estimated uplift (contact would push them away).",
             rule=_(TARGETING_RULES.get(rule, rule)), n=negative)
