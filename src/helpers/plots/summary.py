"""Figures of the executive summary (07)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.analyses.actions import action_label
from helpers.i18n import _, pgettext
from helpers.plots.base import TEMPLATE


def action_counts(actions: pd.DataFrame, currency: str) -> go.Figure:
    """Customers per recommended action, with their expected CLV in the hover."""
    g = actions.groupby("recommended_action", dropna=False).agg(
        customers=("customer_id", "size"), clv=("clv", lambda s: pd.to_numeric(s, errors="coerce").sum()))
    g = g.sort_values("customers")
    names = [action_label(a) for a in g.index.astype(str)]
    fig = go.Figure(go.Bar(x=g["customers"], y=names, orientation="h",
                           text=[i18n.fmt_number(c) for c in g["customers"]],
                           textposition="auto", customdata=g["clv"],
                           hovertemplate=_("%{y}: %{x} customers, expected CLV") + " %{customdata:,.0f} " + currency + "<extra></extra>"))
    fig.update_layout(title=_("Customers per recommended action"), template=TEMPLATE,
                      height=max(320, 40 * len(g) + 120), xaxis_title=pgettext("customers", "customers (count)"),
                      yaxis_title=_("recommended action"))
    return fig
