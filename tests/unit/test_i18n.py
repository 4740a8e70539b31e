"""Two languages, one glossary: every label used has an entry in both, formats follow the language,
Turkish reports carry no English glossary label, Turkish letters survive HTML and figures."""
from __future__ import annotations

import ast
import json
import re
import warnings
from pathlib import Path

import pytest

from helpers import i18n, paths
from helpers.phrase import Phrase, Share

from helpers.runner import run as report
from helpers.config import load_config, parse_override
from helpers.errors import CRMInputError
from tests.fixtures import TINY

TURKISH = set("çğıİöşüÇĞÖŞÜ")
#: The notebooks whose Turkish business pages are scanned: every numbered notebook that reads the sales lines.
NOTEBOOKS = ("01", "02", "03", "04", "04b", "05", "06", "08", "09", "10", "11", "12", "13", "90")
#: English function words: a text node holding three different ones is an English sentence
ENGLISH_WORDS = frozenset("the and of with without is are from this which than not per were has have".split())
#: English a Turkish page may still show: a model's own fit diagnostics (helpers.models.clv), printed only
#: when a fit fails, as on the tiny shop's short calibration period
ENGLISH_ALLOWED = re.compile(r"did not converge")


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    i18n.set_language("en")


def _t_keys(source: str) -> set[str]:
    """Literal keys of ``term(...)`` / ``lookup(...)`` / ``T(...)`` calls (and their ``i18n.`` forms) in Python source."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            if (isinstance(f, ast.Name) and f.id in ("term", "lookup", "T")) or (
                    isinstance(f, ast.Attribute) and f.attr in ("term", "lookup")):
                keys.add(node.args[0].value)
    return keys


def _package_keys() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for p in sorted((paths.ROOT / "src" / "helpers").rglob("*.py")):
        for k in _t_keys(p.read_text(encoding="utf-8")):
            found.setdefault(k, set()).add(p.name)
    for p in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        for c in json.loads(p.read_text(encoding="utf-8"))["cells"]:
            if c["cell_type"] == "code":
                src = "".join(c["source"])
                src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
                for k in _t_keys(src):
                    found.setdefault(k, set()).add(p.stem)
    return found


class TestGlossary:
    def test_every_label_used_in_code_and_notebooks_has_both_languages(self):
        used = _package_keys()
        assert len(used) > 20                       # the scan finds the calls (plots, report, notebooks)
        missing = i18n.missing_keys(used)
        assert not missing, {k: sorted(used[k]) for k in missing}

    def test_display_mappings_point_at_entries(self):
        from helpers.analyses.actions import ACTION_KEYS, LEVEL_KEYS
        from helpers.models.segments import SEGMENT_KEYS, SEGMENTS

        keys = [*ACTION_KEYS.values(), *LEVEL_KEYS.values(), *SEGMENT_KEYS.values(),
                *[k + "_action" for k in SEGMENT_KEYS.values()], *i18n.GROUPS.values()]
        assert not i18n.missing_keys(keys)
        assert set(SEGMENT_KEYS) == set(SEGMENTS["segment"])
        # the Turkish segment names of the model table are the glossary's
        for seg, tr in zip(SEGMENTS["segment"], SEGMENTS["turkish"]):
            assert i18n.lookup(SEGMENT_KEYS[seg], "tr") == tr

    def test_every_entry_is_complete(self):
        assert i18n.incomplete_entries() == {}

    def test_crm_concepts_are_covered_in_turkish(self):
        tr_names = " | ".join(e["tr"] for e in i18n.glossary().values())
        for term in ("müşteri seçimi", "edinme", "koruma", "derinleştirme", "erişim", "kazanma", "dönüşüm",
                     "elde tutma", "sadakat", "kayıp müşteri analizi", "terk etme", "kaybetme", "kaptırılan müşteri",
                     "elde tutma oranı", "kayıp oranı", "müşteri edinme oranı", "büyüme oranı"):
            assert term in tr_names, term
        kpis = [k for k, e in i18n.glossary().items() if e.get("group") == "kpi"]
        assert {"retention_rate", "churn_rate", "customer_acquisition_rate", "customer_growth_rate"} <= set(kpis)
        assert all(i18n.glossary()[k].get("formula") for k in ("retention_rate", "churn_rate"))

    def test_turkish_labels_differ_from_english_for_terms(self):
        same = [k for k, e in i18n.glossary().items() if e.get("group") in ("activity", "stage", "kpi", "segment", "action")
                and e["en"] == e["tr"]]
        assert same == []


class TestFormats:
    def test_numbers_dates_and_percentages(self):
        import datetime as dt

        assert i18n.fmt_number(1234.56, 2, "en") == "1,234.56"
        assert i18n.fmt_number(1234.56, 2, "tr") == "1.234,56"
        assert i18n.fmt_number(-1234567, 0, "tr") == "-1.234.567"
        assert i18n.fmt_date(dt.date(2011, 12, 31), "tr") == "31.12.2011"
        assert i18n.fmt_date("2011-12-31", "en") == "2011-12-31"
        assert i18n.fmt_percent(0.125, 1, "tr") == "%12,5" and i18n.fmt_percent(0.125, 1, "en") == "12.5 %"
        assert i18n.plotly_separators("tr") == ",." and i18n.plotly_separators("en") == ".,"

    def test_numbers_follow_cldr_in_both_languages(self):
        assert i18n.fmt_number(1234567.891, 2, "en") == "1,234,567.89"
        assert i18n.fmt_number(1234567.891, 2, "tr") == "1.234.567,89"
        assert i18n.fmt_number(-1234.5, 1, "en") == "-1,234.5" and i18n.fmt_number(-1234.5, 1, "tr") == "-1.234,5"
        assert i18n.fmt_number(999.5, 0, "en") == "1,000" and i18n.fmt_number(0.5, 0, "tr") == "0"   # half to even
        assert i18n.fmt_number(2.675, 2, "en") == "2.67"          # the float's exact value, as format() rounds
        assert i18n.fmt_number(12, 3, "tr") == "12,000"
        i18n.set_language("tr")
        assert i18n.fmt_number(1234.5, 2) == "1.234,50"            # the current language by default

    def test_percentages_follow_cldr_in_both_languages(self):
        assert i18n.fmt_percent(0.125, 1, "en") == "12.5 %" and i18n.fmt_percent(0.125, 1, "tr") == "%12,5"
        assert i18n.fmt_percent(12.3456, 2, "en") == "1,234.56 %" and i18n.fmt_percent(12.3456, 2, "tr") == "%1.234,56"
        assert i18n.fmt_percent(-0.125, 1, "en") == "-12.5 %"
        assert i18n.fmt_percent(-0.125, 1, "tr") == "-%12,5"      # CLDR: the minus before the percent sign
        assert i18n.fmt_percent(0.4, 0, "tr") == "%40" and i18n.fmt_percent(0.99999, 1, "en") == "100.0 %"

    def test_money_and_specs_follow_cldr_in_both_languages(self):
        from helpers.plots.base import fmt_money

        assert i18n.fmt_money(1234567.891, "GBP", 0, "en") == "1,234,568 GBP"
        assert i18n.fmt_money(1234567.891, "GBP", 2, "tr") == "1.234.567,89 GBP"
        assert i18n.fmt_money(-1234.5, "EUR", 0, "tr") == "-1.234 EUR"            # half to even
        assert i18n.fmt_money(-0.4, "GBP", 0, "en") == "0 GBP"                     # never -0
        assert fmt_money(1234.4, "GBP") == "1,234 GBP"
        i18n.set_language("tr")
        assert fmt_money(1234.6, "GBP") == "1.235 GBP"
        assert i18n.fmt_spec(0.073, "+.1%") == "+%7,3" and i18n.fmt_spec(-0.5, ".0%") == "-%50"
        assert i18n.fmt_spec(12345.678, ",.1f") == "12.345,7" and i18n.fmt_spec(12345.678, ",.1f", "en") == "12,345.7"

    def test_dates_in_both_languages(self):
        import datetime as dt

        import pandas as pd

        assert i18n.fmt_date(dt.date(2011, 1, 5), "en") == "2011-01-05"
        assert i18n.fmt_date(dt.date(2011, 1, 5), "tr") == "05.01.2011"
        assert i18n.fmt_date(pd.Timestamp("2011-12-31 23:59"), "tr") == "31.12.2011"
        assert i18n.fmt_date(dt.datetime(2011, 12, 31, 8, 26), "en") == "2011-12-31"

    def test_missing_values_are_a_dash(self):
        import pandas as pd

        assert i18n.MISSING == "–"
        for lang in i18n.LANGUAGES:
            assert i18n.fmt_number(None, 2, lang) == i18n.fmt_number(float("nan"), 0, lang) == "–"
            assert i18n.fmt_percent(float("nan"), 1, lang) == i18n.fmt_percent(pd.NA, 1, lang) == "–"
            assert i18n.fmt_money(None, "GBP", 0, lang) == "–"
            assert i18n.fmt_date(None, lang) == i18n.fmt_date(pd.NaT, lang) == "–"

    def test_separators_come_from_cldr(self):
        assert i18n.number_format("tr") == {"decimal": ",", "thousands": "."} and i18n.number_format("en") == {}
        assert i18n.locale("tr") == "tr_TR" and i18n.locale("en") == "en_GB"

    def test_styler_numbers_follow_the_language(self):
        import pandas as pd

        df = pd.DataFrame({"x": [1234.5]})
        i18n.set_language("tr")
        html = df.style.format("{:,.2f}", **i18n.number_format()).to_html()
        assert "1.234,50" in html
        i18n.set_language("en")
        assert "1,234.50" in df.style.format("{:,.2f}", **i18n.number_format()).to_html()

    def test_headline_values_in_turkish(self):
        from helpers.analyses import headlines as summary

        i18n.set_language("tr")
        assert summary.format_value(0.432, "%") == "%43,2"
        assert summary.format_value(12345.6, "GBP") == "12.346 GBP"
        assert summary.format_value(1204, "customers") == "1.204 müşteri"
        i18n.set_language("en")
        assert summary.format_value(1204, "customers") == "1,204 customers"

    def test_labels_and_fields(self):
        i18n.set_language("tr")
        flow = "Active customers per {period}: new + retained + reactivated, and churned"
        assert i18n._(flow, period=i18n.period_name("month")).startswith("Aktif müşteriler (ay başına)")
        assert i18n._(flow, "en", period="month").startswith("Active customers per month")
        assert i18n.label("at risk", "stage_") == "risk altında"
        assert i18n.label("some product") == "some product"          # data values without an entry stay
        with pytest.raises(i18n.MissingLabel, match="no_such_key"):
            i18n.lookup("no_such_key")


class TestDisplay:
    def test_segments_and_actions_translate_at_display_only(self):
        import pandas as pd

        from helpers.analyses.actions import MATRIX, action_label, recommend
        from helpers.models.segments import SEGMENT_ORDER
        from helpers.plots.segments import display_segments, segment_label

        i18n.set_language("tr")
        assert segment_label("Champions") == "Şampiyonlar"
        assert action_label(MATRIX[("high", "high")]) == "elde tutma araması"
        shown = display_segments(pd.DataFrame({"segment": ["At risk"], "action": ["x"]}))
        assert shown.loc[0, "segment"] == "Risk altında" and shown.loc[0, "action"].startswith("Kişisel geri kazanma")
        # the stored keys do not move with the language
        rec = recommend(pd.Series([100.0, 1.0]), pd.Series([0.9, 0.1]))
        assert set(rec["recommended_action"]) <= set(MATRIX.values())
        assert SEGMENT_ORDER[0] == "Champions"

    def test_plot_titles_and_separators_follow_the_language(self):
        import pandas as pd

        from helpers.plots import base
        from helpers.plots import summary as summary_plots

        actions = pd.DataFrame({"customer_id": [1, 2, 3], "clv": [10.0, 20.0, 5.0],
                                "recommended_action": ["retention call", "no contact", "no contact"]})
        i18n.set_language("tr")
        fig = summary_plots.action_counts(actions, "GBP")
        assert fig.layout.title.text == "Önerilen eylem başına müşteriler"
        assert "temas yok" in list(fig.data[0].y)
        bundle = base._OfflineRenderer().to_mimebundle(fig.to_dict())
        assert bundle["application/vnd.plotly.v1+json"]["layout"]["separators"] == ",."

    def test_month_ticks_name_the_months_in_the_language(self):
        from helpers.plots import base

        vals, text = base.date_ticks("2011-01-01", "2011-06-15", "tr")
        assert vals == ["2011-01-01", "2011-02-01", "2011-03-01", "2011-04-01", "2011-05-01", "2011-06-01"]
        assert text == ["Oca 2011", "Şub 2011", "Mar 2011", "Nis 2011", "May 2011", "Haz 2011"]
        assert base.date_ticks("2011-01-01", "2011-06-15", "en")[1][:2] == ["Jan 2011", "Feb 2011"]
        vals, text = base.date_ticks("2010-12-01", "2011-12-09", "tr")      # every other month, 8 at most
        assert text == ["Oca 2011", "Mar 2011", "May 2011", "Tem 2011", "Eyl 2011", "Kas 2011"]
        assert base.date_ticks("2004-03-01", "2011-12-09", "tr")[1] == ["2005", "2006", "2007", "2008", "2009",
                                                                        "2010", "2011"]
        vals, text = base.date_ticks("2011-11-28", "2011-12-09", "tr")      # under two months: days
        assert text == ["28 Kas", "30 Kas", "2 Ara", "4 Ara", "6 Ara", "8 Ara"] and vals[0] == "2011-11-28"
        assert base.date_ticks("2011-12-09 08:00", "2011-12-09 17:00", "tr") == ([], [])

    def test_turkish_figures_get_turkish_month_names_on_date_axes(self):
        import pandas as pd
        import plotly.graph_objects as go

        from helpers.plots import base

        months = pd.date_range("2011-01-01", periods=3, freq="MS")
        fig = go.Figure(go.Scatter(x=months, y=[1, 2, 3]))
        fig.add_bar(x=["a", "b"], y=[1, 2], xaxis="x2", yaxis="y2")              # categories: not a date axis
        i18n.set_language("tr")
        layout = base._OfflineRenderer().to_mimebundle(fig.to_dict())["application/vnd.plotly.v1+json"]["layout"]
        assert layout["xaxis"]["ticktext"] == ["Oca 2011", "Şub 2011", "Mar 2011"]
        assert layout["xaxis"]["tickvals"] == ["2011-01-01", "2011-02-01", "2011-03-01"]
        assert layout["xaxis"]["hoverformat"] == "%d.%m.%Y" and "ticktext" not in layout.get("xaxis2", {})
        assert "ticktext" not in layout.get("yaxis", {})
        # a bar timeline: durations in milliseconds from a date base, on an axis of type date
        timeline = go.Figure(go.Bar(y=["a"], x=[61 * 86_400_000], base=["2011-03-01"], orientation="h"))
        timeline.update_xaxes(type="date")
        assert base.month_axes(timeline).layout.xaxis.ticktext == ("Mar 2011", "Nis 2011", "May 2011")
        # ISO month texts on a heatmap's rows; an axis with its own ticks stays as it is
        heat = go.Figure(go.Heatmap(z=[[1], [2], [3]], x=["0"], y=["2011-01", "2011-02", "2011-03"]))
        assert base.month_axes(heat.to_dict())["layout"]["yaxis"]["ticktext"] == ["Oca 2011", "Şub 2011", "Mar 2011"]
        fig.update_layout(xaxis={"tickvals": ["2011-02-01"], "ticktext": ["x"]})
        assert base.month_axes(fig).layout.xaxis.ticktext == ("x",)
        i18n.set_language("en")                                                  # English keeps plotly's ticks
        layout = base._OfflineRenderer().to_mimebundle(go.Figure(go.Scatter(x=months, y=[1, 2, 3])).to_dict())
        assert "ticktext" not in layout["application/vnd.plotly.v1+json"]["layout"].get("xaxis", {})

    def test_matplotlib_draws_turkish_letters_without_missing_glyphs(self, tmp_path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        i18n.set_language("tr")
        i18n.use_unicode_font()
        fig, ax = plt.subplots()
        ax.set_title("Müşteri kaybı: çığ gibi İşletme ölçüsü ğüşöç")
        ax.set_xlabel("dönem")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(tmp_path / "tr.png")
        plt.close(fig)
        assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
        assert (tmp_path / "tr.png").stat().st_size > 1000


class TestTablesAtDisplay:
    """Module tables keep their English columns and values; the notebooks translate them when shown."""

    def test_table_translates_headers_and_cells_and_keeps_the_stored_frame(self):
        import pandas as pd

        audit = pd.DataFrame({"rule": ["raw total", "kept"], "lines": [1234, 1000], "share_lines": [1.0, 0.81]})
        i18n.set_language("tr")
        html = i18n.table(audit, {"lines": "{:,}", "share_lines": "{:.1%}"}, cells={"rule": "rule_"}).to_html()
        assert "ham toplam" in html and "tutulan" in html and "satır payı" in html and "satırlar" in html
        assert "1.234" in html and "81,0%" in html and "raw total" not in html
        assert list(audit.columns) == ["rule", "lines", "share_lines"] and audit.loc[0, "rule"] == "raw total"
        i18n.set_language("en")
        html = i18n.table(audit, {"lines": "{:,}"}, cells={"rule": "rule_"}).to_html()
        assert "raw total" in html and "1,234" in html and "share of lines" in html

    def test_column_prefers_col_entries_and_falls_back(self):
        i18n.set_language("tr")
        assert i18n.column("unit_price") == "birim fiyat"          # col_unit_price
        assert i18n.column("revenue") == "ciro"                    # plain key
        assert i18n.column("no_such_column") == "no_such_column"   # shown as it is

    def test_describe_names_statistics(self):
        import pandas as pd

        i18n.set_language("tr")
        d = i18n.describe(pd.DataFrame({"frequency": [1.0, 2.0, 3.0]}))
        assert list(d.index) == ["sıklık"] and "ortalama" in d.columns and "medyan" in d.columns
        assert d.loc["sıklık", "ortalama"] == 2.0

    def test_numbers_in_generated_text(self):
        i18n.set_language("tr")
        assert i18n.localize_numbers("1,234 (5.0%)") == "1.234 (%5,0)"
        assert i18n.localize_numbers("2011-12-31 08:26") == "2011-12-31 08:26"    # dates and times untouched

    def test_quoted_names_in_generated_text_stay_as_written(self):
        """A product called "Mug 1.5 L" inside a sentence is data: not re-numbered, whether the sentence is
        localized afterwards or filled from a Phrase."""
        i18n.set_language("tr")
        assert i18n.localize_numbers(i18n.quote("Mug 1.5 L") + " 12.5%") == "“Mug 1.5 L” %12,5"
        p = Phrase("rsn_popular_in", share=Share(0.125), group=i18n.quote("retained 1.5 & <b>"))
        assert i18n.say(p) == "popüler: “retained 1.5 & <b>” içindeki müşterilerin %12,5 oranı aldı (hiçbir kural tetiklenmedi)"


class TestConfigAndReport:
    def test_unknown_language_is_rejected_listing_the_allowed(self):
        with pytest.raises(CRMInputError) as err:
            load_config(TINY, [parse_override("language=de")])
        msg = str(err.value)
        assert "language" in msg and "'en'" in msg and "'tr'" in msg

    def test_set_language_rejects_unknown(self):
        with pytest.raises(ValueError, match="choose one of en, tr"):
            i18n.set_language("fr")

    def test_cells_of_the_other_language_are_dropped(self):
        import nbformat

        cells = [nbformat.v4.new_markdown_cell("# both"),
                 nbformat.v4.new_markdown_cell("English", metadata={"tags": ["lang-en"]}),
                 nbformat.v4.new_markdown_cell("Türkçe", metadata={"tags": ["lang-tr"]}),
                 nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
        assert [c.source for c in report.cells_for_language(cells, "tr")] == ["# both", "Türkçe", "x = 1"]
        assert [c.source for c in report.cells_for_language(cells, "en")] == ["# both", "English", "x = 1"]

    def test_glossary_page_groups_terms(self):
        page = report.glossary_html("tr")
        heads = re.findall(r'<h2 id="group-(\w+)">', page)
        assert heads == ["activity", "stage", "kpi", "segment", "action", "method"]
        assert "kaptırılan müşteri" in page and "1 − retained(t+1) / active(t)" in page
        assert '<html lang="tr">' in page and "Sözlük" in page

    def test_every_notebook_narrative_cell_has_a_translation(self):
        """Every markdown cell of every numbered notebook belongs to one language (an untagged cell would
        show its English in a Turkish report), and there are as many lang-tr cells as lang-en ones."""
        stems = sorted(p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
        assert len(stems) >= 14, stems
        for stem in stems:
            cells = json.loads((paths.NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
            tags = [c.get("metadata", {}).get("tags", []) for c in cells]
            untagged = ["".join(c["source"])[:40] for c, t in zip(cells, tags)
                        if c["cell_type"] == "markdown" and not {"lang-en", "lang-tr"} & set(t)]
            assert not untagged, (stem, untagged)
            n_en = sum("lang-en" in t for t in tags)
            n_tr = sum("lang-tr" in t for t in tags)
            assert n_en >= 1 and n_en == n_tr, (stem, n_en, n_tr)
            tr_text = "".join("".join(c["source"]) for c, t in zip(cells, tags) if "lang-tr" in t)
            assert TURKISH & set(tr_text), stem


def _visible_text(page: str) -> str:
    """Text a reader sees: scripts, styles and tags removed, entities unescaped."""
    import html as _html

    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return _html.unescape(re.sub(r"<[^>]+>", " ", page))


def _english_sentences(page: str) -> list[str]:
    """Text nodes of a page (outside scripts and styles) with three or more different English function
    words: what a Turkish report must not print."""
    from html.parser import HTMLParser

    class Nodes(HTMLParser):
        def __init__(self):
            super().__init__()
            self.skip, self.found = 0, []

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style")

        def handle_data(self, data):
            words = set(re.findall(r"[a-z]+", data))
            if not self.skip and len(words & ENGLISH_WORDS) >= 3 and not ENGLISH_ALLOWED.search(data):
                self.found.append(" ".join(data.split())[:160])

    n = Nodes()
    n.feed(page)
    return n.found


def _english_phrases(stem: str) -> list[str]:
    """English glossary labels of ``stem`` (and of the report pages) that a Turkish page must not show:
    phrases of two or more words that differ from their Turkish label, without format fields."""
    out = []
    for key, e in i18n.glossary().items():
        en, tr = str(e["en"]).strip(), str(e["tr"]).strip()
        if e.get("notebook") not in (stem, "reports") or en == tr or "{" in en or "%{" in en or "<" in en:
            continue
        if len(en.split()) >= 2 and len(en) >= 10:
            out.append(en)
    return out


@pytest.mark.slow
def test_a_turkish_batch_has_no_english_glossary_labels(turkish_batch):
    """`--set language=tr` on the tiny config: every business page, the index and the glossary page are Turkish
    (no English glossary label, no English sentence), and Turkish letters survive in the HTML and in the
    plotly figures' JSON. The session's Turkish batch (``turkish_batch``, tests/conftest.py) runs every notebook;
    the business pages of :data:`NOTEBOOKS` are checked here (00_start_here's is scanned by
    tests/notebooks/test_turkish_pages.py)."""
    code, reports, run = turkish_batch.code, turkish_batch.reports, turkish_batch.run
    assert code == 0
    assert (run / "glossary.html").is_file() and (reports / "glossary.html").is_file()
    assert 'href="glossary.html"' in (run / "index.html").read_text(encoding="utf-8")
    assert "glossary.html" in (reports / "index.html").read_text(encoding="utf-8")
    checked = 0
    for page in sorted(p for p in run.glob("*.business.html") if p.name.split("_")[0] in NOTEBOOKS):
        stem = page.name.split(".")[0]
        raw = page.read_text(encoding="utf-8")
        text = _visible_text(raw)
        assert '<html lang="tr">' in raw
        assert "Adım 1" in text and TURKISH & set(text), stem
        leaked = [p for p in _english_phrases(stem) if re.search(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])", text)]
        assert not leaked, (stem, leaked)
        sentences = _english_sentences(raw)
        assert not sentences, (stem, sentences[:5])
        checked += 1
    assert checked == len(NOTEBOOKS)
    figs = sorted((run / "figures").glob("*.json"))
    assert figs
    titles = []
    for f in figs:
        fig = json.loads(f.read_text(encoding="utf-8"))
        assert fig["layout"].get("separators") == ",."
        titles.append(str(fig["layout"].get("title", {}).get("text", "")))
    joined = " ".join(titles)
    assert TURKISH & set(joined) and "müşteri" in joined.lower()
    for phrase in _english_phrases("02_lifecycle") + _english_phrases("01_data_cleaning"):
        assert phrase not in titles, phrase


def test_the_glossary_is_one_file():
    from helpers import i18n

    files = sorted(p.name for p in i18n.GLOSSARY_DIR.glob("*.yaml"))
    assert files == ["glossary.yaml"], f"the glossary must be one file; found {files}"


def test_say_each_writes_every_phrase_as_say_does_each_distinct_one_once(monkeypatch):
    from helpers.phrase import Number

    phrases = [Phrase("rsn_more_rules", n=n) for n in (2, 3, 2, 2, 3)] + [Phrase("rsn_more_rule", n=1)]
    phrases += [Phrase("rsn_rule", bought="“a”", share=Share(0.5), then="“b”", lift=Number(2.0, d), more="")
                for d in (1, 0, 1)]                                 # the same lift, written with other decimals
    expected = [i18n.say(p, "tr") for p in phrases]
    calls = []
    real = i18n.say
    monkeypatch.setattr(i18n, "say", lambda p, language=None: (calls.append(p), real(p, language))[1])
    assert i18n.say_each(phrases, "tr") == expected
    assert len(calls) == 5                  # n=2, n=3, the single rule, and the lift with 1 and with 0 decimals
