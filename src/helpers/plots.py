"""Plot recipes: each takes a small table, returns a figure with a title, axis labels and units.

Interactive figures use plotly; :func:`setup_notebook` makes them render in JupyterLab and
in the HTML reports with plotly.js embedded (the reports open offline).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import PlotlyRenderer

from .clean import KEPT, RULES

TEMPLATE = "plotly_white"


class _OfflineRenderer(PlotlyRenderer):
    """JupyterLab gets plotly's mime bundle; HTML reports get a ``text/html`` version whose first
    figure embeds plotly.js, with no MathJax or require.js fetched from the network."""

    plotlyjs_sent = False

    def to_mimebundle(self, fig_dict):
        bundle = super().to_mimebundle(fig_dict)
        bundle["text/html"] = pio.to_html(fig_dict, include_plotlyjs=not _OfflineRenderer.plotlyjs_sent,
                                          include_mathjax=False, full_html=False, default_width="100%")
        _OfflineRenderer.plotlyjs_sent = True
        return bundle


def setup_notebook() -> None:
    """Render plotly figures both in JupyterLab (mime bundle) and in nbconvert HTML (inline plotly.js)."""
    pio.renderers["crm_offline"] = _OfflineRenderer()
    pio.renderers.default = "crm_offline"
    pio.templates.default = TEMPLATE
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 160)


def _fmt_money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def cleaning_waterfall(audit: pd.DataFrame, currency: str) -> go.Figure:
    """Waterfall from raw revenue to clean revenue: one step per cleaning rule.

    Removing a line with negative revenue (a cancellation) raises the total, so those steps
    go up.
    """
    a = audit.set_index("rule")
    steps = [r for r in RULES if r in a.index and a.loc[r, "lines"] > 0]
    x = ["raw revenue", *[r.replace("_", " ") for r in steps], "clean revenue"]
    y = [a.loc["raw total", "revenue"], *[-a.loc[r, "revenue"] for r in steps], a.loc[KEPT, "revenue"]]
    measure = ["absolute", *["relative"] * len(steps), "total"]
    text = [_fmt_money(v, currency) for v in y]
    fig = go.Figure(go.Waterfall(x=x, y=y, measure=measure, text=text, textposition="outside",
                                 connector={"line": {"color": "#999"}},
                                 decreasing={"marker": {"color": "#d62728"}},
                                 increasing={"marker": {"color": "#2ca02c"}},
                                 totals={"marker": {"color": "#1f77b4"}}))
    fig.update_layout(title="From raw to clean revenue: what each cleaning rule removed",
                      xaxis_title="cleaning rule", yaxis_title=f"revenue ({currency})",
                      template=TEMPLATE, height=480, showlegend=False)
    return fig


def lines_per_period(per_period: pd.DataFrame, period: str) -> go.Figure:
    """Bars of sales lines per period with the number of invoices as a line."""
    fig = go.Figure()
    fig.add_bar(x=per_period["period_start"], y=per_period["lines"], name="lines", marker_color="#1f77b4")
    fig.add_scatter(x=per_period["period_start"], y=per_period["invoices"], name="invoices",
                    mode="lines+markers", line={"color": "#ff7f0e"})
    fig.update_layout(title=f"Sales lines and invoices per {period} (raw data)", template=TEMPLATE, height=400,
                      xaxis_title=f"{period} (first day)", yaxis_title="count",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def revenue_raw_vs_clean(raw: pd.DataFrame, clean: pd.DataFrame, period: str, currency: str) -> go.Figure:
    """Grouped bars: raw and clean revenue per period (outputs of :func:`helpers.profile.lines_per_period`)."""
    fig = go.Figure()
    fig.add_bar(x=raw["period_start"], y=raw["revenue"], name="raw", marker_color="#bbbbbb")
    fig.add_bar(x=clean["period_start"], y=clean["revenue"], name="clean", marker_color="#1f77b4")
    fig.update_layout(title=f"Revenue per {period}: raw lines vs clean lines", barmode="group",
                      template=TEMPLATE, height=420, xaxis_title=f"{period} (first day)",
                      yaxis_title=f"revenue ({currency})", legend={"orientation": "h", "y": -0.25})
    return fig


def share_bars(table: pd.DataFrame, column: str, currency: str, title: str | None = None) -> go.Figure:
    """Horizontal bars of revenue by a category column (country, channel, category)."""
    t = table.sort_values("revenue")
    fig = go.Figure(go.Bar(x=t["revenue"], y=t[column].astype(str), orientation="h",
                           text=[f"{s:.1%}" for s in t["share_revenue"]], textposition="auto"))
    fig.update_layout(title=title or f"Revenue by {column}", template=TEMPLATE,
                      height=max(300, 28 * len(t) + 120),
                      xaxis_title=f"revenue ({currency})", yaxis_title=column)
    return fig


def histogram(values: pd.Series, *, title: str, x_label: str, bins: int = 40, log_y: bool = False) -> go.Figure:
    """A histogram with a title and labelled axes (``x_label`` should carry the unit)."""
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker_color="#1f77b4"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title="customers (count)",
                      template=TEMPLATE, height=380, bargap=0.05)
    if log_y:
        fig.update_yaxes(type="log", title="customers (count, log scale)")
    return fig
