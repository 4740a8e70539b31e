"""Campaign input checks: readable errors for bad exposure, response and line tables, purchase days of the
ten-customer fixture and those in a window, and the campaign tables read from a prepared run."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers.errors import DataError
from helpers.models import campaigns as cp
from tests.fixtures.campaign_tables import FIX


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


class TestNeedColumns:
    def test_a_table_with_the_columns_passes(self):
        assert cp.need_columns(pd.DataFrame({"a": [1], "b": [2]}), ("a", "b"), "t") is None

    def test_not_a_table(self):
        with pytest.raises(DataError, match=r"^t: expected a table \(pandas DataFrame\), got list \[rule: not-a-table\]"):
            cp.need_columns([1, 2], ("a",), "t")

    def test_every_missing_column_is_listed_and_the_first_named(self):
        with pytest.raises(DataError) as err:
            cp.need_columns(pd.DataFrame({"b": [1]}), ("a", "b", "c"), "src.csv")
        assert err.value.column == "a" and err.value.rule == "missing-column"
        assert "lacks the column(s) ['a', 'c']; it has ['b']" in str(err.value)


class TestDaysInWindow:
    def test_both_ends_inclusive(self):
        days = pd.DataFrame({"customer_id": list("abcde"),
                             "day": pd.to_datetime(["2024-02-29", "2024-03-01", "2024-03-05", "2024-03-10",
                                                    "2024-03-11"]), "revenue": [1.0, 2, 3, 4, 5]})
        got = cp.days_in_window(days, pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10"))
        assert got["customer_id"].tolist() == ["b", "c", "d"]

    def test_on_the_fixture(self, fx):
        # purchase days in campaign A's window 03-01 .. 03-10, written out from tests/fixtures/campaigns/lines.csv
        d = fx["days"]
        got = cp.days_in_window(d, pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10"))
        by_hand = d[d["day"].dt.strftime("%Y-%m-%d").between("2024-03-01", "2024-03-10")]
        assert got.equals(by_hand) and len(got) > 0


class Prepared:
    """The parts of a prepared run that :func:`load_inputs` reads, over the campaign fixture's CSV files."""

    def __init__(self, tables):
        self.tables = {name: FIX / f"{name}.csv" for name in tables}

    def lines(self, columns):
        return pd.read_csv(FIX / "lines.csv")[columns]

    def read(self, name):
        return pd.read_csv(self.tables[name])


class TestLoadInputs:
    @pytest.fixture(autouse=True)
    def english(self):
        before = i18n.language()
        i18n.set_language("en")
        yield
        i18n.set_language(before)

    def test_all_tables(self):
        got = cp.load_inputs(Prepared(["exposures", "responses", "attributes"]))
        assert got.ready and got.has_responses
        assert (len(got.exposures), len(got.responses), len(got.attributes)) == (7, 5, 6)
        # 2 campaigns (A, B), 7 exposure rows, 5 response rows, 6 customers with attributes
        assert got.days.equals(cp.customer_days(pd.read_csv(FIX / "lines.csv")))

    def test_without_responses_or_exposures(self):
        reach = cp.load_inputs(Prepared(["exposures"]))
        assert reach.ready and not reach.has_responses and reach.responses is None and reach.attributes is None
        none = cp.load_inputs(Prepared([]))
        assert not none.ready and not none.has_responses
        assert len(none.days) > 0                       # the lines are read all the same

    def test_group_column_splits_reach_from_arms(self):
        class WithGroup(Prepared):
            def read(self, name):
                df = super().read(name)
                if name == "exposures":
                    df["group"] = ["treatment", "control", "vip"] + ["treatment"] * (len(df) - 3)
                return df

        got = cp.load_inputs(WithGroup(["exposures"]))
        assert len(got.exposures) == 7 - 2                      # reach: the treatment rows only
        assert got.arms_report["other_values"] == 1 and got.arms_report["control"] == 1
        assert set(got.arms["group"]) == {"treatment", "control"} and len(got.arms) == 6
        assert cp.load_inputs(Prepared(["exposures"])).arms is None
