"""Long customer tables as interactive tables in the pages: search, sort, paging, and a download of the shown rows.

:func:`install` (called by :func:`helpers.plots.base.setup_notebook`) makes every table a notebook displays
(a frame, or a Styler from :func:`helpers.i18n.table`) with a customer id column and at least :data:`LONG`
rows render through ITables (DataTables): nothing for the notebooks to change, shorter tables stay plain.
The cells are the texts the Styler writes (numbers in the report language, text escaped), so the
interactive table shows what the plain one would. Everything is embedded: the first interactive table of a
notebook carries the DataTables bundle (``connected=False``), the page loads nothing from the network, and
plotly's figures are untouched. :func:`searchable` renders one table this way on request (any length).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd

from helpers import i18n
from helpers.i18n import _

#: Rows from which a displayed customer table becomes interactive.
LONG = 25
#: Rows above which a displayed table stays plain (pandas shows its first and last rows): a page carries at most
#: this many rows of one interactive table.
MOST = 10_000


def buttons() -> list:
    """DataTables' buttons: rows per page, and a CSV download of the rows shown (search and sort applied)."""
    return [{"extend": "pageLength", "text": _("Rows per page")},
            {"extend": "csvHtml5", "text": _("Download CSV"), "exportOptions": {"modifier": {"search": "applied", "order": "applied"}}}]


_STATE = {"bundle_sent": False}


def available() -> bool:
    """Whether ITables is installed (it is a project dependency; without it every table stays plain)."""
    try:
        import itables  # noqa: F401
    except ImportError:
        return False
    return True


def _customer_columns() -> set[str]:
    return {"customer_id", i18n.column("customer_id")}


def shown_frame(table) -> pd.DataFrame:
    """The cells of a frame or Styler as the page writes them: text, formatted and escaped as the Styler does."""
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True).astype(object).where(table.notna().reset_index(drop=True), "")
    fast = _translated_cells(table)
    if fast is not None:
        return fast
    cells = _Cells()
    cells.feed(table.to_html())
    body = [r for part, r in cells.rows if part == "tbody"]
    width = max((len(r) for r in body), default=0)
    heads = [r[-width:] if width else r for part, r in cells.rows if part == "thead" and len(r) >= width]
    names = [" ".join(dict.fromkeys(h[i] for h in heads if h[i])) or f"column {i + 1}" for i in range(width)]
    return pd.DataFrame([r + [""] * (width - len(r)) for r in body], columns=pd.Index(names).astype(str))


def _translated_cells(styler) -> pd.DataFrame | None:
    """The cells :func:`shown_frame` reads from ``to_html``, taken from the Styler's own rendering data
    (``Styler._translate``, what its HTML template writes) without writing and parsing the HTML: 5x faster on
    10,000 rows. None when the table is not a plain one (several header rows, spanning cells) or pandas' private
    layout is not the expected one; the caller then parses the HTML."""
    import html as html_lib

    try:
        d = styler._translate(False, False)
        heads = [[c for c in row if c.get("is_visible", True)] for row in d["head"]]
        if len(heads) != 1 or any("colspan" in str(c.get("attributes", "")) for c in heads[0]):
            return None
        body = [[" ".join(html_lib.unescape(str(c["display_value"])).split()) for c in row if c.get("is_visible", True)]
                for row in d["body"]]
        names = [" ".join(html_lib.unescape(str(c["display_value"])).split()) for c in heads[0]]
    except (AttributeError, KeyError, TypeError):
        return None
    if any(len(r) != len(names) for r in body) or any(not n for n in names):
        return None
    return pd.DataFrame(body, columns=pd.Index(names).astype(str))


class _Cells(HTMLParser):
    """The text of each row of an HTML table (``thead`` or ``tbody``), entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, list[str]]] = []
        self.part, self.cell = "tbody", None

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody"):
            self.part = tag
        elif tag == "tr":
            self.rows.append((self.part, []))
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1][1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def is_long_customer_table(table) -> bool:
    data = table if isinstance(table, pd.DataFrame) else getattr(table, "data", None)
    return (isinstance(data, pd.DataFrame) and LONG <= len(data) <= MOST
            and bool(_customer_columns() & {str(c) for c in data.columns}))


def searchable(table, caption: str | None = None) -> str:
    """``table`` (a frame or Styler) as an interactive table's HTML, with the DataTables bundle the first time."""
    from itables import to_html_datatable
    from itables.javascript import generate_init_offline_itables_html
    from itables.options import dt_bundle

    if caption is None and not isinstance(table, pd.DataFrame):
        caption = getattr(table, "caption", None)
    frame = shown_frame(table)
    body = to_html_datatable(frame, caption=caption, connected=False, buttons=buttons(), showIndex=False,
                             classes="display compact", maxBytes=0, display_logo_when_loading=False,
                             lengthMenu=[10, 25, 100, -1], pageLength=10, scrollX=True, language=words())
    if not _STATE["bundle_sent"]:
        _STATE["bundle_sent"] = True
        body = generate_init_offline_itables_html(dt_bundle) + body
    return offline(body)


def offline(page: str) -> str:
    """ITables' HTML without its links to itables.org (help texts for a reader without JavaScript): nothing
    in a page points outside it."""
    page = re.sub(r"<noscript>.*?</noscript>", "", page, flags=re.S)
    page = re.sub(r"""<a href=["']?https?://[^>]*>(.*?)</a>""", r"\1", page, flags=re.S)
    # ITables' own English (its loading placeholder, its fallback's row count), in the report language
    page = re.sub(r"Loading ITables v[\d.]+ from the <code>init_notebook_mode</code> cell\.\.\.\s*\(need help\?\)",
                  lambda m: _("Loading the table..."), page)
    return re.sub(r"\(([\d,.\s]+) more rows not shown\)",
                  lambda m: _("({n} more rows not shown)", n=i18n.fmt_number(int(re.sub(r"\D", "", m.group(1))))), page)


def words() -> dict:
    """DataTables' own words (search box, row counts, empty results) in the report language."""
    return {"search": _("Search:"), "info": _("Rows _START_ to _END_ of _TOTAL_"),
            "infoEmpty": _("No rows"), "infoFiltered": _("(found among _MAX_ rows)"),
            "zeroRecords": _("No row matches the search"), "emptyTable": _("No rows")}


class Searchable:
    """A table shown as an interactive table (:func:`searchable`) by Jupyter and nbconvert."""

    def __init__(self, table, caption: str | None = None):
        self.table, self.caption = table, caption

    def _repr_html_(self) -> str:
        return searchable(self.table, self.caption) if available() else _plain_html(self.table)


def _plain_html(table) -> str:
    return table._repr_html_()


def _html(table) -> str:
    return searchable(table) if is_long_customer_table(table) else _plain_html(table)


def install() -> bool:
    """Render long customer tables interactively in this IPython session (no-op outside IPython or without ITables)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not available():
        return False
    from pandas.io.formats.style import Styler

    html_formatter = shell.display_formatter.formatters["text/html"]
    html_formatter.for_type(pd.DataFrame, _html)
    html_formatter.for_type(Styler, _html)
    return True
