"""Figures of the cleaning notebook (01): raw vs clean lines and revenue."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers.clean import KEPT, RULES
from helpers import i18n
from helpers.i18n import _
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
