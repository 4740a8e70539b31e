"""Up-sell (*yukarı satış*): price ladders inside categories, tier shares and basket-value thresholds.

A **price ladder** ranks the products of a category into tiers (good / better / best). Two
ways to build it, per product:

* ``family``: products whose names share a stem once a grade suffix is removed
  (``family_pattern``, e.g. ``r"\\s*-\\s*\\w+$"`` turns "Teapot - Best" into "Teapot") form one
  ladder, ranked by price: the cheapest is the lowest tier. Used for families of two or
  more products with different prices.
* ``quantile``: every other product is placed by its price's position among the products
  of its category: with the price rank r (1 = cheapest, ties averaged) among n products,
  ``tier = floor((r - 0.5) / n x n_tiers)``, i.e. equal thirds for three tiers.

A user mapping (product -> tier name) overrides both (method ``mapped``).

**Moving one tier up** (the up-sell a campaign would offer): a product's ``next_tier_price``
is, in a family, the price of the cheapest product one tier up in the family; otherwise its
price x (median price of the next tier / median price of its own tier) in the category. A
customer's spend on it would then grow by the factor ``uplift_ratio = next_tier_price /
price``, so the gain of moving a line up is ``amount x (uplift_ratio - 1)`` (the same
quantities, bought one tier higher).
"""
from __future__ import annotations

import math
import re

import ibis
import numpy as np
import pandas as pd

TIER_NAMES = ("good", "better", "best")


# --------------------------------------------------------------------------------------
# price ladders
# --------------------------------------------------------------------------------------
def _pct_tier(price: pd.Series, n_tiers: int) -> pd.Series:
    r = price.rank(method="average")
    return np.floor((r - 0.5) / len(price) * n_tiers).astype(int).clip(0, n_tiers - 1)


def price_ladder(catalogue: pd.DataFrame, *, n_tiers: int = 3, tier_names=None, family_pattern: str | None = None,
                 mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Assign every product a price tier inside its category.

    Parameters
    ----------
    catalogue : pandas.DataFrame
        item, name, category (missing = one group "all products"), price (currency); e.g.
        :func:`helpers.models.baskets.item_catalogue`.
    n_tiers : int
        Number of tiers (2..5).
    tier_names : sequence of str, optional
        Names of the tiers from the lowest up (default good / better / best for three,
        ``tier 1`` .. otherwise).
    family_pattern : str, optional
        Regular expression removed from a product name to get its family (see the module
        docstring); None or "" = price quantiles only.
    mapping : pandas.DataFrame, optional
        item, tier_name: tiers the user assigns; they override the computed ones.

    Returns
    -------
    pandas.DataFrame
        item, name, category, family, price, tier (0 = lowest), tier_name, method
        ("family", "quantile" or "mapped"), next_tier_price (currency; NaN on the top tier
        or when the next tier is empty), uplift_ratio = next_tier_price / price.
    """
    if not 2 <= n_tiers <= 5:
        raise ValueError(f"price_ladder: n_tiers {n_tiers} must be from 2 to 5")
    names = list(tier_names) if tier_names is not None else (
        list(TIER_NAMES) if n_tiers == 3 else [f"tier {i + 1}" for i in range(n_tiers)])
    if len(names) != n_tiers:
        raise ValueError(f"price_ladder: {len(names)} tier_names given for n_tiers = {n_tiers}")
    if family_pattern:
        try:
            rx = re.compile(family_pattern)
        except re.error as exc:
            raise ValueError(f"price_ladder: family_pattern {family_pattern!r} is not a valid regular "
                             f"expression ({exc})") from None
    lad = catalogue[["item", "name", "category", "price"]].copy()
    lad = lad[lad["price"].notna() & (lad["price"] > 0)].reset_index(drop=True)
    lad["category"] = lad["category"].astype("string").fillna("all products")
    lad["family"] = pd.array([pd.NA] * len(lad), dtype="string")
    if family_pattern:
        fam = lad["name"].astype(str).map(lambda s: rx.sub("", s).strip() if rx.search(s) else None)
        lad["family"] = pd.array(fam, dtype="string")
    lad["tier"] = -1
    lad["method"] = "quantile"
    if family_pattern:
        fam_key = lad["category"] + "\x00" + lad["family"]
        nprices = lad.groupby(fam_key, dropna=True)["price"].transform("nunique")
        in_fam = lad["family"].notna() & (nprices >= 2)
        if in_fam.any():
            lad.loc[in_fam, "tier"] = (lad[in_fam].groupby(fam_key[in_fam], group_keys=False)["price"]
                                       .apply(lambda p: _pct_tier(p, n_tiers)))
            lad.loc[in_fam, "method"] = "family"
        lad.loc[~in_fam, "family"] = pd.NA
    q = lad["tier"] < 0
    if q.any():
        lad.loc[q, "tier"] = (lad[q].groupby("category", group_keys=False)["price"]
                              .apply(lambda p: _pct_tier(p, n_tiers)))
    if mapping is not None and len(mapping):
        m = mapping.astype({"item": "string"}).set_index("item")["tier_name"].astype(str).str.strip().str.lower()
        lower = [n.lower() for n in names]
        bad = sorted(set(m) - set(lower))
        if bad:
            raise ValueError(f"price_ladder: mapping has tier names {bad} that are not among {names}")
        hit = lad["item"].isin(m.index)
        lad.loc[hit, "tier"] = lad.loc[hit, "item"].map(m).map(lower.index).astype(int)
        lad.loc[hit, "method"] = "mapped"
    lad["tier"] = lad["tier"].astype(int)
    lad["tier_name"] = pd.array([names[t] for t in lad["tier"]], dtype="string")
    lad["next_tier_price"] = _next_tier_price(lad, n_tiers)
    lad["uplift_ratio"] = lad["next_tier_price"] / lad["price"]
    return lad[["item", "name", "category", "family", "price", "tier", "tier_name", "method", "next_tier_price",
                "uplift_ratio"]].sort_values(["category", "tier", "price", "item"], ignore_index=True)


def _next_tier_price(lad: pd.DataFrame, n_tiers: int) -> pd.Series:
    out = pd.Series(np.nan, index=lad.index)
    # quantile (and mapped) products: own price x median(next tier) / median(own tier) in the category
    med = lad.groupby(["category", "tier"])["price"].median()
    own = pd.Series(list(zip(lad["category"], lad["tier"])), index=lad.index).map(med)
    up = pd.Series(list(zip(lad["category"], lad["tier"] + 1)), index=lad.index).map(med)
    out[:] = lad["price"] * up / own
    # family products: the cheapest product of the lowest higher tier in the family
    fam = lad[lad["method"] == "family"]
    if len(fam):
        mins = fam.groupby(["category", "family", "tier"])["price"].min().reset_index()
        for (c, f), g in mins.groupby(["category", "family"]):
            g = g.sort_values("tier")
            nxt = dict(zip(g["tier"].iloc[:-1], g["price"].iloc[1:]))
            sel = fam.index[(fam["category"] == c) & (fam["family"] == f)]
            out[sel] = lad.loc[sel, "tier"].map(nxt).astype(float)
    out[lad["tier"] >= n_tiers - 1] = np.nan
    return out


def compare_tiers(ladder: pd.DataFrame, truth: pd.DataFrame, *, truth_order=("Good", "Better", "Best")) -> dict:
    """How well ``ladder`` recovers known tiers (e.g. the synthetic shop's ``truth["tiers"]``).

    ``truth``: product_id, tier (names in ``truth_order``, lowest first). Returns match_rate
    (share of the ladder's products whose tier equals the truth), products (compared),
    confusion (truth x assigned tier counts) and adjacent_only (no product two or more tiers off).
    """
    t = truth.rename(columns={"product_id": "item", "tier": "true_name"})[["item", "true_name"]].astype("string")
    t["true_tier"] = t["true_name"].map({n: i for i, n in enumerate(truth_order)})
    m = ladder[["item", "tier", "method"]].merge(t, on="item")
    conf = pd.crosstab(m["true_name"], m["tier"]).reindex(index=list(truth_order))
    return {"match_rate": float((m["tier"] == m["true_tier"]).mean()) if len(m) else np.nan,
            "products": int(len(m)), "confusion": conf,
            "by_method": m.assign(ok=m["tier"] == m["true_tier"]).groupby("method")["ok"].agg(["mean", "size"]),
            "adjacent_only": bool(((m["tier"] - m["true_tier"]).abs() <= 1).all())}


# --------------------------------------------------------------------------------------
# tier shares and tier-up potential
# --------------------------------------------------------------------------------------
def tier_shares(lines, ladder: pd.DataFrame) -> pd.DataFrame:
    """Share of each customer's spend in a category at each tier (in the engine, then pivoted).

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id (guests are left out), invoice, product_id, amount (currency).
    ladder : pandas.DataFrame
        :func:`price_ladder`.

    Returns
    -------
    pandas.DataFrame
        One row per customer and category: customer_id, category, orders (invoices with the
        category), spend (currency), spend_t0 .. spend_t{n-1}, share_t0 .. (of spend),
        lowest_only (every purchase in the lowest tier), gain_one_up (currency: the extra
        spend had every lowest-tier line been bought one tier up, sum of amount x
        (uplift_ratio - 1) over the lowest-tier lines).
    """
    n_tiers = int(ladder["tier"].max()) + 1 if len(ladder) else 1
    lad = ladder[["item", "category", "tier", "uplift_ratio"]].rename(columns={"item": "product_id"}).copy()
    lad["product_id"] = lad["product_id"].astype(str)
    lad["category"] = lad["category"].astype(str)
    lad["uplift_ratio"] = lad["uplift_ratio"].astype(float).fillna(1.0)
    lt = ibis.memtable(lad)
    t = lines.filter(lines.customer_id.notnull() & lines.product_id.notnull())
    t = t.select("customer_id", "invoice", "amount", product_id=t.product_id.cast("string"))
    j = t.join(lt, "product_id")   # the ladder's category (the lines' own may be missing) decides
    per_cat = j.group_by(["customer_id", "category"]).aggregate(orders=j.invoice.nunique(), spend=j.amount.sum())
    per_tier = j.group_by(["customer_id", "category", "tier"]).aggregate(
        spend=j.amount.sum(), gain=(j.amount * (j.uplift_ratio - 1.0)).sum())
    pc = per_cat.execute()
    pt = per_tier.execute()
    cols = ["customer_id", "category", "orders", "spend"]
    if pc.empty:
        return pd.DataFrame(columns=cols + [f"spend_t{i}" for i in range(n_tiers)]
                            + [f"share_t{i}" for i in range(n_tiers)] + ["lowest_only", "gain_one_up"])
    wide = pt.pivot_table(index=["customer_id", "category"], columns="tier", values="spend", aggfunc="sum",
                          fill_value=0.0).reindex(columns=range(n_tiers), fill_value=0.0)
    wide.columns = [f"spend_t{i}" for i in range(n_tiers)]
    gain0 = pt[pt["tier"] == 0].set_index(["customer_id", "category"])["gain"]
    out = pc.set_index(["customer_id", "category"]).join(wide).fillna(0.0)
    for i in range(n_tiers):
        out[f"share_t{i}"] = np.where(out["spend"] > 0, out[f"spend_t{i}"] / out["spend"], 0.0)
    out["lowest_only"] = (out["spend_t0"] > 0) & np.isclose(out["spend_t0"], out["spend"])
    out["gain_one_up"] = gain0.reindex(out.index).fillna(0.0)
    out = out.reset_index()
    out["customer_id"] = out["customer_id"].astype("string")
    out["orders"] = out["orders"].astype("int64")
    return out.sort_values(["customer_id", "category"], ignore_index=True)


def tier_mix(shares: pd.DataFrame, ladder: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per category: customers, spend (currency) and the share of spend at each tier (spend-weighted)."""
    tiers = sorted(int(c[7:]) for c in shares.columns if c.startswith("spend_t"))
    g = shares.groupby("category").agg(customers=("customer_id", "nunique"), spend=("spend", "sum"),
                                       **{f"spend_t{i}": (f"spend_t{i}", "sum") for i in tiers})
    for i in tiers:
        g[f"share_t{i}"] = g[f"spend_t{i}"] / g["spend"].where(g["spend"] > 0)
    g["lowest_only_customers"] = shares.groupby("category")["lowest_only"].sum()
    return g.reset_index().sort_values("spend", ascending=False, ignore_index=True)


def tier_up_potential(shares: pd.DataFrame, *, min_orders: int = 3) -> pd.DataFrame:
    """Customers who always buy the lowest tier of a category they buy often.

    "Often" = at least ``min_orders`` orders (invoices) holding the category. Returns
    customer_id, category, orders, spend (currency), gain_one_up (currency, over the
    analysis window: what the same purchases one tier up would have added), sorted by gain.
    """
    if min_orders < 1:
        raise ValueError(f"tier_up_potential: min_orders {min_orders} must be at least 1")
    p = shares[shares["lowest_only"] & (shares["orders"] >= min_orders)]
    return (p[["customer_id", "category", "orders", "spend", "gain_one_up"]]
            .sort_values(["gain_one_up", "customer_id"], ascending=[False, True], ignore_index=True))


def tier_up_by_category(potential: pd.DataFrame) -> pd.DataFrame:
    """Per category: customers with tier-up potential, their spend and the gain (currency)."""
    return (potential.groupby("category").agg(customers=("customer_id", "nunique"), spend=("spend", "sum"),
                                              gain_one_up=("gain_one_up", "sum"))
            .reset_index().sort_values("gain_one_up", ascending=False, ignore_index=True))


# --------------------------------------------------------------------------------------
# basket-value thresholds
# --------------------------------------------------------------------------------------
def basket_values(lines, *, country=None, channel=None) -> pd.DataFrame:
    """One row per basket (invoice, guests included): invoice, customer_id, value (currency), items."""
    t = lines
    for col, wanted in (("country", country), ("channel", channel)):
        if wanted:
            t = t.filter(t[col].isin([wanted] if isinstance(wanted, str) else list(wanted)))
    g = t.group_by("invoice").aggregate(customer_id=t.customer_id.max(), value=t.amount.sum(), lines=t.count())
    return g.execute().sort_values("invoice", ignore_index=True)


def nice_round(x: float) -> float:
    """Round to a 'price-like' number: to the nearest 0.5, 1, 5, 10, 50 ... (half the leading power of ten)."""
    if x <= 0 or not np.isfinite(x):
        return float(x)
    step = 10 ** math.floor(math.log10(x)) / 2
    return float(round(x / step) * step)


def threshold_table(values: pd.Series, *, thresholds=None, reach: float = 0.2) -> pd.DataFrame:
    """What a free-shipping-style threshold T would ask of the baskets.

    A basket of value v is "in reach" of T when ``T x (1 - reach) <= v < T``: it needs a
    top-up of T - v, at most ``reach`` x T. For each T: share_below (baskets < T),
    in_reach (count and share), mean_top_up (currency), top_up_total (currency, if every
    basket in reach topped up exactly to T), share_already_above (baskets >= T: they get
    the perk anyway). ``recommended`` marks the T with the most baskets in reach (ties: the
    lower T, which asks less of each).

    ``thresholds`` default: the basket values' quantiles 0.30, 0.35, .., 0.90, rounded with
    :func:`nice_round`.
    """
    if not 0 < reach < 1:
        raise ValueError(f"threshold_table: reach {reach} must be between 0 and 1")
    v = pd.Series(values, dtype=float).dropna()
    cols = ["threshold", "share_below", "in_reach", "share_in_reach", "mean_top_up", "top_up_total",
            "share_already_above", "recommended"]
    if v.empty:
        return pd.DataFrame(columns=cols)
    if thresholds is None:
        thresholds = sorted({nice_round(x) for x in v.quantile(np.arange(0.30, 0.9001, 0.05))} - {0.0})
    rows = []
    for T in thresholds:
        near = v[(v >= T * (1 - reach)) & (v < T)]
        rows.append({"threshold": float(T), "share_below": float((v < T).mean()), "in_reach": int(len(near)),
                     "share_in_reach": float(len(near) / len(v)),
                     "mean_top_up": float((T - near).mean()) if len(near) else np.nan,
                     "top_up_total": float((T - near).sum()), "share_already_above": float((v >= T).mean())})
    out = pd.DataFrame(rows)
    best = out.sort_values(["in_reach", "threshold"], ascending=[False, True]).index[0]
    out["recommended"] = out.index == best
    return out[cols]
