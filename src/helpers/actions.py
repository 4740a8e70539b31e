"""The customer action table's recommended action: a documented decision matrix.

Each customer gets a value tier from expected CLV (top 20 % high, bottom 40 % low, by
default) and a risk level from churn risk (or 1 - P(alive) when no churn model ran). The
action is the cell of this matrix; two life-cycle stages override it.

==============  ===========================================  ===========================================
value \\ risk    high risk (churn risk >= 0.5)                low risk
==============  ===========================================  ===========================================
high            retention call: personal contact, service    loyalty care: VIP treatment, early access,
                recovery, a retention offer                  no discount needed
medium          win-back offer: incentive on the next best   cross-sell: offer the next best product
                offer before they lapse
low             automated reminder: low-cost e-mail only     no contact: standard communication only
==============  ===========================================  ===========================================

Overrides: life-cycle stage ``new`` -> "onboarding: nudge towards the second purchase" (risk
is not yet measurable after one purchase); stage ``lost``/``lapsed`` with low value ->
"no contact: expected value does not repay the contact".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MATRIX: dict[tuple[str, str], str] = {
    ("high", "high"): "retention call",
    ("high", "low"): "loyalty care",
    ("medium", "high"): "win-back offer",
    ("medium", "low"): "cross-sell next best offer",
    ("low", "high"): "automated reminder",
    ("low", "low"): "no contact",
}
ONBOARDING = "onboarding: nudge to second purchase"
NOT_WORTH = "no contact: value below contact cost"
#: Glossary key of each action's display name (the English names above stay the stored keys).
ACTION_KEYS = {
    "retention call": "act_retention_call", "loyalty care": "act_loyalty_care", "win-back offer": "act_win_back_offer",
    "cross-sell next best offer": "act_cross_sell_offer", "automated reminder": "act_automated_reminder",
    "no contact": "act_no_contact", ONBOARDING: "act_onboarding", NOT_WORTH: "act_not_worth",
}
#: Glossary keys of the value tiers and risk levels.
LEVEL_KEYS = {"high": "level_high", "medium": "level_medium", "low": "level_low"}


def action_label(action) -> str:
    """A recommended action (or a value tier / risk level) in the report language; other values as they are."""
    from . import i18n

    key = ACTION_KEYS.get(str(action)) or LEVEL_KEYS.get(str(action))
    return i18n.t(key) if key else str(action)


def value_tier(clv: pd.Series, *, high_quantile: float = 0.8, low_quantile: float = 0.4) -> pd.Series:
    """``high`` at or above the ``high_quantile`` of CLV, ``low`` at or below ``low_quantile``, else ``medium``."""
    hi, lo = clv.quantile(high_quantile), clv.quantile(low_quantile)
    return pd.Series(np.where(clv >= hi, "high", np.where(clv <= lo, "low", "medium")), index=clv.index)


def risk_level(risk: pd.Series, *, threshold: float = 0.5) -> pd.Series:
    """``high`` when the churn risk (probability 0..1) is at least ``threshold``."""
    return pd.Series(np.where(risk >= threshold, "high", "low"), index=risk.index)


def recommend(clv: pd.Series, risk: pd.Series, stage: pd.Series | None = None, *, high_quantile: float = 0.8,
              low_quantile: float = 0.4, risk_threshold: float = 0.5) -> pd.DataFrame:
    """Value tier, risk level and recommended action per customer (same index as ``clv``).

    Missing risk counts as low risk; missing CLV as low value.
    """
    tier = value_tier(clv.fillna(clv.min() if clv.notna().any() else 0), high_quantile=high_quantile,
                      low_quantile=low_quantile)
    level = risk_level(risk.fillna(0.0), threshold=risk_threshold)
    action = pd.Series([MATRIX[(t, r)] for t, r in zip(tier, level)], index=clv.index)
    if stage is not None:
        st = stage.reindex(clv.index).astype("string").str.lower()
        action = action.mask(st.eq("new").fillna(False), ONBOARDING)
        action = action.mask((st.isin(["lost", "lapsed"]).fillna(False)) & tier.eq("low"), NOT_WORTH)
    return pd.DataFrame({"value_tier": tier, "risk_level": level, "recommended_action": action})
