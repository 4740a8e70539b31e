"""Fixtures of the churn tests: the hand-made lines of :mod:`tests.fixtures.churn_data` as a frame and a table."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.io.engine import table
from tests.fixtures import make_lines
from tests.fixtures.churn_data import COLS, ROWS


@pytest.fixture
def df() -> pd.DataFrame:
    return make_lines(ROWS, columns=COLS)


@pytest.fixture
def lines(duck, df):
    return table(duck, df)
