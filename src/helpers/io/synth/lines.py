"""The sales lines, chunk by chunk of orders: product lines, the planted dirt (zero prices,
extreme quantities, fees, postage, duplicates, cancellations) and the arrow tables written
to ``lines.parquet`` in time order."""
from __future__ import annotations

import functools
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.io.schema import LINE_COLUMNS
from helpers.io.synth.baskets import compose
from helpers.io.synth.catalogue import shop_catalogue
from helpers.io.synth.params import CHANNELS, COUNTRIES, CURRENCY, DIRT_RATES, FIRST_CUSTOMER_ID
from helpers.io.synth.plan import KIND_BTYD, KIND_CAMPAIGN, KIND_CANCELLED, KIND_GUEST, Plan


#: orders per parquet row group
CHUNK_ORDERS = 100_000

_FIELDS = ("ts", "inv", "is_c", "pos", "cust", "prod", "q", "price", "country", "channel")


def _cat(parts: list[dict]) -> dict:
    parts = [p for p in parts if p["ts"].size]
    if not parts:
        return {f: np.zeros(0) for f in _FIELDS}
    return {f: np.concatenate([p[f] for p in parts]) for f in _FIELDS}


def _take(d: dict, idx) -> dict:
    return {f: d[f][idx] for f in _FIELDS}


def _new_products_not_in(rng, oi_new, lines_oi, lines_prod, n_prod, exclude_mask):
    """Random catalogue products for new lines on orders ``oi_new``, not already in that order."""
    prod = rng.integers(0, n_prod, oi_new.size)
    existing = np.sort(lines_oi * n_prod + lines_prod)   # sorted once; membership by binary search

    def taken(keys):
        if not existing.size:
            return np.zeros(keys.size, dtype=bool)
        i = np.minimum(np.searchsorted(existing, keys), existing.size - 1)
        return existing[i] == keys

    for _ in range(50):
        bad = taken(oi_new * n_prod + prod) | exclude_mask[prod]
        if not bad.any():
            break
        prod[bad] = (prod[bad] + 37) % n_prod
    return prod


class Stats:
    """Running counts while the lines are written: dirt per kind, order values against targets, campaign orders."""

    def __init__(self, n_customers: int):
        self.dirt = {k: 0 for k in (
            "guest_orders", "guest_lines", "cancelled_orders", "cancelled_order_lines",
            "cancellation_lines", "cancellation_lines_partial", "duplicate_lines",
            "zero_price_lines", "postage_lines", "manual_lines", "bank_charges_lines",
            "extreme_quantity_lines")}
        self.value_sum = np.zeros(n_customers)
        self.target_sum = np.zeros(n_customers)
        self.rel_err: list[np.ndarray] = []
        self.max_btyd_quantity = 0.0
        self.lines = 0
        self.btyd_lines = 0
        self.campaign_lines = 0
        self.campaign_invoice: list[np.ndarray] = []   # invoice number of each campaign (response) order
        self.campaign_value: list[np.ndarray] = []     # its realised value


def _chunk_lines(rng, plan: Plan, lo: int, hi: int, stats: Stats) -> tuple[dict, dict]:
    """Lines of orders ``lo:hi`` (time-sorted) and the cancellation lines they cause."""
    cat = shop_catalogue()
    n_prod = cat.price.size
    o = {k: v[lo:hi] for k, v in plan.orders.items()}
    n = o["z"].size
    oi, prod, q, value = compose(rng, o["type"], o["month"], o["z"])
    kind = o["kind"]
    btyd = kind == KIND_BTYD
    # truth bookkeeping
    cb = o["cust"][btyd]
    stats.value_sum += np.bincount(cb, value[btyd], minlength=stats.value_sum.size)
    stats.target_sum += np.bincount(cb, o["z"][btyd], minlength=stats.target_sum.size)
    stats.rel_err.append(((value[btyd] - o["z"][btyd]) / o["z"][btyd]).astype(np.float32))
    lb = btyd[oi]
    if lb.any():
        stats.max_btyd_quantity = max(stats.max_btyd_quantity, float(q[lb].max()))
    stats.btyd_lines += int(lb.sum())
    camp = kind == KIND_CAMPAIGN
    if camp.any():
        stats.campaign_invoice.append(o["invoice"][camp])
        stats.campaign_value.append(value[camp])
        stats.campaign_lines += int(camp[oi].sum())
    stats.dirt["guest_orders"] += int((kind == KIND_GUEST).sum())
    stats.dirt["cancelled_orders"] += int((kind == KIND_CANCELLED).sum())
    stats.dirt["cancelled_order_lines"] += int((kind[oi] == KIND_CANCELLED).sum())

    starts = np.flatnonzero(np.r_[True, oi[1:] != oi[:-1]])
    pos = (np.arange(oi.size) - np.repeat(starts, np.diff(np.r_[starts, oi.size]))) * 2.0

    def mk(oi_, prod_, q_, price_, pos_, is_c=0, ts=None):
        return {"ts": o["ts"][oi_] if ts is None else ts, "inv": o["invoice"][oi_],
                "is_c": np.full(oi_.size, is_c, np.int8), "pos": pos_, "cust": o["cust"][oi_],
                "prod": prod_, "q": q_.astype(float), "price": price_.astype(float),
                "country": o["country"][oi_], "channel": o["channel"][oi_]}

    main = mk(oi, prod, q, cat.price[prod], pos)
    parts = [main]

    # zero-price lines on BTYD/guest orders (one per chosen order)
    eligible = np.flatnonzero(kind <= KIND_GUEST)
    n_sale = int((kind[oi] <= KIND_GUEST).sum())
    if eligible.size:
        k0 = min(eligible.size, max(1, rng.binomial(n_sale, DIRT_RATES["zero_price_per_line"])))
        zo = np.sort(rng.choice(eligible, size=k0, replace=False))
        zp = _new_products_not_in(rng, zo, oi, prod, n_prod, np.zeros(n_prod, bool))
        parts.append(mk(zo, zp, rng.integers(1, 13, k0), np.zeros(k0), np.full(k0, 200.0)))
        stats.dirt["zero_price_lines"] += k0
    # extreme quantities
    eo = np.flatnonzero(o["extreme"])
    if eo.size:
        ep = _new_products_not_in(rng, eo, oi, prod, n_prod, cat.in_bundle)
        eq = np.round(np.exp(rng.uniform(np.log(1000), np.log(6_000), eo.size)))
        parts.append(mk(eo, ep, eq, cat.price[ep], np.full(eo.size, 210.0)))
        stats.dirt["extreme_quantity_lines"] += eo.size
    # fee lines
    mo = np.flatnonzero(o["manual"])
    if mo.size:
        mp = np.round(rng.uniform(0.5, 60.0, mo.size), 2)
        parts.append(mk(mo, np.full(mo.size, n_prod + 1), np.ones(mo.size), mp, np.full(mo.size, 220.0)))
        stats.dirt["manual_lines"] += mo.size
    bo = np.flatnonzero(o["bank"])
    if bo.size:
        parts.append(mk(bo, np.full(bo.size, n_prod + 2), np.ones(bo.size), np.full(bo.size, 15.0),
                        np.full(bo.size, 230.0)))
        stats.dirt["bank_charges_lines"] += bo.size
    po = np.flatnonzero(o["post"])
    if po.size:
        post_price = np.array([c[2] for c in COUNTRIES])[o["country"][po]]
        pq_ = np.where((o["country"][po] != 0) & (o["z"][po] > 150), 2.0, 1.0)
        parts.append(mk(po, np.full(po.size, n_prod), pq_, post_price, np.full(po.size, 240.0)))
        stats.dirt["postage_lines"] += po.size

    # exact duplicates of sale lines of BTYD/guest orders, placed right after the original
    sale = np.flatnonzero(kind[oi] <= KIND_GUEST)
    if sale.size:
        kd = min(sale.size, max(1, rng.binomial(sale.size, DIRT_RATES["duplicate_per_line"])))
        di = np.sort(rng.choice(sale, size=kd, replace=False))
        dup = _take(main, di)
        dup["pos"] = dup["pos"] + 1.0
        parts.append(dup)
        stats.dirt["duplicate_lines"] += kd

    # cancellations of every line of the cancelled orders
    ci = np.flatnonzero(kind[oi] == KIND_CANCELLED)
    canc = _take(main, ci)
    if ci.size:
        qq = canc["q"]
        partial = (qq >= 2) & (rng.random(ci.size) < DIRT_RATES["partial_cancel"])
        cq = np.where(partial, np.floor(rng.random(ci.size) * (qq - 1)) + 1, qq)
        canc["q"] = -cq
        canc["is_c"] = np.ones(ci.size, np.int8)
        canc["ts"] = o["cancel_ts"][oi[ci]]
        stats.dirt["cancellation_lines"] += ci.size
        stats.dirt["cancellation_lines_partial"] += int(partial.sum())
    return _cat(parts), canc


def _lines_table(d: dict, line0: int) -> pa.Table:
    cat = shop_catalogue()
    n = d["ts"].size
    inv = pc.cast(pa.array(d["inv"].astype(np.int64)), pa.string())
    inv_c = pc.binary_join_element_wise(pa.scalar("C"), inv, pa.scalar(""))
    invoice = pc.if_else(pa.array(d["is_c"].astype(bool)), inv_c, inv)
    cust = d["cust"].astype(np.int64)
    cust_id = pc.cast(pa.array(cust + FIRST_CUSTOMER_ID, mask=cust < 0), pa.string())
    prod = pa.array(d["prod"].astype(np.int64))
    q = d["q"].astype(np.float64)
    price = d["price"].astype(np.float64)
    cols = {
        "line_id": pa.array(np.arange(line0, line0 + n, dtype=np.int64)),
        "invoice": invoice,
        "invoice_ts": pa.array(d["ts"].astype(np.int64).view("datetime64[us]")),
        "customer_id": cust_id,
        "product_id": cat.ext_code.take(prod),
        "description": cat.ext_desc.take(prod),
        "category": cat.ext_cat.take(prod),
        "quantity": pa.array(q),
        "unit_price": pa.array(price),
        "amount": pa.array(q * price),
        "country": pa.array([c[0] for c in COUNTRIES], pa.string()).take(pa.array(d["country"].astype(np.int64))),
        "channel": pa.array(list(CHANNELS), pa.string()).take(pa.array(d["channel"].astype(np.int64))),
        "currency": pa.array([CURRENCY], pa.string()).take(pa.array(np.zeros(n, np.int64))),
        # the shop's exports have no line numbers, return references or return flags
        "line_no": pa.nulls(n, pa.string()),
        "original_invoice": pa.nulls(n, pa.string()),
        "is_return": pa.nulls(n, pa.bool_()),
    }
    return pa.Table.from_pydict(cols, schema=arrow_schema())


@functools.lru_cache(maxsize=1)
def arrow_schema() -> pa.Schema:
    """Arrow schema of lines.parquet, with pandas metadata so pandas reads the canonical dtypes."""
    from helpers.io.schema import empty_lines

    sch = pa.Schema.from_pandas(empty_lines(), preserve_index=False)
    types = {"int64": pa.int64(), "string": pa.string(), "datetime64[us]": pa.timestamp("us"),
             "float64": pa.float64(), "boolean": pa.bool_()}
    fields = [pa.field(c, types[t], nullable=True) for c, t in LINE_COLUMNS.items()]
    return pa.schema(fields, metadata=sch.metadata)


def iter_tables(rng, plan: Plan, stats: Stats, progress: bool = False):
    """Yield one arrow table per chunk of orders, in time order, with cancellations merged in."""
    n_orders = plan.orders["z"].size
    bounds = list(range(0, n_orders, CHUNK_ORDERS)) or [0]
    pending = _cat([])
    line0 = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(bounds), desc="synthetic shop", unit="chunk", file=sys.stderr)
    try:
        for i, lo in enumerate(bounds):
            hi = min(lo + CHUNK_ORDERS, n_orders)
            lines, canc = _chunk_lines(rng, plan, lo, hi, stats)
            pending = _cat([pending, canc])
            if hi < n_orders:
                cut = plan.orders["ts"][hi]
                emit = pending["ts"] < cut
            else:
                emit = np.ones(pending["ts"].size, dtype=bool)
            d = _cat([lines, _take(pending, emit)])
            pending = _take(pending, ~emit)
            order = np.lexsort((d["pos"], d["is_c"], d["inv"], d["ts"]))
            d = _take(d, order)
            stats.dirt["guest_lines"] += int((d["cust"] < 0).sum())
            table = _lines_table(d, line0)
            line0 += table.num_rows
            stats.lines += table.num_rows
            if bar is not None:
                bar.update(1)
            yield table
    finally:
        if bar is not None:
            bar.close()
