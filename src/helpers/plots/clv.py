"""Figures of the CLV notebook (04): value concentration, validation, heatmaps, tiers, action list.

Each function takes a small table from :mod:`helpers.models.clv` and returns a plotly figure
with a title and axis labels that carry their units (currency, count, %, the model's time unit).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..customers import UNIT_NAMES
from .base import TEMPLATE

ACTUAL, PREDICTED = "#1f77b4", "#ff7f0e"


def _unit(time_unit: str | None) -> str:
    return UNIT_NAMES.get(time_unit or "", "time units")


def parameter_table(params: pd.DataFrame, caption: str):
    """A styled parameter table (:func:`helpers.models.clv.describe_parameters`): 4 significant
    decimals, the meaning column left-aligned."""
    return (params.style.format(precision=4).hide(axis="index").set_caption(caption)
            .set_properties(subset=["meaning"], **{"text-align": "left"}))


def tier_table(summary: pd.DataFrame, caption: str):
    """A styled :func:`helpers.models.clv.tier_summary`: counts with thousands separators, shares in %,
    money and means with two decimals."""
    fmt = {c: ("{:,}" if c == "customers" else "{:.1%}" if c.startswith("share") else "{:,.2f}")
           for c in summary.columns if c != "tier"}
    return summary.style.format(fmt).hide(axis="index").set_caption(caption)


def value_concentration(curves: dict[str, pd.DataFrame], tiers=(0.01, 0.05, 0.20)) -> go.Figure:
    """Share of total value held by the best x % of customers, one line per value measure.

    ``curves`` maps a label (e.g. "historical revenue (GBP)") to
    :func:`helpers.models.clv.concentration` output. Dotted lines mark the tiers.
    """
    fig = go.Figure()
    for label, c in curves.items():
        step = max(1, len(c) // 2000)
        cc = c.iloc[::step]
        fig.add_scatter(x=100 * cc["share_customers"], y=100 * cc["share_value"], mode="lines", name=label)
    for i, t in enumerate(tiers):
        fig.add_vline(x=100 * t, line_dash="dot", line_color="#999")
        fig.add_annotation(x=100 * t, y=8 + 9 * i, text=f"top {100 * t:g} %", showarrow=False, xanchor="left",
                           xshift=3, font={"size": 11, "color": "#555"})
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name="all customers equal",
                    line={"dash": "dash", "color": "#bbb"})
    fig.update_layout(title="Value concentration: share of total value held by the best customers",
                      xaxis_title="best customers (% of customers)", yaxis_title="share of total value (%)",
                      template=TEMPLATE, height=430, legend={"orientation": "h", "y": -0.2})
    return fig


def spend_vs_frequency(summary: pd.DataFrame, check: dict, currency: str, max_frequency: int = 7) -> go.Figure:
    """Box plots of mean repeat spend per customer by repeat frequency (Gamma-Gamma independence check)."""
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    f = rep["frequency"].astype("int64").clip(upper=max_frequency)
    labels = f.astype(str).where(f < max_frequency, f"{max_frequency}+")
    fig = go.Figure()
    order = [str(i) for i in range(1, max_frequency)] + [f"{max_frequency}+"]
    for lab in order:
        vals = rep.loc[labels == lab, "monetary_value"]
        if len(vals):
            fig.add_box(y=vals, name=lab, boxpoints=False, marker_color=ACTUAL, showlegend=False)
    r = check.get("pearson", np.nan)
    title = ("Gamma-Gamma check: mean repeat spend by repeat frequency"
             + (f" (Pearson r = {r:.2f}, Spearman = {check['spearman']:.2f})" if np.isfinite(r) else ""))
    fig.update_layout(title=title, xaxis_title="repeat purchase days (frequency, count)",
                      yaxis_title=f"mean value of repeat purchase days ({currency}, log scale)",
                      yaxis_type="log", template=TEMPLATE, height=420)
    return fig


def tracking(track: pd.DataFrame, *, cumulative: bool = False) -> go.Figure:
    """Actual vs predicted repeat purchases of the calibration cohort per period (or cumulative),
    with the calibration / holdout boundary marked."""
    ycol = "_cum" if cumulative else ""
    step = track.attrs.get("step_days", 7)
    period = "week" if step == 7 else f"{step}-day period"
    fig = go.Figure()
    fig.add_scatter(x=track["period_end"], y=track[f"actual{ycol}"], name="actual", mode="lines",
                    line={"color": ACTUAL})
    fig.add_scatter(x=track["period_end"], y=track[f"predicted{ycol}"], name="predicted by the model",
                    mode="lines", line={"color": PREDICTED, "dash": "dash"})
    cal = track.attrs.get("calibration_end")
    if cal is not None:
        x = pd.Timestamp(cal)
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"dash": "dot", "color": "#666"})
        fig.add_annotation(x=x, y=1, yref="paper", text="calibration | holdout", showarrow=False,
                           xanchor="left", yanchor="bottom")
    what = "cumulative repeat purchases" if cumulative else f"repeat purchases per {period}"
    fig.update_layout(title=f"Tracking: actual vs predicted {what} (customers acquired in calibration)",
                      xaxis_title=f"{period} ending (date)",
                      yaxis_title=f"repeat purchase days ({'cumulative ' if cumulative else ''}count)",
                      template=TEMPLATE, height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def holdout_by_frequency(table: pd.DataFrame, holdout_days: int) -> go.Figure:
    """Grouped bars: mean actual vs predicted holdout purchases by calibration frequency."""
    fig = go.Figure()
    fig.add_bar(x=table["frequency"], y=table["actual"], name="actual", marker_color=ACTUAL)
    fig.add_bar(x=table["frequency"], y=table["predicted"], name="predicted", marker_color=PREDICTED)
    fig.update_layout(title=f"Holdout purchases ({holdout_days} days) by purchases in calibration: actual vs predicted",
                      xaxis_title="repeat purchase days in the calibration period (count)",
                      yaxis_title="mean purchase days in the holdout per customer (count)",
                      barmode="group", template=TEMPLATE, height=420, xaxis_type="category",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def heatmap(grid: pd.DataFrame, column: str, *, title: str, colorbar: str) -> go.Figure:
    """Heatmap of ``column`` over frequency (rows) x recency (columns) from
    :func:`helpers.models.clv.frequency_recency_grid`."""
    unit = _unit(grid.attrs.get("time_unit"))
    wide = grid.pivot(index="frequency", columns="recency", values=column)
    fig = go.Figure(go.Heatmap(z=wide.to_numpy(), x=np.round(wide.columns.to_numpy(), 1),
                               y=wide.index.astype(int), colorscale="Viridis",
                               colorbar={"title": colorbar}, hoverongaps=False,
                               hovertemplate=f"frequency %{{y}}<br>recency %{{x}} {unit}<br>{colorbar} %{{z:.3f}}"
                                             "<extra></extra>"))
    fig.update_layout(title=title, template=TEMPLATE, height=460,
                      xaxis_title=f"recency: time from first to last purchase ({unit})",
                      yaxis_title="repeat purchase days (frequency, count)")
    return fig


def tier_shares(summary: pd.DataFrame, value: str, label: str) -> go.Figure:
    """Per value tier: share of customers vs share of total value (bars, %)."""
    fig = go.Figure()
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary["share_customers"], name="share of customers",
                marker_color="#bbbbbb", text=[f"{v:.1%}" for v in summary["share_customers"]], textposition="auto")
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary[f"share_{value}"], name=f"share of {label}",
                marker_color=ACTUAL, text=[f"{v:.1%}" for v in summary[f"share_{value}"]], textposition="auto")
    fig.update_layout(title=f"Value tiers: share of customers and share of {label}", barmode="group",
                      xaxis_title="value tier (customers ranked by value)", yaxis_title="share (%)",
                      template=TEMPLATE, height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def value_vs_p_alive(table: pd.DataFrame, *, value: str, value_label: str, top_share: float,
                     max_p_alive: float, max_points: int = 6000, seed: int = 0) -> go.Figure:
    """Scatter of customers: value (log scale) vs P(alive), with the action zone (high value, low
    P(alive)) shaded. At most ``max_points`` customers are drawn (a fixed random sample)."""
    t = table[[value, "p_alive"]].dropna()
    t = t[t[value] > 0]
    threshold = t[value].quantile(1 - top_share) if len(t) else np.nan
    if len(t) > max_points:
        t = t.sample(max_points, random_state=seed)
    act = (t[value] >= threshold) & (t["p_alive"] < max_p_alive)
    fig = go.Figure()
    fig.add_scatter(x=t.loc[~act, "p_alive"], y=t.loc[~act, value], mode="markers", name="customers",
                    marker={"size": 4, "color": "#9ab", "opacity": 0.6})
    fig.add_scatter(x=t.loc[act, "p_alive"], y=t.loc[act, value], mode="markers", name="to act on",
                    marker={"size": 6, "color": "#d62728"})
    if np.isfinite(threshold):
        fig.add_shape(type="rect", x0=0, x1=max_p_alive, y0=threshold, y1=t[value].max() if len(t) else threshold,
                      fillcolor="rgba(214,39,40,0.08)", line={"width": 0})
    fig.update_layout(title=f"Who to act on: top {100 * top_share:g} % by {value_label} with P(alive) < {max_p_alive:g}",
                      xaxis_title="P(alive): probability the customer is still active (0-1)",
                      yaxis_title=f"{value_label} (log scale)", yaxis_type="log",
                      template=TEMPLATE, height=460, legend={"orientation": "h", "y": -0.2})
    return fig


def clv_intervals(table: pd.DataFrame, *, currency: str, n: int = 30) -> go.Figure:
    """Top-``n`` customers by CLV with their credible intervals (MCMC fits; the width is
    ``table.attrs["interval"]``, 90 % when absent)."""
    t = table.sort_values("clv", ascending=False).head(n).iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=t["clv"], y=t["customer_id"].astype(str), mode="markers",
        error_x={"type": "data", "symmetric": False, "array": t["clv_high"] - t["clv"],
                 "arrayminus": t["clv"] - t["clv_low"]}, marker={"color": ACTUAL}))
    level = table.attrs.get("interval", 0.9)
    fig.update_layout(title=f"Top {n} customers by CLV with {100 * level:g} % credible intervals", template=TEMPLATE,
                      height=max(360, 18 * len(t) + 140), xaxis_title=f"CLV ({currency})",
                      yaxis_title="customer")
    return fig
