"""Figures of the cleaning notebook (01): raw vs clean lines and revenue."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers.clean import KEPT, RULES
from helpers import i18n
from helpers.i18n import pgettext, lookup, _
from helpers.plots.base import TEMPLATE, fmt_money


def cleaning_waterfall(audit: pd.DataFrame, currency: str) -> go.Figure:
    """Waterfall from raw revenue to clean revenue: one step per cleaning rule.

    Removing a line with negative revenue (a cancellation) raises the total, so those steps
    go up.
    """
    a = audit.set_index("rule")
    steps = [r for r in RULES if r in a.index and a.loc[r, "lines"] > 0]
    x = [_("raw revenue"), *[i18n.label(r, "rule_") for r in steps], _("clean revenue")]
    y = [a.loc["raw total", "revenue"], *[-a.loc[r, "revenue"] for r in steps], a.loc[KEPT, "revenue"]]
    measure = ["absolute", *["relative"] * len(steps), "total"]
    text = [fmt_money(v, currency) for v in y]
    fig = go.Figure(go.Waterfall(x=x, y=y, measure=measure, text=text, textposition="outside",
                                 connector={"line": {"color": "#999"}},
                                 decreasing={"marker": {"color": "#d62728"}},
                                 increasing={"marker": {"color": "#2ca02c"}},
                                 totals={"marker": {"color": "#1f77b4"}}))
    fig.update_layout(title=_("From raw to clean revenue: what each cleaning rule removed"),
                      xaxis_title=_("cleaning rule"), yaxis_title=_("revenue ({cur})", cur=currency),
                      template=TEMPLATE, height=480, showlegend=False)
    return fig


def lines_per_period(per_period: pd.DataFrame, period: str) -> go.Figure:
    """Bars of sales lines per period with the number of invoices as a line."""
    fig = go.Figure()
    fig.add_bar(x=per_period["period_start"], y=per_period["lines"], name=_("lines"), marker_color="#1f77b4")
    fig.add_scatter(x=per_period["period_start"], y=per_period["invoices"], name=_("invoices"),
                    mode="lines+markers", line={"color": "#ff7f0e"})
    p = i18n.period_name(period)
    fig.update_layout(title=_("Sales lines and invoices per {period} (raw data)", period=p), template=TEMPLATE, height=400,
                      xaxis_title=_("{period} (first day)", period=p), yaxis_title=_("count"),
                      legend={"orientation": "h", "y": -0.25})
    return fig


def revenue_raw_vs_clean(raw: pd.DataFrame, clean: pd.DataFrame, period: str, currency: str) -> go.Figure:
    """Grouped bars: raw and clean revenue per period (outputs of :func:`helpers.features.overview.lines_per_period`)."""
    fig = go.Figure()
    fig.add_bar(x=raw["period_start"], y=raw["revenue"], name=_("raw"), marker_color="#bbbbbb")
    fig.add_bar(x=clean["period_start"], y=clean["revenue"], name=_("clean"), marker_color="#1f77b4")
    p = i18n.period_name(period)
    fig.update_layout(title=_("Revenue per {period}: raw lines vs clean lines", period=p), barmode="group",
                      template=TEMPLATE, height=420, xaxis_title=_("{period} (first day)", period=p),
                      yaxis_title=_("revenue ({cur})", cur=currency), legend={"orientation": "h", "y": -0.25})
    return fig


def overlap_table(overlap: pd.DataFrame, currency: str):
    """The invoices that overlap the analysis window's edges, dates in the report language; ``None`` when none."""
    if not len(overlap):
        return None
    return (i18n.table(overlap.assign(start=overlap["start"].map(i18n.fmt_date), end=overlap["end"].map(i18n.fmt_date)),
                       {"invoices": "{:,}", "invoices_in_window": "{:,}", "lines": "{:,}", "revenue": "{:,.2f}"})
            .hide(axis="index").set_caption(_("Date windows in which whole invoices repeat (revenue in {currency})", currency=currency)))


def catch_all_table(catch_all: pd.DataFrame, shown, currency: str):
    """The catch-all customer ids (guest, walk-in ...) and what cleaning did with them; ``shown`` masks the ids
    as the config asks (``ctx.shown``); actions and yes / no in the report language. ``None`` when none."""
    if not len(catch_all):
        return None
    shown_ids = shown(catch_all).assign(
        action=catch_all["action"].map(lambda a: lookup("ca_" + a)),
        looks_placeholder=catch_all["looks_placeholder"].map({True: pgettext("word", "yes"), False: pgettext("word", "no")}),
        listed=catch_all["listed"].map({True: pgettext("word", "yes"), False: pgettext("word", "no")}))
    return (i18n.table(shown_ids, {"orders": "{:,}", "lines": "{:,}", "revenue": "{:,.2f}", "share_orders": "{:.1%}",
                                   "share_lines": "{:.1%}", "share_revenue": "{:.1%}"})
            .hide(axis="index").set_caption(_("Customer ids holding an implausible share of the orders or lines (revenue in {currency})", currency=currency)))


def sales_removed_note(audit: pd.DataFrame, gross_sales: float, currency: str) -> str:
    """The sentence: which share of the raw sales revenue cleaning removed, from what gross to what clean revenue."""
    from helpers.clean import sales_removed_share

    kept = audit.set_index("rule").loc["kept", "revenue"]
    return _("Cleaning removed {share} of the raw sale lines' revenue ({gross}); clean revenue is {clean}.", share=i18n.fmt_percent(sales_removed_share(audit, gross_sales)),
             gross=f"{i18n.fmt_number(gross_sales, 2)} {currency}", clean=f"{i18n.fmt_number(kept, 2)} {currency}")
