"""The analysis notebooks' headline numbers, by hand on small tables."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import page_headlines as ph

AUDIT = pd.DataFrame({"rule": ["raw total", "cancellation", "cancellation_partial", "cancellation_unmatched", "kept"],
                      "lines": [10, 1, 1, 1, 7], "revenue": [1000.0, -50.0, -20.0, -5.0, 800.0]})


def values(items):
    return {k: v for k, _, v, _ in items}


def test_cleaning_items_by_hand():
    items = ph.cleaning_items(AUDIT, 1000.0, customers=4, warnings=2, currency="GBP")
    got = values(items)
    assert got == {"raw_lines": 10, "clean_lines": 7, "revenue_removed_share": pytest.approx(0.2),
                   "returns_removed": 75.0, "clean_revenue": 800.0, "customers": 4, "cleaning_warnings": 2}
    assert {k: u for k, _, _, u in items}["returns_removed"] == "GBP"
