"""Campaign windows, reach and response, types and the funnel, counted by hand on the ten-customer fixture,
and the dunnhumby counts published with that data."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.models import campaigns as cp
from tests.fixtures.campaign_tables import END


class TestCampaignSummary:
    def test_hand_checked(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"]).set_index("campaign_id")
        a, b = s.loc["A"], s.loc["B"]
        # A reached c1..c4; c1 and c2 responded (c2 twice counts once); c7 responded without being reached
        assert (a.reached, a.responders, a.unreached_responders) == (4, 2, 1)
        assert a.response_rate == pytest.approx(0.5)
        # B reached c1, c5, c6; c5 responded, on 05-03, outside B's one-day window (end = start)
        assert (b.reached, b.responders, b.responders_outside_window) == (3, 1, 1)
        assert b.response_rate == pytest.approx(1 / 3)
        assert (a.window_days, b.window_days) == (10, 1)
        # days to respond: c1 03-03 12:00 - 03-01 = 2.5, c2 03-05 - 03-01 = 4.0 -> median 3.25; c5: 2.0
        assert a.median_days_to_respond == pytest.approx(3.25) and b.median_days_to_respond == pytest.approx(2.0)
        # responders' revenue in A's window: c1 50 (03-04) + c2 40 + 10 (03-05); c1's 03-20 line is after it
        assert a.responder_revenue == pytest.approx(100.0)
        assert b.responder_revenue == pytest.approx(0.0)
        # reached customers buying in A's window: c1, c2, c4
        assert a.reached_buyers_in_window == 3

    def test_wilson_interval_brackets_rate(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        assert (s.rate_low < s.response_rate).all() and (s.response_rate < s.rate_high).all()
        # Wilson 95 % interval of 2/4 (Newcombe 1998, Table I style): 0.150 .. 0.850
        a = s.set_index("campaign_id").loc["A"]
        assert (round(a.rate_low, 3), round(a.rate_high, 3)) == (0.150, 0.850)

    def test_extend_days_takes_late_response_into_window(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"], extend_days=3).set_index("campaign_id")
        assert s.loc["B", "responders_outside_window"] == 0
        assert s.loc["B", "responder_revenue"] == pytest.approx(60.0)  # c5 bought 60 on 05-03

    def test_without_responses_only_reach(self, fx):
        s = cp.campaign_summary(fx["ex"], None, fx["days"])
        assert "response_rate" not in s.columns and s["reached"].tolist() == [4, 3]

    def test_types_pooled(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        t = cp.type_summary(s).set_index("campaign_type")
        assert t.loc["email", "response_rate"] == pytest.approx(2 / 4)
        assert t.loc["sms", "response_rate"] == pytest.approx(1 / 3)
        assert list(t.index) == ["email", "sms"]  # highest rate first

    def test_pairs(self, fx):
        p = fx["pairs"].set_index(["customer_id", "campaign_id"])
        assert p.loc[("c2", "A"), "responses"] == 2
        assert p.loc[("c1", "A"), "days_to_respond"] == pytest.approx(2.5)
        assert not p.loc[("c5", "B"), "response_in_window"]
        assert p["responded"].sum() == 3


class TestFunnel:
    def test_hand_checked(self, fx):
        f = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=END)
        f = f.set_index("campaign_id")
        # A: follow-up 03-11 .. 04-09; responder c1 bought 03-20, c2 did not; non-responder c3 bought 04-05
        assert (f.loc["A", "responded"], f.loc["A", "repeat"], f.loc["A", "non_responder_repeat"]) == (2, 1, 1)
        # B: follow-up 05-02 .. 05-31; responder c5 bought 05-03
        assert (f.loc["B", "repeat"], f.loc["B", "non_responder_repeat"]) == (1, 0)
        assert f.loc["A", "repeat_rate"] == pytest.approx(0.5)
        assert f.loc["A", "non_responder_repeat_rate"] == pytest.approx(0.5)
        total = cp.funnel_total(f.reset_index())
        assert total["pairs"].tolist() == [7, 3, 2]
        assert total["share_of_previous"].tolist() == pytest.approx([1.0, 3 / 7, 2 / 3])

    def test_incomplete_follow_up_is_not_counted(self, fx):
        f = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=dt.date(2024, 5, 15))
        b = f.set_index("campaign_id").loc["B"]
        assert not b["follow_up_complete"] and pd.isna(b["repeat"])
        assert cp.funnel_total(f)["pairs"].tolist() == [4, 2, 1]  # A only

    def test_repeat_days_must_be_positive(self, fx):
        with pytest.raises(ValueError, match="repeat_days"):
            cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=0, analysis_date=END)


class TestEndConvention:
    def test_exclusive_end(self, fx):
        w = cp.campaign_windows(fx["ex"], end_inclusive=False).set_index("campaign_id")
        # A: 03-01 .. 03-10 read as exclusive ends on 03-09; B (end = start) keeps its one day
        assert w.loc["A", "window_end"] == pd.Timestamp("2024-03-09") and w.loc["A", "window_days"] == 9
        assert w.loc["B", "window_days"] == 1

    def test_read_from_truth(self):
        assert cp.end_inclusive_for(None) is True
        assert cp.end_inclusive_for({"campaigns": [{"campaign_id": "X", "end_exclusive": "2024-01-02"}]}) is False
        assert cp.end_inclusive_for({"params": {}}) is True


@pytest.mark.shared_data
def test_dunnhumby_reach_and_responders_match_the_published_counts(shared_data):
    d = shared_data / "dunnhumby_complete_journey"
    sent = pd.read_csv(d / "campaigns.csv").merge(pd.read_csv(d / "campaign_descriptions.csv"), on="campaign_id")
    ex = cp.check_exposures(sent.rename(columns={"household_id": "customer_id", "start_date": "start",
                                                 "end_date": "end"}), "campaigns.csv")
    red = pd.read_csv(d / "coupon_redemptions.csv")
    rs = cp.check_responses(red.rename(columns={"household_id": "customer_id", "redemption_date": "response_ts"}),
                            "coupon_redemptions.csv")
    tx = pd.read_csv(d / "transactions_sample.csv", usecols=["household_id", "transaction_timestamp", "sales_value"])
    days = cp.customer_days(tx.rename(columns={"household_id": "customer_id", "transaction_timestamp": "invoice_ts",
                                               "sales_value": "amount"}))
    s = cp.campaign_summary(ex, rs, days)
    # ../shared/data/README.md: 27 campaigns sent to 1,559 households; 2,102 redemptions by 410 households
    assert len(s) == 27 and ex["customer_id"].nunique() == 1559 and len(ex) == 6589
    flags = cp.customer_flags(cp.response_pairs(ex, rs, cp.campaign_windows(ex)))
    assert int(flags["campaign_responder"].sum()) == 410
    assert (s["unreached_responders"] == 0).all()     # every redemption is by a household the campaign reached
    types = cp.type_summary(s).set_index("campaign_type")
    listed = pd.read_csv(d / "campaign_descriptions.csv")["campaign_type"].value_counts()
    assert types["campaigns"].to_dict() == listed.to_dict()
    assert types["response_rate"].is_monotonic_decreasing   # best type first
    assert int(types["responders"].sum()) == int(s["responders"].sum())
