"""Churn in a contract business: observed churn label and tenure (e.g. a telecom's customer table).

Two settings
------------
* **Non-contractual** (a shop): nobody cancels; a customer just stops buying, so churn is
  never observed and has to be defined (no purchase in N days, :mod:`helpers.models.churn`)
  or inferred (P(alive) of BG/NBD, :mod:`helpers.models.clv`).
* **Contractual** (subscriptions, telecom, insurance): the customer cancels and the company
  sees it. The table has one row per customer with ``tenure`` (whole periods as a customer:
  months by default) and ``churned`` (the observed label), so churn is a plain classification
  target and tenure a right-censored duration: the customers who have not cancelled are still
  running.

This module handles the second one. Its input is the prepared ``attributes`` table
(``prep.read("attributes")``) with at least ``customer_id``, ``tenure`` (periods of the
configured unit, >= 0) and ``churned`` (bool), optionally ``contract`` (contract type),
``monthly_charges`` (currency per month, whatever the tenure unit), ``total_charges`` and any
other customer columns (gender, SeniorCitizen, Partner, InternetService, PaymentMethod ...).

What it gives:

* :func:`contract_datasets`: a stratified random train / test split as
  :class:`helpers.models.churn.ChurnDataset` objects, so the scikit-learn pipelines,
  metrics, calibration, gains and permutation importance of ``helpers.models.churn`` apply
  unchanged (out-of-sample, not out-of-time: the table is one snapshot).
* :func:`km_table`: Kaplan-Meier retention by a group (contract type) with lifelines and the
  multivariate log-rank test, tabulated at :func:`km_horizons` (round horizons within the
  observed tenure).
* :func:`fit_cox`: a Cox proportional-hazards model (lifelines ``CoxPHFitter``) with its
  concordance on held-out customers and the Schoenfeld-residual test of proportional hazards.
* :func:`retention_curve`, :func:`cohort_table`, :func:`fit_sbg`: the shifted-beta-geometric
  model (Fader & Hardie 2007) fitted to cohort retention by maximum likelihood in numpy
  (:func:`sbg_mle`) and handed to pymc-marketing's ``ShiftedBetaGeoModel`` for predictions,
  and :func:`remaining_value`: each active customer's expected remaining tenure (discounted, in
  the tenure unit) and value (charges per period x that tenure).

Units: tenure and every duration in the **tenure unit** of the config
(``tables.attributes.tenure_unit``: day, week, month, quarter or year; month by default, see
:func:`tenure_unit`); every period of the sBG model and every per-period probability is one
such unit. Money in the data's currency; rates 0..1. A yearly discount rate d becomes
(1 + d)^(1 / periods per year) - 1 per period (:func:`period_rate`).

Modules: :mod:`~helpers.models.contract_churn.units` (the tenure unit),
:mod:`~helpers.models.contract_churn.table` (setting, checked table, churn by group),
:mod:`~helpers.models.contract_churn.classify` (train / test split, classifiers),
:mod:`~helpers.models.contract_churn.tenure` (Kaplan-Meier, log-rank, Cox on the tenure, with
:mod:`helpers.models.survival`), :mod:`~helpers.models.contract_churn.sbg` (the sBG cohort model
and remaining value). Their words and sentences are built in :mod:`helpers.plots.contract_churn`,
the headline numbers in :mod:`helpers.analyses.contract_headlines`. This package re-exports
their public names, so ``contract_churn.NAME`` works for each.
"""
from helpers.models.contract_churn.classify import (
    DURATION_PROXIES, MAX_LEVELS, NOT_FEATURES, baseline_scores, contract_datasets, feature_columns,
    score_customers
)
from helpers.models.contract_churn.sbg import (
    FADER_HARDIE_2007, FADER_HARDIE_2007_ESTIMATES, HOMOGENEOUS, SbgFit, cohort_table, derl_by_hand,
    fader_hardie_check, fit_sbg, remaining_value, retention_curve, sbg_loglik, sbg_mle, sbg_retention,
    value_summary
)
from helpers.models.contract_churn.table import FILE, REQUIRED, churn_by, contract_table, setting
from helpers.models.contract_churn.tenure import fit_cox, km_table, pairwise_logrank, retained_column
from helpers.models.contract_churn.units import (
    HORIZON_STEPS, MAX_TENURE_YEARS, PERIODS_PER_YEAR, TENURE_UNITS, as_horizon, charge_factor, check_unit,
    km_horizons, period_rate, periods_per_year, tenure_unit
)
from helpers.models.survival import CoxResult, cox_design

__all__ = ["CoxResult", "DURATION_PROXIES", "FADER_HARDIE_2007", "FADER_HARDIE_2007_ESTIMATES", "FILE",
           "HOMOGENEOUS", "HORIZON_STEPS", "MAX_LEVELS", "MAX_TENURE_YEARS", "NOT_FEATURES", "PERIODS_PER_YEAR",
           "REQUIRED", "SbgFit", "TENURE_UNITS", "as_horizon", "baseline_scores", "charge_factor", "check_unit",
           "churn_by", "cohort_table", "contract_datasets", "contract_table", "cox_design", "derl_by_hand",
           "fader_hardie_check",
           "feature_columns", "fit_cox", "fit_sbg", "km_horizons", "km_table", "pairwise_logrank",
           "period_rate", "periods_per_year", "remaining_value", "retained_column", "retention_curve", "sbg_loglik",
           "sbg_mle", "sbg_retention", "score_customers", "setting", "tenure_unit", "value_summary"]
