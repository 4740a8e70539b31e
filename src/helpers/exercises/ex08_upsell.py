"""Stage ex08 · Up-sell (*yukarı satış*): basket values, price tiers, tier-up potential. Needs products.

Expected answers come from :func:`helpers.models.upsell.basket_values`,
:func:`~helpers.models.upsell.price_ladder` (price quantiles inside each category, three tiers),
:func:`~helpers.models.upsell.tier_shares` and :func:`~helpers.models.upsell.tier_up_potential`.
"""
from __future__ import annotations

import pandas as pd

from helpers.models import baskets as bk
from helpers.models import upsell as up
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, Exercise, Mistake, register

N_TIERS = 3
MIN_ORDERS = 3
NEEDS = ("product_id",)
#: the values filled into the {fields} of the texts (translated with them in place)
FIELDS = {"n_tiers": N_TIERS, "top_tier": N_TIERS - 1, "min_orders": MIN_ORDERS}


def values(ctx) -> pd.DataFrame:
    return ctx.memo("basket_values", lambda: up.basket_values(ctx.lines))


def ladder(ctx) -> pd.DataFrame:
    return ctx.memo("ladder", lambda: up.price_ladder(bk.item_catalogue(ctx.lines), n_tiers=N_TIERS))


def shares(ctx) -> pd.DataFrame:
    return ctx.memo("tier_shares", lambda: up.tier_shares(ctx.lines, ladder(ctx)))


def potential(ctx, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    return ctx.memo(f"potential:{min_orders}", lambda: up.tier_up_potential(shares(ctx), min_orders=min_orders))


EXERCISES = [
    Exercise(
        "ex08.median_basket_value",
        N_("Typical basket"),
        N_("What is the **median** basket value (revenue of an invoice, guests included)? Give it in the data's currency."),
        N_("`up.basket_values(lines)` has one row per invoice with its `value`."),
        lambda ctx: float(values(ctx)["value"].median()),
        NUMBER(rel_tol=1e-3),
        (Mistake("mean", lambda ctx: float(values(ctx)["value"].mean()),
                 N_("you took the mean; a few large baskets pull it above the typical basket (the median)")),
         Mistake("customers_only", lambda ctx: float(values(ctx).dropna(subset=["customer_id"])["value"].median()),
                 N_("you left the guests' baskets out"))),
        NEEDS,
    ),
    Exercise(
        "ex08.best_tier_products",
        N_("Price ladder"),
        N_("Build a price ladder of {n_tiers} tiers inside each category from the price quantiles "
           "(`up.price_ladder(bk.item_catalogue(lines), n_tiers={n_tiers})`). How many products are in the **top** "
           "tier (best)? Give a whole number (products)."),
        N_("Tiers are numbered from 0 (lowest) to {top_tier} (top) in the column `tier`."),
        lambda ctx: int((ladder(ctx)["tier"] == N_TIERS - 1).sum()),
        COUNT,
        (Mistake("lowest", lambda ctx: int((ladder(ctx)["tier"] == 0).sum()),
                 N_("that is the lowest tier (0); the top tier has the highest number")),),
        NEEDS,
        fields=FIELDS,
    ),
    Exercise(
        "ex08.lowest_only_customers",
        N_("Customers for a tier-up offer"),
        N_("How many customers buy **only the lowest tier** of a category they bought in at least {min_orders} "
           "orders? Give a whole number (customers)."),
        N_("`up.tier_up_potential(up.tier_shares(lines, ladder), min_orders={min_orders})` has one row per customer "
           "and category: count distinct customers."),
        lambda ctx: int(potential(ctx)["customer_id"].nunique()),
        COUNT,
        (Mistake("pairs", lambda ctx: int(len(potential(ctx))),
                 N_("you counted customer-category pairs; count customers")),
         Mistake("any_orders", lambda ctx: int(potential(ctx, 1)["customer_id"].nunique()),
                 N_("keep only categories bought in at least {min_orders} orders"))),
        NEEDS,
        fields=FIELDS,
    ),
    Exercise(
        "ex08.tier_up_gain",
        N_("What one tier up is worth"),
        N_("If those customers had bought the same things **one tier up**, how much more would they have spent over "
           "the analysis window? Give it in the data's currency."),
        N_("Sum `gain_one_up` of the tier-up potential table."),
        lambda ctx: float(potential(ctx)["gain_one_up"].sum()),
        NUMBER(rel_tol=1e-3),
        (Mistake("spend", lambda ctx: float(potential(ctx)["spend"].sum()),
                 N_("that is what they spend now; the gain is the extra spend one tier up")),
         Mistake("any_orders", lambda ctx: float(potential(ctx, 1)["gain_one_up"].sum()),
                 N_("keep only categories bought in at least {min_orders} orders"))),
        NEEDS,
        fields=FIELDS,
    ),
]

register("ex08", "ex08_upsell", N_("Up-sell"), EXERCISES)
