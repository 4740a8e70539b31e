"""Stage ex02 · Lifecycle KPIs and cohorts (*müşteri edinme, elde tutma, kohort*).

Expected answers come from :func:`helpers.features.lifecycle.kpi_table`, :func:`~helpers.features.lifecycle.cohort_table`
and the life-cycle stages (:func:`~helpers.features.lifecycle.stages_at` with thresholds from
:func:`~helpers.features.lifecycle.rules_from_gaps`), with the config's period.
"""
from __future__ import annotations

import pandas as pd

from helpers.features import lifecycle
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, SHARE, Exercise, Mistake, Unavailable, register


def kpis(ctx) -> pd.DataFrame:
    p = ctx.prep
    return ctx.memo("kpis", lambda: lifecycle.kpi_table(ctx.lines, period=p.config.analysis.period,
                                                        analysis_date=p.end, start=p.start))


def last_complete(ctx) -> pd.Series:
    k = kpis(ctx).reset_index(drop=True)
    ok = k.index[k["complete"] & (k.index > 0)]
    if len(ok) == 0:
        raise Unavailable(N_("the data has no complete period with a period before it"))
    return k.loc[int(ok[-1])]


def last_row(ctx) -> pd.Series:
    return kpis(ctx).iloc[-1]


def cohorts(ctx) -> pd.DataFrame:
    p = ctx.prep
    return ctx.memo("cohorts", lambda: lifecycle.cohort_table(ctx.lines, period=p.config.analysis.period,
                                                              analysis_date=p.end))


def _first_cohort_at(ctx, age: int, column: str = "retention") -> float:
    c = cohorts(ctx)
    first = c[c["cohort_index"] == c["cohort_index"].min()]
    cell = first[first["age"] == age]
    if cell.empty:
        raise Unavailable(N_("the first cohort has no age {age} yet"), age=age)
    return float(cell[column].iloc[0])


def stages(ctx) -> pd.DataFrame:
    def make():
        days = lifecycle.purchase_days(ctx.lines, analysis_date=ctx.prep.end)
        rules, _ = lifecycle.rules_from_gaps(days)
        return lifecycle.stages_at(days, ctx.prep.end, rules)

    return ctx.memo("stages", make)


def _orders_and_revenue(ctx) -> tuple[float, float, int]:
    k = kpis(ctx)
    n_lines = ctx.memo("n_clean_lines", lambda: int(ctx.prep.meta["n_clean_lines"]))
    return float(k["revenue"].sum()), float(k["orders"].sum()), n_lines



EXERCISES = [
    Exercise(
        "ex02.new_last_period",
        N_("New customers"),
        N_("How many **new** customers (first order in the period) came in the **last complete** period? Use "
           "the config's period (`prep.config.analysis.period`). Give a whole number (customers)."),
        N_("`lifecycle.kpi_table(lines, period=..., analysis_date=prep.end, start=prep.start)` has a column `new` and "
           "a column `complete`: take the last row with `complete == True`."),
        lambda ctx: int(last_complete(ctx)["new"]),
        COUNT,
        (Mistake("active", lambda ctx: int(last_complete(ctx)["active"]),
                 N_("you counted every active customer; new ones are those whose first order is in the period")),
         Mistake("partial_period", lambda ctx: int(last_row(ctx)["new"]),
                 N_("wrong period: the last row is cut by the analysis date (complete = False); take the last complete one"))),
    ),
    Exercise(
        "ex02.retention_last_period",
        N_("Retention rate"),
        N_("What is the **retention rate** of the last complete period: the customers active in it and in the "
           "period before, divided by the customers active in the period before? Give a fraction between 0 and 1."),
        N_("Column `retention_rate` of the KPI table (= retained / active of the period before)."),
        lambda ctx: float(last_complete(ctx)["retention_rate"]),
        SHARE,
        (Mistake("churn_rate", lambda ctx: float(last_complete(ctx)["churn_rate"]),
                 N_("that is the churn rate (1 − retention rate)")),
         Mistake("same_period_denominator", lambda ctx: float(last_complete(ctx)["retained"] / last_complete(ctx)["active"]),
                 N_("wrong denominator: divide by the customers active in the period before (k−1), not in period k")),
         Mistake("partial_period", lambda ctx: float(last_row(ctx)["retention_rate"]),
                 N_("wrong period: the last row is cut by the analysis date (complete = False); take the last complete one"))),
    ),
    Exercise(
        "ex02.aov",
        N_("Average order value"),
        N_("What is the **average order value** over the whole analysis window: revenue divided by orders "
           "(distinct invoices), guests included? Give it in the data's currency."),
        N_("Sum `revenue` and `orders` of the KPI table, then divide; or use the clean lines: `amount` sum / "
           "distinct `invoice`."),
        lambda ctx: _orders_and_revenue(ctx)[0] / _orders_and_revenue(ctx)[1],
        NUMBER(rel_tol=1e-3),
        (Mistake("per_customer", lambda ctx: _orders_and_revenue(ctx)[0] / len(ctx.prep.read("customers_rfm", ["customer_id"])),
                 N_("you divided by customers, not orders: that is revenue per customer")),
         Mistake("per_line", lambda ctx: _orders_and_revenue(ctx)[0] / _orders_and_revenue(ctx)[2],
                 N_("you divided by sales lines; an order is a distinct invoice with one or more lines")),
         Mistake("customers_only", lambda ctx: float(kpis(ctx)["customer_revenue"].sum() / kpis(ctx)["customer_orders"].sum()),
                 N_("you left the guests' orders out; the average order value counts every order"))),
    ),
    Exercise(
        "ex02.first_cohort_age1",
        N_("Cohort retention"),
        N_("For the **first cohort** (customers whose first order is in the data's first period), what share of the "
           "cohort was active again **one period later** (age 1)? Give a fraction between 0 and 1."),
        N_("`lifecycle.cohort_table(lines, period=..., analysis_date=prep.end)`: the row of the smallest "
           "`cohort_index` with `age == 1`, column `retention` (= active / cohort_size)."),
        lambda ctx: _first_cohort_at(ctx, 1),
        SHARE,
        (Mistake("count", lambda ctx: _first_cohort_at(ctx, 1, "active"),
                 N_("that is the number of customers; give the share of the cohort")),
         Mistake("age0", lambda ctx: _first_cohort_at(ctx, 0),
                 N_("age 0 is the cohort's first period (always 100 %); take age 1, the next period")),
         Mistake("age2", lambda ctx: _first_cohort_at(ctx, 2),
                 N_("off by one: age 1 is the period right after the first one, not two periods later"))),
    ),
    Exercise(
        "ex02.lost_customers",
        N_("Lost customers"),
        N_("How many customers are in the life-cycle stage **lost** on the analysis date, with the stage thresholds "
           "taken from the gaps between purchases (the defaults of `lifecycle.rules_from_gaps`)? Give a whole "
           "number (customers)."),
        N_("`days = lifecycle.purchase_days(lines, analysis_date=prep.end)`, `rules, _ = lifecycle.rules_from_gaps(days)`, "
           "`lifecycle.stages_at(days, prep.end, rules)`; count the stage `\"lost\"`."),
        lambda ctx: int((stages(ctx)["stage"] == "lost").sum()),
        COUNT,
        (Mistake("with_at_risk", lambda ctx: int(stages(ctx)["stage"].isin(["lost", "at risk"]).sum()),
                 N_("you counted the customers at risk too; lost means silent for longer than lost_days")),),
    ),
]

register("ex02", "ex02_lifecycle", N_("Lifecycle KPIs and cohorts"), EXERCISES)
