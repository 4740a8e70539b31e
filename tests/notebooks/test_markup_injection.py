"""User text is data, never markup: tables, figures and pages show product names, customer ids and
comments as text, whatever characters they hold.

The full batch with payloads in every text column of the shop runs in ``tests/notebooks/test_batch_full.py``
(its customer ids are masked there, so they never reach a page). Here: the table and figure helpers
one by one, the page checks themselves (they must be able to fail), and one small run whose customer
ids carry the payloads with masking off.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import plotly.io as pio
import pytest

from helpers import i18n, plots

from helpers.runner import run as report

from helpers.io import synth
from helpers.config import SyntheticConfig
from helpers.plots import baskets as baskets_plots
from helpers.plots import campaigns as campaign_plots
from helpers.plots import lifecycle as lifecycle_plots
from helpers.plots import voice as voice_plots

from tests.fixtures.batches import build_once
from tests.fixtures.markup import (LIVE_TAGS, PAYLOADS, chromium_available, live_markup, live_markup_in_figures, open_offline,
                                   plotly_bundle, poison)

NEEDS_CHROMIUM = pytest.mark.skipif(not chromium_available(),
                                    reason="Chromium is absent (Debian package `chromium`; .ci/run installs it)")
EVIL = "".join(PAYLOADS)


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def figure_texts(fig) -> list[str]:
    """Every text of a figure as plotly.js receives it (decoded from the JSON)."""
    out = []

    def walk(o):
        if isinstance(o, str):
            out.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads(pio.to_json(fig)))
    return out


def live(texts) -> list[str]:
    return sorted({m for s in texts for m in LIVE_TAGS.findall(s)})


class TestTables:
    def frame(self):
        df = pd.DataFrame({"name": [EVIL, "Fish & Chips"], "amount": [1234.5, 2.0], EVIL: ["a", "b"]},
                          index=pd.Index([EVIL, "plain"], name=EVIL))
        df.columns.name = EVIL
        return df

    def test_table_escapes_cells_labels_names_and_caption(self):
        html = (i18n.table(self.frame(), {"amount": "{:,.2f}"}).format("{}", subset=[i18n.column("name")])  # escapes too
                .relabel_index([EVIL, "row"], axis=0).set_caption(EVIL).to_html())
        assert live([html]) == []
        assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6   # cell, column, index, 2 names, caption
        assert "Fish &amp; Chips" in html and "1,234.50" in html           # ordinary text and numbers as before

    def test_the_check_finds_what_pandas_leaves_live(self):
        assert live([self.frame().style.to_html()]) != []

    def test_every_dataframe_style_of_a_notebook_escapes(self):
        renderer, template = pio.renderers.default, pio.templates.default
        plots.setup_notebook()
        try:
            html = self.frame().style.format({"amount": "{:.1f}"}).set_caption(EVIL).to_html()
            assert isinstance(self.frame().style, i18n.EscapedStyler)
        finally:
            i18n.escape_every_styler(False)
            pio.renderers.default, pio.templates.default = renderer, template
        assert live([html]) == [] and "&lt;img src=x onerror=alert(2)&gt;" in html
        assert not isinstance(self.frame().style, i18n.EscapedStyler)

    def test_turkish_numbers_still_formatted(self):
        i18n.set_language("tr")
        html = i18n.table(self.frame(), {"amount": "{:,.2f}"}).to_html()
        assert "1.234,50" in html and live([html]) == []

    def test_offers_and_rules_tables(self):
        offers = pd.DataFrame({"customer_id": [EVIL], "rank": [1], "name": [EVIL], "score": [0.5],
                               "expected_value": [1.0], "ev_rank": [1], "reason": [f"bought {EVIL} -> 50%"]})
        rules = pd.DataFrame({"if_bought": [EVIL], "then_offer": [EVIL], "support": [0.1], "confidence": [0.5],
                              "lift": [2.0], "leverage": [0.01], "conviction": [1.5], "count": [4]})
        for sty in (baskets_plots.offers_table(offers, "GBP", caption=EVIL), baskets_plots.rules_table(rules)):
            html = sty.to_html()
            assert live([html]) == [] and "&lt;script&gt;" in html


class TestFigures:
    """plotly draws <b>, <a href>, <br> ... in its texts; the recipes hand it the data as text."""

    def test_basket_figures(self):
        rules = pd.DataFrame({"if_bought": [EVIL], "then_offer": [EVIL + "x"], "support": [0.1],
                              "confidence": [0.5], "lift": [2.0]})
        ladder = pd.DataFrame({"category": [EVIL, EVIL], "price": [1.0, 2.0], "name": [EVIL, "b"],
                               "tier": [0, 1], "tier_name": ["good", "better"]})
        mix = pd.DataFrame({"category": [EVIL], "spend": [10.0], "share_t0": [0.4], "share_t1": [0.6]})
        by_cat = pd.DataFrame({"category": [EVIL], "gain_one_up": [12.0], "customers": [3]})
        offers = pd.DataFrame({"source": ["rule"], "score": [0.4], "expected_value": [2.0], "name": [EVIL]})
        matrix = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["a", "b"], columns=["a", "b"])
        figs = [baskets_plots.support_confidence_scatter(rules),
                baskets_plots.pair_heatmap(matrix, {"a": EVIL, "b": "plain"}, title="t"),
                baskets_plots.price_ladder_box(ladder, "GBP"), baskets_plots.tier_mix_bars(mix, ["good", "better"]),
                baskets_plots.tier_up_bars(by_cat, "GBP", min_orders=3), baskets_plots.offers_ev_scatter(offers, "GBP")]
        for fig in figs:
            texts = figure_texts(fig)
            assert live(texts) == [], fig.layout.title.text
            assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in s for s in texts), fig.layout.title.text

    def test_breakdowns_campaigns_and_terms(self):
        table = pd.DataFrame({"country": [EVIL, "UK"], "repeat_rate": [0.1, 0.2], "at_risk_share": [0.1, 0.1],
                              "lost_share": [0.2, 0.3]})
        windows = pd.DataFrame({"campaign_id": [EVIL], "campaign_type": [EVIL], "window_start": [pd.Timestamp("2024-01-01")],
                                "window_end": [pd.Timestamp("2024-01-10")], "reached": [5]})
        terms = pd.DataFrame({"term": [EVIL, "late"], "share": [0.2, 0.1], "reviews": [3, 2]})
        figs = [lifecycle_plots.breakdown_bars(table, "country"), campaign_plots.timeline(windows),
                voice_plots.top_terms(terms, terms), plots.share_bars(
                    pd.DataFrame({"channel": [EVIL], "revenue": [1.0], "share_revenue": [1.0]}), "channel", "GBP")]
        for fig in figs:
            texts = figure_texts(fig)
            assert live(texts) == [] and any("&lt;a href" in s for s in texts), fig.layout.title.text

    def test_the_notebook_renderer_keeps_only_the_projects_tags(self):
        """A label that missed ``plain`` (raw data in a legend) is neutralised when the notebook shows it."""
        import plotly.graph_objects as go
        from helpers.plots.base import _OfflineRenderer

        fig = go.Figure(go.Scatter(x=[1], y=[2], name=f"{EVIL} (12 customers)", hovertemplate="%{x}<br>%{y}<extra></extra>"))
        fig.update_layout(title="Title<br><sup>sub</sup>")
        sent = _OfflineRenderer.plotlyjs_sent
        _OfflineRenderer.plotlyjs_sent = True                 # no 4.8 MB of plotly.js in the bundle
        try:
            bundle = _OfflineRenderer().to_mimebundle(fig.to_dict())
        finally:
            _OfflineRenderer.plotlyjs_sent = sent
        texts = figure_texts(go.Figure(bundle["application/vnd.plotly.v1+json"]))
        assert live(texts) == [] and live([bundle["text/html"].replace("\\u003c", "<")]) == []
        assert "Title<br><sup>sub</sup>" in texts and "%{x}<br>%{y}<extra></extra>" in texts
        assert live([fig.layout.title.text, fig.data[0].name]) != []     # the figure itself is left as it was

    @NEEDS_CHROMIUM
    def test_plotly_shows_the_escaped_text_as_written(self, tmp_path):
        name = '<b>x</b><a href="https://example.invalid/">y</a>'
        page = tmp_path / "figure.html"
        fig = baskets_plots.tier_up_bars(pd.DataFrame({"category": [name], "gain_one_up": [12.0], "customers": [3]}),
                                         "GBP", min_orders=3)
        page.write_text(pio.to_html(fig, include_plotlyjs=True, full_html=True), encoding="utf-8")
        ticks = """[Array.from(document.querySelectorAll('.ytick text')).map(e => e.textContent),
                    document.querySelectorAll('svg a, .ytick tspan[style*="bold"]').length]"""
        result = open_offline([page], script=ticks)[str(page)]
        assert result["script"] == [[name], 0]       # the label as written: no bold, no link
        assert result["dialogs"] == [] and result["blocked"] == []


class TestPageCheck:
    """The page checks can fail: a page that runs the payloads is caught."""

    def test_source_check(self, tmp_path):
        (tmp_path / "bad.html").write_text(f"<p>{PAYLOADS[1]}</p>", encoding="utf-8")
        (tmp_path / "good.html").write_text("<p>&lt;img src=x onerror=alert(2)&gt;</p>", encoding="utf-8")
        assert list(live_markup(tmp_path)) == ["bad.html"]

    @NEEDS_CHROMIUM
    def test_dialogs_links_and_network_are_seen(self, tmp_path):
        bad, good = tmp_path / "bad.html", tmp_path / "good.html"
        bad.write_text(f"<p>{EVIL}</p><script>fetch('https://example.invalid/x').catch(() => 0)</script>",
                       encoding="utf-8")
        good.write_text("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", encoding="utf-8")
        seen = open_offline([bad, good])
        assert sorted(seen[str(bad)]["dialogs"]) == ["1", "2", "3"]
        assert seen[str(bad)]["blocked"] == ["https://example.invalid/x"] and len(seen[str(bad)]["script"]) == 1
        assert seen[str(good)] == {"dialogs": [], "blocked": [], "text": PAYLOADS[0], "script": []}

    @NEEDS_CHROMIUM
    def test_a_page_carrying_plotly_inline_is_drawn_and_its_payloads_still_fire(self, tmp_path):
        """open_offline serves a page's inline plotly.js from the plotly package's identical file: the library
        comes from that file, the figure is drawn, and the page's own payloads raise their dialogs as before."""
        bundle = plotly_bundle().read_text(encoding="utf-8")
        page = tmp_path / "figure.html"
        page.write_text(f"<html><body><p>{EVIL}</p><div id='g'></div><script>{bundle}</script>"
                        "<script>Plotly.newPlot('g', [{type: 'bar', x: ['a'], y: [1]}]);</script></body></html>",
                        encoding="utf-8")
        probe = """[Array.from(document.scripts).filter(s => s.src).map(s => s.src.split('/').pop()),
                    document.querySelectorAll('#g .main-svg').length > 0]"""
        seen = open_offline([page], script=probe)[str(page)]
        assert seen["script"] == [["plotly.min.js"], True]
        assert sorted(seen["dialogs"]) == ["1", "2", "3"] and seen["blocked"] == []


def _raw_id_run(folder: Path) -> dict:
    """The tiny shop with the payloads in every customer id and masking off, through the notebooks that
    show customer ids and build on each other's: 01 (example lines), 06 (offers, tier-up candidates) and
    90 (the customer action table). 04 and 05 also list customers, through the same ``i18n.table`` as 01
    and 90; leaving them out keeps this run to about a minute (they fit models for another three)."""
    src = synth.ensure_synthetic(SyntheticConfig(customers=300, days=365, seed=7), progress=False)
    lines = pd.read_parquet(src / "lines.parquet")
    lines["customer_id"] = poison(lines["customer_id"])
    lines.drop(columns=["line_id"]).to_parquet(folder / "sales.parquet", index=False)
    cols = {c: c for c in ("invoice", "invoice_ts", "customer_id", "product_id", "description", "category",
                           "quantity", "unit_price", "amount", "country", "channel")}
    cfg = folder / "raw_ids.yaml"
    cfg.write_text("name: raw_ids\ndata:\n  source: file\n  path: " + str(folder / "sales.parquet") +
                   "\n  currency: GBP\n  columns: " + json.dumps(cols) +
                   "\nanalysis: {period: month, time_unit: W}\noutput: {mask_customer_ids: false}\n", encoding="utf-8")
    out = folder / "reports"
    code = report.main(["--config", str(cfg), "--reports-dir", str(out), "--no-progress",
                        "--notebooks", "01", "06", "90"])
    return {"code": code, "run": str((out / "latest").resolve())}


@pytest.fixture(scope="session")
def id_run(tmp_path_factory):
    """(exit code, run folder) of :func:`_raw_id_run`, run once per test session (whichever xdist worker asks first)."""
    r = build_once(tmp_path_factory, "raw_ids", _raw_id_run)
    return r["code"], Path(r["run"])


@pytest.mark.slow
class TestRawCustomerIds:
    def test_the_pages_show_the_ids_as_text(self, id_run):
        code, run = id_run
        assert code == 0
        pages = {p.name for p in run.glob("*.html")}
        assert {"01_data_cleaning.html", "06_cross_up_sell.html", "90_executive_summary.html"} <= pages
        assert live_markup(run) == {} and live_markup_in_figures(run) == {}
        for name in ("01_data_cleaning", "06_cross_up_sell", "90_executive_summary"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (run / f"{name}.business.html").read_text(encoding="utf-8")

    @NEEDS_CHROMIUM
    def test_no_page_raises_a_dialog(self, id_run):
        _, run = id_run
        seen = open_offline(sorted(run.glob("*.html")))
        assert {p: r["dialogs"] for p, r in seen.items() if r["dialogs"]} == {}
        assert {p: r["script"] for p, r in seen.items() if r["script"]} == {}
        shown = seen[str(run / "06_cross_up_sell.business.html")]["text"]
        assert all(p in shown for p in PAYLOADS)
