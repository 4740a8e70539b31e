"""Plots of the retention economics notebook (13): retention curves, value by scenario, tornado,
CLV of a new customer against its acquisition cost."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.analyses.retention import RetentionBase, base_from_bgnbd, improve, survival
from helpers.i18n import _, lookup, localize_numbers, period_name
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


def measured_table(measured: RetentionBase, period: str):
    """The measured retention curve: per period the base, the customers retained and the rate, captioned."""
    return (i18n.table(measured.curve, {"base": "{:,}", "retained": "{:,}", "retention": "{:.1%}"}).hide(axis="index")
            .set_caption(_("Measured: of the customers active in a {period}, the share active again lag {periods} later", period=period_name(period), periods=period_name(period, plural=True))))


def chosen_base(measured: RetentionBase, fits, summary: pd.DataFrame | None, *, period: str, horizon: int,
                currency: str, time_unit: str) -> tuple[RetentionBase, list]:
    """The retention base the scenarios use, and what to show about it. With CLV ``fits`` (the BG/NBD source) the
    fitted curve, unless the CLV recovery chain ended in a model without dropout (then the measured one, and a
    note why); without, the measured curve. Shown: that note, the base's source, size, value and first rate,
    its notes, and the curves of today and better retention."""
    out, base = [], measured
    if fits is not None:
        if not fits.purchase.has_p_alive:  # the CLV recovery chain ended in a model without dropout: no curve
            out.append(_("The BG/NBD curve is not available: the purchase model is {source}, which has no dropout, so it gives neither P(alive) nor a retention curve; the measured curve is used.", source=i18n.say(fits.purchase.source.phrase)))
        else:
            base = base_from_bgnbd(fits.purchase, fits.spend, summary, period=period, horizon=horizon, time_unit=time_unit)
    base = base.with_horizon(horizon)
    out.append(localize_numbers(_("source: {source}; N = {n} customers, v = {v} {currency} per customer per {period}; r_1 = {r1}", source=base.source, n=f"{base.customers:,.0f}",
                                  v=f"{base.revenue_per_customer:,.2f}", currency=currency, period=period_name(period),
                                  r1=f"{base.rates[0]:.1%}")))
    out += list(base.notes)
    out.append(curves(base, horizon, title=_("Share of today's level kept t {periods} ahead: today and with more retention", periods=period_name(period, plural=True))))
    return base, out


def scenario_section(scenarios: pd.DataFrame, *, period: str, horizon: int, currency: str, discount_rate: float,
                     margin: float, cost_per_customer: float) -> list:
    """The retention scenarios: the table (money, rates, break-even) captioned with its assumptions, and the bars
    of extra value and net gain per scenario."""
    money = {c: "{:,.0f}" for c in ("customer_periods", "revenue", "profit", "value", "extra_value", "programme_cost", "net_gain")}
    table = (i18n.table(scenarios, {**money, "retention_first": "{:.1%}", "profit_uplift": "{:+.1%}",
                                    "break_even_per_customer": "{:,.2f}"}).hide(axis="index")
             .set_caption(localize_numbers(_("Today's customers over {horizon} {periods}: money in {currency}; value discounted at {rate} a year, margin {margin}", horizon=horizon, periods=period_name(period, plural=True),
                                             currency=currency, rate=f"{discount_rate:.0%}", margin=f"{margin:.0%}"))))
    return [table, scenario_bars(scenarios, currency, localize_numbers(_("Value of added retention and net gain after a programme cost of {cost} {currency} per customer", cost=f"{cost_per_customer:,.2f}",
                                                                       currency=currency)))]


def headline_notes(head: dict, base: RetentionBase, check: tuple, *, points: float, horizon: int, period: str,
                   currency: str) -> list[str]:
    """The headline sentence (value of one and of ``points`` more points of retention, profit uplift, break-even
    cost per customer) and the check sentence (``check``: :func:`helpers.analyses.retention.closed_form_check`)."""
    r, by_sum, closed = check
    return [localize_numbers(_("One retention point is worth {one} {currency}; +{points} points are worth {value} {currency} (profit {uplift} over {horizon} {periods}, against the quoted 25–95 %). A programme adding {points} points breaks even up to {break_even} {currency} per customer of today's {n}.", one=f"{head['value_one_point']:,.0f}", currency=currency, points=points,
                               value=f"{head['value_points']:,.0f}", uplift=f"{head['profit_uplift']:+.1%}", horizon=horizon,
                               periods=period_name(period, plural=True), break_even=f"{head['break_even_per_customer']:,.2f}",
                               n=f"{base.customers:,.0f}")),
            localize_numbers(_("Check: with a constant r = {r}, the sum gives {by_sum} {currency} and the closed form {closed} {currency}.", r=f"{r:.1%}", by_sum=f"{by_sum:,.2f}", closed=f"{closed:,.2f}", currency=currency))]


def new_clv_section(new_clv: pd.DataFrame, by_label: str, asked: str, *, period: str, horizon: int, currency: str,
                    margin: float) -> list:
    """The CLV of a new customer beside its acquisition cost: a note when the CLV was asked per a column
    (``asked``) the data lacks, the table captioned with its assumptions, and CLV against cost per ``by_label``."""
    out = [_("The data has no '{clv_by}' column (or clv_by is unknown): CLV per cohort instead.", clv_by=asked)] if by_label == "cohort" and asked != "cohort" else []
    out.append(new_clv.style.format({"customers": "{:,}", "clv": "{:,.2f}", "observed_share": "{:.0%}", "acquisition_cost": "{:,.2f}",
                                     "clv_minus_cost": "{:+,.2f}", "clv_to_cost": "{:.1f}"}, na_rep="–").hide(axis="index")
               .set_caption(localize_numbers(_("CLV of a new customer over {horizon} {periods} ({currency}, margin {margin}) against the acquisition cost", horizon=horizon, periods=period_name(period, plural=True),
                                               currency=currency, margin=f"{margin:.0%}"))))
    out.append(clv_vs_cost(new_clv, by_label, currency, _("CLV of a new customer by {by} and the acquisition cost ({currency})", by=lookup("nb13_by_" + by_label), currency=currency)))
    return out
