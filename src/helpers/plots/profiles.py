"""Figures of the customer profiles notebook (10): marked cross-tabs, regions, purchase rate by level.

Each recipe takes a table from :mod:`helpers.models.profiles` and returns a plotly figure with
a title and labelled axes (units in brackets); labels come from the glossary. :func:`group_notes`
says the notes of the customer groupings in the report language.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers.i18n import _, pgettext, lookup, localize_numbers
from helpers.plots.base import TEMPLATE, plain


def group_notes(groups) -> list[str]:
    """The notes of :func:`helpers.models.profiles.customer_groups` (what was skipped or used) in the
    report language, one line each."""
    out = []
    for code, fields in groups.notes:
        if code == "clv_source":
            fields = {"purchase": fields["purchase"].text(), "spend": fields["spend"].text()}
        out.append(lookup(f"prof_{code}", **fields))
    return out


def crosstab_heatmap(tab) -> go.Figure:
    """Row shares of a :class:`~helpers.models.profiles.CrossTab` as text, coloured by the adjusted
    residual (red above, blue below independence), significant cells marked ▲ / ▼."""
    z = tab.residuals.clip(-4, 4)
    text = []
    for i in tab.row_share.index:
        row = []
        for j in tab.row_share.columns:
            mark = (" ▲" if tab.residuals.loc[i, j] > 0 else " ▼") if tab.significant.loc[i, j] else ""
            row.append(localize_numbers(f"{tab.row_share.loc[i, j]:.0%}") + mark)
        text.append(row)
    group, attribute = plain(str(tab.group)), plain(str(tab.attribute))
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[plain(str(c)) for c in z.columns], y=[plain(str(i)) for i in z.index],
                               text=text, texttemplate="%{text}", colorscale="RdBu", reversescale=True,
                               zmin=-4, zmax=4, colorbar={"title": _("adjusted standardized residual")}))
    fig.update_layout(title=_("{group} by {attribute}: share of each group (▲ / ▼ significantly above / below, {test} p = {p})", group=group, attribute=attribute, test=tab.test,
                              p=f"{tab.p_value:.3g}"),
                      template=TEMPLATE, height=max(320, 34 * len(z.index) + 160),
                      xaxis_title=f"{attribute} ({pgettext('profile', 'share of the group (%)')})", yaxis_title=group,
                      yaxis={"autorange": "reversed"})
    return fig


def region_bars(table: pd.DataFrame, currency: str, region: str = "region") -> go.Figure:
    """Customers (bars) and revenue (bars on a second axis) per region, largest first."""
    fig = go.Figure()
    fig.add_bar(x=plain(table[region].astype(str)), y=table["customers"], name=pgettext("profile", "customers (count)"),
                marker_color="#1f77b4", offsetgroup=0)
    fig.add_bar(x=plain(table[region].astype(str)), y=table["revenue"], name=_("revenue ({currency})", currency=currency),
                marker_color="#ff7f0e", yaxis="y2", offsetgroup=1)
    fig.update_layout(title=_("Customers and revenue by region (revenue in {currency})", currency=currency), template=TEMPLATE, height=420,
                      barmode="group", xaxis_title=_("region"),
                      yaxis={"title": pgettext("profile", "customers (count)")},
                      yaxis2={"title": _("revenue ({currency})", currency=currency), "overlaying": "y", "side": "right"},
                      legend={"orientation": "h", "y": -0.22, "x": 0})
    return fig


def rate_ratios(rates: pd.DataFrame, attribute: str, truth: dict | None = None) -> go.Figure:
    """Purchase-rate ratio per level (``rate_by_group``), with the planted factor ratio when known."""
    r = rates.dropna(subset=["rate_ratio"])
    fig = go.Figure(go.Bar(x=plain(r["level"].astype(str)), y=r["rate_ratio"], name=_("estimate"),
                           marker_color="#1f77b4", text=[localize_numbers(f"{v:.2f}") for v in r["rate_ratio"]],
                           textposition="outside"))
    if truth:
        ref = rates.attrs.get("reference")
        base = truth.get(str(ref), np.nan)
        fig.add_scatter(x=plain(r["level"].astype(str)), y=[truth.get(str(v), np.nan) / base for v in r["level"]],
                        mode="markers", marker={"symbol": "diamond", "size": 13, "color": "#d62728"},
                        name=_("planted factor (synthetic truth)"))
    fig.add_hline(y=1, line={"color": "#999", "dash": "dot"})
    fig.update_layout(title=_("Purchase rate of a live customer by {attribute}, relative to {reference} (BG/NBD per level)", attribute=plain(str(attribute)),
                              reference=plain(str(rates.attrs.get("reference")))),
                      template=TEMPLATE, height=420, xaxis_title=_("level"),
                      yaxis_title=_("purchase rate ratio (× reference)"), legend={"orientation": "h", "y": -0.22, "x": 0})
    return fig
