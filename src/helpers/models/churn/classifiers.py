"""Churn classifiers: the scikit-learn pipelines, fitting, scoring, and the scores that need no model.

``"logit"`` (logistic regression on log-scaled, standardised features) and ``"gbm"``
(histogram gradient boosting) are fitted on a :class:`helpers.models.churn.dataset.ChurnDataset`;
scores are churn probabilities 0..1 of no purchase in the data set's ``horizon_days``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models.churn.dataset import ChurnDataset
from helpers.phrase import Phrase


#: non-negative, right-skewed features that the logistic regression sees as log(1 + x)
LOG_FEATURES = ("recency_days", "tenure_days", "frequency", "monetary", "avg_order_value", "purchase_days",
                "ipt_mean_days", "ipt_std_days", "ipt_last_days", "overdue_ratio", "orders_recent",
                "orders_prior", "revenue_recent", "revenue_prior", "n_products", "n_categories")
MODEL_NAMES = {"logit": "logistic regression", "gbm": "gradient boosting"}


MIN_CLASS = 5   # fewer churners or fewer retained customers than this: no model is fitted


def make_model(kind: str, numeric: list[str], categorical: list[str], *, random_state: int = 42):
    """A scikit-learn pipeline: preprocessing + classifier, on the raw feature frame.

    ``"logit"``: median imputation with missing-value indicators, log(1 + x) on the skewed
    counts, days and money (:data:`LOG_FEATURES`), standard scaling, one-hot categories,
    L2 logistic regression. ``"gbm"``: histogram gradient boosting (missing values handled
    natively), one-hot categories.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    onehot = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False)
    cat_pipe = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"), onehot)
    if kind == "logit":
        logged = [c for c in numeric if c in LOG_FEATURES]
        plain = [c for c in numeric if c not in LOG_FEATURES]
        log1p = FunctionTransformer(lambda x: np.log1p(np.clip(x, 0, None)), feature_names_out="one-to-one")
        parts = []
        if logged:
            parts.append(("log", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True), log1p, StandardScaler()),
                          logged))
        if plain:
            parts.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True), StandardScaler()), plain))
        if categorical:
            parts.append(("cat", cat_pipe, categorical))
        clf = LogisticRegression(C=1.0, max_iter=2000)
    elif kind == "gbm":
        parts = [("num", "passthrough", numeric)]
        if categorical:
            parts.append(("cat", cat_pipe, categorical))
        clf = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=200, max_leaf_nodes=15,
                                             min_samples_leaf=20, l2_regularization=1.0,
                                             early_stopping=False, random_state=random_state)
    else:
        raise ValueError(f"model kind '{kind}' is unknown; use one of {sorted(MODEL_NAMES)}")
    return Pipeline([("prep", ColumnTransformer(parts, remainder="drop")), ("model", clf)])


def one_thread():
    """Run OpenMP code (histogram gradient boosting) on one thread: on small tables that is as fast,
    and on a busy machine OpenMP's spinning threads can make it 10-30 times slower."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def can_fit(ds: ChurnDataset | None) -> tuple[bool, Phrase]:
    """Whether ``ds`` has enough churners and retained customers to fit a classifier, and the counts
    (a :class:`~helpers.phrase.Phrase`); ``None`` (no training cut-off) cannot be fitted."""
    if ds is None:
        return False, Phrase("chf_no_cutoff")
    if not ds.has_label or len(ds.frame) == 0:
        return False, Phrase("chf_no_labels", cutoff=ds.cutoff)
    pos = int(ds.frame["churned"].sum())
    neg = len(ds.frame) - pos
    if min(pos, neg) < MIN_CLASS:
        return False, Phrase("chf_too_few", cutoff=ds.cutoff, churned=pos, retained=neg, min=MIN_CLASS)
    return True, Phrase("chf_counts", cutoff=ds.cutoff, churned=pos, retained=neg)


def fit_models(ds: ChurnDataset, kinds=("logit", "gbm"), *, random_state: int = 42) -> dict:
    """Fit one pipeline per kind on ``ds``; an empty dict when :func:`can_fit` says no."""
    ok, _ = can_fit(ds)
    if not ok:
        return {}
    with one_thread():
        return {k: make_model(k, ds.numeric, ds.categorical, random_state=random_state).fit(ds.X, ds.y)
                for k in kinds}


def check_features(model, ds: ChurnDataset) -> None:
    """A named error when ``ds`` lacks a feature ``model`` was fitted on (see
    :func:`helpers.models.churn.dataset.common_features`)."""
    fitted = list(getattr(model, "feature_names_in_", []))
    missing = [c for c in fitted if c not in ds.features]
    if missing:
        raise ValueError(f"cut-off {ds.cutoff}: the churn model was fitted on {missing}, which this data set does not "
                         "have (unknown at this cut-off); cut the training, test and scoring sets to their common "
                         "features with churn.common_features before fitting")


def model_scores(models: dict, ds: ChurnDataset) -> dict[str, np.ndarray]:
    """Churn probability (0..1) of each customer of ``ds`` under each model."""
    for m in models.values():
        check_features(m, ds)
    with one_thread():
        return {MODEL_NAMES.get(k, k): m.predict_proba(ds.X)[:, 1] for k, m in models.items()}


def baseline_scores(ds: ChurnDataset) -> dict[str, np.ndarray]:
    """Scores that need no model: RFM recency (more days = more risk) and 1 - P(alive) when present."""
    out = {"RFM recency (baseline)": ds.frame["recency_days"].to_numpy(dtype=float)}
    if "p_alive" in ds.numeric and ds.frame["p_alive"].notna().all():
        out["1 - P(alive) (BG/NBD)"] = 1.0 - ds.frame["p_alive"].to_numpy(dtype=float)
    return out


def choose_model(metrics: pd.DataFrame) -> str | None:
    """The model (not a baseline) with the highest test ROC-AUC; its key in MODEL_NAMES."""
    m = metrics[metrics["score"].isin(MODEL_NAMES.values())].dropna(subset=["roc_auc"])
    if m.empty:
        return None
    best = m.sort_values(["roc_auc", "pr_auc"], ascending=False).iloc[0]["score"]
    return {v: k for k, v in MODEL_NAMES.items()}[best]


RISK_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def score_customers(model, ds: ChurnDataset, value: pd.Series | None = None) -> pd.DataFrame:
    """Churn risk of every customer in ``ds`` (usually the active base at the analysis date).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``churn_risk`` (probability of no purchase in the next
        ``ds.horizon_days`` days, 0..1), ``risk_band`` (0-25 %, 25-50 %, 50-75 %, 75-100 %),
        ``recency_days``, ``frequency``, ``monetary`` and ``value`` (from ``value``; NaN where
        it is unknown), highest risk first.
    """
    check_features(model, ds)
    out = ds.frame[["customer_id", *[c for c in ("recency_days", "frequency", "monetary") if c in ds.frame]]].copy()
    with one_thread():
        out.insert(1, "churn_risk", model.predict_proba(ds.X)[:, 1])
    labels = [f"{int(a * 100)}-{int(b * 100)} %" for a, b in zip(RISK_BANDS[:-1], RISK_BANDS[1:])]
    out.insert(2, "risk_band", pd.cut(out["churn_risk"], RISK_BANDS, labels=labels, include_lowest=True))
    out["value"] = out["customer_id"].map(value).astype(float) if value is not None else np.nan
    return out.sort_values(["churn_risk", "customer_id"], ascending=[False, True], ignore_index=True)
