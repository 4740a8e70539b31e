"""Uplift and test-design sections of 08: the learners' Qini curves, the four targeting rules at one
budget, the planner's design, and what to say when the data hold no control group."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.i18n import N_, _, pgettext
from helpers.plots.base import TEMPLATE


#: The targeting rules' and the learners' names on the page (the tables and models use the codes).
RULE_NAMES = {"random": N_("random"), "risk": N_("churn risk"), "risk_clv": N_("risk × value"), "uplift": N_("uplift"),
              "oracle": N_("oracle (planted uplift)"), "T-learner": N_("T-learner"), "X-learner": N_("X-learner")}


def rule_name(code) -> str:
    """A targeting rule's (or learner's) name in the report language; other names as they are."""
    return _(RULE_NAMES[code]) if code in RULE_NAMES else str(code)


def _shown(table: pd.DataFrame):
    """A rules or learners table in the report language: names translated, headers labelled, two decimals."""
    first = table.columns[0]
    numbers = {c: "{:,.2f}" for c in table.columns if pd.api.types.is_float_dtype(table[c])}
    return i18n.table(table.assign(**{first: table[first].map(rule_name)}), numbers, na_rep="").hide(axis="index")


def _money(v: float, currency: str) -> str:
    return f"{i18n.fmt_number(v, 0)} {currency}"


def qini_figure(curves: dict) -> go.Figure:
    """Qini curves (incremental buyers against the share of customers contacted, best first) on the held-out half."""
    fig = go.Figure()
    for name, c in curves.items():
        fig.add_scatter(x=c["fraction"] * 100, y=c["qini"], mode="lines", name=rule_name(name))
    first = next(iter(curves.values()))
    fig.add_scatter(x=first["fraction"] * 100, y=first["random"], mode="lines", name=_("random (straight line)"),
                    line={"dash": "dot", "color": "grey"})
    fig.update_layout(title=_("Qini curves on the held-out customers"), template=TEMPLATE, height=420,
                      xaxis_title=_("customers contacted, best-scored first (%)"),
                      yaxis_title=_("incremental buyers (customers)"))
    return fig


def rules_figure(rules: pd.DataFrame, currency: str) -> go.Figure:
    """Estimated incremental profit per targeting rule, with its bootstrap interval."""
    fig = go.Figure(go.Bar(x=rules["rule"].map(rule_name), y=rules["profit"],
                           error_y={"type": "data", "array": rules["profit_high"] - rules["profit"],
                                    "arrayminus": rules["profit"] - rules["profit_low"]}))
    fig.update_layout(title=_("Incremental profit at the same budget, per targeting rule"), template=TEMPLATE,
                      height=400, xaxis_title=_("targeting rule"), yaxis_title=_("incremental profit ({currency})", currency=currency))
    return fig


def uplift_section(study: dict | None, currency: str, *, per_purchase: float, contact_cost: float, winner: str | None) -> list:
    """What the uplift study found, in sentences from its numbers, with the tables and figures; or why there is none."""
    if study is None:
        return [_("No randomised control group in these campaign tables, so a per-customer uplift cannot be estimated: without customers who were eligible but held out at random, a customer's purchase without contact is never observed, and the difference between contacted and other customers mixes the campaign's effect with why they were chosen. Step 6c gives the test design instead.")]
    n, lr = i18n.fmt_number, study["learners"].set_index("learner")
    out = [_("Learners fitted on half of the customers and judged on the other half ({n} customer-campaign pairs): the {best} has the higher Qini coefficient ({q}; random targeting: {r}).", n=n(len(study["test"])), best=rule_name(study["best"]), q=n(lr.loc[study["best"], "qini"], 4), r=n(lr.loc["random", "qini"], 4))]
    used, given = study.get("rows", (0, 0))
    if used < given:
        out.append(_("Above {limit} customer-campaign pairs the study runs on a seeded sample of whole customers: {used} of the {given} pairs; the learner fitted on it scores every customer for the action table.", limit=n(study["sample_rows"]), used=n(used), given=n(given)))
    if "oracle" in lr.index:
        out.append(_("Known truth: the planted uplift as the score (the oracle) reaches a Qini coefficient of {o}; the estimate's correlation with the planted uplift is {c}.", o=n(lr.loc["oracle", "qini"], 4), c=n(study["correlation"], 2)))
    r = study["rules"].set_index("rule")
    out.append(_("Budget: the best-scored {share} of the customers ({k}); profit per incremental purchase {m}, contact cost {c}. The rule that wins on the evidence: {rule}, estimated incremental profit {p} ({lo} .. {hi}).", share=i18n.fmt_percent(study["budget"], 0), k=n(r["contacted"].iloc[0]), m=_money(per_purchase, currency), c=_money(contact_cost, currency), rule=rule_name(winner), p=_money(r.loc[winner, "profit"], currency), lo=_money(r.loc[winner, "profit_low"], currency), hi=_money(r.loc[winner, "profit_high"], currency)))
    if r.loc[winner, "profit"] < 0:
        out.append(_("No rule pays at this budget, margin and contact cost: even the winner loses money; contact fewer customers, or only those with a positive estimated uplift worth more than the contact cost."))
    return out + [_shown(study["learners"]), _shown(study["rules"]), qini_figure(study["curves"]), rules_figure(study["rules"], currency)]


def planner_section(design, results: pd.DataFrame | None, has_control: bool) -> list:
    """The test design in words and the per-campaign results judged against it (a warning for each short arm)."""
    if design is None:
        return [_("No campaign windows, so there is no observed purchase rate to plan a test on.")]
    n = i18n.fmt_number
    weeks = _("never (no customer flow)") if math.isinf(design.weeks) else n(design.weeks, 1)
    out = [_("To detect an uplift of {u} points over the observed window purchase rate of {p} (two-sided α = {a}, power {pw}), each arm needs {n} customers: {total} in all, about {weeks} weeks of the data's flow of {flow} buying customers a week.", u=n(design.uplift * 100, 1), p=i18n.fmt_percent(design.base_rate, 1), a=n(design.alpha, 2), pw=n(design.power, 2), n=n(design.per_arm), total=n(2 * design.per_arm), weeks=weeks, flow=n(design.customers_per_week))]
    if not has_control:
        out.append(_("How to hold out a control group: from the customers a campaign would target, draw the control arm at random (a seeded random number per customer, e.g. the last digits of a hash of the customer id), send them nothing, record them in the exposures table with group = control and the others with group = treatment, and compare the two arms' purchases in the window."))
    if has_control and results is not None and len(results):
        results = results[(results["treated"] > 0) & (results["control"] > 0)]
        short = results[~results["enough"]]
        if len(short):
            out.append(_("Warning: {k} of {m} campaigns have an arm smaller than the planner requires for this uplift ({ids}; needed per arm: {lo} to {hi} customers, column needed): their uplifts are not confident estimates.", k=n(len(short)), m=n(len(results)), ids=", ".join(short["campaign_id"].astype(str)), lo=n(short["needed"].min()), hi=n(short["needed"].max())))
        yes_no = {True: pgettext("cmp", "yes"), False: pgettext("cmp", "no")}
        out.append(_shown(results.assign(enough=results["enough"].map(yes_no))))
    return out


def arms_note(report: dict | None) -> str | None:
    """The ``group`` flag's counts and the rule applied to bad values (None without a group column)."""
    if report is None:
        return None
    n = i18n.fmt_number
    return _("Exposures carry a treatment/control group: {t} treatment and {c} control customer-campaign pairs kept; {o} rows with another or no value (e.g. {ex}) and {b} pairs found in both arms were left out (rule: only treatment/control values count, and a customer in both arms of a campaign is in neither).", t=n(report["treatment"]), c=n(report["control"]), o=n(report["other_values"]), ex=", ".join(report["other_examples"]) or "–", b=n(report["both_arms"]))
