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

plotly names months in English on its own date ticks; in a Turkish report the renderer labels every date
axis with the month names of Babel's CLDR data instead (:func:`month_axes`, which a plot can also call).
"""
from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from babel import dates as babel_dates
from plotly.io._base_renderers import PlotlyRenderer

from helpers import i18n
from helpers.i18n import _, pgettext
from helpers.plots import tables


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
        if i18n.language() != "en":         # plotly's own date ticks name the months in English
            fig_dict = month_axes(fig_dict)
        bundle = super().to_mimebundle(fig_dict)
        bundle["text/html"] = pio.to_html(fig_dict, include_plotlyjs=not _OfflineRenderer.plotlyjs_sent,
                                          include_mathjax=False, full_html=False, default_width="100%")
        _OfflineRenderer.plotlyjs_sent = True
        return bundle


#: At most this many ticks on a date axis labelled by :func:`date_ticks`.
MAX_DATE_TICKS = 8
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
_DAY_STEPS = (1, 2, 7, 14, 28)
#: plotly trace types drawn on x and y axes (the others, pies, treemaps, tables ..., have no date axis).
CARTESIAN = frozenset({"scatter", "scattergl", "bar", "histogram", "box", "violin", "heatmap", "contour",
                       "waterfall", "funnel", "candlestick", "ohlc"})
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?$")
#: CLDR date pattern fields -> d3 (plotly) time format fields, for hover labels on date axes.
_D3_FIELDS = {"d": "%-d", "dd": "%d", "M": "%-m", "MM": "%m", "y": "%Y", "yyyy": "%Y", "yy": "%y"}


def date_ticks(start, end, language: str | None = None) -> tuple[list[str], list[str]]:
    """Tick positions (ISO dates) and labels for a date axis from ``start`` to ``end``, the months named
    from Babel's CLDR data in the language (default: the current one).

    Three or more month starts in the span: month starts every 1, 2, 3, 6 or 12 months (at most
    :data:`MAX_DATE_TICKS`), labelled ``Oca 2011`` (``Jan 2011``), or ``2011`` when a tick is a year or more
    apart; shorter spans: days every 1, 2, 7, 14 or 28 days, labelled ``5 Oca``. Both lists are empty for a
    span under a day.
    """
    loc = i18n.babel_locale(language)
    start, end = sorted((pd.Timestamp(start), pd.Timestamp(end)))
    if end - start < pd.Timedelta(days=1):
        return [], []
    months = pd.date_range(start, end, freq="MS")
    if len(months) >= 3:
        index = months.year * 12 + months.month - 1
        step = next((s for s in _MONTH_STEPS if (index % s == 0).sum() <= MAX_DATE_TICKS), _MONTH_STEPS[-1])
        ticks, skeleton = months[index % step == 0], "y" if step >= 12 else "yMMM"
    else:
        days = pd.date_range(start.ceil("D"), end, freq="D")
        step = next((s for s in _DAY_STEPS if -(-len(days) // s) <= MAX_DATE_TICKS), _DAY_STEPS[-1])
        ticks, skeleton = days[::step], "MMMd"
    return ([d.date().isoformat() for d in ticks],
            [babel_dates.format_skeleton(skeleton, d.date(), locale=loc) for d in ticks])


def month_axes(fig, language: str | None = None):
    """``fig`` (a plotly Figure, changed in place, or a figure dict, returned as a new dict) with every date
    axis labelled by :func:`date_ticks` in the language, and hover dates written as :func:`helpers.i18n.fmt_date`
    writes them.

    A date axis is one of type ``date``, or of no set type whose traces all hold dates (datetimes, dates,
    ISO texts such as ``2011-01`` that plotly reads as dates). Axes with their own ``tickvals`` or
    ``ticktext`` are left alone. The report renderer applies it to every figure of a non-English report;
    the ticks are fixed, so zooming in does not add finer ones.
    """
    lang = language or i18n.language()
    is_figure = isinstance(fig, go.Figure)
    fig_dict = fig.to_dict() if is_figure else fig
    hover = re.sub(r"([A-Za-z])\1*", lambda m: _D3_FIELDS[m.group(0)], i18n.DATE_PATTERNS[lang])
    updates = {}
    for name, (start, end) in date_axis_spans(fig_dict).items():
        values, text = date_ticks(start, end, lang)
        if values:
            updates[name] = {"tickmode": "array", "tickvals": values, "ticktext": text}
            if not fig_dict.get("layout", {}).get(name, {}).get("hoverformat"):
                updates[name]["hoverformat"] = hover
    if is_figure:
        return fig.update_layout(updates)
    layout = dict(fig_dict.get("layout", {}))
    for name, update in updates.items():
        layout[name] = {**layout.get(name, {}), **update}
    return {**fig_dict, "layout": layout}


def date_axis_spans(fig_dict: dict) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """The date axes of a plotly figure dict (see :func:`month_axes`), by layout name (``xaxis``, ``yaxis2``
    ...), with the first and last date they show: the axis ``range`` when it is set, else the data's."""
    layout = fig_dict.get("layout", {})
    found: dict[str, list] = {}
    not_dates: set[str] = set()
    for trace in fig_dict.get("data", []):
        if trace.get("type", "scatter") not in CARTESIAN:
            continue
        for letter in "xy":
            name = letter + "axis" + str(trace.get(letter + "axis") or letter)[1:]
            values = trace_dates(trace, letter)
            if values is None:
                not_dates.add(name)
            else:
                found.setdefault(name, []).extend(values)
    spans = {}
    for name, values in found.items():
        axis = layout.get(name) or {}
        kind = axis.get("type") or "-"
        if axis.get("tickvals") is not None or axis.get("ticktext") is not None:
            continue
        if kind != "date" and (kind != "-" or name in not_dates):
            continue
        span = as_dates(axis.get("range")) or []
        span = span if len(span) == 2 else values
        if span:
            spans[name] = (min(span), max(span))
    return spans


def trace_dates(trace: dict, letter: str) -> list[pd.Timestamp] | None:
    """The dates a trace puts on its ``letter`` (``x`` or ``y``) axis, ``None`` if its values there are not
    dates. A bar with a date ``base`` spans from the base to the base plus its length (in milliseconds)."""
    values = trace.get(letter)
    horizontal = trace.get("orientation") == "h"
    if trace.get("base") is not None and letter == ("x" if horizontal else "y"):
        base = as_dates(np.atleast_1d(trace["base"]))
        if not base:
            return None
        lengths = pd.to_numeric(pd.Series(np.atleast_1d(values if values is not None else [0])), errors="coerce")
        ends = [b + pd.Timedelta(milliseconds=float(n)) for b, n in zip(np.resize(base, len(lengths)), lengths)
                if pd.notna(n)]
        return base + ends
    return as_dates(values) if values is not None else []


def as_dates(values) -> list[pd.Timestamp] | None:
    """``values`` (a sequence) as timestamps when every non-missing one is a date (a datetime, date, numpy
    datetime or an ISO text such as ``2011-01-05``); ``None`` otherwise (numbers, categories)."""
    if values is None or isinstance(values, (str, dict)):
        return None
    arr = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None).ravel()
    if arr.dtype.kind == "M":
        return list(pd.DatetimeIndex(arr).dropna())
    if arr.dtype.kind != "O" and arr.dtype.kind != "U":
        return None
    present = [v for v in arr if v is not None and not pd.isna(v)]
    if not all(isinstance(v, (dt.date, np.datetime64)) or (isinstance(v, str) and _DATE_TEXT.match(v.strip()))
               for v in present):
        return None
    return list(pd.to_datetime(pd.Series(present, dtype=object), format="ISO8601")) if present else []


def setup_notebook() -> None:
    """Render plotly figures both in JupyterLab (mime bundle) and in nbconvert HTML (inline plotly.js), and
    make every pandas Styler of the notebook write its text as text (:func:`helpers.i18n.escape_every_styler`),
    and long customer tables interactive (:func:`helpers.plots.tables.install`)."""
    i18n.escape_every_styler()
    pio.renderers["crm_offline"] = _OfflineRenderer()
    pio.renderers.default = "crm_offline"
    pio.templates.default = TEMPLATE
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 160)
    _font_when_matplotlib_is_imported()
    tables.install()


@functools.cache
def _font_when_matplotlib_is_imported() -> None:
    """:func:`helpers.i18n.use_unicode_font` once matplotlib is imported (seaborn imports it; now, if it already
    is): the project's pages draw with plotly, and importing matplotlib in every kernel costs a quarter of a CPU
    second. Registered once per process."""
    from wrapt import register_post_import_hook

    register_post_import_hook(lambda _module: i18n.use_unicode_font(), "matplotlib")


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
    fig.update_layout(title=title or _("Revenue by {column}", column=col), template=TEMPLATE,
                      height=max(300, 28 * len(tb) + 120),
                      xaxis_title=_("revenue ({cur})", cur=currency), yaxis_title=col)
    return fig


def histogram(values: pd.Series, *, title: str, x_label: str, bins: int = 40, log_y: bool = False) -> go.Figure:
    """A histogram with a title and labelled axes (``x_label`` should carry the unit)."""
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker_color="#1f77b4"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=pgettext("customers", "customers (count)"),
                      template=TEMPLATE, height=380, bargap=0.05)
    if log_y:
        fig.update_yaxes(type="log", title=_("customers (count, log scale)"))
    return fig


class Displayed:
    """A value :func:`show` displays as it is (a text included: its repr, in quotes) instead of printing it."""

    def __init__(self, value):
        self.value = value


def show(*items) -> None:
    """Show what a section helper returned, in order: a text is printed (a note, a sentence), ``None`` is
    skipped, a list or tuple is shown item by item, and anything else (a styled table, a figure, a frame,
    a :class:`Displayed` value) is displayed as the last line of a cell would show it."""
    from IPython.display import display

    for item in items:
        if item is None:
            continue
        if isinstance(item, Displayed):
            display(item.value)
        elif isinstance(item, (list, tuple)):
            show(*item)
        elif isinstance(item, str):
            print(item)
        else:
            display(item)
