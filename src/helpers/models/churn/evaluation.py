"""How good a churn score is: ROC / PR AUC, Brier, curves, calibration, gains, confusion, explanations.

Metrics take labels ``y`` (1 = churned) and scores (higher = more risk); the explanations
(permutation importance, partial dependence) take a fitted pipeline of
:mod:`helpers.models.churn.classifiers` and a :class:`helpers.models.churn.dataset.ChurnDataset`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models.churn.classifiers import MODEL_NAMES, one_thread
from helpers.models.churn.dataset import ChurnDataset


class _Ranked:
    """One score's ROC-AUC under any customer weights (a bootstrap resample as counts per customer), in O(n):
    customers grouped by distinct score once; per resample, the weighted churned and retained customers per
    group, and AUC = sum over groups of churned x (retained below + half the retained tied) / (churned x
    retained). The same value as ``roc_auc_score`` on the resampled rows (ties count one half), without
    sorting each resample."""

    def __init__(self, y: np.ndarray, score: np.ndarray):
        _, self.group = np.unique(score, return_inverse=True)
        self.group = self.group.ravel()
        self.size = int(self.group.max()) + 1 if len(score) else 0
        self.pos = y == 1

    def auc(self, w: np.ndarray) -> float:
        w1 = np.bincount(self.group, weights=np.where(self.pos, w, 0.0), minlength=self.size)
        w0 = np.bincount(self.group, weights=np.where(self.pos, 0.0, w), minlength=self.size)
        below = np.cumsum(w0) - w0
        return float(np.sum(w1 * (below + 0.5 * w0)) / (w1.sum() * w0.sum()))


def auc_difference(y, score_a, score_b, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """ROC-AUC of ``score_a`` minus that of ``score_b`` on the same customers, with a paired bootstrap.

    Customers are resampled with replacement ``n_boot`` times; both AUCs are recomputed on each
    resample, and the interval is the percentile interval of the differences at ``level``.

    Returns
    -------
    dict
        ``auc_a``, ``auc_b``, ``diff`` (a - b), ``low``, ``high``, ``n``, ``n_boot``.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=int)
    a, b = np.asarray(score_a, dtype=float), np.asarray(score_b, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("the AUC difference needs churned and retained customers")
    rng = np.random.default_rng(seed)
    ranked_a, ranked_b = _Ranked(y, a), _Ranked(y, b)
    diffs = []
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
        if not (w[y == 1].any() and w[y == 0].any()):
            continue
        diffs.append(ranked_a.auc(w) - ranked_b.auc(w))
    q = (1 - level) / 2
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    return {"auc_a": auc_a, "auc_b": auc_b, "diff": auc_a - auc_b, "low": float(np.quantile(diffs, q)),
            "high": float(np.quantile(diffs, 1 - q)), "n": int(len(y)), "n_boot": len(diffs)}


def evaluate(y, scores: dict[str, np.ndarray], probabilities=None) -> pd.DataFrame:
    """ROC-AUC, PR-AUC (average precision) and Brier score of each score against labels ``y``.

    Brier = mean((p - y)^2) is given only for the scores named in ``probabilities``
    (default: the models of :data:`MODEL_NAMES`), which are probabilities of the label; a
    ranking such as recency, or 1 - P(alive) (a probability of something else), has none.
    With a single class in ``y`` the AUCs are undefined (empty).
    """
    probabilities = set(MODEL_NAMES.values() if probabilities is None else probabilities)
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=int)
    two = len(np.unique(y)) == 2
    rows = []
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        is_prob = name in probabilities
        rows.append({
            "score": name,
            "roc_auc": roc_auc_score(y, s) if two else np.nan,
            "pr_auc": average_precision_score(y, s) if two else np.nan,
            "brier": brier_score_loss(y, s) if is_prob else np.nan,
        })
    out = pd.DataFrame(rows)
    out.attrs["base_rate"] = float(y.mean()) if len(y) else np.nan
    out.attrs["n"] = int(len(y))
    return out


def roc_table(y, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table of ROC curves: score, false_positive_rate, true_positive_rate."""
    from sklearn.metrics import roc_curve

    parts = []
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(np.asarray(y, dtype=int), np.asarray(s, dtype=float))
        parts.append(pd.DataFrame({"score": name, "false_positive_rate": fpr, "true_positive_rate": tpr}))
    return pd.concat(parts, ignore_index=True)


def calibration_table(y, p, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed churn rate in ``n_bins`` equal-count bins of the predicted probability.

    Columns: ``bin``, ``customers``, ``mean_predicted`` and ``observed_rate`` (0..1). A well
    calibrated model has observed_rate close to mean_predicted in every bin.
    """
    df = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    n_bins = max(1, min(n_bins, len(df)))
    df["bin"] = pd.qcut(df["p"].rank(method="first"), n_bins, labels=False) + 1
    g = df.groupby("bin").agg(customers=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
    return g.reset_index()


def gains_table(y, score, *, groups: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by ``groups`` equal-size groups of customers, highest score first.

    Columns: ``group`` (1 = highest scores), ``customers``, ``churners``, ``share_contacted``
    (cumulative share of customers, 0..1), ``gain`` (cumulative share of all churners found,
    0..1), ``lift`` = gain / share_contacted (cumulative; 1 = no better than random) and
    ``group_lift`` = the group's churn rate / the overall churn rate.
    """
    y = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    n = len(y)
    if n == 0:
        raise ValueError("gains_table: no customers to rank")
    order = np.argsort(-s, kind="mergesort")
    groups = max(1, min(groups, n))
    grp = np.arange(n) * groups // n + 1
    df = pd.DataFrame({"group": grp, "y": y[order]})
    g = df.groupby("group").agg(customers=("y", "size"), churners=("y", "sum")).reset_index()
    total = y.sum()
    g["share_contacted"] = g["customers"].cumsum() / n
    g["gain"] = g["churners"].cumsum() / total if total > 0 else np.nan
    g["lift"] = g["gain"] / g["share_contacted"]
    rate = total / n
    g["group_lift"] = (g["churners"] / g["customers"]) / rate if rate > 0 else np.nan
    return g


def confusion_table(y, p, *, threshold: float = 0.5) -> pd.DataFrame:
    """Counts of actual x predicted (predicted churn when p >= threshold), with row totals.

    ``attrs`` hold precision (share of predicted churners who churned), recall (share of
    churners found) and accuracy.
    """
    y = np.asarray(y, dtype=int)
    pred = (np.asarray(p, dtype=float) >= threshold).astype(int)
    tab = pd.DataFrame(
        [[int(((y == 1) & (pred == 1)).sum()), int(((y == 1) & (pred == 0)).sum())],
         [int(((y == 0) & (pred == 1)).sum()), int(((y == 0) & (pred == 0)).sum())]],
        index=pd.Index(["churned", "retained"], name="actual"),
        columns=pd.Index(["predicted churn", "predicted retained"], name=f"threshold {threshold:g}"))
    tp, fn, fp, tn = tab.iloc[0, 0], tab.iloc[0, 1], tab.iloc[1, 0], tab.iloc[1, 1]
    tab.attrs.update(threshold=threshold, precision=tp / (tp + fp) if tp + fp else np.nan, recall=tp / (tp + fn) if tp + fn else np.nan,
                     accuracy=(tp + tn) / len(y) if len(y) else np.nan)
    return tab


#: Explanations (permutation importance, partial dependence) are computed on a random sample of
#: at most this many customers: their averages settle long before 100,000 rows (the importance's
#: spread over the repeats is drawn with it), and each costs (features x repeats) or (grid points)
#: full predictions of the rows used: at 20,000 rows they were most of notebook 05's time at 1M lines.
EXPLAIN_MAX_ROWS = 5_000


def _explain_rows(ds: ChurnDataset, max_rows: int | None, random_state: int) -> np.ndarray:
    """Row positions used to explain a model: all, or a seeded random sample of ``max_rows``."""
    n = len(ds.frame)
    if not max_rows or n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=max_rows, replace=False))


def importance_table(model, ds: ChurnDataset, *, n_repeats: int = 5, random_state: int = 0,
                     max_rows: int | None = EXPLAIN_MAX_ROWS) -> pd.DataFrame:
    """Permutation importance on ``ds``: the drop in ROC-AUC when one feature column is shuffled.

    Columns: ``feature``, ``importance`` (mean drop in ROC-AUC), ``std``; largest first.
    ``attrs["rows"]``: the customers used (a seeded sample of ``max_rows`` on large data), ``attrs["of"]``: all
    customers of ``ds``.
    """
    from sklearn.inspection import permutation_importance

    rows = _explain_rows(ds, max_rows, random_state)
    with one_thread():
        r = permutation_importance(model, ds.X.iloc[rows], ds.y[rows], scoring="roc_auc", n_repeats=n_repeats,
                                   random_state=random_state, n_jobs=1)
    out = pd.DataFrame({"feature": ds.features, "importance": r.importances_mean, "std": r.importances_std})
    out = out.sort_values("importance", ascending=False, ignore_index=True)
    out.attrs.update(rows=len(rows), of=len(ds.frame))
    return out


def partial_dependence_table(model, ds: ChurnDataset, features: list[str], *, grid: int = 20,
                             max_rows: int | None = EXPLAIN_MAX_ROWS, random_state: int = 0) -> pd.DataFrame:
    """Average predicted churn probability as one numeric feature is set to each grid value.

    The grid is ``grid`` quantiles (5 % .. 95 %) of the feature's observed values; every
    customer of ``ds`` is scored at each grid value and the probabilities averaged (the
    classic partial dependence of Friedman 2001). Columns: ``feature``, ``value``,
    ``churn_probability``. On large data the customers are a seeded sample of ``max_rows``
    (``attrs["rows"]`` of ``attrs["of"]``).
    """
    rows = _explain_rows(ds, max_rows, random_state)
    X = ds.X.iloc[rows]
    parts = []
    for f in features:
        if f not in ds.numeric:
            continue
        vals = X[f].dropna()
        if vals.nunique() < 2:
            continue
        grid_vals = np.unique(np.quantile(vals, np.linspace(0.05, 0.95, grid)))
        probs = []
        with one_thread():
            for v in grid_vals:
                Xv = X.copy()
                Xv[f] = v
                probs.append(float(model.predict_proba(Xv)[:, 1].mean()))
        parts.append(pd.DataFrame({"feature": f, "value": grid_vals, "churn_probability": probs}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["feature", "value", "churn_probability"])
    out.attrs.update(rows=len(rows), of=len(ds.frame))
    return out
