"""Complaints as churn features: what they add to the churn models of notebook 05, out of time.

Features are built from the feedback written on or before each cut-off only
(:data:`COMPLAINT_FEATURES`); the models, labels and metrics are those of
:mod:`helpers.models.churn`. AUC differences are paired-bootstrap intervals.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from helpers.errors import DataError
from helpers.models.voice.table import FILE, complaint_flags


#: the complaint features of :func:`complaint_features` and what they mean
COMPLAINT_FEATURES = {
    "reviews_before": "reviews and complaints the customer wrote up to the cut-off (count)",
    "complaints_before": "complaints the customer made up to the cut-off (count)",
    "complaint_rate_before": "complaints_before / reviews_before (0..1; 0 without reviews)",
}


def complaint_features(fb: pd.DataFrame, *, cutoff, rule: str = "auto") -> pd.DataFrame:
    """Per customer, from the feedback written on or before ``cutoff`` only: :data:`COMPLAINT_FEATURES`.

    For :func:`helpers.models.churn.add_features` (customers without feedback: 0).
    """
    end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    if "customer_id" not in fb.columns:
        return pd.DataFrame(columns=["customer_id", *COMPLAINT_FEATURES])
    d = fb[fb["customer_id"].notna() & (fb["feedback_ts"] < end)]
    d = d.assign(_c=complaint_flags(d, rule).astype(int), customer_id=d["customer_id"].astype("string"))
    g = d.groupby("customer_id")
    out = g.agg(reviews_before=("_c", "size"), complaints_before=("_c", "sum")).reset_index()
    out["complaint_rate_before"] = out["complaints_before"] / out["reviews_before"]
    return out[["customer_id", *COMPLAINT_FEATURES]]


#: Above this many customers active at a cut-off, the comparison is fitted and scored on a seeded random sample
#: of this many (at each cut-off): two model families fitted twice and a paired bootstrap of their AUCs on every
#: customer would dominate a large batch, and the difference's interval already reflects the sample's size.
MAX_CUSTOMERS = 20_000


@dataclass
class ChurnGain:
    """What complaints add to the churn model (see :func:`complaint_churn_gain`).

    ``metrics``: one row per model and feature set (``without`` / ``with complaints``): ROC-AUC
    and PR-AUC on the test cut-off. ``gain``: per model the paired-bootstrap ROC-AUC difference
    (with - without; :func:`helpers.models.churn.auc_difference`). ``importance``: permutation
    importance (ROC-AUC drop on the test set) of every feature of the gradient boosting with
    complaints. ``rates``: churn rate on the test cut-off of customers who had complained before it
    and of the others.
    """

    train_cutoff: object
    test_cutoff: object
    horizon_days: int
    metrics: pd.DataFrame
    gain: pd.DataFrame
    importance: pd.DataFrame
    rates: pd.DataFrame
    level: float
    n_test: int = 0
    n_retained: int = 0
    #: customers active at the training and test cut-offs before sampling (:data:`MAX_CUSTOMERS`)
    n_train_all: int = 0
    n_test_all: int = 0

    @property
    def sampled(self) -> bool:
        """Whether the comparison ran on a sample of the customers (see :data:`MAX_CUSTOMERS`)."""
        return self.n_test < self.n_test_all


def complaint_churn_gain(lines, fb: pd.DataFrame, *, train_cutoff, test_cutoff, horizon_days: int,
                         has: dict | None = None, time_unit: str = "W", rule: str = "auto", level: float = 0.95,
                         n_boot: int = 500, random_state: int = 42, max_customers: int | None = MAX_CUSTOMERS) -> ChurnGain:
    """Fit the churn models of notebook 05 with and without the complaint features, compare out of time.

    Both feature sets use the same customers, cut-offs and labels (:mod:`helpers.models.churn`;
    without the P(alive) feature, so the comparison is complaints against the purchase history).
    Trained at ``train_cutoff``, evaluated at ``test_cutoff`` on labels the training never saw. With more
    than ``max_customers`` customers active at a cut-off, a seeded random sample of that many is used there
    (``ChurnGain.sampled``; None uses everyone).

    Raises
    ------
    helpers.errors.DataError
        The training or test set cannot fit a churn model (too few churners or retained customers).
    """
    from helpers.models import churn

    spec = churn.make_spec(lines, cutoff=train_cutoff, has=has, p_alive=False)
    fill = {c: 0.0 for c in COMPLAINT_FEATURES}
    sets = {}
    everyone = {}
    for name, cut in (("train", train_cutoff), ("test", test_cutoff)):
        ds = churn.churn_dataset(lines, cutoff=cut, horizon_days=horizon_days, spec=spec, time_unit=time_unit)
        everyone[name] = len(ds.frame)
        ds = churn.sample_customers(ds, max_customers, random_state=random_state)
        sets[name] = (ds, churn.add_features(ds, complaint_features(fb, cutoff=cut, rule=rule), fill=fill))
    for name, (ds, _) in sets.items():
        ok, why = churn.can_fit(ds)
        if not ok:
            raise DataError(FILE, "churn-not-fittable", f"{name} set: {why}")
    (train0, train1), (test0, test1) = sets["train"], sets["test"]
    m0 = churn.fit_models(train0, random_state=random_state)
    m1 = churn.fit_models(train1, random_state=random_state)
    s0, s1 = churn.model_scores(m0, test0), churn.model_scores(m1, test1)
    y = test0.y
    rows, gains = [], []
    for model in s0:
        for features, s in (("without", s0[model]), ("with complaints", s1[model])):
            e = churn.evaluate(y, {model: s})
            rows.append({"model": model, "features": features, "roc_auc": e["roc_auc"].iloc[0],
                         "pr_auc": e["pr_auc"].iloc[0]})
        gains.append({"model": model, **churn.auc_difference(y, s1[model], s0[model], n_boot=n_boot, level=level,
                                                             seed=random_state)})
    imp = churn.importance_table(m1["gbm"], test1, random_state=random_state) if "gbm" in m1 else pd.DataFrame()
    complained = test1.frame["complaints_before"] > 0
    rates = pd.DataFrame({"group": ["complained before the cut-off", "did not"],
                          "customers": [int(complained.sum()), int((~complained).sum())],
                          "churn_rate": [float(y[complained.to_numpy()].mean()) if complained.any() else math.nan,
                                         float(y[~complained.to_numpy()].mean()) if (~complained).any() else math.nan]})
    return ChurnGain(train_cutoff, test_cutoff, horizon_days, pd.DataFrame(rows), pd.DataFrame(gains), imp, rates,
                     level, n_test=int(len(y)), n_retained=int((y == 0).sum()), n_train_all=everyone["train"],
                     n_test_all=everyone["test"])


def try_complaint_churn_gain(lines, fb: pd.DataFrame, *, analysis_date, data_start, horizon_days: int,
                             has: dict | None = None, time_unit: str = "W", rule: str = "auto"):
    """:func:`complaint_churn_gain` at the churn notebook's cut-offs (:func:`helpers.models.churn.cutoffs`), or
    why the data cannot give it: ``(gain, None)`` or ``(None, the ValueError or DataError)``."""
    from helpers.models import churn

    try:
        train_cut, test_cut = churn.cutoffs(analysis_date, horizon_days=horizon_days, data_start=data_start)
        return complaint_churn_gain(lines, fb, train_cutoff=train_cut, test_cutoff=test_cut, horizon_days=horizon_days,
                                    has=has, time_unit=time_unit, rule=rule), None
    except (ValueError, DataError) as err:
        return None, err
