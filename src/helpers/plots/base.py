"""Shared plot set-up and recipes.

Interactive figures use plotly; :func:`setup_notebook` makes them render in JupyterLab and
in the HTML reports with plotly.js embedded (the reports open offline).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import PlotlyRenderer

from .. import i18n
from ..i18n import t


TEMPLATE = "plotly_white"


class _OfflineRenderer(PlotlyRenderer):
    """JupyterLab gets plotly's mime bundle; HTML reports get a ``text/html`` version whose first
    figure embeds plotly.js, with no MathJax or require.js fetched from the network."""

    plotlyjs_sent = False

    def to_mimebundle(self, fig_dict):
        # numbers in ticks and hovers the report language's way (1.234,5 in Turkish)
        fig_dict.setdefault("layout", {})["separators"] = i18n.plotly_separators()
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
    i18n.use_unicode_font() if _has_matplotlib() else None


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def fmt_money(x: float, currency: str) -> str:
    """``1,234 GBP`` (``1.234 GBP`` in Turkish); never ``-0 GBP``."""
    v = round(float(x))
    return f"{i18n.fmt_number(v if v != 0 else 0)} {currency}"


def share_bars(table: pd.DataFrame, column: str, currency: str, title: str | None = None) -> go.Figure:
    """Horizontal bars of revenue by a category column (country, channel, category)."""
    tb = table.sort_values("revenue")
    fig = go.Figure(go.Bar(x=tb["revenue"], y=tb[column].astype(str), orientation="h",
                           text=[i18n.fmt_percent(s) for s in tb["share_revenue"]], textposition="auto"))
    col = i18n.label(column)
    fig.update_layout(title=title or t("plot_revenue_by", column=col), template=TEMPLATE,
                      height=max(300, 28 * len(tb) + 120),
                      xaxis_title=t("revenue_cur", cur=currency), yaxis_title=col)
    return fig


def histogram(values: pd.Series, *, title: str, x_label: str, bins: int = 40, log_y: bool = False) -> go.Figure:
    """A histogram with a title and labelled axes (``x_label`` should carry the unit)."""
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker_color="#1f77b4"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=t("customers_count"),
                      template=TEMPLATE, height=380, bargap=0.05)
    if log_y:
        fig.update_yaxes(type="log", title=t("customers_count_log"))
    return fig
