"""Stage ex05 · Customer lifetime value (*müşteri yaşam boyu değeri, CLV*).

Expected answers come from the prepared buy-till-you-die summary
(:func:`helpers.features.customers.btyd_summary`), :func:`helpers.models.clv.historical_value`,
:func:`~helpers.models.clv.top_share_of_value` and a BG/NBD fit
(:func:`~helpers.models.clv.fit_purchase_model`, maximum likelihood) with
:func:`~helpers.models.clv.expected_purchases` and :func:`~helpers.models.clv.p_alive`.
"""
from __future__ import annotations

import pandas as pd

from helpers.features import customers
from helpers.models import clv
from helpers.i18n import N_, NP_
from helpers.exercises.core import NUMBER, SHARE, Exercise, Mistake, Unavailable, register
from helpers.exercises.ex03_rfm import rfm

MARGIN = 0.30
HORIZON_MONTHS = 12
#: the values filled into the {fields} of the texts (translated with them in place)
FIELDS = {"margin": MARGIN, "margin_pct": f"{MARGIN * 100:.0f}", "horizon_months": HORIZON_MONTHS}


def btyd(ctx) -> pd.DataFrame:
    return ctx.memo("btyd", lambda: ctx.prep.read("customers_btyd"))


def unit(ctx) -> str:
    return ctx.prep.meta["time_unit"]


def months_in_unit(ctx) -> float:
    """One month (365.25 / 12 days) in the summary's time unit."""
    return customers.UNIT_DAYS["M"] / customers.UNIT_DAYS[unit(ctx)]


def fit(ctx):
    def make():
        try:
            return clv.fit_purchase_model(btyd(ctx), model="bgnbd", method="map", time_unit=unit(ctx),
                                          standard_errors=False)
        except clv.ModelFitError as exc:
            raise Unavailable(N_("no BG/NBD model can be fitted on this data: {error}"), error=exc) from None

    return ctx.memo("bgnbd", make)


def _history(ctx, margin: float) -> pd.DataFrame:
    return clv.historical_value(rfm(ctx), margin=margin)


def _expected(ctx, future_t: float) -> float:
    return float(clv.expected_purchases(fit(ctx), btyd(ctx), future_t).sum())


EXERCISES = [
    Exercise(
        "ex05.repeat_share",
        N_("Repeat buyers"),
        N_("In the buy-till-you-die summary (`prep.read(\"customers_btyd\")`), what share of customers bought on "
           "**more than one day** (frequency > 0)? Give a fraction between 0 and 1."),
        N_("There `frequency` counts repeat purchase **days** (distinct days − 1), not orders."),
        lambda ctx: float((btyd(ctx)["frequency"] > 0).mean()),
        SHARE,
        (Mistake("orders", lambda ctx: float((rfm(ctx)["frequency"] > 1).mean()),
                 N_("you counted orders (RFM frequency > 1); two orders on one day are one purchase day here")),
         Mistake("one_time", lambda ctx: float((btyd(ctx)["frequency"] == 0).mean()),
                 N_("that is the share of customers who bought on one day only"))),
    ),
    Exercise(
        "ex05.margin_total",
        N_("Historical value"),
        N_("What gross margin have the customers brought so far, at a margin of {margin_pct}% of revenue? "
           "Give it in the data's currency."),
        N_("`clv.historical_value(prep.read(\"customers_rfm\"), margin={margin})`, column `gross_margin`."),
        lambda ctx: float(_history(ctx, MARGIN)["gross_margin"].sum()),
        NUMBER(rel_tol=1e-3),
        (Mistake("revenue", lambda ctx: float(_history(ctx, MARGIN)["revenue"].sum()),
                 N_("that is revenue; the gross margin is {margin_pct}% of it")),
         Mistake("with_guests", lambda ctx: MARGIN * float(ctx.prep.read("audit").set_index("rule").loc["kept", "revenue"]),
                 N_("you included the guests' revenue; value is measured per customer, and guests have no id"))),
        fields=FIELDS,
    ),
    Exercise(
        "ex05.top20_share",
        N_("Value concentration"),
        N_("What share of the customers' revenue comes from the **top 20 %** of customers by revenue? "
           "Give a fraction between 0 and 1."),
        N_("`clv.top_share_of_value(revenue, 0.2)` with revenue per customer (`monetary` of the RFM table); "
           "the top 20 % are the best ceil(0.2 × n) customers."),
        lambda ctx: clv.top_share_of_value(rfm(ctx)["monetary"], 0.2),
        SHARE,
        (Mistake("rest", lambda ctx: 1 - clv.top_share_of_value(rfm(ctx)["monetary"], 0.2),
                 N_("that is the share of the other 80 % of customers")),),
    ),
    Exercise(
        "ex05.expected_purchases",
        N_("Expected purchases"),
        N_("Fit a BG/NBD model to the summary (`clv.fit_purchase_model(summary, model=\"bgnbd\", method=\"map\")`). "
           "How many purchases (purchase days) do all customers together make in the next **{horizon_months} months**? "
           "Give a number (purchases)."),
        N_("`clv.expected_purchases(fit, summary, future_t)` wants `future_t` in the summary's time unit "
           "(`prep.meta[\"time_unit\"]`): a month is 365.25 / 12 days."),
        lambda ctx: _expected(ctx, HORIZON_MONTHS * months_in_unit(ctx)),
        NUMBER(rel_tol=0.01),
        (Mistake("unit", lambda ctx: _expected(ctx, HORIZON_MONTHS),
                 N_("wrong time unit: future_t = {horizon_months} is {horizon_months} of the summary's units, not "
                    "{horizon_months} months; convert months to the unit first")),),
        fields=FIELDS,
    ),
    Exercise(
        "ex05.mean_p_alive",
        NP_("exercise title", "P(alive)"),
        N_("With the same fit, what is the customers' mean probability of still being active, **P(alive)**, on the "
           "analysis date? Give a fraction between 0 and 1."),
        N_("`clv.p_alive(fit, summary)` gives one probability per customer; take their mean over every customer."),
        lambda ctx: float(clv.p_alive(fit(ctx), btyd(ctx)).mean()),
        SHARE,
        (Mistake("repeat_only", lambda ctx: float(clv.p_alive(fit(ctx), btyd(ctx))[btyd(ctx)["frequency"].to_numpy() > 0].mean()),
                 N_("you averaged over repeat customers only; take every customer in the summary")),),
    ),
]

register("ex05", "ex05_clv", N_("Customer lifetime value"), EXERCISES)
