"""Figures of the CLV notebook (04): value concentration, validation, heatmaps, tiers, action list.

Each function takes a small table from :mod:`helpers.models.clv` and returns a plotly figure
with a title and axis labels that carry their units (currency, count, %, the model's time unit).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers.features.customers import UNIT_NAMES
from helpers import i18n
from helpers.i18n import _, pgettext
from helpers.plots.base import TEMPLATE, plain

ACTUAL, PREDICTED = "#1f77b4", "#ff7f0e"


def _unit(time_unit: str | None) -> str:
    return i18n.label(UNIT_NAMES.get(time_unit or "", "time units"), "unit_")


def parameter_table(params: pd.DataFrame, caption: str):
    """A styled parameter table (:func:`helpers.models.clv.describe_parameters`): 4 significant
    decimals, the meaning column left-aligned."""
    return (i18n.style(params, precision=4).hide(axis="index").set_caption(caption)
            .set_properties(subset=["meaning"], **{"text-align": "left"}))


def tier_table(summary: pd.DataFrame, caption: str):
    """A styled :func:`helpers.models.clv.tier_summary`: counts with thousands separators, shares in %,
    money and means with two decimals."""
    fmt = {c: ("{:,}" if c == "customers" else "{:.1%}" if c.startswith("share") else "{:,.2f}")
           for c in summary.columns if c != "tier"}
    return i18n.style(summary, fmt).hide(axis="index").set_caption(caption)


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
    for i, tier in enumerate(tiers):
        fig.add_vline(x=100 * tier, line_dash="dot", line_color="#999")
        fig.add_annotation(x=100 * tier, y=8 + 9 * i, text=_("top {pct} %", pct=f"{100 * tier:g}"), showarrow=False, xanchor="left",
                           xshift=3, font={"size": 11, "color": "#555"})
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=_("all customers equal"),
                    line={"dash": "dash", "color": "#bbb"})
    fig.update_layout(title=_("Value concentration: share of total value held by the best customers"),
                      xaxis_title=_("best customers (% of customers)"), yaxis_title=_("share of total value (%)"),
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
    title = (_("Gamma-Gamma check: mean repeat spend by repeat frequency")
             + (f" (Pearson r = {i18n.fmt_number(r, 2)}, Spearman = {i18n.fmt_number(check['spearman'], 2)})"
                if np.isfinite(r) else ""))
    fig.update_layout(title=title, xaxis_title=_("repeat purchase days (frequency, count)"),
                      yaxis_title=_("mean value of repeat purchase days ({cur}, log scale)", cur=currency),
                      yaxis_type="log", template=TEMPLATE, height=420)
    return fig


def tracking(track: pd.DataFrame, *, cumulative: bool = False) -> go.Figure:
    """Actual vs predicted repeat purchases of the calibration cohort per period (or cumulative),
    with the calibration / holdout boundary marked."""
    ycol = "_cum" if cumulative else ""
    step = track.attrs.get("step_days", 7)
    period = i18n.period_name("week") if step == 7 else _("{n}-day period", n=step)
    fig = go.Figure()
    fig.add_scatter(x=track["period_end"], y=track[f"actual{ycol}"], name=_("actual"), mode="lines",
                    line={"color": ACTUAL})
    fig.add_scatter(x=track["period_end"], y=track[f"predicted{ycol}"], name=_("predicted by the model"),
                    mode="lines", line={"color": PREDICTED, "dash": "dash"})
    cal = track.attrs.get("calibration_end")
    if cal is not None:
        x = pd.Timestamp(cal)
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"dash": "dot", "color": "#666"})
        fig.add_annotation(x=x, y=1, yref="paper", text=_("calibration / holdout"), showarrow=False,
                           xanchor="left", yanchor="bottom")
    what = _("cumulative repeat purchases") if cumulative else _("repeat purchases per {period}", period=period)
    fig.update_layout(title=_("Tracking: actual vs predicted {what} (customers acquired in calibration)", what=what),
                      xaxis_title=_("{period} ending (date)", period=period),
                      yaxis_title=_("repeat purchase days (cumulative count)") if cumulative else _("repeat purchase days (count)"),
                      template=TEMPLATE, height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def holdout_by_frequency(table: pd.DataFrame, holdout_days: int) -> go.Figure:
    """Grouped bars: mean actual vs predicted holdout purchases by calibration frequency."""
    fig = go.Figure()
    fig.add_bar(x=table["frequency"], y=table["actual"], name=_("actual"), marker_color=ACTUAL)
    fig.add_bar(x=table["frequency"], y=table["predicted"], name=_("predicted"), marker_color=PREDICTED)
    fig.update_layout(title=_("Holdout purchases ({days} days) by purchases in calibration: actual vs predicted", days=holdout_days),
                      xaxis_title=_("repeat purchase days in the calibration period (count)"),
                      yaxis_title=_("mean purchase days in the holdout per customer (count)"),
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
                               hovertemplate=f"{_('frequency')} %{{y}}<br>{_('recency')} %{{x}} {unit}<br>"
                                             f"{colorbar} %{{z:.3f}}<extra></extra>"))
    fig.update_layout(title=title, template=TEMPLATE, height=460,
                      xaxis_title=_("recency: time from first to last purchase ({unit})", unit=unit),
                      yaxis_title=_("repeat purchase days (frequency, count)"))
    return fig


def tier_shares(summary: pd.DataFrame, value: str, label: str) -> go.Figure:
    """Per value tier: share of customers vs share of total value (bars, %)."""
    fig = go.Figure()
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary["share_customers"], name=_("share of customers"),
                marker_color="#bbbbbb", text=[i18n.fmt_percent(v) for v in summary["share_customers"]], textposition="auto")
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary[f"share_{value}"], name=_("share of {label}", label=label),
                marker_color=ACTUAL, text=[i18n.fmt_percent(v) for v in summary[f"share_{value}"]], textposition="auto")
    fig.update_layout(title=_("Value tiers: share of customers and share of {label}", label=label), barmode="group",
                      xaxis_title=_("value tier (customers ranked by value)"), yaxis_title=_("share (%)"),
                      template=TEMPLATE, height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def value_vs_p_alive(table: pd.DataFrame, *, value: str, value_label: str, top_share: float,
                     max_p_alive: float, max_points: int = 6000, seed: int = 0) -> go.Figure:
    """Scatter of customers: value (log scale) vs P(alive), with the action zone (high value, low
    P(alive)) shaded. At most ``max_points`` customers are drawn (a fixed random sample)."""
    tb = table[[value, "p_alive"]].dropna()
    tb = tb[tb[value] > 0]
    threshold = tb[value].quantile(1 - top_share) if len(tb) else np.nan
    if len(tb) > max_points:
        tb = tb.sample(max_points, random_state=seed)
    act = (tb[value] >= threshold) & (tb["p_alive"] < max_p_alive)
    fig = go.Figure()
    fig.add_scatter(x=tb.loc[~act, "p_alive"], y=tb.loc[~act, value], mode="markers", name=pgettext("word", "customers"),
                    marker={"size": 4, "color": "#9ab", "opacity": 0.6})
    fig.add_scatter(x=tb.loc[act, "p_alive"], y=tb.loc[act, value], mode="markers", name=_("to act on"),
                    marker={"size": 6, "color": "#d62728"})
    if np.isfinite(threshold):
        fig.add_shape(type="rect", x0=0, x1=max_p_alive, y0=threshold, y1=tb[value].max() if len(tb) else threshold,
                      fillcolor="rgba(214,39,40,0.08)", line={"width": 0})
    fig.update_layout(title=_("Who to act on: top {pct} % by {value} with P(alive) < {p}", pct=f"{100 * top_share:g}", value=value_label,
                                p=i18n.fmt_number(max_p_alive, 2)),
                      xaxis_title=_("P(alive): probability the customer is still active (0-1)"),
                      yaxis_title=_("{label} (log scale)", label=value_label), yaxis_type="log",
                      template=TEMPLATE, height=460, legend={"orientation": "h", "y": -0.2})
    return fig


def clv_intervals(table: pd.DataFrame, *, currency: str, n: int = 30) -> go.Figure:
    """Top-``n`` customers by CLV with their credible intervals (MCMC fits; the width is
    ``table.attrs["interval"]``, 90 % when absent)."""
    top = table.sort_values("clv", ascending=False).head(n).iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=top["clv"], y=plain(top["customer_id"].astype(str)), mode="markers",
        error_x={"type": "data", "symmetric": False, "array": top["clv_high"] - top["clv"],
                 "arrayminus": top["clv"] - top["clv_low"]}, marker={"color": ACTUAL}))
    level = table.attrs.get("interval", 0.9)
    fig.update_layout(title=_("Top {n} customers by CLV with {pct} % credible intervals", n=n, pct=f"{100 * level:g}"), template=TEMPLATE,
                      height=max(360, 18 * len(top) + 140), xaxis_title=_("CLV ({cur})", cur=currency),
                      yaxis_title=_("customer"))
    return fig
