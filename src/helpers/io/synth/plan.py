"""The plan of a run: every customer and the time-sorted order skeleton (BTYD, guest,
cancelled and campaign orders with their target values, channels, fee and dirt flags, reviews)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from helpers.io.synth.campaigns import simulate_campaigns
from helpers.io.synth.clock import day_weights, month_of_day, sample_days, to_ts_us
from helpers.io.synth.customers import simulate_customers, type_arrays
from helpers.io.synth.params import (
    CHANNEL_PREF_ABROAD,
    CHANNEL_PREF_UK,
    CHANNEL_STICKY,
    COUNTRIES,
    DIRT_RATES,
    FEEDBACK_RULES,
    GUEST_CHANNEL,
)


#: customers simulated per vectorised batch
CHUNK_CUSTOMERS = 250_000
_FIRST_INVOICE = 500_000

#: kinds of order in the skeleton
KIND_BTYD, KIND_GUEST, KIND_CANCELLED, KIND_CAMPAIGN = 0, 1, 2, 3


@dataclass
class Plan:
    """Customers (arrays by customer index) and the time-sorted order skeleton of a run."""

    cfg_start: dt.date
    days: int
    start_us: int
    cust: dict               # customer arrays (global index)
    orders: dict             # order skeleton sorted by time
    n_customers: int
    campaigns: list = field(default_factory=list)     # one dict per campaign (truth, see simulate_campaigns)
    exposures: dict = field(default_factory=dict)     # cust, campaign, email (one entry per targeted customer)
    uplift: dict = field(default_factory=dict)        # planted uplift: segment per customer, per eligible pair (see simulate_campaigns)


def _order_channels(rng, pref: np.ndarray, country: np.ndarray) -> np.ndarray:
    n = pref.size
    uk = country == 0
    other = np.where(uk, rng.choice(3, size=n, p=CHANNEL_PREF_UK),
                     rng.choice(3, size=n, p=CHANNEL_PREF_ABROAD))
    return np.where(rng.random(n) < CHANNEL_STICKY, pref, other)


def make_plan(rng, n_customers: int, start: dt.date, days: int) -> Plan:
    """Simulate ``n_customers`` customers, the campaigns and the extra (guest, cancelled) orders;
    sort all orders by time and number the invoices."""
    start_us = int(np.datetime64(start, "us").astype(np.int64))
    parts_c, parts_oc, parts_ot, parts_os = [], [], [], []
    for lo in range(0, n_customers, CHUNK_CUSTOMERS):
        m = min(CHUNK_CUSTOMERS, n_customers - lo)
        c, oc, ot, osc = simulate_customers(rng, m, start, days)
        parts_c.append(c)
        parts_oc.append(oc + lo)
        parts_ot.append(ot)
        parts_os.append(osc)
    cust = {k: np.concatenate([c[k] for c in parts_c]) for k in parts_c[0]}
    oc = np.concatenate(parts_oc)
    ot = np.concatenate(parts_ot)
    osc = np.concatenate(parts_os)
    del parts_c, parts_oc, parts_ot, parts_os
    n_btyd = oc.size
    ta = type_arrays()

    # campaigns: randomised targeting; responses are extra orders
    campaigns, exposures, resp, planted = simulate_campaigns(rng, cust, oc, ot, days, protect=osc > 0)
    n_camp = resp["cust"].size

    # extra cancelled orders: existing customers, between birth and dropout (or end - 1 day)
    n_orders_c = np.bincount(oc, minlength=n_customers)
    hi = np.where(np.isnan(cust["drop_t"]), days - 1.0, np.minimum(cust["drop_t"], days - 1.0))
    span = hi - cust["birth_t"]
    w = np.where(span > 0, n_orders_c, 0).astype(float)
    n_cancel = int(round(DIRT_RATES["cancelled_orders_per_order"] * n_btyd)) if w.sum() > 0 else 0
    if n_cancel:
        cc = rng.choice(n_customers, size=n_cancel, p=w / w.sum())
        ct = cust["birth_t"][cc] + span[cc] * rng.uniform(0.02, 0.98, n_cancel)
        room = np.minimum(10.0, days - ct - 1e-3)
        c_delay = rng.uniform(1.0 / 24.0, 1.0, n_cancel) * room
        c_delay = np.maximum(c_delay, 1.0 / 24.0)
        c_t = ct + c_delay
    else:
        cc = np.zeros(0, np.int64)
        ct = c_t = np.zeros(0)

    # guest orders
    n_guest = int(round(DIRT_RATES["guest_orders_per_order"] * n_btyd))
    gt = sample_days(rng, day_weights(start, days, 1.3), n_guest)
    g_country = rng.choice(len(COUNTRIES), size=n_guest, p=[c[1] for c in COUNTRIES])
    g_chan = rng.choice(3, size=n_guest, p=GUEST_CHANNEL)
    g_chan = np.where((g_country != 0) & (g_chan == 1), 0, g_chan)
    g_nu = rng.gamma(ta["q"][0], 1.0 / ta["gamma"][0], n_guest)

    kind = np.concatenate([np.full(n_btyd, KIND_BTYD), np.full(n_guest, KIND_GUEST),
                           np.full(n_cancel, KIND_CANCELLED), np.full(n_camp, KIND_CAMPAIGN)]).astype(np.int8)
    ocust = np.concatenate([oc, np.full(n_guest, -1), cc, resp["cust"]]).astype(np.int64)
    t = np.concatenate([ot, gt, ct, resp["t"]])
    n_other = n_guest + n_cancel + n_camp
    known = ocust >= 0
    safe = np.where(known, ocust, 0)
    otype = np.where(known, cust["type"][safe], 0).astype(np.int64)
    nu = np.where(known, cust["nu"][safe], np.concatenate([np.zeros(n_btyd), g_nu, np.zeros(n_cancel + n_camp)]))
    z = rng.gamma(ta["p"][otype], 1.0 / nu)
    country = np.where(known, cust["country"][safe], np.concatenate(
        [np.zeros(n_btyd, np.int64), g_country, np.zeros(n_cancel + n_camp, np.int64)]))
    chan_pref = np.where(known, cust["channel"][safe], np.concatenate(
        [np.zeros(n_btyd, np.int64), g_chan, np.zeros(n_cancel + n_camp, np.int64)]))
    chan = np.where(known, _order_channels(rng, chan_pref, country), chan_pref)
    cancel_t = np.concatenate([np.full(n_btyd + n_guest, np.nan), c_t, np.full(n_camp, np.nan)])
    camp_idx = np.concatenate([np.full(n_btyd + n_guest + n_cancel, -1), resp["campaign"]]).astype(np.int64)
    # reviews of BTYD orders, written a few days later (never after the window)
    score = np.concatenate([osc, np.zeros(n_other, np.int8)])
    reviewed = np.flatnonzero(score > 0)
    lo_d, hi_d = FEEDBACK_RULES["delay_days"]
    fb_t = np.full(score.size, np.nan)
    fb_t[reviewed] = t[reviewed] + np.minimum(rng.uniform(lo_d, hi_d, reviewed.size),
                                              (days - t[reviewed]) * 0.999)

    # fee and extreme-quantity flags (on BTYD and guest orders; never on cancelled or campaign orders)
    n = kind.size
    web = chan != 1
    p_post = np.where(country != 0, 0.7, np.where(z < 20.0, 0.2, 0.02))
    post = (kind <= KIND_GUEST) & web & (rng.random(n) < p_post)
    kept = np.ones(kind.size, bool)
    kept[planted["skip"]] = False    # BTYD orders come first in the arrays: ``skip`` indexes them as it indexes oc
    btyd_idx = np.flatnonzero((kind == KIND_BTYD) & kept)    # dirt only on orders that take place

    def pick(rate, lo, hi_=None):
        k = max(lo, int(round(rate * n_btyd)))
        if hi_ is not None:
            k = min(k, hi_)
        k = min(k, btyd_idx.size)
        flag = np.zeros(n, dtype=bool)
        flag[rng.choice(btyd_idx, size=k, replace=False)] = True
        return flag

    manual = pick(DIRT_RATES["manual_per_order"], 2)
    bank = pick(DIRT_RATES["bank_charges_per_order"], 1)
    extreme = pick(DIRT_RATES["extreme_per_order"], 1, 60)

    ts = to_ts_us(t, start_us)
    order = np.lexsort((ocust, kind, ts))
    order = order[kept[order]]       # sleeping dogs' skipped purchases leave after every draw, so the others keep theirs
    orders = {"kind": kind, "cust": ocust, "t": t, "ts": ts, "type": otype, "z": z,
              "country": country, "channel": chan, "post": post, "manual": manual,
              "bank": bank, "extreme": extreme,
              "cancel_ts": np.where(np.isnan(cancel_t), 0, to_ts_us(np.nan_to_num(cancel_t), start_us)),
              "campaign": camp_idx, "score": score,
              "fb_ts": np.where(np.isnan(fb_t), 0, to_ts_us(np.nan_to_num(fb_t), start_us))}
    orders = {k: v[order] for k, v in orders.items()}
    orders["invoice"] = _FIRST_INVOICE + np.arange(order.size, dtype=np.int64)
    day_month = month_of_day(start, days)
    orders["month"] = day_month[np.minimum(orders["t"].astype(np.int64), days)]
    return Plan(cfg_start=start, days=days, start_us=start_us, cust=cust, orders=orders,
                n_customers=n_customers, campaigns=campaigns, exposures=exposures, uplift=planted)
