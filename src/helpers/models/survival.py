"""Survival models shared by churn and contract churn: Kaplan-Meier by group, log-rank tests, Cox.

A duration is how long a customer has been active (days since the first purchase in
:mod:`helpers.models.churn.lapses`; the tenure in the tenure unit in
:mod:`helpers.models.contract_churn`); the event is 1 when the customer churned (a lapse
observed, a contract cancelled) and 0 when the duration is right-censored (still active). The
fits are lifelines' ``KaplanMeierFitter`` and ``CoxPHFitter``; the tests its multivariate and
pairwise log-rank tests and the Schoenfeld-residual test of proportional hazards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: the group label of an empty value
MISSING = "(missing)"


def group_labels(values: pd.Series) -> pd.Series:
    """Group labels as text, ``"(missing)"`` for an empty value."""
    return values.astype("string").fillna(MISSING)


def column_groups(df: pd.DataFrame, column: str | None, *, everyone: str = "all customers") -> pd.Series:
    """The group of each row of ``df``: the labels of ``column`` (:func:`group_labels`), or ``everyone``
    for every row when ``column`` is None."""
    return group_labels(df[column]) if column else pd.Series(everyone, index=df.index)


@dataclass
class GroupFit:
    """One group's Kaplan-Meier fit: its ``name``, the boolean ``mask`` of its rows and the lifelines ``fitter``."""

    name: str
    mask: np.ndarray
    fitter: object


def kaplan_meier_by_group(durations: pd.Series, events: pd.Series, groups: pd.Series) -> list[GroupFit]:
    """One Kaplan-Meier fit per value of ``groups`` (in sorted order), on the rows of that group.

    ``durations`` in any unit (the fit's times are in it), ``events`` 1 = churned, 0 = censored.
    """
    from lifelines import KaplanMeierFitter

    fits = []
    for name in sorted(groups.unique()):
        m = (groups == name).to_numpy()
        fits.append(GroupFit(str(name), m, KaplanMeierFitter().fit(durations[m], events[m], label=str(name))))
    return fits


def survival_curve(fit: GroupFit, *, group: str, time: str, value: str) -> pd.DataFrame:
    """The survival curve of one group: columns ``group`` (its name), ``time`` (the event times),
    ``value`` (S(t), 0..1) and its 95 % confidence band ``lower`` / ``upper``."""
    sf = fit.fitter.survival_function_.iloc[:, 0]
    ci = fit.fitter.confidence_interval_survival_function_
    return pd.DataFrame({group: fit.name, time: sf.index.to_numpy(dtype=float), value: sf.to_numpy(),
                         "lower": ci.iloc[:, 0].to_numpy(), "upper": ci.iloc[:, 1].to_numpy()})


def median_duration(fit: GroupFit) -> float:
    """The Kaplan-Meier median duration of a group; NaN when survival never falls to 0.5."""
    med = fit.fitter.median_survival_time_
    return float(med) if np.isfinite(med) else np.nan


def logrank(durations: pd.Series, groups: pd.Series, events: pd.Series):
    """The multivariate log-rank test of equal survival across ``groups`` (lifelines' result, with
    ``test_statistic``, ``degrees_of_freedom`` and ``p_value``); None with fewer than two groups."""
    from lifelines.statistics import multivariate_logrank_test

    if groups.nunique() < 2:
        return None
    return multivariate_logrank_test(durations, groups, events)


def pairwise_logrank(durations: pd.Series, groups: pd.Series, events: pd.Series) -> pd.DataFrame:
    """Log-rank test of every pair of groups: ``a``, ``b``, ``statistic``, ``p_value`` (unadjusted)
    and ``p_holm`` (Holm-adjusted for the number of pairs), smallest p-value first."""
    from lifelines.statistics import pairwise_logrank_test

    if groups.nunique() < 2:
        return pd.DataFrame(columns=["a", "b", "statistic", "p_value", "p_holm"])
    r = pairwise_logrank_test(durations, groups, events).summary.reset_index()
    r.columns = ["a", "b", "statistic", "p_value", "log2_p"][: len(r.columns)]
    out = r[["a", "b", "statistic", "p_value"]].sort_values("p_value", ignore_index=True)
    m = len(out)
    holm = np.minimum(1.0, np.maximum.accumulate(out["p_value"].to_numpy() * (m - np.arange(m))))
    out["p_holm"] = holm
    return out


# --------------------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------------------
@dataclass
class CoxResult:
    """A fitted Cox model and its checks.

    ``coefficients``: covariate, ``hazard_ratio`` (exp(coef): the factor on the churn hazard
    (per period of the duration unit) per unit of the covariate or against the reference level),
    ``lower`` / ``upper`` (95 %), ``p_value``. ``ph_test``: covariate, ``statistic``, ``p_value`` of the
    Schoenfeld-residual test (rank time transform) and ``violated`` (p < 0.05). ``c_index_train`` /
    ``c_index_test``: concordance on the fitting and the held-out customers (0.5 = random).
    """

    fitter: object
    covariates: list[str]
    reference: dict[str, str]
    coefficients: pd.DataFrame
    ph_test: pd.DataFrame
    c_index_train: float
    c_index_test: float
    n_train: int
    n_test: int


def cox_design(df: pd.DataFrame, columns: list[str], reference: dict[str, str] | None = None
               ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric design matrix for the Cox model: numeric columns as they are, categories one-hot
    with the most common level (or ``reference[column]``) left out as the reference."""
    reference = dict(reference or {})
    parts = []
    for c in columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(c))
            continue
        s = s.astype("string").fillna(MISSING)
        ref = reference.setdefault(c, str(s.value_counts().index[0]))
        levels = [v for v in sorted(s.unique()) if v != ref]
        for v in levels:
            parts.append((s == v).astype(float).rename(f"{c}: {v}"))
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)
    # the same indicator under several names ("No internet service" in six columns) is kept once
    X = X.loc[:, ~X.T.duplicated()]
    return X, reference


def positive_durations(durations: pd.Series) -> np.ndarray:
    """Durations with 0 (joined in the current period) set to half the shortest positive duration:
    positive durations in the same order, in any unit."""
    t = durations.to_numpy(dtype=float)
    pos = t[t > 0]
    return np.where(t > 0, t, 0.5 * (pos.min() if len(pos) else 1.0))


def fit_cox_model(train: pd.DataFrame, test: pd.DataFrame | None = None, *, columns: list[str],
                  duration: str = "tenure", event: str = "churned", penalizer: float = 0.01) -> CoxResult:
    """Cox proportional-hazards model of the churn hazard (lifelines ``CoxPHFitter``) on ``columns``.

    The partial likelihood depends on the order of the durations only, so the hazard ratios are
    the same in any duration unit. Covariates without variation are dropped; missing values get
    the training median. ``penalizer`` is a small ridge penalty that keeps the fit stable when
    dummies are nearly collinear.

    Returns
    -------
    CoxResult
        Hazard ratios, the proportional-hazards test (``proportional_hazard_test``, the test
        behind lifelines' ``check_assumptions``) and the C-index on ``train`` and ``test``.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test
    from lifelines.utils import concordance_index

    X, ref = cox_design(train, columns)
    keep = [c for c in X.columns if X[c].std() > 0]
    X = X[keep].fillna(X[keep].median())
    data = X.assign(_t=positive_durations(train[duration]), _e=train[event].astype(int).to_numpy())
    cph = CoxPHFitter(penalizer=penalizer).fit(data, duration_col="_t", event_col="_e")
    s = cph.summary
    coef = pd.DataFrame({"covariate": s.index, "hazard_ratio": s["exp(coef)"].to_numpy(),
                         "lower": s["exp(coef) lower 95%"].to_numpy(), "upper": s["exp(coef) upper 95%"].to_numpy(),
                         "p_value": s["p"].to_numpy()})
    ph = proportional_hazard_test(cph, data, time_transform="rank").summary
    ph_tab = pd.DataFrame({"covariate": [i if isinstance(i, str) else i[0] for i in ph.index],
                           "statistic": ph["test_statistic"].to_numpy(), "p_value": ph["p"].to_numpy()})
    ph_tab["violated"] = ph_tab["p_value"] < 0.05
    c_test = np.nan
    if test is not None and len(test):
        Xt, _ = cox_design(test, columns, ref)
        Xt = Xt.reindex(columns=keep, fill_value=0.0).fillna(X.median())
        risk = cph.predict_partial_hazard(Xt).to_numpy()
        c_test = float(concordance_index(test[duration], -risk, test[event].astype(int)))
    return CoxResult(cph, keep, ref, coef, ph_tab, float(cph.concordance_index_), c_test, len(train),
                     0 if test is None else len(test))
