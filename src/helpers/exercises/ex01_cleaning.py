"""Stage ex01 · Data cleaning (*veri temizleme*): the audit, kept revenue, customers and revenue.

Expected answers come from the cleaning audit that :func:`helpers.pipeline.prepare` wrote
(:func:`helpers.clean.audit_table`) and from the clean lines.
"""
from __future__ import annotations

import pandas as pd

from helpers.clean import RULES
from helpers.exercises.core import COUNT, NUMBER, SHARE, TEXT, Exercise, L, Mistake, Unavailable, register


def audit(ctx) -> pd.DataFrame:
    """The cleaning audit, indexed by rule."""
    return ctx.memo("audit", lambda: ctx.prep.read("audit").set_index("rule"))


def _clean(ctx) -> pd.DataFrame:
    return ctx.memo("clean_lines", lambda: ctx.prep.lines(["invoice", "customer_id", "amount"]))


def _rules(ctx) -> pd.DataFrame:
    """The rule rows only: not ``kept``, ``raw total`` or the information rows below it."""
    a = audit(ctx)
    return a.loc[[r for r in RULES if r in a.index]]


def _removed_most(ctx, column: str) -> str:
    r = _rules(ctx)
    if r["lines"].sum() == 0:
        raise Unavailable(L("no cleaning rule removed a line in this data", "bu veride hiçbir temizleme kuralı satır çıkarmadı"))
    return str(r[column].idxmax())


EXERCISES = [
    Exercise(
        "ex01.raw_lines",
        L("Lines read", "Okunan satırlar"),
        L("How many sales lines did the source hold **before** cleaning? Give a whole number (lines).",
          "Kaynakta temizlemeden **önce** kaç satış satırı vardı? Tam sayı olarak verin (satır)."),
        L("The audit (`prep.read(\"audit\")`) has a row `raw total`; or count the rows of `prep.raw_lines()`.",
          "Denetim tablosunda (`prep.read(\"audit\")`) `raw total` satırı var; ya da `prep.raw_lines()` satırlarını sayın."),
        lambda ctx: int(audit(ctx).loc["raw total", "lines"]),
        COUNT,
        (Mistake("kept_lines", lambda ctx: int(audit(ctx).loc["kept", "lines"]),
                 L("you counted the lines kept after cleaning; the question asks for every line read, before cleaning",
                   "temizlemeden sonra kalan satırları saydınız; soru temizlemeden önce okunan tüm satırları soruyor")),
         Mistake("invoices", lambda ctx: int(ctx.prep.raw_lines(["invoice"])["invoice"].nunique()),
                 L("you counted invoices (orders), not lines: an order has several lines",
                   "satırları değil faturaları (siparişleri) saydınız: bir siparişte birden çok satır olur"))),
    ),
    Exercise(
        "ex01.kept_revenue_share",
        L("Revenue kept", "Korunan ciro"),
        L("What share of the raw revenue is kept after cleaning? Give a fraction between 0 and 1.",
          "Ham cironun ne kadarı temizlemeden sonra korunuyor? 0 ile 1 arasında bir oran verin."),
        L("Revenue of the `kept` row divided by revenue of the `raw total` row of the audit.",
          "Denetimdeki `kept` satırının cirosunu `raw total` satırının cirosuna bölün."),
        lambda ctx: float(audit(ctx).loc["kept", "revenue"] / audit(ctx).loc["raw total", "revenue"]),
        SHARE,
        (Mistake("line_share", lambda ctx: float(audit(ctx).loc["kept", "lines"] / audit(ctx).loc["raw total", "lines"]),
                 L("that is the share of lines kept; the question asks for the share of revenue",
                   "bu, korunan satırların payı; soru cironun payını soruyor")),
         Mistake("removed", lambda ctx: 1 - float(audit(ctx).loc["kept", "revenue"] / audit(ctx).loc["raw total", "revenue"]),
                 L("that is the share of revenue removed, not kept", "bu, korunan değil çıkarılan cironun payı"))),
    ),
    Exercise(
        "ex01.top_rule",
        L("The costliest rule", "En çok ciro çıkaran kural"),
        L("Which cleaning rule removed lines with the **largest revenue** (sum of their amounts)? Give the rule's "
          "name as in the audit, e.g. `\"duplicate\"`.",
          "Hangi temizleme kuralı **en yüksek ciroya** (tutarlarının toplamı) sahip satırları çıkardı? Kuralın "
          "adını denetimdeki gibi verin, ör. `\"duplicate\"`."),
        L("Keep the rule rows above `kept` (leave out `kept`, `raw total` and the information rows below it), then "
          "take the rule with the largest `revenue` (returns are negative, so they cannot be it).",
          "`kept` satırının üstündeki kural satırlarını alın (`kept`, `raw total` ve altındaki bilgi satırlarını "
          "çıkarın), sonra `revenue` değeri en büyük kuralı alın (iadeler negatiftir, bu yüzden onlar olamaz)."),
        lambda ctx: _removed_most(ctx, "revenue"),
        TEXT,
        (Mistake("by_lines", lambda ctx: _removed_most(ctx, "lines"),
                 L("you ranked the rules by lines removed; the question asks for revenue",
                   "kuralları çıkarılan satır sayısına göre sıraladınız; soru ciroyu soruyor")),),
    ),
    Exercise(
        "ex01.customers",
        L("Customers", "Müşteriler"),
        L("How many customers (distinct customer ids) have at least one clean line? Give a whole number (customers).",
          "En az bir temiz satırı olan kaç müşteri (farklı müşteri numarası) var? Tam sayı verin (müşteri)."),
        L("Count distinct `customer_id` values of `prep.lines()`; lines without an id are guests, not a customer.",
          "`prep.lines()` içindeki farklı `customer_id` değerlerini sayın; numarasız satırlar misafirdir, müşteri değil."),
        lambda ctx: int(_clean(ctx)["customer_id"].nunique()),
        COUNT,
        (Mistake("with_guests", lambda ctx: int(_clean(ctx)["customer_id"].nunique(dropna=False)),
                 L("you counted the guests (lines without a customer id) as one more customer",
                   "misafirleri (müşteri numarası olmayan satırlar) fazladan bir müşteri olarak saydınız")),
         Mistake("orders", lambda ctx: int(_clean(ctx).dropna(subset=["customer_id"])["invoice"].nunique()),
                 L("you counted orders, not customers", "müşterileri değil siparişleri saydınız")),
         Mistake("raw_customers", lambda ctx: int(audit(ctx).loc["raw total", "customers"]),
                 L("you counted the customers of the raw data, before cleaning",
                   "temizlemeden önceki ham verideki müşterileri saydınız"))),
    ),
    Exercise(
        "ex01.clean_revenue",
        L("Clean revenue", "Temiz ciro"),
        L("What is the total revenue of the clean lines (guests included)? Give it in the data's currency.",
          "Temiz satırların toplam cirosu nedir (misafirler dâhil)? Verinin para biriminde verin."),
        L("Sum `amount` over `prep.lines()`, or read the `kept` row of the audit.",
          "`prep.lines()` üzerinde `amount` toplamını alın ya da denetimin `kept` satırına bakın."),
        lambda ctx: float(audit(ctx).loc["kept", "revenue"]),
        NUMBER(rel_tol=1e-4),
        (Mistake("raw_revenue", lambda ctx: float(audit(ctx).loc["raw total", "revenue"]),
                 L("you summed the raw lines: revenue including cancellations, duplicates and the other removed lines",
                   "ham satırları topladınız: iptaller, tekrarlar ve çıkarılan diğer satırlar dâhil ciro")),
         Mistake("no_guests", lambda ctx: float(audit(ctx).loc["kept", "revenue"] - audit(ctx).loc["guests (kept)", "revenue"]),
                 L("you left the guests out; the shop's revenue includes their lines",
                   "misafirleri dışarıda bıraktınız; mağazanın cirosu onların satırlarını da içerir"))),
    ),
]

register("ex01", "ex01_cleaning", L("Data cleaning", "Veri temizleme"), EXERCISES)
