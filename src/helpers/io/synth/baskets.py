"""Order composition, vectorised over a chunk of orders: products drawn from the type's
preferences and the month's seasonality, planted bundles added, quantities set so each
order's value is close to its Gamma-Gamma target."""
from __future__ import annotations

import numpy as np

from helpers.io.synth.catalogue import choice_cum, sample_rows, shop_catalogue


def _dedup(oi, prod, slot, protected, n_prod):
    """Keep one line per (order, product), preferring a protected copy; return in slot order."""
    key = oi * n_prod + prod
    o = np.lexsort((slot, ~protected, key))
    key_s = key[o]
    first = np.ones(key_s.size, dtype=bool)
    first[1:] = key_s[1:] != key_s[:-1]
    keep = o[first]
    keep = keep[np.lexsort((slot[keep], oi[keep]))]
    return oi[keep], prod[keep], slot[keep], protected[keep]


def compose(rng, type_idx: np.ndarray, month: np.ndarray, z: np.ndarray):
    """Build the product lines of ``len(z)`` orders so each order's value is close to ``z``.

    Returns (order index, product index, quantity) sorted by order then line position, and
    the realised value per order.
    """
    cat = shop_catalogue()
    cum = choice_cum()
    n = z.size
    n_prod = cat.price.size
    k = np.clip(1 + rng.poisson(0.3 + z / 22.0), 1, 6)
    oi = np.repeat(np.arange(n), k)
    row = type_idx[oi] * 12 + month[oi]
    prod = sample_rows(cum, row, rng.random(oi.size))
    slot = np.arange(oi.size, dtype=float)
    protected = cat.bundle_of_head[prod] >= 0
    oi, prod, slot, protected = _dedup(oi, prod, slot, protected, n_prod)

    # planted bundles: when a head is in the basket, add all its partners with prob
    b = cat.bundle_of_head[prod]
    heads = np.flatnonzero(b >= 0)
    fire = heads[rng.random(heads.size) < cat.bundle_prob[b[heads]]]
    if fire.size:
        mem = cat.bundle_members[b[fire]]                      # (f, 2)
        ok = mem >= 0
        add_oi = np.repeat(oi[fire][:, None], 2, axis=1)[ok]
        add_prod = mem[ok]
        add_slot = (np.repeat(slot[fire][:, None], 2, axis=1) + np.array([0.25, 0.5]))[ok]
        oi = np.concatenate([oi, add_oi])
        prod = np.concatenate([prod, add_prod])
        slot = np.concatenate([slot, add_slot])
        protected = np.concatenate([protected, np.ones(add_oi.size, dtype=bool)])
        oi, prod, slot, protected = _dedup(oi, prod, slot, protected, n_prod)

    # drop the most expensive unprotected line while the basket at 1 unit each exceeds z
    price = cat.price[prod]
    alive = np.ones(oi.size, dtype=bool)
    for _ in range(16):
        s = np.bincount(oi[alive], price[alive], minlength=n)
        nl = np.bincount(oi[alive], minlength=n)
        cand = np.flatnonzero(alive & ~protected & (s > z)[oi] & (nl > 1)[oi])
        if not cand.size:
            break
        o = cand[np.lexsort((-price[cand], oi[cand]))]
        first = np.ones(o.size, dtype=bool)
        first[1:] = oi[o][1:] != oi[o][:-1]
        alive[o[first]] = False
    oi, prod, slot, protected = oi[alive], prod[alive], slot[alive], protected[alive]
    price = cat.price[prod]
    # a lone unprotected item costing more than z is traded down to its "Good" tier
    s = np.bincount(oi, price, minlength=n)
    nl = np.bincount(oi, minlength=n)
    trade = (nl[oi] == 1) & (s[oi] > z[oi]) & ~protected
    prod = np.where(trade, cat.good_idx[prod], prod)
    price = cat.price[prod]
    s = np.bincount(oi, price, minlength=n)

    # quantities: floor(z/S) each, +1 greedily from the most expensive, cheapest absorbs the rest
    base = np.maximum(1.0, np.floor(z / s))
    q = base[oi].copy()
    rem = z - base * s
    o = np.lexsort((-price, oi))
    oi_s, pr_s = oi[o], price[o]
    starts = np.flatnonzero(np.r_[True, oi_s[1:] != oi_s[:-1]])
    counts = np.diff(np.r_[starts, oi_s.size])
    rank = np.arange(oi_s.size) - np.repeat(starts, counts)
    q_s = q[o]
    for j in range(int(rank.max()) + 1 if rank.size else 0):
        sel = np.flatnonzero(rank == j)
        oo = oi_s[sel]
        take = rem[oo] >= pr_s[sel]
        q_s[sel] += take
        rem[oo] -= take * pr_s[sel]
    # the line whose unit price fits the remainder best absorbs it (ties: the cheapest line)
    r_line = np.maximum(rem[oi_s], 0.0)
    add = np.floor(r_line / pr_s + 0.5)
    resid = np.abs(r_line - add * pr_s)
    pick = np.lexsort((-rank, resid, oi_s))
    first = np.ones(pick.size, dtype=bool)
    first[1:] = oi_s[pick][1:] != oi_s[pick][:-1]
    best = pick[first]
    q_s[best] += add[best]
    q[o] = q_s
    value = np.bincount(oi, q * price, minlength=n)
    return oi, prod, q, value
