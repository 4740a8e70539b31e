"""Known truth of synthetic data: true dropout at a cut-off, the oracle P(alive), and scores against them.

The synthetic shop generator (:mod:`helpers.io.synth`) records each customer's true purchase
rate ``lambda`` (per week), dropout probability ``p`` and ``dropout_ts``; these functions score
churn predictions against what really happened.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models.churn.dataset import ChurnDataset
from helpers.models.churn.labels import as_date
from helpers.phrase import Phrase, Share


def true_dropout(truth_customers: pd.DataFrame, *, cutoff) -> pd.Series:
    """Whether each synthetic customer had truly dropped out by the end of the cut-off day.

    In the generator a customer drops out right after a repeat purchase (``dropout_ts``, the
    last purchase), so "dead at the cut-off" is ``dropout_ts`` on or before the cut-off day.
    A customer still alive who merely buys nothing in the label window is *not* a true
    churner (the observed label counts them as churned). Under the BG/NBD convention a
    customer with no repeat purchase cannot have dropped out. Indexed by ``customer_id``, 1/0.
    """
    c = truth_customers.set_index("customer_id")
    limit = pd.Timestamp(as_date(cutoff)) + pd.Timedelta(days=1)
    return (c["dropout_ts"].notna() & (c["dropout_ts"] < limit)).astype("int64").rename("true_dropout")


def oracle_p_alive(truth_customers: pd.DataFrame, ds: ChurnDataset) -> pd.Series:
    """P(alive) at the cut-off with each customer's *true* lambda and p (the best any score can do).

    For a customer with x >= 1 repeat purchases, last purchase t_x and age T (weeks),
    P(alive) = 1 / (1 + p / (1 - p) * exp(lambda (T - t_x))); for x = 0 it is 1 (BG/NBD
    convention). Uses only the customer's purchase days up to the cut-off (from ``ds``).
    """
    c = truth_customers.set_index("customer_id").reindex(ds.frame["customer_id"])
    lam, p = c["lambda"].to_numpy(float), c["p"].to_numpy(float)
    gap_w = ds.frame["recency_days"].to_numpy(float) / 7.0     # T - t_x in weeks
    repeat = ds.frame["purchase_days"].to_numpy(float) > 1
    with np.errstate(over="ignore", divide="ignore"):
        odds = p / (1 - p) * np.exp(lam * gap_w)
        pa = np.where(repeat, 1.0 / (1.0 + odds), 1.0)
    return pd.Series(pa, index=ds.frame["customer_id"].to_numpy(), name="oracle_p_alive")


def truth_table(truth_customers: pd.DataFrame, ds: ChurnDataset, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """ROC-AUC of each score against true dropout at ``ds.cutoff``, for all and for repeat customers.

    Repeat customers (two or more purchase days before the cut-off) are shown separately
    because under the generator's BG/NBD convention a one-time buyer cannot have dropped out,
    however unlikely they are to buy again. Adds the *oracle* P(alive) computed with every
    customer's true lambda and p (the best ranking possible from a purchase history).
    Columns: ``score``, then the ROC-AUC per population; ``attrs`` says per population how
    many customers it holds and what share truly dropped out.
    """
    from sklearn.metrics import roc_auc_score

    td = true_dropout(truth_customers, cutoff=ds.cutoff).reindex(ds.frame["customer_id"]).fillna(0).to_numpy(int)
    scores = dict(scores)
    scores["oracle: 1 - P(alive) with the true parameters"] = 1.0 - oracle_p_alive(truth_customers, ds).to_numpy()
    repeat = ds.frame["purchase_days"].to_numpy(float) > 1
    pops = {"all active customers": np.ones(len(td), bool), "repeat customers": repeat}
    rows = []
    for name, sc in scores.items():
        row = {"score": name}
        for pop, m in pops.items():
            ok = len(np.unique(td[m])) == 2
            row[pop] = roc_auc_score(td[m], np.asarray(sc, float)[m]) if ok else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({pop: Phrase("chw_truth_counts", n=int(m.sum()), share=Share(td[m].mean() if m.any() else np.nan))
                      for pop, m in pops.items()})
    return out
