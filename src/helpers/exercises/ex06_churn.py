"""Stage ex06 · Churn (*müşteri kaybı*): labels at a cut-off, a first risk score, survival.

Expected answers come from :func:`helpers.models.churn.churn_labels` (cut-off = analysis date
minus the horizon), :func:`helpers.features.customers.rfm_table` at the cut-off, scikit-learn's ROC-AUC,
and :func:`helpers.models.churn.active_lifetimes` with a Kaplan-Meier fit (lifelines).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.features import customers
from helpers.models import churn
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, Mistake, Unavailable, register

HORIZON_DAYS = 90
ACTIVE_DAYS = 365
SURVIVAL_DAYS = 180
#: the values filled into the {fields} of the texts (translated with them in place)
FIELDS = {"horizon_days": HORIZON_DAYS, "active_days": ACTIVE_DAYS, "survival_days": SURVIVAL_DAYS}


def cutoff(ctx) -> dt.date:
    return ctx.prep.end - dt.timedelta(days=HORIZON_DAYS)


def labels(ctx) -> pd.DataFrame:
    def make():
        lab = churn.churn_labels(ctx.lines, cutoff=cutoff(ctx), horizon_days=HORIZON_DAYS)
        if lab.empty:
            raise Unavailable(N_("no customer bought before the cut-off"))
        lab["customer_id"] = lab["customer_id"].astype("string")
        return lab

    return ctx.memo("churn_labels", make)


def rfm_at(ctx, day: dt.date) -> pd.DataFrame:
    def make():
        r = customers.rfm_table(ctx.lines, analysis_date=day).execute()
        r["customer_id"] = r["customer_id"].astype("string")
        return r

    return ctx.memo(f"rfm_at:{day}", make)


def _scored(ctx, day: dt.date) -> pd.DataFrame:
    return labels(ctx).merge(rfm_at(ctx, day)[["customer_id", "recency_days"]], on="customer_id", how="left")


def _auc(ctx, day: dt.date) -> float:
    from sklearn.metrics import roc_auc_score

    s = _scored(ctx, day)
    if s["churned"].nunique() < 2:
        raise Unavailable(N_("every customer has the same churn label: no AUC"))
    return float(roc_auc_score(s["churned"], s["recency_days"]))


def lifetimes(ctx) -> pd.DataFrame:
    return ctx.memo("lifetimes", lambda: churn.active_lifetimes(ctx.lines, analysis_date=ctx.prep.end, lapse_days=HORIZON_DAYS))


def _km_survival(ctx) -> float:
    from lifelines import KaplanMeierFitter

    life = lifetimes(ctx)
    if life.empty or life["duration_days"].max() < SURVIVAL_DAYS:
        raise Unavailable(N_("no lifetime reaches {survival_days} days in this data"), survival_days=SURVIVAL_DAYS)
    km = KaplanMeierFitter().fit(life["duration_days"], life["churned"])
    return float(km.predict(SURVIVAL_DAYS))


EXERCISES = [
    Exercise(
        "ex06.churn_rate",
        N_("Churn rate at a cut-off"),
        N_("Take a cut-off {horizon_days} days before the analysis date. Of the customers who had bought by the "
           "cut-off, what share bought **nothing** in the {horizon_days} days after it (churned)? Give a fraction "
           "between 0 and 1."),
        N_("`churn.churn_labels(lines, cutoff=..., horizon_days={horizon_days})` gives the label `churned`; "
           "the cut-off is the analysis date minus {horizon_days} days (`prep.end - datetime.timedelta(days={horizon_days})`)."),
        lambda ctx: float(labels(ctx)["churned"].mean()),
        SHARE,
        (Mistake("no_cutoff", lambda ctx: float((rfm_at(ctx, ctx.prep.end)["recency_days"] >= HORIZON_DAYS).mean()),
                 N_("you judged every customer on the analysis date (no purchase in the last {horizon_days} days), "
                    "new customers of the label window included; take the customers seen by the cut-off and look "
                    "at the window after it")),
         Mistake("retention", lambda ctx: float(1 - labels(ctx)["churned"].mean()),
                 N_("that is the share who bought again (1 − churn rate)"))),
        fields=FIELDS,
    ),
    Exercise(
        "ex06.active_at_cutoff",
        N_("Active customers at the cut-off"),
        N_("How many customers were **active** at that cut-off: a purchase in the {active_days} days up to it "
           "(recency at the cut-off below {active_days} days)? Give a whole number (customers)."),
        N_("`customers.rfm_table(lines, analysis_date=cutoff).execute()` gives `recency_days` at the cut-off."),
        lambda ctx: int((rfm_at(ctx, cutoff(ctx))["recency_days"] < ACTIVE_DAYS).sum()),
        COUNT,
        (Mistake("orders", lambda ctx: int(rfm_at(ctx, cutoff(ctx)).query(f"recency_days < {ACTIVE_DAYS}")["frequency"].sum()),
                 N_("you counted orders, not customers")),
         Mistake("all_seen", lambda ctx: int(len(rfm_at(ctx, cutoff(ctx)))),
                 N_("you counted every customer seen by the cut-off; active means a purchase in the {active_days} days up to it")),
         Mistake("at_analysis_date", lambda ctx: int((rfm_at(ctx, ctx.prep.end)["recency_days"] < ACTIVE_DAYS).sum()),
                 N_("wrong date: you measured on the analysis date, not at the cut-off"))),
        fields=FIELDS,
    ),
    Exercise(
        "ex06.recency_auc",
        N_("Recency as a churn score"),
        N_("How well does recency **at the cut-off** (days since the last purchase) rank the churners of the label "
           "window? Give the ROC-AUC of recency as the score (0.5 = chance, 1 = perfect), to three decimals."),
        N_("Merge the labels with `recency_days` of the RFM table at the cut-off, then "
           "`sklearn.metrics.roc_auc_score(churned, recency_days)`."),
        lambda ctx: _auc(ctx, cutoff(ctx)),
        NUMBER(rel_tol=0.0, abs_tol=0.0015),
        (Mistake("reversed", lambda ctx: 1 - _auc(ctx, cutoff(ctx)),
                 N_("the score is reversed: a longer recency means a higher churn risk (your AUC is 1 − the right one)")),
         Mistake("leakage", lambda ctx: _auc(ctx, ctx.prep.end),
                 N_("leakage: you measured recency on the analysis date, after the label window; a feature may use "
                    "only purchases up to the cut-off"))),
    ),
    Exercise(
        "ex06.survival",
        N_("Survival"),
        N_("With `churn.active_lifetimes(lines, analysis_date=prep.end, lapse_days={horizon_days})`, estimate with "
           "**Kaplan–Meier** the share of customers still active **{survival_days} days** after their first purchase. "
           "Give a fraction between 0 and 1."),
        N_("`lifelines.KaplanMeierFitter().fit(life[\"duration_days\"], life[\"churned\"]).predict(180)`; customers "
           "with `churned = 0` are censored, not lost."),
        lambda ctx: _km_survival(ctx),
        SHARE,
        (Mistake("naive", lambda ctx: float((lifetimes(ctx)["duration_days"] > SURVIVAL_DAYS).mean()),
                 N_("you counted lifetimes above the threshold among all customers, so censored customers (still "
                    "active, churned = 0) count as lost; Kaplan–Meier keeps them at risk until their censoring time")),
         Mistake("churned_only", lambda ctx: float((lifetimes(ctx).query("churned == 1")["duration_days"] > SURVIVAL_DAYS).mean()),
                 N_("you dropped the censored customers; they are still active and belong in the estimate"))),
        fields=FIELDS,
    ),
]

register("ex06", "ex06_churn", N_("Churn"), EXERCISES)
