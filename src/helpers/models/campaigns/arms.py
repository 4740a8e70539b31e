"""Treatment and control arms of a randomised campaign: the ``group`` flag checked, counted and cleaned.

Stated rule for bad flags
-------------------------
* ``group`` is read case- and space-insensitively; ``treatment``/``treated``/``t``/``1`` mean the
  treatment arm and ``control``/``holdout``/``c``/``0`` the control arm.
* Any other value (or a missing one) is **left out** of the uplift analysis and counted.
* A customer found in **both arms** of the same campaign is **left out of both** (the contact
  they received is unknown) and counted.
* An arm smaller than the planner requires (:func:`~helpers.models.campaigns.planner.customers_per_arm`)
  gives a warning with the number needed instead of a confident uplift.
"""
from __future__ import annotations

import pandas as pd

from helpers.models.campaigns.planner import customers_per_arm

TREATMENT, CONTROL = "treatment", "control"
_ALIASES = {"treatment": TREATMENT, "treated": TREATMENT, "t": TREATMENT, "1": TREATMENT,
            "control": CONTROL, "holdout": CONTROL, "c": CONTROL, "0": CONTROL}


def arm_of(flag: pd.Series) -> pd.Series:
    """``treatment``, ``control`` or missing (any other value) per row of a ``group`` flag."""
    return flag.astype("string").str.strip().str.lower().map(_ALIASES)


def clean_arms(exposures: pd.DataFrame, group_col: str = "group") -> tuple[pd.DataFrame, dict]:
    """Rows with a usable arm, one per (customer, campaign), and the counts of what the rule removed.

    Returns the cleaned frame (``group`` is ``treatment`` or ``control``) and a report:
    rows, other_values (rows with an unrecognised or missing flag), other_examples (up to 3
    distinct raw values), both_arms (customer-campaign pairs in both arms, left out),
    treatment and control (pairs kept per arm).
    """
    if group_col not in exposures.columns:
        raise ValueError(f"the exposures have no '{group_col}' column: no randomised control group")
    arm = arm_of(exposures[group_col])
    other = arm.isna()
    df = exposures.loc[~other].assign(group=arm[~other])
    per_pair = df.groupby(["customer_id", "campaign_id"])["group"].nunique()
    both = per_pair[per_pair > 1].index
    keys = pd.MultiIndex.from_frame(df[["customer_id", "campaign_id"]])
    df = df.loc[~keys.isin(both)].drop_duplicates(["customer_id", "campaign_id"])
    report = {"rows": int(len(exposures)), "other_values": int(other.sum()),
              "other_examples": exposures.loc[other, group_col].astype(str).drop_duplicates().head(3).tolist(),
              "both_arms": int(len(both)),
              "treatment": int((df["group"] == TREATMENT).sum()), "control": int((df["group"] == CONTROL).sum())}
    return df.reset_index(drop=True), report


def arm_warning(n_treatment: int, n_control: int, base_rate: float, uplift: float, *,
                alpha: float = 0.05, power: float = 0.8) -> dict | None:
    """None when both arms reach the planner's size for ``uplift`` at ``base_rate``; otherwise
    {"needed": per arm, "treatment": n, "control": n, "short_arm": the smaller arm's name}."""
    needed = customers_per_arm(base_rate, uplift, alpha=alpha, power=power)
    if min(n_treatment, n_control) >= needed:
        return None
    return {"needed": needed, "treatment": int(n_treatment), "control": int(n_control),
            "short_arm": CONTROL if n_control <= n_treatment else TREATMENT}
