"""Figures and sentences of the customer-voice notebook (09): scores over time and by group, delivery
delay, words of low and high scores, complaints and coming back.

Each recipe takes the small table a :mod:`helpers.models.voice` function returns and gives back a
plotly figure with a title and labelled axes (units in brackets); labels come from
:func:`helpers.i18n.t` in the report language. :func:`delay_sentence`, :func:`hazard_sentence`,
:func:`gain_sentence` and :func:`hazard_error_text` say the models' results in that language.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers.analyses.validation import hazard_error_text  # noqa: F401 (notebook 09 reads it here)
from helpers.i18n import fmt_spec as _f, label, t
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
    fig.update_layout(title=t("voice_title_distribution"), template=TEMPLATE, height=380,
                      xaxis_title=t("voice_axis_score"), yaxis_title=t("voice_axis_reviews"))
    return fig


def score_over_time(table: pd.DataFrame, period: str = "month") -> go.Figure:
    """Share of each score per period (stacked bars) and the mean score (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = table["period"]
    for k in range(1, 6):
        fig.add_bar(x=x, y=table[f"share_{k}"] * 100, name=t("voice_score_k", k=k), marker_color=SCORE_COLOURS[k],
                    customdata=table[f"n_{k}"], hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} % (%{customdata:,})<extra></extra>")
    fig.add_scatter(x=x, y=table["mean_score"], name=t("voice_mean_score"), mode="lines+markers",
                    line={"color": "black", "width": 2}, secondary_y=True,
                    customdata=table["reviews"], hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (n = %{customdata:,})<extra></extra>")
    fig.update_layout(title=t("voice_title_over_time", period=period), barmode="stack", template=TEMPLATE,
                      height=440, legend=_LEGEND, xaxis_title=t("voice_axis_period", period=period))
    fig.update_yaxes(title_text=t("voice_axis_share_reviews"), range=[0, 100], secondary_y=False)
    fig.update_yaxes(title_text=t("voice_axis_mean_score"), range=[1, 5], secondary_y=True, showgrid=False)
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
                      annotation_text=t("voice_all_reviews_mean", mean=f"{overall:.2f}"))
    label = plain(label or column)
    fig.update_layout(title=t("voice_title_by", column=label), template=TEMPLATE,
                      height=max(320, 26 * len(d) + 140), xaxis_title=t("voice_axis_mean_score"),
                      yaxis_title=label, xaxis={"range": [1, 5]})
    return fig


def late_vs_on_time(effect) -> go.Figure:
    """Two panels: mean score and share of 1-2 star reviews, late against on time, with intervals."""
    from helpers.models.voice import wilson_interval

    tb = effect.table
    names = [t("voice_late") if g == "late" else t("voice_on_time") for g in tb["group"]]
    colours = [LOW if g == "late" else HIGH for g in tb["group"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("voice_mean_score"), t("voice_low_share")))
    fig.add_bar(x=names, y=tb["mean_score"], marker_color=colours, showlegend=False,
                text=[f"{m:.2f}<br>n={n:,}" for m, n in zip(tb["mean_score"], tb["reviews"])], row=1, col=1)
    ci = [wilson_interval(int(k), int(n), effect.level) for k, n in zip(tb["low"], tb["reviews"])]
    fig.add_bar(x=names, y=tb["low_share"] * 100, marker_color=colours, showlegend=False,
                error_y={"type": "data", "symmetric": False,
                         "array": [100 * (c[1] - s) for c, s in zip(ci, tb["low_share"])],
                         "arrayminus": [100 * (s - c[0]) for c, s in zip(ci, tb["low_share"])]},
                text=[f"{s:.1%}" for s in tb["low_share"]], row=1, col=2)
    fig.update_yaxes(title_text=t("voice_axis_mean_score"), range=[1, 5], row=1, col=1)
    fig.update_yaxes(title_text=t("voice_axis_low_share"), row=1, col=2)
    fig.update_xaxes(title_text=t("voice_axis_delivery"), row=1, col=1)
    fig.update_xaxes(title_text=t("voice_axis_delivery"), row=1, col=2)
    fig.update_layout(title=t("voice_title_late"), template=TEMPLATE, height=400)
    return fig


def by_delay(table: pd.DataFrame) -> go.Figure:
    """Mean score (bars) and share of 1-2 star reviews (line, right axis) per delivery-delay band."""
    d = table[table["reviews"] > 0]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colours = [LOW if "late" in str(b) else HIGH for b in d["delay"]]
    fig.add_bar(x=d["delay"], y=d["mean_score"], name=t("voice_mean_score"), marker_color=colours,
                text=[f"n={n:,}" for n in d["reviews"]], textposition="inside")
    fig.add_scatter(x=d["delay"], y=d["low_share"] * 100, name=t("voice_low_share"), mode="lines+markers",
                    line={"color": "black"}, secondary_y=True)
    fig.update_layout(title=t("voice_title_by_delay"), template=TEMPLATE, height=420, legend=_LEGEND,
                      xaxis_title=t("voice_axis_delay_band"))
    fig.update_yaxes(title_text=t("voice_axis_mean_score"), range=[1, 5], secondary_y=False)
    fig.update_yaxes(title_text=t("voice_axis_low_share"), range=[0, 100], secondary_y=True, showgrid=False)
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
    fig.update_layout(title=t("voice_title_terms", low=table.attrs.get("low_texts", 0),
                              high=table.attrs.get("high_texts", 0)),
                      template=TEMPLATE, height=max(360, 22 * len(d) + 140),
                      xaxis_title=t("voice_axis_log_odds"), yaxis_title=t("voice_axis_term"))
    return fig


def top_terms(low: pd.DataFrame, high: pd.DataFrame) -> go.Figure:
    """Side by side: the most mentioned terms of low-score and of high-score comments (% of texts)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("voice_low_texts", n=low.attrs.get("texts", 0)),
                                                        t("voice_high_texts", n=high.attrs.get("texts", 0))),
                        horizontal_spacing=0.2)
    for col, d, colour in ((1, low, LOW), (2, high, HIGH)):
        d = d.iloc[::-1]
        fig.add_bar(y=plain(d["term"]), x=d["share"] * 100, orientation="h", marker_color=colour, showlegend=False,
                    text=[f"{n:,}" for n in d["reviews"]], textposition="auto", row=1, col=col)
        fig.update_xaxes(title_text=t("voice_axis_share_texts"), row=1, col=col)
    fig.update_yaxes(title_text=t("voice_axis_term"), row=1, col=1)
    fig.update_layout(title=t("voice_title_top_terms"), template=TEMPLATE,
                      height=max(380, 22 * max(len(low), len(high)) + 160))
    return fig


def came_back(table: pd.DataFrame) -> go.Figure:
    """Share of customers who bought again within the window after a complaint or a good review."""
    names = [t("voice_complained") if g == "complained" else t("voice_good_review") for g in table["group"]]
    fig = go.Figure(go.Bar(
        x=names, y=table["share"] * 100, marker_color=[LOW if g == "complained" else HIGH for g in table["group"]],
        error_y={"type": "data", "symmetric": False, "array": (table["ci_high"] - table["share"]) * 100,
                 "arrayminus": (table["share"] - table["ci_low"]) * 100},
        text=[f"{k:,} / {n:,}" for k, n in zip(table["came_back"], table["customers"])], textposition="inside"))
    fig.update_layout(title=t("voice_title_came_back", days=table.attrs.get("window_days", "")), template=TEMPLATE,
                      height=400, xaxis_title=t("voice_axis_group"), yaxis_title=t("voice_axis_came_back"))
    return fig


def complaint_effect(fit, truth: float | None = None) -> go.Figure:
    """Two panels: mean dropout probability before and after a complaint, and the hazard factor k
    with its interval (the planted k as a diamond when known, 1 = no effect as a dashed line)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45],
                        subplot_titles=(t("voice_axis_dropout_p"), t("voice_hazard_k")))
    fig.add_bar(x=[t("voice_before_complaint"), t("voice_after_complaint")], y=[fit.mean_p, fit.mean_p_after],
                marker_color=[NEUTRAL, LOW], text=[f"{fit.mean_p:.3f}", f"{fit.mean_p_after:.3f}"],
                textposition="auto", showlegend=False, row=1, col=1)
    fig.add_scatter(x=[t("voice_estimate")], y=[fit.k], mode="markers", marker={"size": 12, "color": LOW},
                    error_y={"type": "data", "symmetric": False, "array": [fit.k_high - fit.k],
                             "arrayminus": [fit.k - fit.k_low]}, name=t("voice_estimate"), row=1, col=2)
    if truth is not None:
        fig.add_scatter(x=[t("voice_estimate")], y=[truth], mode="markers", name=t("voice_effect_truth", truth=f"{truth:g}"),
                        marker={"size": 14, "symbol": "diamond-open", "color": "black"}, row=1, col=2)
    fig.add_hline(y=1, line_dash="dash", line_color="grey", row=1, col=2)
    sub = t("voice_effect_factor", factor=f"{fit.k:.2f}", low=f"{fit.k_low:.2f}", high=f"{fit.k_high:.2f}",
            level=f"{fit.level:.0%}")
    fig.update_yaxes(title_text=t("voice_axis_dropout_p"), rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=t("voice_hazard_k"), rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=t("voice_axis_group"), row=1, col=1)
    fig.update_xaxes(title_text=t("voice_hazard_k"), row=1, col=2)
    fig.update_layout(title=f"{t('voice_title_effect')}<br><sup>{sub} · n = {fit.n_customers:,}, "
                            f"{fit.n_complained:,} {t('voice_complained')}</sup>",
                      template=TEMPLATE, height=440, legend=_LEGEND)
    return fig


def churn_gain(gain) -> go.Figure:
    """Two panels: each churn model's test ROC-AUC without and with the complaint features, and the
    difference with its paired-bootstrap interval (0 = no gain, dashed)."""
    names = {v: label(v, "score_") for v in gain.metrics["model"].unique()}
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=(t("voice_axis_auc"), t("voice_axis_auc_gain")))
    for features, key, colour in (("without", "voice_without_complaints", NEUTRAL),
                                  ("with complaints", "voice_with_complaints", LOW)):
        m = gain.metrics[gain.metrics["features"] == features]
        fig.add_bar(x=[names[v] for v in m["model"]], y=m["roc_auc"], name=t(key), marker_color=colour,
                    text=[f"{v:.3f}" for v in m["roc_auc"]], textposition="auto", row=1, col=1)
    g = gain.gain
    fig.add_scatter(x=[names[v] for v in g["model"]], y=g["diff"], mode="markers", marker={"size": 12, "color": LOW},
                    error_y={"type": "data", "symmetric": False, "array": g["high"] - g["diff"],
                             "arrayminus": g["diff"] - g["low"]}, showlegend=False, row=1, col=2)
    fig.add_hline(y=0, line_dash="dash", line_color="grey", row=1, col=2)
    lo = float(gain.metrics["roc_auc"].min())
    fig.update_yaxes(title_text=t("voice_axis_auc"), range=[max(0.0, min(0.5, lo - 0.05)), 1.0], row=1, col=1)
    fig.update_yaxes(title_text=t("voice_axis_auc_gain"), row=1, col=2)
    fig.update_xaxes(title_text=t("voice_axis_model"), row=1, col=1)
    fig.update_xaxes(title_text=t("voice_axis_model"), row=1, col=2)
    fig.update_layout(title=t("voice_title_churn_gain", cutoff=gain.test_cutoff), template=TEMPLATE, height=420,
                      barmode="group", legend=_LEGEND)
    return fig


def delay_sentence(effect) -> str:
    """Late against on-time orders (a :class:`helpers.models.voice.DelayEffect`) in one sentence:
    mean scores, the gap with its interval, and the shares of 1-2 star reviews."""
    g = effect.table.set_index("group")
    m, s = effect.mean_gap, effect.low_share_gap
    return t("voice_sent_delay", n_late=_f(int(g.loc["late", "reviews"]), ","),
             late=_f(g.loc["late", "mean_score"], ".2f"), on_time=_f(g.loc["on time", "mean_score"], ".2f"),
             n_on_time=_f(int(g.loc["on time", "reviews"]), ","), gap=_f(m["diff"], "+.2f"),
             level=_f(effect.level, ".0%"), low=_f(m["low"], "+.2f"), high=_f(m["high"], "+.2f"),
             low_late=_f(g.loc["late", "low_share"], ".1%"), low_on_time=_f(g.loc["on time", "low_share"], ".1%"),
             share_gap=_f(100 * s["diff"], "+.1f"), share_low=_f(100 * s["low"], "+.1f"),
             share_high=_f(100 * s["high"], "+.1f"))


def gain_sentence(gain) -> str:
    """What complaints add to the churn models (a :class:`helpers.models.voice.ChurnGain`): per model the
    test ROC-AUC without and with them and the difference's interval; a warning when a class is small."""
    parts = [t("voice_sent_gain_part", model=label(r.model, "score_"), before=_f(r.auc_b, ".3f"),
               after=_f(r.auc_a, ".3f"), diff=_f(r.diff, "+.3f"), level=_f(gain.level, ".0%"), low=_f(r.low, "+.3f"),
               high=_f(r.high, "+.3f")) for r in gain.gain.itertuples()]
    out = t("voice_sent_gain", cutoff=gain.test_cutoff, days=gain.horizon_days, n=_f(gain.n_test, ","),
            retained=_f(gain.n_retained, ","), parts="; ".join(parts))
    smaller = min(gain.n_retained, gain.n_test - gain.n_retained)
    if smaller < 100:
        out += t("voice_sent_gain_small", n=_f(smaller, ","))
    return out


def hazard_sentence(fit) -> str:
    """The complaint hazard factor k (a :class:`helpers.models.voice.HazardFit`) with its interval, the
    likelihood-ratio p-value and the mean dropout probability before and after a complaint."""
    return t("voice_sent_hazard", k=_f(fit.k, ".2f"), level=_f(fit.level, ".0%"), low=_f(fit.k_low, ".2f"),
             high=_f(fit.k_high, ".2f"), p=_f(fit.lr_p_value, ".3g"), p0=_f(fit.mean_p, ".3f"),
             p1=_f(fit.mean_p_after, ".3f"), n=_f(fit.n_customers, ","), nc=_f(fit.n_complained, ","),
             nr=_f(fit.n_repeat_after, ","))


# ----------------------------------------------------------------------------- notebook 09's sections
def config_notes(name: str, fb: pd.DataFrame, h: dict, has: dict, has_lines: bool) -> list[str]:
    """The feedback table in one line (reviews, dates, customers, share with text, sales lines or not) and the
    optional columns it lacks."""
    f = _f
    absent = [c for c in ("delay", "seller_id", "region", "product_category", "text", "customer_id") if not has.get(c)]
    return [t("nb09_config", name=name, n=f(h["reviews"], ","), start=f"{fb['feedback_ts'].min():%Y-%m-%d}",
              end=f"{fb['feedback_ts'].max():%Y-%m-%d}", customers=f(h["customers"], ","), text=f(h["text_share"], ".0%"),
              lines=t("nb09_yes") if has_lines else t("nb09_no")),
            t("nb09_absent", cols=", ".join(absent) if absent else t("nb09_none"))]


def breakdown_section(fb: pd.DataFrame, has: dict, *, min_reviews: int, top: int) -> tuple[dict, list]:
    """The mean score per category, seller, region ... (:data:`helpers.models.voice.BREAKDOWNS`): for each, the
    groups kept and a chart, or why there is none (column absent or single-valued, a category that only names
    the kind of feedback, no group with ``min_reviews``). Returns ``(tables by column, shown)``."""
    from helpers.models import voice

    breakdowns, out = {}, []
    for column in voice.BREAKDOWNS:
        if not has.get(column) or fb[column].nunique() < 2:
            out.append(t("nb09_no_column", column=column))
            continue
        if column == "category" and fb[column].astype(str).str.lower().isin(voice.KIND_LABELS).all():
            out.append(t("nb09_category_kind"))
            continue
        table = voice.score_by(fb, column, min_reviews=min_reviews, top=top)
        if table.empty:
            out.append(t("nb09_no_group", column=column, min_reviews=min_reviews))
            continue
        breakdowns[column] = table
        out.append(t("nb09_breakdown", column=column, kept=table.attrs["groups_kept"], groups=table.attrs["groups"],
                     min_reviews=min_reviews, small=_f(table.attrs["reviews_in_small_groups"], ","), n=len(table)))
        out.append(score_by(table, column))
    return breakdowns, out


def terms_section(fb: pd.DataFrame, has: dict, *, top: int, min_count: int) -> tuple:
    """The comments' languages, their most frequent and most distinctive words and phrases of low against high
    scores; the note that there is no comment text. Returns ``(distinctive terms or None, shown)``."""
    from helpers.models import voice
    from helpers.plots.base import Displayed

    if not has.get("text"):
        return None, [t("nb09_no_text")]
    out = [t("nb09_comments_by_language", langs=", ".join(f"{k}: {_f(v, ',')}" for k, v in fb.loc[fb["has_text"], "language"]
                                                      .fillna(t("nb09_unknown")).value_counts().items()))]
    low_terms, high_terms = voice.top_terms(fb, "low", top=top), voice.top_terms(fb, "high", top=top)
    terms = voice.distinctive_terms(fb, min_count=min_count, top=top)
    out += [top_terms(low_terms, high_terms), Displayed(distinctive_terms(terms) if len(terms) else t("nb09_no_terms"))]
    return terms, out


def customer_summary(customers: pd.DataFrame):
    """Count, mean, median and maximum of each per-customer voice column (rounded to 3 decimals); in another
    language than English, a table with the statistics' names translated."""
    from helpers import i18n

    desc = customers.describe().loc[["count", "mean", "50%", "max"]].round(3)
    return desc if i18n.language() == "en" else i18n.table(desc.rename(index={"count": t("stat_count"), "mean": t("stat_mean"),
                                                                             "50%": t("stat_median"), "max": t("stat_max")}), precision=3)


def came_back_section(back: pd.DataFrame | None, days: int, *, has_lines: bool) -> list:
    """Who came back within ``days`` after a complaint or a good review: a sentence per group, the difference,
    and the chart; without it, why (no sales lines, or no customer ids in the feedback)."""
    if back is None:
        return [t("nb09_no_lines_back") if not has_lines else t("nb09_no_customer_id")]
    f = _f
    d, left = back.attrs["diff"], back.attrs["too_recent"]
    out = [t("nb09_came_back", group=label(row.group, "nb09_group_"), back=f(row.came_back, ","),
             n=f(row.customers, ","), days=days, share=f(row.share, ".1%"), low=f(row.ci_low, ".1%"),
             high=f(row.ci_high, ".1%")) for row in back.itertuples()]
    out.append(t("nb09_came_back_diff", diff=f(100 * d["diff"], "+.1f"), low=f(100 * d["low"], "+.1f"),
                 high=f(100 * d["high"], "+.1f"), complained=f(left["complained"], ","), good=f(left["good review"], ",")))
    out.append(came_back(back))
    return out


def hazard_section(hazard, error, *, level: float, time_unit: str) -> list:
    """The complaint effect on dropout: its sentence and the parameter table; or why there is none (no sales
    lines with customer ids: ``hazard`` and ``error`` None; or the data could not give it: ``error``)."""
    from helpers import i18n

    if hazard is None:
        return [t("nb09_no_hazard") if error is None else t("nb09_not_estimated", err=hazard_error_text(error))]
    return [hazard_sentence(hazard),
            i18n.columns(hazard.params, "nb09_params_col_").style.format(lambda v: _f(v, ".3f")).set_caption(
                t("nb09_params_caption", unit=time_unit, level=_f(level, ".0%")))]


def truth_section(truth: dict | None, hazard, *, n_se: float) -> tuple:
    """On synthetic data, the planted complaint effect beside the estimated one: the planted factor, the true
    dropout of complainers and others, the check (with an estimate) and the effect chart; else the note why.
    Returns ``(check or None, shown)``."""
    from helpers import i18n
    from helpers.analyses import validation
    from helpers.plots.validation import checks_styler

    planted, check, out = None, None, []
    if truth is None:
        out.append(t("nb09_real_data"))
    elif "feedback" not in truth:
        out.append(t("nb09_no_truth"))
    else:
        f = _f
        planted = float(truth["feedback"]["complaint_hazard_factor"])
        tc = truth["customers"]
        out.append(t("nb09_planted", k=f(planted, "g"),
                     effect=truth["feedback"]["effect"] if i18n.language() == "en" else t("nb09_planted_effect")))
        if "complained" in tc:
            out.append(t("nb09_true_dropout", a=f(tc.loc[tc["complained"], "dropout_ts"].notna().mean(), ".1%"),
                         n=f(int(tc["complained"].sum()), ","), b=f(tc.loc[~tc["complained"], "dropout_ts"].notna().mean(), ".1%")))
        if hazard is not None:
            check = validation.complaint_effect_check(hazard, planted, n_se=n_se)
            out.append(checks_styler(validation.checks_table([check]), t("nb09_check_caption")))
    if hazard is not None:
        out.append(complaint_effect(hazard, planted))
    return check, out


def gain_section(gain, error) -> list:
    """What complaints add to the churn model: its sentence, the churn rate of complainers and others (captioned
    with the cut-off and horizon) and the AUC gain chart; or why there is none (no sales lines with customer ids:
    ``gain`` and ``error`` None; or the data could not give it: ``error``)."""
    from helpers import i18n

    if gain is None:
        return [t("nb09_no_gain") if error is None else t("nb09_not_compared", err=error)]
    f = _f
    rates = gain.rates.assign(group=gain.rates["group"].map(lambda g: i18n.label(g, "nb09_rates_")))
    rates.columns = [i18n.label(c, "nb09_rates_col_") for c in rates.columns]
    return [gain_sentence(gain),
            rates.style.format({t("nb09_rates_col_customers"): lambda v: f(v, ","),
                                t("nb09_rates_col_churn_rate"): lambda v: f(v, ".1%")}).hide(axis="index")
            .set_caption(t("nb09_rates_caption", cutoff=gain.test_cutoff, days=gain.horizon_days)),
            churn_gain(gain)]
