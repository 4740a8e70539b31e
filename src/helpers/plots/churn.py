"""Figures of the churn notebook (05): windows, model quality, drivers, survival, retention plan.

Each recipe takes the small table a :mod:`helpers.models.churn` function returns and gives
back a plotly figure with a title and labelled axes (units in brackets).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .base import TEMPLATE, fmt_money

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
_LEGEND = {"orientation": "h", "y": -0.22, "x": 0}
_MS = pd.Timedelta(milliseconds=1)   # bar lengths on a date axis are in milliseconds
#: one colour per score, the same in every figure
SCORE_COLOURS = {"RFM recency (baseline)": "#1f77b4", "1 - P(alive) (BG/NBD)": "#ff7f0e",
                 "logistic regression": "#2ca02c", "gradient boosting": "#d62728"}


def _colour(name: str, i: int) -> str:
    return SCORE_COLOURS.get(name, COLOURS[(i + 4) % len(COLOURS)])


def windows(data_start: dt.date, rows: list[tuple[str, dt.date, int | None]]) -> go.Figure:
    """Timeline of the feature period and label window of each data set.

    ``rows``: (name, cut-off, horizon in days or None for "no label yet"). Features come from
    data_start .. cut-off; the label from the horizon days after it.
    """
    fig = go.Figure()
    names = [r[0] for r in rows]
    for i, (name, cut, horizon) in enumerate(rows):
        fig.add_bar(y=[name], x=[(pd.Timestamp(cut) + pd.Timedelta(days=1) - pd.Timestamp(data_start)) / _MS],
                    base=[str(data_start)],
                    orientation="h", marker_color="#1f77b4", name="features (lines up to the cut-off)",
                    showlegend=i == 0, hovertemplate=f"{name}: features {data_start} .. {cut}<extra></extra>")
        if horizon:
            start = pd.Timestamp(cut) + pd.Timedelta(days=1)
            fig.add_bar(y=[name], x=[pd.Timedelta(days=horizon) / _MS], base=[start.date().isoformat()], orientation="h",
                        marker_color="#ff7f0e", name="label window (purchase or not)", showlegend=i == 0,
                        hovertemplate=f"{name}: label {start.date()} .. {pd.Timestamp(cut) + pd.Timedelta(days=horizon):%Y-%m-%d}<extra></extra>")
    for name, cut, _ in rows:
        fig.add_annotation(y=name, x=str(cut), text=f"cut-off {cut}", showarrow=False, yshift=24, font={"size": 11})
    fig.update_xaxes(type="date")
    fig.update_layout(title="Out-of-time design: what each data set sees (features) and predicts (label)",
                      barmode="overlay", template=TEMPLATE, height=150 + 70 * len(rows),
                      xaxis_title="date", yaxis_title="data set", legend=_LEGEND,
                      yaxis={"categoryorder": "array", "categoryarray": names[::-1]})
    return fig


def roc_curves(roc: pd.DataFrame, metrics: pd.DataFrame | None = None) -> go.Figure:
    """ROC curves (output of :func:`helpers.models.churn.roc_table`) with the random diagonal."""
    auc = dict(zip(metrics["score"], metrics["roc_auc"])) if metrics is not None else {}
    fig = go.Figure()
    for i, (name, g) in enumerate(roc.groupby("score", sort=False)):
        label = f"{name} (AUC {auc[name]:.3f})" if name in auc else name
        fig.add_scatter(x=g["false_positive_rate"], y=g["true_positive_rate"], mode="lines", name=label,
                        line={"color": _colour(name, i)})
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="random (AUC 0.5)", line={"color": "#999", "dash": "dot"})
    fig.update_layout(title="ROC curves on the out-of-time test set", template=TEMPLATE, height=460,
                      xaxis_title="false positive rate (share of retained customers flagged)",
                      yaxis_title="true positive rate (share of churners flagged)", legend=_LEGEND)
    return fig


def calibration(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Predicted vs observed churn rate per bin (outputs of ``calibration_table``), with the ideal diagonal."""
    fig = go.Figure()
    for i, (name, t) in enumerate(tables.items()):
        fig.add_scatter(x=t["mean_predicted"], y=t["observed_rate"], mode="lines+markers", name=name,
                        line={"color": _colour(name, i)},
                        customdata=t["customers"], hovertemplate="predicted %{x:.2f}, observed %{y:.2f}, "
                                                                 "%{customdata} customers<extra></extra>")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", line={"color": "#999", "dash": "dot"})
    fig.update_layout(title="Calibration: predicted churn probability vs observed churn rate (10 equal-size bins)",
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis={"title": "mean predicted churn probability (0..1)", "range": [0, 1]},
                      yaxis={"title": "observed churn rate (0..1)", "range": [0, 1.02]})
    return fig


def gains(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Cumulative gains: share of all churners found vs share of customers contacted (best first)."""
    fig = go.Figure()
    for i, (name, t) in enumerate(tables.items()):
        fig.add_scatter(x=np.r_[0, t["share_contacted"] * 100], y=np.r_[0, t["gain"] * 100], mode="lines+markers",
                        name=name, line={"color": _colour(name, i)})
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name="random contact", line={"color": "#999", "dash": "dot"})
    fig.update_layout(title="Cumulative gains: churners found when contacting the riskiest customers first",
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis_title="customers contacted, highest risk first (%)", yaxis_title="churners found (% of all churners)")
    return fig


def lift(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Cumulative lift per group of customers (1 = no better than contacting at random)."""
    fig = go.Figure()
    for i, (name, t) in enumerate(tables.items()):
        fig.add_scatter(x=t["share_contacted"] * 100, y=t["lift"], mode="lines+markers", name=name,
                        line={"color": _colour(name, i)})
    fig.add_hline(y=1, line={"color": "#999", "dash": "dot"}, annotation_text="random (lift 1)")
    fig.update_layout(title="Cumulative lift: churn rate among those contacted / overall churn rate",
                      template=TEMPLATE, height=420, legend=_LEGEND,
                      xaxis_title="customers contacted, highest risk first (%)", yaxis_title="cumulative lift (ratio)")
    return fig


def confusion(tab: pd.DataFrame, model_name: str) -> go.Figure:
    """Heatmap of a 2 x 2 confusion table (``confusion_table``) with counts and row shares."""
    z = tab.to_numpy(dtype=float)
    share = z / z.sum(axis=1, keepdims=True).clip(min=1)
    text = [[f"{int(v):,}<br>({s:.0%} of row)" for v, s in zip(r, sr)] for r, sr in zip(z, share)]
    fig = go.Figure(go.Heatmap(z=share, x=list(tab.columns), y=list(tab.index), text=text, texttemplate="%{text}",
                               colorscale="Blues", zmin=0, zmax=1, colorbar={"title": "share of row"}))
    a = tab.attrs
    fig.update_layout(title=f"Confusion matrix, {model_name}, {tab.columns.name}: precision {a['precision']:.1%}, "
                            f"recall {a['recall']:.1%}", template=TEMPLATE, height=380,
                      xaxis_title="predicted (customers)", yaxis_title="actual (customers)",
                      yaxis={"autorange": "reversed"})
    return fig


def importance(imp: pd.DataFrame, model_name: str, top: int = 15) -> go.Figure:
    """Horizontal bars of permutation importance (drop in ROC-AUC) with one standard deviation."""
    t = imp.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=t["importance"], y=t["feature"], orientation="h", marker_color="#1f77b4",
                           error_x={"type": "data", "array": t["std"], "visible": True}))
    fig.update_layout(title=f"What drives the {model_name}: drop in test ROC-AUC when a feature is shuffled",
                      template=TEMPLATE, height=max(320, 26 * len(t) + 140),
                      xaxis_title="permutation importance (drop in ROC-AUC)", yaxis_title="feature")
    return fig


def partial_dependence(pdt: pd.DataFrame, units: dict[str, str] | None = None) -> go.Figure:
    """One panel per feature: the average predicted churn probability as the feature varies."""
    feats = list(dict.fromkeys(pdt["feature"]))
    units = units or {}
    fig = make_subplots(rows=1, cols=max(1, len(feats)), shared_yaxes=True, horizontal_spacing=0.06)
    for i, f in enumerate(feats, start=1):
        g = pdt[pdt["feature"] == f]
        fig.add_scatter(x=g["value"], y=g["churn_probability"], mode="lines+markers", name=f, row=1, col=i,
                        line={"color": COLOURS[(i - 1) % len(COLOURS)]}, showlegend=False)
        fig.update_xaxes(title_text=f"{f} ({units.get(f, 'value')})", row=1, col=i)
    fig.update_yaxes(title_text="average churn probability (0..1)", row=1, col=1)
    fig.update_layout(title="Partial dependence of the top drivers (other features as observed)",
                      template=TEMPLATE, height=400)
    return fig


def km_curves(curves: pd.DataFrame, summary: pd.DataFrame, segment_name: str, lapse_days: int) -> go.Figure:
    """Kaplan-Meier curves (``km_table``) per segment, with 95 % bands and the log-rank p-value."""
    fig = go.Figure()
    for i, (name, g) in enumerate(curves.groupby("segment", sort=True)):
        c = COLOURS[i % len(COLOURS)]
        rgb = tuple(int(c[j:j + 2], 16) for j in (1, 3, 5))
        fig.add_scatter(x=np.r_[g["days"], g["days"][::-1]], y=np.r_[g["upper"], g["lower"][::-1]] * 100, fill="toself",
                        fillcolor=f"rgba{rgb + (0.12,)}", line={"width": 0}, hoverinfo="skip", showlegend=False)
        n = int(summary.loc[summary["segment"] == name, "customers"].iloc[0])
        fig.add_scatter(x=g["days"], y=g["survival"] * 100, mode="lines", line={"shape": "hv", "color": c},
                        name=f"{name} ({n:,} customers)")
    p = summary.attrs.get("logrank_p", np.nan)
    ptxt = f"log-rank p = {p:.3g}" if np.isfinite(p) else "one segment only"
    fig.update_layout(title=f"Still active t days after the first purchase, by {segment_name} "
                            f"(Kaplan-Meier, lapse = {lapse_days} days without purchase; {ptxt})",
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis_title="days since the first purchase", yaxis={"title": "customers still active (%)",
                                                                          "range": [0, 101]})
    return fig


def risk_by_group(scored: pd.DataFrame, column: str, currency: str) -> go.Figure:
    """Bars: customers per churn-risk band, coloured by band, with the value at stake as text."""
    t = scored.groupby(column, observed=True).agg(customers=("churn_risk", "size"), value=("value", "sum")).reset_index()
    fig = go.Figure(go.Bar(x=t[column].astype(str), y=t["customers"], marker_color="#d62728",
                           text=[f"value {fmt_money(v, currency)}" for v in t["value"]], textposition="outside"))
    fig.update_layout(title=f"Active customers by churn-risk band (value at stake in {currency})", template=TEMPLATE,
                      height=400, xaxis_title="churn risk band (probability of no purchase in the horizon)",
                      yaxis_title="customers (count)")
    return fig


def cumulative_return(plan: pd.DataFrame, be: dict, currency: str) -> go.Figure:
    """Cumulative expected saved value vs customers contacted (best first), with the optimum and break-even."""
    x = np.r_[0, plan["rank"]]
    y = np.r_[0, plan["cumulative_return"]]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="cumulative expected return", line={"color": "#1f77b4"}))
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"})
    if be["best_n"]:
        fig.add_scatter(x=[be["best_n"]], y=[be["best_return"]], mode="markers+text", marker={"size": 11, "color": "#2ca02c"},
                        text=[f"best: contact {be['best_n']:,} → {fmt_money(be['best_return'], currency)}"],
                        textposition="bottom right", name="best list size")
    if be["break_even_n"] and be["break_even_n"] < be["customers"]:
        fig.add_scatter(x=[be["break_even_n"]], y=[0], mode="markers+text", marker={"size": 11, "color": "#d62728"},
                        text=[f"break-even: {be['break_even_n']:,}"], textposition="bottom left", name="break-even")
    fig.update_layout(title="Retention campaign: cumulative expected return as the list grows (best customers first)",
                      template=TEMPLATE, height=440, legend=_LEGEND,
                      xaxis_title="customers contacted (count, ranked by expected saved value)",
                      yaxis_title=f"cumulative expected saved value ({currency})")
    return fig


def auc_bars(metrics: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of ROC-AUC per score, with the random line at 0.5."""
    t = metrics.iloc[::-1]
    fig = go.Figure(go.Bar(x=t["roc_auc"], y=t["score"], orientation="h", marker_color="#1f77b4",
                           text=[f"{v:.3f}" for v in t["roc_auc"]], textposition="auto"))
    fig.add_vline(x=0.5, line={"color": "#999", "dash": "dot"}, annotation_text="random")
    fig.update_layout(title=title, template=TEMPLATE, height=max(300, 40 * len(t) + 140),
                      xaxis={"title": "ROC-AUC (0.5 = random, 1 = perfect)", "range": [0.4, 1]}, yaxis_title="score")
    return fig
