"""Figures of the lifecycle notebook (02): KPIs per period, cohorts, life-cycle stages, lost customers.

Each recipe takes a table from :mod:`helpers.features.lifecycle` and returns a plotly figure with a
title and axis labels carrying units.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers import i18n
from helpers.i18n import _, pgettext, term, lookup
from helpers.plots.base import TEMPLATE, plain

P = i18n.period_name

STAGE_COLOURS = {
    "new": "#9ecae1", "converted": "#4292c6", "active": "#2171b5", "loyal": "#08306b",
    "reactivated": "#31a354", "at risk": "#fd8d3c", "lost": "#bdbdbd",
}
_FLOW = {"new": "#9ecae1", "reactivated": "#31a354", "retained": "#2171b5", "churned": "#d62728"}


def _x(kpis: pd.DataFrame) -> pd.Series:
    return kpis["period"]


def _partial_note(fig: go.Figure, kpis: pd.DataFrame) -> None:
    if "complete" in kpis and not kpis["complete"].all():
        parts = ", ".join(kpis.loc[~kpis["complete"], "period"].astype(str))
        fig.add_annotation(text=_("partial period(s): {parts}", parts=parts), xref="paper", yref="paper", x=1, y=1.06,
                           showarrow=False, font={"size": 11, "color": "#777"}, xanchor="right")


def _rate(kpis: pd.DataFrame, column: str) -> pd.Series:
    """A rate only where it compares two complete periods (a one-day partial week would show +800 %)."""
    if "complete" not in kpis:
        return kpis[column]
    ok = kpis["complete"] & kpis["complete"].shift(1, fill_value=False)
    if column == "repeat_conversion_rate":
        ok = kpis["complete"]
    return kpis[column].where(ok)


def customer_flow(kpis: pd.DataFrame, period: str) -> go.Figure:
    """Stacked bars: active customers = new + retained + reactivated; churned below zero."""
    fig = go.Figure()
    for col in ("retained", "reactivated", "new"):
        fig.add_bar(x=_x(kpis), y=kpis[col], name=i18n.label(col), marker_color=_FLOW[col])
    fig.add_bar(x=_x(kpis), y=-kpis["churned"].astype("float64"), name=_("churned (active last period, not now)"),
                marker_color=_FLOW["churned"], opacity=0.7)
    fig.add_scatter(x=_x(kpis), y=kpis["active"], name=_("active"), mode="lines+markers", line={"color": "#222"})
    fig.update_layout(title=_("Active customers per {period}: new + retained + reactivated, and churned", period=P(period)),
                      barmode="relative", template=TEMPLATE, height=460, xaxis_title=P(period),
                      yaxis_title=_("customers (count; churned below 0)"), legend={"orientation": "h", "y": -0.25})
    _partial_note(fig, kpis)
    return fig


def rates(kpis: pd.DataFrame, period: str) -> go.Figure:
    """Retention, churn, customer growth and repeat-purchase conversion rates (%) per period."""
    fig = go.Figure()
    spec = [("retention_rate", term("retention_rate"), "#2171b5"), ("churn_rate", term("churn_rate"), "#d62728"),
            ("customer_growth_rate", term("customer_growth_rate"), "#555"),
            ("repeat_conversion_rate", term("repeat_conversion_rate"), "#31a354")]
    for col, name, colour in spec:
        fig.add_scatter(x=_x(kpis), y=_rate(kpis, col) * 100, name=name, mode="lines+markers", line={"color": colour})
    fig.update_layout(title=_("Retention, churn, growth and conversion per {period} (complete {periods} only)", period=P(period), periods=P(period, True)),
                      template=TEMPLATE,
                      height=440, xaxis_title=P(period), yaxis_title=_("rate (%)"), legend={"orientation": "h", "y": -0.25})
    _partial_note(fig, kpis)
    return fig


def revenue(kpis: pd.DataFrame, period: str, currency: str) -> go.Figure:
    """Revenue per period split into new customers, returning customers and guests, with growth (%)."""
    new = kpis["customer_revenue"] * kpis["new_revenue_share"].fillna(0)
    ret = kpis["customer_revenue"] - new
    guest = kpis["revenue"] - kpis["customer_revenue"]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=_x(kpis), y=ret, name=_("returning customers"), marker_color="#2171b5")
    fig.add_bar(x=_x(kpis), y=new, name=pgettext("new", "new customers"), marker_color="#9ecae1")
    fig.add_bar(x=_x(kpis), y=guest, name=_("guests"), marker_color="#cccccc")
    fig.add_scatter(x=_x(kpis), y=_rate(kpis, "revenue_growth_rate") * 100, name=_("revenue growth (%, complete periods)"),
                    mode="lines+markers", line={"color": "#ff7f0e"}, secondary_y=True)
    fig.update_layout(title=_("Revenue per {period}: from new customers, returning customers and guests", period=P(period)),
                      barmode="stack", template=TEMPLATE, height=460, xaxis_title=P(period),
                      legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(title_text=_("revenue ({cur})", cur=currency), secondary_y=False)
    fig.update_yaxes(title_text=_("revenue growth vs previous period (%)"), secondary_y=True, showgrid=False,
                     tickmode="auto", nticks=6, tickformat=".0f", zeroline=True)
    _partial_note(fig, kpis)
    return fig


def per_customer(kpis: pd.DataFrame, period: str, currency: str) -> go.Figure:
    """Average order value and revenue per active customer (currency), orders per active customer (count)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=_x(kpis), y=kpis["aov"], name=_("average order value ({cur})", cur=currency), mode="lines+markers",
                    line={"color": "#2171b5"})
    fig.add_scatter(x=_x(kpis), y=kpis["revenue_per_active"], name=_("revenue per active customer ({cur})", cur=currency),
                    mode="lines+markers", line={"color": "#08306b", "dash": "dot"})
    fig.add_scatter(x=_x(kpis), y=kpis["purchase_frequency"], name=term("purchase_frequency"),
                    mode="lines+markers", line={"color": "#31a354"}, secondary_y=True)
    fig.update_layout(title=_("Order value and purchase frequency per {period}", period=P(period)), template=TEMPLATE, height=440,
                      xaxis_title=P(period), legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(title_text=currency, secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=_("orders per active customer (count)"), secondary_y=True, showgrid=False,
                     rangemode="tozero", tickmode="auto", nticks=6, tickformat=".1f")
    _partial_note(fig, kpis)
    return fig


def cohort_heatmap(matrix: pd.DataFrame, *, title: str, value_label: str, percent: bool = True,
                   period: str = "month") -> go.Figure:
    """Heatmap of a :func:`helpers.features.lifecycle.cohort_matrix` (cohorts as rows, age as columns)."""
    z = matrix.to_numpy(dtype="float64")
    shown = z * 100 if percent else z
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0f}")(np.nan_to_num(shown)))
    # age 0 (100 % retention, the first order) would flatten the colours of every later age
    later = shown[:, 1:] if shown.shape[1] > 1 else shown
    zmax = float(np.nanpercentile(later, 99)) if np.isfinite(later).any() else None
    fig = go.Figure(go.Heatmap(z=shown, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                               text=text, texttemplate="%{text}" if z.size <= 900 else None,
                               colorscale="Blues", colorbar={"title": value_label}, hoverongaps=False,
                               zmin=0, zmax=zmax if zmax else None))
    fig.update_layout(title=title, template=TEMPLATE, height=max(380, 22 * len(matrix) + 160),
                      xaxis_title=_("cohort age ({periods} since the first order)", periods=P(period, True)),
                      yaxis_title=_("cohort (first-order {period})", period=P(period)), yaxis={"autorange": "reversed", "type": "category"},
                      xaxis={"type": "category"})
    return fig


def cohort_curves(cohorts: pd.DataFrame, *, value: str, title: str, y_label: str, last: int = 12,
                  percent: bool = False, period: str = "month") -> go.Figure:
    """One line per cohort (the most recent ``last``): ``value`` against cohort age."""
    keep = cohorts.drop_duplicates("cohort").sort_values("cohort_index")["cohort"].tail(last)
    fig = go.Figure()
    n = len(keep)
    for i, c in enumerate(keep):
        part = cohorts[(cohorts["cohort"] == c)]
        y = part[value] * (100 if percent else 1)
        shade = int(40 + 180 * (1 - i / max(n - 1, 1)))
        fig.add_scatter(x=part["age"], y=y, name=str(c), mode="lines+markers",
                        line={"color": f"rgb({shade},{shade},{min(255, shade + 60)})"}, marker={"size": 4})
    fig.update_layout(title=title, template=TEMPLATE, height=440, xaxis_title=_("cohort age ({periods} since the first order)", periods=P(period, True)),
                      yaxis_title=y_label, legend={"title": term("cohort")})
    return fig


def gap_histogram(days: pd.DataFrame, rules) -> go.Figure:
    """Days between consecutive purchases, with the at-risk and lost thresholds marked."""
    gaps = days["gap_days"].dropna()
    cap = float(gaps.quantile(0.99)) if len(gaps) else 1.0
    fig = go.Figure(go.Histogram(x=gaps.clip(upper=cap), nbinsx=60, marker_color="#6baed6"))
    for v, name, colour in ((rules.at_risk_days, term("stage_at_risk"), "#fd8d3c"), (rules.lost_days, term("stage_lost"), "#d62728")):
        fig.add_vline(x=v, line={"color": colour, "dash": "dash"},
                      annotation_text=_("{name}: {days} days", name=name, days=v), annotation_position="top right")
    fig.update_layout(title=_("Days between consecutive purchases (gaps above the 99th percentile shown at it)"),
                      template=TEMPLATE, height=400, xaxis_title=_("gap between purchases (days)"),
                      yaxis_title=_("gaps (count)"), bargap=0.05)
    return fig


def stage_area(history: pd.DataFrame, period: str) -> go.Figure:
    """Stacked areas: customers in each life-cycle stage at the end of every period."""
    fig = go.Figure()
    for stage, colour in STAGE_COLOURS.items():
        part = history[history["stage"] == stage]
        fig.add_scatter(x=part["period"], y=part["customers"], name=i18n.label(stage, "stage_"), mode="lines", stackgroup="one",
                        line={"width": 0.5, "color": colour}, fillcolor=colour)
    fig.update_layout(title=_("Customers per life-cycle stage at the end of each {period}", period=P(period)), template=TEMPLATE,
                      height=460, xaxis_title=_("{period} (stage on its last day)", period=P(period)), yaxis_title=pgettext("customers", "customers (count)"),
                      legend={"orientation": "h", "y": -0.25, "traceorder": "normal"})
    return fig


def stage_bars(stages: pd.DataFrame, order: list[str]) -> go.Figure:
    """Customers per stage on the analysis date (horizontal bars, share in the label)."""
    counts = stages["stage"].value_counts().reindex(order, fill_value=0)
    share = counts / max(counts.sum(), 1)
    fig = go.Figure(go.Bar(x=counts.to_numpy(), y=[i18n.label(s, "stage_") for s in counts.index], orientation="h",
                           marker_color=[STAGE_COLOURS.get(s, "#999") for s in counts.index],
                           text=[f"{i18n.fmt_number(c)} ({i18n.fmt_percent(s, 0)})" for c, s in zip(counts, share)],
                           textposition="auto"))
    fig.update_layout(title=_("Customers per life-cycle stage on the analysis date"), template=TEMPLATE, height=380,
                      xaxis_title=pgettext("customers", "customers (count)"), yaxis_title=_("stage"), yaxis={"autorange": "reversed"})
    return fig


def funnel(table: pd.DataFrame) -> go.Figure:
    """The acquired -> converted -> retained -> loyal funnel."""
    labels = [i18n.label(s, "funnel_") for s in table["step"]]
    fig = go.Figure(go.Funnel(y=labels, x=table["customers"],
                              texttemplate=_("%{value:,}<br>%{percentInitial:.0%} of acquired<br>%{percentPrevious:.0%} of previous"),
                              marker={"color": ["#9ecae1", "#4292c6", "#2171b5", "#08306b"]}))
    fig.update_layout(title=_("Life-cycle funnel on the analysis date: acquired → converted → retained → loyal"),
                      template=TEMPLATE, height=380, xaxis_title=pgettext("customers", "customers (count)"), yaxis_title=_("step"))
    return fig


def losses(per_period: pd.DataFrame, period: str) -> go.Figure:
    """Customers becoming lost per period, and how many of them came back later."""
    fig = go.Figure()
    fig.add_bar(x=per_period["period"], y=per_period["lost"] - per_period["came_back"], name=_("still lost"),
                marker_color="#969696")
    fig.add_bar(x=per_period["period"], y=per_period["came_back"], name=_("came back later"), marker_color="#31a354")
    fig.add_scatter(x=per_period["period"], y=per_period["repeat_lost"], name=_("of them repeat customers (2+ purchases)"),
                    mode="lines+markers", line={"color": "#08306b"})
    fig.update_layout(title=_("Customers lost per {period} (crossed the lost threshold) and how many came back", period=P(period)),
                      barmode="stack", template=TEMPLATE, height=440, xaxis_title=_("{period} in which they became lost", period=P(period)),
                      yaxis_title=pgettext("customers", "customers (count)"), legend={"orientation": "h", "y": -0.25})
    return fig


def mix_bars(mix: pd.DataFrame, column: str) -> go.Figure:
    """Grouped horizontal bars of revenue shares by ``column`` per group (e.g. lost vs still buying)."""
    fig = go.Figure()
    colours = {"lost": "#969696", "still buying": "#2171b5"}
    for g in mix.columns:
        fig.add_bar(y=plain(mix.index.astype(str)), x=mix[g] * 100, name=i18n.label(g, "stage_"), orientation="h",
                    marker_color=colours.get(str(g)))
    col = i18n.label(column)
    fig.update_layout(title=_("What they bought: revenue share by {column}, lost vs still-buying customers", column=col),
                      barmode="group", template=TEMPLATE, height=max(360, 40 * len(mix) + 140),
                      xaxis_title=_("share of the group's revenue (%)"), yaxis_title=col,
                      yaxis={"autorange": "reversed"})
    return fig


def breakdown_bars(table: pd.DataFrame, column: str) -> go.Figure:
    """Repeat rate, at-risk share and lost share (%) per value of a customer attribute."""
    fig = go.Figure()
    for col, name, colour in (("repeat_rate", _("repeat customers (2+ purchases)"), "#2171b5"),
                              ("at_risk_share", term("stage_at_risk"), "#fd8d3c"), ("lost_share", term("stage_lost"), "#969696")):
        fig.add_bar(y=plain(table[column].astype(str)), x=table[col] * 100, name=name, orientation="h", marker_color=colour)
    col = i18n.label(column)
    fig.update_layout(title=_("Repeat, at-risk and lost shares of customers by {column}", column=col), barmode="group",
                      template=TEMPLATE, height=max(360, 55 * len(table) + 140),
                      xaxis_title=_("share of the {column}'s customers (%)", column=col), yaxis_title=col,
                      yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.15})
    return fig


# --------------------------------------------------------------------------------------
# tables (pandas Styler): readable headers, units, one number format per column
# --------------------------------------------------------------------------------------
_NOWRAP = [{"selector": "th, td", "props": "white-space: nowrap; padding: 2px 6px; font-size: 0.9em;"}]

#: column -> (glossary key of its header, number format)
_KPI_VIEWS = {
    "customers": {
        "period": ("period", None), "complete": ("complete", None), "active": ("active", "{:,}"),
        "new": ("new", "{:,}"), "retained": ("retained", "{:,}"), "reactivated": ("reactivated", "{:,}"),
        "churned": ("churned", "{:,}"), "retention_rate": ("col_retention_pct", "{:.1%}"),
        "churn_rate": ("col_churn_pct", "{:.1%}"), "customer_growth_rate": ("col_growth_pct", "{:+.1%}"),
        "customers_to_date": ("col_acquired_to_date", "{:,}"), "converted": ("converted", "{:,}"),
        "repeat_conversion_rate": ("col_repeat_conversion_pct", "{:.1%}"),
    },
    "revenue": {
        "period": ("period", None), "complete": ("complete", None), "revenue": ("revenue_cur", "{:,.0f}"),
        "revenue_growth_rate": ("col_revenue_growth_pct", "{:+.1%}"), "orders": ("orders", "{:,}"),
        "aov": ("aov_cur", "{:,.2f}"), "purchase_frequency": ("col_orders_per_active", "{:.2f}"),
        "revenue_per_active": ("revenue_per_active_cur", "{:,.2f}"),
        "new_revenue_share": ("col_new_customers_pct", "{:.1%}"), "returning_revenue_share": ("col_returning_pct", "{:.1%}"),
        "guest_revenue_share": ("col_guests_pct", "{:.1%}"),
    },
}


def kpi_styler(kpis: pd.DataFrame, kind: str, period: str, currency: str):
    """The customer (``kind="customers"``) or revenue (``"revenue"``) KPIs per period as a formatted table."""
    view = _KPI_VIEWS[kind]
    head = {c: lookup(key, cur=currency) for c, (key, _unused) in view.items()}
    table = kpis[list(view)].rename(columns=head)
    if "complete" in kpis:
        table[head["complete"]] = kpis["complete"].map({True: pgettext("word", "yes"), False: pgettext("word", "no")})
    fmt = {head[c]: f for c, (_unused, f) in view.items() if f}
    what = _("Customer KPIs") if kind == "customers" else _("Revenue KPIs ({cur})", cur=currency)
    return (i18n.style(table, fmt, na_rep="–").hide(axis="index").set_table_styles(_NOWRAP)
            .set_caption(_("{what} per {period}; % columns are rates (– = not defined)", what=what, period=P(period))))


def explain_styler(check: pd.DataFrame):
    """:func:`helpers.features.lifecycle.explain_kpis` as a left-aligned table, formulas and values in the
    report's language."""
    shown = pd.DataFrame({"kpi": [i18n.label(v, "kx_") for v in check["kpi"]],
                          "formula": [i18n.say(p) for p in check["formula"]],
                          "value": [i18n.say_value(v) for v in check["value"]]})
    return (i18n.style(i18n.columns(shown)).hide(axis="index").set_properties(**{"text-align": "left"})
            .set_caption(_("Formulas with the numbers of {period}", period=check.attrs.get("period", "–"))))


def headline_styler(headline: pd.DataFrame, *, period: str, currency: str):
    """:func:`helpers.features.lifecycle.kpi_summary` as a one-column table in the report's language."""
    shown = pd.DataFrame({i18n.column("value"): [i18n.say_value(v) for v in headline["value"]]},
                         index=[i18n.label(i, "ks_") for i in headline.index])
    return i18n.style(shown).set_caption(_("Headline over the last 12 complete {period}s (revenue in {currency})",
                                           period=i18n.period_name(period), currency=currency))


def lost_profile_styler(profile: pd.DataFrame, currency: str):
    """:func:`helpers.features.lifecycle.lost_profile` with counts as integers and the rest to two decimals."""
    shown = profile.rename(index=lambda i: i18n.label(i), columns=lambda c: i18n.label(c, "stage_"))
    shown = shown.rename_axis(index=i18n.label(profile.index.name) if profile.index.name else None,
                              columns=i18n.label(profile.columns.name) if profile.columns.name else None)
    ints = [i18n.label(i) for i in profile.index if i == "customers"]
    return (i18n.style(shown, "{:,.2f}", na_rep="–")
            .format("{:,.0f}", subset=pd.IndexSlice[ints, :], na_rep="–", **i18n.number_format())
            .set_table_styles(_NOWRAP)
            .set_caption(_("Lost vs still-buying repeat customers (medians; money in {cur})", cur=currency)))


def breakdown_styler(table: pd.DataFrame, column: str, currency: str):
    """:func:`helpers.features.lifecycle.breakdown` formatted."""
    fmt = {"customers": "{:,}", "share_customers": "{:.1%}", "revenue": "{:,.0f}", "share_revenue": "{:.1%}",
           "revenue_per_customer": "{:,.2f}", "purchases_per_customer": "{:.2f}", "repeat_rate": "{:.1%}",
           "at_risk_share": "{:.1%}", "lost_share": "{:.1%}"}
    shown = i18n.headers(table)
    fmt = {i18n.label(c): f for c, f in fmt.items()}
    return (i18n.style(shown, fmt).hide(axis="index").set_table_styles(_NOWRAP)
            .set_caption(_("Customers by main {column} (revenue in {cur}; purchases = purchase days)", column=i18n.label(column), cur=currency)))
