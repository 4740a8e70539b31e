"""Fixtures of the customer voice tests: the checked reviews and the sales lines of :mod:`tests.fixtures.voice_data`."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.models import voice
from tests.fixtures.voice_data import order_lines, raw_feedback


@pytest.fixture
def fb() -> pd.DataFrame:
    return voice.check_feedback(raw_feedback())


@pytest.fixture
def lines() -> pd.DataFrame:
    return order_lines()
