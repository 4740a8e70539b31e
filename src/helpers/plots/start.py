"""The start page (00): the catalogue of notebooks and the collection's flow figure."""
from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go

from helpers import paths
from helpers.batch import BATCH

#: The collection's flow, left to right: (step, what it holds).
FLOW_STEPS = [("raw lines", "csv, xlsx, parquet,\nsynthetic shop"), ("read + schema", "canonical columns,\nreadable errors"),
              ("clean + audit", "01_data_cleaning"), ("customer tables", "RFM, BTYD summary\n(DuckDB / Spark)"),
              ("analyses", "02 lifecycle · 03 segments\n04 CLV · 05 churn · 06 offers"),
              ("trust + value", "12 validation\n13 retention economics"),
              ("reports", "HTML per notebook,\n90 executive summary")]


def question(stem: str, folder=None) -> str:
    """The **Question.** sentence of a notebook's first markdown cell (``folder``: the notebooks' folder)."""
    path = (folder or paths.NOTEBOOKS) / f"{stem}.ipynb"
    if not path.exists():
        return "(notebook not found)"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "".join(cells[0]["source"]) if cells else ""
    m = re.search(r"\*\*Question\.?\*\*\.?\s*(.+)", text)
    return m.group(1).strip() if m else text.splitlines()[0].lstrip("# ") if text else ""


def catalogue(steps=BATCH, folder=None) -> pd.DataFrame:
    """One row per notebook of the batch: its name, its question and the artefacts it reads."""
    return pd.DataFrame([{"notebook": s.name, "question": question(s.name, folder),
                          "reads": ", ".join(s.requires) or "nothing"} for s in steps])


def catalogue_table(steps=BATCH, folder=None):
    """:func:`catalogue` as the start page shows it: no index, text left-aligned and wrapped."""
    return (catalogue(steps, folder).style.hide(axis="index")
            .set_properties(**{"text-align": "left", "white-space": "normal"}))


def flow_figure(steps=FLOW_STEPS) -> go.Figure:
    """The collection's flow: one box per step, arrows between them, left to right."""
    fig = go.Figure()
    for i, (name, detail) in enumerate(steps):
        fig.add_shape(type="rect", x0=i * 1.5, x1=i * 1.5 + 1.2, y0=0, y1=1, fillcolor="#e8f0fa", line_color="#1f77b4")
        fig.add_annotation(x=i * 1.5 + 0.6, y=0.72, text=f"<b>{name}</b>", showarrow=False, font_size=12)
        fig.add_annotation(x=i * 1.5 + 0.6, y=0.35, text=detail.replace("\n", "<br>"), showarrow=False, font_size=10)
        if i:
            fig.add_annotation(x=i * 1.5, y=0.5, ax=i * 1.5 - 0.3, ay=0.5, xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=2, text="")
    fig.update_xaxes(visible=False, range=[-0.2, len(steps) * 1.5]); fig.update_yaxes(visible=False, range=[-0.1, 1.1])
    fig.update_layout(title="The collection's flow: raw sales lines to reports (left to right)", height=260,
                      xaxis_title="step", yaxis_title="", margin=dict(l=10, r=10, t=50, b=10))
    return fig
