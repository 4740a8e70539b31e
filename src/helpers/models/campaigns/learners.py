"""Uplift meta-learners over scikit-learn models, and the curves that validate them out of sample.

* **T-learner**: one outcome model per arm, ``tau(x) = mu1(x) - mu0(x)``.
* **X-learner** (Künzel et al. 2019): the T-learner's models impute each customer's effect
  (treated: ``y - mu0(x)``, control: ``mu1(x) - y``), one regressor per arm learns those
  imputed effects, and the two are blended with the propensity ``g``:
  ``tau(x) = g tau0(x) + (1 - g) tau1(x)``. In a randomised test ``g`` is the treated share.
* **Qini curve** (Radcliffe 2007): customers sorted by predicted uplift, best first; at the top
  ``k``: ``Y_T(k) - Y_C(k) N_T(k) / N_C(k)`` (incremental buyers, the control's rate scaled to
  the treated count; 0 while the top ``k`` has no control). **Uplift curve**: ``(Y_T/N_T -
  Y_C/N_C)(k) * k``, the incremental buyers had all top ``k`` been treated. **AUUC** and the
  **Qini coefficient**: the mean height of the curve above the straight line of random
  targeting, per customer (0 = no better than random).

References
----------
Künzel, S. R., Sekhon, J. S., Bickel, P. J. & Yu, B. (2019). Metalearners for estimating
heterogeneous treatment effects using machine learning. *PNAS* 116(10), 4156-4165.
Radcliffe, N. J. (2007). Using control groups to target on predicted lift. *Direct Marketing
Analytics Journal* 1, 14-21.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier


def _predict(model, x) -> np.ndarray:
    return model.predict_proba(x)[:, 1] if is_classifier(model) else model.predict(x)


def _arms(x, y, t):
    x, y, t = np.asarray(x, float), np.asarray(y, float), np.asarray(t).astype(bool)
    if t.all() or not t.any():
        raise ValueError("both arms need customers (treated and control)")
    return x, y, t


class TLearner:
    """``tau(x) = mu1(x) - mu0(x)``, one clone of ``model`` per arm (classifier: probabilities)."""

    def __init__(self, model):
        self.model = model

    def fit(self, x, y, t) -> TLearner:
        x, y, t = _arms(x, y, t)
        self.mu1_ = clone(self.model).fit(x[t], y[t])
        self.mu0_ = clone(self.model).fit(x[~t], y[~t])
        return self

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, float)
        return _predict(self.mu1_, x) - _predict(self.mu0_, x)


class XLearner:
    """Künzel's X-learner: outcome models ``model`` per arm, effect regressors ``effect_model``,
    blended with the treated share (a randomised test's propensity) unless ``propensity`` is given."""

    def __init__(self, model, effect_model, propensity: float | None = None):
        self.model, self.effect_model, self.propensity = model, effect_model, propensity

    def fit(self, x, y, t) -> XLearner:
        x, y, t = _arms(x, y, t)
        base = TLearner(self.model).fit(x, y, t)
        d1 = y[t] - _predict(base.mu0_, x[t])
        d0 = _predict(base.mu1_, x[~t]) - y[~t]
        self.tau1_ = clone(self.effect_model).fit(x[t], d1)
        self.tau0_ = clone(self.effect_model).fit(x[~t], d0)
        self.g_ = float(t.mean()) if self.propensity is None else float(self.propensity)
        return self

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, float)
        return self.g_ * self.tau0_.predict(x) + (1 - self.g_) * self.tau1_.predict(x)


def uplift_curves(score, y, t) -> pd.DataFrame:
    """Qini and uplift curves of ``score`` on outcomes ``y`` (0/1 or amounts) and arms ``t``.

    Returns one row per customer in score order (best first; ties in input order) plus a
    starting row k = 0: k, fraction (k / n), n_treated, n_control, y_treated, y_control,
    qini (incremental outcome), uplift (incremental outcome had all k been treated), random
    (the straight line of random targeting to the curve's end, for qini).
    """
    s, y, t = np.asarray(score, float), np.asarray(y, float), np.asarray(t).astype(bool)
    order = np.argsort(-s, kind="stable")
    y, t = y[order], t[order]
    nt, nc = np.cumsum(t), np.cumsum(~t)
    yt, yc = np.cumsum(y * t), np.cumsum(y * ~t)
    with np.errstate(divide="ignore", invalid="ignore"):
        qini = np.where(nc > 0, yt - yc * nt / nc, yt)
        rate = np.where((nt > 0) & (nc > 0), yt / nt - yc / nc, 0.0)
    k = np.arange(1, s.size + 1)
    out = pd.DataFrame({"k": k, "fraction": k / s.size, "n_treated": nt, "n_control": nc,
                        "y_treated": yt, "y_control": yc, "qini": qini, "uplift": rate * k})
    out = pd.concat([pd.DataFrame([dict.fromkeys(out.columns, 0.0)]), out], ignore_index=True)
    out["random"] = out["fraction"] * out["qini"].iloc[-1]
    return out


def qini_coefficient(score, y, t) -> float:
    """Mean height of the Qini curve above random targeting, per customer (trapezoids over fraction)."""
    c = uplift_curves(score, y, t)
    return float(np.trapezoid(c["qini"] - c["random"], c["fraction"]) / (len(c) - 1))


def auuc(score, y, t) -> float:
    """Mean height of the uplift curve above random targeting's straight line, per customer."""
    c = uplift_curves(score, y, t)
    line = c["fraction"] * c["uplift"].iloc[-1]
    return float(np.trapezoid(c["uplift"] - line, c["fraction"]) / (len(c) - 1))
