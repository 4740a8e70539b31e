"""Input checks of the CLV models: the buy-till-you-die summary's columns and the choice arguments.

Every public function of :mod:`helpers.models.clv` checks its input here first and raises
:class:`~helpers.models.clv.results.ClvInputError` with the rule broken (``[rule: ...]``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models.clv.results import ClvInputError


def check_summary(summary: pd.DataFrame, required: tuple[str, ...], what: str = "summary") -> pd.DataFrame:
    """The columns a model needs, as float64 (customer_id as given); named errors otherwise."""
    if not isinstance(summary, pd.DataFrame):
        raise ClvInputError(f"{what}: expected a pandas DataFrame (customers.btyd_summary(...).execute()), "
                            f"got {type(summary).__name__}")
    missing = [c for c in required if c not in summary.columns]
    if missing:
        raise ClvInputError(f"{what}: column(s) {missing} missing; a buy-till-you-die summary has "
                            "customer_id, frequency, recency, T, monetary_value (customers.btyd_summary)")
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    for c in required:
        if c == "customer_id":
            continue
        vals = pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise ClvInputError(f"{what}: column '{c}' has {int(bad.sum())} missing or non-numeric values; "
                                "every customer needs a number [rule: finite]")
        out[c] = vals
    if out["customer_id"].isna().any():
        raise ClvInputError(f"{what}: column 'customer_id' has {int(out['customer_id'].isna().sum())} missing "
                            "values; guests have no history and are left out of customer models [rule: not-null]")
    dup = out["customer_id"].duplicated()
    if dup.any():
        raise ClvInputError(f"{what}: column 'customer_id' has {int(dup.sum())} duplicates; "
                            "one row per customer is needed [rule: unique]")
    if "frequency" in out:
        f = out["frequency"]
        bad = (f < 0) | (f != np.round(f))
        if bad.any():
            raise ClvInputError(f"{what}: column 'frequency' has {int(bad.sum())} values that are not whole "
                                "numbers >= 0 (repeat purchase days) [rule: count]")
    if "recency" in out and "T" in out:
        bad = (out["recency"] < 0) | (out["recency"] > out["T"] + 1e-9)
        if bad.any():
            raise ClvInputError(f"{what}: column 'recency' has {int(bad.sum())} values outside 0 .. T; "
                                "recency (first to last purchase) cannot exceed T (first purchase to the "
                                "end of the period) [rule: recency-le-T]")
        bad = (out["frequency"] == 0) & (out["recency"] > 0)
        if bad.any():
            raise ClvInputError(f"{what}: {int(bad.sum())} customers have frequency 0 but recency > 0; "
                                "with no repeat purchase recency is 0 [rule: recency-zero]")
    return out


def check_choice(value: str, allowed, name: str) -> None:
    """Raise :class:`ClvInputError` when ``value`` (the argument ``name``) is not one of ``allowed``."""
    if value not in allowed:
        raise ClvInputError(f"{name} = {value!r} is not one of {sorted(allowed)}")
