"""Stage ex03 · RFM segmentation (*RFM bölümlendirme*).

Expected answers come from the prepared RFM table (:func:`helpers.features.customers.rfm_table`) and
:func:`helpers.models.segments.rfm_scores` / :func:`~helpers.models.segments.segment_profile`.
"""
from __future__ import annotations

import pandas as pd

from helpers.models import segments
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, L, Mistake, register


def rfm(ctx) -> pd.DataFrame:
    return ctx.memo("rfm", lambda: ctx.prep.read("customers_rfm").astype({"customer_id": "string"}))


def scored(ctx) -> pd.DataFrame:
    return ctx.memo("rfm_scored", lambda: segments.rfm_scores(rfm(ctx)))


def profile(ctx) -> pd.DataFrame:
    return ctx.memo("rfm_profile", lambda: segments.segment_profile(scored(ctx)).set_index("segment"))


def _champions(ctx) -> pd.DataFrame:
    s = scored(ctx)
    return s[s["segment"] == "Champions"]


EXERCISES = [
    Exercise(
        "ex03.mean_recency",
        L("Mean recency", "Ortalama yenilik (recency)"),
        L("What is the customers' mean **recency** on the analysis date, in days? Recency is the analysis date minus "
          "the day of the last purchase (0 = bought on the analysis date).",
          "Analiz tarihinde müşterilerin ortalama **yeniliği (recency)** kaç gündür? Yenilik, analiz tarihi eksi son "
          "satın alma günüdür (0 = analiz tarihinde alışveriş yaptı)."),
        L("`prep.read(\"customers_rfm\")` has `recency_days`; or compute it from `last_purchase` and `prep.end`.",
          "`prep.read(\"customers_rfm\")` içinde `recency_days` var; ya da `last_purchase` ve `prep.end` ile hesaplayın."),
        lambda ctx: float(rfm(ctx)["recency_days"].mean()),
        NUMBER(rel_tol=1e-3),
        (Mistake("plus_one", lambda ctx: float(rfm(ctx)["recency_days"].mean() + 1),
                 L("off by one: recency is 0 when the customer bought on the analysis date (do not add a day)",
                   "bir gün kayma var: müşteri analiz tarihinde alışveriş yaptıysa yenilik 0'dır (bir gün eklemeyin)")),
         Mistake("weeks", lambda ctx: float(rfm(ctx)["recency_days"].mean() / 7),
                 L("give days, not weeks", "hafta değil gün verin"))),
    ),
    Exercise(
        "ex03.champions",
        L("Champions", "Şampiyonlar"),
        L("Score the customers with `segments.rfm_scores`. How many customers are in the segment **Champions**? "
          "Give a whole number (customers).",
          "Müşterileri `segments.rfm_scores` ile puanlayın. **Champions** (Şampiyonlar) bölümünde kaç müşteri var? "
          "Tam sayı verin (müşteri)."),
        L("`scored = segments.rfm_scores(prep.read(\"customers_rfm\"))`, then count `scored[\"segment\"] == \"Champions\"`.",
          "`scored = segments.rfm_scores(prep.read(\"customers_rfm\"))`, sonra `scored[\"segment\"] == \"Champions\"` sayın."),
        lambda ctx: int(len(_champions(ctx))),
        COUNT,
        (Mistake("with_loyal", lambda ctx: int(scored(ctx)["segment"].isin(["Champions", "Loyal customers"]).sum()),
                 L("you counted the Loyal customers as well; take the Champions only",
                   "Sadık müşterileri de saydınız; yalnızca Şampiyonları alın")),
         Mistake("orders", lambda ctx: int(_champions(ctx)["frequency"].sum()),
                 L("you counted the champions' orders, not the customers",
                   "müşterileri değil, şampiyonların siparişlerini saydınız"))),
    ),
    Exercise(
        "ex03.champions_revenue_share",
        L("The champions' revenue", "Şampiyonların cirosu"),
        L("What share of the customers' revenue do the **Champions** bring? Give a fraction between 0 and 1.",
          "**Şampiyonlar** müşteri cirosunun ne kadarını getiriyor? 0 ile 1 arasında bir oran verin."),
        L("Sum `monetary` of the Champions and divide by the sum over all customers "
          "(or `segments.segment_profile(scored)`, column `revenue_share`).",
          "Şampiyonların `monetary` toplamını tüm müşterilerin toplamına bölün "
          "(ya da `segments.segment_profile(scored)`, `revenue_share` sütunu)."),
        lambda ctx: float(profile(ctx).loc["Champions", "revenue_share"]),
        SHARE,
        (Mistake("customer_share", lambda ctx: float(profile(ctx).loc["Champions", "share"]),
                 L("that is the champions' share of customers, not of revenue",
                   "bu, şampiyonların cirodaki değil müşteri sayısındaki payı")),),
    ),
    Exercise(
        "ex03.one_time_share",
        L("One-time buyers", "Tek seferlik alıcılar"),
        L("What share of customers placed exactly **one order**? Give a fraction between 0 and 1.",
          "Müşterilerin ne kadarı tam olarak **bir sipariş** verdi? 0 ile 1 arasında bir oran verin."),
        L("`frequency` in the RFM table counts orders (distinct invoices).",
          "RFM tablosundaki `frequency` siparişleri (farklı faturaları) sayar."),
        lambda ctx: float((rfm(ctx)["frequency"] == 1).mean()),
        SHARE,
        (Mistake("count", lambda ctx: int((rfm(ctx)["frequency"] == 1).sum()),
                 L("that is the number of one-time buyers; give their share of all customers",
                   "bu tek seferlik alıcıların sayısı; tüm müşteriler içindeki paylarını verin")),
         Mistake("repeat", lambda ctx: float((rfm(ctx)["frequency"] > 1).mean()),
                 L("that is the share of repeat customers (two or more orders)",
                   "bu tekrar alışveriş yapan müşterilerin (iki ya da daha çok sipariş) payı"))),
    ),
]

register("ex03", "ex03_rfm", L("RFM segmentation", "RFM bölümlendirme"), EXERCISES)
