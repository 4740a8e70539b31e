"""Customer tables against hand computation, and their totals against clean revenue."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.features import customers
from helpers.io.engine import table
from tests.fixtures import make_lines

# Customer A: orders on Jan 1 (2 lines, 30), Jan 1 again (another invoice, 10), Jan 8 (20), Jan 29 (40)
# Customer B: one order on Jan 15 (5). A guest order on Jan 20 (99) is left out.
ROWS = [
    (0, "1", "2023-01-01 09:00", "A", "P1", 1, 10.0),
    (1, "1", "2023-01-01 09:00", "A", "P2", 2, 10.0),
    (2, "2", "2023-01-01 17:00", "A", "P3", 1, 10.0),
    (3, "3", "2023-01-08 12:00", "A", "P1", 2, 10.0),
    (4, "4", "2023-01-29 12:00", "A", "P1", 4, 10.0),
    (5, "5", "2023-01-15 12:00", "B", "P1", 1, 5.0),
    (6, "6", "2023-01-20 12:00", None, "P1", 1, 99.0),
]
END = dt.date(2023, 1, 31)


@pytest.fixture
def lines(duck):
    return table(duck, make_lines(ROWS))


class TestRfmTable:
    def test_by_hand(self, lines):
        r = customers.rfm_table(lines, analysis_date=END).execute().set_index("customer_id")
        assert list(r.index) == ["A", "B"]                       # the guest is left out
        assert r.loc["A", "frequency"] == 4                      # four invoices
        assert r.loc["A", "monetary"] == pytest.approx(100.0)    # 30 + 10 + 20 + 40
        assert r.loc["A", "recency_days"] == 2                   # Jan 29 -> Jan 31
        assert r.loc["A", "tenure_days"] == 30
        assert r.loc["A", "avg_order_value"] == pytest.approx(25.0)
        assert r.loc["B", "recency_days"] == 16 and r.loc["B", "frequency"] == 1

    def test_ignores_lines_after_the_analysis_date(self, lines):
        r = customers.rfm_table(lines, analysis_date=dt.date(2023, 1, 10)).execute().set_index("customer_id")
        assert list(r.index) == ["A"] and r.loc["A", "frequency"] == 3 and r.loc["A", "recency_days"] == 2


class TestBtydSummary:
    def test_by_hand_in_weeks(self, lines):
        s = customers.btyd_summary(lines, observation_end=END, time_unit="W").execute().set_index("customer_id")
        # A buys on three distinct days (Jan 1, 8, 29): two repeat purchases
        assert s.loc["A", "frequency"] == 2
        assert s.loc["A", "recency"] == pytest.approx(28 / 7)
        assert s.loc["A", "T"] == pytest.approx(30 / 7)
        assert s.loc["A", "first_value"] == pytest.approx(40.0)       # both Jan 1 invoices, one purchase day
        assert s.loc["A", "monetary_value"] == pytest.approx((20 + 40) / 2)
        assert s.loc["B", "frequency"] == 0 and s.loc["B", "monetary_value"] == 0
        assert s.loc["B", "T"] == pytest.approx(16 / 7)

    def test_days_and_weeks_agree(self, lines):
        d = customers.btyd_summary(lines, observation_end=END, time_unit="D").execute().set_index("customer_id")
        w = customers.btyd_summary(lines, observation_end=END, time_unit="W").execute().set_index("customer_id")
        pd.testing.assert_series_equal(d["T"] / 7, w["T"])
        pd.testing.assert_series_equal(d["frequency"], w["frequency"])


class TestCalibrationHoldout:
    def test_by_hand(self, lines):
        s = customers.calibration_holdout(lines, calibration_end=dt.date(2023, 1, 10), observation_end=END,
                                          time_unit="D").execute().set_index("customer_id")
        assert list(s.index) == ["A"]                 # B's first purchase is in the holdout
        assert s.loc["A", "frequency"] == 1           # Jan 1 and Jan 8
        assert s.loc["A", "frequency_holdout"] == 1   # Jan 29
        assert s.loc["A", "monetary_value_holdout"] == pytest.approx(40.0)
        assert s.loc["A", "duration_holdout"] == pytest.approx(21.0)

    def test_rejects_a_calibration_end_after_the_observation_end(self, lines):
        with pytest.raises(ValueError, match="must be before"):
            customers.calibration_holdout(lines, calibration_end=END, observation_end=END)


orders = st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.integers(0, 60),
                            st.integers(1, 9), st.floats(0.5, 50, allow_nan=False).map(lambda x: round(x, 2))),
                  min_size=1, max_size=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=orders)
def test_customer_tables_add_up_to_clean_revenue(duck, rows):
    df = make_lines([(i, f"I{i}", pd.Timestamp("2023-01-01 08:00") + pd.Timedelta(days=d), c, "P1", q, p)
                     for i, (c, d, q, p) in enumerate(rows)])
    t = table(duck, df)
    end = dt.date(2023, 3, 31)
    customer_revenue = df.loc[df["customer_id"].notna(), "amount"].sum()
    rfm = customers.rfm_table(t, analysis_date=end).execute()
    assert rfm["monetary"].sum() == pytest.approx(customer_revenue)
    assert rfm["frequency"].sum() == df["customer_id"].notna().sum()
    b = customers.btyd_summary(t, observation_end=end, time_unit="D").execute()
    assert (b["first_value"] + b["frequency"] * b["monetary_value"]).sum() == pytest.approx(customer_revenue)
    assert (b["recency"] <= b["T"]).all() and (b["frequency"] >= 0).all()


def test_a_free_order_is_a_purchase_that_does_not_lower_spend(duck):
    """Zero-value lines count for frequency, recency and the first purchase, not for the spend averages."""
    from tests.fixtures import make_lines

    df = make_lines([(0, "1", "2023-01-02", "A", "P1", 1, 0.0),     # A's first order was free
                     (1, "2", "2023-01-09", "A", "P1", 1, 10.0),
                     (2, "3", "2023-01-16", "A", "P1", 1, 0.0),     # a free repeat purchase
                     (3, "4", "2023-01-23", "A", "P1", 2, 10.0),
                     (4, "5", "2023-01-30", "B", "P1", 1, 0.0)])    # B only ever had a free sample
    t = table(duck, df)
    end = dt.date(2023, 2, 5)
    rfm = customers.rfm_table(t, analysis_date=end).execute().set_index("customer_id")
    assert set(rfm.index) == {"A", "B"}
    assert str(rfm.loc["A", "first_purchase"])[:10] == "2023-01-02" and rfm.loc["A", "frequency"] == 4
    assert rfm.loc["A", "avg_order_value"] == pytest.approx(30.0 / 2) and rfm.loc["B", "avg_order_value"] == 0
    b = customers.btyd_summary(t, observation_end=end, time_unit="D").execute().set_index("customer_id")
    assert b.loc["A", "frequency"] == 3 and b.loc["A", "T"] == 34 and b.loc["A", "recency"] == 21
    assert b.loc["A", "monetary_value"] == pytest.approx((10 + 20) / 2)   # the free repeat day left out
    assert b.loc["B", "frequency"] == 0 and b.loc["B", "monetary_value"] == 0


class TestPurchaseGrid:
    def test_every_purchase_day_a_sunday_is_a_weekly_grid(self, lines):
        # customer days: A on Jan 1, 8 and 29, B on Jan 15 (2023): all Sundays, four different days of the month
        g = customers.purchase_grid(lines, observation_end=END)
        assert g["grid"] == "W" and g["weekday"] == 6 and g["weekday_share"] == 1.0
        assert g["day_share"] == 0.25 and g["days"] == 4

    def test_daily_shopping_is_no_grid(self, duck):
        rows = [(i, str(i), f"2023-01-{d:02d} 10:00", "A", "P1", 1, 1.0) for i, d in enumerate(range(1, 15))]
        g = customers.purchase_grid(table(duck, make_lines(rows)), observation_end=END)
        assert g["grid"] is None and g["weekday_share"] == pytest.approx(2 / 14)

    def test_one_day_of_the_month_is_a_monthly_grid(self, duck):
        rows = [(i, str(i), f"2023-{m:02d}-03 10:00", c, "P1", 1, 1.0) for i, (m, c) in
                enumerate([(1, "A"), (2, "A"), (3, "B"), (4, "A"), (5, "B")])]
        g = customers.purchase_grid(table(duck, make_lines(rows)), observation_end=dt.date(2023, 6, 1))
        assert g["grid"] == "M" and g["day"] == 3 and g["day_share"] == 1.0


class TestCalendarFeatures:
    def test_by_hand(self, lines):
        # cut-off Jan 20, 2023: A bought on Jan 1 and 8 (Sundays), B on Jan 15 (a Sunday)
        c = customers.calendar_features(lines, cutoff=dt.date(2023, 1, 20), horizon_days=10).execute()
        c = c.set_index("customer_id")
        assert c.loc["A", "last_quarter"] == 2 and c.loc["B", "last_quarter"] == 1
        assert c.loc["A", "weekend_share"] == 1.0 and (c["last_year_window"] == 0).all()

    def test_same_window_a_year_earlier(self, lines):
        # cut-off Jan 5, 2024, horizon 10 days: the window a year earlier is (Jan 5, Jan 15] 2023:
        # A's Jan 8 and B's Jan 15 fall in it; nothing falls in the 91 days before the cut-off
        c = customers.calendar_features(lines, cutoff=dt.date(2024, 1, 5), horizon_days=10).execute()
        c = c.set_index("customer_id")
        assert c.loc["A", "last_year_window"] == 1 and c.loc["B", "last_year_window"] == 1
        assert (c["last_quarter"] == 0).all()
