"""Churn in a non-contractual business: labels, features before a cut-off, models, evaluation, retention plan.

In retail nobody cancels a contract; a customer simply stops buying. The label is therefore
defined on a window: a customer active at a cut-off date is **churned** when they make no
purchase in the ``horizon_days`` days after it (``(cutoff, cutoff + horizon_days]``). Every
feature is computed from lines on or before the cut-off only (:func:`churn_features` filters
first and never sees later lines), so the same code gives a training set (cut-off 1), an
out-of-time test set (cut-off 2 = cut-off 1 + horizon) and the scoring set (the analysis date,
no label yet).

Units: every ``*_days`` column is in days; money columns are in the data's currency; shares
are fractions of the customer's revenue before the cut-off (0..1).

Workflow (notebook ``05_churn``)::

    train_cut, test_cut = churn.cutoffs(prep.end, horizon_days=90)
    train = churn.churn_dataset(lines, cutoff=train_cut, horizon_days=90, has=prep.has)
    test = churn.churn_dataset(lines, cutoff=test_cut, horizon_days=90, spec=train.spec)
    models = churn.fit_models(train)
    churn.evaluate(test.y, churn.baseline_scores(test) | churn.model_scores(models, test))

The table work (filters, group-bys over lines) is Ibis, so it runs on DuckDB and Spark alike;
the per-customer frames that come back are pandas, and the models are scikit-learn pipelines.

Modules: :mod:`~helpers.models.churn.labels` (cut-offs, labels), :mod:`~helpers.models.churn.dataset`
(the data set of one cut-off), :mod:`~helpers.models.churn.features` (features before a cut-off),
:mod:`~helpers.models.churn.classifiers` (pipelines, scores), :mod:`~helpers.models.churn.evaluation`
(metrics, explanations), :mod:`~helpers.models.churn.lapses` (active lifetimes, Kaplan-Meier),
:mod:`~helpers.models.churn.plan` (value at stake, retention plan) and
:mod:`~helpers.models.churn.truth` (scores against the synthetic data's known truth). This package
re-exports their public names, so ``churn.NAME`` works for each.
"""
from helpers.models.churn.classifiers import (
    LOG_FEATURES, MIN_CLASS, MODEL_NAMES, RISK_BANDS, baseline_scores, can_fit, check_features, choose_model,
    fit_models, make_model, model_scores, one_thread, score_customers
)
from helpers.models.churn.dataset import (
    FEATURE_DOCS, ChurnDataset, FeatureSpec, add_features, align, common_features, feature_table, feature_unit,
    sample_customers
)
from helpers.models.churn.evaluation import (
    EXPLAIN_MAX_ROWS, auc_difference, calibration_table, confusion_table, evaluate, gains_table, importance_table,
    partial_dependence_table, roc_table
)
from helpers.models.churn.features import (
    PAliveFeature, churn_dataset, churn_features, cutoff_datasets, main_value, make_spec, p_alive_feature,
    top_values
)
from helpers.models.churn.labels import as_date, churn_labels, customer_lines, cutoffs, lines_before
from helpers.models.churn.lapses import active_lifetimes, km_table, segment_of
from helpers.models.churn.plan import break_even, retention_plan, trailing_revenue, value_at_stake
from helpers.models.churn.truth import oracle_p_alive, true_dropout, truth_table

__all__ = ["ChurnDataset", "EXPLAIN_MAX_ROWS", "FEATURE_DOCS", "FeatureSpec", "LOG_FEATURES", "MIN_CLASS",
           "MODEL_NAMES", "PAliveFeature", "RISK_BANDS", "active_lifetimes", "add_features", "align", "as_date",
           "auc_difference", "baseline_scores", "break_even", "calibration_table", "can_fit", "check_features",
           "choose_model", "churn_dataset", "churn_features", "churn_labels", "common_features", "confusion_table",
           "cutoff_datasets", "customer_lines", "cutoffs", "evaluate", "feature_table", "feature_unit", "fit_models",
           "gains_table",
           "importance_table", "km_table", "lines_before", "main_value", "make_model", "make_spec", "model_scores",
           "one_thread", "oracle_p_alive", "p_alive_feature", "partial_dependence_table", "retention_plan",
           "roc_table", "sample_customers", "score_customers", "segment_of", "top_values", "trailing_revenue", "true_dropout",
           "truth_table", "value_at_stake"]
