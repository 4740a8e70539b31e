"""Stage ex01 · Data cleaning (*veri temizleme*): the audit, kept revenue, customers and revenue.

Expected answers come from the cleaning audit that :func:`helpers.pipeline.prepare` wrote
(:func:`helpers.clean.audit_table`) and from the clean lines.
"""
from __future__ import annotations

import pandas as pd

from helpers.clean import RULES
from helpers.i18n import N_
from helpers.exercises.core import COUNT, NUMBER, SHARE, TEXT, Exercise, Mistake, Unavailable, register


def audit(ctx) -> pd.DataFrame:
    """The cleaning audit, indexed by rule."""
    return ctx.memo("audit", lambda: ctx.prep.read("audit").set_index("rule"))


def _clean(ctx) -> pd.DataFrame:
    return ctx.memo("clean_lines", lambda: ctx.prep.lines(["invoice", "customer_id", "amount"]))


def _rules(ctx) -> pd.DataFrame:
    """The rule rows only: not ``kept``, ``raw total`` or the information rows below it."""
    a = audit(ctx)
    return a.loc[[r for r in RULES if r in a.index]]


def _removed_most(ctx, column: str) -> str:
    r = _rules(ctx)
    if r["lines"].sum() == 0:
        raise Unavailable(N_("no cleaning rule removed a line in this data"))
    return str(r[column].idxmax())


EXERCISES = [
    Exercise(
        "ex01.raw_lines",
        N_("Lines read"),
        N_("How many sales lines did the source hold **before** cleaning? Give a whole number (lines)."),
        N_("The audit (`prep.read(\"audit\")`) has a row `raw total`; or count the rows of `prep.raw_lines()`."),
        lambda ctx: int(audit(ctx).loc["raw total", "lines"]),
        COUNT,
        (Mistake("kept_lines", lambda ctx: int(audit(ctx).loc["kept", "lines"]),
                 N_("you counted the lines kept after cleaning; the question asks for every line read, before cleaning")),
         Mistake("invoices", lambda ctx: int(ctx.prep.raw_lines(["invoice"])["invoice"].nunique()),
                 N_("you counted invoices (orders), not lines: an order has several lines"))),
    ),
    Exercise(
        "ex01.kept_revenue_share",
        N_("Revenue kept"),
        N_("What share of the raw revenue is kept after cleaning? Give a fraction between 0 and 1."),
        N_("Revenue of the `kept` row divided by revenue of the `raw total` row of the audit."),
        lambda ctx: float(audit(ctx).loc["kept", "revenue"] / audit(ctx).loc["raw total", "revenue"]),
        SHARE,
        (Mistake("line_share", lambda ctx: float(audit(ctx).loc["kept", "lines"] / audit(ctx).loc["raw total", "lines"]),
                 N_("that is the share of lines kept; the question asks for the share of revenue")),
         Mistake("removed", lambda ctx: 1 - float(audit(ctx).loc["kept", "revenue"] / audit(ctx).loc["raw total", "revenue"]),
                 N_("that is the share of revenue removed, not kept"))),
    ),
    Exercise(
        "ex01.top_rule",
        N_("The costliest rule"),
        N_("Which cleaning rule removed lines with the **largest revenue** (sum of their amounts)? Give the rule's "
           "name as in the audit, e.g. `\"duplicate\"`."),
        N_("Keep the rule rows above `kept` (leave out `kept`, `raw total` and the information rows below it), then "
           "take the rule with the largest `revenue` (returns are negative, so they cannot be it)."),
        lambda ctx: _removed_most(ctx, "revenue"),
        TEXT,
        (Mistake("by_lines", lambda ctx: _removed_most(ctx, "lines"),
                 N_("you ranked the rules by lines removed; the question asks for revenue")),),
    ),
    Exercise(
        "ex01.customers",
        N_("Customers"),
        N_("How many customers (distinct customer ids) have at least one clean line? Give a whole number (customers)."),
        N_("Count distinct `customer_id` values of `prep.lines()`; lines without an id are guests, not a customer."),
        lambda ctx: int(_clean(ctx)["customer_id"].nunique()),
        COUNT,
        (Mistake("with_guests", lambda ctx: int(_clean(ctx)["customer_id"].nunique(dropna=False)),
                 N_("you counted the guests (lines without a customer id) as one more customer")),
         Mistake("orders", lambda ctx: int(_clean(ctx).dropna(subset=["customer_id"])["invoice"].nunique()),
                 N_("you counted orders, not customers")),
         Mistake("raw_customers", lambda ctx: int(audit(ctx).loc["raw total", "customers"]),
                 N_("you counted the customers of the raw data, before cleaning"))),
    ),
    Exercise(
        "ex01.clean_revenue",
        N_("Clean revenue"),
        N_("What is the total revenue of the clean lines (guests included)? Give it in the data's currency."),
        N_("Sum `amount` over `prep.lines()`, or read the `kept` row of the audit."),
        lambda ctx: float(audit(ctx).loc["kept", "revenue"]),
        NUMBER(rel_tol=1e-4),
        (Mistake("raw_revenue", lambda ctx: float(audit(ctx).loc["raw total", "revenue"]),
                 N_("you summed the raw lines: revenue including cancellations, duplicates and the other removed lines")),
         Mistake("no_guests", lambda ctx: float(audit(ctx).loc["kept", "revenue"] - audit(ctx).loc["guests (kept)", "revenue"]),
                 N_("you left the guests out; the shop's revenue includes their lines"))),
    ),
]

register("ex01", "ex01_cleaning", N_("Data cleaning"), EXERCISES)
