"""Shared fixtures: engines, the hand-checkable line fixture, and the shared-data folder."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import paths

from helpers.io import schema
from helpers.config import EngineConfig
from tests.fixtures import AUDIT_ROWS, make_lines



@pytest.fixture(scope="session")
def duck():
    from helpers.io.engine import connect

    return connect(EngineConfig(backend="duckdb"))


@pytest.fixture(scope="session")
def spark_con():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17) on PATH; none found")
    from helpers.io.engine import connect

    return connect(EngineConfig(backend="spark", spark_master="local[2]"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the project; the test is skipped with a reason when it is absent."""
    if not paths.SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {paths.SHARED_DATA} is absent (it sits beside the project in CI)")
    return paths.SHARED_DATA


@pytest.fixture
def audit_lines() -> pd.DataFrame:
    return make_lines(AUDIT_ROWS)
