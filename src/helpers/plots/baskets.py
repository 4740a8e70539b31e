"""Figures and tables of the cross-sell / up-sell notebook (06): rules, offers, tiers, basket values."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers import i18n
from helpers.i18n import _, fmt_number, pgettext
from helpers.plots.base import TEMPLATE, fmt_money, plain
from helpers.plots.tables import MOST

_TIER_COLOURS = ["#9ecae1", "#4292c6", "#08519c", "#08306b", "#041c40"]
_METHOD_COLOURS = {"rules": "#1f77b4", "popularity": "#bbbbbb"}


def _short(s: str, n: int = 34) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


def rules_table(rules: pd.DataFrame, *, top: int = 15, caption: str | None = None):
    """Styled table of labelled rules (:func:`helpers.models.baskets.label_rules`): names,
    support and confidence in %, lift, leverage, conviction, baskets."""
    cols = ["if_bought", "then_offer", "support", "confidence", "lift", "leverage", "conviction", "count"]
    tb = rules[[c for c in cols if c in rules.columns]].head(top).rename(columns={"count": "baskets"})
    fmt = {"support": "{:.2%}", "confidence": "{:.1%}", "lift": "{:.2f}", "leverage": "{:.4f}",
           "conviction": lambda v: "∞" if np.isinf(v) else f"{v:.2f}", "baskets": "{:,}"}
    shown = i18n.headers(tb)
    return (i18n.style(shown, {i18n.label(c): f for c, f in fmt.items() if c in tb.columns})
            .set_properties(subset=[i18n.label(c) for c in ("if_bought", "then_offer") if c in tb.columns],
                            **{"text-align": "left"})
            .hide(axis="index").set_caption(caption or _("Top {n} rules", n=len(tb))))


def with_reasons(offers: pd.DataFrame) -> pd.DataFrame:
    """The offers with each reason (a :class:`~helpers.phrase.Phrase`) written in the report's language: what
    the page shows, the export holds and the customer action table quotes (a copy)."""
    return offers.assign(reason=pd.array(i18n.say_each(offers["reason"]), dtype="string"))


def best_offers_table(offers: pd.DataFrame, currency: str, *, most: int = MOST):
    """Each customer's first offer, by expected margin (else score), at most ``most`` customers: the page's
    searchable list (:mod:`helpers.plots.tables`); the export holds every offer."""
    first = offers[offers["rank"] == 1]
    order = "expected_value" if "expected_value" in first else "score"
    best = first.sort_values([order, "customer_id"], ascending=[False, True]).head(most)
    caption = (_("Each customer's first offer, highest expected margin first ({n} customers)", n=fmt_number(len(best)))
               if len(best) == len(first) else
               _("The {n} customers whose first offer has the highest expected margin (of {all}; every offer is in the export)",
                 n=fmt_number(len(best)), all=fmt_number(len(first))))
    return offers_table(best, currency, caption=caption)


def offers_table(offers: pd.DataFrame, currency: str, *, caption: str):
    """Styled table of offers (:func:`helpers.models.baskets.expected_value` output): score in %,
    expected margin in currency, the reason left-aligned; names and reasons written as text."""
    cols = [c for c in ("customer_id", "rank", "name", "score", "expected_value", "ev_rank", "reason") if c in offers]
    fmt = {i18n.label(c): f for c, f in {"score": "{:.1%}", "expected_value": "{:.2f} " + currency}.items() if c in cols}
    return (i18n.style(i18n.headers(offers[cols]), fmt)
            .set_properties(subset=[i18n.label(c) for c in ("name", "reason") if c in cols], **{"text-align": "left"})
            .hide(axis="index").set_caption(caption))


def support_confidence_scatter(rules: pd.DataFrame, *, title: str | None = None, max_points: int = 2000) -> go.Figure:
    """Each rule a dot: support (x, % of baskets) against confidence (y, %), coloured by lift."""
    r = rules.head(max_points)
    hover = [f"{plain(str(a))}<br>→ {plain(str(c))}"
             for a, c in zip(r.get("if_bought", r.index.astype(str)), r.get("then_offer", [""] * len(r)))]
    fig = go.Figure(go.Scatter(
        x=r["support"] * 100, y=r["confidence"] * 100, mode="markers", text=hover,
        hovertemplate=_("%{text}<br>support %{x:.2f} %<br>confidence %{y:.1f} %<br>lift %{marker.color:.2f}<extra></extra>"),
        marker={"color": r["lift"], "colorscale": "Viridis", "size": 9, "opacity": 0.8,
                "colorbar": {"title": {"text": "lift"}}, "line": {"width": 0.5, "color": "#333"}}))
    fig.update_layout(title=title or _("{n} rules: support against confidence, coloured by lift", n=i18n.fmt_number(len(r))),
                      xaxis_title=_("support (% of baskets holding both sides)"),
                      yaxis_title=_("confidence (% of antecedent baskets)"), template=TEMPLATE, height=460)
    return fig


def pair_heatmap(matrix: pd.DataFrame, names: dict | None = None, *, title: str, value: str = "lift") -> go.Figure:
    """Heatmap of an item x item matrix (:func:`helpers.models.baskets.cooccurrence_matrix`), names on the axes."""
    names = names or {}
    lab = [plain(_short(names.get(str(i), str(i)), 30)) for i in matrix.index]
    labc = [plain(_short(names.get(str(i), str(i)), 30)) for i in matrix.columns]
    z = matrix.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(z=z, x=labc, y=lab, colorscale="Blues", colorbar={"title": {"text": value}},
                               hovertemplate=_("if bought %{y}<br>then %{x}") + "<br>" + value + " %{z:.2f}<extra></extra>",
                               hoverongaps=False))
    n = len(lab)
    fig.update_layout(title=title, template=TEMPLATE, height=max(420, 24 * n + 220),
                      xaxis_title=_("then offer (consequent)"), yaxis_title=_("if bought (antecedent)"),
                      yaxis={"autorange": "reversed"}, xaxis={"tickangle": -45})
    return fig


def evaluation_bars(evaluation: pd.DataFrame) -> go.Figure:
    """Hit rate, precision@k and recall@k (%) of rules and popularity, one panel per protocol."""
    protocols = list(dict.fromkeys(evaluation["protocol"]))
    k = int(evaluation["k"].iloc[0]) if len(evaluation) else 0
    fig = make_subplots(rows=1, cols=max(1, len(protocols)), shared_yaxes=True,
                        subplot_titles=[i18n.label(p, "protocol_") for p in protocols])
    metrics = {"hit_rate": _("hit rate"), "precision_at_k": f"precision@{k}", "recall_at_k": f"recall@{k}"}
    for j, p in enumerate(protocols, start=1):
        e = evaluation[evaluation["protocol"] == p]
        for _unused, row in e.iterrows():
            fig.add_bar(x=list(metrics.values()), y=[row[m] * 100 for m in metrics], name=i18n.label(row["method"], "method_"),
                        marker_color=_METHOD_COLOURS.get(row["method"], "#ff7f0e"), showlegend=j == 1,
                        text=[i18n.fmt_percent(row[m]) for m in metrics], textposition="outside",
                        legendgroup=row["method"], row=1, col=j)
        fig.update_xaxes(title_text=_("metric ({n} customers)", n=i18n.fmt_number(int(e["customers"].iloc[0]))), row=1, col=j)
    fig.update_yaxes(title_text=_("% (higher is better)"), row=1, col=1)
    fig.update_layout(title=_("Offline evaluation of the top-{k} offers: rules against popularity", k=k),
                      barmode="group", template=TEMPLATE, height=440, legend={"orientation": "h", "y": -0.2})
    return fig


def price_ladder_box(ladder: pd.DataFrame, currency: str) -> go.Figure:
    """Unit prices per category, one box per tier (log scale), so the ladder's steps are visible."""
    fig = go.Figure()
    tiers = ladder[["tier", "tier_name"]].drop_duplicates().sort_values("tier")
    for _unused, tr in tiers.iterrows():
        d = ladder[ladder["tier"] == tr["tier"]]
        fig.add_box(x=plain(d["category"]), y=d["price"], name=i18n.label(tr["tier_name"], "tier_"), boxpoints="all", jitter=0.3,
                    pointpos=0, marker={"size": 3}, marker_color=_TIER_COLOURS[int(tr["tier"]) % 5],
                    text=plain(d["name"]), hovertemplate="%{text}<br>%{y:.2f} " + currency + "<extra></extra>")
    fig.update_layout(title=_("Price ladder: unit price of each product by category and tier"),
                      boxmode="group", template=TEMPLATE, height=480, xaxis_title=_("category"),
                      yaxis_title=_("unit price ({cur}, log scale)", cur=currency), legend={"title": {"text": _("tier")}})
    fig.update_yaxes(type="log")
    return fig


def tier_mix_bars(mix: pd.DataFrame, tier_names) -> go.Figure:
    """Stacked bars: the share of each category's customer spend at each tier (%)."""
    m = mix.sort_values("spend")
    fig = go.Figure()
    for i, name in enumerate(tier_names):
        col = f"share_t{i}"
        if col in m:
            fig.add_bar(y=plain(m["category"]), x=m[col] * 100, name=i18n.label(name, "tier_"), orientation="h",
                        marker_color=_TIER_COLOURS[i % 5], text=[i18n.fmt_percent(v, 0) for v in m[col]],
                        textposition="inside")
    fig.update_layout(title=_("Tier mix: share of customer spend in each category by price tier"), barmode="stack",
                      template=TEMPLATE, height=max(320, 30 * len(m) + 160), xaxis_title=_("share of spend (%)"),
                      yaxis_title=_("category"), legend={"orientation": "h", "y": -0.2, "title": {"text": _("tier")}})
    return fig


def tier_up_bars(by_category: pd.DataFrame, currency: str, *, min_orders: int) -> go.Figure:
    """Bars: revenue gain (currency) if lowest-tier-only customers moved one tier up, per category."""
    tb = by_category.sort_values("gain_one_up")
    fig = go.Figure(go.Bar(y=plain(tb["category"]), x=tb["gain_one_up"], orientation="h", marker_color="#2ca02c",
                           text=[f"{fmt_money(g, currency)} · {i18n.fmt_number(c)} {pgettext('word', 'customers')}"
                                 for g, c in zip(tb["gain_one_up"], tb["customers"])],
                           textposition="auto"))
    fig.update_layout(title=_("Tier-up potential: extra revenue if customers who only buy the lowest tier (in {n}+ orders) bought one tier up", n=min_orders),
                      template=TEMPLATE, height=max(320, 30 * len(tb) + 160),
                      xaxis_title=_("extra revenue over the analysis window ({cur})", cur=currency), yaxis_title=_("category"))
    return fig


def basket_value_histogram(values: pd.Series, table: pd.DataFrame, currency: str, *, reach: float) -> go.Figure:
    """Histogram of basket values (clipped at the 99th percentile) with the recommended threshold and its reach band."""
    v = pd.Series(values, dtype=float)
    cap = float(v.quantile(0.99)) if len(v) else 0.0
    fig = go.Figure(go.Histogram(x=v.clip(upper=cap), nbinsx=80, marker_color="#1f77b4", name=_("baskets")))
    rec = table[table["recommended"]] if len(table) else table
    if len(rec):
        T = float(rec["threshold"].iloc[0])
        fig.add_vrect(x0=T * (1 - reach), x1=T, fillcolor="#ff7f0e", opacity=0.25, line_width=0)
        fig.add_vline(x=T, line_color="#d62728", line_dash="dash")
        fig.add_annotation(x=T, y=1, yref="paper", xanchor="left", yanchor="top", showarrow=False,
                           bgcolor="rgba(255,255,255,0.85)", align="left",
                           text=_("threshold {value}<br>{n} baskets ({share}) in reach (shaded)", value=fmt_money(T, currency),
                                  n=i18n.fmt_number(int(rec["in_reach"].iloc[0])),
                                  share=i18n.fmt_percent(float(rec["share_in_reach"].iloc[0]))))
    fig.update_layout(title=_("Basket values, with the threshold that brings most baskets within {reach} of it", reach=i18n.fmt_percent(reach, 0)),
                      template=TEMPLATE, height=420, xaxis_title=_("basket value ({cur}; top 1 % clipped)", cur=currency),
                      yaxis_title=_("baskets (count)"), showlegend=False, bargap=0.05)
    return fig


def offers_ev_scatter(offers: pd.DataFrame, currency: str, max_points: int = 3000) -> go.Figure:
    """Each offer a dot: its probability score (x) against its expected margin (y), by source."""
    fig = go.Figure()
    for src, colour in (("rule", "#1f77b4"), ("popularity", "#aaaaaa")):
        d = offers[offers["source"] == src].head(max_points)
        if len(d):
            fig.add_scatter(x=d["score"] * 100, y=d["expected_value"], mode="markers", name=i18n.label(src, "method_"),
                            marker={"color": colour, "size": 6, "opacity": 0.6}, text=plain(d["name"]),
                            hovertemplate=_("%{text}<br>score %{x:.1f} %<br>") + " %{y:.2f} " + currency + "<extra></extra>")
    fig.update_layout(title=_("Offers: probability against expected margin (a high score is not always the best offer)"),
                      template=TEMPLATE, height=420, xaxis_title=_("offer score (probability-like, %)"),
                      yaxis_title=_("expected margin per offer ({cur})", cur=currency), legend={"title": {"text": _("source")}})
    return fig


def basket_summary_table(summary: pd.DataFrame):
    """:func:`helpers.models.baskets.basket_summary` with its labels and numbers in the report language, captioned."""
    return i18n.style(pd.DataFrame({i18n.column("value"): [i18n.localize_numbers(v) for v in summary["value"]]},
                                   index=[i18n.label(i, "bs_") for i in summary.index])).set_caption(_("Baskets at a glance"))


def category_pairs(category_items, *, min_count: int, top: int) -> list:
    """Which categories are bought together: the ``top`` category pair rules by lift (one direction per pair,
    captioned) and the co-occurrence heatmap of the 20 most frequent categories. ``category_items``: basket
    lines with the category as the item (:func:`helpers.models.baskets.basket_items` with ``item="category"``)."""
    from helpers.models import baskets as bk

    pairs = bk.pair_rules(category_items, min_count=min_count)
    table = rules_table(bk.label_rules(bk.filter_rules(pairs, sort_by="lift", top=top, one_direction=True), None),
                        caption=_("Category pairs with the highest lift"))
    return [table, pair_heatmap(bk.cooccurrence_matrix(pairs, top=20), None, title=_("Lift between categories (1 = they meet in baskets as often as chance)"))]


def evaluation_sample_note(evaluation: pd.DataFrame) -> str | None:
    """What the offer evaluation says when it scored a seeded sample of the customers with a held-out basket
    (:data:`helpers.models.baskets.MAX_EVALUATED`), None when it scored them all."""
    scored, total = len(evaluation.attrs["split"].customers), evaluation.attrs["evaluable"]
    if total <= scored:
        return None
    return _("Offers made and scored for a seeded random sample of {n} of the {total} customers with a held-out basket (scoring everyone would dominate the run on large data; the hit rate's standard error says how precise the sample is).", n=fmt_number(scored), total=fmt_number(total))
