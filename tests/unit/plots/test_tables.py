"""Long customer tables render as interactive tables with the DataTables bundle embedded (no network), the cells
as the Styler writes them; short or id-less tables stay plain; IPython's formatters pick them up."""
from __future__ import annotations

import re

import pandas as pd

from helpers import i18n
from helpers.plots import tables


def _customers(n):
    return pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(n)], "clv": [i * 1.25 for i in range(n)],
                         "note": ["<b>bold</b> & co"] * n})


def test_the_cells_are_the_texts_the_styler_writes():
    styled = i18n.table(_customers(30), precision=1).hide(axis="index")
    frame = tables.shown_frame(styled)
    assert frame.shape == (30, 3) and frame.columns.tolist() == [i18n.column(c) for c in ("customer_id", "clv", "note")]
    assert frame.iloc[3].tolist() == ["C003", "3.8", "<b>bold</b> & co"]         # 3.75 at one decimal: as shown


def test_the_fast_reading_equals_the_written_html_in_both_languages(monkeypatch):
    """shown_frame reads the Styler's rendering data instead of its HTML (5x faster on 10,000 rows): the same cells,
    Turkish numbers, escaped markup and missing values included; a table with a visible index falls back to the HTML."""
    frame = _customers(40).assign(share=[None if i % 7 == 0 else i / 3 for i in range(40)])
    for lang, three in (("en", "1.00"), ("tr", "1,00")):
        monkeypatch.setattr(i18n, "_current", lang)
        styled = i18n.table(frame, precision=2, na_rep="").hide(axis="index")
        fast = tables.shown_frame(styled)
        with monkeypatch.context() as m:
            m.setattr(tables, "_translated_cells", lambda s: None)
            slow = tables.shown_frame(styled)
        assert fast.equals(slow) and fast.columns.tolist() == slow.columns.tolist(), lang
        assert fast.iloc[3, -1] == three and fast.iloc[0, -1] == "" and fast.iloc[0, 2] == "<b>bold</b> & co"
    assert tables._translated_cells(i18n.table(frame)) is None          # index shown: the HTML path decides


def test_only_long_customer_tables_become_interactive():
    assert tables.is_long_customer_table(_customers(tables.LONG))
    assert tables.is_long_customer_table(i18n.table(_customers(tables.LONG)))    # header translated
    assert not tables.is_long_customer_table(_customers(tables.LONG - 1))
    assert tables.is_long_customer_table(_customers(tables.MOST)) and not tables.is_long_customer_table(_customers(tables.MOST + 1))
    assert not tables.is_long_customer_table(_customers(40).drop(columns="customer_id"))


def test_searchable_embeds_the_bundle_once_and_loads_nothing_from_the_network(monkeypatch):
    monkeypatch.setitem(tables._STATE, "bundle_sent", False)
    first = tables.searchable(i18n.table(_customers(30)).hide(axis="index"), "Customers")
    second = tables.searchable(_customers(30))
    assert len(first) > 500_000 > len(second)                                    # the bundle (base64) goes once
    for page in (first, second):
        assert not re.search(r"""(src|href)=["']?https?://""", page) and "import {" not in page
        assert '"csvHtml5"' in page and '"search": "applied"' in page and '"pageLength"' in page
    assert "C029" in second and '"caption": "Customers"' in first
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in second and "<b>bold</b>" not in second    # data is text, not markup


def test_install_registers_the_formatters_in_an_ipython_shell(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setitem(tables._STATE, "bundle_sent", True)
    assert tables.install()
    html_of = shell.display_formatter.formatters["text/html"]
    try:
        assert "new ITable" in html_of(_customers(30)) and "new ITable" in html_of(i18n.table(_customers(30)))
        assert "new ITable" not in html_of(_customers(5)) and "C004" in html_of(_customers(5))
    finally:                                           # leave the shared shell as it was for other tests
        from pandas.io.formats.style import Styler

        html_of.pop(pd.DataFrame)
        html_of.pop(Styler)


def test_the_controls_speak_the_report_language(monkeypatch):
    monkeypatch.setitem(tables._STATE, "bundle_sent", True)
    i18n.set_language("tr")
    try:
        page = tables.searchable(_customers(30))
    finally:
        i18n.set_language("en")
    assert f'"search": "{i18n._("Search:", "tr")}"' in page and i18n._("Download CSV", "tr") in page
    assert i18n._("Search:", "tr") != "Search:" and '"search": "Search:"' in tables.searchable(_customers(30))


def test_itables_own_english_is_written_in_the_report_language():
    page = ('<td>\n        Loading ITables v2.9.1 from the <code>init_notebook_mode</code> cell...\n        (need help?)\n'
            '      </td><td>caption<br/>(4,990 more rows not shown)</td>')
    i18n.set_language("tr")
    try:
        out = tables.offline(page)
    finally:
        i18n.set_language("en")
    assert "Loading ITables" not in out and "need help" not in out and "more rows" not in out
    assert "Tablo yükleniyor..." in out and "(gösterilmeyen 4.990 satır daha)" in out
