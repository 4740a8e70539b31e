"""The executive summary's KPI history chart: one panel per brief KPI, the history's values (shares in %) over
the runs, and the note of a first run."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from helpers.analyses import history as hist
from helpers.plots import trends


def _headlines(customers, retention):
    return pd.DataFrame([
        {"key": "customers", "label": "Customers", "value": customers, "unit": "customers", "text": "", "notebook": "01"},
        {"key": "retention_rate", "label": "Retention", "value": retention, "unit": "%", "text": "", "notebook": "02"},
        {"key": "raw_lines", "label": "Lines", "value": 5, "unit": "count", "text": "", "notebook": "01"}])


def test_the_chart_has_a_panel_per_kpi_with_the_history_values(tmp_path):
    for i, (end, c, r) in enumerate([("2024-06-30", 100, 0.3), ("2024-09-30", 120, 0.25)]):
        rows = hist.headline_rows(_headlines(c, r), config="shop", run=f"shop-{i}", analysis_end=end,
                                  recorded=pd.Timestamp("2026-01-01").to_pydatetime())
        hist.record_run(hist.history_path(tmp_path, "shop"), rows)
    config = SimpleNamespace(name="shop", output=SimpleNamespace(reports_dir=str(tmp_path)))
    out = tmp_path / ".tmp-shop-9" / "artefacts" / "90_executive_summary"
    section = trends.history_section(config, out, _headlines(150, 0.35), {"analysis_end": "2024-12-31"})
    fig = section[-1]
    assert [t.name for t in fig.data] == ["Customers", "Retention"]              # raw_lines is not a brief KPI
    assert list(fig.data[0].y) == [100, 120, 150] and [round(v, 6) for v in fig.data[1].y] == [30, 25, 35]
    assert list(fig.data[0].x) == ["2024-06-30", "2024-09-30", "2024-12-31"]
    assert "3 runs" in fig.layout.title.text and fig.layout.xaxis.title.text


def test_a_first_run_says_so(tmp_path):
    config = SimpleNamespace(name="new", output=SimpleNamespace(reports_dir=str(tmp_path)))
    out = tmp_path / ".tmp-new-1" / "artefacts" / "90_executive_summary"
    section = trends.history_section(config, out, _headlines(10, 0.5), {"analysis_end": "2024-12-31"})
    assert "first run" in section[0] and len(section[-1].data) == 2


def test_the_whole_action_table_is_searchable_up_to_a_page_limit():
    table = pd.DataFrame({"customer_id": [f"C{i}" for i in range(12)], "clv": range(12)})
    whole = trends.all_actions(table, most=20)
    assert len(whole.table.data) == 12 and "every customer" in whole.caption
    cut = trends.all_actions(table, most=5)
    assert cut.table.data.iloc[:, 0].tolist() == ["C0", "C1", "C2", "C3", "C4"] and "first 5 rows" in cut.caption
