"""Figures of the executive summary (07)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .base import TEMPLATE


def action_counts(actions: pd.DataFrame, currency: str) -> go.Figure:
    """Customers per recommended action, with their expected CLV in the hover."""
    g = actions.groupby("recommended_action", dropna=False).agg(
        customers=("customer_id", "size"), clv=("clv", lambda s: pd.to_numeric(s, errors="coerce").sum()))
    g = g.sort_values("customers")
    fig = go.Figure(go.Bar(x=g["customers"], y=g.index.astype(str), orientation="h", text=g["customers"],
                           textposition="auto", customdata=g["clv"],
                           hovertemplate="%{y}: %{x} customers, expected CLV %{customdata:,.0f} " + currency))
    fig.update_layout(title="Customers per recommended action", template=TEMPLATE,
                      height=max(320, 40 * len(g) + 120), xaxis_title="customers (count)",
                      yaxis_title="recommended action")
    return fig
