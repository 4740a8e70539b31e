"""Figures and sentences of the customer-voice notebook (09): scores over time and by group, delivery
delay, words of low and high scores, complaints and coming back.

Each recipe takes the small table a :mod:`helpers.models.voice` function returns and gives back a
plotly figure with a title and labelled axes (units in brackets); labels come from
:mod:`helpers.i18n` in the report language. :func:`delay_sentence`, :func:`hazard_sentence`,
:func:`gain_sentence` and :func:`hazard_error_text` say the models' results in that language.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers.analyses.validation import hazard_error_text  # noqa: F401 (notebook 09 reads it here)
from helpers.i18n import pgettext, _, lookup, fmt_spec as _f, label
from helpers.plots.base import TEMPLATE, plain

#: one colour per score 1..5 (red to green), the same in every figure
SCORE_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#bcbd22", 4: "#98df8a", 5: "#2ca02c"}
LOW, HIGH, NEUTRAL = "#d62728", "#2ca02c", "#1f77b4"
_LEGEND = {"orientation": "h", "y": -0.2, "x": 0}


def score_distribution(fb: pd.DataFrame) -> go.Figure:
    """Bars of the reviews per score (1..5 scale)."""
    s = fb["score5"].round().clip(1, 5).astype(int).value_counts().reindex(range(1, 6), fill_value=0)
    share = s / max(int(s.sum()), 1)
    fig = go.Figure(go.Bar(x=[str(k) for k in s.index], y=s.to_numpy(), text=[f"{v:.1%}" for v in share],
                           textposition="auto", marker_color=[SCORE_COLOURS[k] for k in s.index]))
    fig.update_layout(title=_("Reviews per score (1..5 scale)"), template=TEMPLATE, height=380,
                      xaxis_title=_("score (1..5 stars)"), yaxis_title=_("reviews (count)"))
    return fig


def score_over_time(table: pd.DataFrame, period: str = "month") -> go.Figure:
    """Share of each score per period (stacked bars) and the mean score (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = table["period"]
    for k in range(1, 6):
        fig.add_bar(x=x, y=table[f"share_{k}"] * 100, name=_("{k} stars", k=k), marker_color=SCORE_COLOURS[k],
                    customdata=table[f"n_{k}"], hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} % (%{customdata:,})<extra></extra>")
    fig.add_scatter(x=x, y=table["mean_score"], name=_("mean score"), mode="lines+markers",
                    line={"color": "black", "width": 2}, secondary_y=True,
                    customdata=table["reviews"], hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (n = %{customdata:,})<extra></extra>")
    fig.update_layout(title=_("Score mix per {period} (bars, % of reviews) and mean score (line)", period=period), barmode="stack", template=TEMPLATE,
                      height=440, legend=_LEGEND, xaxis_title=_("{period} (start date)", period=period))
    fig.update_yaxes(title_text=_("share of the period's reviews (%)"), range=[0, 100], secondary_y=False)
    fig.update_yaxes(title_text=_("mean score (1..5)"), range=[1, 5], secondary_y=True, showgrid=False)
    return fig


def score_by(table: pd.DataFrame, column: str, label: str | None = None) -> go.Figure:
    """Mean score per group with its confidence interval, and the overall mean as a dashed line."""
    d = table.iloc[::-1]
    overall = table.attrs.get("overall_mean")
    fig = go.Figure(go.Bar(
        y=plain(d[column].astype(str)), x=d["mean_score"], orientation="h", marker_color=NEUTRAL,
        error_x={"type": "data", "symmetric": False, "array": d["ci_high"] - d["mean_score"],
                 "arrayminus": d["mean_score"] - d["ci_low"]},
        text=[f"{m:.2f} · n={n:,} · {s:.0%} ≤2" for m, n, s in zip(d["mean_score"], d["reviews"], d["low_share"])],
        textposition="inside", insidetextanchor="start"))
    if overall is not None:
        fig.add_vline(x=overall, line_dash="dash", line_color="black",
                      annotation_text=_("all reviews: {mean}", mean=f"{overall:.2f}"))
    label = plain(label or column)
    fig.update_layout(title=_("Mean score by {column} (lowest first; bars: 95 % CI)", column=label), template=TEMPLATE,
                      height=max(320, 26 * len(d) + 140), xaxis_title=_("mean score (1..5)"),
                      yaxis_title=label, xaxis={"range": [1, 5]})
    return fig


def late_vs_on_time(effect) -> go.Figure:
    """Two panels: mean score and share of 1-2 star reviews, late against on time, with intervals."""
    from helpers.models.voice import wilson_interval

    tb = effect.table
    names = [_("late") if g == "late" else _("on time") for g in tb["group"]]
    colours = [LOW if g == "late" else HIGH for g in tb["group"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("mean score"), _("share of 1–2 star reviews")))
    fig.add_bar(x=names, y=tb["mean_score"], marker_color=colours, showlegend=False,
                text=[f"{m:.2f}<br>n={n:,}" for m, n in zip(tb["mean_score"], tb["reviews"])], row=1, col=1)
    ci = [wilson_interval(int(k), int(n), effect.level) for k, n in zip(tb["low"], tb["reviews"])]
    fig.add_bar(x=names, y=tb["low_share"] * 100, marker_color=colours, showlegend=False,
                error_y={"type": "data", "symmetric": False,
                         "array": [100 * (c[1] - s) for c, s in zip(ci, tb["low_share"])],
                         "arrayminus": [100 * (s - c[0]) for c, s in zip(ci, tb["low_share"])]},
                text=[f"{s:.1%}" for s in tb["low_share"]], row=1, col=2)
    fig.update_yaxes(title_text=_("mean score (1..5)"), range=[1, 5], row=1, col=1)
    fig.update_yaxes(title_text=_("1–2 star reviews (% of reviews)"), row=1, col=2)
    fig.update_xaxes(title_text=_("delivery against the promised date"), row=1, col=1)
    fig.update_xaxes(title_text=_("delivery against the promised date"), row=1, col=2)
    fig.update_layout(title=_("Late against on-time delivery: mean score and share of 1–2 star reviews"), template=TEMPLATE, height=400)
    return fig


def by_delay(table: pd.DataFrame) -> go.Figure:
    """Mean score (bars) and share of 1-2 star reviews (line, right axis) per delivery-delay band."""
    d = table[table["reviews"] > 0]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colours = [LOW if "late" in str(b) else HIGH for b in d["delay"]]
    fig.add_bar(x=d["delay"], y=d["mean_score"], name=_("mean score"), marker_color=colours,
                text=[f"n={n:,}" for n in d["reviews"]], textposition="inside")
    fig.add_scatter(x=d["delay"], y=d["low_share"] * 100, name=_("share of 1–2 star reviews"), mode="lines+markers",
                    line={"color": "black"}, secondary_y=True)
    fig.update_layout(title=_("Mean score and share of 1–2 star reviews by delivery delay against the promised date"), template=TEMPLATE, height=420, legend=_LEGEND,
                      xaxis_title=_("delivery date minus promised date (days)"))
    fig.update_yaxes(title_text=_("mean score (1..5)"), range=[1, 5], secondary_y=False)
    fig.update_yaxes(title_text=_("1–2 star reviews (% of reviews)"), range=[0, 100], secondary_y=True, showgrid=False)
    return fig


def distinctive_terms(table: pd.DataFrame) -> go.Figure:
    """Diverging bars of the log odds ratio: terms of low scores to the right, of high scores to the left."""
    d = table.sort_values("log_odds")
    colours = [LOW if s == "low" else HIGH for s in d["side"]]
    fig = go.Figure(go.Bar(
        y=plain(d["term"]), x=d["log_odds"], orientation="h", marker_color=colours,
        customdata=d[["low", "high", "low_share", "high_share", "z"]].to_numpy(),
        hovertemplate="%{y}: log OR %{x:.2f}, z %{customdata[4]:.1f}<br>low %{customdata[0]:,} "
                      "(%{customdata[2]:.1%}) · high %{customdata[1]:,} (%{customdata[3]:.1%})<extra></extra>"))
    fig.update_layout(title=_("Words and phrases typical of 1–2 star comments (right, n = {low}) against 4–5 star ones (left, n = {high})", low=table.attrs.get("low_texts", 0),
                              high=table.attrs.get("high_texts", 0)),
                      template=TEMPLATE, height=max(360, 22 * len(d) + 140),
                      xaxis_title=_("log odds ratio of mentioning the term, 1–2 stars against 4–5 stars (natural log)"), yaxis_title=_("word or 2-word phrase"))
    return fig


def top_terms(low: pd.DataFrame, high: pd.DataFrame) -> go.Figure:
    """Side by side: the most mentioned terms of low-score and of high-score comments (% of texts)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("1–2 star comments (n = {n})", n=low.attrs.get("texts", 0)),
                                                        _("4–5 star comments (n = {n})", n=high.attrs.get("texts", 0))),
                        horizontal_spacing=0.2)
    for col, d, colour in ((1, low, LOW), (2, high, HIGH)):
        d = d.iloc[::-1]
        fig.add_bar(y=plain(d["term"]), x=d["share"] * 100, orientation="h", marker_color=colour, showlegend=False,
                    text=[f"{n:,}" for n in d["reviews"]], textposition="auto", row=1, col=col)
        fig.update_xaxes(title_text=_("comments mentioning it (%)"), row=1, col=col)
    fig.update_yaxes(title_text=_("word or 2-word phrase"), row=1, col=1)
    fig.update_layout(title=_("Most mentioned words and phrases (stop words removed)"), template=TEMPLATE,
                      height=max(380, 22 * max(len(low), len(high)) + 160))
    return fig


def came_back(table: pd.DataFrame) -> go.Figure:
    """Share of customers who bought again within the window after a complaint or a good review."""
    names = [_("complained") if g == "complained" else _("good review (4–5), no complaint") for g in table["group"]]
    fig = go.Figure(go.Bar(
        x=names, y=table["share"] * 100, marker_color=[LOW if g == "complained" else HIGH for g in table["group"]],
        error_y={"type": "data", "symmetric": False, "array": (table["ci_high"] - table["share"]) * 100,
                 "arrayminus": (table["share"] - table["ci_low"]) * 100},
        text=[f"{k:,} / {n:,}" for k, n in zip(table["came_back"], table["customers"])], textposition="inside"))
    fig.update_layout(title=_("Customers who ordered again within {days} days: after a complaint against after a good review", days=table.attrs.get("window_days", "")), template=TEMPLATE,
                      height=400, xaxis_title=_("customer group"), yaxis_title=_("ordered again within the window (% of customers)"))
    return fig


def complaint_effect(fit, truth: float | None = None) -> go.Figure:
    """Two panels: mean dropout probability before and after a complaint, and the hazard factor k
    with its interval (the planted k as a diamond when known, 1 = no effect as a dashed line)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45],
                        subplot_titles=(_("mean dropout probability after a repeat purchase, E[p] (0..1)"), _("complaint factor k on the dropout hazard (1 = no effect)")))
    fig.add_bar(x=[_("before a complaint, E[p]"), _("after a complaint, E[1 − (1 − p)^k]")], y=[fit.mean_p, fit.mean_p_after],
                marker_color=[NEUTRAL, LOW], text=[f"{fit.mean_p:.3f}", f"{fit.mean_p_after:.3f}"],
                textposition="auto", showlegend=False, row=1, col=1)
    fig.add_scatter(x=[_("estimate")], y=[fit.k], mode="markers", marker={"size": 12, "color": LOW},
                    error_y={"type": "data", "symmetric": False, "array": [fit.k_high - fit.k],
                             "arrayminus": [fit.k - fit.k_low]}, name=_("estimate"), row=1, col=2)
    if truth is not None:
        fig.add_scatter(x=[_("estimate")], y=[truth], mode="markers", name=_("planted {truth}", truth=f"{truth:g}"),
                        marker={"size": 14, "symbol": "diamond-open", "color": "black"}, row=1, col=2)
    fig.add_hline(y=1, line_dash="dash", line_color="grey", row=1, col=2)
    sub = _("estimated k = {factor} ({level} CI {low} .. {high})", factor=f"{fit.k:.2f}", low=f"{fit.k_low:.2f}", high=f"{fit.k_high:.2f}",
            level=f"{fit.level:.0%}")
    fig.update_yaxes(title_text=_("mean dropout probability after a repeat purchase, E[p] (0..1)"), rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=_("complaint factor k on the dropout hazard (1 = no effect)"), rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=_("customer group"), row=1, col=1)
    fig.update_xaxes(title_text=_("complaint factor k on the dropout hazard (1 = no effect)"), row=1, col=2)
    fig.update_layout(title=f"{_('Complaint effect on dropout: BG/NBD with a complaint-dependent dropout probability')}<br><sup>{sub} · n = {fit.n_customers:,}, "
                            f"{fit.n_complained:,} {_('complained')}</sup>",
                      template=TEMPLATE, height=440, legend=_LEGEND)
    return fig


def churn_gain(gain) -> go.Figure:
    """Two panels: each churn model's test ROC-AUC without and with the complaint features, and the
    difference with its paired-bootstrap interval (0 = no gain, dashed)."""
    names = {v: label(v, "score_") for v in gain.metrics["model"].unique()}
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=(_("ROC-AUC (0.5 = chance, 1 = perfect)"), _("ROC-AUC with minus without complaints")))
    for features, key, colour in (("without", "voice_without_complaints", NEUTRAL),
                                  ("with complaints", "voice_with_complaints", LOW)):
        m = gain.metrics[gain.metrics["features"] == features]
        fig.add_bar(x=[names[v] for v in m["model"]], y=m["roc_auc"], name=lookup(key), marker_color=colour,
                    text=[f"{v:.3f}" for v in m["roc_auc"]], textposition="auto", row=1, col=1)
    g = gain.gain
    fig.add_scatter(x=[names[v] for v in g["model"]], y=g["diff"], mode="markers", marker={"size": 12, "color": LOW},
                    error_y={"type": "data", "symmetric": False, "array": g["high"] - g["diff"],
                             "arrayminus": g["diff"] - g["low"]}, showlegend=False, row=1, col=2)
    fig.add_hline(y=0, line_dash="dash", line_color="grey", row=1, col=2)
    lo = float(gain.metrics["roc_auc"].min())
    fig.update_yaxes(title_text=_("ROC-AUC (0.5 = chance, 1 = perfect)"), range=[max(0.0, min(0.5, lo - 0.05)), 1.0], row=1, col=1)
    fig.update_yaxes(title_text=_("ROC-AUC with minus without complaints"), row=1, col=2)
    fig.update_xaxes(title_text=_("churn model"), row=1, col=1)
    fig.update_xaxes(title_text=_("churn model"), row=1, col=2)
    fig.update_layout(title=_("Complaints as a churn feature: ROC-AUC at the test cut-off {cutoff}, with and without them", cutoff=gain.test_cutoff), template=TEMPLATE, height=420,
                      barmode="group", legend=_LEGEND)
    return fig


def delay_sentence(effect) -> str:
    """Late against on-time orders (a :class:`helpers.models.voice.DelayEffect`) in one sentence:
    mean scores, the gap with its interval, and the shares of 1-2 star reviews."""
    g = effect.table.set_index("group")
    m, s = effect.mean_gap, effect.low_share_gap
    return _("Late orders (n = {n_late}) score {late} on average against {on_time} on time (n = {n_on_time}): a gap of {gap} points ({level} CI {low} .. {high}). {low_late} of late orders get 1-2 stars against {low_on_time}: {share_gap} points ({level} CI {share_low} .. {share_high}).", n_late=_f(int(g.loc["late", "reviews"]), ","),
             late=_f(g.loc["late", "mean_score"], ".2f"), on_time=_f(g.loc["on time", "mean_score"], ".2f"),
             n_on_time=_f(int(g.loc["on time", "reviews"]), ","), gap=_f(m["diff"], "+.2f"),
             level=_f(effect.level, ".0%"), low=_f(m["low"], "+.2f"), high=_f(m["high"], "+.2f"),
             low_late=_f(g.loc["late", "low_share"], ".1%"), low_on_time=_f(g.loc["on time", "low_share"], ".1%"),
             share_gap=_f(100 * s["diff"], "+.1f"), share_low=_f(100 * s["low"], "+.1f"),
             share_high=_f(100 * s["high"], "+.1f"))


def gain_sentence(gain) -> str:
    """What complaints add to the churn models (a :class:`helpers.models.voice.ChurnGain`): per model the
    test ROC-AUC without and with them and the difference's interval; a warning when a class is small."""
    parts = [_("{model}: ROC-AUC {before} -> {after} ({diff}, {level} CI {low} .. {high})", model=label(r.model, "score_"), before=_f(r.auc_b, ".3f"),
               after=_f(r.auc_a, ".3f"), diff=_f(r.diff, "+.3f"), level=_f(gain.level, ".0%"), low=_f(r.low, "+.3f"),
               high=_f(r.high, "+.3f")) for r in gain.gain.itertuples()]
    out = _("Adding the complaint features (test cut-off {cutoff}, churn = no purchase in {days} days; {n} test customers, {retained} of them retained): {parts}.", cutoff=gain.test_cutoff, days=gain.horizon_days, n=_f(gain.n_test, ","),
            retained=_f(gain.n_retained, ","), parts="; ".join(parts))
    if gain.sampled:
        out += _(" The models were fitted and compared on a seeded random sample of {max} customers at each cut-off (of {train} active at the training cut-off and {test} at the test cut-off), so this step stays fast on large data; the interval reflects the sample's size.", max=_f(gain.n_test, ","),
                 train=_f(gain.n_train_all, ","), test=_f(gain.n_test_all, ","))
    smaller = min(gain.n_retained, gain.n_test - gain.n_retained)
    if smaller < 100:
        out += _(" With only {n} customers in the smaller class the AUCs are very uncertain: read the intervals, not the points.", n=_f(smaller, ","))
    return out


def hazard_sentence(fit) -> str:
    """The complaint hazard factor k (a :class:`helpers.models.voice.HazardFit`) with its interval, the
    likelihood-ratio p-value and the mean dropout probability before and after a complaint."""
    return _("A complaint multiplies the dropout hazard after each repeat purchase by k = {k} ({level} CI {low} .. {high}; likelihood-ratio test of k = 1: p = {p}). Mean dropout probability after a repeat purchase: {p0} before a complaint, {p1} after. n = {n} customers, {nc} complained, {nr} of them made a repeat purchase at or after the complaint.", k=_f(fit.k, ".2f"), level=_f(fit.level, ".0%"), low=_f(fit.k_low, ".2f"),
             high=_f(fit.k_high, ".2f"), p=_f(fit.lr_p_value, ".3g"), p0=_f(fit.mean_p, ".3f"),
             p1=_f(fit.mean_p_after, ".3f"), n=_f(fit.n_customers, ","), nc=_f(fit.n_complained, ","),
             nr=_f(fit.n_repeat_after, ","))


# ----------------------------------------------------------------------------- notebook 09's sections
def config_notes(name: str, fb: pd.DataFrame, h: dict, has: dict, has_lines: bool) -> list[str]:
    """The feedback table in one line (reviews, dates, customers, share with text, sales lines or not) and the
    optional columns it lacks."""
    f = _f
    absent = [c for c in ("delay", "seller_id", "region", "product_category", "text", "customer_id") if not has.get(c)]
    return [_("config {name}: {n} reviews from {start} to {end}, {customers} known customers, {text} with a comment; sales lines: {lines}", name=name, n=f(h["reviews"], ","), start=f"{fb['feedback_ts'].min():%Y-%m-%d}",
              end=f"{fb['feedback_ts'].max():%Y-%m-%d}", customers=f(h["customers"], ","), text=f(h["text_share"], ".0%"),
              lines=pgettext("nb09", "yes") if has_lines else pgettext("nb09", "no")),
            _("Absent optional columns (their steps are skipped): {cols}", cols=", ".join(absent) if absent else _("none"))]


def breakdown_section(fb: pd.DataFrame, has: dict, *, min_reviews: int, top: int) -> tuple[dict, list]:
    """The mean score per category, seller, region ... (:data:`helpers.models.voice.BREAKDOWNS`): for each, the
    groups kept and a chart, or why there is none (column absent or single-valued, a category that only names
    the kind of feedback, no group with ``min_reviews``). Returns ``(tables by column, shown)``."""
    from helpers.models import voice

    breakdowns, out = {}, []
    for column in voice.BREAKDOWNS:
        if not has.get(column) or fb[column].nunique() < 2:
            out.append(_("The feedback has no '{column}' column with two or more values: the {column} breakdown is skipped.", column=column))
            continue
        if column == "category" and fb[column].astype(str).str.lower().isin(voice.KIND_LABELS).all():
            out.append(_("'category' only says complaint or review (complaints score low by definition): no category breakdown."))
            continue
        table = voice.score_by(fb, column, min_reviews=min_reviews, top=top)
        if table.empty:
            out.append(_("No {column} has {min_reviews}+ reviews: the breakdown is skipped.", column=column, min_reviews=min_reviews))
            continue
        breakdowns[column] = table
        out.append(_("{column}: {kept} of {groups} groups have {min_reviews}+ reviews ({small} reviews in smaller groups left out); the {n} lowest:", column=column, kept=table.attrs["groups_kept"], groups=table.attrs["groups"],
                     min_reviews=min_reviews, small=_f(table.attrs["reviews_in_small_groups"], ","), n=len(table)))
        out.append(score_by(table, column))
    return breakdowns, out


def terms_section(fb: pd.DataFrame, has: dict, *, top: int, min_count: int) -> tuple:
    """The comments' languages, their most frequent and most distinctive words and phrases of low against high
    scores; the note that there is no comment text. Returns ``(distinctive terms or None, shown)``."""
    from helpers.models import voice
    from helpers.plots.base import Displayed

    if not has.get("text"):
        return None, [_("The feedback has no comments (title or text): the word analysis is skipped.")]
    out = [_("Comments by language: {langs}", langs=", ".join(f"{k}: {_f(v, ',')}" for k, v in fb.loc[fb["has_text"], "language"]
                                                      .fillna(_("unknown")).value_counts().items()))]
    low_terms, high_terms = voice.top_terms(fb, "low", top=top), voice.top_terms(fb, "high", top=top)
    terms = voice.distinctive_terms(fb, min_count=min_count, top=top)
    out += [top_terms(low_terms, high_terms), Displayed(distinctive_terms(terms) if len(terms) else _("No term is frequent enough to compare."))]
    return terms, out


def customer_summary(customers: pd.DataFrame):
    """Count, mean, median and maximum of each per-customer voice column (rounded to 3 decimals); in another
    language than English, a table with the statistics' names translated."""
    from helpers import i18n

    desc = customers.describe().loc[["count", "mean", "50%", "max"]].round(3)
    return desc if i18n.language() == "en" else i18n.table(desc.rename(index={"count": _("count"), "mean": _("mean"),
                                                                             "50%": _("median"), "max": _("max")}), precision=3)


def came_back_section(back: pd.DataFrame | None, days: int, *, has_lines: bool) -> list:
    """Who came back within ``days`` after a complaint or a good review: a sentence per group, the difference,
    and the chart; without it, why (no sales lines, or no customer ids in the feedback)."""
    if back is None:
        return [_("This data has no sales lines: whether complainers came back cannot be measured.") if not has_lines else _("The feedback has no customer_id: it cannot be joined to the customers' orders.")]
    f = _f
    d, left = back.attrs["diff"], back.attrs["too_recent"]
    out = [_("{group}: {back} of n = {n} customers ordered again within {days} days ({share}, 95 % CI {low} .. {high})", group=label(row.group, "nb09_group_"), back=f(row.came_back, ","),
             n=f(row.customers, ","), days=days, share=f(row.share, ".1%"), low=f(row.ci_low, ".1%"),
             high=f(row.ci_high, ".1%")) for row in back.itertuples()]
    out.append(_("Difference (complained - good review): {diff} points (95 % CI {low} .. {high}); left out as too recent: {complained} complainers, {good} good reviewers.", diff=f(100 * d["diff"], "+.1f"), low=f(100 * d["low"], "+.1f"),
                 high=f(100 * d["high"], "+.1f"), complained=f(left["complained"], ","), good=f(left["good review"], ",")))
    out.append(came_back(back))
    return out


def hazard_section(hazard, error, *, level: float, time_unit: str) -> list:
    """The complaint effect on dropout: its sentence and the parameter table; or why there is none (no sales
    lines with customer ids: ``hazard`` and ``error`` None; or the data could not give it: ``error``)."""
    from helpers import i18n

    if hazard is None:
        return [_("The complaint effect on dropout needs the sales lines and customer ids in the feedback: skipped.") if error is None else _("Not estimated: {err}", err=hazard_error_text(error))]
    return [hazard_sentence(hazard),
            i18n.columns(hazard.params, "nb09_params_col_").style.format(lambda v: _f(v, ".3f")).set_caption(
                _("Complaint BG/NBD, maximum likelihood (rates per {unit}); interval {level}, se of the log parameter", unit=time_unit, level=_f(level, ".0%")))]


def truth_section(truth: dict | None, hazard, *, n_se: float) -> tuple:
    """On synthetic data, the planted complaint effect beside the estimated one: the planted factor, the true
    dropout of complainers and others, the check (with an estimate) and the effect chart; else the note why.
    Returns ``(check or None, shown)``."""
    from helpers import i18n
    from helpers.analyses import validation
    from helpers.plots.validation import checks_styler

    planted, check, out = None, None, []
    if truth is None:
        out.append(_("Real data: the true complaint effect is unknown, so there is no known-truth check."))
    elif "feedback" not in truth:
        out.append(_("This synthetic data was generated without feedback truth: no known-truth check."))
    else:
        f = _f
        planted = float(truth["feedback"]["complaint_hazard_factor"])
        tc = truth["customers"]
        out.append(_("Planted: k = {k} ({effect}).", k=f(planted, "g"),
                     effect=truth["feedback"]["effect"] if i18n.language() == "en" else _("after a complaint, every later dropout decision of the customer uses p' = 1 - (1 - p)**k instead of p: the dropout hazard per repeat purchase is multiplied by k")))
        if "complained" in tc:
            out.append(_("True dropout share by the end of the window: {a} of the {n} complainers, {b} of the others (not k: complainers are the customers who bought and reviewed more often).", a=f(tc.loc[tc["complained"], "dropout_ts"].notna().mean(), ".1%"),
                         n=f(int(tc["complained"].sum()), ","), b=f(tc.loc[~tc["complained"], "dropout_ts"].notna().mean(), ".1%")))
        if hazard is not None:
            check = validation.complaint_effect_check(hazard, planted, n_se=n_se)
            out.append(checks_styler(validation.checks_table([check]), _("The complaint effect against the planted truth")))
    if hazard is not None:
        out.append(complaint_effect(hazard, planted))
    return check, out


def gain_section(gain, error) -> list:
    """What complaints add to the churn model: its sentence, the churn rate of complainers and others (captioned
    with the cut-off and horizon) and the AUC gain chart; or why there is none (no sales lines with customer ids:
    ``gain`` and ``error`` None; or the data could not give it: ``error``)."""
    from helpers import i18n

    if gain is None:
        return [_("Complaints as a churn feature need the sales lines and customer ids in the feedback: skipped.") if error is None else _("Not compared: {err}", err=error)]
    f = _f
    rates = gain.rates.assign(group=gain.rates["group"].map(lambda g: i18n.label(g, "nb09_rates_")))
    rates.columns = [i18n.label(c, "nb09_rates_col_") for c in rates.columns]
    return [gain_sentence(gain),
            rates.style.format({pgettext("nb09", "customers"): lambda v: f(v, ","),
                                _("churn_rate"): lambda v: f(v, ".1%")}).hide(axis="index")
            .set_caption(_("Churn rate at the test cut-off {cutoff} (no purchase in {days} days)", cutoff=gain.test_cutoff, days=gain.horizon_days)),
            churn_gain(gain)]
