"""The reports' words and sentences in the report language, by GNU gettext through Babel.

Every string a reader sees is written in English where the code shows it, and wrapped:

* ``_("customers at risk")``: translated now; ``_("{n} customers", n=…)`` fills ``{name}`` fields
  *after* translating, so a translation may move them (Turkish word order differs);
* ``ngettext("{n} month", "{n} months", n)``: the form for ``n`` (``n`` is filled too);
* ``pgettext("table column", "share")``: the same English with a different meaning elsewhere;
* ``N_("share of lines")`` / ``NP_(context, text)``: marked for the catalogue but translated later
  (tables of labels keyed by a data value: a column name, a rule, a stage).

The Turkish catalogue is ``helpers/locale/tr/LC_MESSAGES/messages.po``, read by Babel when first needed
(no compiled ``.mo`` file to keep in step). Keeping it up to date, after changing a wrapped string::

    make catalog        # pybabel extract + update: new strings appear in the .po with an empty msgstr

then translate the new entries. ``tests/unit/i18n/test_catalog.py`` fails while a wrapped string has no
Turkish, a Turkish entry is no longer used, or a translation drops a ``{field}``; ``extract`` below is what
it and ``make catalog`` read the code with (Python modules and the notebooks' code cells).
"""
from __future__ import annotations

import ast
import gettext as _gettext
import io
import json
from functools import lru_cache
from pathlib import Path

from babel.messages.extract import extract as babel_extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
#: The wrapping functions Babel looks for, with where their message is (as ``pybabel extract -k``).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None,
            "NP_": ((1, "c"), 2)}


def po_path(language: str) -> Path:
    """The catalogue file of ``language`` (``tr`` -> ``helpers/locale/tr/LC_MESSAGES/messages.po``)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> _gettext.NullTranslations:
    """The translations of ``language``; English (the source language) is the identity."""
    path = po_path(language)
    if language == "en" or not path.exists():
        if language != "en":
            raise FileNotFoundError(f"no catalogue for language '{language}': {path}")
        return _gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def fill(text: str, fields: dict) -> str:
    """``text`` with its ``{name}`` fields filled (``text`` unchanged when there are none)."""
    return text.format(**fields) if fields else text


def translate(language: str, message: str, /, **fields) -> str:
    """``message`` in ``language``, fields filled after translating."""
    return fill(translations(language).gettext(message), fields)


def translate_plural(language: str, singular: str, plural: str, n, /, **fields) -> str:
    """The form of ``singular``/``plural`` for ``n`` in ``language``; ``{n}`` filled with ``n`` unless the fields
    give it written (``n="1,234"``)."""
    return fill(translations(language).ngettext(singular, plural, int(n)), {"n": n, **fields})


def translate_in_context(language: str, context: str, message: str, /, **fields) -> str:
    """``message`` with the meaning ``context`` in ``language``, fields filled after translating."""
    return fill(translations(language).pgettext(context, message), fields)


def is_translated(language: str, marked) -> bool:
    """Whether the catalogue of ``language`` has a translation of ``marked`` (a string or ``(context,
    string)``); English always has."""
    if language == "en":
        return True
    context, message = marked if isinstance(marked, tuple) else (None, marked)
    return bool(_entries(language).get((context, message)))


@lru_cache(maxsize=None)
def _entries(language: str) -> dict[tuple[str | None, str], str]:
    with po_path(language).open("rb") as f:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string
                for m in read_po(f, locale=language, domain=DOMAIN) if m.id and not m.fuzzy}


def N_(message: str) -> str:
    """``message`` marked for the catalogue and left in English: translated where it is shown."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """``message`` with its meaning ``context``, marked for the catalogue and translated where it is shown."""
    return context, message


def extract_python_ast(fileobj, keywords, comment_tags, options):
    """A Babel extraction method reading Python with :mod:`ast`, so that it also finds the messages wrapped
    inside f-string fields (``f"<th>{_('computed in')}</th>"``), which Babel's tokenizer does not see on
    Python 3.11. Yields ``(lineno, funcname, messages, comments)`` as Babel's own methods do."""
    source = fileobj.read()
    yield from _calls(source.decode("utf-8") if isinstance(source, bytes) else source, keywords, 0)


def extract_notebook(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for ``.ipynb`` files: the messages wrapped in their code cells; the line
    number is the cell's number (from 1) times 1000 plus the line in the cell."""
    nb = json.load(fileobj)
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for i, cell in enumerate(cells, start=1):
        code = "".join(cell.get("source", []))
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
        yield from _calls(code, keywords, 1000 * i)


def _calls(source: str, keywords, offset: int):
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in keywords or not node.args:
            continue
        messages = tuple(a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                         for a in node.args)
        yield offset + node.lineno, name, messages if len(messages) > 1 else messages[0], []


def extract(paths) -> dict[tuple[str | None, str], list[str]]:
    """Every wrapped message in the Python files and notebooks under ``paths``: ``(context, msgid)`` ->
    where it is used (``file:line``). A plural is keyed by its singular."""
    found: dict[tuple[str | None, str], list[str]] = {}
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted([*root.rglob("*.py"), *root.rglob("*.ipynb")])
        for path in files:
            if ".ipynb_checkpoints" in path.parts:
                continue
            method = extract_notebook if path.suffix == ".ipynb" else extract_python_ast
            with path.open("rb") as f:
                for lineno, message, _comments, context in babel_extract(method, f, keywords=KEYWORDS):
                    msgid = message[0] if isinstance(message, (tuple, list)) else message
                    found.setdefault((context, msgid), []).append(f"{path.name}:{lineno}")
    return found
