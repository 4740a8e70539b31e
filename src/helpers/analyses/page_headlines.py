"""The headline numbers of the analysis notebooks: (key, label, value, unit), labels in the report language.

Each function names one notebook's conclusion numbers for :func:`helpers.analyses.headlines.publish`
(the contract churn notebook's are in :mod:`helpers.analyses.contract_headlines`); a number the run
could not measure is NaN, which the executive summary reads as "not available".
"""
from __future__ import annotations

import pandas as pd

from helpers import clean
from helpers.i18n import t

NAN = float("nan")


def cleaning_items(audit: pd.DataFrame, gross_sales: float, *, customers: int, warnings: int,
                   currency: str) -> list[tuple]:
    """Notebook 01: raw and clean lines, the share of sales revenue removed, the returns removed (a positive
    amount), the clean revenue, the customers and the cleaning warnings."""
    a = audit.set_index("rule")
    returns = -float(a.loc[list(clean.RETURN_LINE_RULES), "revenue"].sum())
    return [
        ("raw_lines", t("hl_raw_lines"), int(a.loc["raw total", "lines"]), "count"),
        ("clean_lines", t("hl_clean_lines"), int(a.loc["kept", "lines"]), "count"),
        ("revenue_removed_share", t("hl_revenue_removed_share"), clean.sales_removed_share(audit, gross_sales), "%"),
        ("returns_removed", t("hl_returns_removed"), returns, currency),
        ("clean_revenue", t("hl_clean_revenue"), float(a.loc["kept", "revenue"]), currency),
        ("customers", t("hl_customers"), customers, "customers"),
        ("cleaning_warnings", t("hl_cleaning_warnings"), warnings, "count"),
    ]


def segmentation_items(profile: pd.DataFrame, *, one_time: float, k: int | None) -> list[tuple]:
    """Notebook 03: the revenue share and count of Champions and Loyal customers, the customers to win back
    (At risk, Can't lose them), the one-time buyers' share and the number of clusters ("none" without)."""
    seg = profile.set_index("segment")
    return [
        ("champions_revenue_share", t("hl_champions_revenue_share"), seg.loc[["Champions", "Loyal customers"], "revenue_share"].sum(), "%"),
        ("champions_loyal", t("hl_champions_loyal"), int(seg.loc[["Champions", "Loyal customers"], "customers"].sum()), "customers"),
        ("win_back", t("hl_win_back"), int(seg.loc[["At risk", "Can't lose them"], "customers"].sum()), "customers"),
        ("one_time_share", t("hl_one_time_share"), one_time, "%"),
        ("clusters", t("hl_clusters"), k if k else t("hl_none"), "clusters" if k else ""),
    ]


def segmentation_customers(per_customer: pd.DataFrame) -> pd.DataFrame:
    """Notebook 03's customer columns for the action table: RFM segment, RFM score cell and cluster."""
    return per_customer[["customer_id"]].assign(rfm_segment=per_customer["segment"].astype(str),
                                                rfm_score=per_customer["rfm_cell"], cluster=per_customer["cluster"])
