"""Customers: type, BG/NBD rates and dropout, spend, country, channel and demographics, and
their BTYD purchases with review scores (a complaint raises the dropout hazard)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from helpers.io.synth.clock import day_weights, sample_days
from helpers.io.synth.params import (
    AGE_BANDS,
    AGE_SHARES,
    CHANNEL_PREF_ABROAD,
    CHANNEL_PREF_UK,
    COUNTRIES,
    FEEDBACK_RULES,
    HOUSEHOLD_SHARES,
    HOUSEHOLD_SIZES,
    INCOME_BANDS,
    INCOME_FACTOR,
    INCOME_SHARES,
    REGIONS_UK,
    REGION_UK_SHARES,
    TYPES,
    TYPE_NAMES,
)


def type_arrays():
    """The customer types' shares and BG/NBD / Gamma-Gamma parameters as arrays, in :data:`TYPE_NAMES` order."""
    keys = ("share", "r", "alpha", "a", "b", "p", "q", "gamma")
    return {k: np.array([TYPES[t][k] for t in TYPE_NAMES], dtype=float) for k in keys}


def _draw_scores(rng, m: int) -> np.ndarray:
    """Review score per order (1..5), 0 when the order gets no review."""
    fb = FEEDBACK_RULES
    rev = rng.random(m) < fb["review_share"]
    cum = np.cumsum(fb["score_probs"])
    score = np.minimum(np.searchsorted(cum / cum[-1], rng.random(m), side="right") + 1, 5)
    return np.where(rev, score, 0).astype(np.int8)


def is_complaint(score: np.ndarray) -> np.ndarray:
    """Review scores that are complaints (1 to ``complaint_max_score``; 0 = no review)."""
    return (score > 0) & (score <= FEEDBACK_RULES["complaint_max_score"])


def simulate_customers(rng, n: int, start: dt.date, days: int) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n`` customers.

    Returns customer arrays and the BTYD orders (customer, t_days, review score; 0 = no review).
    """
    ta = type_arrays()
    typ = rng.choice(len(TYPE_NAMES), size=n, p=ta["share"] / ta["share"].sum())
    lam_base = rng.gamma(ta["r"][typ], 1.0 / ta["alpha"][typ])           # per week
    pdrop = rng.beta(ta["a"][typ], ta["b"][typ])
    nu = rng.gamma(ta["q"][typ], 1.0 / ta["gamma"][typ])
    birth = np.empty(n)
    for k, tname in enumerate(TYPE_NAMES):
        sel = np.flatnonzero(typ == k)
        if sel.size:
            cdf = day_weights(start, days, TYPES[tname]["holiday_acquisition"])
            birth[sel] = sample_days(rng, cdf, sel.size)
    country = rng.choice(len(COUNTRIES), size=n, p=[c[1] for c in COUNTRIES])
    uk = country == 0
    chan = np.where(uk, rng.choice(3, size=n, p=CHANNEL_PREF_UK),
                    rng.choice(3, size=n, p=CHANNEL_PREF_ABROAD))
    # demographics, independent of type and of each other; income shifts lambda
    income = rng.choice(len(INCOME_BANDS), size=n, p=INCOME_SHARES)
    lam = lam_base * np.array([INCOME_FACTOR[b] for b in INCOME_BANDS])[income]
    age = rng.choice(len(AGE_BANDS), size=n, p=AGE_SHARES)
    household = rng.choice(len(HOUSEHOLD_SIZES), size=n, p=HOUSEHOLD_SHARES)
    region = np.where(uk, rng.choice(len(REGIONS_UK), size=n, p=REGION_UK_SHARES), len(REGIONS_UK))

    # BG/NBD: repeat purchases at rate lam (weeks) from birth; dropout after each repeat w.p. p,
    # or 1 - (1 - p)**k once the customer has complained about this or an earlier order
    k_c = FEEDBACK_RULES["complaint_hazard_factor"]
    t_end_w = days / 7.0
    cur = birth / 7.0
    drop_t = np.full(n, np.nan)
    first_score = _draw_scores(rng, n)
    complained = is_complaint(first_score)
    active = np.arange(n)
    rep_c, rep_t, rep_s = [], [], []
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        while active.size:
            tn = cur[active] + rng.standard_exponential(active.size) / lam[active]
            keep = tn < t_end_w
            active, tn = active[keep], tn[keep]
            if not active.size:
                break
            sc = _draw_scores(rng, active.size)
            complained[active[is_complaint(sc)]] = True
            rep_c.append(active)
            rep_t.append(tn * 7.0)
            rep_s.append(sc)
            cur[active] = tn
            p_now = pdrop[active]
            p_now = np.where(complained[active], 1.0 - (1.0 - p_now) ** k_c, p_now)
            d = rng.random(active.size) < p_now
            drop_t[active[d]] = tn[d] * 7.0
            active = active[~d]
    oc = np.concatenate([np.arange(n)] + rep_c)
    ot = np.concatenate([birth] + rep_t)
    osc = np.concatenate([first_score] + rep_s).astype(np.int8)
    cust = {"type": typ, "lam": lam, "lam_base": lam_base, "p": pdrop, "nu": nu, "birth_t": birth,
            "drop_t": drop_t, "country": country, "channel": chan, "income": income, "age": age,
            "household": household, "region": region}
    return cust, oc, ot, osc
