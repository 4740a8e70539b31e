"""Figures of the CLV notebook (04): value concentration, validation, heatmaps, tiers, action list.

Each function takes a small table from :mod:`helpers.models.clv` and returns a plotly figure
with a title and axis labels that carry their units (currency, count, %, the model's time unit).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers.features.customers import UNIT_NAMES
from helpers import i18n
from helpers.i18n import term, _, pgettext
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


# ----------------------------------------------------------------------------- notebook 04's sections
def fit_notes(fits) -> list[str]:
    """Which step of the CLV recovery chain each fit came from (customers, repeat buyers or exclusions, seconds),
    that P(alive) is unknown when the purchase model has no dropout, and the MCMC diagnostics."""
    from helpers.models.clv import step_phrase

    f, s = fits.purchase, fits.spend  # each from the recovery chain: the step used and why the earlier ones were not
    out = [_("Purchases: {source}; {n} customers, {repeat} of them repeat buyers, {seconds} s", source=i18n.say(f.source.phrase), n=i18n.fmt_number(f.n_customers), repeat=i18n.fmt_number(f.n_repeat),
             seconds=i18n.fmt_number(f.seconds, 1)),
           _("Spend: {source}; {n} repeat customers with a positive repeat spend ({excluded} left out), {seconds} s", source=i18n.say(s.source.phrase), n=i18n.fmt_number(s.n_customers), excluded=i18n.fmt_number(s.n_excluded),
             seconds=i18n.fmt_number(s.seconds, 1))]
    if not f.has_p_alive:
        out.append(_("P(alive) is unknown for every customer: {step} has no dropout. The P(alive) columns are left empty (not 1), and nothing that needs P(alive) (its heatmap, the action list) is shown.", step=i18n.say(step_phrase(f.step))))
    return out + list(f.warnings + s.warnings)  # MCMC diagnostics


def translated_parameter_table(params: pd.DataFrame, caption: str):
    """:func:`parameter_table` with the column names and the meanings in the report language."""
    shown = i18n.columns(params.assign(meaning=[i18n.say(v) for v in params["meaning"]]))
    return (shown.style.format(precision=4, **i18n.number_format()).hide(axis="index").set_caption(caption)
            .set_properties(subset=[i18n.column("meaning")], **{"text-align": "left"}))


def fit_section(fits, *, unit_name: str, currency: str, can_predict: bool = True) -> list:
    """The fitted parameters with their meanings: the purchase model's (when it can predict) and the spend
    model's (Gamma-Gamma, or the step of the chain that replaced it)."""
    from helpers.models.clv import describe_parameters, step_phrase

    out = []
    if can_predict:
        out.append(translated_parameter_table(describe_parameters(fits.purchase),
                                              _("{model} parameters (time in {unit}); 90 % interval low .. high", model=i18n.say(step_phrase(fits.purchase.step)), unit=unit_name)))
    if fits.spend.model == "gamma_gamma":
        out.append(translated_parameter_table(describe_parameters(fits.spend, currency), _("Gamma-Gamma parameters (spend in {currency}); 90 % interval low .. high", currency=currency)))
    else:
        out.append(translated_parameter_table(describe_parameters(fits.spend, currency),
                                              _("{model} parameters (time in {unit}); 90 % interval low .. high", model=i18n.say(step_phrase(fits.spend.step)), unit=currency)))
    return out


def validation_notes(val, *, start, end) -> list[str]:
    """What the holdout validation did: skipped (``val`` None), or its calibration window and notes, the step of
    the chain its fit came from, the customers it could not predict and the holdout totals."""
    from helpers.models.clv import step_phrase

    if val is None:
        return [_("Validation skipped (holdout_months = 0, or no purchase model).")]
    fmt_date, fmt_number = i18n.fmt_date, i18n.fmt_number
    out = ["\n".join([_("calibration {start} .. {cal_end}, holdout {days} days to {end}", start=fmt_date(start), cal_end=fmt_date(val.calibration_end), days=val.holdout_days,
                        end=fmt_date(end)) if val.calibration_end else "", *map(i18n.say, val.notes)]).strip()]
    if val.fit is not None and val.fit.attempts:
        out.append(_("Calibration fit: {source}.", source=i18n.say(val.fit.source.phrase)))
    if val.unknown:
        out.append(_("{n} calibration customers have no prediction under {step} (no time observed before the calibration end); the totals compare the others.", n=fmt_number(val.unknown), step=i18n.say(step_phrase(val.fit.step))))
    if val.totals:
        err = val.totals["relative_error"]
        out.append(_("holdout purchase days of the {n} calibration customers: actual {actual}, predicted {predicted} ({error})", n=fmt_number(val.totals["customers"]), actual=fmt_number(val.totals["actual"]),
                     predicted=fmt_number(val.totals["predicted"]), error=("+" if err >= 0 else "-") + i18n.fmt_percent(abs(err))))
    return out


def grid_heatmaps(grid: pd.DataFrame, purchase_fit, *, horizon_months: int, unit_name: str) -> list:
    """P(alive) (or the note that the purchase model has none) and the expected purchases over the horizon, per
    frequency and recency (:func:`helpers.models.clv.frequency_recency_grid`)."""
    from helpers.models.clv import step_phrase

    age = i18n.fmt_number(grid.attrs["T"])
    out = [heatmap(grid, "p_alive", title=_("P(alive) by frequency and recency (customers of age T = {T} {unit})", T=age, unit=unit_name), colorbar=term("p_alive"))
           if purchase_fit.has_p_alive else _("P(alive) is unknown for every customer: {step} has no dropout. The P(alive) columns are left empty (not 1), and nothing that needs P(alive) (its heatmap, the action list) is shown.", step=i18n.say(step_phrase(purchase_fit.step)))]
    out.append(heatmap(grid, "expected_purchases", colorbar=_("purchases"),
                       title=_("Expected purchases in the next {months} months (customers of age T = {T} {unit})", months=horizon_months, T=age, unit=unit_name)))
    return out


def value_summary(value: pd.DataFrame, *, unit_name: str, horizon_months: int, currency: str, margin: float,
                  discount_rate: float):
    """The statistics of each customer value column (columns all empty, ids and first value left out), captioned
    with the horizon, margin and discount rate."""
    shown = value.dropna(axis=1, how="all").drop(columns=["customer_id", "first_value"], errors="ignore")
    return i18n.describe(shown).style.format("{:,.3f}", **i18n.number_format()).set_caption(
        _("Per customer: recency, T in {unit}; expected_purchases in the next {months} months (count); monetary_value, expected_spend, clv, revenue, gross_margin in {currency}; clv at {margin} margin, {discount} a year discount", unit=unit_name, months=horizon_months, currency=currency, margin=i18n.fmt_percent(margin, 0),
          discount=i18n.fmt_percent(discount_rate, 0)))


def clv_totals(value: pd.DataFrame | None, has_p_alive: bool, *, horizon_months: int, currency: str) -> list:
    """The customers without a CLV, the totals (CLV, expected purchases, mean P(alive)) and the CLV histogram
    (log counts, clipped at the 99th percentile); nothing without values."""
    from helpers.plots.base import histogram

    out = []
    unknown_clv = int(value["clv"].isna().sum()) if value is not None else 0
    if unknown_clv:
        out.append(_("{n} of {total} customers have an unknown CLV under these steps: it is left empty, not set to 0, and they have no value tier.", n=i18n.fmt_number(unknown_clv), total=i18n.fmt_number(len(value))))
    if value is not None and value["clv"].notna().any():
        out.append(_("Total {months}-month CLV: {clv} {currency} (gross margin, discounted); expected purchases: {purchases}; mean P(alive): {p_alive}", months=horizon_months, clv=i18n.fmt_number(value["clv"].sum()), currency=currency,
                     purchases=i18n.fmt_number(value["expected_purchases"].sum()),
                     p_alive=i18n.fmt_number(value["p_alive"].mean(), 2) if has_p_alive else _("n/a")))
        out.append(histogram(value["clv"].clip(upper=value["clv"].quantile(0.99)), bins=50, log_y=True,
                             title=_("Predicted {months}-month CLV per customer (capped at the 99th percentile)", months=horizon_months), x_label=_("CLV ({currency}, gross margin, discounted)", currency=currency)))
    return out


#: The columns of the ten most valuable customers' table.
TOP_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases", "expected_spend",
               "clv", "revenue"]


def top_section(value: pd.DataFrame | None, spend_fit, shown, *, unit_name: str, horizon_months: int, currency: str) -> list:
    """The ten customers of highest CLV (ids as the config shows them: ``shown``) and, with Gamma-Gamma, the
    first one's expected spend by hand: the weight of its own mean against the population mean."""
    if value is None or not value["clv"].notna().any():
        return []
    top = value.sort_values("clv", ascending=False).head(10)
    out = [i18n.table(shown(top[TOP_COLUMNS]), precision=2).hide(axis="index").set_caption(
        _("Top 10 by CLV: recency, T in {unit}; expected purchases in {months} months; spend, CLV, revenue in {currency}", unit=unit_name, months=horizon_months, currency=currency))]
    if spend_fit.model == "gamma_gamma":
        p, q, v = (spend_fit.values[k] for k in ("p", "q", "v")); x, m = top.iloc[0]["frequency"], top.iloc[0]["monetary_value"]
        w = p * x / (p * x + q - 1)
        formula = (f"w = {p:.3f}*{x:.0f} / ({p:.3f}*{x:.0f} + {q:.3f} - 1) = {w:.4f}; E[spend] = {w:.4f}*{m:.2f} + {1 - w:.4f}*{p * v / (q - 1):.2f} "
                   f"= {w * m + (1 - w) * p * v / (q - 1):.2f}")
        out.append(_("by hand: {formula} {currency} (table: {table}{note}", formula=i18n.localize_numbers(formula), currency=currency,
                     table=i18n.fmt_number(top.iloc[0]["expected_spend"], 2), note=")" if spend_fit.method == "map" else _("; with MCMC the table averages E[spend] over the posterior draws, so it differs a little from E[spend] at the posterior means)")))
    return out


def action_section(value: pd.DataFrame | None, actions: pd.DataFrame | None, purchase_fit, *, top_share: float,
                   max_p_alive: float, currency: str, skip_note: str) -> list:
    """The valuable customers likely lost: how many candidates and kept (with the value at risk) and the value
    against P(alive) chart; the note that P(alive) is unknown, or ``skip_note`` without values."""
    from helpers.models.clv import step_phrase

    if value is None:
        return [skip_note]
    if not purchase_fit.has_p_alive:
        return [_("P(alive) is unknown for every customer: {step} has no dropout. The P(alive) columns are left empty (not 1), and nothing that needs P(alive) (its heatmap, the action list) is shown.", step=i18n.say(step_phrase(purchase_fit.step)))]
    top_text, p_text = i18n.fmt_percent(top_share, 0), i18n.fmt_number(max_p_alive, 2)
    return [_("{n} customers are in the top {top} by historical margin with P(alive) < {p}; the list keeps the first {kept} by margin at risk ({risk} {currency})", n=i18n.fmt_number(actions.attrs["candidates"]), top=top_text, p=p_text,
              kept=i18n.fmt_number(len(actions)), risk=i18n.fmt_number(actions["value_at_risk"].sum()), currency=currency)
            if len(actions) else _("Nobody in the top {top} by historical margin has P(alive) < {p}: no one to act on at these thresholds.", top=top_text, p=p_text),
            value_vs_p_alive(value, value="gross_margin", value_label=_("historical gross margin ({currency})", currency=currency),
                             top_share=top_share, max_p_alive=max_p_alive)]


#: A value tier's stored label (:func:`helpers.models.clv.tier_labels`: "top 1 %", "top 1-5 %", "rest 80 %").
_TIER = re.compile(r"^(top|rest) (\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))? %$")


def tier_name(label, language: str | None = None) -> str:
    """A value tier's label as the report says it, translated as a whole ("top 1-5 %" -> "en üst %1-5");
    anything else (a missing tier, "unknown") as :func:`helpers.i18n.label` shows it."""
    m = _TIER.match(str(label))
    if not m:
        return i18n.label(label)
    kind, a, b = m.groups()
    num = lambda s: i18n.fmt_spec(float(s), "g", language)  # noqa: E731
    if kind == "rest":
        return _("rest {pct} %", language, pct=num(a))
    if b:
        return _("top {low}-{high} %", language, low=num(a), high=num(b))
    return _("top {pct} %", language, pct=num(a))
