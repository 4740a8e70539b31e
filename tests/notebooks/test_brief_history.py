"""A grid over three analysis dates fills the KPI history in one command: three runs in the history, the brief's
sparklines and the executive summary's KPI history chart drawn from the same numbers, brief.html in each run."""
from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import history as hist
from helpers.runner import brief, run
from tests.fixtures import TINY

ENDS = ["2023-06-30", "2023-09-30", "2023-12-31"]


def _values(array) -> list:
    """A plotly JSON array as a list (plotly writes numbers as base64 typed arrays)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


@pytest.mark.slow
def test_a_three_date_grid_backfills_the_history_and_its_charts(tmp_path, capsys):
    code = run.main(["--config", str(TINY), "--reports-dir", str(tmp_path), "--no-progress", "--notebooks", "01", "02", "90",
                     "--grid", "analysis.end=" + ",".join(ENDS)])
    assert code == 0, capsys.readouterr()
    rows = pd.read_parquet(hist.history_path(tmp_path, "tiny"))
    assert sorted(rows["analysis_end"].unique()) == ENDS and rows.groupby("run")["key"].nunique().nunique() == 1
    folders = sorted((p for p in tmp_path.glob("tiny-end_*") if p.is_dir()), key=lambda p: p.name)
    assert len(folders) == 3 and all((f / "brief.html").is_file() for f in folders)
    # each run's customers in the history are what its own cleaning page published
    published = [next(h["value"] for h in json.loads((f / "artefacts" / "01_data_cleaning" / "headline.json").read_text())
                      if h["key"] == "customers") for f in folders]
    assert hist.series(rows, "customers")["value"].tolist() == published and published == sorted(published)
    last = folders[-1]
    card = re.search(r'data-key="customers".*?</svg>', (last / "brief.html").read_text(), flags=re.S).group(0)
    ys = [y for _x, y in brief.sparkline_points(card)]
    assert len(ys) == 3 and ys == sorted(ys, reverse=True) and f"+{published[2] - published[1]:,}" in card
    # the executive summary's chart: the same three values, one point per analysis date
    figs = [json.loads(f.read_text()) for f in sorted((last / "figures").glob("90_executive_summary_fig*.json"))]
    trend = next(f for f in figs if "KPI" in f["layout"]["title"]["text"])
    customers = next(t for t in trend["data"] if _values(t["y"])[-1:] == [published[2]])
    assert _values(customers["y"]) == published and _values(customers["x"]) == ENDS
    index = (last / "index.html").read_text()
    assert index.index('href="brief.html"') < index.index("<table>")
    assert 'brief.html">' in (tmp_path / "index.html").read_text()
