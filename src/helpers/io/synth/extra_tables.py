"""The tables written beside ``lines.parquet``: attributes, exposures, responses, feedback
(:data:`EXTRA_TABLES` gives their columns and dtypes)."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.io.synth.customers import is_complaint
from helpers.io.synth.lines import Stats
from helpers.io.synth.params import (
    AGE_BANDS,
    DAY_US,
    FEEDBACK_PHRASES,
    FEEDBACK_RULES,
    FIRST_CUSTOMER_ID,
    HOUSEHOLD_SIZES,
    INCOME_BANDS,
    REGIONS_UK,
    REGION_ABROAD,
)
from helpers.io.synth.plan import KIND_CAMPAIGN, Plan


def customer_ids(idx: np.ndarray) -> pd.arrays.StringArray:
    """Customer index -> customer_id strings (as in lines.parquet)."""
    return pd.array((np.asarray(idx, dtype=np.int64) + FIRST_CUSTOMER_ID).astype(str), dtype="string")


def timestamps(us: np.ndarray) -> np.ndarray:
    """int64 microseconds -> ``datetime64[us]``."""
    return np.asarray(us, dtype=np.int64).view("datetime64[us]")


#: canonical columns and pandas dtypes of the extra tables (written exactly like this)
EXTRA_TABLES: dict[str, dict[str, str]] = {
    "attributes": {"customer_id": "string", "region": "string", "age_band": "string",
                   "income_band": "string", "household_size": "int64"},
    "exposures": {"customer_id": "string", "campaign_id": "string", "campaign_type": "string",
                  "start": "datetime64[us]", "end": "datetime64[us]", "channel": "string"},
    "responses": {"customer_id": "string", "campaign_id": "string", "response_ts": "datetime64[us]",
                  "response_type": "string", "value": "float64"},
    "feedback": {"feedback_id": "string", "customer_id": "string", "invoice": "string",
                 "feedback_ts": "datetime64[us]", "score": "float64", "score_min": "float64",
                 "score_max": "float64", "title": "string", "text": "string", "category": "string",
                 "language": "string"},
}


_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
                "datetime64[us]": pa.timestamp("us")}


@functools.lru_cache(maxsize=None)
def _extra_schema(name: str) -> pa.Schema:
    """Arrow schema of an extra table, with pandas metadata so pandas reads the dtypes of EXTRA_TABLES."""
    cols = EXTRA_TABLES[name]
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    meta = pa.Schema.from_pandas(empty, preserve_index=False).metadata
    return pa.schema([pa.field(c, _ARROW_TYPES[t]) for c, t in cols.items()], metadata=meta)


def _table(name: str, cols: dict, n: int) -> pa.Table:
    """An arrow table of ``n`` rows in the canonical schema; scalars are repeated."""
    sch = _extra_schema(name)
    arrays = []
    for f in sch:
        v = cols[f.name]
        if v is None or np.isscalar(v):
            v = pa.array([v], f.type).take(pa.array(np.zeros(n, np.int64)))
        elif not isinstance(v, (pa.Array, pa.ChunkedArray)):
            v = pa.array(v, f.type)
        arrays.append(v.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def _id_strings(idx: np.ndarray) -> pa.Array:
    """Customer index -> customer_id strings (as in lines.parquet), as an arrow array."""
    return pc.cast(pa.array(np.asarray(idx, dtype=np.int64) + FIRST_CUSTOMER_ID), pa.string())


def campaign_bounds(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) end of every campaign in microseconds."""
    s = np.array([c["start_day"] for c in plan.campaigns], dtype=np.int64)
    e = np.array([c["end_day"] for c in plan.campaigns], dtype=np.int64)
    return plan.start_us + s * DAY_US, plan.start_us + e * DAY_US


def _labels(values, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as an arrow string array (dictionary take: no Python strings per row)."""
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def attributes_table(plan: Plan) -> pa.Table:
    """``attributes.parquet``: one row per customer (region, age band, income band, household size)."""
    c = plan.cust
    n = plan.n_customers
    return _table("attributes", {
        "customer_id": _id_strings(np.arange(n)),
        "region": _labels(REGIONS_UK + (REGION_ABROAD,), c["region"]),
        "age_band": _labels(AGE_BANDS, c["age"]),
        "income_band": _labels(INCOME_BANDS, c["income"]),
        "household_size": np.array(HOUSEHOLD_SIZES, dtype=np.int64)[c["household"]],
    }, n)


def exposures_table(plan: Plan) -> pa.Table:
    """``exposures.parquet``: one row per targeted customer and campaign, by campaign then customer."""
    e = plan.exposures
    s_us, e_us = campaign_bounds(plan)
    order = np.lexsort((e["cust"], e["campaign"]))
    k = e["campaign"][order]
    return _table("exposures", {
        "customer_id": _id_strings(e["cust"][order]),
        "campaign_id": _labels([c["campaign_id"] for c in plan.campaigns], k),
        "campaign_type": _labels([c["campaign_type"] for c in plan.campaigns], k),
        "start": timestamps(s_us[k]), "end": timestamps(e_us[k]),
        "channel": _labels(("sms", "email"), e["email"][order].astype(np.int64)),
    }, k.size)


def campaign_orders_frame(plan: Plan, stats: Stats) -> pd.DataFrame:
    """Truth: one row per campaign (response) order with its invoice and realised value."""
    o = plan.orders
    sel = np.flatnonzero(o["kind"] == KIND_CAMPAIGN)
    inv = np.concatenate(stats.campaign_invoice) if stats.campaign_invoice else np.zeros(0, np.int64)
    val = np.concatenate(stats.campaign_value) if stats.campaign_value else np.zeros(0)
    value = pd.Series(val, index=inv).reindex(o["invoice"][sel]).to_numpy()
    ids = np.array([c["campaign_id"] for c in plan.campaigns] or [""])
    return pd.DataFrame({
        "invoice": pd.array(o["invoice"][sel].astype(str), dtype="string"),
        "customer_id": customer_ids(o["cust"][sel]),
        "campaign_id": pd.array(ids[o["campaign"][sel]], dtype="string"),
        "invoice_ts": timestamps(o["ts"][sel]),
        "value": value.astype(np.float64),
    })


def responses_table(campaign_orders: pd.DataFrame) -> pa.Table:
    """``responses.parquet``: one coupon response per campaign order."""
    r = campaign_orders
    return _table("responses", {
        "customer_id": pa.array(r["customer_id"].to_numpy(object), pa.string()),
        "campaign_id": pa.array(r["campaign_id"].to_numpy(object), pa.string()),
        "response_ts": r["invoice_ts"].to_numpy("datetime64[us]"),
        "response_type": "coupon", "value": r["value"].to_numpy(np.float64),
    }, len(r))


def feedback_table(plan: Plan, seed: int) -> pa.Table:
    """One row per review of a BTYD order, in feedback_ts order (ids F0000001, ...)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5EED, 0xFEED]))
    o = plan.orders
    sel = np.flatnonzero(o["score"] > 0)
    sel = sel[np.argsort(o["fb_ts"][sel], kind="stable")]
    n = sel.size
    score = o["score"][sel].astype(np.int64)
    # phrase number in one flat bank: offset of the score's bank + a uniform pick within it
    sizes = np.array([len(FEEDBACK_PHRASES[k]) for k in range(1, 6)])
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = offset[score - 1] + np.floor(rng.random(n) * sizes[score - 1]).astype(np.int64)
    no_text = rng.random(n) < FEEDBACK_RULES["no_text_share"]
    flat = [t for k in range(1, 6) for t in FEEDBACK_PHRASES[k]]
    text = pa.array(flat, pa.string()).take(pa.array(pick, mask=no_text))
    fid = pc.binary_join_element_wise(pa.scalar("F"), pc.utf8_lpad(
        pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()), 7, "0"), pa.scalar(""))
    return _table("feedback", {
        "feedback_id": fid,
        "customer_id": _id_strings(o["cust"][sel]),
        "invoice": pc.cast(pa.array(o["invoice"][sel]), pa.string()),
        "feedback_ts": timestamps(o["fb_ts"][sel]),
        "score": score.astype(np.float64),
        "score_min": 1.0, "score_max": 5.0, "title": None,
        "text": text,
        "category": _labels(("review", "complaint"), is_complaint(score).astype(np.int64)),
        "language": "en",
    }, n)
