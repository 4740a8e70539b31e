"""Shared plot set-up and recipes.

Interactive figures use plotly; :func:`setup_notebook` makes them render in JupyterLab and
in the HTML reports with plotly.js embedded (the reports open offline).

plotly reads a subset of HTML in every text it draws (``<b>``, ``<i>``, ``<br>``, ``<span style>``,
``<a href>`` ...). The recipes pass text that comes from the data (product names, categories,
countries, regions, campaign ids, comment terms, customer ids) through :func:`plain`, so it shows
as written and cannot format the figure or add a link; glossary text keeps its markup. As a second
line, the notebooks' renderer writes every ``<`` of a figure's texts that does not open one of the
bare formatting tags the project writes (:data:`PROJECT_TAGS`) as ``&lt;``: a label that missed
:func:`plain` can still not add a link, a styled span or any other element.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import PlotlyRenderer

from helpers import i18n
from helpers.i18n import t


TEMPLATE = "plotly_white"
#: The markup the project itself writes in figure texts (glossary labels, hover templates): bare tags only.
PROJECT_TAGS = ("br", "b", "i", "em", "s", "u", "sup", "sub", "extra")
_OTHER_TAG = re.compile(r"<(?!/?(?:" + "|".join(PROJECT_TAGS) + r")\s*/?>)", re.I)


def markup_guard(obj, key: str = ""):
    """A plotly figure dict (or any part of it) with every ``<`` in its texts that does not open a tag of
    :data:`PROJECT_TAGS` written as ``&lt;`` (plotly shows it as ``<``). Format specifications (keys ending
    in ``format``, ``separators``) are left alone. Returns a new structure; ``obj`` is unchanged."""
    if isinstance(obj, str):
        return obj if key.endswith("format") or key == "separators" else _OTHER_TAG.sub("&lt;", obj)
    if isinstance(obj, dict):
        return {k: markup_guard(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [markup_guard(v, key) for v in obj]
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "OUS":
        return np.array([markup_guard(v, key) for v in obj.ravel()], dtype=object).reshape(obj.shape)
    return obj


class _OfflineRenderer(PlotlyRenderer):
    """JupyterLab gets plotly's mime bundle; HTML reports get a ``text/html`` version whose first
    figure embeds plotly.js, with no MathJax or require.js fetched from the network."""

    plotlyjs_sent = False

    def to_mimebundle(self, fig_dict):
        fig_dict = markup_guard(fig_dict)
        # numbers in ticks and hovers the report language's way (1.234,5 in Turkish)
        fig_dict.setdefault("layout", {})["separators"] = i18n.plotly_separators()
        bundle = super().to_mimebundle(fig_dict)
        bundle["text/html"] = pio.to_html(fig_dict, include_plotlyjs=not _OfflineRenderer.plotlyjs_sent,
                                          include_mathjax=False, full_html=False, default_width="100%")
        _OfflineRenderer.plotlyjs_sent = True
        return bundle


def setup_notebook() -> None:
    """Render plotly figures both in JupyterLab (mime bundle) and in nbconvert HTML (inline plotly.js), and
    make every pandas Styler of the notebook write its text as text (:func:`helpers.i18n.escape_every_styler`)."""
    i18n.escape_every_styler()
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


def plain(values):
    """Text from the data ready for a plotly figure: ``&``, ``<``, ``>`` written as entities, which plotly
    shows as the characters (:func:`helpers.i18n.escape_markup`); numbers, dates and missing values unchanged.

    Takes one value or a sequence (list, tuple, numpy array, pandas Series or Index; a list comes back for
    those, a Series keeps its index). Shorten a label before, not after, so no entity is cut.
    """
    if isinstance(values, pd.Series):
        return values.map(i18n.escape_markup, na_action="ignore")
    if isinstance(values, (list, tuple, pd.Index, np.ndarray)):
        return [i18n.escape_markup(v) for v in values]
    return i18n.escape_markup(values)


def fmt_money(x: float, currency: str) -> str:
    """``1,234 GBP`` (``1.234 GBP`` in Turkish); never ``-0 GBP`` (:func:`helpers.i18n.fmt_money`)."""
    return i18n.fmt_money(x, currency)


def share_bars(table: pd.DataFrame, column: str, currency: str, title: str | None = None) -> go.Figure:
    """Horizontal bars of revenue by a category column (country, channel, category)."""
    tb = table.sort_values("revenue")
    fig = go.Figure(go.Bar(x=tb["revenue"], y=plain(tb[column].astype(str)), orientation="h",
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
