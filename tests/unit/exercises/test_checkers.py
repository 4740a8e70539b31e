"""The exercise checkers: right answers pass, each typical mistake gets its own hint, placeholders say
"not yet answered", exercises skip on data without the column they need; answers follow the data."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import exercises, i18n, pipeline
from helpers.exercises import core
from tests.fixtures import TINY

#: exercises that fit a BG/NBD model (about half a minute on a busy machine)
SLOW = {"ex05.expected_purchases", "ex05.mean_p_alive"}


def _params(keys):
    return [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k for k in keys]


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


# ------------------------------------------------------------------------------ comparison rules
class TestCompare:
    def test_count_accepts_an_integer_valued_float_and_numpy_types(self):
        assert core.matches(core.COUNT, core.normalise(core.COUNT, np.int64(3)), 3.0)
        assert not core.matches(core.COUNT, core.normalise(core.COUNT, 4), 3)

    def test_share_tolerance_is_half_a_point(self):
        assert core.matches(core.SHARE, 0.254, 0.25)
        assert not core.matches(core.SHARE, 0.256, 0.25)

    def test_number_relative_tolerance(self):
        k = core.NUMBER(rel_tol=0.01, abs_tol=0.0)
        assert core.matches(k, 1009.0, 1000.0)
        assert not core.matches(k, 1011.0, 1000.0)

    def test_one_value_series_and_frames_become_scalars(self):
        assert core.normalise(core.NUMBER(), pd.Series([2.5])) == 2.5
        assert core.normalise(core.NUMBER(), pd.DataFrame({"a": [2.5]})) == 2.5

    def test_text_ignores_case_and_spaces_and_sets_ignore_order(self):
        assert core.matches(core.TEXT, core.normalise(core.TEXT, "  Duplicate "), core.normalise(core.TEXT, "duplicate"))
        assert core.matches(core.SET, core.normalise(core.SET, ["b", "a"]), core.normalise(core.SET, {"a", "b"}))

    def test_a_table_is_not_a_number(self):
        with pytest.raises(core._BadShape, match="table"):
            core.normalise(core.NUMBER(), pd.DataFrame({"a": [1, 2]}))


# ------------------------------------------------------------------------------ the registry
def test_every_stage_has_four_to_eight_exercises_with_both_languages():
    assert sorted(exercises.STAGES) == [f"ex0{i}" for i in range(1, 9)]
    for stage in exercises.STAGES:
        n = len(exercises.stage_exercises(stage))
        assert 4 <= n <= 8, f"{stage} has {n} exercises"
    for e in exercises.REGISTRY.values():
        assert e.text(e.task, "tr") != e.text(e.task, "en") and e.text(e.hint, "tr") != e.text(e.hint, "en")


# ------------------------------------------------------------------------------ right answers
@pytest.mark.parametrize("key", _params(list(exercises.REGISTRY)))
def test_the_right_answer_passes_and_a_far_one_fails(ctx, key):
    ex = exercises.exercise(key)
    expected = ctx.expected(ex)
    r = core.evaluate(ctx, key, expected)
    assert r.status == "right", r
    if ex.kind.name in ("count", "number", "share"):
        far = float(expected) * 3 + 17
        assert core.evaluate(ctx, key, far).status == "wrong"


def test_expected_answers_match_independent_pandas_computations(ctx, prep):
    """Hand computations on the clean lines, not through the helpers the checkers call."""
    raw = prep.raw_lines(["invoice"])
    clean = prep.lines()
    cust = clean.dropna(subset=["customer_id"])
    assert ctx.expected(exercises.exercise("ex01.raw_lines")) == len(raw)
    assert ctx.expected(exercises.exercise("ex01.customers")) == cust["customer_id"].nunique()
    assert ctx.expected(exercises.exercise("ex01.clean_revenue")) == pytest.approx(clean["amount"].sum())
    aov = clean["amount"].sum() / clean["invoice"].nunique()
    assert ctx.expected(exercises.exercise("ex02.aov")) == pytest.approx(aov)
    with_products = clean.dropna(subset=["product_id"])
    assert ctx.expected(exercises.exercise("ex07.baskets")) == with_products["invoice"].nunique()
    size = with_products.groupby("invoice")["product_id"].nunique().mean()
    assert ctx.expected(exercises.exercise("ex07.mean_basket_size")) == pytest.approx(size)
    last = cust.groupby("customer_id")["invoice_ts"].max().dt.normalize()
    recency = (pd.Timestamp(prep.end) - last).dt.days.mean()
    assert ctx.expected(exercises.exercise("ex03.mean_recency")) == pytest.approx(recency)
    orders = cust.groupby("customer_id")["invoice"].nunique()
    assert ctx.expected(exercises.exercise("ex03.one_time_share")) == pytest.approx((orders == 1).mean())


# ------------------------------------------------------------------------------ diagnosed mistakes
def _diagnosable(ctx, keys):
    """(key, mistake, value, the mistake whose hint is due): every mistake that differs from the right
    answer on this data; when two give the same value the first one's hint is due."""
    out = []
    for key in keys:
        ex = exercises.exercise(key)
        expected = core.normalise(ex.kind, ctx.expected(ex))
        seen = []
        for m in ex.mistakes:
            v = core.normalise(ex.kind, ctx.mistake(ex, m))
            if core.matches(ex.kind, v, expected):
                continue
            first = next((name for name, w in seen if core.matches(ex.kind, v, w)), m.name)
            seen.append((m.name, v))
            out.append((key, m, v, first))
    return out


def test_each_typical_mistake_gets_its_own_hint(ctx):
    fast = [k for k in exercises.REGISTRY if k not in SLOW]
    cases = _diagnosable(ctx, fast)
    assert len(cases) >= 30, f"only {len(cases)} mistakes can be diagnosed on the tiny data"
    for key, m, value, due in cases:
        r = core.evaluate(ctx, key, value)
        assert r.status == "wrong", (key, m.name, r)
        assert r.mistake == due, (key, m.name, r)
        if due == m.name:
            assert r.message == exercises.exercise(key).text(m.hint, "en")


@pytest.mark.slow
def test_clv_mistakes_are_diagnosed(ctx):
    cases = _diagnosable(ctx, sorted(SLOW))
    assert any(m.name == "unit" for _, m, _, _ in cases)
    for key, m, value, due in cases:
        assert core.evaluate(ctx, key, value).mistake == due


@pytest.mark.parametrize("key,wrong,mistake", [
    ("ex01.customers", "orders", "orders"),
    ("ex02.retention_last_period", "churn_rate", "churn_rate"),
    ("ex03.mean_recency", "plus_one", "plus_one"),
    ("ex06.recency_auc", "leakage", "leakage"),
])
def test_named_mistakes_from_the_issue(ctx, key, wrong, mistake):
    """orders vs customers, retention vs churn, off-by-one recency, a feature measured after the label window."""
    ex = exercises.exercise(key)
    m = next(x for x in ex.mistakes if x.name == wrong)
    r = core.evaluate(ctx, key, ctx.mistake(ex, m))
    assert (r.status, r.mistake) == ("wrong", mistake)


def test_a_percentage_given_for_a_share_is_diagnosed(ctx):
    key = "ex03.one_time_share"
    r = core.evaluate(ctx, key, 100 * ctx.expected(exercises.exercise(key)))
    assert (r.status, r.mistake) == ("wrong", "percent_not_share")
    assert "percentage" in r.message


def test_revenue_including_cancellations_is_diagnosed(ctx, prep):
    raw = prep.raw_lines(["amount"])["amount"].sum()
    r = core.evaluate(ctx, "ex01.clean_revenue", raw)
    assert (r.status, r.mistake) == ("wrong", "raw_revenue") and "cancellations" in r.message


def test_a_table_instead_of_a_number_says_so(ctx):
    r = core.evaluate(ctx, "ex01.customers", pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    assert r.status == "wrong" and r.mistake == "shape" and "table" in r.message


def test_an_unknown_wrong_answer_gets_the_general_hint(ctx):
    ex = exercises.exercise("ex01.customers")
    r = core.evaluate(ctx, ex.key, 1)
    assert r.status == "wrong" and r.mistake is None and ex.text(ex.hint, "en") in r.message


# ------------------------------------------------------------------------------ placeholders, language, skips
def test_the_placeholder_is_not_yet_answered_for_every_exercise(ctx):
    for key in exercises.REGISTRY:
        r = core.evaluate(ctx, key, None)
        assert r.status == "not_answered" and "not yet answered" in str(r)


def test_messages_follow_the_language(ctx):
    i18n.set_language("tr")
    ex = exercises.exercise("ex01.customers")
    m = next(x for x in ex.mistakes if x.name == "orders")
    r = core.evaluate(ctx, ex.key, ctx.mistake(ex, m))
    assert r.message == ex.text(m.hint, "tr") and "yanlış" in str(r)
    assert "henüz cevaplanmadı" in str(core.evaluate(ctx, ex.key, None))
    assert "İpucu" in core.task_markdown(ex.key) and ex.text(ex.task, "tr") in core.task_markdown(ex.key)


def test_exercises_needing_products_are_skipped_on_data_without_them(prep):
    no_products = copy.copy(prep)
    no_products.meta = {**prep.meta, "has": {**prep.has, "product_id": False}}
    ctx = core.Context(no_products)
    needing = [k for k, e in exercises.REGISTRY.items() if "product_id" in e.requires]
    assert {k.split(".")[0] for k in needing} == {"ex07", "ex08"}
    for key in needing:
        r = core.evaluate(ctx, key, 123)
        assert r.status == "skipped" and r.ok and "product_id" in r.message
        assert "Skipped" in core.task_markdown(key, has=no_products.has)
    assert core.evaluate(ctx, "ex01.customers", None).status == "not_answered"
    assert "Skipped" not in core.task_markdown("ex07.baskets", has=prep.has)


def test_check_records_results_for_the_scoreboard(prep):
    exercises.use(prep)
    r = exercises.check("ex03.one_time_share", None)
    assert r.status == "not_answered"
    board = exercises.scoreboard("ex03")
    assert len(board) == len(exercises.stage_exercises("ex03"))
    assert set(board.iloc[:, 2]) == {"not yet answered"}
    bundle = r._repr_mimebundle_()
    assert bundle[core.MIME] == {"key": "ex03.one_time_share", "status": "not_answered", "mistake": None}


def test_answers_follow_the_data(tmp_path):
    """Another seed gives other expected answers, and the old answer is then wrong."""
    import yaml

    cfg = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    cfg["name"] = "tiny_seed8"
    cfg["data"]["synthetic"]["seed"] = 8
    other = tmp_path / "tiny_seed8.yaml"
    other.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    a = core.Context(pipeline.open_run(TINY, progress=False))
    b = core.Context(pipeline.open_run(other, progress=False))
    ex = exercises.exercise("ex01.raw_lines")
    assert a.expected(ex) != b.expected(ex)
    assert core.evaluate(b, ex.key, a.expected(ex)).status == "wrong"
