"""Stage ex03 · RFM segmentation (*RFM bölümlendirme*).

Expected answers come from the prepared RFM table (:func:`helpers.features.customers.rfm_table`) and
:func:`helpers.models.segments.rfm_scores` / :func:`~helpers.models.segments.segment_profile`.
"""
from __future__ import annotations

import pandas as pd

from helpers.models import segments
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, Mistake, register


def rfm(ctx) -> pd.DataFrame:
    return ctx.memo("rfm", lambda: ctx.prep.read("customers_rfm").astype({"customer_id": "string"}))


def scored(ctx) -> pd.DataFrame:
    return ctx.memo("rfm_scored", lambda: segments.rfm_scores(rfm(ctx)))


def profile(ctx) -> pd.DataFrame:
    return ctx.memo("rfm_profile", lambda: segments.segment_profile(scored(ctx)).set_index("segment"))


def _champions(ctx) -> pd.DataFrame:
    s = scored(ctx)
    return s[s["segment"] == "Champions"]


EXERCISES = [
    Exercise(
        "ex03.mean_recency",
        N_("Mean recency"),
        N_("What is the customers' mean **recency** on the analysis date, in days? Recency is the analysis date minus "
           "the day of the last purchase (0 = bought on the analysis date)."),
        N_("`prep.read(\"customers_rfm\")` has `recency_days`; or compute it from `last_purchase` and `prep.end`."),
        lambda ctx: float(rfm(ctx)["recency_days"].mean()),
        NUMBER(rel_tol=1e-3),
        (Mistake("plus_one", lambda ctx: float(rfm(ctx)["recency_days"].mean() + 1),
                 N_("off by one: recency is 0 when the customer bought on the analysis date (do not add a day)")),
         Mistake("weeks", lambda ctx: float(rfm(ctx)["recency_days"].mean() / 7),
                 N_("give days, not weeks"))),
    ),
    Exercise(
        "ex03.champions",
        N_("Champions"),
        N_("Score the customers with `segments.rfm_scores`. How many customers are in the segment **Champions**? "
           "Give a whole number (customers)."),
        N_("`scored = segments.rfm_scores(prep.read(\"customers_rfm\"))`, then count `scored[\"segment\"] == \"Champions\"`."),
        lambda ctx: int(len(_champions(ctx))),
        COUNT,
        (Mistake("with_loyal", lambda ctx: int(scored(ctx)["segment"].isin(["Champions", "Loyal customers"]).sum()),
                 N_("you counted the Loyal customers as well; take the Champions only")),
         Mistake("orders", lambda ctx: int(_champions(ctx)["frequency"].sum()),
                 N_("you counted the champions' orders, not the customers"))),
    ),
    Exercise(
        "ex03.champions_revenue_share",
        N_("The champions' revenue"),
        N_("What share of the customers' revenue do the **Champions** bring? Give a fraction between 0 and 1."),
        N_("Sum `monetary` of the Champions and divide by the sum over all customers "
           "(or `segments.segment_profile(scored)`, column `revenue_share`)."),
        lambda ctx: float(profile(ctx).loc["Champions", "revenue_share"]),
        SHARE,
        (Mistake("customer_share", lambda ctx: float(profile(ctx).loc["Champions", "share"]),
                 N_("that is the champions' share of customers, not of revenue")),),
    ),
    Exercise(
        "ex03.one_time_share",
        N_("One-time buyers"),
        N_("What share of customers placed exactly **one order**? Give a fraction between 0 and 1."),
        N_("`frequency` in the RFM table counts orders (distinct invoices)."),
        lambda ctx: float((rfm(ctx)["frequency"] == 1).mean()),
        SHARE,
        (Mistake("count", lambda ctx: int((rfm(ctx)["frequency"] == 1).sum()),
                 N_("that is the number of one-time buyers; give their share of all customers")),
         Mistake("repeat", lambda ctx: float((rfm(ctx)["frequency"] > 1).mean()),
                 N_("that is the share of repeat customers (two or more orders)"))),
    ),
]

register("ex03", "ex03_rfm", N_("RFM segmentation"), EXERCISES)
