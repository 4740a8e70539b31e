"""Association rules between basket items (cross-sell, *çapraz satış*): FP-growth, pair rules in the engine, and the tables that show them.

For a rule A -> C over N baskets (invoices, :mod:`helpers.models.baskets.items`), with n(X) the
number of baskets holding every item of X:

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
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from helpers.models.baskets.items import catalogue_names

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


def label_rules(rules: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``if_bought`` and ``then_offer``: item names (item codes in brackets) joined by " + "."""
    names = catalogue_names(catalogue)

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
