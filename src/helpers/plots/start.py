"""The start page (00): the catalogue of notebooks and the collection's flow figure."""
from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n, paths
from helpers.batch import BATCH
from helpers.i18n import N_, _

#: The collection's flow, left to right: (step, what it holds), marked for the catalogue.
FLOW_STEPS = [(N_("raw lines"), N_("csv, xlsx, parquet,\nsynthetic shop")),
              (N_("read + schema"), N_("canonical columns,\nreadable errors")),
              (N_("clean + audit"), "01_data_cleaning"), (N_("customer tables"), N_("RFM, BTYD summary\n(DuckDB / Spark)")),
              (N_("analyses"), N_("02 lifecycle · 03 segments\n04 CLV · 05 churn · 06 offers")),
              (N_("trust + value"), N_("12 validation\n13 retention economics")),
              (N_("reports"), N_("HTML per notebook,\n90 executive summary"))]
#: How each language's introduction cell names the question (the cells are tagged ``lang-en`` / ``lang-tr``).
QUESTION_HEADINGS = {"en": r"Question", "tr": r"Soru(?: \(Question\))?"}


def question(stem: str, folder=None, language: str | None = None) -> str:
    """The **Question.** sentence of a notebook's introduction in ``language`` (its first markdown cell tagged
    ``lang-<language>``, else its first cell); ``folder``: the notebooks' folder."""
    lang = language or i18n.language()
    path = (folder or paths.NOTEBOOKS) / f"{stem}.ipynb"
    if not path.exists():
        return _("(notebook not found)", lang)
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]
    tagged = [c for c in cells if f"lang-{lang}" in c.get("metadata", {}).get("tags", [])]
    text = "".join((tagged or cells)[0]["source"]) if cells else ""
    heading = QUESTION_HEADINGS.get(lang if tagged else "en", "Question")
    m = re.search(r"\*\*(?:" + heading + r")\.?\*\*\.?\s*(.+)", text)
    return m.group(1).strip() if m else text.splitlines()[0].lstrip("# ") if text else ""


def catalogue(steps=BATCH, folder=None) -> pd.DataFrame:
    """One row per notebook of the batch: its name, its question and the tables it reads (config names)."""
    return pd.DataFrame([{"notebook": s.name, "question": question(s.name, folder),
                          "reads": ", ".join(s.requires) or _("nothing")} for s in steps])


def catalogue_table(steps=BATCH, folder=None):
    """:func:`catalogue` as the start page shows it: columns in the report language, the tables it reads as
    code names, no index, text left-aligned and wrapped."""
    shown = catalogue(steps, folder)
    shown["reads"] = [", ".join(f"tables.{t}" for t in s.requires) or _("nothing") for s in steps]
    shown = shown.rename(columns={"notebook": _("notebook"), "question": _("question"), "reads": _("reads")})
    return (i18n.style(shown).hide(axis="index")
            .set_properties(**{"text-align": "left", "white-space": "normal"}))


def flow_figure(steps=FLOW_STEPS) -> go.Figure:
    """The collection's flow: one box per step, arrows between them, left to right."""
    fig = go.Figure()
    for i, (name, detail) in enumerate((_(a), _(b) if b != "01_data_cleaning" else b) for a, b in steps):
        fig.add_shape(type="rect", x0=i * 1.5, x1=i * 1.5 + 1.2, y0=0, y1=1, fillcolor="#e8f0fa", line_color="#1f77b4")
        fig.add_annotation(x=i * 1.5 + 0.6, y=0.72, text=f"<b>{name}</b>", showarrow=False, font_size=12)
        fig.add_annotation(x=i * 1.5 + 0.6, y=0.35, text=detail.replace("\n", "<br>"), showarrow=False, font_size=10)
        if i:
            fig.add_annotation(x=i * 1.5, y=0.5, ax=i * 1.5 - 0.3, ay=0.5, xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=2, text="")
    fig.update_xaxes(visible=False, range=[-0.2, len(steps) * 1.5]); fig.update_yaxes(visible=False, range=[-0.1, 1.1])
    fig.update_layout(title=_("The collection's flow: raw sales lines to reports (left to right)"), height=260,
                      xaxis_title=_("step"), yaxis_title="", margin=dict(l=10, r=10, t=50, b=10))
    return fig


def settings_table(cfg):
    """The run's settings as the start page shows them: one row each, named in the report language; config
    values that are keywords (the data source, the engine, the time unit) stay as the config writes them."""
    masked = i18n.label("yes" if cfg.output.mask_customer_ids else "no")
    rows = {_("config"): cfg.name, _("data source"): cfg.data.source, _("currency"): getattr(cfg.data, "currency", None),
            _("analysis period"): i18n.period_name(cfg.analysis.period),
            _("time unit of the CLV models"): cfg.analysis.time_unit, _("engine"): cfg.engine.backend,
            _("language"): getattr(cfg, "language", "en"), _("customer ids masked"): masked}
    return i18n.style(pd.Series(rows, name=_("value")).to_frame())


def start_config(config_path, config_overrides=()):
    """The run's config for the start page (which reads no data), its overrides (runner ``--set`` syntax)
    applied, and the report language set from it."""
    from helpers.config import load_config, parse_override

    cfg = load_config(config_path, [parse_override(o) for o in config_overrides])
    i18n.set_language(cfg.language)
    return cfg
