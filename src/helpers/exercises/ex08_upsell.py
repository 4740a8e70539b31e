"""Stage ex08 · Up-sell (*yukarı satış*): basket values, price tiers, tier-up potential. Needs products.

Expected answers come from :func:`helpers.models.upsell.basket_values`,
:func:`~helpers.models.upsell.price_ladder` (price quantiles inside each category, three tiers),
:func:`~helpers.models.upsell.tier_shares` and :func:`~helpers.models.upsell.tier_up_potential`.
"""
from __future__ import annotations

import pandas as pd

from helpers.models import baskets as bk
from helpers.models import upsell as up
from helpers.exercises.core import COUNT, NUMBER, Exercise, L, Mistake, register

N_TIERS = 3
MIN_ORDERS = 3
NEEDS = ("product_id",)


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
        L("Typical basket", "Tipik sepet"),
        L("What is the **median** basket value (revenue of an invoice, guests included)? Give it in the data's currency.",
          "Sepet değerinin (bir faturanın cirosu, misafirler dâhil) **medyanı** nedir? Verinin para biriminde verin."),
        L("`up.basket_values(lines)` has one row per invoice with its `value`.",
          "`up.basket_values(lines)` her fatura için `value` değeriyle bir satır içerir."),
        lambda ctx: float(values(ctx)["value"].median()),
        NUMBER(rel_tol=1e-3),
        (Mistake("mean", lambda ctx: float(values(ctx)["value"].mean()),
                 L("you took the mean; a few large baskets pull it above the typical basket (the median)",
                   "ortalamayı aldınız; birkaç büyük sepet onu tipik sepetin (medyanın) üstüne çeker")),
         Mistake("customers_only", lambda ctx: float(values(ctx).dropna(subset=["customer_id"])["value"].median()),
                 L("you left the guests' baskets out", "misafirlerin sepetlerini dışarıda bıraktınız"))),
        NEEDS,
    ),
    Exercise(
        "ex08.best_tier_products",
        L("Price ladder", "Fiyat merdiveni"),
        L(f"Build a price ladder of {N_TIERS} tiers inside each category from the price quantiles "
          f"(`up.price_ladder(bk.item_catalogue(lines), n_tiers={N_TIERS})`). How many products are in the **top** "
          "tier (best)? Give a whole number (products).",
          f"Her kategori içinde fiyat yüzdeliklerinden {N_TIERS} basamaklı bir fiyat merdiveni kurun "
          f"(`up.price_ladder(bk.item_catalogue(lines), n_tiers={N_TIERS})`). **En üst** basamakta (best) kaç ürün "
          "var? Tam sayı verin (ürün)."),
        L(f"Tiers are numbered from 0 (lowest) to {N_TIERS - 1} (top) in the column `tier`.",
          f"Basamaklar `tier` sütununda 0'dan (en alt) {N_TIERS - 1}'e (en üst) numaralanır."),
        lambda ctx: int((ladder(ctx)["tier"] == N_TIERS - 1).sum()),
        COUNT,
        (Mistake("lowest", lambda ctx: int((ladder(ctx)["tier"] == 0).sum()),
                 L("that is the lowest tier (0); the top tier has the highest number",
                   "bu en alt basamak (0); en üst basamak en yüksek numaralıdır")),),
        NEEDS,
    ),
    Exercise(
        "ex08.lowest_only_customers",
        L("Customers for a tier-up offer", "Üst basamak teklifi için müşteriler"),
        L(f"How many customers buy **only the lowest tier** of a category they bought in at least {MIN_ORDERS} "
          "orders? Give a whole number (customers).",
          f"En az {MIN_ORDERS} siparişte aldıkları bir kategoride **yalnızca en alt basamağı** alan kaç müşteri var? "
          "Tam sayı verin (müşteri)."),
        L(f"`up.tier_up_potential(up.tier_shares(lines, ladder), min_orders={MIN_ORDERS})` has one row per customer "
          "and category: count distinct customers.",
          f"`up.tier_up_potential(up.tier_shares(lines, ladder), min_orders={MIN_ORDERS})` her müşteri ve kategori "
          "için bir satır içerir: farklı müşterileri sayın."),
        lambda ctx: int(potential(ctx)["customer_id"].nunique()),
        COUNT,
        (Mistake("pairs", lambda ctx: int(len(potential(ctx))),
                 L("you counted customer-category pairs; count customers", "müşteri-kategori çiftlerini saydınız; müşterileri sayın")),
         Mistake("any_orders", lambda ctx: int(potential(ctx, 1)["customer_id"].nunique()),
                 L(f"keep only categories bought in at least {MIN_ORDERS} orders",
                   f"yalnızca en az {MIN_ORDERS} siparişte alınan kategorileri tutun"))),
        NEEDS,
    ),
    Exercise(
        "ex08.tier_up_gain",
        L("What one tier up is worth", "Bir basamak yukarının değeri"),
        L("If those customers had bought the same things **one tier up**, how much more would they have spent over "
          "the analysis window? Give it in the data's currency.",
          "Bu müşteriler aynı şeyleri **bir basamak yukarıdan** alsalardı analiz penceresi boyunca ne kadar fazla "
          "harcarlardı? Verinin para biriminde verin."),
        L("Sum `gain_one_up` of the tier-up potential table.", "Üst basamak potansiyeli tablosunda `gain_one_up` toplamını alın."),
        lambda ctx: float(potential(ctx)["gain_one_up"].sum()),
        NUMBER(rel_tol=1e-3),
        (Mistake("spend", lambda ctx: float(potential(ctx)["spend"].sum()),
                 L("that is what they spend now; the gain is the extra spend one tier up",
                   "bu şu anki harcamaları; kazanç, bir basamak yukarıdaki ek harcamadır")),
         Mistake("any_orders", lambda ctx: float(potential(ctx, 1)["gain_one_up"].sum()),
                 L(f"keep only categories bought in at least {MIN_ORDERS} orders",
                   f"yalnızca en az {MIN_ORDERS} siparişte alınan kategorileri tutun"))),
        NEEDS,
    ),
]

register("ex08", "ex08_upsell", L("Up-sell", "Yukarı satış"), EXERCISES)
