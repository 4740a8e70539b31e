"""The CLV model tournament's page (notebook 04b): the metrics table, the decile chart, the choice."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import fitted, i18n
from helpers.i18n import _
from helpers.models.clv.tournament import decile_table, display_name
from helpers.phrase import Phrase
from helpers.plots.base import TEMPLATE


def name(code: str) -> str:
    """A candidate's display name."""
    shown = display_name(code)
    return i18n.say(shown) if isinstance(shown, Phrase) else shown


def metrics_table(result, currency: str):
    """The tournament table, one row per model, the chosen one first."""
    t = result.table.copy()
    t = t.loc[[result.chosen, *[m for m in t.index if m != result.chosen]]]
    t.index = [name(m) for m in t.index]
    return i18n.style(t.reset_index(names=_("model")), precision=3).hide(axis="index").set_caption(
        _("Holdout scores per model: purchases (count) and spend ({currency}) per customer; MAE, RMSE, bias = mean "
          "error; Spearman, normalised Gini and top-10 % capture of spend; decile MAPE of spend (share)", currency=currency))


def decile_chart(result, currency: str) -> go.Figure:
    """Mean actual vs predicted holdout spend per decile of the chosen model's prediction."""
    p = result.predictions
    d = decile_table(p["actual_spend"], p[f"pred_{result.chosen}"])
    fig = go.Figure()
    fig.add_bar(x=d["decile"], y=d["actual"], name=_("actual"))
    fig.add_bar(x=d["decile"], y=d["predicted"], name=_("predicted"))
    fig.update_layout(title=_("Holdout spend per decile of predicted value: {model}", model=name(result.chosen)),
                      xaxis_title=_("decile of predicted holdout spend (1 = highest)"),
                      yaxis_title=_("mean holdout spend per customer ({currency})", currency=currency),
                      barmode="group", template=TEMPLATE, height=420, xaxis_type="category")
    return fig


def conclusion(result, data_name: str) -> str:
    """The page's closing sentence: which model won, by which rule, and how well it ranks."""
    row = result.table.loc[result.chosen]
    return _("On {data}, the CLV of the action table comes from {model}. {why} Its top 10 % of customers hold {capture} "
             "of the holdout spend (normalised Gini {gini}).", data=data_name, model=name(result.chosen),
             why=i18n.say(result.reason), capture=i18n.fmt_percent(row["top10_capture"]),
             gini=i18n.fmt_number(row["gini"], 2))


def section(result, currency: str, data_name: str) -> list:
    """Notes, the table, the decile chart and the conclusion, in order."""
    notes = [i18n.say(n) for n in result.notes]
    return [*notes, metrics_table(result, currency), decile_chart(result, currency), conclusion(result, data_name)]


def clv_line(prep) -> str:
    """The executive summary's CLV line: which model the action table's CLV comes from, and why."""
    if fitted.run_clv_settings(prep)["model"] != "auto":
        return _("The CLV in the action table comes from {model}, set in the config (notebook 04's model).",
                 model=name(fitted.run_clv_settings(prep)["model"]))
    model, result = fitted.chosen_clv(prep)
    if not result.chosen:
        return _("The CLV in the action table comes from {model}. {why}", model=name(model), why=i18n.say(result.reason))
    if result.chosen == model:
        return _("The CLV in the action table comes from {model}, the winner of the CLV model tournament (04b). {why}",
                 model=name(model), why=i18n.say(result.reason))
    return _("The CLV in the action table comes from {model}, the best-ranking buy-till-you-die model of the CLV model "
             "tournament (04b): its winner, {winner}, predicts the holdout length only, not a CLV horizon.",
             model=name(model), winner=name(result.chosen))


def headline(result) -> list[tuple]:
    """Notebook 04b's headline numbers (key, label, value, unit: :func:`helpers.analyses.headlines.publish`): the
    chosen model, its normalised Gini and top-10 % capture of holdout spend, its lead over the naive past rate and
    how many models were compared; ``[]`` when no tournament ran."""
    if result is None or not result.chosen:
        return []
    t = result.table
    row = t.loc[result.chosen]
    out = [("chosen_model", _("CLV model chosen on the holdout"), name(result.chosen), ""),
           ("chosen_gini", _("Its normalised Gini of holdout spend (1 = a perfect ranking)"), float(row["gini"]), ""),
           ("chosen_top10_capture", _("Holdout spend held by its top 10 % of customers"), float(row["top10_capture"]), "%")]
    if "naive" in t.index and result.chosen != "naive":
        out.append(("gini_over_naive", _("Its Gini lead over the naive past rate"),
                    float(row["gini"] - t.loc["naive", "gini"]), ""))
    out.append(("models_compared", _("Models compared on the holdout"), len(t), "count"))
    return out
