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

from helpers import i18n
from helpers.i18n import _, fmt_number, pgettext
from helpers.plots.base import TEMPLATE, fmt_money, plain
from helpers.plots.tables import MOST

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
                    orientation="h", marker_color="#1f77b4", name=_("features (lines up to the cut-off)"),
                    showlegend=i == 0, hovertemplate=_("{name}: features {start} .. {end}", name=name, start=i18n.fmt_date(data_start), end=i18n.fmt_date(cut)) + "<extra></extra>")
        if horizon:
            start = pd.Timestamp(cut) + pd.Timedelta(days=1)
            fig.add_bar(y=[name], x=[pd.Timedelta(days=horizon) / _MS], base=[start.date().isoformat()], orientation="h",
                        marker_color="#ff7f0e", name=_("label window (purchase or not)"), showlegend=i == 0,
                        hovertemplate=_("{name}: label {start} .. {end}", name=name, start=i18n.fmt_date(start.date()), end=i18n.fmt_date((pd.Timestamp(cut) + pd.Timedelta(days=horizon)).date())) + "<extra></extra>")
    for name, cut, _unused in rows:
        fig.add_annotation(y=name, x=str(cut), text=_("cut-off {date}", date=i18n.fmt_date(cut)), showarrow=False, yshift=24, font={"size": 11})
    fig.update_xaxes(type="date")
    fig.update_layout(title=_("Out-of-time design: what each data set sees (features) and predicts (label)"),
                      barmode="overlay", template=TEMPLATE, height=150 + 70 * len(rows),
                      xaxis_title=_("date"), yaxis_title=_("data set"), legend=_LEGEND,
                      yaxis={"categoryorder": "array", "categoryarray": names[::-1]})
    return fig


def roc_curves(roc: pd.DataFrame, metrics: pd.DataFrame | None = None) -> go.Figure:
    """ROC curves (output of :func:`helpers.models.churn.roc_table`) with the random diagonal."""
    auc = dict(zip(metrics["score"], metrics["roc_auc"])) if metrics is not None else {}
    fig = go.Figure()
    for i, (name, g) in enumerate(roc.groupby("score", sort=False)):
        label = f"{i18n.label(name, 'score_')} (AUC {i18n.fmt_number(auc[name], 3)})" if name in auc else i18n.label(name, "score_")
        fig.add_scatter(x=g["false_positive_rate"], y=g["true_positive_rate"], mode="lines", name=label,
                        line={"color": _colour(name, i)})
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("random (AUC 0.5)"), line={"color": "#999", "dash": "dot"})
    fig.update_layout(title=_("ROC curves on the out-of-time test set"), template=TEMPLATE, height=460,
                      xaxis_title=_("false positive rate (share of retained customers flagged)"),
                      yaxis_title=_("true positive rate (share of churners flagged)"), legend=_LEGEND)
    return fig


def calibration(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Predicted vs observed churn rate per bin (outputs of ``calibration_table``), with the ideal diagonal."""
    fig = go.Figure()
    for i, (name, tb) in enumerate(tables.items()):
        fig.add_scatter(x=tb["mean_predicted"], y=tb["observed_rate"], mode="lines+markers", name=i18n.label(name, "score_"),
                        line={"color": _colour(name, i)},
                        customdata=tb["customers"], hovertemplate=_("predicted %{x:.2f}, observed %{y:.2f}, %{customdata} customers<extra></extra>"))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("perfect calibration"), line={"color": "#999", "dash": "dot"})
    fig.update_layout(title=_("Calibration: predicted churn probability vs observed churn rate (10 equal-size bins)"),
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis={"title": _("mean predicted churn probability (0..1)"), "range": [0, 1]},
                      yaxis={"title": _("observed churn rate (0..1)"), "range": [0, 1.02]})
    return fig


def gains(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Cumulative gains: share of all churners found vs share of customers contacted (best first)."""
    fig = go.Figure()
    for i, (name, tb) in enumerate(tables.items()):
        fig.add_scatter(x=np.r_[0, tb["share_contacted"] * 100], y=np.r_[0, tb["gain"] * 100], mode="lines+markers",
                        name=i18n.label(name, "score_"), line={"color": _colour(name, i)})
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=_("random contact"), line={"color": "#999", "dash": "dot"})
    fig.update_layout(title=_("Cumulative gains: churners found when contacting the riskiest customers first"),
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis_title=_("customers contacted, highest risk first (%)"), yaxis_title=_("churners found (% of all churners)"))
    return fig


def lift(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Cumulative lift per group of customers (1 = no better than contacting at random)."""
    fig = go.Figure()
    for i, (name, tb) in enumerate(tables.items()):
        fig.add_scatter(x=tb["share_contacted"] * 100, y=tb["lift"], mode="lines+markers", name=i18n.label(name, "score_"),
                        line={"color": _colour(name, i)})
    fig.add_hline(y=1, line={"color": "#999", "dash": "dot"}, annotation_text=_("random (lift 1)"))
    fig.update_layout(title=_("Cumulative lift: churn rate among those contacted / overall churn rate"),
                      template=TEMPLATE, height=420, legend=_LEGEND,
                      xaxis_title=_("customers contacted, highest risk first (%)"), yaxis_title=_("cumulative lift (ratio)"))
    return fig


def confusion(tab: pd.DataFrame, model_name: str) -> go.Figure:
    """Heatmap of a 2 x 2 confusion table (``confusion_table``) with counts and row shares."""
    z = tab.to_numpy(dtype=float)
    share = z / z.sum(axis=1, keepdims=True).clip(min=1)
    text = [[_("{n}<br>({share} of row)", n=i18n.fmt_number(int(v)), share=i18n.fmt_percent(s, 0)) for v, s in zip(r, sr)]
            for r, sr in zip(z, share)]
    fig = go.Figure(go.Heatmap(z=share, x=[i18n.label(c) for c in tab.columns], y=[i18n.label(i) for i in tab.index],
                               text=text, texttemplate="%{text}",
                               colorscale="Blues", zmin=0, zmax=1, colorbar={"title": _("share of row")}))
    a = tab.attrs
    what = _("threshold {value}", value=i18n.fmt_spec(a["threshold"], "g")) if "threshold" in a else tab.columns.name
    fig.update_layout(title=_("Confusion matrix, {model}, {what}: precision {precision}, recall {recall}", model=i18n.label(model_name, "score_"), what=what,
                              precision=i18n.fmt_percent(a["precision"]), recall=i18n.fmt_percent(a["recall"])),
                      template=TEMPLATE, height=380,
                      xaxis_title=_("predicted (customers)"), yaxis_title=_("actual (customers)"),
                      yaxis={"autorange": "reversed"})
    return fig


def sample_note(table: pd.DataFrame) -> str:
    """A title's second line when ``table`` (an explanation) was computed on a seeded sample of the customers."""
    rows, of = table.attrs.get("rows"), table.attrs.get("of")
    if rows is None or of is None or rows >= of:
        return ""
    return "<br><sup>" + _("on a seeded random sample of {rows} of the {of} customers",
                           rows=i18n.fmt_number(rows), of=i18n.fmt_number(of)) + "</sup>"


def importance(imp: pd.DataFrame, model_name: str, top: int = 15) -> go.Figure:
    """Horizontal bars of permutation importance (drop in ROC-AUC) with one standard deviation; the subtitle
    says when it was computed on a sample of the customers (:data:`helpers.models.churn.EXPLAIN_MAX_ROWS`)."""
    tb = imp.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=tb["importance"], y=tb["feature"], orientation="h", marker_color="#1f77b4",
                           error_x={"type": "data", "array": tb["std"], "visible": True}))
    fig.update_layout(title=_("What drives the {model}: drop in test ROC-AUC when a feature is shuffled", model=i18n.label(model_name, "score_"))
                      + sample_note(imp),
                      template=TEMPLATE, height=max(320, 26 * len(tb) + 140),
                      xaxis_title=_("permutation importance (drop in ROC-AUC)"), yaxis_title=_("feature"))
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
        fig.update_xaxes(title_text=f"{f} ({i18n.label(units.get(f, 'value'), 'unit_')})", row=1, col=i)
    fig.update_yaxes(title_text=_("average churn probability (0..1)"), row=1, col=1)
    fig.update_layout(title=_("Partial dependence of the top drivers (other features as observed)") + sample_note(pdt),
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
                        name=_("{name} ({n} customers)", name=plain(i18n.label(name)), n=i18n.fmt_number(n)))
    p = summary.attrs.get("logrank_p", np.nan)
    ptxt = f"log-rank p = {p:.3g}" if np.isfinite(p) else _("one segment only")
    fig.update_layout(title=_("Still active t days after the first purchase, by {segment} (Kaplan-Meier, lapse = {days} days without purchase; {p})", segment=plain(i18n.label(segment_name)), days=lapse_days, p=ptxt),
                      template=TEMPLATE, height=460, legend=_LEGEND,
                      xaxis_title=_("days since the first purchase"), yaxis={"title": _("customers still active (%)"),
                                                                   "range": [0, 101]})
    return fig


def risk_by_group(scored: pd.DataFrame, column: str, currency: str) -> go.Figure:
    """Bars: customers per churn-risk band, coloured by band, with the value at stake as text."""
    tb = scored.groupby(column, observed=True).agg(customers=("churn_risk", "size"), value=("value", "sum")).reset_index()
    fig = go.Figure(go.Bar(x=plain(tb[column].astype(str)), y=tb["customers"], marker_color="#d62728",
                           text=[_("value {value}", value=fmt_money(v, currency)) for v in tb["value"]],
                           textposition="outside"))
    fig.update_layout(title=_("Active customers by churn-risk band (value at stake in {cur})", cur=currency), template=TEMPLATE,
                      height=400, xaxis_title=_("churn risk band (probability of no purchase in the horizon)"),
                      yaxis_title=pgettext("customers", "customers (count)"))
    return fig


def campaign_table(campaign: pd.DataFrame, currency: str, *, most: int = MOST):
    """The campaign list (customers with a positive expected saved value, in the plan's order) as the page's
    searchable table, at most ``most`` rows (:mod:`helpers.plots.tables`); the export holds every customer."""
    money = {c: "{:,.2f}" for c in ("value", "expected_saved_value", "cumulative_return")}
    shown = campaign.head(most)
    caption = (_("The campaign list: {n} customers with a positive expected saved value (money in {currency})",
                 n=fmt_number(len(campaign)), currency=currency) if len(shown) == len(campaign) else
               _("The campaign list: its first {shown} of {n} customers with a positive expected saved value (money in {currency}; every customer is in the export)",
                 shown=fmt_number(len(shown)), n=fmt_number(len(campaign)), currency=currency))
    return i18n.table(shown, {"churn_risk": "{:.1%}", **money}).hide(axis="index").set_caption(caption)


def cumulative_return(plan: pd.DataFrame, be: dict, currency: str) -> go.Figure:
    """Cumulative expected saved value vs customers contacted (best first), with the optimum and break-even."""
    x = np.r_[0, plan["rank"]]
    y = np.r_[0, plan["cumulative_return"]]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=_("cumulative expected return"), line={"color": "#1f77b4"}))
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"})
    if be["best_n"]:
        fig.add_scatter(x=[be["best_n"]], y=[be["best_return"]], mode="markers+text", marker={"size": 11, "color": "#2ca02c"},
                        text=[_("best: contact {n} → {value}", n=i18n.fmt_number(be["best_n"]), value=fmt_money(be["best_return"], currency))],
                        textposition="bottom right", name=_("best list size"))
    if be["break_even_n"] and be["break_even_n"] < be["customers"]:
        fig.add_scatter(x=[be["break_even_n"]], y=[0], mode="markers+text", marker={"size": 11, "color": "#d62728"},
                        text=[f"{_('break-even')}: {i18n.fmt_number(be['break_even_n'])}"], textposition="bottom left",
                        name=_("break-even"))
    fig.update_layout(title=_("Retention campaign: cumulative expected return as the list grows (best customers first)"),
                      template=TEMPLATE, height=440, legend=_LEGEND,
                      xaxis_title=_("customers contacted (count, ranked by expected saved value)"),
                      yaxis_title=_("cumulative expected saved value ({cur})", cur=currency))
    return fig


def data_notes(has: dict, datasets, dropped_features: list[str]) -> list[str]:
    """What the churn features lack: the optional columns the data has not, where each cut-off's P(alive) came
    from (and when it is unknown for everyone), and the features left out because one cut-off lacks them."""
    out = [_("The data has no '{column}' column: features built from it are left out.", column=column) for column in ("category", "channel", "country", "product_id")
           if not has.get(column)]
    for ds in datasets:
        if ds is not None and ds.p_alive_source is not None:
            out.append(_("P(alive) at cut-off {cutoff}: {source}", cutoff=i18n.fmt_date(ds.cutoff), source=i18n.say(ds.p_alive_source.phrase)))
            if ds.frame["p_alive"].isna().all():
                out.append(_("  P(alive) is unknown at cut-off {cutoff}: the step used has no dropout.", cutoff=i18n.fmt_date(ds.cutoff)))
    if dropped_features:
        out.append(_("Left out of the training, test and scoring sets because they are unknown at one of the cut-offs: {features}.", features=", ".join(dropped_features)))
    return out


def scoring_notes(n_active: int, analysis_date, scored: bool, value: pd.DataFrame, value_note, *,
                  clv_months: int, discount_rate: float, margin: float) -> list[str]:
    """Who is scored today (``n_active`` customers; ``scored``: whether a model scored them) and what the value
    at stake is: the CLV if kept (its horizon, rate, margin, the steps of the CLV chain, the customers it could
    not value) or the fallback and why (``value_note``)."""
    out = [_("{n} active customers at {end}", n=i18n.fmt_number(n_active), end=i18n.fmt_date(analysis_date))
           + ("" if scored else _(": no model, so no risk scores"))]
    if value.attrs.get("kind") == "clv_if_kept":
        out.append(_("Value at stake per customer: predictive CLV if kept over the next {months} months, discounted at {rate} a year, x margin {margin}. Purchases: {purchase}. Spend: {spend}.", months=clv_months, rate=i18n.fmt_percent(discount_rate, 0), margin=i18n.fmt_number(margin, 2),
                     purchase=i18n.say(value.attrs["purchase_source"].phrase), spend=i18n.say(value.attrs["spend_source"].phrase)))
        if value.attrs["unknown"]:
            out.append(_("{n} customers have an unknown CLV under these steps: they are not valued (not set to 0).", n=i18n.fmt_number(value.attrs["unknown"])))
    else:
        out.append(_("Value at stake per customer: {note}.", note=i18n.say(value_note)))
    return out


def plan_notes(plan: pd.DataFrame | None, be: dict | None, currency: str) -> list[str]:
    """The retention plan in words: the customers without a value, and the best campaign size and return beside
    the break-even size and the return of contacting everyone."""
    out = []
    if plan is not None and plan.attrs["unvalued"]:
        out.append(_("{n} customers with an unknown value are listed last and left out of the cumulative return.", n=i18n.fmt_number(plan.attrs["unvalued"])))
    if be:
        money = lambda v: fmt_money(v, currency)  # noqa: E731
        out.append(_("Contact the best {best} of {n} active customers: expected return {ret}. Break-even at {be} customers; contacting everyone: {all}.", best=i18n.fmt_number(be["best_n"]), n=i18n.fmt_number(be["customers"]), ret=money(be["best_return"]),
                     be=i18n.fmt_number(be["break_even_n"]), all=money(be["contact_all_return"])))
    return out


def truth_section(truth: dict | None, test, scores: dict) -> list:
    """On synthetic data, each score against the planted dropout: the population counts and the table (captioned
    with the test cut-off); the note why not on real data or without a score."""
    from helpers.models.churn import truth_table

    if truth is None:
        return [_("Real data: the customers' true state is unknown, so there is no known-truth check.")]
    if not scores:
        return [_("No model was fitted, so there is nothing to check against the truth.")]
    tt = truth_table(truth["customers"], test, scores)
    out = [f"{i18n.label(population, 'pop_')}: {i18n.say(counts)}" for population, counts in tt.attrs.items()]
    out.append(i18n.table(tt, {c: "{:.3f}" for c in tt.columns[1:]}, cells={"score": "score_"}, na_rep="–").hide(axis="index")
               .set_caption(_("ROC-AUC against true dropout at the test cut-off {cutoff}", cutoff=i18n.fmt_date(test.cutoff))))
    return out
