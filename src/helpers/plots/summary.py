"""Figures of the executive summary (07)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.analyses import headlines as summary
from helpers.analyses.actions import UNKNOWN, action_label
from helpers.i18n import _, fmt_number, lookup, pgettext
from helpers.plots.base import TEMPLATE
from helpers.plots.segments import cluster_label, segment_label
from helpers.plots.uplift import rule_name


def action_counts(actions: pd.DataFrame, currency: str) -> go.Figure:
    """Customers per recommended action, with their expected CLV in the hover."""
    g = actions.groupby("recommended_action", dropna=False).agg(
        customers=("customer_id", "size"), clv=("clv", lambda s: pd.to_numeric(s, errors="coerce").sum()))
    g = g.sort_values("customers")
    names = [action_label(a) for a in g.index.astype(str)]
    fig = go.Figure(go.Bar(x=g["customers"], y=names, orientation="h",
                           text=[i18n.fmt_number(c) for c in g["customers"]],
                           textposition="auto", customdata=g["clv"],
                           hovertemplate=_("%{y}: %{x} customers, expected CLV") + " %{customdata:,.0f} " + currency + "<extra></extra>"))
    fig.update_layout(title=_("Customers per recommended action"), template=TEMPLATE,
                      height=max(320, 40 * len(g) + 120), xaxis_title=pgettext("customers", "customers (count)"),
                      yaxis_title=_("recommended action"))
    return fig


def run_status(statuses: list[dict] | None, shown_folder: str, banner) -> list:
    """The run's state as the summary opens with it: a note when this notebook runs by hand (``shown_folder``:
    the run folder as shown to a reader), then the banner of failed or skipped notebooks (``banner``:
    alerts, notes -> HTML, the pages' banner) or the note that every notebook ran."""
    from IPython.display import HTML

    out = [_("Run by hand: the statuses of the other notebooks are not known; this page shows what they published in {folder}.", folder=shown_folder)] if statuses is None else []
    notes = summary.status_notes(statuses or [], before="90_executive_summary")
    if notes:
        out.append(HTML(banner([text for level, text in notes if level == "alert"],
                               [text for level, text in notes if level == "note"])))
    elif statuses is not None:
        out.append(_("Every notebook before this one ran."))
    return out


def gaps_table(customers: dict[str, pd.DataFrame], statuses: list[dict] | None):
    """The notebooks whose customer columns the action table lacks, and why (captioned); the note that
    nothing is missing when every column was published."""
    gaps = summary.gaps(customers, statuses)
    if not len(gaps):
        return _("Every column of the action table was published in this run.")
    return i18n.table(gaps).hide(axis="index").set_caption(_("What the action table lacks: notebooks whose customer columns are unknown in this run"))


def unknown_counts_note(action_table: pd.DataFrame) -> str | None:
    """How many customers of the action table have an unknown value tier or risk level, and how many have their
    risk from 1 - P(alive) instead of the churn model; None when there are none of the three."""
    unknown_tier = int((action_table["value_tier"] == UNKNOWN).sum())
    unknown_risk = int((action_table["risk_level"] == UNKNOWN).sum())
    from_p_alive = int((action_table["risk_basis"] == summary.RISK_FROM_P_ALIVE).sum())
    if not (unknown_tier or unknown_risk or from_p_alive):
        return None
    return _("Of {n} customers: value tier unknown for {tier}, risk level unknown for {risk}; risk from 1 − P(alive) (no churn risk) for {p_alive}.", n=fmt_number(len(action_table)), tier=fmt_number(unknown_tier),
             risk=fmt_number(unknown_risk), p_alive=fmt_number(from_p_alive))


def shown_actions(table: pd.DataFrame, customers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The action table with its text values in the report language (the export keeps the stored values; offer
    reasons are already in the run's language, :func:`helpers.plots.baskets.with_reasons`);
    a column no notebook of this run published (``customers``: what each notebook published) reads "unknown"."""
    out = table.copy()
    text = {"lifecycle_stage": lambda v: i18n.label(v, "stage_"), "rfm_segment": segment_label,
            "value_tier": lambda v: i18n.label(v, "level_"), "risk_level": lambda v: i18n.label(v, "level_"),
            "risk_basis": lambda v: lookup(summary.RISK_BASIS_KEYS[v]) if v in summary.RISK_BASIS_KEYS else v,
            "recommended_action": action_label, "targeting_rule": rule_name,
            "cluster": cluster_label}
    for col, f in text.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, f=f: f(v) if isinstance(v, str) else v)
    for col in summary.unknown_columns(customers):
        if col in out.columns:
            out[col] = _("unknown")
    return out


def changes_since(action_table: pd.DataFrame, before: pd.DataFrame, customers: dict[str, pd.DataFrame], *,
                  top_n: int) -> list:
    """What moved since the previous run (``before``: its action table): the RFM segment migrations (previous
    run in rows, this run in columns) when both runs have segments, and the customers newly at risk (a count,
    then the first ``top_n`` as :func:`shown_actions`) when this run has churn risks."""
    out = []
    if action_table["rfm_segment"].notna().any() and before["rfm_segment"].notna().any():
        moved = summary.migrations(action_table, before, "rfm_segment")
        moved = moved.rename(index=segment_label, columns=segment_label).rename_axis(
            index=f"{i18n.column('rfm_segment')} ({_('previous run')})", columns=f"{i18n.column('rfm_segment')} ({_('this run')})")
        out.append(moved.style.format("{:,}", **i18n.number_format()).set_caption(_("Customers by RFM segment: previous run (rows) to this run (columns)")))
    if action_table["churn_risk"].notna().any():
        fresh = summary.new_at_risk(action_table, before)
        out.append(_("{n} customers are newly at high churn risk", n=fmt_number(len(fresh))))
        out.append(i18n.table(shown_actions(fresh.head(top_n), customers), precision=3, na_rep="").hide(axis="index"))
    return out
