"""Plots of the retention economics notebook (13): retention curves, value by scenario, tornado,
CLV of a new customer against its acquisition cost."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.analyses.retention import RetentionBase, improve, survival
from helpers.plots.base import TEMPLATE, plain

#: The tornado's inputs (``retention.tornado``'s ``input`` column) -> glossary key of their label.
_INPUTS = {"margin": "ret_in_margin", "discount rate": "ret_in_discount_rate", "horizon": "ret_in_horizon",
           "revenue per customer": "ret_in_revenue_per_customer", "customers": "ret_in_customers",
           "cost per customer": "ret_in_cost_per_customer", "churn (1 − retention)": "ret_in_churn"}
def curves(base: RetentionBase, horizon: int, points=(0, 5, 10), title: str = "") -> go.Figure:
    """S(t) of today's customers under the current retention and with more points."""
    b = base.with_horizon(horizon)
    t = np.arange(1, horizon + 1)
    fig = go.Figure()
    for p in points:
        s = survival(improve(b.rates, p))
        fig.add_trace(go.Scatter(x=t, y=s, mode="lines+markers", name=f"+{p}" if p else i18n._("today")))
    fig.update_layout(title=title, template=TEMPLATE, height=400,
                      xaxis_title=f"{i18n._('periods from today')} ({i18n.period_name(base.period, plural=True)})",
                      yaxis_title=i18n._("share of today's level kept") + " S(t) (0–1)", legend_title=i18n._("retention points added"))
    return fig


def scenario_bars(table: pd.DataFrame, currency: str, title: str) -> go.Figure:
    """Customer-base value and net gain per scenario (+0 … +10 points)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=table["points"], y=table["extra_value"], name=i18n._("value of the added retention")))
    fig.add_trace(go.Scatter(x=table["points"], y=table["net_gain"], mode="lines+markers", name=i18n._("net gain")))
    fig.update_layout(title=title, template=TEMPLATE, height=400, xaxis_title=f"{i18n._('retention points added')} (pp)",
                      yaxis_title=f"{i18n._('value of the added retention')} ({currency})")
    return fig


def tornado(table: pd.DataFrame, currency: str, title: str) -> go.Figure:
    """Net gain of the added points when each input moves down (left bar) or up (right bar)."""
    t = table.iloc[::-1]
    base = float(t["base"].iloc[0])
    change = table.attrs.get("change", 0.2)
    fig = go.Figure()
    names = [i18n.lookup(_INPUTS[v]) if v in _INPUTS else v for v in t["input"]]
    fig.add_trace(go.Bar(y=names, x=t["low"] - base, base=base, orientation="h",
                         name=i18n.localize_numbers(f"−{change:.0%}"),
                         marker_color="#d62728"))
    fig.add_trace(go.Bar(y=names, x=t["high"] - base, base=base, orientation="h",
                         name=i18n.localize_numbers(f"+{change:.0%}"),
                         marker_color="#2ca02c"))
    fig.add_vline(x=base, line_color="#333")
    fig.update_layout(title=title, template=TEMPLATE, barmode="overlay", height=120 + 45 * len(t),
                      xaxis_title=f"{i18n._('net gain')} ({currency})", yaxis_title=i18n._("input"))
    return fig


def clv_vs_cost(table: pd.DataFrame, by: str, currency: str, title: str) -> go.Figure:
    """CLV of a new customer per cohort or group, beside the acquisition cost."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=plain(table[by].astype(str)), y=table["clv"], name=i18n._("CLV of a new customer")))
    fig.add_trace(go.Scatter(x=plain(table[by].astype(str)), y=table["acquisition_cost"], mode="lines+markers",
                             name=i18n._("acquisition cost"), line=dict(color="#d62728")))
    fig.update_layout(title=title, template=TEMPLATE, height=400, xaxis_title=plain(str(by)),
                      yaxis_title=f"{i18n._('CLV of a new customer')} ({currency})")
    return fig
