"""Every page of a Turkish batch is Turkish: no English text node that is not a data value, a code name or a
proper noun (the detector: ``tests/fixtures/english_text.py``).

The whole batch runs in Turkish on the tiny synthetic shop (the session's ``turkish_batch``, tests/conftest.py) (its optional tables, campaigns, reviews and
demographics, come with it, so every notebook but the contract one runs; 11 is skipped with a note), and a
second small run on sales lines alone skips the campaign, review and profile notebooks, so their skip notes
show in its index and in the banners of the pages after them. Every HTML page of both runs is read: the run
indexes, both versions of every notebook page, the executive summary, the glossary pages and the reports'
index. The findings are listed grouped by page (:data:`SHOWN` at most, with the total); set
``ENGLISH_NODES_FILE`` to a path to get the full list there.

The glossary page shows each term's name in the other language under its name on purpose (``<td><strong>terim
</strong><div class="muted">term</div></td>``): that English is allowed (``td>muted``), as are the notebook
column's links (file stems); its definitions and formulas are checked.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.fixtures.english_text import DataValues, Finding, data_values, english_findings

#: At most this many findings are shown in the failure message.
SHOWN = 200
#: English by design on the glossary page: each term's name in the other language (``td>muted``) and the
#: notebook column's links, which name notebooks by their file stems (``td>a``: 08_campaigns, reports, exercises).
GLOSSARY_ALLOWED = frozenset({"td>muted", "td>a"})


def _pages(reports: Path) -> list[Path]:
    run = (reports / "latest").resolve() if (reports / "latest").exists() else \
        max((p for p in reports.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    return sorted(run.glob("*.html")) + sorted(reports.glob("*.html"))


def _scan(pages: list[Path], data: DataValues, root: Path) -> list[Finding]:
    found = []
    for page in pages:
        allowed = GLOSSARY_ALLOWED if page.name == "glossary.html" else frozenset()
        found += english_findings(page.read_text(encoding="utf-8"), data, page=str(page.relative_to(root)),
                                  allowed_classes=allowed)
    return found


def report_lines(findings: list[Finding], limit: int | None = None) -> list[str]:
    """The findings grouped by page (``limit``: at most that many findings)."""
    by_page: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_page[f.page].append(f)
    lines, n = [], 0
    for page, items in by_page.items():
        lines.append(f"== {page} ({len(items)})")
        for f in items:
            if limit is not None and n >= limit:
                lines.append(f"... {len(findings) - n} more")
                return lines
            lines.append("   " + f.line())
            n += 1
    return lines


@pytest.fixture(scope="module")
def turkish_runs(turkish_batch):
    """(root, pages, data values) of the session's Turkish batch (``turkish_batch``, tests/conftest.py): the full
    Turkish batch on the tiny shop and the Turkish run without the optional tables (skip notes)."""
    full = turkish_batch.reports
    meta = json.loads(((full / "latest").resolve() / "run.json").read_text())
    assert turkish_batch.code == 0, [(n["name"], n["status"], n.get("error")) for n in meta["notebooks"]]
    values = set()
    for folder in turkish_batch.prepared:
        values |= data_values(folder)
    return full.parent, _pages(full) + _pages(turkish_batch.bare_reports), DataValues(values)


@pytest.mark.slow
def test_every_turkish_page_is_turkish(turkish_runs):
    root, pages, data = turkish_runs
    names = {p.name for p in pages}
    assert {"index.html", "glossary.html", "90_executive_summary.business.html",
            "08_campaigns.business.html"} <= names
    found = _scan(pages, data, root)
    if os.environ.get("ENGLISH_NODES_FILE"):
        Path(os.environ["ENGLISH_NODES_FILE"]).write_text("\n".join(report_lines(found)) + "\n", encoding="utf-8")
    assert not found, (f"{len(found)} English texts on {len({f.page for f in found})} Turkish pages:\n"
                       + "\n".join(report_lines(found, SHOWN)))


# ------------------------------------------------------------------------------ the detector itself

def _figure_html(fig: go.Figure) -> str:
    return pio.to_html(fig, include_plotlyjs=False, full_html=False)


class TestDetector:
    def test_an_english_header_is_caught_and_a_turkish_one_passes(self):
        page = "<table><thead><tr><th>müşteri sayısı</th><th>revenue per customer</th></tr></thead></table>"
        found = english_findings(page, page="p.html")
        assert [(f.where, f.text) for f in found] == [("th", "revenue per customer")]
        assert set(found[0].words) >= {"per"}

    def test_a_product_name_from_the_data_passes(self):
        page = "<table><tr><td>Party Balloons - Good</td><td>Party Balloons - Good (72474)</td></tr></table>"
        assert english_findings(page) != []
        assert english_findings(page, {"Party Balloons - Good"}) == []

    def test_code_scripts_and_proper_nouns_pass(self):
        page = ("<p>Modeller: BG/NBD, Gamma-Gamma ve Kaplan-Meier; <code>churn_risk</code> sütunu, "
                "RFM'in skorları, kanaat (conviction).</p><pre>the raw output</pre><script>var the = 1;</script>"
                "<style>.the{}</style><div class='jp-InputArea-editor'>for x in lines: print(x)</div>")
        assert english_findings(page) == []

    def test_printed_lines_are_checked_one_by_one_but_code_blocks_are_not(self):
        page = ('<div class="jp-OutputArea-output"><pre>Müşteri sayısı: 5\nno customer was found\n</pre></div>'
                '<div class="jp-InputArea-editor"><pre>print("no customer was found")</pre></div><pre>the raw code</pre>')
        assert [(f.where, f.text) for f in english_findings(page)] == [("printed", "no customer was found")]

    def test_the_glossary_name_in_the_other_language_is_allowed_where_shown_on_purpose(self):
        page = '<table><tr><td><strong>yanıt oranı</strong><div class="muted">response rate</div></td></tr></table>'
        assert english_findings(page) != []
        assert english_findings(page, allowed_classes=GLOSSARY_ALLOWED) == []

    def test_an_english_axis_title_is_caught(self):
        fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="müşteriler"))
        fig.update_layout(title="Aylık ciro", xaxis_title="segment", yaxis_title="number of customers")
        found = english_findings(_figure_html(fig))
        assert [(f.where, f.text) for f in found] == [("figure:1:layout.yaxis.title.text", "number of customers")]

    def test_english_months_on_a_turkish_axis_are_caught(self):
        from helpers.plots.base import month_axes

        dates = pd.date_range("2023-01-01", periods=12, freq="MS")
        fig = go.Figure(go.Scatter(x=dates, y=list(range(12))))
        fig.update_layout(title="Aylık müşteriler")
        plain = english_findings(_figure_html(fig))              # plotly's own ticks: Jan 2023 ...
        assert {f.where for f in plain} == {"month-axis:1:xaxis"}
        labelled = go.Figure(fig)
        month_axes(labelled, "tr")
        assert english_findings(_figure_html(labelled)) == []    # Oca 2023 ...
        english = go.Figure(labelled)
        english.update_xaxes(ticktext=["Jan 2023"] + list(labelled.layout.xaxis.ticktext[1:]))
        found = english_findings(_figure_html(english))
        assert [(f.where, f.words) for f in found] == [("figure:1:layout.xaxis.ticktext[0]", ("jan",))]
        assert english_findings("<p>Ocak ile Şubat arasında, 5 Mar ve 3 May</p>") == []
        assert [f.words for f in english_findings("<p>5 February 2023</p>")] == [("february",)]
