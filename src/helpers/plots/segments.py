"""Figures of the segmentation notebook (03): RFM scores, the segment map, transitions, clusters."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.i18n import _, pgettext, term
from helpers.models.segments import AUDIENCE_COLUMNS, NEW_CUSTOMER, SEGMENT_KEYS, SEGMENT_ORDER, segment_of
from helpers.plots.base import TEMPLATE, fmt_money
from helpers.plots.tables import MOST


def segment_label(segment) -> str:
    """The display name of a segment in the report language (:mod:`helpers.i18n`); other values as they are."""
    key = SEGMENT_KEYS.get(str(segment))
    return i18n.lookup(key) if key else (i18n.term("seg_not_yet_customer") if str(segment) == NEW_CUSTOMER else str(segment))


def segment_action(segment) -> str:
    """The recommended action of a segment in the report language."""
    key = SEGMENT_KEYS.get(str(segment))
    return i18n.lookup(key + "_action") if key else ""


def segment_description(segment) -> str:
    """What the customers of a segment are (the glossary definition) in the report language."""
    key = SEGMENT_KEYS.get(str(segment))
    return i18n.glossary()[key]["def_" + i18n.language()] if key else ""


def audience_table(scored: pd.DataFrame, *, most: int = MOST):
    """The audiences of every segment in one searchable table (:mod:`helpers.plots.tables`): the columns of
    ``audiences_all.csv``, segment and action in the report language, segments in their standard order and the
    biggest spenders first; at most ``most`` rows (the files hold every customer)."""
    order = {s: i for i, s in enumerate(SEGMENT_ORDER)}
    t = scored.assign(action="", _order=scored["segment"].astype("object").map(order).fillna(len(order)))
    t = t.sort_values(["_order", "monetary"], ascending=[True, False]).head(most)
    t = display_segments(t[[c for c in AUDIENCE_COLUMNS if c in t.columns]].astype({"segment": "object"}))
    caption = (_("Audiences of every segment: {n} customers", n=i18n.fmt_number(len(t))) if len(t) == len(scored) else
               _("Audiences: the first {shown} of {n} customers, by segment and spend (the files hold everyone)",
                 shown=i18n.fmt_number(len(t)), n=i18n.fmt_number(len(scored))))
    return i18n.table(t, {"monetary": "{:,.2f}", "recency_days": "{:,.0f}", "frequency": "{:,.0f}"},
                      na_rep="").hide(axis="index").set_caption(caption)


def display_segments(table: pd.DataFrame, columns=("segment", "rfm_segment", "before", "after")) -> pd.DataFrame:
    """A copy of ``table`` with segment names (in ``columns``, the index and the column labels when they are
    segments) and the ``action`` / ``description`` columns in the report language."""
    out = table.copy()
    for c in columns:
        if c in out.columns:
            seg = out[c]
            if "action" in out.columns and c == "segment":
                out["action"] = seg.map(segment_action)
            if "description" in out.columns and c == "segment":
                out["description"] = seg.map(segment_description)
            out[c] = seg.map(segment_label) if not isinstance(seg.dtype, pd.CategoricalDtype) else \
                seg.cat.rename_categories(lambda v: segment_label(v))
    if any(str(v) in SEGMENT_KEYS or str(v) == NEW_CUSTOMER for v in out.index):
        out.index = [segment_label(v) for v in out.index]
    if any(str(v) in SEGMENT_KEYS for v in out.columns):
        out.columns = [segment_label(v) for v in out.columns]
    return out


def cluster_label(name) -> str:
    """A cluster name of :func:`helpers.models.segments.name_clusters` ("recent · one-time · low spend",
    maybe with " (2)") in the report language."""
    name = str(name)
    base, _unused, dup = name.partition(" (")
    parts = [i18n.label(p, "cluster_") for p in base.split(" · ")]
    return " · ".join(parts) + (f" ({dup}" if dup else "")

#: One colour per named segment (warm = lapsed, blues = active, greens = new)
SEGMENT_COLOURS = {
    "Champions": "#08306b", "Loyal customers": "#2171b5", "Potential loyalists": "#6baed6",
    "New customers": "#74c476", "Promising": "#c7e9c0", "Need attention": "#fdd0a2",
    "About to sleep": "#fdae6b", "At risk": "#e6550d", "Can't lose them": "#a50f15", "Hibernating": "#bdbdbd",
}


def score_spread(spread: pd.DataFrame) -> go.Figure:
    """Customers per score 1..5 for R, F and M (grouped bars): ties leave some scores empty."""
    fig = go.Figure()
    for col, colour in zip(spread.columns, ("#2171b5", "#31a354", "#ff7f0e")):
        fig.add_bar(x=spread.index, y=spread[col], name=i18n.label(col), marker_color=colour)
    fig.update_layout(title=_("Customers per R, F and M score (equal values share a score)"), barmode="group",
                      template=TEMPLATE, height=380, xaxis_title=_("score (1 = worst, 5 = best)"),
                      yaxis_title=pgettext("customers", "customers (count)"), xaxis={"dtick": 1})
    return fig


def rf_grid(grid: pd.DataFrame) -> go.Figure:
    """The recency x frequency grid: customers per cell, the cell's segment written in it."""
    r = np.repeat(grid.index.to_numpy(), grid.shape[1])
    f = np.tile(grid.columns.to_numpy(), grid.shape[0])
    seg = segment_of(r, f).astype(str).to_numpy().reshape(grid.shape)
    counts = grid.to_numpy()
    text = np.vectorize(lambda s, c: f"{segment_label(s)}<br>{i18n.fmt_number(c)}")(seg, counts)
    fig = go.Figure(go.Heatmap(z=counts, x=[f"F{c}" for c in grid.columns], y=[f"R{i}" for i in grid.index],
                               text=text, texttemplate="%{text}", colorscale="Blues",
                               colorbar={"title": pgettext("word", "customers")}))
    fig.update_layout(title=_("RFM segment map: customers per recency (R) x frequency (F) score"),
                      template=TEMPLATE, height=520, xaxis_title=_("frequency score (F: 1 = fewest orders)"),
                      yaxis_title=_("recency score (R: 5 = most recent)"))
    return fig


def treemap(profile: pd.DataFrame, currency: str) -> go.Figure:
    """Segments as rectangles sized by customers, coloured by the segment, with revenue share."""
    p = profile[profile["customers"] > 0]
    text = [i18n.ngettext("{n} customer ({share})<br>revenue {revenue} ({revenue_share})",
                          "{n} customers ({share})<br>revenue {revenue} ({revenue_share})", c,
                          n=i18n.fmt_number(c), share=i18n.fmt_percent(s, 0), revenue=fmt_money(r, currency),
                          revenue_share=i18n.fmt_percent(rs, 0))
            for c, s, r, rs in zip(p["customers"], p["share"], p["revenue"], p["revenue_share"])]
    fig = go.Figure(go.Treemap(labels=[segment_label(s) for s in p["segment"]], parents=[""] * len(p),
                               values=p["customers"], text=text,
                               textinfo="label+text", marker={"colors": [SEGMENT_COLOURS[s] for s in p["segment"]]},
                               hovertemplate="%{label}<br>%{text}<extra></extra>"))
    fig.update_layout(title=_("RFM segments: area = customers; label: customers and revenue ({cur})", cur=currency),
                      template=TEMPLATE, height=520, margin={"t": 60, "l": 10, "r": 10, "b": 10})
    return fig


def revenue_vs_customers(profile: pd.DataFrame) -> go.Figure:
    """Share of customers and share of revenue per segment, side by side (%)."""
    p = profile
    names = [segment_label(s) for s in p["segment"]]
    fig = go.Figure()
    fig.add_bar(y=names, x=p["share"] * 100, name=_("share of customers"), orientation="h", marker_color="#9ecae1")
    fig.add_bar(y=names, x=p["revenue_share"] * 100, name=_("share of revenue"), orientation="h",
                marker_color="#08306b")
    fig.update_layout(title=_("Each segment's share of customers and of revenue"), barmode="group", template=TEMPLATE,
                      height=480, xaxis_title=_("share (%)"), yaxis_title=_("segment"), yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def transitions(matrix: pd.DataFrame, *, title: str, shares: pd.DataFrame | None = None) -> go.Figure:
    """Heatmap of :func:`helpers.models.segments.segment_transitions` (counts; colour by row share)."""
    counts = matrix.to_numpy()
    colour = shares.to_numpy() * 100 if shares is not None else counts
    text = np.where(counts > 0, np.vectorize(lambda v: i18n.fmt_number(v))(counts), "")
    fig = go.Figure(go.Heatmap(z=colour, x=[segment_label(c) for c in matrix.columns],
                               y=[segment_label(i) for i in matrix.index], text=text,
                               texttemplate="%{text}", colorscale="Blues",
                               colorbar={"title": _("% of row") if shares is not None else pgettext("word", "customers")}))
    fig.update_layout(title=title, template=TEMPLATE, height=560,
                      xaxis_title=i18n.label(matrix.columns.name) if matrix.columns.name else _("after"),
                      yaxis_title=i18n.label(matrix.index.name) if matrix.index.name else _("before"), yaxis={"autorange": "reversed"},
                      xaxis={"tickangle": -35})
    return fig


def silhouette(curve: pd.DataFrame, chosen: int) -> go.Figure:
    """Mean silhouette per k, the chosen k marked."""
    fig = go.Figure(go.Scatter(x=curve["k"], y=curve["silhouette"], mode="lines+markers", line={"color": "#2171b5"},
                               name=term("silhouette")))
    row = curve[curve["k"] == chosen]
    fig.add_scatter(x=row["k"], y=row["silhouette"], mode="markers", marker={"size": 14, "color": "#d62728"},
                    name=_("chosen k = {k}", k=chosen))
    fig.update_layout(title=_("Choosing the number of clusters: mean silhouette per k (higher = better separated)"),
                      template=TEMPLATE, height=380, xaxis_title=_("k (number of clusters)"),
                      yaxis_title=_("mean silhouette (-1 .. 1)"), xaxis={"dtick": 1})
    return fig


def projection(coords: pd.DataFrame, *, title: str, max_points: int = 4000, seed: int = 0) -> go.Figure:
    """Scatter of the first two principal components, one colour per cluster name."""
    c = coords.sample(max_points, random_state=seed) if len(coords) > max_points else coords
    ev = coords.attrs.get("explained", [np.nan, np.nan])
    fig = go.Figure()
    col = "name" if "name" in c else "cluster"
    for name, part in c.groupby(col, sort=True):
        fig.add_scattergl(x=part["pc1"], y=part["pc2"], mode="markers", name=cluster_label(name),
                          marker={"size": 4, "opacity": 0.6})
    shown = _(" ({n} of {total} customers shown)", n=i18n.fmt_number(len(c)), total=i18n.fmt_number(len(coords))) if len(c) < len(coords) else ""
    fig.update_layout(title=title + shown, template=TEMPLATE, height=520,
                      xaxis_title=_("principal component 1 ({share} of variance; scaled features)", share=i18n.fmt_percent(ev[0], 0)),
                      yaxis_title=_("principal component 2 ({share} of variance)", share=i18n.fmt_percent(ev[1], 0)),
                      legend={"orientation": "h", "y": -0.2})
    return fig


def profile_heatmap(profile: pd.DataFrame, currency: str,
                    columns=("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")) -> go.Figure:
    """Cluster medians (text) coloured by how far each is from the other clusters (column z-score)."""
    labels = {"recency_days": _("recency (days)"), "frequency": _("frequency (orders)"),
              "monetary": _("monetary ({cur})", cur=currency), "avg_order_value": _("average order value ({cur})", cur=currency),
              "tenure_days": _("tenure (days)")}
    cols = [c for c in columns if c in profile]
    v = profile[cols].astype("float64")
    z = (v - v.mean()) / v.std(ddof=0).replace(0, 1)
    text = v.map(lambda x: i18n.fmt_number(x, 1) if abs(x) < 1000 else i18n.fmt_number(x, 0))
    names = [f"{cluster_label(n)} ({i18n.fmt_number(c)})" for n, c in zip(profile["name"], profile["customers"])]
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[labels.get(c, c) for c in cols], y=names,
                               text=text.to_numpy(), texttemplate="%{text}", colorscale="RdBu_r", zmid=0,
                               colorbar={"title": _("z-score<br>across clusters")}))
    fig.update_layout(title=_("Cluster profiles: median per cluster (colour: above / below the other clusters)"),
                      template=TEMPLATE, height=max(320, 60 * len(profile) + 160), xaxis_title=_("feature (median)"),
                      yaxis_title=_("cluster (customers)"), yaxis={"autorange": "reversed"})
    return fig


def crosstab(ct: pd.DataFrame, *, title: str) -> go.Figure:
    """Heatmap of customers by cluster (rows) and RFM segment (columns)."""
    counts = ct.to_numpy()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) * 100
    text = np.where(counts > 0, np.vectorize(lambda v: i18n.fmt_number(v))(counts), "")
    fig = go.Figure(go.Heatmap(z=share, x=[segment_label(c) for c in ct.columns], y=[cluster_label(i) for i in ct.index],
                               text=text, texttemplate="%{text}", colorscale="Blues",
                               colorbar={"title": _("% of cluster")}))
    fig.update_layout(title=title, template=TEMPLATE, height=max(340, 60 * len(ct) + 200),
                      xaxis_title=_("RFM segment"), yaxis_title=_("cluster"), xaxis={"tickangle": -35},
                      yaxis={"autorange": "reversed"})
    return fig


# --------------------------------------------------------------------------------------
# tables (pandas Styler)
# --------------------------------------------------------------------------------------
_NOWRAP = [{"selector": "th, td", "props": "white-space: nowrap; padding: 2px 6px; font-size: 0.9em;"}]


def profile_styler(profile: pd.DataFrame, currency: str):
    """:func:`helpers.models.segments.segment_profile` (without the action) formatted."""
    fmt = {"customers": "{:,}", "share": "{:.1%}", "recency_days": "{:,.0f}", "frequency": "{:.2f}",
           "monetary": "{:,.2f}", "r_score": "{:.2f}", "f_score": "{:.2f}", "m_score": "{:.2f}",
           "revenue": "{:,.0f}", "revenue_share": "{:.1%}"}
    shown = display_segments(profile.drop(columns=["action", "turkish"], errors="ignore"))
    fmt = {i18n.label(c): f for c, f in fmt.items()}
    return (i18n.style(i18n.headers(shown), fmt, na_rep="–").hide(axis="index")
            .set_table_styles(_NOWRAP)
            .set_caption(_("RFM segment profile: means (recency in days, frequency in orders, money in {cur})", cur=currency)))


def actions_styler(actions: pd.DataFrame):
    """Segments with their description and recommended action, left-aligned and wrapped."""
    shown = i18n.headers(display_segments(actions.drop(columns=["turkish"], errors="ignore")))
    return (i18n.style(shown, {pgettext("word", "customers"): "{:,}"} if pgettext("word", "customers") in shown else None).hide(axis="index")
            .set_properties(**{"text-align": "left"}).set_caption(_("What to do with each segment")))


def cluster_styler(clusters: pd.DataFrame, currency: str, caption: str):
    """:func:`helpers.models.segments.cluster_profiles` formatted."""
    fmt = {"customers": "{:,}", "share": "{:.1%}", "revenue_share": "{:.1%}", "recency_days": "{:,.0f}",
           "frequency": "{:.1f}", "monetary": "{:,.2f}", "avg_order_value": "{:,.2f}", "tenure_days": "{:,.0f}"}
    shown = clusters.copy()
    if "name" in shown:
        shown["name"] = shown["name"].map(cluster_label)
    fmt = {i18n.label(c): f for c, f in fmt.items()}
    return (i18n.style(i18n.headers(shown), fmt).hide(axis="index").set_table_styles(_NOWRAP)
            .set_caption(_("{caption}: size, revenue share and medians (days, orders, {cur})", caption=caption, cur=currency)))


def demographic_table(scored: pd.DataFrame, attributes: pd.DataFrame | None):
    """What sets each RFM segment apart in the customer attributes (one line per segment, from a crosstab
    test per attribute), captioned; the note that the run has no attribute table when ``attributes`` is None."""
    if attributes is None:
        return _("This data has no customer attribute table: no demographic profile per segment (see tables.attributes in the config).")
    from helpers.models import profiles

    attributes = profiles.check_attributes(attributes)
    with_attributes = scored[["customer_id", "segment"]].astype({"customer_id": "string"}).merge(
        attributes, on="customer_id", how="left")
    attribute_tests = [profiles.crosstab_test(with_attributes["segment"].rename("rfm_segment"),
                                              profiles.as_levels(with_attributes[c]).rename(c))
                       for c in profiles.profile_columns(attributes)]
    demographic_lines = profiles.profile_lines(attribute_tests).map(i18n.say).rename_axis("segment").reset_index()
    return (i18n.table(demographic_lines, cells={"segment": "seg_"}).hide(axis="index")
            .set_caption(_("Demographic profile of each RFM segment (significant differences from the whole customer base)")))


def planted_mix(truth: dict | None, customer_ids: pd.Series, clustering: tuple | None) -> list:
    """On synthetic data, how the k-means clusters recover the planted customer types: the adjusted Rand index
    and the share of each planted type per cluster (captioned). ``clustering`` is ``(labels, names)`` (the
    k-means label per customer in ``customer_ids`` order, the cluster names), None when there are no clusters;
    without a truth or clusters, the note saying so."""
    from helpers.models.segments import agreement

    if truth is None or not clustering:
        return [_("Real data (or no clusters): there is no planted truth to compare with.")]
    labels, names = clustering
    cluster_names = pd.Series(labels).map(names)
    types = truth["customers"].set_index("customer_id")["type"].reindex(customer_ids).to_numpy()
    mix = pd.crosstab(cluster_names.to_numpy(), types, rownames=["cluster"], colnames=["planted_type"], normalize="index")
    return [_("ARI between the k-means clusters and the planted types: {ari} (chance: about 0)", ari=i18n.fmt_number(agreement(types, labels), 3)),
            i18n.columns(mix.rename(index=cluster_label, columns=lambda c: i18n.label(c, "ptype_")))
            .style.format("{:.0%}", **i18n.number_format()).set_caption(pgettext("nb03", "Share of each cluster by planted customer type"))]
