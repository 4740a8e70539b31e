"""Sentences as data: every Phrase the package builds names a template that exists, with the same fields."""
from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from helpers import i18n
from helpers.phrase import Number, Phrase, Share

SRC = Path(__file__).resolve().parents[2] / "src" / "helpers"


def _phrase_calls():
    """(file, line, key, field names) of every ``Phrase("literal key", ...)`` call under src/helpers."""
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Phrase" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                names = {k.arg for k in node.keywords if k.arg is not None}
                has_splat = any(k.arg is None for k in node.keywords)
                yield path.relative_to(SRC), node.lineno, node.args[0].value, names, has_splat


def _template_fields(key: str) -> set[str]:
    marked = i18n.labels()[key]
    text = marked[1] if isinstance(marked, tuple) else marked
    return {f for _unused, f, _spec, _conv in string.Formatter().parse(text) if f}


def test_every_phrase_names_a_template_with_its_fields():
    calls = list(_phrase_calls())
    assert len(calls) >= 10                                    # the scan finds the package's phrases
    for where, line, key, names, has_splat in calls:
        assert key in i18n.labels(), f"{where}:{line}: no label '{key}' (src/helpers/i18n/labels_*.py)"
        fields = _template_fields(key)
        if has_splat:
            assert names <= fields, f"{where}:{line}: {sorted(names - fields)} not in the template of '{key}'"
        else:
            assert names == fields, f"{where}:{line}: fields {sorted(names)} but '{key}' asks for {sorted(fields)}"


def test_equality_and_repr():
    assert Phrase("kxs_periods", n=1, first="a", last="b") == Phrase("kxs_periods", n=1, first="a", last="b")
    assert Phrase("kxs_periods", n=1, first="a", last="b") != Phrase("kxs_periods", n=2, first="a", last="b")
    assert repr(Phrase("stg_from_gaps", n=3)) == "Phrase('stg_from_gaps', n=3)"
    with pytest.raises(TypeError):
        hash(Phrase("stg_from_gaps", n=3))


@pytest.mark.parametrize("language, expected", [
    ("en", "at_risk_days = 1,234 (50 % quantile of the gaps, from 12,345 gaps between purchases)"),
    ("tr", "at_risk_days = 1.234 (aralıkların %50 yüzdeliği, alışlar arasındaki 12.345 aralıktan)"),
])
def test_say_formats_fields_by_the_locale_and_nests_phrases(language, expected):
    p = Phrase("stg_from_quantile", name="at_risk_days", days=1234, share=Share(0.5, 0),
               source=Phrase("stg_from_gaps", n=12345))
    assert i18n.say(p, language) == expected


def test_say_value_kinds():
    assert i18n.say_value(Number(1234.567, 1), "tr") == "1.234,6"
    assert i18n.say_value(2.5, "en") == "2.50" and i18n.say_value(7, "en") == "7"
    assert i18n.say_value(Share(float("nan")), "en") == i18n.MISSING
    assert i18n.say_value("2011-10", "tr") == "2011-10"
