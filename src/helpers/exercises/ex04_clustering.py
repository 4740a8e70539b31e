"""Stage ex04 · Clustering (*kümeleme*): k-means on log-scaled RFM features.

Expected answers come from :func:`helpers.models.segments.feature_matrix`,
:func:`~helpers.models.segments.silhouette_curve`, :func:`~helpers.models.segments.kmeans_labels`
and :func:`~helpers.models.segments.agreement`, with seed 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models import segments
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, Exercise, Mistake, Unavailable, register
from helpers.exercises.ex03_rfm import rfm, scored

FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value"]
K = 4
KS = range(3, 9)
#: the values filled into the {fields} of the texts (translated with them in place)
FIELDS = {"features": ", ".join(FEATURES), "k": K}


def matrix(ctx) -> np.ndarray:
    return ctx.memo("X", lambda: segments.feature_matrix(rfm(ctx), FEATURES)[0])


def raw_matrix(ctx) -> np.ndarray:
    return ctx.memo("X_raw", lambda: rfm(ctx)[FEATURES].astype("float64").to_numpy())


def _need(ctx) -> None:
    if len(rfm(ctx)) < 3 * max(KS):
        raise Unavailable(N_("too few customers ({n}) to cluster"), n=len(rfm(ctx)))


def curve(ctx, raw: bool = False) -> pd.DataFrame:
    _need(ctx)
    return ctx.memo(f"curve:{raw}", lambda: segments.silhouette_curve(raw_matrix(ctx) if raw else matrix(ctx), KS, seed=0))


def labels(ctx, raw: bool = False) -> np.ndarray:
    _need(ctx)
    return ctx.memo(f"labels:{raw}", lambda: segments.kmeans_labels(raw_matrix(ctx) if raw else matrix(ctx), K, seed=0))


def _largest(ctx) -> pd.DataFrame:
    return rfm(ctx)[labels(ctx) == 0]


_UNSCALED = N_("scale the features first: log(1 + x), then standardise (`segments.feature_matrix`); unscaled, "
               "monetary value dominates every distance")

EXERCISES = [
    Exercise(
        "ex04.best_k",
        N_("Number of clusters"),
        N_("Build the feature matrix of {features} with `segments.feature_matrix` and compute the silhouette "
           "of k-means for k = 3 .. 8 (`segments.silhouette_curve(X, range(3, 9), seed=0)`). Which k has the best "
           "silhouette? Give a whole number."),
        N_("The silhouette is between −1 and 1 and higher is better; `segments.choose_k(curve)` picks it."),
        lambda ctx: segments.choose_k(curve(ctx)),
        COUNT,
        (Mistake("lowest", lambda ctx: int(curve(ctx).sort_values(["silhouette", "k"]).iloc[0]["k"]),
                 N_("higher silhouette is better: you took the k with the lowest one")),
         Mistake("unscaled", lambda ctx: segments.choose_k(curve(ctx, raw=True)), _UNSCALED)),
        fields=FIELDS,
    ),
    Exercise(
        "ex04.largest_cluster",
        N_("The largest cluster"),
        N_("Cluster the customers into k = {k} groups with `segments.kmeans_labels(X, {k}, seed=0)` on the same "
           "scaled features. How many customers are in the largest cluster? Give a whole number (customers)."),
        N_("`kmeans_labels` numbers the clusters from the largest (0) down: count label 0."),
        lambda ctx: int((labels(ctx) == 0).sum()),
        COUNT,
        (Mistake("unscaled", lambda ctx: int((labels(ctx, raw=True) == 0).sum()), _UNSCALED),
         Mistake("smallest", lambda ctx: int(np.bincount(labels(ctx)).min()),
                 N_("that is the smallest cluster; the labels start at the largest (0)"))),
        fields=FIELDS,
    ),
    Exercise(
        "ex04.largest_cluster_median_monetary",
        N_("Profile of the largest cluster"),
        N_("What is the **median** monetary value (total revenue per customer) of the customers in that largest "
           "cluster? Give it in the data's currency."),
        N_("Select the rows of the RFM table with label 0 and take the median of `monetary` "
           "(`segments.cluster_profiles` shows it too)."),
        lambda ctx: float(_largest(ctx)["monetary"].median()),
        NUMBER(rel_tol=1e-3),
        (Mistake("mean", lambda ctx: float(_largest(ctx)["monetary"].mean()),
                 N_("you took the mean; the profile uses the median, which a few big spenders cannot pull up")),
         Mistake("log", lambda ctx: float(np.log1p(_largest(ctx)["monetary"].clip(lower=0)).median()),
                 N_("that is the transformed value log(1 + x); give the median in the currency"))),
    ),
    Exercise(
        "ex04.ari_rfm",
        N_("Clusters and RFM segments"),
        N_("How much do the k = {k} clusters agree with the RFM segments of `segments.rfm_scores`? Give the "
           "**adjusted** Rand index (1 = the same grouping, about 0 = chance), to two decimals."),
        N_("`segments.agreement(labels, scored[\"segment\"].astype(str))`; the RFM table and the scores are in the "
           "same customer order."),
        lambda ctx: segments.agreement(labels(ctx), scored(ctx)["segment"].astype(str)),
        NUMBER(rel_tol=0.0, abs_tol=0.006),
        (Mistake("plain_rand", lambda ctx: _rand(labels(ctx), scored(ctx)["segment"].astype(str)),
                 N_("that is the plain Rand index; use the adjusted one, which is about 0 for chance groupings")),),
        fields=FIELDS,
    ),
]


def _rand(a, b) -> float:
    from sklearn.metrics import rand_score

    return float(rand_score(np.asarray(a), np.asarray(b)))


register("ex04", "ex04_clustering", N_("Clustering"), EXERCISES)
