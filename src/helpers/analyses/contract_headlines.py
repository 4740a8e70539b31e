"""The headline numbers of the contract churn notebook (11): (key, label, value, unit), labels in the report language.

The numbers come from :mod:`helpers.models.contract_churn`; :func:`headline_items` names them for
:func:`helpers.analyses.headlines.publish`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.i18n import _, period_name
from helpers.models.contract_churn.units import check_unit


def _key(text) -> str:
    """``"Month-to-month"`` -> ``"month_to_month"``: a headline key part."""
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower())


def headline_items(df: pd.DataFrame, *, auc: float, cox_c_index: float, by_group: pd.DataFrame | None,
                   group_column: str | None, km_summary: pd.DataFrame, sbg_params: pd.DataFrame,
                   unit: str = "month") -> list[tuple]:
    """The (key, label, value, unit) headline numbers of the contract churn notebook.

    Overall churn rate, model AUC and Cox C-index; per group (e.g. contract type) the churn
    rate, the Kaplan-Meier median tenure in ``unit`` (headline unit ``"years"``, ``"months"``
    ...; ``"not reached"`` when the curve stays above 50 %) and the sBG mean churn per period,
    with alpha and beta where the cohort is heterogeneous. The keys of these per-period numbers
    carry the unit when it is not the month (``contract_km_median_year_regular``), so a run in
    another unit is never compared with a monthly one as if the numbers were alike.
    """
    check_unit(unit)
    u = "" if unit == "month" else f"_{unit}"
    items = [("contract_churn_rate", _("Churn rate (observed, customer table)"), float(df["churned"].mean()), "%"),
             ("contract_model_auc", _("Contract churn model ROC-AUC on held-out customers"), auc, ""),
             ("contract_cox_c_index", _("Cox model C-index on held-out customers"), cox_c_index, "")]
    if group_column and by_group is not None:
        for _unused, r in by_group.iterrows():
            items.append((f"contract_churn_rate_{_key(r[group_column])}",
                          _("Churn rate, {group}", group=r[group_column]), r["churn_rate"], "%"))
    for _unused, r in km_summary.iterrows():
        med = r["median_tenure"]
        items.append((f"contract_km_median{u}_{_key(r['group'])}", _("Kaplan-Meier median tenure, {group}", group=r["group"]),
                      med if np.isfinite(med) else _("not reached"), f"{unit}s"))
    for _unused, r in sbg_params.iterrows():
        key = _key(r["cohort"])
        items.append((f"contract_sbg_mean_churn{u}_{key}",
                      _("sBG mean churn per {unit} of a new customer, {cohort}", cohort=r["cohort"], unit=period_name(unit, plural=False)), float(r["mean_churn"]), "%"))
        if r["heterogeneous"]:
            items.append((f"contract_sbg_alpha{u}_{key}", _("sBG alpha, {cohort}", cohort=r["cohort"]),
                          float(r["alpha"]), ""))
            items.append((f"contract_sbg_beta{u}_{key}", _("sBG beta, {cohort}", cohort=r["cohort"]),
                          float(r["beta"]), ""))
    return items


#: The customer columns notebook 11 publishes, in order, when its scores have them.
CUSTOMER_COLUMNS = ("customer_id", "contract_churn_risk", "expected_remaining_tenure", "tenure_unit",
                    "expected_remaining_value")


def model_auc(metrics: pd.DataFrame, best: str | None) -> float:
    """The ROC AUC of the chosen classifier (``best``, a key of ``churn.MODEL_NAMES``); NaN without one."""
    from helpers.models.churn import MODEL_NAMES

    return metrics.set_index("score")["roc_auc"].get(MODEL_NAMES.get(best), float("nan")) if best else float("nan")


def customer_columns(rem: pd.DataFrame) -> pd.DataFrame:
    """The published customer columns (:data:`CUSTOMER_COLUMNS`) the remaining-value table has."""
    return rem[[c for c in CUSTOMER_COLUMNS if c in rem.columns]]


def non_contractual_items() -> list[tuple]:
    """The one headline of a run outside the contractual setting: its setting."""
    return [("contract_setting", _("Churn setting of this data"), _("non-contractual"), "")]
