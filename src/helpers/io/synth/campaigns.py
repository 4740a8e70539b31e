"""Randomised campaigns on top of the BTYD process: the schedule, who is eligible, targeted
and responds, and the true uplift from the simulation's own counterfactual."""
from __future__ import annotations

import numpy as np

from helpers.io.synth.params import CAMPAIGN_TYPES


_CAMPAIGN_EVERY_DAYS = 91      # one campaign per ~quarter of the window (1 to 12 campaigns)

#: planted uplift segments: response multiplier (x the campaign's response_prob) and the segment's
#: share among customers buying less / more often than the median (lambda). Sleeping dogs never
#: respond and, when contacted, skip their own purchases in the window. The shares x multipliers
#: average 1, so each campaign's mean response probability stays the planted one.
UPLIFT_SEGMENTS = {"persuadable": (2.5, 0.45, 0.15), "neutral": (0.5, 0.5, 0.5), "sleeping_dog": (0.0, 0.05, 0.35)}


def uplift_segments(rng_seq, cust: dict) -> np.ndarray:
    """Segment index (order of :data:`UPLIFT_SEGMENTS`) per customer, from its own random stream."""
    n = cust["birth_t"].size
    lam = cust.get("lam")
    frequent = np.zeros(n, bool) if lam is None else lam > np.median(lam)
    u = rng_seq.random(n)
    lo = np.cumsum([v[1] for v in UPLIFT_SEGMENTS.values()])
    hi = np.cumsum([v[2] for v in UPLIFT_SEGMENTS.values()])
    if lam is None:
        lo = hi = (lo + hi) / 2
    return np.where(frequent, np.searchsorted(hi, u, side="right"), np.searchsorted(lo, u, side="right")).clip(0, 2)


def _segment_stream(rng):
    """A stream of its own for the uplift segments: the campaign draws of ``rng`` are not moved."""
    ss = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0xD06)))


def _campaign_schedule(days: int) -> list[dict]:
    """Campaign windows (whole days from the window start, end exclusive), spaced evenly, never overlapping.

    One campaign per ~91 days of window (1 to 12); the first starts a quarter into the window
    (so customers exist to target), the last ends at least 7 days before the window does. Types
    cycle discount, bundle, reactivation.
    """
    n = int(np.clip(round(days / _CAMPAIGN_EVERY_DAYS), 1, 12))
    first = int(0.25 * days)
    slot = (days - 7 - first) / n
    types = list(CAMPAIGN_TYPES)
    out = []
    for c in range(n):
        typ = types[c % len(types)]
        s0 = first + int(np.floor(c * slot))
        w = int(min(CAMPAIGN_TYPES[typ]["window_days"], np.floor(slot) - 1))
        out.append({"campaign_id": f"CMP{c + 1:02d}", "campaign_type": typ, "start_day": s0, "end_day": s0 + w})
    return out


def simulate_campaigns(rng, cust: dict, oc: np.ndarray, ot: np.ndarray, days: int,
                       protect: np.ndarray | None = None) -> tuple[list, dict, dict, dict]:
    """Randomised campaigns on top of the (unchanged) BTYD process.

    Eligible: every customer whose first purchase is before the campaign start. Each eligible
    customer is targeted with probability ``target_share`` (independently). Every eligible
    customer also gets potential outcomes: "would respond" ~ Bernoulli(response_prob) at a time
    drawn uniformly in the window, effective only when the customer has not dropped out by then
    (BG/NBD: nobody buys after dropout). Targeted customers with an effective response place
    one extra (campaign) order at that time. The BTYD purchases do not depend on the campaign,
    so the untreated outcome "bought in the window" is known for everyone and the true uplift
    is the simulation's own counterfactual.

    Heterogeneous uplift: each customer belongs to a segment of :data:`UPLIFT_SEGMENTS` (its own
    random stream): the response probability is ``response_prob`` x the segment's multiplier,
    and targeted sleeping dogs skip their BTYD purchases in the window (except their first and last, and the ``protect`` ones) (returned as ``skip``,
    indices into ``oc``, for the plan to leave out). The fourth result holds ``skip``, the
    ``segment`` per customer and, per eligible customer and campaign, ``cust``, ``campaign``,
    ``y0`` (bought in the window without contact) and ``uplift`` (the planted expected effect of
    contact: ``(1 - y0) x P(respond and alive at the response time)`` for responders and
    neutrals, minus the window purchase a sleeping dog skips).
    """
    n = cust["birth_t"].size
    birth, drop = cust["birth_t"], cust["drop_t"]
    sched = _campaign_schedule(days)
    seg = uplift_segments(_segment_stream(rng), cust)
    mult = np.array([v[0] for v in UPLIFT_SEGMENTS.values()])[seg]
    dog = seg == list(UPLIFT_SEGMENTS).index("sleeping_dog")
    skip, p_c, p_k, p_y0, p_u = [], [], [], [], []
    # a customer's first and last BTYD purchases are never skipped (birth and the dropout convention stay)
    edge = np.zeros(oc.size, bool)
    if oc.size:
        by = np.lexsort((ot, oc))
        first = np.r_[True, oc[by][1:] != oc[by][:-1]]
        last = np.r_[oc[by][1:] != oc[by][:-1], True]
        edge[by[first | last]] = True
    if protect is not None:
        edge |= protect                             # e.g. reviewed orders: the review needs its order
    ex_c, ex_k, ex_mail, r_c, r_k, r_t = [], [], [], [], [], []
    for ci, camp in enumerate(sched):
        spec = CAMPAIGN_TYPES[camp["campaign_type"]]
        s0, e0 = float(camp["start_day"]), float(camp["end_day"])
        elig = np.flatnonzero(birth < s0)
        m = elig.size
        targeted = rng.random(m) < spec["target_share"]
        email = rng.random(m) < spec["email_share"]
        p_resp = spec["response_prob"] * mult[elig]
        would = rng.random(m) < p_resp
        u = s0 + rng.random(m) * (e0 - s0)
        d = drop[elig]
        potential = would & (np.isnan(d) | (d > u))
        bought = np.zeros(n, dtype=bool)
        bought[oc[(ot >= s0) & (ot < e0)]] = True
        kept = np.zeros(n, dtype=bool)              # a purchase a contacted sleeping dog still makes
        kept[oc[(ot >= s0) & (ot < e0) & edge]] = True
        y0 = bought[elig]
        y_dog = y0 & kept[elig]
        y1 = np.where(dog[elig] & targeted, y_dog, y0) | potential
        in_win = np.flatnonzero((ot >= s0) & (ot < e0))
        skip.append(in_win[np.isin(oc[in_win], elig[targeted & dog[elig]]) & ~edge[in_win]])
        alive = np.where(np.isnan(d), 1.0, np.clip((d - s0) / max(e0 - s0, 1e-9), 0.0, 1.0))
        p_c.append(elig)
        p_k.append(np.full(m, ci))
        p_y0.append(y0)
        p_u.append(np.where(dog[elig], y_dog.astype(float) - y0, (1.0 - y0) * p_resp * alive))
        resp = targeted & potential
        y1_all = np.where(dog[elig], y_dog, y0) | potential      # everyone contacted
        nt = int(targeted.sum())

        def share(x):
            return float(x.mean()) if x.size else None

        camp.update({
            "target_share": spec["target_share"], "response_prob": spec["response_prob"],
            "email_share": spec["email_share"],
            "n_eligible": int(m), "n_targeted": nt, "n_not_targeted": int(m - nt),
            "n_responders": int(resp.sum()),
            "response_rate": float(resp.sum() / nt) if nt else None,
            "true_uplift": share(y1_all.astype(float) - y0),
            "true_uplift_targeted": share(y1[targeted].astype(float) - y0[targeted]),
            "p_purchase_if_targeted": share(y1_all),
            "p_purchase_if_not_targeted": share(y0),
            "share_buying_targeted": share(y1[targeted]),
            "share_buying_not_targeted": share(y0[~targeted]),
            "share_alive_at_start": share(np.isnan(d) | (d >= s0)),
        })
        ex_c.append(elig[targeted])
        ex_k.append(np.full(nt, ci))
        ex_mail.append(email[targeted])
        r_c.append(elig[resp])
        r_k.append(np.full(int(resp.sum()), ci))
        r_t.append(u[resp])

    def cat(x, dtype):
        return np.concatenate(x).astype(dtype) if x else np.zeros(0, dtype)

    exposures = {"cust": cat(ex_c, np.int64), "campaign": cat(ex_k, np.int64), "email": cat(ex_mail, bool)}
    responses = {"cust": cat(r_c, np.int64), "campaign": cat(r_k, np.int64), "t": cat(r_t, float)}
    planted = {"skip": cat(skip, np.int64), "segment": seg, "cust": cat(p_c, np.int64),
               "campaign": cat(p_k, np.int64), "y0": cat(p_y0, bool), "uplift": cat(p_u, float)}
    return sched, exposures, responses, planted
