"""Plots and styled tables of the validation notebook (12): checks with a pass/fail colour,
P(alive) calibration, holdout accuracy beside the naive forecasts."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n

from helpers.analyses import validation
from helpers.plots.base import TEMPLATE

PASS_COLOUR, FAIL_COLOUR = "#d4f4dd", "#f9d6d5"


def _fmt(x) -> str:
    if isinstance(x, str):
        return x
    if x is None or x != x:
        return "–"
    x = float(x)
    return i18n.fmt_number(x, 0) if abs(x) >= 1000 else (f"{x:.4g}" if i18n.language() == "en"
                                                         else f"{x:.4g}".replace(".", ","))


def checks_styler(checks: pd.DataFrame, caption: str = ""):
    """The table of checks, one row per check, green when passed and red when failed."""
    t = checks.copy()
    t["truth"] = t["truth"].map(_fmt)
    t["estimate"] = t["estimate"].map(_fmt)
    t["area"] = t["area"].map(lambda a: i18n.label(a, "val_area_"))
    t["verdict"] = t["passed"].map(lambda ok: f"✔ {i18n._('passed')}" if ok else f"✘ {i18n.pgettext('val', 'failed')}")
    passed = t.pop("passed")
    t = t.rename(columns={"area": i18n._("area"), "name": i18n._("check"), "truth": i18n._("truth"),
                          "estimate": i18n._("estimate"), "tolerance": i18n._("tolerance"),
                          "why": i18n._("why this tolerance"), "verdict": i18n._("verdict")})

    def colour(row):
        c = PASS_COLOUR if passed.loc[row.name] else FAIL_COLOUR
        return [f"background-color: {c}"] * len(row)

    return (i18n.EscapedStyler(t).apply(colour, axis=1).hide(axis="index").set_caption(caption)
            .set_properties(**{"text-align": "left", "white-space": "normal"}))


def calibration_plot(cal: pd.DataFrame, title: str) -> go.Figure:
    """Mean predicted P(alive) against the truly alive share per bin; the diagonal is perfect calibration."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="#999"),
                             name=i18n._("perfect calibration")))
    fig.add_trace(go.Scatter(x=cal["predicted"], y=cal["observed"], mode="markers+lines",
                             marker=dict(size=6 + 20 * cal["customers"] / cal["customers"].max()),
                             text=[f"{i18n._('customers in the bin')}: {n:,}" for n in cal["customers"]],
                             name=i18n._("truly alive (share)")))
    fig.update_layout(title=title, template=TEMPLATE, height=420,
                      xaxis_title=f"{i18n._('predicted P(alive), bin mean')} (0–1)",
                      yaxis_title=f"{i18n._('truly alive (share)')} (0–1)",
                      xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1.02]))
    return fig


def accuracy_bars(accuracy: pd.DataFrame, target: str, metric: str, unit: str, title: str) -> go.Figure:
    """``metric`` (mae, rmse or bias) per calibration-frequency bucket, one bar per forecast."""
    t = accuracy[accuracy["target"] == target]
    colours = {"model": "#1f77b4", "past rate": "#ff7f0e", "zero": "#999999"}
    fig = go.Figure()
    for f, g in t.groupby("forecast", sort=False):
        fig.add_trace(go.Bar(x=g["bucket"].map(lambda b: i18n.label(b, "val_bucket_")), y=g[metric],
                             name=i18n.label(f, "val_fc_"), marker_color=colours.get(f)))
    fig.update_layout(title=title, template=TEMPLATE, barmode="group", height=400,
                      xaxis_title=i18n._("repeat purchases in calibration"),
                      yaxis_title=f"{i18n.lookup('val_' + metric)} ({unit})", legend_title=i18n._("forecast"))
    return fig


def accuracy_styler(accuracy: pd.DataFrame, caption: str):
    """The holdout accuracy table; the best (lowest) RMSE of each target and bucket in bold."""
    t = accuracy.copy()
    best = t.groupby(["target", "bucket"])["rmse"].transform("min") == t["rmse"]
    formats = {"customers": "{:,}", "actual": "{:,.3f}", "predicted": "{:,.3f}", "mae": "{:,.3f}",
               "rmse": "{:,.3f}", "bias": "{:+,.3f}"}
    if i18n.language() != "en":             # the stored table keeps its English names and values
        t["target"] = t["target"].map(lambda v: i18n.label(v, "val_target_"))
        t["bucket"] = t["bucket"].map(lambda v: i18n.label(v, "val_bucket_"))
        t["forecast"] = t["forecast"].map(lambda v: i18n.label(v, "val_fc_"))
        names = {"target": i18n._("target"), "bucket": i18n._("repeat purchases in calibration"), "forecast": i18n._("forecast"),
                 "customers": i18n.pgettext("val", "customers"), "actual": i18n._("actual"),
                 "predicted": i18n._("predicted"), "mae": i18n._("MAE"), "rmse": i18n._("RMSE"),
                 "bias": i18n._("bias")}
        t = t.rename(columns=names)
        formats = {names[k]: (lambda spec: lambda v: i18n.fmt_spec(v, spec))(f[1:-1].lstrip(":"))
                   for k, f in formats.items()}
        rmse = names["rmse"]
    else:
        rmse = "rmse"
    sty = i18n.EscapedStyler(t).format(formats).hide(axis="index").set_caption(caption)
    return sty.apply(lambda col: ["font-weight: bold" if b else "" for b in best], subset=[rmse])


def parameter_plot(params: pd.DataFrame, title: str) -> go.Figure:
    """Estimate / truth per parameter with its 90 % interval: 1 means recovered exactly."""
    t = params.dropna(subset=["truth"]).copy()
    t["label"] = t["model"] + " " + t["parameter"]
    ratio = t["estimate"] / t["truth"]
    fig = go.Figure(go.Scatter(
        x=ratio, y=t["label"], mode="markers", marker=dict(size=10),
        error_x=dict(type="data", symmetric=False, array=(t["high"] - t["estimate"]) / t["truth"],
                     arrayminus=(t["estimate"] - t["low"]) / t["truth"])))
    fig.add_vline(x=1.0, line_dash="dash", line_color="#2ca02c")
    fig.update_layout(title=title, template=TEMPLATE, height=120 + 40 * len(t),
                      xaxis_title=i18n._("estimate / truth (1 = exact; bars: 90 % interval)"),
                      yaxis_title=i18n._("parameter"))
    return fig
