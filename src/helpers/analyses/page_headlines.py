"""The headline numbers of the analysis notebooks: (key, label, value, unit), labels in the report language.

Each function names one notebook's conclusion numbers for :func:`helpers.analyses.headlines.publish`
(the contract churn notebook's are in :mod:`helpers.analyses.contract_headlines`); a number the run
could not measure is NaN, which the executive summary reads as "not available".
"""
from __future__ import annotations

import pandas as pd

from helpers import clean
from helpers.analyses.checks import own_and_reference
from helpers.i18n import _

NAN = float("nan")


def cleaning_items(audit: pd.DataFrame, gross_sales: float, *, customers: int, warnings: int,
                   currency: str) -> list[tuple]:
    """Notebook 01: raw and clean lines, the share of sales revenue removed, the returns removed (a positive
    amount), the clean revenue, the customers and the cleaning warnings."""
    a = audit.set_index("rule")
    returns = -float(a.loc[list(clean.RETURN_LINE_RULES), "revenue"].sum())
    return [
        ("raw_lines", _("Sales lines read"), int(a.loc["raw total", "lines"]), "count"),
        ("clean_lines", _("Sales lines kept after cleaning"), int(a.loc["kept", "lines"]), "count"),
        ("revenue_removed_share", _("Share of raw sales revenue removed by cleaning"), clean.sales_removed_share(audit, gross_sales), "%"),
        ("returns_removed", _("Returns and cancellations in the raw data"), returns, currency),
        ("clean_revenue", _("Clean revenue in the analysis window"), float(a.loc["kept", "revenue"]), currency),
        ("customers", _("Customers (with an id)"), customers, "customers"),
        ("cleaning_warnings", _("Cleaning warnings (see 01)"), warnings, "count"),
    ]


def segmentation_items(profile: pd.DataFrame, *, one_time: float, k: int | None) -> list[tuple]:
    """Notebook 03: the revenue share and count of Champions and Loyal customers, the customers to win back
    (At risk, Can't lose them), the one-time buyers' share and the number of clusters ("none" without)."""
    seg = profile.set_index("segment")
    return [
        ("champions_revenue_share", _("Revenue share of Champions and Loyal customers"), seg.loc[["Champions", "Loyal customers"], "revenue_share"].sum(), "%"),
        ("champions_loyal", _("Champions and Loyal customers"), int(seg.loc[["Champions", "Loyal customers"], "customers"].sum()), "customers"),
        ("win_back", _("Customers to win back (At risk, Can't lose them)"), int(seg.loc[["At risk", "Can't lose them"], "customers"].sum()), "customers"),
        ("one_time_share", _("Share of customers with one order"), one_time, "%"),
        ("clusters", _("Customer clusters (k-means, k by silhouette)"), k if k else _("none"), "clusters" if k else ""),
    ]


def segmentation_customers(per_customer: pd.DataFrame) -> pd.DataFrame:
    """Notebook 03's customer columns for the action table: RFM segment, RFM score cell and cluster."""
    return per_customer[["customer_id"]].assign(rfm_segment=per_customer["segment"].astype(str),
                                                rfm_score=per_customer["rfm_cell"], cluster=per_customer["cluster"])


def cross_sell_items(results: tuple | None, *, k: int, currency: str) -> list[tuple]:
    """Notebook 06: customers with an offer, the share of first offers from rules, the rules' next-basket hit rate
    at ``k``, and the tier-up customers and gain. ``results`` is ``(offers, evaluation, tier-up potential)``,
    None when the data has no products (every number NaN)."""
    offers, evaluation, potential = results if results is not None else (None, None, None)
    first = offers[offers["rank"] == 1] if offers is not None else None
    rules_eval = (evaluation[(evaluation["method"] == "rules") & (evaluation["protocol"] == "next_basket")]
                  if evaluation is not None and len(evaluation) else None)
    return [
        ("customers_with_offer", _("Customers with a next best offer"), first["customer_id"].nunique() if first is not None else NAN, "customers"),
        ("offers_from_rules", _("Share of first offers backed by an association rule"),
         (first["source"] == "rule").mean() if first is not None and len(first) else NAN, "%"),
        ("offer_hit_rate", _("Top-{k} offers: share of customers whose next basket held one", k=k),
         rules_eval["hit_rate"].iloc[0] if rules_eval is not None and len(rules_eval) else NAN, "%"),
        ("tier_up_customers", _("Customers who buy only the lowest price tier of a category"),
         potential["customer_id"].nunique() if potential is not None else NAN, "customers"),
        ("tier_up_gain", _("Spend gained if they moved one tier up"), potential["gain_one_up"].sum() if potential is not None else NAN, currency),
    ]


def offer_customers(offers: pd.DataFrame | None) -> pd.DataFrame:
    """Notebook 06's customer columns: each customer's first offer (its name, else the item) and why. Without
    products the table is empty: the notebook ran and found no offer, which reads "no offer", not "unknown"."""
    if offers is None:
        return pd.DataFrame(columns=["customer_id", "next_best_offer", "offer_reason"])
    first = offers[offers["rank"] == 1]
    return first.assign(next_best_offer=first["name"].fillna(first["item"]), offer_reason=first["reason"])[
        ["customer_id", "next_best_offer", "offer_reason"]]


def churn_items(test, metrics: pd.DataFrame, best: str | None, scored: pd.DataFrame | None, be: dict | None, *,
                horizon_days: int, currency: str) -> list[tuple]:
    """Notebook 05: the test set's churn rate, the chosen model's ROC AUC, the customers with a churn risk of 50 %
    or more, and the best campaign's size and return (NaN where the run has no test set, model or plan)."""
    from helpers.models.churn import MODEL_NAMES

    auc = metrics.set_index("score")["roc_auc"].get(MODEL_NAMES.get(best), NAN) if best else NAN
    return [
        ("churn_rate_test", _("Churn rate: no purchase in {days} days (test cut-off)", days=horizon_days),
         test.summary()["churn rate"] if test is not None else NAN, "%"),
        ("churn_model_auc", _("Churn model ROC-AUC on the out-of-time test"), auc, ""),
        ("high_risk_customers", _("Active customers with churn risk of 50 % or more"),
         int((scored["churn_risk"] >= 0.5).sum()) if scored is not None else NAN, "customers"),
        ("campaign_size", _("Customers worth a retention contact"), be["best_n"] if be else NAN, "customers"),
        ("campaign_return", _("Expected return of that campaign"), be["best_return"] if be else NAN, currency),
    ]


def profile_items(tests: pd.DataFrame, regions: pd.DataFrame | None, rates: pd.DataFrame | None, *, alpha: float,
                  rate_column: str) -> list[tuple]:
    """Notebook 10: the significant cross-tabs, the top region's revenue share (with regions) and the purchase
    rate ratio of each non-reference level of ``rate_column`` (with per-level fits)."""
    items = [("profiles_significant_tables", _("Group x attribute tables with a significant difference"), int((tests["p_value"] < alpha).sum()), "tables")]
    if regions is not None:
        top = regions.sort_values("revenue", ascending=False).iloc[0]
        items.append(("profiles_top_region_revenue_share", _("Revenue share of the largest region ({region})", region=top["region"]),
                      float(top["share_revenue"]), "%"))
    if rates is not None:
        for _unused, r in rates[rates["level"] != rates.attrs["reference"]].iterrows():
            items.append((f"profiles_rate_ratio_{r['level']}", _("Purchase rate of {column} {level} vs {reference}", column=rate_column,
                          level=r["level"], reference=rates.attrs["reference"]), float(r["rate_ratio"]), "x"))
    return items


def campaign_items(data, windows: pd.DataFrame | None, camp: pd.DataFrame | None, types: pd.DataFrame | None, *,
                   currency: str) -> list[tuple]:
    """Notebook 08: the campaigns and customers reached, the overall response rate, the best campaign type's
    response rate (``types`` sorted best first) and the responders' revenue; NaN where the run lacks exposures
    (``data.ready``) or responses (``data.has_responses``)."""
    best = types.iloc[0] if data.has_responses and len(types) else None
    return [
        ("campaigns", _("Campaigns analysed"), len(windows) if data.ready else NAN, "count"),
        ("customers_reached", _("Customers reached by a campaign"), data.exposures["customer_id"].nunique() if data.ready else NAN, "customers"),
        ("campaign_response_rate", _("Campaign response rate (all campaigns)"),
         camp["responders"].sum() / camp["reached"].sum() if data.has_responses else NAN, "%"),
        ("best_type_response_rate", _("Response rate of the best campaign type ({type})", type=best["campaign_type"] if best is not None else "–"),
         best["response_rate"] if best is not None else NAN, "%"),
        ("responder_revenue", _("Responders' revenue in the campaign windows"), camp["responder_revenue"].sum() if data.has_responses else NAN, currency),
    ]


def voice_items(h: dict, *, delay, back: pd.DataFrame | None, hazard, came_back_days: int) -> list[tuple]:
    """Notebook 09: reviews, mean score, low-score share, the late-delivery score gap, the complaint rate, the
    share of complainers who came back, and the complaint hazard factor (NaN where not measured)."""
    late_gap = delay.mean_gap["diff"] if delay is not None else NAN
    return [
        ("reviews", _("Reviews and complaints"), h["reviews"], "count"),
        ("mean_score", _("Mean review score (1-5)"), round(h["mean_score"], 2), ""),
        ("low_score_share", _("Share of 1-2 star reviews"), h["low_share"], "%"),
        ("late_delivery_score_gap", _("Mean score of late minus on-time deliveries (points)"), round(late_gap, 2), ""),
        ("complaint_rate", _("Complaint rate (complaints / feedback)"), h["complaint_rate"], "%"),
        ("complainers_came_back", _("Complainers who ordered again within {days} days", days=came_back_days),
         back.set_index("group").loc["complained", "share"] if back is not None else NAN, "%"),
        ("complaint_hazard_factor", _("Complaint effect on dropout hazard (k, 1 = none)"), round(hazard.k, 2) if hazard is not None else NAN, ""),
    ]


def voice_customers(customers: pd.DataFrame) -> pd.DataFrame | None:
    """Notebook 09's customer columns (complaints, complaint rate, mean score); None without customers."""
    return customers[["customer_id", "complaints", "complaint_rate", "mean_score"]] if len(customers) else None


def clv_items(base: pd.DataFrame, value_col: str, *, actions: pd.DataFrame | None, fits,
              horizon_months: int, currency: str) -> list[tuple]:
    """Notebook 04: the customers valued, the total of ``value_col`` (``"clv"``: predicted CLV; else historical
    gross margin, when no model gave a CLV), the top 20 %'s share of it, the valuable customers likely lost, and
    the model. A historical total and its share are other measures, under their own keys (``margin_total``,
    ``margin_top20_share``, as ``customers_at_risk_p_alive`` beside ``customers_at_risk``): the brief, the run
    index and the KPI history never call them a predicted CLV or compare them with one."""
    from helpers import i18n
    from helpers.models.clv import top_share_of_value

    predicted = value_col == "clv"
    prefix = "clv" if predicted else "margin"
    return [
        ("customers_valued", _("Customers valued"), len(base), "customers"),
        (f"{prefix}_total", _("Predicted {months}-month CLV (gross margin, discounted), all customers", months=horizon_months) if predicted else _("Historical gross margin, all customers"),
         float(base[value_col].sum()), currency),
        (f"{prefix}_top20_share", _("Share of {value} held by the top 20 % of customers", value=i18n.column(value_col)), top_share_of_value(base[value_col], 0.2), "%"),
        ("high_value_low_p_alive", _("High-value customers with low P(alive) to act on"), len(actions) if actions is not None else NAN, "customers"),
        ("clv_model", _("Model behind the CLV (purchases + spend)"), i18n.say(fits.phrase(reasons=False)) if predicted else _("Tiers by historical gross margin (no CLV model)"), ""),
    ]


def clv_customers(value: pd.DataFrame | None, hist: pd.DataFrame) -> pd.DataFrame:
    """Notebook 04's customer columns: P(alive), expected purchases and CLV with its interval; without predicted
    values, the customer ids only."""
    if value is not None:
        return value[["customer_id", "p_alive", "expected_purchases", "clv", "clv_low", "clv_high"]]
    return hist[["customer_id"]]


def validation_items(checks: pd.DataFrame, accuracy: pd.DataFrame | None, *, holdout_months: float) -> list[tuple]:
    """Notebook 12: the checks passed on the run's own data (the planted truth, the holdout) and, apart, the reference
    checks on CDNOW's published estimates, which test the code and say nothing of these data; then the model's
    holdout RMSE. A count with no check behind it is NaN ("not available"), not "0 / 0"."""
    own, ref = own_and_reference(checks)
    rmse = (accuracy.query("target == 'purchases' and bucket == 'all' and forecast == 'model'")["rmse"]
            if accuracy is not None else pd.Series(dtype=float))
    return [
        ("checks_passed", _("Checks passed on this run's data"),
         f"{int(own.sum())} / {len(own)}" if len(own) else NAN, ""),
        ("checks_pass_share", _("Share of the checks on this run's data passed"), own.mean() if len(own) else NAN, "%"),
        ("reference_checks_passed", _("Reference checks passed (CDNOW's published estimates, a test of the code)"),
         f"{int(ref.sum())} / {len(ref)}" if len(ref) else NAN, ""),
        ("holdout_purchase_rmse",
         _("Holdout purchases per customer: model RMSE ({months} months)", months=holdout_months),
         float(rmse.iloc[0]) if len(rmse) else NAN, ""),
    ]
