"""The checker framework on a made-up stage: the registry's rules, the order of the statuses a check
gives, the hints of typical mistakes, and the task text. No data is prepared: the answers are constants.
The made-up texts are not in the Turkish catalogue: the fixture ``stage`` adds their Turkish for the test."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from helpers import i18n
from helpers.exercises import core
from helpers.exercises.core import COUNT, SET, SHARE, TEXT, Exercise, Mistake, Unavailable
from helpers.i18n import N_, catalog

#: the Turkish of the made-up texts below
TURKISH = {"too few customers": "çok az müşteri", "you counted orders": "siparişleri saydınız",
           "Test stage": "Deneme", "{name} is not {n}": "{name}, {n} değil",
           **{f"{name} {what}": f"{name} {tr}" for name in ("customers", "share", "rule", "names", "products")
              for what, tr in (("title", "başlık"), ("task", "görev"), ("hint", "ipucu"))}}


class _WithTestTurkish:
    """A language's translations, with the Turkish of the made-up texts first."""

    def __init__(self, real):
        self.real = real

    def gettext(self, message):
        return TURKISH.get(message) or self.real.gettext(message)

    def __getattr__(self, name):
        return getattr(self.real, name)


def _unavailable(ctx):
    raise Unavailable(N_("too few customers"))


def _ex(name, expected, kind, mistakes=(), requires=()):
    return Exercise(f"ex99.{name}", N_(f"{name} title"), N_(f"{name} task"), N_(f"{name} hint"), lambda ctx: expected,
                    kind, mistakes, requires)


ORDERS = Mistake("orders", lambda ctx: 12, N_("you counted orders"))
SAME = Mistake("same", lambda ctx: 7, N_("never shown: it equals the answer"))
BROKEN = Mistake("broken", _unavailable, N_("never shown: it cannot be computed"))


@pytest.fixture
def stage(monkeypatch):
    """A stage ex99 in an empty registry (the real one is left as it is)."""
    monkeypatch.setattr(core, "REGISTRY", {})
    monkeypatch.setattr(core, "STAGES", {})
    real = catalog.translations
    monkeypatch.setattr(catalog, "translations",
                        lambda language: _WithTestTurkish(real(language)) if language == "tr" else real(language))
    core.register("ex99", "ex99_test", N_("Test stage"), [
        _ex("customers", 7, COUNT, (SAME, BROKEN, ORDERS)),
        _ex("share", 0.25, SHARE),
        _ex("rule", "Duplicate", TEXT),
        _ex("names", ["a", "b"], SET),
        _ex("products", 3, COUNT, requires=("product_id",)),
        Exercise("ex99.model", N_("m"), N_("m"), N_("m"), _unavailable, COUNT),
    ])
    i18n.set_language("en")
    yield SimpleNamespace(has={"product_id": False}, config=None)
    i18n.set_language("en")


def _check(prep, key, answer, language="en"):
    return core.evaluate(core.Context(prep), key, answer, language=language)


# ------------------------------------------------------------------------------ the registry
def test_register_adds_the_stage_and_its_exercises_in_order(stage):
    assert core.STAGES == {"ex99": ("ex99_test", "Test stage")}
    assert (core.stage_title("ex99", "en"), core.stage_title("ex99", "tr")) == ("Test stage", "Deneme")
    assert [e.key for e in core.stage_exercises("ex99")][:3] == ["ex99.customers", "ex99.share", "ex99.rule"]
    assert core.exercise("ex99.rule").stage == "ex99"


def test_an_unknown_key_lists_the_known_ones(stage):
    with pytest.raises(KeyError, match="no exercise 'ex99.nope'; known: ex99.customers, ex99.share"):
        core.exercise("ex99.nope")


@pytest.mark.parametrize("exercises, message", [
    ([_ex("customers", 1, COUNT)], "defined twice"),
    ([Exercise("ex98.x", N_("a"), N_("a"), N_("a"), lambda c: 1, COUNT)], "registered under stage"),
    ([Exercise("ex99.y", N_(""), N_("a"), N_("a"), lambda c: 1, COUNT)], "marked with N_ or NP_"),
    ([Exercise("ex99.z", N_("a"), {"en": "a", "tr": "b"}, N_("a"), lambda c: 1, COUNT)], "marked with N_ or NP_"),
    ([Exercise("ex99.f", N_("a"), N_("k = {k}"), N_("a"), lambda c: 1, COUNT)], "no value for the field 'k'"),
])
def test_register_refuses_a_bad_exercise(stage, exercises, message):
    with pytest.raises(ValueError, match=message):
        core.register("ex99", "ex99_test", N_("Test stage"), exercises)


def test_the_texts_are_translated_then_their_fields_filled(stage):
    ex = Exercise("ex99.fields", N_("f"), N_("{name} is not {n}"), N_("h"), lambda c: 1, COUNT, fields={"n": 3, "name": "x"})
    assert (ex.text(ex.task, "en"), ex.text(ex.task, "tr")) == ("x is not 3", "x, 3 değil")
    exc = Unavailable(N_("{name} is not {n}"), name="y", n=4)
    assert (str(exc), exc.message("tr")) == ("y is not 4", "y, 4 değil")


# ------------------------------------------------------------------------------ comparing
def test_numbers_compare_within_the_larger_of_the_two_tolerances():
    k = core.NUMBER(rel_tol=0.01, abs_tol=5.0)
    assert core.matches(k, 104.9, 100.0)            # 5 absolute beats 1 % of 100
    assert not core.matches(k, 105.1, 100.0)
    assert core.matches(k, 10_090.0, 10_000.0)      # 1 % of 10 000 = 100 beats 5
    assert not core.matches(k, 10_101.0, 10_000.0)


def test_nan_matches_only_nan():
    assert core.matches(COUNT, math.nan, math.nan)
    assert not core.matches(COUNT, 0.0, math.nan) and not core.matches(COUNT, math.nan, 0.0)


def test_numbers_written_as_text_are_read():
    assert core.normalise(COUNT, "1,234") == 1234.0
    assert core.normalise(SHARE, "25%") == 25.0                     # read as 25; the check diagnoses it
    assert core.normalise(core.NUMBER(), [3.5]) == 3.5


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown answer kind 'date'"):
        core.normalise(core.Kind("date"), "2023-01-01")


def test_sets_ignore_case():
    assert core.matches(SET, core.normalise(SET, ["A", " b"]), core.normalise(SET, {"a", "B"}))
    assert not core.matches(SET, core.normalise(SET, ["a"]), core.normalise(SET, ["a", "b"]))


# ------------------------------------------------------------------------------ the statuses, in order
def test_skipped_comes_first_even_for_a_missing_answer(stage):
    r = _check(stage, "ex99.products", None)
    assert r.status == "skipped" and "'product_id'" in r.message and r.ok


def test_no_answer_is_not_answered(stage):
    r = _check(stage, "ex99.customers", None)
    assert r.status == "not_answered" and not r.ok


def test_an_answer_that_cannot_be_checked_says_why(stage):
    r = _check(stage, "ex99.model", 3, language="tr")
    assert (r.status, r.message, r.language) == ("unavailable", "çok az müşteri", "tr")


def test_the_right_answer_is_right_with_its_value(stage):
    r = _check(stage, "ex99.customers", 7.0)
    assert r.status == "right" and r.ok and r.message == "well done (7)" and r.details == {"expected": 7.0}
    assert _check(stage, "ex99.rule", "  duplicate ").status == "right"
    assert _check(stage, "ex99.names", ("B", "a")).status == "right"


def test_a_typical_mistake_gets_its_hint_and_equal_or_broken_mistakes_are_passed_over(stage):
    r = _check(stage, "ex99.customers", 12)
    assert (r.status, r.mistake, r.message) == ("wrong", "orders", "you counted orders")
    assert _check(stage, "ex99.customers", 12, language="tr").message == "siparişleri saydınız"


def test_a_percentage_for_a_share_is_diagnosed(stage):
    r = _check(stage, "ex99.share", 25)
    assert r.mistake == "percent_not_share" and "0.25, not 25" in r.message


def test_an_unknown_wrong_answer_gets_the_general_hint_and_the_value_given(stage):
    r = _check(stage, "ex99.customers", 8)
    assert r.status == "wrong" and r.mistake is None
    assert r.message == "not the expected answer. Hint: customers hint" and r.details == {"given": "8"}


def test_an_unusable_answer_is_wrong_for_its_shape(stage):
    r = _check(stage, "ex99.customers", [1, 2])
    assert (r.status, r.mistake) == ("wrong", "shape") and "2 values" in r.message
    assert _check(stage, "ex99.names", "a").mistake == "shape"


def test_the_context_computes_each_expected_answer_once(stage):
    calls = []
    ex = Exercise("ex99.counted", N_("a"), N_("a"), N_("a"), lambda c: calls.append(1) or 5, COUNT)
    ctx = core.Context(stage)
    assert ctx.expected(ex) == 5 and ctx.expected(ex) == 5 and len(calls) == 1
    assert ctx.memo("t", lambda: 1) == 1 and ctx.memo("t", lambda: 2) == 1


# ------------------------------------------------------------------------------ what is shown
def test_the_result_prints_its_symbol_key_and_label():
    r = core.CheckResult("ex99.customers", "wrong", "you counted <orders>")
    assert str(r) == "✘ [ex99.customers] wrong: you counted <orders>"
    bundle = r._repr_mimebundle_()
    assert "you counted &lt;orders&gt;" in bundle["text/html"]
    assert bundle[core.MIME] == {"key": "ex99.customers", "status": "wrong", "mistake": None}


def test_the_task_is_numbered_in_its_stage_with_a_folded_hint(stage):
    md = core.task_markdown("ex99.share", language="tr")
    assert md.startswith("### ex99.2 · share başlık\n\n`ex99.share`\n\nshare görev")
    assert "<details><summary>İpucu</summary>" in md and "share ipucu" in md
    assert "sütunu yok" not in md


def test_the_task_says_when_the_data_lacks_a_column(stage):
    md = core.task_markdown("ex99.products", has={"product_id": False})
    assert "> **Skipped:** this data has no `product_id` column" in md
    assert "Skipped" not in core.task_markdown("ex99.products", has={"product_id": True})
    assert "Skipped" not in core.task_markdown("ex99.products")       # unknown data: no note
