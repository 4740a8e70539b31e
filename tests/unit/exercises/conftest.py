"""Fixtures of the stage tests: the tiny synthetic run and a checking context on it, in English."""
from __future__ import annotations

import pytest

from helpers import i18n, pipeline
from helpers.exercises import core
from tests.fixtures import TINY


@pytest.fixture(scope="module")
def tiny():
    return pipeline.open_run(TINY, progress=False)


@pytest.fixture(scope="module")
def tiny_ctx(tiny):
    return core.Context(tiny)


@pytest.fixture
def answer(tiny_ctx):
    """``answer("ex01.customers")``: the expected answer of an exercise on the tiny run."""
    i18n.set_language("en")
    return lambda key: tiny_ctx.expected(core.exercise(key))


@pytest.fixture
def mistake(tiny_ctx):
    """``mistake("ex01.customers", "orders")``: the value of a typical mistake on the tiny run."""
    def value(key, name):
        ex = core.exercise(key)
        return tiny_ctx.mistake(ex, next(m for m in ex.mistakes if m.name == name))
    return value
