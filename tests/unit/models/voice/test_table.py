"""The feedback table check and its derived columns, on the nine-review fixture."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import voice
from tests.fixtures.voice_data import raw_feedback


class TestCheckFeedback:
    def test_derived_columns(self, fb):
        assert fb["is_low"].tolist() == [False, True, False, True, False, False, True, False, False]
        assert fb["is_high"].sum() == 5
        assert fb["has_text"].sum() == 8
        assert fb["score5"].tolist() == [5, 1, 4, 2, 3, 5, 1, 4, 5]

    def test_rescales_other_scales(self):
        df = raw_feedback().assign(score=[10, 0, 7.5, 2.5, 5, 10, 0, 7.5, 10], score_min=0, score_max=10)
        out = voice.check_feedback(df)
        assert out["score5"].tolist() == [5, 1, 4, 2, 3, 5, 1, 4, 5]

    def test_delay_from_dates(self):
        df = raw_feedback().drop(columns="delay_days").head(3)
        df["delivered_ts"] = ["2023-01-09 15:00", "2023-03-06 08:00", None]
        df["estimated_ts"] = ["2023-01-09", "2023-03-01", "2023-01-20"]
        out = voice.check_feedback(df)
        # delivered on the promised day (afternoon) is 0 days late; not delivered is unknown
        assert out["delay_days"].iloc[:2].tolist() == [0.0, 5.0] and pd.isna(out["delay_days"].iloc[2])

    @pytest.mark.parametrize("change, rule, column", [
        (lambda d: d.drop(columns="score"), "missing-column", "score"),
        (lambda d: d.assign(score=[5, 1, 4, 2, 3, 5, 1, 4, 6]), "score-range", "score"),
        (lambda d: d.assign(score=[5, 1, "x", 2, 3, 5, 1, 4, 5]), "numeric", "score"),
        (lambda d: d.assign(feedback_ts=["2023-01-10", "soon", *["2023-01-10"] * 7]), "datetime", "feedback_ts"),
        (lambda d: d.assign(feedback_id=["f1"] * 9), "unique", "feedback_id"),
        (lambda d: d.assign(score_max=1), "score-scale", "score_max"),
    ])
    def test_errors_name_file_column_rule_and_count(self, change, rule, column):
        with pytest.raises(DataError, match=rf"feedback: column '{column}': .*\[rule: {rule}\]") as e:
            voice.check_feedback(change(raw_feedback()))
        assert e.value.rule == rule and e.value.column == column

    def test_error_counts_rows(self):
        with pytest.raises(DataError, match=r"2 of 9 scores lie outside"):
            voice.check_feedback(raw_feedback().assign(score=[5, 1, 4, 2, 3, 5, 1, 9, 0]))
