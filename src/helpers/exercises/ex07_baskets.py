"""Stage ex07 · Basket analysis (*sepet analizi*, cross-sell / *çapraz satış*). Needs products.

Expected answers come from :func:`helpers.models.baskets.basket_items` (one row per invoice and
product) and :func:`~helpers.models.baskets.pair_rules` (support, confidence, lift of product pairs).
"""
from __future__ import annotations

import pandas as pd

from helpers.models import baskets as bk
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, Mistake, Unavailable, register

MIN_COUNT = 5
NEEDS = ("product_id",)
#: the values filled into the {fields} of the texts (translated with them in place)
FIELDS = {"min_count": MIN_COUNT}


def items(ctx) -> pd.DataFrame:
    return ctx.memo("basket_items", lambda: bk.basket_items(ctx.lines).execute())


def _sizes(ctx) -> pd.Series:
    return items(ctx).groupby("invoice")["item"].nunique()


def _item_baskets(ctx) -> pd.Series:
    return items(ctx).groupby("item")["invoice"].nunique()


def pairs(ctx, min_count: int = MIN_COUNT) -> pd.DataFrame:
    def make():
        p = bk.pair_rules(items(ctx), min_count=min_count)
        if p.empty:
            raise Unavailable(N_("no pair of products is bought together in {min_count}+ baskets"), min_count=min_count)
        return p

    return ctx.memo(f"pairs:{min_count}", make)


def _product_lines(ctx) -> pd.DataFrame:
    return ctx.memo("product_lines", lambda: ctx.prep.lines(["invoice", "product_id"]).dropna(subset=["product_id"]))


EXERCISES = [
    Exercise(
        "ex07.baskets",
        N_("Baskets"),
        N_("How many **baskets** (distinct invoices with products, guests included) are in the clean data? "
           "Give a whole number (baskets)."),
        N_("`items = bk.basket_items(lines).execute()` has one row per invoice and product: count distinct `invoice`."),
        lambda ctx: int(items(ctx)["invoice"].nunique()),
        COUNT,
        (Mistake("lines", lambda ctx: int(len(_product_lines(ctx))),
                 N_("you counted sales lines; a basket is a distinct invoice")),
         Mistake("customers", lambda ctx: int(items(ctx)["customer_id"].nunique()),
                 N_("you counted customers, not baskets"))),
        NEEDS,
    ),
    Exercise(
        "ex07.mean_basket_size",
        N_("Basket size"),
        N_("How many **distinct products** does a basket hold on average? Give a number (products per basket)."),
        N_("Group the basket items by `invoice` and count distinct `item`, then take the mean."),
        lambda ctx: float(_sizes(ctx).mean()),
        NUMBER(rel_tol=1e-3),
        (Mistake("units", lambda ctx: float(items(ctx).groupby("invoice")["quantity"].sum().mean()),
                 N_("you counted units (quantities); basket size counts distinct products")),
         Mistake("multi_only", lambda ctx: float(_sizes(ctx)[_sizes(ctx) >= 2].mean()),
                 N_("keep the one-product baskets in the mean"))),
        NEEDS,
    ),
    Exercise(
        "ex07.top_product_support",
        N_("Support of the best seller"),
        N_("What is the **support** of the product found in the most baskets: the share of baskets that hold it? "
           "Give a fraction between 0 and 1."),
        N_("Baskets per product (distinct invoices per `item`), the largest, divided by the number of baskets."),
        lambda ctx: float(_item_baskets(ctx).max() / items(ctx)["invoice"].nunique()),
        SHARE,
        (Mistake("count", lambda ctx: int(_item_baskets(ctx).max()),
                 N_("that is a number of baskets; support is their share of all baskets")),
         Mistake("line_share", lambda ctx: float(_product_lines(ctx)["product_id"].astype(str).value_counts().iloc[0] / len(_product_lines(ctx))),
                 N_("that is the product's share of sales lines; support is its share of baskets"))),
        NEEDS,
    ),
    Exercise(
        "ex07.max_lift",
        N_("The strongest pair"),
        N_("Among the product pairs bought together in at least **{min_count} baskets**, what is the highest "
           "**lift** (how many times more often the two meet than by chance)? Give a number."),
        N_("`bk.pair_rules(items, min_count={min_count})` has a column `lift` = support(A+C) / (support(A) × support(C))."),
        lambda ctx: float(pairs(ctx)["lift"].max()),
        NUMBER(rel_tol=1e-3),
        (Mistake("by_support", lambda ctx: float(pairs(ctx).sort_values(["support", "lift"], ascending=False)["lift"].iloc[0]),
                 N_("you took the lift of the most frequent pair (highest support); the question asks for the highest lift")),
         Mistake("no_min_count", lambda ctx: float(pairs(ctx, 1)["lift"].max()),
                 N_("keep only pairs in at least {min_count} baskets: rare pairs get huge lifts by chance"))),
        NEEDS,
        fields=FIELDS,
    ),
]

register("ex07", "ex07_baskets", N_("Basket analysis"), EXERCISES)
