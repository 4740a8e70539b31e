"""Next best offer (*bir sonraki en iyi teklif*): what each customer might buy next, with the reason, its expected value, and the export.

:func:`next_best_offers` scores every product a customer has not bought by the pair rules
(:func:`helpers.models.baskets.rules.pair_rules`) whose antecedent the customer has bought, and
falls back to popularity within the customer's group (country, segment) when fewer than ``k``
rules fire. :func:`expected_value` ranks offers by probability x margin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.phrase import Number, Phrase, Share, quote
from helpers.models.baskets.items import catalogue_names


def customer_history(items: pd.DataFrame) -> pd.DataFrame:
    """Distinct (customer_id, item) pairs of customers with an id: what each customer has bought."""
    h = items.loc[items["customer_id"].notna(), ["customer_id", "item"]].drop_duplicates()
    return h.astype({"customer_id": "string", "item": "string"}).reset_index(drop=True)


def popularity(history: pd.DataFrame, *, customer_groups: pd.DataFrame | None = None,
               min_group_customers: int = 30) -> pd.DataFrame:
    """Share of customers who bought each item, overall and within each group.

    Parameters
    ----------
    history : pandas.DataFrame
        customer_id, item (:func:`customer_history`).
    customer_groups : pandas.DataFrame, optional
        customer_id, group (country, segment ...). Groups with fewer than
        ``min_group_customers`` customers use the overall popularity.

    Returns
    -------
    pandas.DataFrame
        group ("all" for everyone), item, customers (who bought it), share (of the group's
        customers), rank (1 = most popular in the group).
    """
    def one(h: pd.DataFrame, group: str) -> pd.DataFrame:
        n = h["customer_id"].nunique()
        c = h.groupby("item", observed=True)["customer_id"].nunique().rename("customers").reset_index()
        c["share"] = c["customers"] / max(n, 1)
        c = c.sort_values(["customers", "item"], ascending=[False, True], ignore_index=True)
        c["rank"] = np.arange(1, len(c) + 1)
        c.insert(0, "group", group)
        return c

    parts = [one(history, "all")]
    if customer_groups is not None and len(customer_groups):
        h = history.merge(customer_groups[["customer_id", "group"]], on="customer_id", how="inner")
        sizes = h.groupby("group")["customer_id"].nunique()
        for g in sizes.index[sizes >= min_group_customers]:
            parts.append(one(h[h["group"] == g], str(g)))
    out = pd.concat(parts, ignore_index=True)
    out["group"] = out["group"].astype("string")
    out["item"] = out["item"].astype("string")
    return out


def customer_groups_from_lines(lines, column: str = "country") -> pd.DataFrame:
    """customer_id, group: each customer's most frequent value of ``column`` (by lines), in the engine."""
    t = lines.filter(lines.customer_id.notnull() & lines[column].notnull())
    g = t.group_by(["customer_id", column]).aggregate(n=t.count()).execute()
    if g.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype="string"), "group": pd.Series(dtype="string")})
    g = g.sort_values(["customer_id", "n", column], ascending=[True, False, True]).drop_duplicates("customer_id")
    return pd.DataFrame({"customer_id": g["customer_id"].astype("string"), "group": g[column].astype("string")})


def _share(x: float) -> Share:
    return Share(x, 0 if x >= 0.01 else 1)


def _more_rules(n: int):
    """The reason's tail when ``n`` more rules agree ("" for none)."""
    return "" if n < 1 else Phrase("rsn_more_rule", n=n) if n == 1 else Phrase("rsn_more_rules", n=n)


def next_best_offers(history: pd.DataFrame, rules: pd.DataFrame, *, k: int = 5, exclude_bought: bool = True,
                     min_lift: float = 1.0, min_confidence: float = 0.0, max_rules_per_item: int = 50,
                     popular: pd.DataFrame | None = None, customer_groups: pd.DataFrame | None = None,
                     catalogue: pd.DataFrame | None = None, customers=None,
                     exclude: pd.DataFrame | None = None, scoring: str = "max") -> pd.DataFrame:
    """Top-``k`` products to offer each customer, with the reason.

    Scoring: every pair rule A -> C (lift > ``min_lift``) whose antecedent A the customer has
    bought is a candidate reason to offer C. ``scoring="max"`` (default): the score is the
    confidence of the strongest such rule, P(C in basket | A in basket), ties broken by the
    number of rules that agree, then lift; ``"noisy_or"``: ``1 - prod(1 - confidence)`` over
    the agreeing rules ("at least one fires"; saturates near 1 for customers with long
    histories). The reason names the strongest rule. Customers with fewer than ``k`` rule
    offers are filled up from :func:`popularity` in their group (``score`` = the share of the
    group's customers who bought the product).

    Parameters
    ----------
    history : pandas.DataFrame
        customer_id, item: what each customer has bought (:func:`customer_history`).
    rules : pandas.DataFrame
        Pair rules (:func:`pair_rules` or :func:`pairs_from_rules`).
    exclude_bought : bool
        Never offer a product the customer has already bought.
    max_rules_per_item : int
        Memory guard: per antecedent only the rules with the highest confidence are used.
    popular : pandas.DataFrame, optional
        :func:`popularity` output; computed from ``history`` (and groups) when None.
    customers : list-like, optional
        The customers to score (default: everyone in ``history``).
    exclude : pandas.DataFrame, optional
        customer_id, item pairs never to offer, besides the history when ``exclude_bought``.

    Returns
    -------
    pandas.DataFrame
        customer_id, rank (1..k), item, name, score, confidence, lift (of the rule behind it;
        NaN for popularity), source ("rule" or "popularity"), reason (a :class:`~helpers.phrase.Phrase`;
        ``helpers.plots.baskets.with_reasons`` writes it in the report's language).
    """
    if k < 1:
        raise ValueError(f"next_best_offers: k = {k} must be at least 1")
    if scoring not in ("max", "noisy_or"):
        raise ValueError(f"next_best_offers: scoring '{scoring}' must be 'max' or 'noisy_or'")
    cols = ["customer_id", "rank", "item", "name", "score", "confidence", "lift", "source", "reason"]
    names = catalogue_names(catalogue)
    history = history[["customer_id", "item"]].astype({"customer_id": "string", "item": "string"})
    if customers is not None:
        history = history[history["customer_id"].isin(pd.Series(customers, dtype="string"))]
    if popular is None:
        popular = popularity(history, customer_groups=customer_groups)
    # Joins and sorts run on integer codes: on 100,000 customers, string keys made this step
    # several times slower. Codes follow the sorted ids, so ordering by code = ordering by id.
    r = rules[(rules["lift"] > min_lift) & (rules["confidence"] >= min_confidence)]
    ex = exclude[["customer_id", "item"]].astype("string") if exclude is not None and len(exclude) else None
    item_ids = pd.Index(pd.concat([history["item"], r["antecedent"].astype("string"), r["consequent"].astype("string"),
                                   popular["item"].astype("string")]
                                  + ([ex["item"]] if ex is not None else []), ignore_index=True).dropna().unique()).sort_values()
    cust_ids = pd.Index(history["customer_id"].dropna().unique()).sort_values()

    def code(values, index: pd.Index) -> np.ndarray:
        return index.get_indexer(pd.Series(values, dtype="string")).astype(np.int64)

    h = pd.DataFrame({"customer_id": code(history["customer_id"], cust_ids), "item": code(history["item"], item_ids)})
    rc = pd.DataFrame({"antecedent": code(r["antecedent"], item_ids), "consequent": code(r["consequent"], item_ids),
                       "confidence": r["confidence"].to_numpy(float), "lift": r["lift"].to_numpy(float)})
    exc = None
    if ex is not None:
        exc = pd.DataFrame({"customer_id": code(ex["customer_id"], cust_ids), "item": code(ex["item"], item_ids)})
        exc = exc[exc["customer_id"] >= 0]
    pop = pd.DataFrame({"group": popular["group"].astype("string").to_numpy(), "item": code(popular["item"], item_ids),
                        "share": popular["share"].to_numpy(float), "rank": popular["rank"].to_numpy()})
    groups = None
    if customer_groups is not None and len(customer_groups):
        groups = pd.DataFrame({"customer_id": code(customer_groups["customer_id"], cust_ids),
                               "group": customer_groups["group"].astype("string").to_numpy()})
        groups = groups[groups["customer_id"] >= 0]
    item_names = np.array([names.get(str(i), str(i)) for i in item_ids], dtype=object)
    # customers in chunks of at most MAX_CANDIDATES (customer, rule) candidates: each customer's offers depend on
    # their own rows only, so the chunks give the same offers; one merge of everyone held ~40M rows at 1M lines
    parts = [_offers_on_codes(h[(h["customer_id"] >= lo) & (h["customer_id"] < hi)], rc, pop,
                              None if groups is None else groups[groups["customer_id"].between(lo, hi - 1)],
                              None if exc is None else exc[exc["customer_id"].between(lo, hi - 1)], item_names, k=k,
                              exclude_bought=exclude_bought, max_rules_per_item=max_rules_per_item, scoring=scoring,
                              n_customers=len(cust_ids))
             for lo, hi in _customer_chunks(h, rc, max_rules_per_item, len(cust_ids), MAX_CANDIDATES)]
    offers = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    offers["rank"] = offers.groupby("customer_id", sort=False).cumcount() + 1
    out = pd.DataFrame({
        "customer_id": pd.array(cust_ids.to_numpy()[offers["customer_id"].to_numpy()], dtype="string"),
        "rank": offers["rank"].to_numpy(),
        "item": pd.array(item_ids.to_numpy()[offers["item"].to_numpy()], dtype="string"),
        "name": pd.array(item_names[offers["item"].to_numpy()].astype(str), dtype="string"),
        "score": offers["score"].to_numpy(float), "confidence": offers["confidence"].to_numpy(float),
        "lift": offers["lift"].to_numpy(float),
        "source": pd.array(offers["source"].to_numpy(), dtype="string"),
        "reason": offers["reason"].to_numpy(object),
    })
    return out[cols]


#: Largest int64 the combined (customer, offer, rule strength) sort key may reach; past it the offers are sorted
#: on two keys instead (the same order, slower).
_MAX_KEY = np.iinfo(np.int64).max
#: Most (customer, rule) candidate rows :func:`next_best_offers` scores at once (about 40 bytes each, several copies).
MAX_CANDIDATES = 4_000_000


def _customer_chunks(history: pd.DataFrame, rules: pd.DataFrame, max_rules_per_item: int, n_customers: int,
                     limit: int) -> list[tuple[int, int]]:
    """Ranges ``[lo, hi)`` of customer codes, in order, each with at most about ``limit`` candidate rows (a
    customer's candidates: the rules of every item they bought, at most ``max_rules_per_item`` per item). The
    first range starts below every code, so no history row is left out."""
    per_item = rules.groupby("antecedent").size().clip(upper=max_rules_per_item)
    rows = history["item"].map(per_item).fillna(0).to_numpy(float)
    cid = history["customer_id"].to_numpy(np.int64)
    per_customer = np.bincount(np.clip(cid, 0, None), weights=rows, minlength=max(n_customers, 1))
    cum = np.cumsum(per_customer)
    cuts = [int(c) for c in np.searchsorted(cum, np.arange(limit, cum[-1], limit), side="right") if 0 < c < n_customers] \
        if len(cum) and cum[-1] > limit else []
    edges = [np.iinfo(np.int64).min, *dict.fromkeys(cuts), np.iinfo(np.int64).max]
    return list(zip(edges[:-1], edges[1:]))


def _offers_on_codes(history: pd.DataFrame, r: pd.DataFrame, popular: pd.DataFrame, customer_groups, exclude,
                     item_names: np.ndarray, *, k: int, exclude_bought: bool, max_rules_per_item: int, scoring: str,
                     n_customers: int) -> pd.DataFrame:
    """:func:`next_best_offers` on integer customer and item codes; rows in final order (rank not set)."""
    r = (r.sort_values(["antecedent", "confidence", "lift"], ascending=[True, False, False])
         .groupby("antecedent", sort=False).head(max_rules_per_item))
    never = [history] if exclude_bought else []
    if exclude is not None and len(exclude):
        never.append(exclude)
    never = pd.concat(never, ignore_index=True).drop_duplicates() if never else None
    nm = lambda i: item_names[i]  # noqa: E731
    n_items = len(item_names)
    # every (customer, rule) candidate: the rules of each item the customer bought, as index ranges into the
    # rules sorted by antecedent (numpy repeat, not a merge of millions of rows)
    r_a, r_x = r["antecedent"].to_numpy(np.int64), r["consequent"].to_numpy(np.int64)
    r_conf, r_lift = r["confidence"].to_numpy(float), r["lift"].to_numpy(float)
    by_a = np.argsort(r_a, kind="stable")
    r_a, r_x, r_conf, r_lift = r_a[by_a], r_x[by_a], r_conf[by_a], r_lift[by_a]
    n_rules_of = np.bincount(r_a, minlength=n_items)
    first_rule = np.cumsum(n_rules_of) - n_rules_of
    h_c, h_i = history["customer_id"].to_numpy(np.int64), history["item"].to_numpy(np.int64)
    h_ok = h_i >= 0
    h_c, h_i = h_c[h_ok], h_i[h_ok]
    reps = n_rules_of[h_i]
    total = int(reps.sum())
    c = np.repeat(h_c, reps)
    rid = np.repeat(first_rule[h_i] - (np.cumsum(reps) - reps), reps) + np.arange(total, dtype=np.int64)
    x = r_x[rid]
    if never is not None and total:
        # one int64 key per (customer, item) pair: a set-membership test instead of a merge
        bought_key = never["customer_id"].to_numpy() * n_items + never["item"].to_numpy()
        keep = ~np.isin(c * n_items + x, bought_key)
        c, x, rid = c[keep], x[keep], rid[keep]
    if len(c):
        # by (customer, offer), strongest rule first (confidence, lift, then antecedent code): one sort of one
        # int64 key, the rule's place in that order appended to the (customer, offer) key
        n_r = len(r_a)
        strength = np.lexsort((r_a, -r_lift, -r_conf))         # rule indices, strongest first
        place = np.empty(n_r, np.int64)
        place[strength] = np.arange(n_r)
        key = c * n_items + x
        if int(key.max()) < _MAX_KEY // max(n_r, 1):
            comp = key * n_r + place[rid]
            comp.sort()
            key, best_rule = comp // n_r, strength[comp % n_r]
        else:                                                   # a key too large to combine: the general sort
            o = np.lexsort((place[rid], key))
            key, best_rule = key[o], rid[o]
        a, conf, lift = r_a[best_rule], r_conf[best_rule], r_lift[best_rule]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        n_rules = np.diff(np.r_[first, len(key)])
        if scoring == "noisy_or":
            score = 1.0 - np.exp(np.add.reduceat(np.log1p(-np.clip(conf, None, 1 - 1e-12)), first))
        else:
            score = conf[first]
        bc, bx = key[first] // n_items, key[first] % n_items
        ba, bconf, blift = a[first], conf[first], lift[first]
        o = np.lexsort((bx, -blift, -n_rules, -score, bc))       # per customer: best offer first
        bc, bx, ba, bconf, blift, score, n_rules = bc[o], bx[o], ba[o], bconf[o], blift[o], score[o], n_rules[o]
        starts = np.flatnonzero(np.r_[True, bc[1:] != bc[:-1]])
        rank = np.arange(len(bc)) - np.repeat(starts, np.diff(np.r_[starts, len(bc)]))
        keep = rank < k
        bc, bx, ba, bconf, blift, score, n_rules = (v[keep] for v in (bc, bx, ba, bconf, blift, score, n_rules))
        # names are data: quoted, and filled into the translated sentence as they are; one phrase object per
        # distinct (rule, rules agreeing): confidence and lift belong to the rule, and many customers share it
        made: dict = {}

        def reason_of(ai, xi, ci, li, n):
            key = (ai, xi, n)
            p = made.get(key)
            if p is None:
                p = made[key] = Phrase("rsn_rule", bought=quote(nm(ai)), share=_share(ci), then=quote(nm(xi)),
                                       lift=Number(li, 1), more=_more_rules(n - 1))
            return p

        reason = [reason_of(ai, xi, ci, li, n)
                  for ai, xi, ci, li, n in zip(ba.tolist(), bx.tolist(), bconf.tolist(), blift.tolist(), n_rules.tolist())]
        offers = pd.DataFrame({"customer_id": bc, "item": bx, "score": score, "confidence": bconf, "lift": blift,
                               "reason": reason, "source": "rule"})
    else:
        offers = pd.DataFrame({"customer_id": np.array([], np.int64), "item": np.array([], np.int64),
                               "score": [], "confidence": [], "lift": [], "reason": [], "source": []})
    # popularity fill-up: each customer short of k offers gets the most popular products of their
    # group not yet offered or bought, taken from the popularity list in growing slices
    all_customers = np.unique(history["customer_id"].to_numpy())
    have = offers.groupby("customer_id").size().reindex(all_customers, fill_value=0)
    need = have[have < k]
    if len(need) and len(popular):
        grp = pd.DataFrame({"customer_id": need.index.to_numpy()})
        if customer_groups is not None and len(customer_groups):
            grp = grp.merge(customer_groups[["customer_id", "group"]], on="customer_id", how="left")
            known = set(popular["group"].unique())
            grp["group"] = grp["group"].where(grp["group"].isin(known), "all").fillna("all")
        else:
            grp["group"] = "all"
        taken = [offers[["customer_id", "item"]]]
        if never is not None:
            taken.append(never[never["customer_id"].isin(need.index)])
        taken_key = np.unique(np.concatenate([t["customer_id"].to_numpy(np.int64) * n_items + t["item"].to_numpy(np.int64)
                                              for t in taken]))
        reasons: dict = {}
        fills, lo, width, max_rank = [], 0, 2 * k, int(popular["rank"].max())
        while len(grp) and lo < max_rank:
            pop = popular[(popular["rank"] > lo) & (popular["rank"] <= lo + width)][["group", "item", "share", "rank"]]
            fill = grp.merge(pop, on="group")
            fill = fill[~np.isin(fill["customer_id"].to_numpy(np.int64) * n_items + fill["item"].to_numpy(np.int64),
                                 taken_key)]
            fill = fill.sort_values(["customer_id", "rank"], kind="stable")   # rank: share desc, then item id
            fill["_n"] = fill.groupby("customer_id").cumcount() + fill["customer_id"].map(have).to_numpy()
            fill = fill[fill["_n"] < k]
            fills.append(fill)
            have = have.add(fill.groupby("customer_id").size(), fill_value=0).astype(int)
            grp = grp[have.reindex(grp["customer_id"]).to_numpy() < k]
            lo, width = lo + width, width * 2
        fill = pd.concat(fills, ignore_index=True)
        for sh, gr in set(zip(fill["share"], fill["group"])):
            reasons[(sh, gr)] = (Phrase("rsn_popular_in", share=_share(sh), group=quote(gr)) if gr != "all"
                                 else Phrase("rsn_popular", share=_share(sh)))
        fill = fill.assign(score=fill["share"], confidence=np.nan, lift=np.nan, source="popularity",
                           reason=[reasons[(sh, gr)] for sh, gr in zip(fill["share"], fill["group"])])
        offers = pd.concat([offers, fill[["customer_id", "item", "score", "confidence", "lift", "reason", "source"]]],
                           ignore_index=True)
    # rule offers first, each part in the order it was ranked in (rules: score, rules agreeing, lift, product;
    # popularity: share, product), so the rank column follows the documented tie-breaks
    src_order = (offers["source"] != "rule").astype(int)
    return (offers.assign(_s=src_order).sort_values(["customer_id", "_s"], kind="stable")
            .drop(columns="_s").reset_index(drop=True))


def popularity_offers(history: pd.DataFrame, *, k: int = 5, exclude_bought: bool = True,
                      popular: pd.DataFrame | None = None, customer_groups: pd.DataFrame | None = None,
                      catalogue: pd.DataFrame | None = None, customers=None,
                      exclude: pd.DataFrame | None = None) -> pd.DataFrame:
    """The baseline: the ``k`` most popular products in the customer's group (same columns as offers)."""
    empty_rules = pd.DataFrame({"antecedent": pd.Series(dtype="string"), "consequent": pd.Series(dtype="string"),
                                "confidence": pd.Series(dtype=float), "lift": pd.Series(dtype=float)})
    return next_best_offers(history, empty_rules, k=k, exclude_bought=exclude_bought, popular=popular,
                            customer_groups=customer_groups, catalogue=catalogue, customers=customers,
                            exclude=exclude)


# --------------------------------------------------------------------------------------
# expected value and export
# --------------------------------------------------------------------------------------
def expected_value(offers: pd.DataFrame, catalogue: pd.DataFrame, *, margin_rate: float = 0.3) -> pd.DataFrame:
    """Rank each customer's offers by expected margin: probability x value x margin rate.

    ``expected_value = score x value_per_line x margin_rate`` (currency), where score is
    the offer's probability-like score, value_per_line the item's median line amount
    (:func:`item_catalogue`) and margin_rate the gross margin share (no cost data: a
    parameter). Adds value_per_line, expected_value and ev_rank (1 = highest per customer).
    """
    if not 0 < margin_rate <= 1:
        raise ValueError(f"expected_value: margin_rate {margin_rate} must be in (0, 1]")
    v = catalogue.set_index("item")["value_per_line"]
    out = offers.copy()
    out["value_per_line"] = out["item"].map(v).astype(float)
    out["expected_value"] = out["score"] * out["value_per_line"].fillna(0.0) * margin_rate
    out = out.sort_values(["customer_id", "expected_value", "rank"], ascending=[True, False, True])
    out["ev_rank"] = out.groupby("customer_id").cumcount() + 1
    return out.sort_values(["customer_id", "rank"]).reset_index(drop=True)


def offer_table(offers: pd.DataFrame, *, mask_ids: bool = False, rank_by: str = "rank") -> pd.DataFrame:
    """The export: customer_id (masked when ``mask_ids``), product_id, description, rank, reason,
    score, and expected_value / ev_rank when present; sorted by customer and ``rank_by``."""
    from helpers.io.privacy import maybe_mask

    if rank_by not in offers.columns:
        raise ValueError(f"offer_table: rank_by '{rank_by}' is not a column of the offers ({list(offers.columns)})")
    out = offers.rename(columns={"item": "product_id", "name": "description"})
    if rank_by != "rank":
        out = out.drop(columns="rank").rename(columns={rank_by: "rank"})
    cols = ["customer_id", "product_id", "description", "rank", "reason", "score", "source"]
    cols += [c for c in ("confidence", "lift", "value_per_line", "expected_value") if c in out.columns]
    out = out[cols].sort_values(["customer_id", "rank"]).reset_index(drop=True)
    return maybe_mask(out, mask_ids)
