"""Stage ex07 · Basket analysis (*sepet analizi*, cross-sell / *çapraz satış*). Needs products.

Expected answers come from :func:`helpers.models.baskets.basket_items` (one row per invoice and
product) and :func:`~helpers.models.baskets.pair_rules` (support, confidence, lift of product pairs).
"""
from __future__ import annotations

import pandas as pd

from helpers.models import baskets as bk
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, L, Mistake, Unavailable, register

MIN_COUNT = 5
NEEDS = ("product_id",)


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
            raise Unavailable(L(f"no pair of products is bought together in {min_count}+ baskets",
                                f"hiçbir ürün çifti {min_count} ya da daha çok sepette birlikte alınmamış"))
        return p

    return ctx.memo(f"pairs:{min_count}", make)


def _product_lines(ctx) -> pd.DataFrame:
    return ctx.memo("product_lines", lambda: ctx.prep.lines(["invoice", "product_id"]).dropna(subset=["product_id"]))


EXERCISES = [
    Exercise(
        "ex07.baskets",
        L("Baskets", "Sepetler"),
        L("How many **baskets** (distinct invoices with products, guests included) are in the clean data? "
          "Give a whole number (baskets).",
          "Temiz veride kaç **sepet** (ürün içeren farklı fatura, misafirler dâhil) var? Tam sayı verin (sepet)."),
        L("`items = bk.basket_items(lines).execute()` has one row per invoice and product: count distinct `invoice`.",
          "`items = bk.basket_items(lines).execute()` her fatura ve ürün için bir satır içerir: farklı `invoice` sayın."),
        lambda ctx: int(items(ctx)["invoice"].nunique()),
        COUNT,
        (Mistake("lines", lambda ctx: int(len(_product_lines(ctx))),
                 L("you counted sales lines; a basket is a distinct invoice", "satış satırlarını saydınız; sepet farklı bir faturadır")),
         Mistake("customers", lambda ctx: int(items(ctx)["customer_id"].nunique()),
                 L("you counted customers, not baskets", "sepetleri değil müşterileri saydınız"))),
        NEEDS,
    ),
    Exercise(
        "ex07.mean_basket_size",
        L("Basket size", "Sepet büyüklüğü"),
        L("How many **distinct products** does a basket hold on average? Give a number (products per basket).",
          "Bir sepette ortalama kaç **farklı ürün** var? Bir sayı verin (sepet başına ürün)."),
        L("Group the basket items by `invoice` and count distinct `item`, then take the mean.",
          "Sepet kalemlerini `invoice` ile gruplayıp farklı `item` sayın, sonra ortalamayı alın."),
        lambda ctx: float(_sizes(ctx).mean()),
        NUMBER(rel_tol=1e-3),
        (Mistake("units", lambda ctx: float(items(ctx).groupby("invoice")["quantity"].sum().mean()),
                 L("you counted units (quantities); basket size counts distinct products",
                   "adetleri saydınız; sepet büyüklüğü farklı ürünleri sayar")),
         Mistake("multi_only", lambda ctx: float(_sizes(ctx)[_sizes(ctx) >= 2].mean()),
                 L("keep the one-product baskets in the mean", "tek ürünlü sepetleri de ortalamaya katın"))),
        NEEDS,
    ),
    Exercise(
        "ex07.top_product_support",
        L("Support of the best seller", "En çok satanın desteği"),
        L("What is the **support** of the product found in the most baskets: the share of baskets that hold it? "
          "Give a fraction between 0 and 1.",
          "En çok sepette bulunan ürünün **desteği** (support) nedir: onu içeren sepetlerin payı? 0 ile 1 arasında "
          "bir oran verin."),
        L("Baskets per product (distinct invoices per `item`), the largest, divided by the number of baskets.",
          "Ürün başına sepet sayısı (`item` başına farklı fatura), en büyüğü, bölü sepet sayısı."),
        lambda ctx: float(_item_baskets(ctx).max() / items(ctx)["invoice"].nunique()),
        SHARE,
        (Mistake("count", lambda ctx: int(_item_baskets(ctx).max()),
                 L("that is a number of baskets; support is their share of all baskets",
                   "bu bir sepet sayısı; destek, onların tüm sepetler içindeki payıdır")),
         Mistake("line_share", lambda ctx: float(_product_lines(ctx)["product_id"].astype(str).value_counts().iloc[0] / len(_product_lines(ctx))),
                 L("that is the product's share of sales lines; support is its share of baskets",
                   "bu ürünün satış satırlarındaki payı; destek, sepetlerdeki payıdır"))),
        NEEDS,
    ),
    Exercise(
        "ex07.max_lift",
        L("The strongest pair", "En güçlü çift"),
        L(f"Among the product pairs bought together in at least **{MIN_COUNT} baskets**, what is the highest "
          "**lift** (how many times more often the two meet than by chance)? Give a number.",
          f"En az **{MIN_COUNT} sepette** birlikte alınan ürün çiftleri arasında en yüksek **kaldıraç (lift)** "
          "nedir (ikisinin rastlantıya göre kaç kat daha sık buluştuğu)? Bir sayı verin."),
        L(f"`bk.pair_rules(items, min_count={MIN_COUNT})` has a column `lift` = support(A+C) / (support(A) × support(C)).",
          f"`bk.pair_rules(items, min_count={MIN_COUNT})` içinde `lift` = destek(A+C) / (destek(A) × destek(C)) sütunu var."),
        lambda ctx: float(pairs(ctx)["lift"].max()),
        NUMBER(rel_tol=1e-3),
        (Mistake("by_support", lambda ctx: float(pairs(ctx).sort_values(["support", "lift"], ascending=False)["lift"].iloc[0]),
                 L("you took the lift of the most frequent pair (highest support); the question asks for the highest lift",
                   "en sık çiftin (en yüksek destek) kaldıracını aldınız; soru en yüksek kaldıracı soruyor")),
         Mistake("no_min_count", lambda ctx: float(pairs(ctx, 1)["lift"].max()),
                 L(f"keep only pairs in at least {MIN_COUNT} baskets: rare pairs get huge lifts by chance",
                   f"yalnızca en az {MIN_COUNT} sepette görülen çiftleri tutun: nadir çiftler rastlantıyla çok yüksek kaldıraç alır"))),
        NEEDS,
    ),
]

register("ex07", "ex07_baskets", L("Basket analysis", "Sepet analizi"), EXERCISES)
