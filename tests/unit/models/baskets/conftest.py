"""Fixtures of the basket tests: the five baskets of ``tests/fixtures/market_baskets.py`` and the default
synthetic shop, as lines and as basket items."""
from __future__ import annotations

import pytest

from helpers import paths, pipeline
from helpers.config import load_config
from helpers.io.engine import table
from helpers.models import baskets as bk
from tests.fixtures.market_baskets import basket_lines


@pytest.fixture
def lines(duck):
    return table(duck, basket_lines())


@pytest.fixture
def items(lines):
    return bk.basket_items(lines).execute()


@pytest.fixture(scope="session")
def default_run():
    """The default synthetic shop (5,000 customers, two years, planted bundles)."""
    return pipeline.prepare(load_config(paths.CONFIGS / "default.yaml"), progress=False)


@pytest.fixture(scope="session")
def default_items(default_run):
    from helpers.io.engine import connect

    con = connect(default_run.config.engine)
    return bk.basket_items(default_run.table(con)).execute()
