"""Market baskets from clean lines: one row per invoice and item, a summary of them, and the item catalogue.

A **basket** is one invoice; its **items** are the distinct products (or categories) on it.
Guests' invoices are baskets too (they show what goes together), but only customers with an
id get offers.
"""
from __future__ import annotations

import pandas as pd


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


def catalogue_names(catalogue: pd.DataFrame | None) -> dict:
    """Item code -> display name, from :func:`item_catalogue` (empty when there is no catalogue)."""
    if catalogue is None or catalogue.empty:
        return {}
    return dict(zip(catalogue["item"].astype(str), catalogue["name"].astype(str)))
