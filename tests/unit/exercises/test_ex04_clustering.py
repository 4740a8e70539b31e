"""Stage ex04 (clustering): the expected answers against a log-scaled, standardised matrix and k-means
fits made here with scikit-learn directly, on the tiny run's RFM table."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, rand_score, silhouette_score

from helpers import exercises
from helpers.exercises import ex04_clustering
from tests.fixtures import ROOT

FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value"]


@pytest.fixture(scope="module")
def rfm(prep):
    return prep.read("customers_rfm")


@pytest.fixture(scope="module")
def X(rfm):
    logged = np.log1p(rfm[FEATURES].astype("float64").clip(lower=0).to_numpy())
    return (logged - logged.mean(axis=0)) / logged.std(axis=0)


@pytest.fixture(scope="module")
def labels(X):
    return KMeans(n_clusters=4, n_init=10, random_state=0).fit_predict(X)


def test_the_stage_has_its_notebook_and_four_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex04'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex04")) == 4
    assert ex04_clustering.FEATURES == FEATURES and ex04_clustering.K == 4


def test_the_feature_matrix_is_log_scaled_and_standardised(ctx, X):
    assert np.allclose(ex04_clustering.matrix(ctx), X)


@pytest.mark.slow
def test_the_best_k_has_the_highest_silhouette(X, answer):
    """Twelve k-means fits: the checker's curve and this one."""
    score = {k: silhouette_score(X, KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X))
             for k in range(3, 9)}
    assert answer("ex04.best_k") == max(score, key=score.get)


def test_the_largest_cluster_its_median_value_and_the_smallest(rfm, labels, answer, mistake):
    sizes = np.bincount(labels)
    assert answer("ex04.largest_cluster") == sizes.max()
    assert mistake("ex04.largest_cluster", "smallest") == sizes.min()
    largest = rfm["monetary"][labels == sizes.argmax()]
    assert answer("ex04.largest_cluster_median_monetary") == pytest.approx(largest.median())
    assert mistake("ex04.largest_cluster_median_monetary", "mean") == pytest.approx(largest.mean())


def test_agreement_with_the_rfm_segments_is_the_adjusted_rand_index(ctx, labels, answer, mistake):
    segments = ex04_clustering.scored(ctx)["segment"].astype(str)
    assert answer("ex04.ari_rfm") == pytest.approx(adjusted_rand_score(labels, segments))
    assert mistake("ex04.ari_rfm", "plain_rand") == pytest.approx(rand_score(labels, segments))
    assert mistake("ex04.ari_rfm", "plain_rand") > answer("ex04.ari_rfm")
