"""Churn classification on a contract table with the churn notebook's pipelines.

The table is one snapshot, so validation is out-of-sample (a stratified random split), not
out-of-time; the split halves are :class:`helpers.models.churn.ChurnDataset` objects, so the
pipelines, metrics and explanations of :mod:`helpers.models.churn` apply unchanged. Scores are
churn probabilities 0..1.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers.models import churn


#: Numeric columns that are never features: the id and the label.
NOT_FEATURES = ("customer_id", "churned")
#: Columns that would leak the duration into a survival model (total charges ~ tenure x monthly charges).
DURATION_PROXIES = ("tenure", "total_charges")
MAX_LEVELS = 20      # a text column with more distinct values than this is not used as a category


def feature_columns(df: pd.DataFrame, *, exclude=()) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of a contract table.

    Numeric: every numeric or bool column but the id and the label; categorical: text
    columns with at most :data:`MAX_LEVELS` distinct values (free text and ids are left out).
    """
    numeric, categorical = [], []
    for c in df.columns:
        if c in NOT_FEATURES or c in exclude:
            continue
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            numeric.append(c)
        elif s.nunique(dropna=True) <= MAX_LEVELS:
            categorical.append(c)
    return numeric, categorical


def _dataset(frame: pd.DataFrame, numeric, categorical, snapshot: dt.date, horizon_days: int) -> churn.ChurnDataset:
    f = frame.copy()
    for c in numeric:
        f[c] = f[c].astype(float)
    for c in categorical:
        f[c] = f[c].astype("string")
    f["churned"] = f["churned"].astype("int64")
    return churn.ChurnDataset(snapshot, horizon_days, f.reset_index(drop=True), churn.FeatureSpec(p_alive=False),
                              list(numeric), list(categorical))


def contract_datasets(df: pd.DataFrame, *, test_size: float = 0.3, random_state: int = 42,
                      snapshot: dt.date | None = None, horizon_days: int = 30,
                      exclude=()) -> tuple[churn.ChurnDataset, churn.ChurnDataset]:
    """Stratified random train / test split of a contract table as churn data sets.

    The table is one snapshot, so validation is **out-of-sample** (customers the model has
    not seen), not out-of-time. The label is the observed ``churned``; ``horizon_days`` only
    names the period it covers (a telecom's export marks customers who left in the last month).

    Returns
    -------
    (train, test) : helpers.models.churn.ChurnDataset
        Usable with :func:`helpers.models.churn.fit_models`, ``model_scores``, ``evaluate``,
        ``calibration_table``, ``gains_table``, ``importance_table``.
    """
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ValueError(f"test_size = {test_size}: must be a share between 0 and 1")
    numeric, categorical = feature_columns(df, exclude=exclude)
    y = df["churned"].astype(int)
    strat = y if y.value_counts().min() >= 2 else None
    tr, te = train_test_split(df, test_size=test_size, random_state=random_state, stratify=strat)
    snap = snapshot or dt.date.today()
    return (_dataset(tr, numeric, categorical, snap, horizon_days),
            _dataset(te, numeric, categorical, snap, horizon_days))


def baseline_scores(train: churn.ChurnDataset, test: churn.ChurnDataset) -> dict[str, np.ndarray]:
    """Scores that need no model: short tenure first, and the training churn rate of the contract type."""
    out = {"short tenure (baseline)": -test.frame["tenure"].to_numpy(dtype=float)}
    if "contract" in train.frame.columns:
        rate = train.frame.groupby(train.frame["contract"].astype("string"))["churned"].mean()
        base = float(train.frame["churned"].mean())
        out["churn rate of the contract type (baseline)"] = (
            test.frame["contract"].astype("string").map(rate).astype(float).fillna(base).to_numpy())
    return out


def score_customers(model, df: pd.DataFrame, like: churn.ChurnDataset) -> pd.Series:
    """Churn probability (0..1) of every customer of ``df`` under a fitted pipeline, indexed by
    ``customer_id``; ``like`` (the training set) fixes the feature columns."""
    ds = _dataset(df, like.numeric, like.categorical, like.cutoff, like.horizon_days)
    with churn.one_thread():
        p = model.predict_proba(ds.X)[:, 1]
    return pd.Series(p, index=ds.frame["customer_id"].to_numpy(), name="contract_churn_risk")
