"""The Turkish catalogue against the code: every wrapped string translated, no entry left unused, fields kept;
and the gettext functions: translate, then fill; plurals; contexts; extraction inside f-strings and notebooks."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from helpers import i18n, paths
from helpers.i18n import catalog

ROOTS = [paths.ROOT / "src" / "helpers", paths.ROOT / "notebooks"]
FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)[^{}]*\}")


@pytest.fixture(scope="module")
def used():
    return catalog.extract(ROOTS)


@pytest.fixture(scope="module")
def po():
    with catalog.po_path("tr").open("rb") as f:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(f, locale="tr") if m.id}


def test_every_wrapped_string_has_its_turkish(used, po):
    missing = [f"{where[0]}: {msgid!r}" for (ctx, msgid), where in used.items()
               if (ctx, msgid) not in po or not po[(ctx, msgid)].string or po[(ctx, msgid)].fuzzy]
    assert not missing, "strings without Turkish (run `make catalog`, then translate):\n" + "\n".join(missing)


def test_no_turkish_entry_is_left_unused(used, po):
    unused = [f"{ctx or ''}|{msgid}" for ctx, msgid in po if (ctx, msgid) not in used]
    assert not unused, "catalogue entries no code uses (run `make catalog`):\n" + "\n".join(unused[:50])


def test_translations_use_only_the_fields_the_code_fills(po):
    """A translation may leave a field out (Turkish may say "dönem" for any period) but never asks for one
    the English does not have: the code fills only those, so it would fail at run time."""
    def fields(s):
        return set(FIELD.findall(s))
    bad = []
    for (ctx, msgid), m in po.items():
        given = fields(msgid) | (fields(m.id[1]) | {"n"} if isinstance(m.id, tuple) else set())
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            if not fields(s) <= given:
                bad.append(f"{msgid!r} -> {s!r}")
    assert not bad, "\n".join(bad)


def test_the_catalogue_file_is_what_pybabel_writes(tmp_path):
    """``make catalog`` on an unchanged tree changes nothing but the date: the committed file is in step."""
    env = {"PYTHONPATH": str(paths.ROOT / "src")}
    pot, po_copy = tmp_path / "messages.pot", tmp_path / "tr" / "LC_MESSAGES" / "messages.po"
    po_copy.parent.mkdir(parents=True)
    po_copy.write_bytes(catalog.po_path("tr").read_bytes())
    pybabel = [sys.executable, "-c", "from babel.messages.frontend import main; main()"]
    subprocess.run([*pybabel, "-q", "extract", "-F", "babel.cfg", "--no-location", "--sort-output", "-k", "N_",
                    "-k", "NP_:1c,2", "-o", str(pot), "."], cwd=paths.ROOT, env=env, check=True)
    subprocess.run([*pybabel, "-q", "update", "-i", str(pot), "-d", str(tmp_path), "-l", "tr", "-D", "messages",
                    "-w", "100", "--ignore-obsolete", "--no-fuzzy-matching"], check=True)
    strip = lambda s: re.sub(r'"POT-Creation-Date: [^"]*"', "", s)  # noqa: E731
    assert strip(po_copy.read_text(encoding="utf-8")) == strip(catalog.po_path("tr").read_text(encoding="utf-8"))


def test_translate_then_fill_so_turkish_may_move_fields():
    en = "{responders} of {pairs} reached customer-campaign pairs responded"
    assert i18n._(en + " ({rate}); median {days} days to respond.", "en", responders=3, pairs=9, rate="33 %",
                  days=4).startswith("3 of 9 reached")
    tr = catalog.translate("tr", "Overall: {responders} of {pairs} reached customer-campaign pairs responded "
                                 "({rate}); median {days} days to respond.", responders=3, pairs=9, rate="%33", days=4)
    assert "3" in tr and "9" in tr and "Overall" not in tr


def test_plural_context_and_marked_labels():
    one, many = "{n} customer ({share})<br>revenue {revenue} ({revenue_share})", "{n} customers ({share})<br>revenue {revenue} ({revenue_share})"
    fields = {"share": "5 %", "revenue": "10 GBP", "revenue_share": "1 %"}
    assert i18n.ngettext(one, many, 1, "en", **fields).startswith("1 customer (5 %)")
    assert i18n.ngettext(one, many, 3, "en", **fields).startswith("3 customers (5 %)")
    assert i18n.ngettext(one, many, 3, "tr", **fields).startswith("3 müşteri (5 %)")
    assert i18n.ngettext(one, many, 1234, "en", n="1,234", **fields).startswith("1,234 customers")
    assert i18n.pgettext("word", "action", "en") == "action"
    assert i18n.show(i18n.NP_("word", "action"), "tr") == catalog.translate_in_context("tr", "word", "action")
    assert i18n.show(i18n.N_("parameter"), "tr") == "parametre"
    assert i18n.period_name("month", plural=True) in ("months", "ay")


def test_extraction_sees_fstrings_contexts_plurals_and_notebook_cells(tmp_path):
    py = tmp_path / "m.py"
    py.write_text('x = f"<th>{_(\'inside\')}</th>"\ny = pgettext("ctx", "meant")\n'
                  'z = ngettext("{n} one", "{n} many", 2)\nw = {"k": N_("marked")}\nv = i18n._("dotted", lang)\n')
    nb = tmp_path / "n.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": ["_('not code')"]},
                                        {"cell_type": "code", "source": ["%matplotlib inline\n", "print(_('in a cell'))"]}]}))
    found = catalog.extract([tmp_path])
    assert set(found) == {(None, "inside"), ("ctx", "meant"), (None, "{n} one"), (None, "marked"), (None, "dotted"),
                          (None, "in a cell")}
    assert found[(None, "in a cell")] == ["n.ipynb:1002"]


def test_english_needs_no_catalogue_and_an_unknown_language_is_an_error():
    assert catalog.translate("en", "anything {x}", x=1) == "anything 1"
    with pytest.raises(FileNotFoundError, match="no catalogue for language 'de'"):
        catalog.translations("de")


def test_a_missing_translation_shows_the_english():
    assert catalog.translate("tr", "a sentence nobody wrapped") == "a sentence nobody wrapped"
    assert not catalog.is_translated("tr", "a sentence nobody wrapped")
    assert catalog.is_translated("tr", "parameter") and catalog.is_translated("en", "anything")


def test_the_notebook_extractor_reads_a_file_object():
    cells = {"cells": [{"cell_type": "code", "source": ["_('a')\n", "_('b')"]}]}
    got = list(catalog.extract_notebook(io.BytesIO(json.dumps(cells).encode()), {"_": None}, [], {}))
    assert [(ln, m) for ln, _f, m, _c in got] == [(1001, "a"), (1002, "b")]
