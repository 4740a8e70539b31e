"""Randomised campaigns on top of the BTYD process: the schedule, who is eligible, targeted
and responds, and the true uplift from the simulation's own counterfactual."""
from __future__ import annotations

import numpy as np

from helpers.io.synth.params import CAMPAIGN_TYPES


_CAMPAIGN_EVERY_DAYS = 91      # one campaign per ~quarter of the window (1 to 12 campaigns)


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


def simulate_campaigns(rng, cust: dict, oc: np.ndarray, ot: np.ndarray, days: int) -> tuple[list, dict, dict]:
    """Randomised campaigns on top of the (unchanged) BTYD process.

    Eligible: every customer whose first purchase is before the campaign start. Each eligible
    customer is targeted with probability ``target_share`` (independently). Every eligible
    customer also gets potential outcomes: "would respond" ~ Bernoulli(response_prob) at a time
    drawn uniformly in the window, effective only when the customer has not dropped out by then
    (BG/NBD: nobody buys after dropout). Targeted customers with an effective response place
    one extra (campaign) order at that time. The BTYD purchases do not depend on the campaign,
    so the untreated outcome "bought in the window" is known for everyone and the true uplift
    is the simulation's own counterfactual.
    """
    n = cust["birth_t"].size
    birth, drop = cust["birth_t"], cust["drop_t"]
    sched = _campaign_schedule(days)
    ex_c, ex_k, ex_mail, r_c, r_k, r_t = [], [], [], [], [], []
    for ci, camp in enumerate(sched):
        spec = CAMPAIGN_TYPES[camp["campaign_type"]]
        s0, e0 = float(camp["start_day"]), float(camp["end_day"])
        elig = np.flatnonzero(birth < s0)
        m = elig.size
        targeted = rng.random(m) < spec["target_share"]
        email = rng.random(m) < spec["email_share"]
        would = rng.random(m) < spec["response_prob"]
        u = s0 + rng.random(m) * (e0 - s0)
        d = drop[elig]
        potential = would & (np.isnan(d) | (d > u))
        bought = np.zeros(n, dtype=bool)
        bought[oc[(ot >= s0) & (ot < e0)]] = True
        y0 = bought[elig]
        y1 = y0 | potential
        resp = targeted & potential
        nt = int(targeted.sum())

        def share(x):
            return float(x.mean()) if x.size else None

        camp.update({
            "target_share": spec["target_share"], "response_prob": spec["response_prob"],
            "email_share": spec["email_share"],
            "n_eligible": int(m), "n_targeted": nt, "n_not_targeted": int(m - nt),
            "n_responders": int(resp.sum()),
            "response_rate": float(resp.sum() / nt) if nt else None,
            "true_uplift": share(y1.astype(float) - y0),
            "true_uplift_targeted": share(y1[targeted].astype(float) - y0[targeted]),
            "p_purchase_if_targeted": share(y1),
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
    return sched, exposures, responses
