"""Stage ex04 · Clustering (*kümeleme*): k-means on log-scaled RFM features.

Expected answers come from :func:`helpers.models.segments.feature_matrix`,
:func:`~helpers.models.segments.silhouette_curve`, :func:`~helpers.models.segments.kmeans_labels`
and :func:`~helpers.models.segments.agreement`, with seed 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models import segments
from helpers.exercises.core import COUNT, NUMBER, Exercise, L, Mistake, Unavailable, register
from helpers.exercises.ex03_rfm import rfm, scored

FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value"]
K = 4
KS = range(3, 9)


def matrix(ctx) -> np.ndarray:
    return ctx.memo("X", lambda: segments.feature_matrix(rfm(ctx), FEATURES)[0])


def raw_matrix(ctx) -> np.ndarray:
    return ctx.memo("X_raw", lambda: rfm(ctx)[FEATURES].astype("float64").to_numpy())


def _need(ctx) -> None:
    if len(rfm(ctx)) < 3 * max(KS):
        raise Unavailable(L(f"too few customers ({len(rfm(ctx))}) to cluster", f"kümelemek için çok az müşteri var ({len(rfm(ctx))})"))


def curve(ctx, raw: bool = False) -> pd.DataFrame:
    _need(ctx)
    return ctx.memo(f"curve:{raw}", lambda: segments.silhouette_curve(raw_matrix(ctx) if raw else matrix(ctx), KS, seed=0))


def labels(ctx, raw: bool = False) -> np.ndarray:
    _need(ctx)
    return ctx.memo(f"labels:{raw}", lambda: segments.kmeans_labels(raw_matrix(ctx) if raw else matrix(ctx), K, seed=0))


def _largest(ctx) -> pd.DataFrame:
    return rfm(ctx)[labels(ctx) == 0]


_UNSCALED = L("scale the features first: log(1 + x), then standardise (`segments.feature_matrix`); unscaled, "
              "monetary value dominates every distance",
              "önce özellikleri ölçekleyin: log(1 + x), sonra standartlaştırın (`segments.feature_matrix`); "
              "ölçeklenmezse parasal değer tüm uzaklıklara hâkim olur")

EXERCISES = [
    Exercise(
        "ex04.best_k",
        L("Number of clusters", "Küme sayısı"),
        L(f"Build the feature matrix of {', '.join(FEATURES)} with `segments.feature_matrix` and compute the silhouette "
          "of k-means for k = 3 .. 8 (`segments.silhouette_curve(X, range(3, 9), seed=0)`). Which k has the best "
          "silhouette? Give a whole number.",
          f"{', '.join(FEATURES)} özelliklerinin matrisini `segments.feature_matrix` ile kurun ve k = 3 .. 8 için "
          "k-ortalamalar siluetini hesaplayın (`segments.silhouette_curve(X, range(3, 9), seed=0)`). En iyi "
          "siluet hangi k'de? Tam sayı verin."),
        L("The silhouette is between −1 and 1 and higher is better; `segments.choose_k(curve)` picks it.",
          "Siluet −1 ile 1 arasındadır ve yüksek olan daha iyidir; `segments.choose_k(curve)` onu seçer."),
        lambda ctx: segments.choose_k(curve(ctx)),
        COUNT,
        (Mistake("lowest", lambda ctx: int(curve(ctx).sort_values(["silhouette", "k"]).iloc[0]["k"]),
                 L("higher silhouette is better: you took the k with the lowest one",
                   "yüksek siluet daha iyidir: en düşük siluetli k'yi aldınız")),
         Mistake("unscaled", lambda ctx: segments.choose_k(curve(ctx, raw=True)), _UNSCALED)),
    ),
    Exercise(
        "ex04.largest_cluster",
        L("The largest cluster", "En büyük küme"),
        L(f"Cluster the customers into k = {K} groups with `segments.kmeans_labels(X, {K}, seed=0)` on the same "
          "scaled features. How many customers are in the largest cluster? Give a whole number (customers).",
          f"Aynı ölçeklenmiş özelliklerle müşterileri `segments.kmeans_labels(X, {K}, seed=0)` ile k = {K} gruba "
          "ayırın. En büyük kümede kaç müşteri var? Tam sayı verin (müşteri)."),
        L("`kmeans_labels` numbers the clusters from the largest (0) down: count label 0.",
          "`kmeans_labels` kümeleri en büyükten (0) başlayarak numaralar: 0 etiketini sayın."),
        lambda ctx: int((labels(ctx) == 0).sum()),
        COUNT,
        (Mistake("unscaled", lambda ctx: int((labels(ctx, raw=True) == 0).sum()), _UNSCALED),
         Mistake("smallest", lambda ctx: int(np.bincount(labels(ctx)).min()),
                 L("that is the smallest cluster; the labels start at the largest (0)",
                   "bu en küçük küme; etiketler en büyükten (0) başlar"))),
    ),
    Exercise(
        "ex04.largest_cluster_median_monetary",
        L("Profile of the largest cluster", "En büyük kümenin profili"),
        L("What is the **median** monetary value (total revenue per customer) of the customers in that largest "
          "cluster? Give it in the data's currency.",
          "O en büyük kümedeki müşterilerin parasal değerinin (müşteri başına toplam ciro) **medyanı** nedir? "
          "Verinin para biriminde verin."),
        L("Select the rows of the RFM table with label 0 and take the median of `monetary` "
          "(`segments.cluster_profiles` shows it too).",
          "RFM tablosunda etiketi 0 olan satırları seçip `monetary` medyanını alın "
          "(`segments.cluster_profiles` da gösterir)."),
        lambda ctx: float(_largest(ctx)["monetary"].median()),
        NUMBER(rel_tol=1e-3),
        (Mistake("mean", lambda ctx: float(_largest(ctx)["monetary"].mean()),
                 L("you took the mean; the profile uses the median, which a few big spenders cannot pull up",
                   "ortalamayı aldınız; profil, birkaç büyük harcayıcının yukarı çekemediği medyanı kullanır")),
         Mistake("log", lambda ctx: float(np.log1p(_largest(ctx)["monetary"].clip(lower=0)).median()),
                 L("that is the transformed value log(1 + x); give the median in the currency",
                   "bu dönüştürülmüş log(1 + x) değeri; medyanı para biriminde verin"))),
    ),
    Exercise(
        "ex04.ari_rfm",
        L("Clusters and RFM segments", "Kümeler ve RFM bölümleri"),
        L(f"How much do the k = {K} clusters agree with the RFM segments of `segments.rfm_scores`? Give the "
          "**adjusted** Rand index (1 = the same grouping, about 0 = chance), to two decimals.",
          f"k = {K} kümeler `segments.rfm_scores` RFM bölümleriyle ne kadar örtüşüyor? **Düzeltilmiş** Rand "
          "indeksini (1 = aynı gruplama, yaklaşık 0 = rastlantı) iki ondalıkla verin."),
        L("`segments.agreement(labels, scored[\"segment\"].astype(str))`; the RFM table and the scores are in the "
          "same customer order.",
          "`segments.agreement(labels, scored[\"segment\"].astype(str))`; RFM tablosu ve puanlar aynı müşteri "
          "sırasındadır."),
        lambda ctx: segments.agreement(labels(ctx), scored(ctx)["segment"].astype(str)),
        NUMBER(rel_tol=0.0, abs_tol=0.006),
        (Mistake("plain_rand", lambda ctx: _rand(labels(ctx), scored(ctx)["segment"].astype(str)),
                 L("that is the plain Rand index; use the adjusted one, which is about 0 for chance groupings",
                   "bu düz Rand indeksi; rastlantısal gruplamalarda yaklaşık 0 olan düzeltilmiş indeksi kullanın")),),
    ),
]


def _rand(a, b) -> float:
    from sklearn.metrics import rand_score

    return float(rand_score(np.asarray(a), np.asarray(b)))


register("ex04", "ex04_clustering", L("Clustering", "Kümeleme"), EXERCISES)
