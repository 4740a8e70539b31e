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
from helpers.i18n import t
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
        fig.add_annotation(x=100 * tier, y=8 + 9 * i, text=t("clv_top_pct", pct=f"{100 * tier:g}"), showarrow=False, xanchor="left",
                           xshift=3, font={"size": 11, "color": "#555"})
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=t("clv_all_equal"),
                    line={"dash": "dash", "color": "#bbb"})
    fig.update_layout(title=t("clv_concentration_title"),
                      xaxis_title=t("clv_best_customers_x"), yaxis_title=t("clv_share_value_y"),
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
    title = (t("clv_gg_check_title")
             + (f" (Pearson r = {i18n.fmt_number(r, 2)}, Spearman = {i18n.fmt_number(check['spearman'], 2)})"
                if np.isfinite(r) else ""))
    fig.update_layout(title=title, xaxis_title=t("clv_frequency_x"),
                      yaxis_title=t("clv_gg_check_y", cur=currency),
                      yaxis_type="log", template=TEMPLATE, height=420)
    return fig


def tracking(track: pd.DataFrame, *, cumulative: bool = False) -> go.Figure:
    """Actual vs predicted repeat purchases of the calibration cohort per period (or cumulative),
    with the calibration / holdout boundary marked."""
    ycol = "_cum" if cumulative else ""
    step = track.attrs.get("step_days", 7)
    period = i18n.period_name("week") if step == 7 else t("clv_n_day_period", n=step)
    fig = go.Figure()
    fig.add_scatter(x=track["period_end"], y=track[f"actual{ycol}"], name=t("actual"), mode="lines",
                    line={"color": ACTUAL})
    fig.add_scatter(x=track["period_end"], y=track[f"predicted{ycol}"], name=t("clv_predicted_by_model"),
                    mode="lines", line={"color": PREDICTED, "dash": "dash"})
    cal = track.attrs.get("calibration_end")
    if cal is not None:
        x = pd.Timestamp(cal)
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"dash": "dot", "color": "#666"})
        fig.add_annotation(x=x, y=1, yref="paper", text=t("clv_calibration_holdout"), showarrow=False,
                           xanchor="left", yanchor="bottom")
    what = t("clv_cumulative_repeat") if cumulative else t("clv_repeat_per", period=period)
    fig.update_layout(title=t("clv_tracking_title", what=what),
                      xaxis_title=t("clv_period_ending", period=period),
                      yaxis_title=t("clv_tracking_y_cum") if cumulative else t("clv_tracking_y"),
                      template=TEMPLATE, height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def holdout_by_frequency(table: pd.DataFrame, holdout_days: int) -> go.Figure:
    """Grouped bars: mean actual vs predicted holdout purchases by calibration frequency."""
    fig = go.Figure()
    fig.add_bar(x=table["frequency"], y=table["actual"], name=t("actual"), marker_color=ACTUAL)
    fig.add_bar(x=table["frequency"], y=table["predicted"], name=t("predicted"), marker_color=PREDICTED)
    fig.update_layout(title=t("clv_holdout_title", days=holdout_days),
                      xaxis_title=t("clv_holdout_x"),
                      yaxis_title=t("clv_holdout_y"),
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
                               hovertemplate=f"{t('frequency')} %{{y}}<br>{t('recency')} %{{x}} {unit}<br>"
                                             f"{colorbar} %{{z:.3f}}<extra></extra>"))
    fig.update_layout(title=title, template=TEMPLATE, height=460,
                      xaxis_title=t("clv_recency_x", unit=unit),
                      yaxis_title=t("clv_frequency_x"))
    return fig


def tier_shares(summary: pd.DataFrame, value: str, label: str) -> go.Figure:
    """Per value tier: share of customers vs share of total value (bars, %)."""
    fig = go.Figure()
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary["share_customers"], name=t("share_of_customers"),
                marker_color="#bbbbbb", text=[i18n.fmt_percent(v) for v in summary["share_customers"]], textposition="auto")
    fig.add_bar(x=summary["tier"].astype(str), y=100 * summary[f"share_{value}"], name=t("clv_share_of", label=label),
                marker_color=ACTUAL, text=[i18n.fmt_percent(v) for v in summary[f"share_{value}"]], textposition="auto")
    fig.update_layout(title=t("clv_tiers_title", label=label), barmode="group",
                      xaxis_title=t("clv_tier_x"), yaxis_title=t("share_pct"),
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
    fig.add_scatter(x=tb.loc[~act, "p_alive"], y=tb.loc[~act, value], mode="markers", name=t("customers"),
                    marker={"size": 4, "color": "#9ab", "opacity": 0.6})
    fig.add_scatter(x=tb.loc[act, "p_alive"], y=tb.loc[act, value], mode="markers", name=t("clv_to_act_on"),
                    marker={"size": 6, "color": "#d62728"})
    if np.isfinite(threshold):
        fig.add_shape(type="rect", x0=0, x1=max_p_alive, y0=threshold, y1=tb[value].max() if len(tb) else threshold,
                      fillcolor="rgba(214,39,40,0.08)", line={"width": 0})
    fig.update_layout(title=t("clv_act_title", pct=f"{100 * top_share:g}", value=value_label,
                                p=i18n.fmt_number(max_p_alive, 2)),
                      xaxis_title=t("clv_p_alive_x"),
                      yaxis_title=t("log_scale", label=value_label), yaxis_type="log",
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
    fig.update_layout(title=t("clv_intervals_title", n=n, pct=f"{100 * level:g}"), template=TEMPLATE,
                      height=max(360, 18 * len(top) + 140), xaxis_title=t("clv_cur", cur=currency),
                      yaxis_title=t("customer"))
    return fig
