"""Stage ex02 · Lifecycle KPIs and cohorts (*müşteri edinme, elde tutma, kohort*).

Expected answers come from :func:`helpers.features.lifecycle.kpi_table`, :func:`~helpers.features.lifecycle.cohort_table`
and the life-cycle stages (:func:`~helpers.features.lifecycle.stages_at` with thresholds from
:func:`~helpers.features.lifecycle.rules_from_gaps`), with the config's period.
"""
from __future__ import annotations

import pandas as pd

from helpers.features import lifecycle
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, L, Mistake, Unavailable, register


def kpis(ctx) -> pd.DataFrame:
    p = ctx.prep
    return ctx.memo("kpis", lambda: lifecycle.kpi_table(ctx.lines, period=p.config.analysis.period,
                                                        analysis_date=p.end, start=p.start))


def last_complete(ctx) -> pd.Series:
    k = kpis(ctx).reset_index(drop=True)
    ok = k.index[k["complete"] & (k.index > 0)]
    if len(ok) == 0:
        raise Unavailable(L("the data has no complete period with a period before it",
                            "veride öncesinde bir dönem bulunan tamamlanmış bir dönem yok"))
    return k.loc[int(ok[-1])]


def last_row(ctx) -> pd.Series:
    return kpis(ctx).iloc[-1]


def cohorts(ctx) -> pd.DataFrame:
    p = ctx.prep
    return ctx.memo("cohorts", lambda: lifecycle.cohort_table(ctx.lines, period=p.config.analysis.period,
                                                              analysis_date=p.end))


def _first_cohort_at(ctx, age: int, column: str = "retention") -> float:
    c = cohorts(ctx)
    first = c[c["cohort_index"] == c["cohort_index"].min()]
    cell = first[first["age"] == age]
    if cell.empty:
        raise Unavailable(L(f"the first cohort has no age {age} yet", f"ilk kohortun henüz {age} yaşı yok"))
    return float(cell[column].iloc[0])


def stages(ctx) -> pd.DataFrame:
    def make():
        days = lifecycle.purchase_days(ctx.lines, analysis_date=ctx.prep.end)
        rules, _ = lifecycle.rules_from_gaps(days)
        return lifecycle.stages_at(days, ctx.prep.end, rules)

    return ctx.memo("stages", make)


def _orders_and_revenue(ctx) -> tuple[float, float, int]:
    k = kpis(ctx)
    n_lines = ctx.memo("n_clean_lines", lambda: int(ctx.prep.meta["n_clean_lines"]))
    return float(k["revenue"].sum()), float(k["orders"].sum()), n_lines



EXERCISES = [
    Exercise(
        "ex02.new_last_period",
        L("New customers", "Yeni müşteriler"),
        L("How many **new** customers (first order in the period) came in the **last complete** period? Use "
          "the config's period (`prep.config.analysis.period`). Give a whole number (customers).",
          "**Son tamamlanmış** dönemde kaç **yeni** müşteri (ilk siparişi o dönemde olan) geldi? Yapılandırmadaki "
          "dönemi kullanın (`prep.config.analysis.period`). Tam sayı verin (müşteri)."),
        L("`lifecycle.kpi_table(lines, period=..., analysis_date=prep.end, start=prep.start)` has a column `new` and "
          "a column `complete`: take the last row with `complete == True`.",
          "`lifecycle.kpi_table(lines, period=..., analysis_date=prep.end, start=prep.start)` tablosunda `new` ve "
          "`complete` sütunları var: `complete == True` olan son satırı alın."),
        lambda ctx: int(last_complete(ctx)["new"]),
        COUNT,
        (Mistake("active", lambda ctx: int(last_complete(ctx)["active"]),
                 L("you counted every active customer; new ones are those whose first order is in the period",
                   "tüm aktif müşterileri saydınız; yeni müşteriler ilk siparişi o dönemde olanlardır")),
         Mistake("partial_period", lambda ctx: int(last_row(ctx)["new"]),
                 L("wrong period: the last row is cut by the analysis date (complete = False); take the last complete one",
                   "yanlış dönem: son satır analiz tarihiyle kesiliyor (complete = False); son tamamlanmış dönemi alın"))),
    ),
    Exercise(
        "ex02.retention_last_period",
        L("Retention rate", "Elde tutma oranı"),
        L("What is the **retention rate** of the last complete period: the customers active in it and in the "
          "period before, divided by the customers active in the period before? Give a fraction between 0 and 1.",
          "Son tamamlanmış dönemin **elde tutma oranı** nedir: hem o dönemde hem bir önceki dönemde aktif olan "
          "müşteriler bölü bir önceki dönemde aktif olan müşteriler? 0 ile 1 arasında bir oran verin."),
        L("Column `retention_rate` of the KPI table (= retained / active of the period before).",
          "KPI tablosundaki `retention_rate` sütunu (= elde tutulan / önceki dönemin aktif müşterileri)."),
        lambda ctx: float(last_complete(ctx)["retention_rate"]),
        SHARE,
        (Mistake("churn_rate", lambda ctx: float(last_complete(ctx)["churn_rate"]),
                 L("that is the churn rate (1 − retention rate)", "bu kayıp oranı (1 − elde tutma oranı)")),
         Mistake("same_period_denominator", lambda ctx: float(last_complete(ctx)["retained"] / last_complete(ctx)["active"]),
                 L("wrong denominator: divide by the customers active in the period before (k−1), not in period k",
                   "yanlış payda: k döneminin değil, bir önceki dönemin (k−1) aktif müşterilerine bölün")),
         Mistake("partial_period", lambda ctx: float(last_row(ctx)["retention_rate"]),
                 L("wrong period: the last row is cut by the analysis date (complete = False); take the last complete one",
                   "yanlış dönem: son satır analiz tarihiyle kesiliyor (complete = False); son tamamlanmış dönemi alın"))),
    ),
    Exercise(
        "ex02.aov",
        L("Average order value", "Ortalama sipariş tutarı"),
        L("What is the **average order value** over the whole analysis window: revenue divided by orders "
          "(distinct invoices), guests included? Give it in the data's currency.",
          "Tüm analiz penceresindeki **ortalama sipariş tutarı** nedir: ciro bölü sipariş sayısı (farklı "
          "faturalar), misafirler dâhil? Verinin para biriminde verin."),
        L("Sum `revenue` and `orders` of the KPI table, then divide; or use the clean lines: `amount` sum / "
          "distinct `invoice`.",
          "KPI tablosunda `revenue` ve `orders` toplamlarını alıp bölün; ya da temiz satırlarda `amount` toplamı / "
          "farklı `invoice` sayısı."),
        lambda ctx: _orders_and_revenue(ctx)[0] / _orders_and_revenue(ctx)[1],
        NUMBER(rel_tol=1e-3),
        (Mistake("per_customer", lambda ctx: _orders_and_revenue(ctx)[0] / len(ctx.prep.read("customers_rfm", ["customer_id"])),
                 L("you divided by customers, not orders: that is revenue per customer",
                   "siparişlere değil müşterilere böldünüz: bu müşteri başına ciro")),
         Mistake("per_line", lambda ctx: _orders_and_revenue(ctx)[0] / _orders_and_revenue(ctx)[2],
                 L("you divided by sales lines; an order is a distinct invoice with one or more lines",
                   "satış satırlarına böldünüz; sipariş, bir ya da daha çok satırı olan farklı bir faturadır")),
         Mistake("customers_only", lambda ctx: float(kpis(ctx)["customer_revenue"].sum() / kpis(ctx)["customer_orders"].sum()),
                 L("you left the guests' orders out; the average order value counts every order",
                   "misafirlerin siparişlerini dışarıda bıraktınız; ortalama sipariş tutarı tüm siparişleri sayar"))),
    ),
    Exercise(
        "ex02.first_cohort_age1",
        L("Cohort retention", "Kohort elde tutma"),
        L("For the **first cohort** (customers whose first order is in the data's first period), what share of the "
          "cohort was active again **one period later** (age 1)? Give a fraction between 0 and 1.",
          "**İlk kohort** (ilk siparişi verinin ilk döneminde olan müşteriler) için kohortun ne kadarı **bir dönem "
          "sonra** (yaş 1) yeniden aktifti? 0 ile 1 arasında bir oran verin."),
        L("`lifecycle.cohort_table(lines, period=..., analysis_date=prep.end)`: the row of the smallest "
          "`cohort_index` with `age == 1`, column `retention` (= active / cohort_size).",
          "`lifecycle.cohort_table(lines, period=..., analysis_date=prep.end)`: en küçük `cohort_index` değerinin "
          "`age == 1` satırı, `retention` sütunu (= active / cohort_size)."),
        lambda ctx: _first_cohort_at(ctx, 1),
        SHARE,
        (Mistake("count", lambda ctx: _first_cohort_at(ctx, 1, "active"),
                 L("that is the number of customers; give the share of the cohort",
                   "bu müşteri sayısı; kohortun payını verin")),
         Mistake("age0", lambda ctx: _first_cohort_at(ctx, 0),
                 L("age 0 is the cohort's first period (always 100 %); take age 1, the next period",
                   "yaş 0 kohortun ilk dönemidir (her zaman %100); bir sonraki dönem olan yaş 1'i alın")),
         Mistake("age2", lambda ctx: _first_cohort_at(ctx, 2),
                 L("off by one: age 1 is the period right after the first one, not two periods later",
                   "bir kayma var: yaş 1, iki dönem sonrası değil, ilk dönemin hemen ardından gelen dönemdir"))),
    ),
    Exercise(
        "ex02.lost_customers",
        L("Lost customers", "Kaybedilen müşteriler"),
        L("How many customers are in the life-cycle stage **lost** on the analysis date, with the stage thresholds "
          "taken from the gaps between purchases (the defaults of `lifecycle.rules_from_gaps`)? Give a whole "
          "number (customers).",
          "Satın almalar arasındaki aralıklardan alınan eşiklerle (`lifecycle.rules_from_gaps` varsayılanları) "
          "analiz tarihinde yaşam döngüsü aşaması **kayıp** olan kaç müşteri var? Tam sayı verin (müşteri)."),
        L("`days = lifecycle.purchase_days(lines, analysis_date=prep.end)`, `rules, _ = lifecycle.rules_from_gaps(days)`, "
          "`lifecycle.stages_at(days, prep.end, rules)`; count the stage `\"lost\"`.",
          "`days = lifecycle.purchase_days(lines, analysis_date=prep.end)`, `rules, _ = lifecycle.rules_from_gaps(days)`, "
          "`lifecycle.stages_at(days, prep.end, rules)`; `\"lost\"` aşamasını sayın."),
        lambda ctx: int((stages(ctx)["stage"] == "lost").sum()),
        COUNT,
        (Mistake("with_at_risk", lambda ctx: int(stages(ctx)["stage"].isin(["lost", "at risk"]).sum()),
                 L("you counted the customers at risk too; lost means silent for longer than lost_days",
                   "risk altındaki müşterileri de saydınız; kayıp, lost_days süresinden uzun sessiz kalmak demektir")),),
    ),
]

register("ex02", "ex02_lifecycle", L("Lifecycle KPIs and cohorts", "Yaşam döngüsü göstergeleri ve kohortlar"), EXERCISES)
