"""Figures of the contract churn notebook (11): churn by group, Kaplan–Meier, Cox, sBG, remaining value.

Each recipe takes a table from :mod:`helpers.models.contract_churn` and returns a plotly
figure with a title and labelled axes (units in brackets); labels come from the glossary.
Durations are in the tenure unit of the run (``unit``: day, week, month, quarter or year,
``tables.attributes.tenure_unit``), named on the axes. :func:`table` shows the module's
tables with their columns named in the report language and the unit (:func:`unit_word`,
:func:`unit_one`); :func:`setting_reason` says why a run is (not) in the contractual setting. The model-quality
figures (ROC, calibration, gains, lift, importance) are those of :mod:`helpers.plots.churn`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.i18n import _, lookup, localize_numbers
from helpers.models.contract_churn import check_unit
from helpers.plots.base import TEMPLATE, plain

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
_LEGEND = {"orientation": "h", "y": -0.22, "x": 0}


def _p(p: float) -> str:
    return f"{p:.3g}" if np.isfinite(p) else "–"


def unit_word(unit: str, count: float | None = None) -> str:
    """The unit in the report language: ``years`` / ``yıl``; with ``count`` 1 the singular (``1 year``).

    Turkish counts take the singular (``3 yıl``), so the Turkish word never changes.
    """
    return i18n.period_name(check_unit(unit), plural=count is None or count != 1)


def unit_one(unit: str) -> str:
    """The singular unit word (``per year`` / ``yıl başına``)."""
    return i18n.period_name(check_unit(unit), plural=False)


def setting_reason(missing: list[str] | None, unit: str = "month") -> str:
    """Why a run is (not) in the contractual setting, from :func:`helpers.models.contract_churn.setting`'s
    ``missing`` (None: no ``attributes`` table; else the required columns it lacks), naming the tenure ``unit``."""
    if missing is None:
        return _("the data has no customer (attributes) table, so no observed churn label: customers of a shop leave silently")
    if missing:
        return _("the customer table has no {columns} column, so churn is not observed", columns=_(" and no ").join(repr(c) for c in missing))
    return _("the customer table has an observed churn label ('churned') and a tenure in {unit} ('tenure')", unit=unit_word(unit))


def churn_by(table: pd.DataFrame, column: str) -> go.Figure:
    """Bars of the churn rate per group (``contract_churn.churn_by``), customers as text."""
    fig = go.Figure(go.Bar(x=plain(table[column].astype(str)), y=table["churn_rate"] * 100, marker_color="#d62728",
                           text=[localize_numbers(_("{rate} of {n}", rate=f"{r:.1%}", n=f"{n:,}"))
                                 for r, n in zip(table["churn_rate"], table["customers"])],
                           textposition="outside"))
    fig.update_layout(title=_("Observed churn rate by {group}", group=column), template=TEMPLATE, height=400,
                      xaxis_title=column, yaxis_title=_("churn rate (%)"))
    return fig


def column_labels(columns, unit: str = "month") -> dict[str, str]:
    """Report-language names of the columns of the contract tables that carry the tenure unit:
    ``median_tenure`` -> ``median tenure (years)``, ``retained_at_2`` -> ``still under contract
    after 2 years`` (``2 yıl sonra sözleşmesi süren``), ``expected_remaining_tenure`` ... Other
    columns are left out (:func:`helpers.i18n.column` names them)."""
    plain = {"median_tenure": "ctu_col_median_tenure", "tenure": "ctu_col_tenure",
             "expected_remaining_tenure": "ctu_col_expected_remaining",
             "mean_remaining_tenure": "ctu_col_mean_remaining"}
    per_one = {"sbg_churn_risk": "ctu_col_sbg_risk", "mean_sbg_churn_risk": "ctu_col_mean_sbg_risk",
               "mean_churn": "ctu_col_mean_churn"}
    out = {}
    for c in columns:
        if c in plain:
            out[c] = lookup(plain[c], unit=unit_word(unit))
        elif c in per_one:
            out[c] = lookup(per_one[c], unit=unit_one(unit))
        elif isinstance(c, str) and c.startswith("retained_at_"):
            h = float(c[len("retained_at_"):].replace("_", "."))
            out[c] = _("still under contract after {h} {unit}", h=i18n.fmt_spec(h, "g"), unit=unit_word(unit, h))
    return out


def table(df: pd.DataFrame, unit: str = "month", formats: dict | None = None, *, drop=("tenure_unit",), **format_kw):
    """``df`` as a Styler in the report language with the unit in the column names (:func:`column_labels`);
    ``formats`` keyed by the original column names; ``drop``: columns not shown (the unit is in the names)."""
    shown = df.drop(columns=[c for c in drop if c in df.columns])
    names = column_labels(shown.columns, unit)
    shown = shown.rename(columns=names)
    fmts = {names.get(k, k): v for k, v in (formats or {}).items() if names.get(k, k) in shown.columns}
    return i18n.table(shown, fmts, **format_kw)


def km_curves(curves: pd.DataFrame, summary: pd.DataFrame, group: str, unit: str = "month") -> go.Figure:
    """Kaplan–Meier retention per group (``contract_churn.km_table``) with 95 % bands; tenure in ``unit``."""
    fig = go.Figure()
    for i, (name, g) in enumerate(curves.groupby("group", sort=True)):
        c = COLOURS[i % len(COLOURS)]
        rgb = tuple(int(c[j:j + 2], 16) for j in (1, 3, 5))
        fig.add_scatter(x=np.r_[g["tenure"], g["tenure"][::-1]], y=np.r_[g["upper"], g["lower"][::-1]] * 100,
                        fill="toself", fillcolor=f"rgba{rgb + (0.12,)}", line={"width": 0}, hoverinfo="skip",
                        showlegend=False)
        n = int(summary.loc[summary["group"] == name, "customers"].iloc[0])
        fig.add_scatter(x=g["tenure"], y=g["retention"] * 100, mode="lines", line={"shape": "hv", "color": c},
                        name=f"{plain(str(name))} ({i18n.fmt_number(n)})")
    p = summary.attrs.get("logrank", {}).get("p_value", np.nan)
    fig.update_layout(title=_("Share of customers still under contract t {unit} after joining, by {group} (Kaplan–Meier; log-rank p = {p})", unit=unit_word(unit), group=group, p=_p(p)), template=TEMPLATE,
                      height=460, legend=_LEGEND, xaxis_title=_("{unit} since joining (tenure)", unit=unit_word(unit)),
                      yaxis={"title": _("customers still under contract (%)"), "range": [0, 101]})
    return fig


def hazard_ratios(coef: pd.DataFrame, top: int = 25, unit: str = "month") -> go.Figure:
    """Forest plot of Cox hazard ratios with 95 % intervals, on a log axis."""
    c = coef.reindex(coef["hazard_ratio"].apply(lambda v: abs(np.log(v))).sort_values(ascending=False).index)
    c = c.head(top).iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=c["hazard_ratio"], y=plain(c["covariate"]), mode="markers", marker={"color": "#1f77b4", "size": 9},
        error_x={"type": "data", "symmetric": False, "array": c["upper"] - c["hazard_ratio"],
                 "arrayminus": c["hazard_ratio"] - c["lower"]}))
    fig.add_vline(x=1, line={"color": "#999", "dash": "dot"})
    fig.update_xaxes(type="log")
    fig.update_layout(title=_("Cox model: hazard ratio of cancelling, with 95 % interval (1 = no effect; log scale)"), template=TEMPLATE, height=max(360, 24 * len(c) + 140),
                      xaxis_title=_("hazard ratio (× the cancellation hazard per {unit})", unit=unit_one(unit)), yaxis_title=_("covariate"))
    return fig


def sbg_fit(curve: pd.DataFrame, params: pd.DataFrame, horizon: int | None = None, unit: str = "month") -> go.Figure:
    """Observed (Kaplan–Meier) retention per cohort as points, the fitted sBG survival as lines
    (periods of ``unit``, up to ``horizon`` or the last observed period)."""
    from helpers.models.contract_churn import sbg_retention

    fig = go.Figure()
    for i, (name, g) in enumerate(curve.groupby("group", sort=True)):
        c = COLOURS[i % len(COLOURS)]
        fig.add_scatter(x=g["period"], y=g["retention"] * 100, mode="markers", marker={"color": c, "size": 5},
                        name=f"{plain(str(name))}: Kaplan–Meier")
        row = params[params["cohort"] == str(name)]
        if len(row):
            a, b = float(row["alpha"].iloc[0]), float(row["beta"].iloc[0])
            m = np.arange(0, (horizon or int(g["period"].max())) + 1)
            fig.add_scatter(x=m, y=sbg_retention(a, b, m) * 100, mode="lines", line={"color": c},
                            name=f"{plain(str(name))}: sBG α={localize_numbers(f'{a:.3g}')}, β={localize_numbers(f'{b:.3g}')}")
    fig.update_layout(title=_("Cohort retention: Kaplan–Meier (points) and the fitted shifted-beta-geometric model (lines)"), template=TEMPLATE, height=480, legend=_LEGEND,
                      xaxis_title=_("{unit} since joining (tenure)", unit=unit_word(unit)),
                      yaxis={"title": _("customers still under contract (%)"), "range": [0, 101]})
    return fig


def remaining_value(rem: pd.DataFrame, currency: str, rate: str, group: str | None = None) -> go.Figure:
    """Box plot of each active customer's expected remaining value per cohort (``group``: the column the
    cohorts come from, named in the title)."""
    fig = go.Figure()
    for i, (name, g) in enumerate(rem.groupby("cohort", sort=True)):
        fig.add_box(y=g["expected_remaining_value"], name=plain(str(name)), marker_color=COLOURS[i % len(COLOURS)],
                    boxmean=True)
    fig.update_layout(title=_("Expected remaining value of active customers by {group} ({currency}, discounted at {rate} a year)", group=group or _("group"), currency=currency,
                              rate=rate),
                      template=TEMPLATE, height=440, showlegend=False, xaxis_title=_("group"),
                      yaxis_title=_("expected remaining value per customer ({currency})", currency=currency))
    return fig


def setting_notes(name: str, mode: str, missing: list[str] | None, unit: str) -> list[str]:
    """The run's setting (contractual or not) and why (:func:`setting_reason`); outside the contractual setting
    also the note that this notebook has nothing to show."""
    out = [_("config {name}: {mode} setting: {why}.", name=name, mode=lookup("contract_mode_" + mode.replace("-", "_")), why=setting_reason(missing, unit))]
    return out if mode == "contractual" else out + [_("Nothing to do here. For a shop's customers see 05_churn (churn defined as no purchase in N days, with out-of-time validation and a retention plan) and 04_clv (BG/NBD P(alive) and CLV).")]


def model_section(train, test, metrics: pd.DataFrame, why_not: str | None) -> list:
    """The classifiers' features and split sizes (and why no model was fitted, ``why_not``), then the metrics
    table of every score on the test customers."""
    from helpers.i18n import fmt_number

    note = (_("features: {n_num} numeric ({num}), {n_cat} categorical; train {train}, test {test} customers", n_num=len(train.numeric), num=", ".join(train.numeric), n_cat=len(train.categorical),
              train=fmt_number(len(train.frame)), test=fmt_number(len(test.frame)))
            + ("" if why_not is None else _("; no model: {why}", why=why_not)))
    return [note, i18n.values(metrics, {"score": "score_"}).style.format({"roc_auc": "{:.3f}", "pr_auc": "{:.3f}", "brier": "{:.3f}"}, na_rep="–")
            .hide(axis="index").set_caption(_("Held-out customers: models and baselines"))]


def km_section(curves: pd.DataFrame, km_summary: pd.DataFrame, longest: float, horizons: list, beyond: list,
               group: str | None, unit: str) -> list:
    """The Kaplan-Meier curves, the log-rank test when there are groups, which horizons are tabulated (and which
    asked ones lie beyond the ``longest`` tenure), and the summary table with the retention at each horizon."""
    from helpers.models.contract_churn import retained_column

    out = [km_curves(curves, km_summary, group or _("all customers"), unit)]
    lr = km_summary.attrs.get("logrank")
    if lr:
        out.append(localize_numbers(_("multivariate log-rank test: chi-square {stat} on {dof} df, p = {p}", stat=f"{lr['statistic']:,.1f}", dof=lr["dof"], p=f"{lr['p_value']:.3g}")))
    longest = localize_numbers(f"{longest:,.0f}")
    if horizons:
        out.append(_("Kaplan–Meier retention is tabulated at {horizons} {unit}, within the longest observed tenure of {max} {unit}", horizons=", ".join(localize_numbers(f"{h:,}") for h in horizons),
                     unit=unit_word(unit), max=longest))
    else:
        out.append(_("No Kaplan–Meier horizon fits within the longest observed tenure ({max} {unit}).", max=longest, unit=unit_word(unit)))
    if beyond:
        out.append(_("left out of km_horizons: {beyond} {unit}, beyond the longest observed tenure ({max} {unit}), where the data say nothing about retention", beyond=", ".join(localize_numbers(f"{h:,}") for h in beyond),
                     unit=unit_word(unit), max=longest))
    retained = [retained_column(h) for h in horizons]
    fmt = {"customers": "{:,}", "churned": "{:,}", "churn_rate": "{:.1%}", "median_tenure": "{:,.1f}"}
    fmt |= {c: "{:.1%}" for c in retained}
    styled = table(km_summary, unit, fmt, na_rep=_("not reached"))
    if retained:
        shown = list(column_labels(retained, unit).values())
        styled = styled.format("{:.1%}", subset=shown, na_rep=_("beyond the data"), **i18n.number_format())
    out.append(styled.hide(axis="index").set_caption(_("Kaplan–Meier: median tenure and the share still under contract at each horizon, tenure in {unit}", unit=unit_word(unit))))
    return out


def cox_section(cox, unit: str) -> list:
    """The Cox model's size and reference levels, its C-index on train and test customers, and the hazard ratios."""
    from helpers.i18n import fmt_number

    return [_("Cox model on {n} customers, {k} covariates; reference levels: {refs}", n=fmt_number(cox.n_train), k=len(cox.covariates),
              refs=", ".join(f"{k} = {v}" for k, v in cox.reference.items())),
            localize_numbers(_("C-index: {train} on the fitting customers, {test} on the {n} held out", train=f"{cox.c_index_train:.3f}", test=f"{cox.c_index_test:.3f}",
                               n=f"{cox.n_test:,}")),
            hazard_ratios(cox.coefficients, unit=unit)]


def fader_hardie_table(check: pd.DataFrame):
    """Our sBG fit of the Fader & Hardie (2007) cohorts beside the paper's alpha and beta, captioned."""
    return (check.style.format("{:.3f}", subset=["alpha", "beta", "paper_alpha", "paper_beta"]).hide(axis="index")
            .set_caption(_("The sBG on Fader & Hardie's (2007) published cohorts: fitted here and in the paper")))


def discount_note(discount_rate: float, unit: str) -> str:
    """The yearly discount rate as a rate per tenure ``unit``, with the periods per year and the charge factor."""
    from helpers.models import contract_churn as cc

    ppy = cc.periods_per_year(unit)
    return localize_numbers(_("discount rate: {rate} a year = {period_rate} per {unit}, from (1 + d)^(1/{ppy}) − 1 with {ppy} {units} a year; charges per {unit} = monthly_charges × {factor}", rate=f"{discount_rate:.1%}",
                              period_rate=f"{100 * cc.period_rate(discount_rate, unit):.3g}%", unit=unit_one(unit),
                              ppy=f"{ppy:g}", units=unit_word(unit, ppy), factor=f"{cc.charge_factor(unit):.4g}"))


def value_table(vs: pd.DataFrame, unit: str, currency: str, discount_rate: float):
    """The expected remaining tenure and value per group (:func:`helpers.models.contract_churn.value_summary`),
    captioned with the unit, currency and discount rate."""
    return (table(vs, unit, {c: "{:,.2f}" for c in vs.columns[2:]} | {"customers": "{:,}", "mean_sbg_churn_risk": "{:.2%}"})
            .hide(axis="index")
            .set_caption(_("Customers under contract: expected remaining tenure in {unit} and value ({currency}, discounted at {rate} a year)", unit=unit_word(unit), currency=currency,
                           rate=localize_numbers(f"{discount_rate:.0%}"))))
