"""Campaign input checks: readable errors for bad exposure, response and line tables, and purchase days
of the ten-customer fixture."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import campaigns as cp


class TestChecks:
    def test_end_defaults_to_start_and_duplicates_collapse(self):
        raw = pd.DataFrame({"customer_id": [1, 1, 2], "campaign_id": [7, 7, 7],
                            "start": ["2024-01-02", "2024-01-01", "2024-01-01"], "end": [None, "2024-01-05", None]})
        ex = cp.check_exposures(raw)
        assert list(ex.columns) == list(cp.EXPOSURE_COLUMNS)
        assert len(ex) == 2  # (1, 7) twice -> once, earliest start, latest end
        one = ex[ex.customer_id == "1"].iloc[0]
        assert one.start == pd.Timestamp("2024-01-01") and one.end == pd.Timestamp("2024-01-05")
        two = ex[ex.customer_id == "2"].iloc[0]
        assert two.end == two.start

    def test_missing_column_is_named(self):
        with pytest.raises(DataError, match=r"exposures: column 'start'.*missing-column"):
            cp.check_exposures(pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"]}))

    def test_null_customer_counted(self):
        raw = pd.DataFrame({"customer_id": ["a", None, None], "campaign_id": ["x"] * 3, "start": ["2024-01-01"] * 3})
        with pytest.raises(DataError, match=r"column 'customer_id': has 2 missing value.*not-null"):
            cp.check_exposures(raw)

    def test_end_before_start(self):
        raw = pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"], "start": ["2024-01-05"], "end": ["2024-01-01"]})
        with pytest.raises(DataError, match=r"column 'end': has 1 row.*end-after-start"):
            cp.check_exposures(raw)

    def test_two_types_for_one_campaign(self):
        raw = pd.DataFrame({"customer_id": ["a", "b"], "campaign_id": ["x", "x"], "campaign_type": ["A", "B"],
                            "start": ["2024-01-01"] * 2})
        with pytest.raises(DataError, match="one-type-per-campaign"):
            cp.check_exposures(raw)

    def test_unreadable_response_date(self):
        raw = pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"], "response_ts": ["not a date"]})
        with pytest.raises(DataError, match=r"responses: column 'response_ts'.*timestamp"):
            cp.check_responses(raw)

    def test_lines_without_amount(self):
        with pytest.raises(DataError, match=r"lines_clean: column 'amount'"):
            cp.customer_days(pd.DataFrame({"customer_id": ["a"], "invoice_ts": ["2024-01-01"]}))

    def test_guests_and_same_day_lines(self, fx):
        d = fx["days"]
        assert d["customer_id"].notna().all() and 99 not in d["revenue"].tolist()  # the guest line is gone
        # c2's two lines on 2024-03-05 (40 + 10) are one purchase day of 50
        assert d[(d.customer_id == "c2") & (d.day == "2024-03-05")]["revenue"].tolist() == [50]
