"""The KPI history on the executive summary: the last twelve runs of the config's headline numbers, and the
whole action table as a searchable table (:mod:`helpers.plots.tables`)."""
from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers import i18n
from helpers.analyses import history as hist
from helpers.analyses.brief import KPI_KEYS
from helpers.i18n import _
from helpers.plots.base import TEMPLATE
from helpers.plots.tables import MOST, Searchable


def kpi_keys(history: pd.DataFrame) -> list[str]:
    """The brief's KPIs the history has numbers for, in the brief's order."""
    have = set(history["key"])
    return [next(k for k in keys if k in have) for keys, _nb in KPI_KEYS if any(k in have for k in keys)]


def history_figure(history: pd.DataFrame, labels: dict[str, str], last: int = hist.KEEP) -> go.Figure | None:
    """One small line chart per KPI over the last ``last`` runs (x: analysis date; each panel titled with its unit)."""
    keys = kpi_keys(history)
    if not keys:
        return None
    cols = min(3, len(keys))
    rows = -(-len(keys) // cols)
    units = history.drop_duplicates("key", keep="last").set_index("key")["unit"]
    titles = [f"{labels.get(k, k)} ({i18n.label(units.get(k, ''), 'unit_') if units.get(k) else ''})" for k in keys]
    fig = make_subplots(rows=rows, cols=cols, vertical_spacing=0.3 if rows > 1 else 0.2, horizontal_spacing=0.08,
                        subplot_titles=["<br>".join(textwrap.wrap(i18n.escape_markup(t), 34)) for t in titles])
    fig.update_annotations(font_size=12)
    for i, key in enumerate(keys):
        s = hist.series(history, key, last)
        y = s["value"] * (100 if units.get(key) == "%" else 1)
        dates = [i18n.fmt_date(d) for d in pd.to_datetime(s["analysis_end"])]     # as text: no English month names
        fig.add_trace(go.Scatter(x=dates, y=y, mode="lines+markers", name=labels.get(key, key),
                                 text=s["run"], hovertemplate="%{text}<br>%{x}: %{y:,.4~g}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
        fig.update_xaxes(title_text=_("analysis date"), type="category", row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(template=TEMPLATE, showlegend=False, height=300 * rows, margin={"t": 110},
                      title=_("KPI history: the last {n} runs of this config (a share in %)", n=min(last, len(hist.runs(history, last)))))
    return fig


def history_section(config, output_dir, headlines: pd.DataFrame, meta: dict) -> list:
    """The executive summary's KPI history: its notes, then :func:`history_figure` (or why there is none)."""
    found = hist.for_run(config, output_dir, headlines, meta)
    labels = dict(zip(headlines["key"], headlines["label"])) if len(headlines) else {}
    fig = history_figure(found.rows, labels)
    runs = len(hist.runs(found.rows))
    first = [_("This is the first run of this config in the KPI history: the chart grows with each run.")] if runs == 1 else []
    return [*found.notes, *first, fig if fig is not None else _("No headline number of the brief was published: no KPI history to chart.")]


def all_actions(shown: pd.DataFrame, most: int = MOST) -> Searchable:
    """The action table (as :func:`helpers.plots.summary.shown_actions` writes it), searchable: every customer,
    or its first ``most`` rows on a larger customer base (the caption says so; the export has them all)."""
    caption = (_("The customer action table, every customer: search, sort, and download the rows shown")
               if len(shown) <= most else
               _("The customer action table, its first {n} rows (the export has every customer): search, sort, and download the rows shown",
                 n=i18n.fmt_number(most, 0)))
    return Searchable(i18n.table(shown.head(most), precision=3, na_rep="").hide(axis="index"), caption)
