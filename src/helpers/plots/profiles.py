"""Figures of the customer profiles notebook (10): marked cross-tabs, regions, purchase rate by level.

Each recipe takes a table from :mod:`helpers.models.profiles` and returns a plotly figure with
a title and labelled axes (units in brackets); labels come from the glossary. :func:`group_notes`
says the notes of the customer groupings in the report language.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.i18n import _, localize_numbers, lookup, pgettext
from helpers.phrase import Phrase
from helpers.plots.base import TEMPLATE, plain


def group_notes(groups) -> list[str]:
    """The notes of :func:`helpers.models.profiles.customer_groups` (what was skipped or used) in the
    report language, one line each."""
    return [i18n.say(Phrase(f"prof_{code}", **fields)) for code, fields in groups.notes]


def crosstab_heatmap(tab) -> go.Figure:
    """Row shares of a :class:`~helpers.models.profiles.CrossTab` as text, coloured by the adjusted
    residual (red above, blue below independence), significant cells marked ▲ / ▼."""
    z = tab.residuals.clip(-4, 4)
    text = []
    for i in tab.row_share.index:
        row = []
        for j in tab.row_share.columns:
            mark = (" ▲" if tab.residuals.loc[i, j] > 0 else " ▼") if tab.significant.loc[i, j] else ""
            row.append(localize_numbers(f"{tab.row_share.loc[i, j]:.0%}") + mark)
        text.append(row)
    group, attribute = plain(i18n.column(tab.group)), plain(i18n.column(tab.attribute))
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[plain(group_value(tab.attribute, c)) for c in z.columns],
                               y=[plain(group_value(tab.group, i)) for i in z.index],
                               text=text, texttemplate="%{text}", colorscale="RdBu", reversescale=True,
                               zmin=-4, zmax=4, colorbar={"title": _("adjusted standardized residual")}))
    fig.update_layout(title=_("{group} by {attribute}: share of each group (▲ / ▼ significantly above / below, {test} p = {p})", group=group, attribute=attribute, test=tab.test,
                              p=f"{tab.p_value:.3g}"),
                      template=TEMPLATE, height=max(320, 34 * len(z.index) + 160),
                      xaxis_title=f"{attribute} ({pgettext('profile', 'share of the group (%)')})", yaxis_title=group,
                      yaxis={"autorange": "reversed"})
    return fig


def group_value(group: str, value) -> str:
    """A value of a grouping as the report shows it: RFM segments and k-means clusters by their names, CLV
    tiers by their words, other values (levels of an attribute) by their label, else as they are."""
    from helpers.plots.clv import tier_name
    from helpers.plots.segments import cluster_label, segment_label

    if group in ("rfm_segment", "segment"):
        return segment_label(value)
    if group == "cluster":
        return cluster_label(value)
    if group in ("clv_tier", "value_tier"):
        return tier_name(value)
    return i18n.label(value)


def region_bars(table: pd.DataFrame, currency: str, region: str = "region") -> go.Figure:
    """Customers (bars) and revenue (bars on a second axis) per region, largest first."""
    fig = go.Figure()
    fig.add_bar(x=plain(table[region].astype(str)), y=table["customers"], name=pgettext("profile", "customers (count)"),
                marker_color="#1f77b4", offsetgroup=0)
    fig.add_bar(x=plain(table[region].astype(str)), y=table["revenue"], name=_("revenue ({currency})", currency=currency),
                marker_color="#ff7f0e", yaxis="y2", offsetgroup=1)
    fig.update_layout(title=_("Customers and revenue by region (revenue in {currency})", currency=currency), template=TEMPLATE, height=420,
                      barmode="group", xaxis_title=_("region"),
                      yaxis={"title": pgettext("profile", "customers (count)")},
                      yaxis2={"title": _("revenue ({currency})", currency=currency), "overlaying": "y", "side": "right"},
                      legend={"orientation": "h", "y": -0.22, "x": 0})
    return fig


def rate_ratios(rates: pd.DataFrame, attribute: str, truth: dict | None = None) -> go.Figure:
    """Purchase-rate ratio per level (``rate_by_group``), with the planted factor ratio when known."""
    r = rates.dropna(subset=["rate_ratio"])
    fig = go.Figure(go.Bar(x=plain(r["level"].astype(str)), y=r["rate_ratio"], name=_("estimate"),
                           marker_color="#1f77b4", text=[localize_numbers(f"{v:.2f}") for v in r["rate_ratio"]],
                           textposition="outside"))
    if truth:
        ref = rates.attrs.get("reference")
        base = truth.get(str(ref), np.nan)
        fig.add_scatter(x=plain(r["level"].astype(str)), y=[truth.get(str(v), np.nan) / base for v in r["level"]],
                        mode="markers", marker={"symbol": "diamond", "size": 13, "color": "#d62728"},
                        name=_("planted factor (synthetic truth)"))
    fig.add_hline(y=1, line={"color": "#999", "dash": "dot"})
    fig.update_layout(title=_("Purchase rate of a live customer by {attribute}, relative to {reference} (BG/NBD per level)", attribute=plain(str(attribute)),
                              reference=plain(str(rates.attrs.get("reference")))),
                      template=TEMPLATE, height=420, xaxis_title=_("level"),
                      yaxis_title=_("purchase rate ratio (× reference)"), legend={"orientation": "h", "y": -0.22, "x": 0})
    return fig


def config_note(name: str, attrs: pd.DataFrame | None, columns: list[str] | None) -> str:
    """The run's attribute table in one line (customers, the columns profiled), or that it has none."""
    from helpers.i18n import fmt_number

    if attrs is None:
        return _("config {name}: the data has no customer attribute table, so there is nothing to profile. Add one (customer_id + region, age_band, income_band, household_size ...) under `tables: attributes:` in the config.", name=name)
    return _("config {name}: {n} customers with attributes; profiled: {cols}", name=name, n=fmt_number(len(attrs)), cols=", ".join(columns) or _("none"))


def coverage_note(table: pd.DataFrame, attrs: pd.DataFrame, group_columns: list[str]) -> str:
    """How many customers are grouped, the share of them with attributes, and the groupings used."""
    covered = table["customer_id"].isin(attrs["customer_id"]).mean()
    return localize_numbers(_("{n} customers; {covered} have an attribute row; groups: {groups}", n=f"{len(table):,}", covered=f"{covered:.1%}", groups=", ".join(group_columns)))


def written_lines(lines_by_group: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """:func:`helpers.models.profiles.lines_by_group` with each profile line written in the report's language:
    what the page shows and the export holds."""
    return {g: lines.map(i18n.say).astype("string") for g, lines in lines_by_group.items()}


def group_lines_tables(lines_by_group: dict[str, pd.Series], group_columns: list[str]) -> list:
    """One table per grouping of what sets each group apart: the RFM segments first, with their names and
    actions in the report language, then the other groupings."""
    from helpers.models import segments
    from helpers.plots.segments import segment_label

    keys = getattr(segments, "SEGMENT_KEYS", {})
    actions = {s: (lookup(keys[s] + "_action") if s in keys else a) for s, a in zip(segments.SEGMENTS["segment"],
                                                                                segments.SEGMENTS["action"])}
    seg_lines = lines_by_group["rfm_segment"].rename_axis("segment").reset_index()
    seg_lines["action"] = seg_lines["segment"].map(actions)
    seg_lines["segment"] = seg_lines["segment"].map(segment_label)
    out = [i18n.table(seg_lines).hide(axis="index").set_properties(**{"text-align": "left"}).set_caption(_("RFM segments: demographic profile and recommended action"))]
    for g in group_columns[1:]:
        lines = lines_by_group[g].rename_axis(g).reset_index()
        lines[g] = lines[g].map(lambda v, g=g: group_value(g, v))
        out.append(i18n.table(lines).hide(axis="index")
                   .set_properties(**{"text-align": "left"}).set_caption(_("{group}: demographic profile", group=i18n.column(g))))
    return out


def region_section(regions: pd.DataFrame, kruskal: dict, currency: str, clv_months: int) -> list:
    """The Kruskal-Wallis test of revenue across regions, the region table and its bars."""
    money = {c: "{:,.0f}" for c in ("revenue", "mean_revenue", "mean_clv")}
    return [localize_numbers(_("Kruskal-Wallis test of revenue per customer across regions: H = {h}, p = {p}", h=f"{kruskal['statistic']:.2f}", p=f"{kruskal['p_value']:.3g}")),
            regions.style.format({"customers": "{:,}", "share_customers": "{:.1%}", "share_revenue": "{:.1%}",
                                  "mean_orders": "{:.2f}", "repeat_rate": "{:.1%}", **money}).hide(axis="index")
            .set_caption(_("Regions (money in {currency}; mean_clv over {months} months)", currency=currency, months=clv_months)),
            region_bars(regions, currency)]


def written_rates(rates: pd.DataFrame | None) -> pd.DataFrame | None:
    """:func:`helpers.models.profiles.rate_by_group` with each level's note (which fit step was used and why,
    or the error) written in the report's language: what the page shows and the export holds."""
    if rates is None:
        return None
    return rates.assign(note=[i18n.say_value(n) for n in rates["note"]])


def rates_section(rates: pd.DataFrame | None, cov: pd.DataFrame | None, cov_error: str | None, column: str,
                  time_unit: str) -> list:
    """The BG/NBD per level of ``column`` (its parameters and rate ratios, then a line per level with a note),
    and the covariate fit's multipliers, or why it could not be fitted (``cov_error``)."""
    out = []
    if rates is not None:
        shown = rates.drop(columns=["note"]).assign(step=[lookup("clv_step_" + s) if s else "" for s in rates["step"]])
        out.append(i18n.table(shown,
            {c: "{:.3f}" for c in ("r", "alpha", "a", "b", "purchase_rate", "dropout", "se_log_rate", "rate_ratio",
                                   "se_log_ratio")}, na_rep="–").hide(axis="index")
            .set_caption(_("BG/NBD per {attribute} level (purchase_rate per {unit}; rate_ratio against {reference})", attribute=column, unit=time_unit, reference=rates.attrs["reference"])))
        out += [f"{r['level']}: {r['note']}" for _unused, r in rates[rates["note"] != ""].iterrows()]
    if cov is not None:
        out.append(i18n.table(cov, {c: "{:.3f}" for c in cov.columns if c != "level"}).hide(axis="index")
                   .set_caption(_("One BG/NBD with {attribute} as purchase and dropout covariates (purchase_multiplier against {reference})", attribute=column, reference=cov.attrs["reference"])))
    elif cov_error is not None:
        out.append(_("The covariate BG/NBD could not be fitted: {error}", error=cov_error))
    return out


def truth_section(check: pd.DataFrame | None, rates: pd.DataFrame | None, factors: dict | None, column: str,
                  z_tolerance: float) -> list:
    """On synthetic data, the rate ratios against the planted factors (``check``: :func:`helpers.models.profiles.
    truth_table`): the table, how many non-reference levels are within ``z_tolerance`` standard errors, and the
    ratios plot; the note that there is no planted factor when ``factors`` is None; nothing without rates."""
    if factors is None:
        return [_("No planted factors for this data (real data, or no demographic truth): nothing to check.")]
    if rates is None or check is None:
        return []
    others = check[check["level"] != rates.attrs["reference"]]
    n_ok, n_known = int(others["within"].sum()), int(others["within"].notna().sum())
    return [i18n.table(check.assign(within=check["within"].map(lambda v: i18n.label("yes" if v else "no") if v == v and v is not None else v)),
                       {c: "{:.3f}" for c in check.columns if c not in ("level", "within")}, na_rep="–")
            .hide(axis="index").set_caption(_("Purchase-rate ratio: estimate vs planted factor (within = inside {z} standard errors; empty: no standard error)", z=f"{z_tolerance:g}")),
            localize_numbers(_("{ok} of {n} levels with a standard error are within {z} SE of the planted factor", ok=n_ok, n=n_known, z=f"{z_tolerance:g}")),
            rate_ratios(rates, column, factors)]
