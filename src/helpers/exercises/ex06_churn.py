"""Stage ex06 · Churn (*müşteri kaybı*): labels at a cut-off, a first risk score, survival.

Expected answers come from :func:`helpers.models.churn.churn_labels` (cut-off = analysis date
minus the horizon), :func:`helpers.features.customers.rfm_table` at the cut-off, scikit-learn's ROC-AUC,
and :func:`helpers.models.churn.active_lifetimes` with a Kaplan-Meier fit (lifelines).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.features import customers
from helpers.models import churn
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, L, Mistake, Unavailable, register

HORIZON_DAYS = 90
ACTIVE_DAYS = 365
SURVIVAL_DAYS = 180


def cutoff(ctx) -> dt.date:
    return ctx.prep.end - dt.timedelta(days=HORIZON_DAYS)


def labels(ctx) -> pd.DataFrame:
    def make():
        lab = churn.churn_labels(ctx.lines, cutoff=cutoff(ctx), horizon_days=HORIZON_DAYS)
        if lab.empty:
            raise Unavailable(L("no customer bought before the cut-off", "kesim tarihinden önce alışveriş yapan müşteri yok"))
        lab["customer_id"] = lab["customer_id"].astype("string")
        return lab

    return ctx.memo("churn_labels", make)


def rfm_at(ctx, day: dt.date) -> pd.DataFrame:
    def make():
        r = customers.rfm_table(ctx.lines, analysis_date=day).execute()
        r["customer_id"] = r["customer_id"].astype("string")
        return r

    return ctx.memo(f"rfm_at:{day}", make)


def _scored(ctx, day: dt.date) -> pd.DataFrame:
    return labels(ctx).merge(rfm_at(ctx, day)[["customer_id", "recency_days"]], on="customer_id", how="left")


def _auc(ctx, day: dt.date) -> float:
    from sklearn.metrics import roc_auc_score

    s = _scored(ctx, day)
    if s["churned"].nunique() < 2:
        raise Unavailable(L("every customer has the same churn label: no AUC", "tüm müşterilerin kayıp etiketi aynı: AUC yok"))
    return float(roc_auc_score(s["churned"], s["recency_days"]))


def lifetimes(ctx) -> pd.DataFrame:
    return ctx.memo("lifetimes", lambda: churn.active_lifetimes(ctx.lines, analysis_date=ctx.prep.end, lapse_days=HORIZON_DAYS))


def _km_survival(ctx) -> float:
    from lifelines import KaplanMeierFitter

    life = lifetimes(ctx)
    if life.empty or life["duration_days"].max() < SURVIVAL_DAYS:
        raise Unavailable(L(f"no lifetime reaches {SURVIVAL_DAYS} days in this data",
                            f"bu veride hiçbir yaşam süresi {SURVIVAL_DAYS} güne ulaşmıyor"))
    km = KaplanMeierFitter().fit(life["duration_days"], life["churned"])
    return float(km.predict(SURVIVAL_DAYS))


_CUTOFF_EN = f"the cut-off is the analysis date minus {HORIZON_DAYS} days (`prep.end - datetime.timedelta(days={HORIZON_DAYS})`)"
_CUTOFF_TR = f"kesim tarihi, analiz tarihi eksi {HORIZON_DAYS} gündür (`prep.end - datetime.timedelta(days={HORIZON_DAYS})`)"

EXERCISES = [
    Exercise(
        "ex06.churn_rate",
        L("Churn rate at a cut-off", "Kesim tarihinde kayıp oranı"),
        L(f"Take a cut-off {HORIZON_DAYS} days before the analysis date. Of the customers who had bought by the "
          f"cut-off, what share bought **nothing** in the {HORIZON_DAYS} days after it (churned)? Give a fraction "
          "between 0 and 1.",
          f"Analiz tarihinden {HORIZON_DAYS} gün önce bir kesim tarihi alın. Kesim tarihine kadar alışveriş yapmış "
          f"müşterilerin ne kadarı sonraki {HORIZON_DAYS} günde **hiç** alışveriş yapmadı (kaybedildi)? 0 ile 1 "
          "arasında bir oran verin."),
        L(f"`churn.churn_labels(lines, cutoff=..., horizon_days={HORIZON_DAYS})` gives the label `churned`; "
          + _CUTOFF_EN + ".",
          f"`churn.churn_labels(lines, cutoff=..., horizon_days={HORIZON_DAYS})` `churned` etiketini verir; "
          + _CUTOFF_TR + "."),
        lambda ctx: float(labels(ctx)["churned"].mean()),
        SHARE,
        (Mistake("no_cutoff", lambda ctx: float((rfm_at(ctx, ctx.prep.end)["recency_days"] >= HORIZON_DAYS).mean()),
                 L(f"you judged every customer on the analysis date (no purchase in the last {HORIZON_DAYS} days), "
                   "new customers of the label window included; take the customers seen by the cut-off and look "
                   "at the window after it",
                   f"her müşteriyi analiz tarihinde değerlendirdiniz (son {HORIZON_DAYS} günde alışveriş yok), etiket "
                   "penceresindeki yeni müşteriler de dâhil; kesim tarihine kadar görülen müşterileri alın ve "
                   "ondan sonraki pencereye bakın")),
         Mistake("retention", lambda ctx: float(1 - labels(ctx)["churned"].mean()),
                 L("that is the share who bought again (1 − churn rate)",
                   "bu yeniden alışveriş yapanların payı (1 − kayıp oranı)"))),
    ),
    Exercise(
        "ex06.active_at_cutoff",
        L("Active customers at the cut-off", "Kesim tarihindeki aktif müşteriler"),
        L(f"How many customers were **active** at that cut-off: a purchase in the {ACTIVE_DAYS} days up to it "
          f"(recency at the cut-off below {ACTIVE_DAYS} days)? Give a whole number (customers).",
          f"O kesim tarihinde kaç müşteri **aktifti**: kesim tarihine kadarki {ACTIVE_DAYS} günde bir alışveriş "
          f"(kesim tarihindeki yenilik {ACTIVE_DAYS} günden az)? Tam sayı verin (müşteri)."),
        L("`customers.rfm_table(lines, analysis_date=cutoff).execute()` gives `recency_days` at the cut-off.",
          "`customers.rfm_table(lines, analysis_date=cutoff).execute()` kesim tarihindeki `recency_days` değerini verir."),
        lambda ctx: int((rfm_at(ctx, cutoff(ctx))["recency_days"] < ACTIVE_DAYS).sum()),
        COUNT,
        (Mistake("orders", lambda ctx: int(rfm_at(ctx, cutoff(ctx)).query(f"recency_days < {ACTIVE_DAYS}")["frequency"].sum()),
                 L("you counted orders, not customers", "müşterileri değil siparişleri saydınız")),
         Mistake("all_seen", lambda ctx: int(len(rfm_at(ctx, cutoff(ctx)))),
                 L(f"you counted every customer seen by the cut-off; active means a purchase in the {ACTIVE_DAYS} days up to it",
                   f"kesim tarihine kadar görülen tüm müşterileri saydınız; aktif, kesim tarihine kadarki {ACTIVE_DAYS} günde alışveriş demektir")),
         Mistake("at_analysis_date", lambda ctx: int((rfm_at(ctx, ctx.prep.end)["recency_days"] < ACTIVE_DAYS).sum()),
                 L("wrong date: you measured on the analysis date, not at the cut-off",
                   "yanlış tarih: kesim tarihinde değil analiz tarihinde ölçtünüz"))),
    ),
    Exercise(
        "ex06.recency_auc",
        L("Recency as a churn score", "Kayıp puanı olarak yenilik"),
        L("How well does recency **at the cut-off** (days since the last purchase) rank the churners of the label "
          "window? Give the ROC-AUC of recency as the score (0.5 = chance, 1 = perfect), to three decimals.",
          "**Kesim tarihindeki** yenilik (son alışverişten bu yana geçen gün) etiket penceresinin kaybedilen "
          "müşterilerini ne kadar iyi sıralıyor? Puan olarak yeniliğin ROC-AUC değerini (0,5 = rastlantı, "
          "1 = kusursuz) üç ondalıkla verin."),
        L("Merge the labels with `recency_days` of the RFM table at the cut-off, then "
          "`sklearn.metrics.roc_auc_score(churned, recency_days)`.",
          "Etiketleri kesim tarihindeki RFM tablosunun `recency_days` sütunuyla birleştirin, sonra "
          "`sklearn.metrics.roc_auc_score(churned, recency_days)`."),
        lambda ctx: _auc(ctx, cutoff(ctx)),
        NUMBER(rel_tol=0.0, abs_tol=0.0015),
        (Mistake("reversed", lambda ctx: 1 - _auc(ctx, cutoff(ctx)),
                 L("the score is reversed: a longer recency means a higher churn risk (your AUC is 1 − the right one)",
                   "puan ters: daha uzun yenilik daha yüksek kayıp riski demektir (AUC'niz doğrunun 1 − hali)")),
         Mistake("leakage", lambda ctx: _auc(ctx, ctx.prep.end),
                 L("leakage: you measured recency on the analysis date, after the label window; a feature may use "
                   "only purchases up to the cut-off",
                   "sızıntı: yeniliği etiket penceresinden sonra, analiz tarihinde ölçtünüz; bir özellik yalnızca "
                   "kesim tarihine kadarki alışverişleri kullanabilir"))),
    ),
    Exercise(
        "ex06.survival",
        L("Survival", "Hayatta kalma"),
        L(f"With `churn.active_lifetimes(lines, analysis_date=prep.end, lapse_days={HORIZON_DAYS})`, estimate with "
          f"**Kaplan–Meier** the share of customers still active **{SURVIVAL_DAYS} days** after their first purchase. "
          "Give a fraction between 0 and 1.",
          f"`churn.active_lifetimes(lines, analysis_date=prep.end, lapse_days={HORIZON_DAYS})` ile, müşterilerin ilk "
          f"alışverişlerinden **{SURVIVAL_DAYS} gün** sonra hâlâ aktif olanlarının payını **Kaplan–Meier** ile "
          "tahmin edin. 0 ile 1 arasında bir oran verin."),
        L("`lifelines.KaplanMeierFitter().fit(life[\"duration_days\"], life[\"churned\"]).predict(180)`; customers "
          "with `churned = 0` are censored, not lost.",
          "`lifelines.KaplanMeierFitter().fit(life[\"duration_days\"], life[\"churned\"]).predict(180)`; "
          "`churned = 0` olan müşteriler sansürlüdür, kaybedilmiş değildir."),
        lambda ctx: _km_survival(ctx),
        SHARE,
        (Mistake("naive", lambda ctx: float((lifetimes(ctx)["duration_days"] > SURVIVAL_DAYS).mean()),
                 L("you counted lifetimes above the threshold among all customers, so censored customers (still "
                   "active, churned = 0) count as lost; Kaplan–Meier keeps them at risk until their censoring time",
                   "tüm müşteriler arasında eşiği aşan yaşam sürelerini saydınız; böylece sansürlü müşteriler (hâlâ "
                   "aktif, churned = 0) kayıp sayıldı; Kaplan–Meier onları sansür zamanlarına kadar risk altında tutar")),
         Mistake("churned_only", lambda ctx: float((lifetimes(ctx).query("churned == 1")["duration_days"] > SURVIVAL_DAYS).mean()),
                 L("you dropped the censored customers; they are still active and belong in the estimate",
                   "sansürlü müşterileri attınız; onlar hâlâ aktif ve tahmine dâhildir"))),
    ),
]

register("ex06", "ex06_churn", L("Churn", "Müşteri kaybı"), EXERCISES)
