"""The fixed catalogue (12 categories x 10 base items x 3 price tiers, planted bundles, fee
codes) and the product-choice probabilities per customer type and calendar month."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.io.synth.params import (
    BUNDLE_SPEC,
    CATEGORIES,
    FEES,
    FEE_CATEGORY,
    PRICE_RANGE,
    SEASON,
    TIERS,
    TIER_MULT,
    TYPES,
    TYPE_NAMES,
)


# --------------------------------------------------------------------------------------
# catalogue construction
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Catalogue:
    products: pd.DataFrame          # one row per product, index = product index
    cat_idx: np.ndarray             # category index per product
    tier: np.ndarray                # 0/1/2
    price: np.ndarray
    good_idx: np.ndarray            # index of the "Good" version of the same base item
    popularity: np.ndarray
    bundle_of_head: np.ndarray      # bundle number when the product is a bundle head, else -1
    bundle_members: np.ndarray      # (n_bundles, 2) partner product indices, -1 padded
    bundle_prob: np.ndarray
    in_bundle: np.ndarray           # bool: product belongs to any bundle
    bundles: list = field(default_factory=list)
    # extended code tables: catalogue products followed by the fee codes
    ext_code: pa.Array = None
    ext_desc: pa.Array = None
    ext_cat: pa.Array = None


def _charm(x: np.ndarray) -> np.ndarray:
    """Shop prices ending in 5p: 2.45, 3.95, ..."""
    return np.round(np.round(x * 10.0) / 10.0 + 0.05, 2)


@functools.lru_cache(maxsize=1)
def shop_catalogue() -> _Catalogue:
    """The catalogue, built once per process from a fixed seed (the same in every run)."""
    rng = np.random.default_rng(20230101)  # fixed: the catalogue is the same in every run
    cats = list(CATEGORIES)
    n_items = sum(len(v) for v in CATEGORIES.values())
    codes = rng.choice(np.arange(10_000, 100_000), size=n_items * 3, replace=False)
    heads = {spec[0][0] for spec, _ in BUNDLE_SPEC}
    rows = []
    k = 0
    for ci, cat in enumerate(cats):
        lo, hi = PRICE_RANGE[cat]
        items = CATEGORIES[cat]
        good = np.exp(rng.uniform(np.log(lo), np.log(hi), len(items)))
        ranks = rng.permutation(len(items))
        pop = 1.0 / (ranks + 1.0) ** 0.8
        for bi, item in enumerate(items):
            popularity = 1.0 if item in heads else float(pop[bi])
            for ti, tier in enumerate(TIERS):
                price = float(_charm(good[bi] * TIER_MULT[ti]))
                rows.append({"product_id": f"{codes[k]:05d}", "description": f"{item} - {tier}",
                             "category": cat, "base_item": item, "tier": tier, "tier_rank": ti,
                             "price": price, "popularity": popularity, "cat_idx": ci,
                             "good_idx": k - ti})
                k += 1
    products = pd.DataFrame(rows)
    # tiers strictly increasing within a base item (guaranteed by construction; checked here)
    pr = products["price"].to_numpy().reshape(-1, 3)
    assert (np.diff(pr, axis=1) > 0).all()
    by_name = {d: i for i, d in enumerate(products["description"])}
    n = len(products)
    bundle_of_head = np.full(n, -1, dtype=np.int64)
    members = np.full((len(BUNDLE_SPEC), 2), -1, dtype=np.int64)
    probs = np.zeros(len(BUNDLE_SPEC))
    in_bundle = np.zeros(n, dtype=bool)
    bundles = []
    for b, (spec, prob) in enumerate(BUNDLE_SPEC):
        idx = [by_name[f"{item} - {tier}"] for item, tier in spec]
        assert not in_bundle[idx].any(), "bundles must be disjoint"
        in_bundle[idx] = True
        bundle_of_head[idx[0]] = b
        members[b, : len(idx) - 1] = idx[1:]
        probs[b] = prob
        bundles.append({"products": tuple(products["product_id"].iloc[idx]),
                        "descriptions": [products["description"].iloc[i] for i in idx],
                        "categories": [products["category"].iloc[i] for i in idx],
                        "prob": prob})
    ext_code = pa.array(list(products["product_id"]) + [c for c, _ in FEES], pa.string())
    ext_desc = pa.array(list(products["description"]) + [d for _, d in FEES], pa.string())
    ext_cat = pa.array(list(products["category"]) + [FEE_CATEGORY] * len(FEES), pa.string())
    return _Catalogue(products=products, cat_idx=products["cat_idx"].to_numpy(),
                      tier=products["tier_rank"].to_numpy(), price=products["price"].to_numpy(),
                      good_idx=products["good_idx"].to_numpy(),
                      popularity=products["popularity"].to_numpy(),
                      bundle_of_head=bundle_of_head, bundle_members=members, bundle_prob=probs,
                      in_bundle=in_bundle, bundles=bundles, ext_code=ext_code, ext_desc=ext_desc,
                      ext_cat=ext_cat)


@functools.lru_cache(maxsize=1)
def choice_cum() -> np.ndarray:
    """Cumulative product-choice probabilities, one row per (type, month): shape (T*12, P)."""
    cat = shop_catalogue()
    cats = list(CATEGORIES)
    rows = []
    for tname in TYPE_NAMES:
        t = TYPES[tname]
        catw = np.array([t["category_pref"][c] for c in cats])[cat.cat_idx]
        tierw = np.array([t["tier_pref"][x] for x in TIERS])[cat.tier]
        for m in range(12):
            season = np.array([SEASON.get(c, [1.0] * 12)[m] for c in cats])[cat.cat_idx]
            w = catw * tierw * season * cat.popularity
            rows.append(np.cumsum(w / w.sum()))
    cum = np.vstack(rows)
    cum[:, -1] = 1.0
    return cum


def sample_rows(cum: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one column per entry from the categorical distribution in ``cum[row]``."""
    n_rows, n_cols = cum.shape
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    idx = np.searchsorted(flat, row + u, side="right") - row * n_cols
    return np.clip(idx, 0, n_cols - 1)
