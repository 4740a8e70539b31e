"""Voice per customer and whether complainers came back, by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import voice
from tests.fixtures.voice_data import END


class TestCustomers:
    def test_customer_voice(self, fb):
        cv = voice.customer_voice(fb).set_index("customer_id")
        assert cv["complaints"].to_dict() == {"A": 1, "B": 1, "C": 0, "D": 0, "E": 0}
        assert cv.loc["A", "complaint_rate"] == 0.5 and cv.loc["C", "mean_score"] == 4.0
        assert cv.loc["A", "first_complaint_ts"] == pd.Timestamp("2023-03-01") and pd.isna(cv.loc["C", "first_complaint_ts"])

    def test_complaints_per_order(self, fb, lines):
        orders = lines.groupby("customer_id")["invoice"].nunique().rename("orders").reset_index()
        cv = voice.customer_voice(fb, orders=orders).set_index("customer_id")
        assert cv.loc["A", "complaints_per_order"] == pytest.approx(1 / 3)

    def test_came_back(self, fb, lines):
        t = voice.came_back(fb, lines, analysis_date=END, window_days=90).set_index("group")
        assert t.loc["complained", "customers"] == 2 and t.loc["complained", "came_back"] == 1       # A yes, B no
        assert t.loc["good review", "customers"] == 2 and t.loc["good review", "came_back"] == 1     # C yes, D no
        assert t.attrs["too_recent"] == {"complained": 0, "good review": 1}                          # E
        assert t.attrs["diff"]["diff"] == 0

    def test_came_back_window(self, fb, lines):
        t = voice.came_back(fb, lines, analysis_date=END, window_days=60).set_index("group")
        assert t.loc["good review", "came_back"] == 0                        # C's order came 80 days later

    def test_came_back_needs_lines_columns(self, fb, lines):
        with pytest.raises(DataError, match="invoice_ts"):
            voice.came_back(fb, lines.drop(columns="invoice_ts"), analysis_date=END)
