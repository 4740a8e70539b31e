"""What the one-page brief says, from what the run published: its KPIs, the Monday list and its findings.

Nothing here fits a model: the numbers are the run's headline numbers (``headline.json`` of each notebook,
:func:`helpers.analyses.headlines.collect_headlines`), the KPI history (:mod:`helpers.analyses.history`) and
the executive summary's action table export (``artefacts/90_executive_summary/customer_actions.parquet``,
ids already masked when the config masks them). The page itself is :mod:`helpers.runner.brief`.

**The Monday list** is the customers whose recommended action is a personal contact
(:data:`CONTACT_ACTIONS`: retention call, win-back offer, loyalty care, cross-sell offer), ranked by the
**expected value of acting**: expected CLV x risk (churn risk, or 1 - P(alive) where the churn model did
not score the customer: the action table's ``risk_basis``), the part of the customer's value that is lost
if nobody acts. Customers without a CLV or a risk come last. ``top_n`` larger than the list shows them all
and says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers import i18n
from helpers.analyses import history as hist
from helpers.analyses.actions import MATRIX
from helpers.analyses.headlines import format_value
from helpers.i18n import N_, _

ACTIONS_FILE = Path("90_executive_summary") / "customer_actions.parquet"
CONTACT_ACTIONS = (MATRIX[("high", "high")], MATRIX[("medium", "high")], MATRIX[("high", "low")], MATRIX[("medium", "low")])


@dataclass
class Kpi:
    """One KPI of the brief: its headline key (the first of ``keys`` the run published) and the notebook proving it."""

    keys: tuple[str, ...]
    notebook: str
    value: float = math.nan
    key: str = ""
    label: str = ""
    text: str = ""
    unit: str = ""
    change: float = math.nan
    trend: list[float] = field(default_factory=list)


#: The brief's KPIs in order: customers, clean revenue, retention, at-risk customers and their expected value,
#: predicted CLV (or, without a CLV model, the historical gross margin), campaign response (shown only where the
#: run has campaign responses).
KPI_KEYS: list[tuple[tuple[str, ...], str]] = [
    (("customers",), "01_data_cleaning"),
    (("clean_revenue",), "01_data_cleaning"),
    (("retention_rate",), "02_lifecycle"),
    (("customers_at_risk", "customers_at_risk_p_alive"), "90_executive_summary"),
    (("revenue_at_stake",), "90_executive_summary"),
    (("clv_total", "margin_total"), "04_clv"),
    (("campaign_response_rate",), "08_campaigns"),
]


def _number(value) -> float:
    v = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return float(v) if pd.notna(v) else math.nan


def kpis(headlines: pd.DataFrame, history: pd.DataFrame, run: str) -> list[Kpi]:
    """The KPIs this run published (a number it could not measure is left out), each with its change since the
    previous run of the config in ``history`` (which already holds this run) and its trend over the last runs."""
    by_key = {h["key"]: h for h in headlines.to_dict("records")}
    out = []
    for keys, notebook in KPI_KEYS:
        key = next((k for k in keys if k in by_key and not math.isnan(_number(by_key[k]["value"]))), None)
        if key is None:
            continue
        h = by_key[key]
        trend = hist.series(history, key)["value"].tolist() if len(history) else []
        out.append(Kpi(keys, h.get("notebook") or notebook, _number(h["value"]), key, str(h["label"]), str(h["text"]),
                       str(h["unit"]), hist.change(history, key, run) if len(history) else math.nan, trend))
    return out


def change_text(change: float, unit: str, language: str | None = None) -> str:
    """``+1.2 pp`` for a share, ``−340 GBP`` for money, ``+12 customers`` for a count; "no earlier analysis date" for NaN (a re-run of the same date replaces it in the history)."""
    lang = language or i18n.language()
    if change is None or math.isnan(change):
        return _("no earlier analysis date", lang)
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    if unit == "%":
        return _("{sign}{n} pp", lang, sign=sign, n=i18n.fmt_number(abs(change) * 100, 1, lang))
    return sign + format_value(abs(change), unit, lang)


def read_actions(artefacts: str | Path) -> pd.DataFrame | None:
    """The executive summary's action table export of a run (``None`` when the summary did not write it)."""
    f = Path(artefacts) / ACTIONS_FILE
    return pd.read_parquet(f) if f.is_file() else None


def value_of_acting(actions: pd.DataFrame) -> pd.Series:
    """Expected CLV x risk per customer (see the module docstring); NaN where either is unknown."""
    clv = pd.to_numeric(actions["clv"], errors="coerce").astype(float)
    churn = pd.to_numeric(actions["churn_risk"], errors="coerce").astype(float) if "churn_risk" in actions else math.nan
    alive = pd.to_numeric(actions["p_alive"], errors="coerce").astype(float) if "p_alive" in actions else math.nan
    risk = pd.Series(churn, index=actions.index).where(pd.Series(churn, index=actions.index).notna(), 1 - alive)
    return clv * risk


def monday_list(actions: pd.DataFrame, top_n: int) -> tuple[pd.DataFrame, int]:
    """The first ``top_n`` customers to contact with their ``value_of_acting``, and how many the list has in all."""
    contact = actions[actions["recommended_action"].isin(CONTACT_ACTIONS)].copy()
    contact["value_of_acting"] = value_of_acting(contact)
    contact["_clv"] = pd.to_numeric(contact["clv"], errors="coerce")
    ranked = contact.sort_values(["value_of_acting", "_clv", "customer_id"], ascending=[False, False, True],
                                 na_position="last", kind="stable")
    return ranked.drop(columns="_clv").head(max(int(top_n), 0)).reset_index(drop=True), len(contact)


#: The findings the brief may state, in order: the headline key, its notebook and the sentence (``{value}``).
FINDINGS: list[tuple[str, str, str]] = [
    ("revenue_at_stake", "90_executive_summary",
     N_("{value} of expected customer value sits with customers at high risk of leaving.")),
    ("retention_rate", "02_lifecycle", N_("Retention from one period to the next is {value}{trend}.")),
    ("clv_top20_share", "04_clv", N_("The 20 % most valuable customers hold {value} of the predicted CLV.")),
    ("margin_top20_share", "04_clv",
     N_("The 20 % most valuable customers so far hold {value} of the historical gross margin (no CLV model could be fitted).")),
    ("champions_revenue_share", "03_segmentation", N_("Champions and Loyal customers bring {value} of the revenue.")),
    ("campaign_response_rate", "08_campaigns", N_("Campaigns reached customers who responded at a rate of {value}{trend}.")),
    ("high_value_low_p_alive", "04_clv", N_("{value} are valuable but probably no longer active (low P(alive)).")),
]


def findings(headlines: pd.DataFrame, history: pd.DataFrame, run: str, *, most: int = 5,
             language: str | None = None) -> list[tuple[str, str]]:
    """Up to ``most`` sentences built from the run's numbers, each with the notebook whose page proves it."""
    lang = language or i18n.language()
    by_key = {h["key"]: h for h in headlines.to_dict("records")}
    out = []
    for key, notebook, sentence in FINDINGS:
        h = by_key.get(key)
        if h is None or math.isnan(_number(h["value"])):
            continue
        moved = hist.change(history, key, run) if len(history) else math.nan
        trend = "" if math.isnan(moved) else _(" ({change} since the previous run)", lang, change=change_text(moved, str(h["unit"]), lang))
        out.append((i18n.show(sentence, lang, value=str(h["text"]), trend=trend), h.get("notebook") or notebook))
    return out[:most]
