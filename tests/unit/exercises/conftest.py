"""Fixtures of the exercise tests: the tiny synthetic run (`prep`), a checking context on it (`ctx`), and
the expected answer and typical mistakes of an exercise on it."""
from __future__ import annotations

import pytest

from helpers import i18n, pipeline
from helpers.exercises import core
from tests.fixtures import TINY


@pytest.fixture(scope="module")
def prep():
    """The tiny synthetic run, prepared once (tests/fixtures/configs/tiny.yaml)."""
    return pipeline.open_run(TINY, progress=False)


@pytest.fixture(scope="module")
def ctx(prep):
    return core.Context(prep)


@pytest.fixture
def answer(ctx):
    """``answer("ex01.customers")``: the expected answer of an exercise on the tiny run."""
    i18n.set_language("en")
    return lambda key: ctx.expected(core.exercise(key))


@pytest.fixture
def mistake(ctx):
    """``mistake("ex01.customers", "orders")``: the value of a typical mistake on the tiny run."""
    def value(key, name):
        ex = core.exercise(key)
        return ctx.mistake(ex, next(m for m in ex.mistakes if m.name == name))
    return value
