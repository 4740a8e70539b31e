"""Survival on the tenure of a contract table: Kaplan-Meier retention by group, log-rank tests, Cox model.

The duration is ``tenure`` (in the tenure unit), the event ``churned``; customers still under
contract are censored at their tenure. The fits are those of :mod:`helpers.models.survival`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models import survival
from helpers.models.contract_churn.classify import DURATION_PROXIES, feature_columns
from helpers.models.contract_churn.units import as_horizon, check_unit


def retained_column(h) -> str:
    """Name of the Kaplan-Meier summary column of horizon ``h`` (in the tenure unit): ``retained_at_24``."""
    return f"retained_at_{as_horizon(float(h))}".replace(".", "_")


def km_table(df: pd.DataFrame, group: str | None = "contract", *, at=(), unit: str = "month"
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier retention by ``group`` (tenure = duration in ``unit``, churned = event).

    S(t) = prod over churn times t_i <= t of (1 - churned at t_i / customers at risk at t_i),
    where a customer with tenure t_i is at risk at every period up to t_i; customers still
    under contract are censored at their tenure.

    Parameters
    ----------
    at : sequence of float
        Horizons (tenures in ``unit``, e.g. :func:`helpers.models.contract_churn.units.km_horizons`) at
        which retention is tabulated. A horizon beyond a group's longest observed tenure gets no value (NaN):
        the curve is not carried past the data.
    unit : str
        The tenure unit, written into the summary (``tenure_unit``) and ``attrs``.

    Returns
    -------
    (curves, summary)
        ``curves``: group, ``tenure`` (in ``unit``), ``retention`` (0..1) and its 95 % band
        ``lower`` / ``upper``. ``summary``: per group ``customers``, ``churned``,
        ``churn_rate``, ``median_tenure`` (in ``unit``; empty when retention never falls to
        0.5), ``retained_at_<h>`` (:func:`retained_column`) for each horizon in ``at`` and
        ``tenure_unit``; ``attrs["logrank"]`` holds the multivariate log-rank test
        (``statistic``, ``dof``, ``p_value``) when there are two or more groups,
        ``attrs["horizons"]`` the horizons and ``attrs["tenure_unit"]`` the unit.
    """
    check_unit(unit)
    horizons = [as_horizon(float(h)) for h in at]
    seg = survival.column_groups(df, group)
    events = df["churned"].astype(int)
    curves, rows = [], []
    for fit in survival.kaplan_meier_by_group(df["tenure"], events, seg):
        m, kmf = fit.mask, fit.fitter
        curves.append(survival.survival_curve(fit, group="group", time="tenure", value="retention"))
        row = {"group": fit.name, "customers": int(m.sum()), "churned": int(df.loc[m, "churned"].sum()),
               "churn_rate": float(df.loc[m, "churned"].mean()), "median_tenure": survival.median_duration(fit)}
        longest = float(df.loc[m, "tenure"].max())
        for h in horizons:
            row[retained_column(h)] = float(kmf.predict(float(h))) if h <= longest else np.nan
        row["tenure_unit"] = unit
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary.attrs["horizons"] = horizons
    summary.attrs["tenure_unit"] = unit
    res = survival.logrank(df["tenure"], seg, events)
    if res is not None:
        summary.attrs["logrank"] = {"statistic": float(res.test_statistic), "dof": int(res.degrees_of_freedom),
                                    "p_value": float(res.p_value)}
    return pd.concat(curves, ignore_index=True), summary


def pairwise_logrank(df: pd.DataFrame, group: str = "contract") -> pd.DataFrame:
    """Log-rank test of every pair of groups: ``a``, ``b``, ``statistic``, ``p_value`` (unadjusted)
    and ``p_holm`` (Holm-adjusted for the number of pairs)."""
    return survival.pairwise_logrank(df["tenure"], survival.group_labels(df[group]), df["churned"].astype(int))


def fit_cox(train: pd.DataFrame, test: pd.DataFrame | None = None, *, columns: list[str] | None = None,
            penalizer: float = 0.01) -> survival.CoxResult:
    """Cox proportional-hazards model of the churn hazard (lifelines ``CoxPHFitter``).

    The partial likelihood depends on the order of the tenures only, so the hazard ratios are
    the same in any tenure unit.

    Parameters
    ----------
    train, test : pandas.DataFrame
        Contract tables (:func:`helpers.models.contract_churn.table.contract_table`); the model is
        fitted on ``train`` and its concordance also measured on ``test``.
    columns : list of str, optional
        Covariates; default every feature column except :data:`DURATION_PROXIES` (tenure is
        the duration itself, and total charges ~ tenure x monthly charges would leak it).
    penalizer : float
        Small ridge penalty that keeps the fit stable when dummies are nearly collinear.

    Returns
    -------
    helpers.models.survival.CoxResult
        As :func:`helpers.models.survival.fit_cox_model` gives it, with the C-index on both sets.
    """
    if columns is None:
        num, cat = feature_columns(train, exclude=DURATION_PROXIES)
        columns = num + cat
    return survival.fit_cox_model(train, test, columns=columns, duration="tenure", event="churned",
                                  penalizer=penalizer)
