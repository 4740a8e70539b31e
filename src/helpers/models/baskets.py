"""Market baskets, association rules and next best offers (cross-sell, *çapraz satış*).

A **basket** is one invoice; its **items** are the distinct products (or categories) on it.
Guests' invoices are baskets too (they show what goes together), but only customers with an
id get offers. For a rule A -> C over N baskets, with n(X) the number of baskets holding
every item of X:

=============  =========================================  =====================================
metric         formula                                    reads as
=============  =========================================  =====================================
support        n(A+C) / N                                 share of baskets with A and C
confidence     n(A+C) / n(A)                              P(C in basket | A in basket)
lift           confidence / (n(C) / N)                    how many times likelier C is with A
leverage       support(A+C) - support(A) x support(C)     co-occurrence above independence
conviction     (1 - support(C)) / (1 - confidence)        inf when confidence is 1
=============  =========================================  =====================================

Two ways to mine rules:

* :func:`frequent_itemsets` + :func:`association_rules`: mlxtend's FP-growth on a one-hot
  basket matrix (itemsets of 2..``max_len`` items). The matrix is sized before it is built;
  when it would exceed ``max_cells`` the support threshold is raised with a warning.
* :func:`pair_rules`: one-item -> one-item rules from co-occurrence counts computed in the
  engine (a self-join on the invoice in Ibis: DuckDB or Spark), for data too large for a
  matrix. The metrics equal mlxtend's pair rules (a test checks this).

Next best offer (*bir sonraki en iyi teklif*): :func:`next_best_offers` scores every product a
customer has not bought by the pair rules whose antecedent the customer has bought, and falls
back to popularity within the customer's group (country, segment) when fewer than ``k`` rules
fire. :func:`offline_evaluation` holds out each customer's last basket, mines rules without the
held-out baskets, recommends from the history before it and compares hit rate, precision@k and
recall@k with a popularity baseline. :func:`expected_value` ranks offers by probability x margin.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.i18n import quote

with warnings.catch_warnings():
    # mlxtend's fpcommon runs warnings.simplefilter("always", DeprecationWarning) on import,
    # which would override every caller's filters; catch_warnings restores them afterwards
    from mlxtend.frequent_patterns import association_rules as _mx_rules
    from mlxtend.frequent_patterns import fpgrowth as _fpgrowth

#: Upper bound on the one-hot matrix (baskets x items, one byte per cell): 200 MB.
DEFAULT_MAX_CELLS = 200_000_000
#: Itemsets longer than this are never mined (the number of candidates grows combinatorially).
MAX_LEN_CAP = 5

METRICS = ["support", "confidence", "lift", "leverage", "conviction"]
RULE_COLUMNS = ["antecedents", "consequents", "antecedent_support", "consequent_support", *METRICS,
                "count", "n_baskets"]
PAIR_COLUMNS = ["antecedent", "consequent", "count_a", "count_c", "count", "n_baskets", *METRICS]


class SupportRaisedWarning(UserWarning):
    """The support threshold was raised so the one-hot basket matrix fits in ``max_cells``."""


# --------------------------------------------------------------------------------------
# baskets
# --------------------------------------------------------------------------------------
def _as_list(v) -> list | None:
    if v is None or (isinstance(v, str) and v == ""):
        return None
    return [v] if isinstance(v, str) else list(v)


def basket_items(lines, *, item: str = "product_id", country=None, channel=None, min_item_baskets: int = 1,
                 min_basket_size: int = 1, max_basket_size: int | None = None):
    """One row per basket (invoice) and item, from clean lines, in the engine.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: invoice, invoice_ts, customer_id (null = guest, kept), ``item``,
        quantity, amount (currency), country, channel.
    item : str
        The line column that names an item: ``"product_id"`` or ``"category"``.
    country, channel : str or list of str, optional
        Keep only lines of these countries / channels (None or "" = all).
    min_item_baskets : int
        Drop items found in fewer baskets than this (before the basket-size filter).
    min_basket_size, max_basket_size : int
        Keep baskets with this many distinct items (after dropping rare items);
        ``max_basket_size`` None = no upper bound.

    Returns
    -------
    ibis.Table
        invoice, item (string), customer_id, invoice_ts (first line's time), quantity
        (units of the item on the invoice), amount (currency), first_line (the item's first
        line_id on the invoice: the order items were put in the basket; when lines have
        line_id).
    """
    if item not in lines.columns:
        raise ValueError(f"basket_items: the lines have no '{item}' column; baskets need an item column "
                         f"such as product_id or category")
    if min_item_baskets < 1 or min_basket_size < 1:
        raise ValueError(f"basket_items: min_item_baskets ({min_item_baskets}) and min_basket_size "
                         f"({min_basket_size}) must be at least 1")
    if max_basket_size is not None and max_basket_size < min_basket_size:
        raise ValueError(f"basket_items: max_basket_size {max_basket_size} is below min_basket_size {min_basket_size}")
    t = lines.filter(lines[item].notnull())
    for col, wanted in (("country", country), ("channel", channel)):
        wanted = _as_list(wanted)
        if wanted:
            if col not in t.columns:
                raise ValueError(f"basket_items: filter on '{col}' but the lines have no '{col}' column")
            t = t.filter(t[col].isin(wanted))
    t = t.mutate(item=t[item].cast("string"))
    extra = {"first_line": t.line_id.min()} if "line_id" in t.columns else {}
    g = t.group_by(["invoice", "item"]).aggregate(
        customer_id=t.customer_id.max(), invoice_ts=t.invoice_ts.min(),
        quantity=t.quantity.sum(), amount=t.amount.sum(), **extra)
    if min_item_baskets > 1:
        ic = g.group_by("item").aggregate(_n=g.count())
        g = g.semi_join(ic.filter(ic._n >= min_item_baskets).select("item"), "item")
    if min_basket_size > 1 or max_basket_size is not None:
        bs = g.group_by("invoice").aggregate(_size=g.count())
        keep = bs._size >= min_basket_size
        if max_basket_size is not None:
            keep &= bs._size <= max_basket_size
        g = g.semi_join(bs.filter(keep).select("invoice"), "invoice")
    return g.select("invoice", "item", "customer_id", "invoice_ts", "quantity", "amount", *extra)


def basket_summary(items: pd.DataFrame) -> pd.DataFrame:
    """One-column table: baskets, items, customers' share of baskets, items per basket."""
    size = items.groupby("invoice", observed=True)["item"].nunique()
    guests = items.drop_duplicates("invoice")["customer_id"].isna().sum()
    n = len(size)
    rows = {
        "baskets (invoices)": f"{n:,}",
        "distinct items": f"{items['item'].nunique():,}",
        "basket lines (invoice x item)": f"{len(items):,}",
        "guest baskets": f"{guests:,} ({guests / max(n, 1):.1%})",
        "items per basket: mean": f"{size.mean():.2f}" if n else "-",
        "items per basket: median": f"{size.median():.0f}" if n else "-",
        "baskets with 2+ items": f"{(size >= 2).sum():,} ({(size >= 2).mean():.1%})" if n else "-",
    }
    return pd.DataFrame({"value": pd.Series(rows, dtype="object")})


def item_catalogue(lines, item: str = "product_id") -> pd.DataFrame:
    """Name, category and typical price of each item (from clean lines, in the engine).

    Returns
    -------
    pandas.DataFrame
        item (string), name (the most frequent description, or the item itself), category
        (or missing), price (median unit price over lines, currency), lines, units,
        revenue (currency), value_per_line (median line amount, currency: what one
        purchase of the item is typically worth). Sorted by lines, most first.
    """
    cols = [c for c in ("description", "category") if c in lines.columns and c != item]
    t = lines.filter(lines[item].notnull())
    g = t.group_by([item, *cols, "unit_price", "amount"]).aggregate(n=t.count(), units=t.quantity.sum()).execute()
    g = g.rename(columns={item: "item"})
    g["item"] = g["item"].astype("string")
    if g.empty:
        return pd.DataFrame({"item": pd.Series(dtype="string"), "name": pd.Series(dtype="string"),
                             "category": pd.Series(dtype="string"), "price": [], "lines": [], "units": [],
                             "revenue": [], "value_per_line": []})
    g["revenue"] = g["amount"] * g["n"]

    def wmedian(value: str) -> pd.Series:
        """Line-weighted median of ``value`` per item: the first value whose cumulative weight reaches half."""
        d = g.sort_values(["item", value])
        cum = d.groupby("item")["n"].cumsum()
        half = d.groupby("item")["n"].transform("sum") / 2.0
        return d[cum >= half].groupby("item")[value].first()

    def mode(col: str) -> pd.Series:
        d = g.groupby(["item", col], dropna=True)["n"].sum().reset_index()
        d = d.sort_values(["item", "n", col], ascending=[True, False, True])
        return d.drop_duplicates("item").set_index("item")[col]

    tot = g.groupby("item").agg(lines=("n", "sum"), units=("units", "sum"), revenue=("revenue", "sum"))
    cat = tot.assign(price=wmedian("unit_price"), value_per_line=wmedian("amount"),
                     **{c: mode(c) for c in cols}).reset_index()
    cat["lines"] = cat["lines"].astype("int64")
    cat["name"] = cat["description"] if "description" in cat else cat["item"]
    cat["name"] = cat["name"].fillna(cat["item"]).astype("string")
    if "category" not in cat:
        cat["category"] = pd.NA
    cat["category"] = cat["category"].astype("string")
    return (cat[["item", "name", "category", "price", "lines", "units", "revenue", "value_per_line"]]
            .sort_values(["lines", "item"], ascending=[False, True], ignore_index=True))


# --------------------------------------------------------------------------------------
# FP-growth (mlxtend)
# --------------------------------------------------------------------------------------
def _effective_support(counts: pd.Series, n_baskets: int, min_support: float, min_count: int,
                       max_cells: int) -> tuple[float, int]:
    """The support threshold actually used, and the number of matrix rows, under the memory budget."""
    support = max(float(min_support), min_count / n_baskets)
    counts = counts.sort_values(ascending=False)
    kept = int((counts >= support * n_baskets - 1e-9).sum())
    if kept * n_baskets > max_cells:
        allowed = max(1, max_cells // n_baskets)
        # the smallest count that keeps at most `allowed` items
        new_count = int(counts.iloc[allowed]) + 1 if allowed < len(counts) else int(counts.iloc[-1])
        new_support = new_count / n_baskets
        warnings.warn(
            f"frequent_itemsets: the one-hot basket matrix would have {n_baskets:,} baskets x {kept:,} items "
            f"= {kept * n_baskets:,} cells, over max_cells = {max_cells:,}; min_support raised from "
            f"{support:.4g} to {new_support:.4g} (items in at least {new_count:,} baskets)",
            SupportRaisedWarning, stacklevel=3)
        support = new_support
    return support, kept


def one_hot(items: pd.DataFrame, item_list=None) -> pd.DataFrame:
    """Boolean basket x item matrix (rows: invoices, columns: items) from basket items."""
    inv = pd.Categorical(items["invoice"])
    it = pd.Categorical(items["item"], categories=item_list) if item_list is not None else pd.Categorical(items["item"])
    ok = it.codes >= 0
    m = np.zeros((len(inv.categories), len(it.categories)), dtype=bool)
    m[inv.codes[ok], it.codes[ok]] = True
    return pd.DataFrame(m, index=pd.Index(inv.categories, name="invoice"),
                        columns=pd.Index([str(c) for c in it.categories], name="item"))


def frequent_itemsets(items: pd.DataFrame, *, min_support: float = 0.01, min_count: int = 1, max_len: int = 3,
                      max_cells: int = DEFAULT_MAX_CELLS) -> pd.DataFrame:
    """Frequent itemsets with mlxtend's FP-growth.

    Parameters
    ----------
    items : pandas.DataFrame
        Basket items (:func:`basket_items`, executed): invoice, item.
    min_support : float
        Minimum share of baskets holding the itemset (0..1].
    min_count : int
        Minimum number of baskets; the threshold used is max(min_support, min_count / N).
    max_len : int
        Longest itemset mined (1..``MAX_LEN_CAP``).
    max_cells : int
        Memory guard. Before the one-hot matrix is built its size is bounded by N baskets x
        the items at or above the threshold (one byte per cell); when that exceeds
        ``max_cells`` the threshold is raised to keep only the ``max_cells // N`` most frequent
        items, with a :class:`SupportRaisedWarning`. (Items below the threshold cannot be in
        a frequent itemset, so they are left out of the matrix, as are baskets without a
        frequent item; supports stay shares of all N baskets.)

    Returns
    -------
    pandas.DataFrame
        support (share of all N baskets), itemsets (tuple of items, sorted), length, count
        (baskets). ``attrs``: n_baskets (N), min_support (the threshold used),
        requested_min_support, matrix_shape.
    """
    if not 0 < min_support <= 1:
        raise ValueError(f"frequent_itemsets: min_support {min_support} must be in (0, 1]")
    if not isinstance(max_len, (int, np.integer)) or not 1 <= max_len <= MAX_LEN_CAP:
        raise ValueError(f"frequent_itemsets: max_len {max_len!r} must be an integer from 1 to {MAX_LEN_CAP} "
                         f"(longer itemsets multiply the candidates)")
    items = items[["invoice", "item"]].drop_duplicates()
    n = int(items["invoice"].nunique())
    empty = pd.DataFrame({"support": pd.Series(dtype=float), "itemsets": pd.Series(dtype=object),
                          "length": pd.Series(dtype=int), "count": pd.Series(dtype=int)})
    if n == 0:
        empty.attrs.update(n_baskets=0, min_support=min_support, requested_min_support=min_support,
                           matrix_shape=(0, 0))
        return empty
    counts = items["item"].value_counts()
    support, _ = _effective_support(counts, n, min_support, min_count, max_cells)
    keep = counts.index[counts >= support * n - 1e-9]
    sub = items[items["item"].isin(keep)]
    attrs = dict(n_baskets=n, min_support=support, requested_min_support=min_support)
    if sub.empty:
        empty.attrs.update(attrs, matrix_shape=(0, 0))
        return empty
    matrix = one_hot(sub)
    rows = matrix.shape[0]
    # FP-growth's support is a share of the matrix rows; rescale so it is a share of all N baskets
    fi = _fpgrowth(matrix, min_support=min(1.0, support * n / rows), use_colnames=True, max_len=int(max_len))
    fi["support"] = fi["support"] * rows / n
    fi["itemsets"] = [tuple(sorted(s)) for s in fi["itemsets"]]
    fi["length"] = fi["itemsets"].map(len)
    fi["count"] = np.rint(fi["support"] * n).astype(int)
    fi = fi.sort_values(["length", "support"], ascending=[True, False], ignore_index=True)
    fi.attrs.update(attrs, matrix_shape=matrix.shape)
    return fi


def association_rules(itemsets: pd.DataFrame, *, min_confidence: float = 0.0, min_lift: float = 0.0) -> pd.DataFrame:
    """Rules A -> C from frequent itemsets (mlxtend ``association_rules``).

    Returns
    -------
    pandas.DataFrame
        antecedents, consequents (tuples of items), antecedent_support, consequent_support,
        support, confidence, lift, leverage, conviction (see the module docstring), count
        (baskets with A and C), n_baskets; sorted by lift, then confidence.
    """
    n = int(itemsets.attrs.get("n_baskets", 0))
    empty = pd.DataFrame({c: pd.Series(dtype=object if c in ("antecedents", "consequents") else float)
                          for c in RULE_COLUMNS})
    if n == 0 or (itemsets["length"] >= 2).sum() == 0:
        return empty
    fi = itemsets[["support", "itemsets"]].copy()
    fi["itemsets"] = fi["itemsets"].map(frozenset)
    r = _mx_rules(fi, num_itemsets=n, metric="confidence", min_threshold=min_confidence,
                 return_metrics=["antecedent support", "consequent support", *METRICS])
    r = r.rename(columns={"antecedent support": "antecedent_support", "consequent support": "consequent_support"})
    r = r[r["lift"] >= min_lift].copy()
    r["antecedents"] = [tuple(sorted(s)) for s in r["antecedents"]]
    r["consequents"] = [tuple(sorted(s)) for s in r["consequents"]]
    r["count"] = np.rint(r["support"] * n).astype(int)
    r["n_baskets"] = n
    return r[RULE_COLUMNS].sort_values(["lift", "confidence"], ascending=False, ignore_index=True)


# --------------------------------------------------------------------------------------
# pair rules in the engine
# --------------------------------------------------------------------------------------
def _metrics(df: pd.DataFrame) -> pd.DataFrame:
    n = df["n_baskets"].astype(float)
    sa, sc, sac = df["count_a"] / n, df["count_c"] / n, df["count"] / n
    df["support"] = sac
    df["confidence"] = df["count"] / df["count_a"]
    df["lift"] = df["confidence"] / sc
    df["leverage"] = sac - sa * sc
    with np.errstate(divide="ignore", invalid="ignore"):
        df["conviction"] = np.where(df["confidence"] < 1.0, (1.0 - sc) / (1.0 - df["confidence"]), np.inf)
    return df


def pair_rules(items, *, min_count: int = 5, min_support: float = 0.0, con=None) -> pd.DataFrame:
    """One-item -> one-item rules from co-occurrence counts computed in the engine.

    Parameters
    ----------
    items : ibis.Table or pandas.DataFrame
        Basket items (:func:`basket_items`): invoice, item. A pandas frame is registered
        with ``con`` (DuckDB in memory when None).
    min_count, min_support : int, float
        Keep pairs found in at least max(min_count, ceil(min_support x N)) baskets.

    Returns
    -------
    pandas.DataFrame
        antecedent, consequent, count_a = n(A), count_c = n(C), count = n(A+C), n_baskets = N,
        support, confidence, lift, leverage, conviction; both directions of every pair;
        sorted by lift, then confidence.
    """
    if isinstance(items, pd.DataFrame):
        from helpers.io import engine

        con = con or engine.connect()
        items = engine.table(con, items[["invoice", "item"]].drop_duplicates().reset_index(drop=True))
    b = items.select("invoice", "item").distinct()
    n = int(b.count().execute())
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("antecedent", "consequent") else float)
                             for c in PAIR_COLUMNS})
    n_baskets = int(b.invoice.nunique().execute())
    threshold = max(int(min_count), math.ceil(min_support * n_baskets - 1e-9), 1)
    left = b.select(invoice="invoice", antecedent="item")
    right = b.select(invoice_r="invoice", consequent="item")
    pairs = left.join(right, [left.invoice == right.invoice_r, left.antecedent != right.consequent])
    counts = pairs.group_by(["antecedent", "consequent"]).aggregate(count=pairs.count())
    counts = counts.filter(counts["count"] >= threshold)
    ic = b.group_by("item").aggregate(n_item=b.count())
    ia = ic.select(antecedent="item", count_a="n_item")
    icc = ic.select(consequent="item", count_c="n_item")
    j = counts.join(ia, "antecedent").join(icc, "consequent")
    df = j.select("antecedent", "consequent", "count_a", "count_c", "count").execute()
    df["n_baskets"] = n_baskets
    for c in ("count_a", "count_c", "count", "n_baskets"):
        df[c] = df[c].astype("int64")
    df["antecedent"] = df["antecedent"].astype("string")
    df["consequent"] = df["consequent"].astype("string")
    df = _metrics(df)
    return df[PAIR_COLUMNS].sort_values(["lift", "confidence", "antecedent", "consequent"],
                                        ascending=[False, False, True, True], ignore_index=True)


def pairs_from_rules(rules: pd.DataFrame) -> pd.DataFrame:
    """The one-item -> one-item rules of :func:`association_rules`, in :func:`pair_rules`' columns."""
    r = rules[(rules["antecedents"].map(len) == 1) & (rules["consequents"].map(len) == 1)].copy()
    r["antecedent"] = r["antecedents"].map(lambda t: t[0]).astype("string")
    r["consequent"] = r["consequents"].map(lambda t: t[0]).astype("string")
    n = r["n_baskets"].astype(float)
    r["count_a"] = np.rint(r["antecedent_support"] * n).astype("int64")
    r["count_c"] = np.rint(r["consequent_support"] * n).astype("int64")
    r["count"] = r["count"].astype("int64")
    r["n_baskets"] = r["n_baskets"].astype("int64")
    return r[PAIR_COLUMNS].sort_values(["lift", "confidence", "antecedent", "consequent"],
                                       ascending=[False, False, True, True], ignore_index=True)


# --------------------------------------------------------------------------------------
# showing rules
# --------------------------------------------------------------------------------------
def filter_rules(rules: pd.DataFrame, *, min_support: float = 0.0, min_confidence: float = 0.0,
                 min_lift: float = 0.0, min_leverage: float | None = None, min_conviction: float | None = None,
                 sort_by: str = "lift", top: int | None = None, one_direction: bool = False) -> pd.DataFrame:
    """Rules at or above each threshold, sorted (descending) by ``sort_by``, the first ``top``.

    ``one_direction`` keeps, of the two rules A -> C and C -> A on the same pair, only the
    one with the higher confidence (for tables where a pair should appear once).
    """
    if sort_by not in METRICS and sort_by != "count":
        raise ValueError(f"filter_rules: sort_by '{sort_by}' must be one of {METRICS + ['count']}")
    keep = (rules["support"] >= min_support) & (rules["confidence"] >= min_confidence) & (rules["lift"] >= min_lift)
    if min_leverage is not None:
        keep &= rules["leverage"] >= min_leverage
    if min_conviction is not None:
        keep &= rules["conviction"] >= min_conviction
    out = rules[keep]
    if one_direction and len(out):
        a = out["antecedents"] if "antecedents" in out else out["antecedent"].map(lambda x: (x,))
        c = out["consequents"] if "consequents" in out else out["consequent"].map(lambda x: (x,))
        key = [tuple(sorted(x + y)) for x, y in zip(a, c)]
        out = (out.assign(_key=key).sort_values(["confidence", "lift"], ascending=False)
               .drop_duplicates("_key").drop(columns="_key"))
    out = out.sort_values([sort_by, "confidence" if sort_by != "confidence" else "lift"], ascending=False)
    return (out.head(top) if top else out).reset_index(drop=True)


def _names_map(catalogue: pd.DataFrame | None) -> dict:
    if catalogue is None or catalogue.empty:
        return {}
    return dict(zip(catalogue["item"].astype(str), catalogue["name"].astype(str)))


def label_rules(rules: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``if_bought`` and ``then_offer``: item names (item codes in brackets) joined by " + "."""
    names = _names_map(catalogue)

    def show(items) -> str:
        items = items if isinstance(items, tuple) else (items,)
        return " + ".join(f"{names[i]} ({i})" if i in names and names[i] != i else str(i) for i in items)

    out = rules.copy()
    a = out["antecedents"] if "antecedents" in out else out["antecedent"]
    c = out["consequents"] if "consequents" in out else out["consequent"]
    out.insert(0, "if_bought", [show(x) for x in a])
    out.insert(1, "then_offer", [show(x) for x in c])
    return out


def planted_bundle_ranks(rules: pd.DataFrame, bundles: list[dict]) -> pd.DataFrame:
    """For each planted bundle (synthetic truth), the best rank of a rule on exactly its items.

    ``rules`` in the order to rank (e.g. sorted by lift); a rule "covers" a bundle when its
    antecedents + consequents are exactly the bundle's products. Returns bundle, size, rank
    (1 = top, NaN = no such rule), lift and confidence of that rule.
    """
    a = rules["antecedents"] if "antecedents" in rules else rules["antecedent"].map(lambda x: (x,))
    c = rules["consequents"] if "consequents" in rules else rules["consequent"].map(lambda x: (x,))
    keys = [frozenset(x + y) for x, y in zip(a, c)]
    out = []
    for bd in bundles:
        want = frozenset(str(p) for p in bd["products"])
        hits = [i for i, k in enumerate(keys) if k == want]
        i = hits[0] if hits else None
        out.append({"bundle": " + ".join(bd.get("descriptions", bd["products"])), "size": len(want),
                    "rank": i + 1 if i is not None else np.nan,
                    "lift": rules["lift"].iloc[i] if i is not None else np.nan,
                    "confidence": rules["confidence"].iloc[i] if i is not None else np.nan})
    return pd.DataFrame(out)


def cooccurrence_matrix(pairs: pd.DataFrame, *, top: int = 20, value: str = "lift",
                        rank_by: str = "lift") -> pd.DataFrame:
    """Square item x item matrix of ``value`` for the items of the strongest pairs.

    Items are taken from the pairs with the highest ``rank_by`` (lift: the tightest pairings,
    often rare; leverage: the most co-occurrence above chance, which favours frequent pairs)
    until ``top`` items are collected. Missing pairs are NaN. Index and columns are item codes.
    """
    if pairs.empty:
        return pd.DataFrame()
    strongest = pairs.sort_values([rank_by, "count"], ascending=False).head(2 * top)
    items = list(dict.fromkeys([*strongest["antecedent"], *strongest["consequent"]]))[: max(2, top)]
    sub = pairs[pairs["antecedent"].isin(items) & pairs["consequent"].isin(items)]
    m = sub.pivot_table(index="antecedent", columns="consequent", values=value, aggfunc="first")
    return m.reindex(index=items, columns=items)


# --------------------------------------------------------------------------------------
# next best offer
# --------------------------------------------------------------------------------------
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


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 else f"{x:.1%}"


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
        NaN for popularity), source ("rule" or "popularity"), reason.
    """
    if k < 1:
        raise ValueError(f"next_best_offers: k = {k} must be at least 1")
    if scoring not in ("max", "noisy_or"):
        raise ValueError(f"next_best_offers: scoring '{scoring}' must be 'max' or 'noisy_or'")
    cols = ["customer_id", "rank", "item", "name", "score", "confidence", "lift", "source", "reason"]
    names = _names_map(catalogue)
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
    offers = _offers_on_codes(h, rc, pop, groups, exc, item_names, k=k, exclude_bought=exclude_bought,
                              max_rules_per_item=max_rules_per_item, scoring=scoring, n_customers=len(cust_ids))
    offers["rank"] = offers.groupby("customer_id", sort=False).cumcount() + 1
    out = pd.DataFrame({
        "customer_id": pd.array(cust_ids.to_numpy()[offers["customer_id"].to_numpy()], dtype="string"),
        "rank": offers["rank"].to_numpy(),
        "item": pd.array(item_ids.to_numpy()[offers["item"].to_numpy()], dtype="string"),
        "name": pd.array(item_names[offers["item"].to_numpy()].astype(str), dtype="string"),
        "score": offers["score"].to_numpy(float), "confidence": offers["confidence"].to_numpy(float),
        "lift": offers["lift"].to_numpy(float),
        "source": pd.array(offers["source"].to_numpy(), dtype="string"),
        "reason": pd.array(offers["reason"].to_numpy(), dtype="string"),
    })
    return out[cols]


def _offers_on_codes(history: pd.DataFrame, r: pd.DataFrame, popular: pd.DataFrame, customer_groups, exclude,
                     item_names: np.ndarray, *, k: int, exclude_bought: bool, max_rules_per_item: int, scoring: str,
                     n_customers: int) -> pd.DataFrame:
    """:func:`next_best_offers` on integer customer and item codes; rows in final order (rank not set)."""
    r = (r.sort_values(["antecedent", "confidence", "lift"], ascending=[True, False, False])
         .groupby("antecedent", sort=False).head(max_rules_per_item))
    cand = history.merge(r, left_on="item", right_on="antecedent").drop(columns="item")
    never = [history] if exclude_bought else []
    if exclude is not None and len(exclude):
        never.append(exclude)
    never = pd.concat(never, ignore_index=True).drop_duplicates() if never else None
    if never is not None and len(cand):
        # one int64 key per (customer, item) pair: a set-membership test instead of a merge
        bought_key = never["customer_id"].to_numpy() * len(item_names) + never["item"].to_numpy()
        cand_key = cand["customer_id"].to_numpy() * len(item_names) + cand["consequent"].to_numpy()
        cand = cand[~np.isin(cand_key, bought_key)]
    nm = lambda i: item_names[i]  # noqa: E731
    n_items = len(item_names)
    if len(cand):
        # numpy sorts on int64 / float arrays: pandas' multi-column sort was most of this step's time
        c, x = cand["customer_id"].to_numpy(np.int64), cand["consequent"].to_numpy(np.int64)
        a, conf, lift = cand["antecedent"].to_numpy(np.int64), cand["confidence"].to_numpy(float), cand["lift"].to_numpy(float)
        key = c * n_items + x
        o = np.lexsort((-lift, -conf, key))                     # by (customer, offer), strongest rule first
        key, a, conf, lift = key[o], a[o], conf[o], lift[o]
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
        # names are data: quoted, so that translating the sentence leaves them as they are
        reason = [f"bought {quote(nm(ai))} -> {_pct(ci)} of those baskets also hold {quote(nm(xi))} (lift {li:.1f})"
                  + (f"; {n - 1} more rule{'s' if n > 2 else ''} agree" if n > 1 else "")
                  for ai, xi, ci, li, n in zip(ba, bx, bconf, blift, n_rules)]
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
            reasons[(sh, gr)] = (f"popular: bought by {_pct(sh)} of customers" + (f" in {quote(gr)}" if gr != "all" else "")
                                 + " (no rule fired)")
        fill = fill.assign(score=fill["share"], confidence=np.nan, lift=np.nan, source="popularity",
                           reason=[reasons[(sh, gr)] for sh, gr in zip(fill["share"], fill["group"])])
        offers = pd.concat([offers, fill[["customer_id", "item", "score", "confidence", "lift", "reason", "source"]]],
                           ignore_index=True)
    src_order = (offers["source"] != "rule").astype(int)
    return (offers.assign(_s=src_order).sort_values(["customer_id", "_s", "score", "item"],
                                                    ascending=[True, True, False, True], kind="stable")
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
# offline evaluation
# --------------------------------------------------------------------------------------
@dataclass
class HoldoutSplit:
    """Each evaluated customer's last basket, held out from everything the recommender learns from.

    ``history``: basket items of the evaluated customers' earlier baskets (what next-basket
    offers are made from); ``holdout``: the items of each evaluated customer's last basket;
    ``trigger``: per evaluated customer, the first item put in the held-out basket (lowest
    line_id; used only by the basket-completion protocol); ``mining``: every basket except
    the held-out ones (guests' and one-basket customers' baskets included), for mining rules
    and popularity.
    """

    history: pd.DataFrame
    holdout: pd.DataFrame
    trigger: pd.DataFrame
    mining: pd.DataFrame

    @property
    def customers(self) -> pd.Index:
        return pd.Index(self.holdout["customer_id"].unique())


def holdout_last_basket(items: pd.DataFrame) -> HoldoutSplit:
    """Split basket items for the offline evaluation (see :class:`HoldoutSplit`).

    The last basket is the customer's latest invoice by time (ties: the larger invoice
    number); customers with a single basket have no history and are not evaluated.
    """
    it = items.copy()
    inv = (it.loc[it["customer_id"].notna(), ["customer_id", "invoice", "invoice_ts"]]
           .drop_duplicates("invoice").sort_values(["customer_id", "invoice_ts", "invoice"]))
    n_baskets = inv.groupby("customer_id")["invoice"].transform("size")
    last = inv[(n_baskets >= 2)].groupby("customer_id").tail(1)
    is_held = it["invoice"].isin(set(last["invoice"]))
    holdout = it[is_held]
    order = "first_line" if "first_line" in holdout.columns else "item"
    trigger = holdout.sort_values(["customer_id", order, "item"]).groupby("customer_id").head(1)
    history = it[~is_held & it["customer_id"].isin(set(last["customer_id"]))]
    return HoldoutSplit(history=history.reset_index(drop=True), holdout=holdout.reset_index(drop=True),
                        trigger=trigger[["customer_id", "invoice", "item"]].reset_index(drop=True),
                        mining=it[~is_held].reset_index(drop=True))


def evaluate_offers(offers: pd.DataFrame, holdout: pd.DataFrame, *, k: int) -> dict:
    """Hit rate, precision@k and recall@k of ``offers`` against the held-out baskets.

    Per evaluated customer (each customer in ``holdout``): hits = offered items (rank <= k)
    found in the held-out basket; hit = at least one hit; precision@k = hits / k;
    recall@k = hits / items in the held-out basket. Each is averaged over the customers (a
    customer without offers counts as zero). hit_rate_se = sqrt(h (1 - h) / customers), the
    binomial standard error of the hit rate h.
    """
    truth = holdout[["customer_id", "item"]].drop_duplicates().astype("string")
    size = truth.groupby("customer_id").size()
    o = offers.loc[offers["rank"] <= k, ["customer_id", "item"]].astype("string")
    hits = o.merge(truth, on=["customer_id", "item"]).groupby("customer_id").size().reindex(size.index, fill_value=0)
    n = len(size)
    hr = float((hits > 0).mean()) if n else np.nan
    return {"customers": n, "k": k, "hit_rate": hr,
            "hit_rate_se": math.sqrt(hr * (1 - hr) / n) if n else np.nan,
            "precision_at_k": float((hits / k).mean()) if n else np.nan,
            "recall_at_k": float((hits / size).mean()) if n else np.nan,
            "hits": int(hits.sum())}


PROTOCOLS = {
    "next_basket": "offers made from the earlier baskets only; scored against the whole held-out basket",
    "basket_completion": "offers made when the first item of the held-out basket is in the cart; "
                         "scored against the rest of that basket",
}
EVAL_COLUMNS = ["protocol", "method", "customers", "k", "hit_rate", "hit_rate_se", "precision_at_k", "recall_at_k",
                "hits"]


def offline_evaluation(items: pd.DataFrame, *, k: int = 5, min_count: int = 3, exclude_bought: bool = True,
                       min_lift: float = 1.0, customer_groups: pd.DataFrame | None = None,
                       protocols=("next_basket", "basket_completion"), con=None) -> pd.DataFrame:
    """Next-best-offer rules against a popularity baseline, on each customer's held-out last basket.

    Protocols (:data:`PROTOCOLS`):

    * ``next_basket``: rules fire on the items of the customer's earlier baskets (the offer
      one makes between visits, e.g. by e-mail); targets = the held-out basket.
    * ``basket_completion``: rules fire on the first item of the held-out basket (the offer
      one makes at checkout); targets = the other items of that basket (baskets of one item
      are not scored). The popularity baseline knows the same first item (never offers it).

    Leakage-free: rules and popularity come from :attr:`HoldoutSplit.mining` (no held-out
    basket in it); offers from the history (and, for completion, the first item only).

    Returns
    -------
    pandas.DataFrame
        One row per protocol and method ("rules", "popularity"): customers (evaluated), k,
        hit_rate, precision_at_k, recall_at_k, hits. ``attrs``: split, rules (the pair rules
        used), rule_share (per protocol: share of the rule method's offers backed by a rule).
    """
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown:
        raise ValueError(f"offline_evaluation: unknown protocol(s) {unknown}; choose from {list(PROTOCOLS)}")
    split = holdout_last_basket(items)
    rows, rule_share = [], {}
    rules = pair_rules(split.mining, min_count=min_count, con=con) if len(split.holdout) else None
    popular = popularity(customer_history(split.mining), customer_groups=customer_groups)
    hist = customer_history(split.history)
    for protocol in protocols:
        if split.holdout.empty:
            continue
        if protocol == "next_basket":
            seeds, exclude, targets = hist, None, split.holdout
        else:
            trig = split.trigger[["customer_id", "item"]].astype("string")
            targets = split.holdout.merge(split.trigger[["customer_id", "item"]].assign(_t=True),
                                          on=["customer_id", "item"], how="left")
            targets = targets[targets["_t"].isna()].drop(columns="_t")
            seeds = trig[trig["customer_id"].isin(set(targets["customer_id"]))]
            exclude = pd.concat([trig, hist], ignore_index=True) if exclude_bought else trig
        who = pd.Index(targets["customer_id"].unique())
        if not len(who):
            continue
        common = dict(k=k, exclude_bought=exclude_bought, popular=popular, customer_groups=customer_groups,
                      customers=who)
        if protocol == "basket_completion":
            common.update(exclude=exclude, exclude_bought=False)
            # customers with a trigger but no earlier history still need a row to fill up from popularity
        by_rules = next_best_offers(seeds, rules, min_lift=min_lift, **common)
        by_pop = popularity_offers(seeds, **common)
        rule_share[protocol] = float((by_rules["source"] == "rule").mean()) if len(by_rules) else np.nan
        rows.append({"protocol": protocol, "method": "rules", **evaluate_offers(by_rules, targets, k=k)})
        rows.append({"protocol": protocol, "method": "popularity", **evaluate_offers(by_pop, targets, k=k)})
    out = pd.DataFrame(rows, columns=EVAL_COLUMNS)
    out.attrs.update(split=split, rules=rules, rule_share=rule_share)
    return out


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
