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


def parameter_section(sv, currency: str) -> list:
    """The BG/NBD and Gamma-Gamma parameters beside the planted ones (``sv``: :func:`helpers.analyses.validation.
    btyd_truth_checks`): its notes, the parameter plot and the checks table (P(alive) checks apart); the note
    that real data has no planted parameters when ``sv`` is None."""
    if sv is None:
        return [i18n._("Real data: the true parameters are unknown; see the CDNOW comparison (Step 5) and the holdout accuracy (Step 4).")]
    out = list(sv.notes or [])
    if sv.parameters is not None:
        out.append(parameter_plot(sv.parameters, i18n._("Estimated / true parameter on the regular customers (BG/NBD: weeks; Gamma-Gamma: {currency})", currency=currency)))
    out.append(checks_styler(validation.checks_table([c for c in sv.checks if c.area != "P(alive)"]),
                             i18n._("BG/NBD and Gamma-Gamma on the planted regulars")))
    return out


def holdout_section(val, accuracy: pd.DataFrame | None, currency: str, *, start) -> list:
    """The holdout validation's notes (or its calibration window from ``start``, the data's first day), which step of the CLV recovery chain the
    calibration fit came from when not the first, the customers it could not predict, and the accuracy table."""
    out = ["\n".join(map(i18n.say, val.notes)) or i18n._("calibration {start} .. {end}, holdout {days} days", start=start, end=val.calibration_end, days=val.holdout_days)]
    if val.fit is not None and val.fit.attempts:  # the calibration fit came from a later step of the CLV recovery chain
        out.append(i18n._("Calibration fit: {source}.", source=i18n.say(val.fit.source.phrase)))
    if val.unknown:
        out.append(i18n._("{n} calibration customers have no prediction under {step} (no time observed before the calibration end); the totals compare the others.", n=val.unknown, step=i18n.lookup("clv_step_" + val.fit.step)))
    if accuracy is not None:
        out.append(accuracy_styler(accuracy, i18n._("Holdout accuracy per customer: purchases (count) and spend ({currency}); lowest RMSE in bold", currency=currency)))
    return out


def recovery_section(rec) -> list:
    """The recovery checks (``rec``: :func:`helpers.analyses.validation.recovery_checks`): the share of each
    planted type per k-means cluster, the planted bundles' ranks (with products) and the checks table; the note
    that real data has nothing planted when ``rec`` is None."""
    f = i18n.fmt_spec
    if rec is None:
        return [i18n._("Real data: no planted customer types, bundles or price ladders to compare with.")]
    out = [pd.crosstab(rec.labels.map(lambda c: i18n._("cluster {c}", c=c)).to_numpy(),
                       rec.types.map(lambda v: i18n.label(v, "ptype_")).to_numpy(),
                       rownames=[i18n._("cluster (k = {k})", k=rec.k)], colnames=[i18n.pgettext("nb12", "planted type")], normalize="index")
           .style.format(lambda v: f(v, ".0%")).set_caption(i18n.pgettext("nb12", "Share of each cluster by planted customer type"))]
    if rec.ranks is not None:
        out.append(i18n.columns(rec.ranks, "nb12_bundles_col_").style
                   .format({i18n.column(c, "nb12_bundles_col_"): fn for c, fn in (("rank", lambda v: f(v, ".0f")),
                            ("lift", lambda v: f(v, ".1f")), ("confidence", lambda v: f(v, ".0%")))},
                           na_rep=i18n._("not found"))
                   .hide(axis="index").set_caption(i18n._("Planted bundles: best rank of a rule on exactly their products (by lift)")))
    out.append(checks_styler(validation.checks_table(rec.checks), i18n._("Clusters, bundles, price ladders and the complaint effect against the planted truth")))
    return out


def cdnow_section(sample, *, enabled: bool) -> tuple[list, list]:
    """The CDNOW check: ``(checks, what to show)``. Off, or without the sample file, no check and the note saying
    so; else the published estimates beside ours and the checks table."""
    from helpers.analyses.headlines import shown_path

    f = i18n.fmt_spec
    if not enabled:
        return [], [i18n._("CDNOW comparison switched off (cdnow_check = False).")]
    if not sample.exists():
        return [], [i18n._("CDNOW sample not found at {sample}: the published-estimate comparison is skipped (it needs ../shared/data beside the project).", sample=shown_path(sample))]
    cdnow, cdnow_table = validation.cdnow_checks(sample)
    table = (i18n.columns(cdnow_table, "nb12_cdnow_col_").style
             .format({i18n.column(c, "nb12_cdnow_col_"): (lambda v: f(v, ".4g")) for c in ("published", "ours")})
             .hide(axis="index").set_caption(i18n._("CDNOW 1/10 sample: published maximum-likelihood estimates and ours (weeks; USD)")))
    return cdnow, [table, checks_styler(validation.checks_table(cdnow), i18n._("CDNOW: published vs ours"))]
