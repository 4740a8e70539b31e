"""Targeting rules compared at the same budget on a randomised test: incremental purchases and profit.

For a rule's score, the budget's ``k`` best-scored customers of the evaluation set are the
ones it would contact. Their incremental purchases are estimated from the test's arms within
that top ``k``: ``(buy rate treated - buy rate control) * k``; profit = incremental purchases
x ``margin`` (currency per purchase) - ``k`` x ``contact_cost``. Intervals: percentile
bootstrap over customers (seeded), the top ``k`` re-chosen in each resample; every rule sees the
same resamples, so differences between rules get paired intervals (:func:`winning_rule`). With the
planted per-customer uplift (``truth``), the true incremental purchases of the same top ``k``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _top_effect(score, y, t, k: int) -> float:
    top = np.argsort(-score, kind="stable")[:k]
    yt, tt = y[top], t[top]
    if tt.all() or not tt.any():
        return float("nan")
    return float((yt[tt].mean() - yt[~tt].mean()) * k)


def compare_rules(scores: dict, y, t, *, budget: float = 0.2, margin: float = 10.0, contact_cost: float = 1.0,
                  truth=None, n_boot: int = 200, confidence: float = 0.9, seed: int = 0) -> pd.DataFrame:
    """One row per rule: rule, contacted (k = budget share of customers), incremental (purchases),
    inc_low, inc_high, profit, profit_low, profit_high (currency), and true_incremental /
    true_profit when ``truth`` (planted uplift per customer) is given. Sorted by profit, best first.
    """
    y, t = np.asarray(y, float), np.asarray(t).astype(bool)
    n = y.size
    k = max(1, int(round(budget * n)))
    rng = np.random.default_rng(seed)
    boots = [rng.integers(0, n, n) for _ in range(n_boot)]
    a = (1 - confidence) / 2
    rows, boot = [], {}
    for name, s in scores.items():
        s = np.asarray(s, float)
        inc = _top_effect(s, y, t, k)
        b = np.array([_top_effect(s[i], y[i], t[i], k) for i in boots])
        boot[name] = (b * margin - k * contact_cost).tolist()   # lists: attrs stay JSON-serialisable
        lo, hi = np.nanquantile(b, [a, 1 - a]) if np.isfinite(b).any() else (np.nan, np.nan)
        row = {"rule": name, "contacted": k, "incremental": inc, "inc_low": lo, "inc_high": hi,
               "profit": inc * margin - k * contact_cost,
               "profit_low": lo * margin - k * contact_cost, "profit_high": hi * margin - k * contact_cost}
        if truth is not None:
            top = np.argsort(-s, kind="stable")[:k]
            row["true_incremental"] = float(np.asarray(truth, float)[top].sum())
            row["true_profit"] = row["true_incremental"] * margin - k * contact_cost
        rows.append(row)
    out = pd.DataFrame(rows).sort_values("profit", ascending=False, ignore_index=True)
    out.attrs["boot_profit"] = boot           # per rule, the profits of the same resamples (paired)
    out.attrs["confidence"] = confidence
    return out


def winning_rule(table: pd.DataFrame) -> str:
    """The rule with the highest estimated profit, unless a simpler rule (order: random, risk,
    risk x CLV, uplift) is not worse on the evidence: the paired bootstrap interval of
    (best - simpler) profit, over the same resamples, includes 0. Without the resamples in
    ``table.attrs`` the simpler rule's own interval reaching the best profit decides."""
    best = table.iloc[0]
    boot, conf = table.attrs.get("boot_profit"), table.attrs.get("confidence", 0.9)
    a = (1 - conf) / 2
    for r in table.sort_values("rule", key=lambda s: s.map(_SIMPLE).fillna(99)).itertuples():
        if r.rule == best["rule"]:
            break
        if boot is not None:
            d = np.asarray(boot[best["rule"]], float) - np.asarray(boot[r.rule], float)
            if np.nanquantile(d, a) <= 0:
                return str(r.rule)
        elif r.profit_high >= best["profit"]:
            return str(r.rule)
    return str(best["rule"])


_SIMPLE = {"random": 0, "risk": 1, "risk_clv": 2, "uplift": 3}
