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

from helpers.runner import run as report
from helpers.config import load_config, parse_override
from helpers.errors import CRMInputError
from tests.fixtures import TINY

TURKISH = set("çğıİöşüÇĞÖŞÜ")
#: The notebooks the Turkish batch runs and scans: every numbered notebook that reads the sales lines.
NOTEBOOKS = ("01", "02", "03", "04", "05", "06", "08", "09", "10", "11", "12", "13", "90")
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
    """Literal first arguments of ``t(...)`` / ``i18n.t(...)`` / ``T(...)`` calls in Python source."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            if (isinstance(f, ast.Name) and f.id in ("t", "T")) or (isinstance(f, ast.Attribute) and f.attr == "t"):
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
        assert len(used) > 200                      # the scan finds the calls (plots, report, notebooks)
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
            assert i18n.t(SEGMENT_KEYS[seg], "tr") == tr

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
        assert i18n.t("lc_flow_title", period=i18n.period_name("month")).startswith("Aktif müşteriler (ay başına)")
        assert i18n.t("lc_flow_title", "en", period="month").startswith("Active customers per month")
        assert i18n.label("at risk", "stage_") == "risk altında"
        assert i18n.label("some product") == "some product"          # data values without an entry stay
        with pytest.raises(i18n.MissingLabel, match="no_such_key"):
            i18n.t("no_such_key")


class TestDisplay:
    def test_segments_and_actions_translate_at_display_only(self):
        import pandas as pd

        from helpers.analyses.actions import MATRIX, action_label, recommend
        from helpers.models.segments import SEGMENT_ORDER, display_segments, segment_label

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

    def test_numbers_and_phrases_in_generated_text(self):
        i18n.set_language("tr")
        assert i18n.localize_numbers("1,234 (5.0%)") == "1.234 (%5,0)"
        assert i18n.localize_numbers("2011-12-31 08:26") == "2011-12-31 08:26"    # dates and times untouched
        got = i18n.translate_phrases("retained 40 / active in 2011-10 1,052", "kxw_")
        assert got == "elde tutulan 40 / aktif: 2011-10 1.052"
        assert i18n.translate_phrases("retained 40", "kxw_", "en") == "retained 40"

    def test_quoted_names_in_generated_text_stay_as_written(self):
        """A product called "retained 1.5" inside a sentence is data: neither translated nor re-numbered."""
        i18n.set_language("tr")
        text = f"retained 1.5 / {i18n.quote('retained 1.5 & <b>')} 2.5"
        assert i18n.translate_phrases(text, "kxw_") == "elde tutulan 1,5 / “retained 1.5 & <b>” 2,5"
        assert i18n.localize_numbers(i18n.quote("Mug 1.5 L") + " 12.5%") == "“Mug 1.5 L” %12,5"


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
        assert heads[:4] == ["activity", "stage", "kpi", "segment"] and heads[-1] == "label"
        assert "kaptırılan müşteri" in page and "1 − retained(t+1) / active(t)" in page
        assert '<html lang="tr">' in page and "Sözlük" in page

    def test_every_notebook_narrative_cell_has_a_translation(self):
        """Every markdown cell of every numbered notebook belongs to one language (an untagged cell would
        show its English in a Turkish report), and there are as many lang-tr cells as lang-en ones."""
        stems = sorted(p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
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
def test_a_turkish_batch_has_no_english_glossary_labels(tmp_path):
    """`--set language=tr` on the tiny config: every business page, the index and the glossary page are Turkish
    (no English glossary label, no English sentence), and Turkish letters survive in the HTML and in the
    plotly figures' JSON."""
    code = report.main(["--config", str(TINY), "--set", "language=tr", "--reports-dir", str(tmp_path),
                        "--no-progress", "--force", "--notebooks", *NOTEBOOKS])
    assert code == 0
    run = (tmp_path / "latest").resolve()
    assert (run / "glossary.html").is_file() and (tmp_path / "glossary.html").is_file()
    assert 'href="glossary.html"' in (run / "index.html").read_text(encoding="utf-8")
    assert "glossary.html" in (tmp_path / "index.html").read_text(encoding="utf-8")
    checked = 0
    for page in sorted(run.glob("*.business.html")):
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
