"""Shared fixtures: engines, the hand-checkable line fixture, and the shared-data folder."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import paths, schema
from helpers.config import EngineConfig

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def duck():
    from helpers.engine import connect

    return connect(EngineConfig(backend="duckdb"))


@pytest.fixture(scope="session")
def spark_con():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17) on PATH; none found")
    from helpers.engine import connect

    return connect(EngineConfig(backend="spark", spark_master="local[2]"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the project; the test is skipped with a reason when it is absent."""
    if not paths.SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {paths.SHARED_DATA} is absent (it sits beside the project in CI)")
    return paths.SHARED_DATA


def make_lines(rows: list[tuple], columns=("line_id", "invoice", "invoice_ts", "customer_id", "product_id",
                                           "quantity", "unit_price")) -> pd.DataFrame:
    """Canonical lines from short tuples; amount = quantity x unit_price, currency GBP."""
    df = pd.DataFrame(rows, columns=list(columns))
    df["invoice_ts"] = pd.to_datetime(df["invoice_ts"])
    if "amount" not in df:
        df["amount"] = df["quantity"] * df["unit_price"]
    df["currency"] = "GBP"
    return schema.conform(df)


#: Eleven lines, one per cleaning case; the expected status of each is written beside it.
AUDIT_ROWS = [
    (0, "100", "2023-01-02 10:00", "A", "P1", 2, 5.0),      # cancelled_original (line 2 cancels it in full)
    (1, "100", "2023-01-02 10:00", "A", "P1", 2, 5.0),      # duplicate of line 0
    (2, "C100", "2023-01-05 09:00", "A", "P1", -2, 5.0),    # cancellation, by reference to invoice 100
    (3, "101", "2023-01-06 10:00", "B", "P2", 10, 1.0),     # kept
    (4, "C900", "2023-01-07 10:00", "C", "P2", -4, 1.0),    # cancellation_unmatched (no invoice 900, C bought no P2 before)
    (5, "102", "2023-01-08 10:00", None, "P3", 1, 3.0),     # kept, guest
    (6, "103", "2023-01-09 10:00", "B", "POST", 1, 18.0),   # non_product
    (7, "104", "2023-01-10 10:00", "B", "P4", 1, 0.0),      # kept: a free item is a purchase (zero_price with remove)
    (8, "105", "2023-01-11 10:00", "C", "P2", 5000, 1.0),   # extreme_quantity (max_quantity 1000)
    (9, "106", "2024-01-11 10:00", "C", "P2", 1, 1.0),      # outside_window (analysis end 2023-12-31)
    (10, "C101", "2023-01-12 10:00", "B", "P2", -4, 1.0),   # cancellation_partial of invoice 101
]
AUDIT_EXPECTED = {0: "cancelled_original", 1: "duplicate", 2: "cancellation", 3: "kept",
                  4: "cancellation_unmatched", 5: "kept", 6: "non_product", 7: "kept",
                  8: "extreme_quantity", 9: "outside_window", 10: "cancellation_partial"}
AUDIT_END = dt.date(2023, 12, 31)


@pytest.fixture
def audit_lines() -> pd.DataFrame:
    return make_lines(AUDIT_ROWS)
