"""Loss events, losses per period, the lost profile and breakdowns, by hand on the lifecycle shop and on a
customer lost twice."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.features import losses
from helpers.features.stages import purchase_days, stages_at
from helpers.io.engine import table
from tests.fixtures import make_lines
from tests.fixtures.lifecycle import END, RULES



class TestLosses:
    def test_events_by_hand(self, days):
        ev = losses.loss_events(days, RULES, analysis_date=END).set_index("customer_id")
        assert sorted(ev.index) == ["A", "B"]
        assert ev.loc["B", "lost_on"] == pd.Timestamp("2023-03-11") and not ev.loc["B", "came_back"]
        assert ev.loc["A", "lost_on"] == pd.Timestamp("2023-04-01")               # Feb 10 + 50 days
        assert ev.loc["A", "came_back"] and ev.loc["A", "back_on"] == pd.Timestamp("2023-04-03")
        assert ev.loc["A", "purchases_before"] == 2 and ev.loc["A", "revenue_before"] == pytest.approx(30.0)
        assert ev.loc["A", "tenure_before_days"] == 36

    def test_per_period(self, days):
        p = losses.losses_per_period(losses.loss_events(days, RULES, analysis_date=END), period="month").set_index("period")
        assert p["lost"].tolist() == [1, 1] and p["came_back"].tolist() == [0, 1]
        assert p.loc["2023-04", "came_back_share"] == 1.0 and p.loc["2023-04", "repeat_lost"] == 1

    def test_lost_profile_by_hand(self, days):
        prof = losses.lost_profile(stages_at(days, END, RULES), days, min_purchases=1)
        lost, buying = prof["lost"], prof["still buying"]       # B; A C E F G (D is at risk: in neither)
        assert lost["customers"] == 1 and buying["customers"] == 5
        assert buying["purchases (median)"] == 3 and buying["revenue (median)"] == 26.0
        assert buying["tenure at last purchase, days (median)"] == 26.0
        # last value / own earlier mean: A 30/15, C 10/25, E 12/8, G 6/10 -> median (0.6 + 1.5) / 2
        assert buying["last purchase value / own earlier mean (median)"] == pytest.approx(1.05)
        # last gap / own earlier mean gap: A 52/36, C 36/42, G 14/12 -> median 14/12
        assert buying["last gap / own earlier mean gap (median)"] == pytest.approx(14 / 12)


COUNTRY_ROWS = [
    (0, "1", "2023-01-05 10:00", "A", "P1", 1, 10.0, "UK"),
    (1, "2", "2023-01-06 10:00", "A", "P1", 1, 30.0, "FR"),   # A spends more in France: main country FR
    (2, "3", "2023-04-20 10:00", "A", "P2", 1, 5.0, "UK"),
    (3, "4", "2023-01-07 10:00", "B", "P1", 1, 8.0, "UK"),
    (4, "5", "2023-04-28 10:00", "C", "P2", 1, 9.0, None),
]


class TestBreakdown:
    def test_by_hand(self, duck):
        lines = table(duck, make_lines(COUNTRY_ROWS, columns=(
            "line_id", "invoice", "invoice_ts", "customer_id", "product_id", "quantity", "unit_price", "country")))
        attrs = losses.customer_attributes(lines, ["country"], analysis_date=END).set_index("customer_id")
        assert attrs["country"].to_dict() == {"A": "FR", "B": "UK", "C": "(missing)"}
        stages = stages_at(purchase_days(lines, analysis_date=END), END, RULES)
        b = losses.breakdown(stages, attrs.reset_index(), "country").set_index("country")
        assert b.loc["FR", "revenue"] == pytest.approx(45.0) and b.loc["FR", "repeat_rate"] == 1.0
        assert b.loc["UK", "lost_share"] == 1.0                    # B: silent since January
        assert b["share_customers"].sum() == pytest.approx(1.0)
        groups = stages.assign(group=np.where(stages["stage"] == "lost", "lost", "still buying"))
        mix = losses.revenue_mix(lines, groups, "product_id", analysis_date=END)
        assert mix.loc["P1", "lost"] == 1.0                         # B bought only P1
        assert mix.loc["P2", "still buying"] == pytest.approx(14 / 54)



class TestRepeatedLosses:
    @pytest.fixture
    def twice(self, duck):
        # X buys on Jan 2 (10), Apr 3 (20, after 91 silent days) and Apr 10 (5), then nothing until Dec 31:
        # lost on Feb 21 (Jan 2 + 50) and back on Apr 3, lost again on May 30 (Apr 10 + 50), still lost
        rows = [(0, "1", "2023-01-02 10:00", "X", "P1", 1, 10.0), (1, "2", "2023-04-03 10:00", "X", "P1", 2, 10.0),
                (2, "3", "2023-04-10 10:00", "X", "P1", 1, 5.0)]
        days = purchase_days(table(duck, make_lines(rows)), analysis_date=dt.date(2023, 12, 31))
        return losses.loss_events(days, RULES, analysis_date=dt.date(2023, 12, 31))

    def test_each_silence_is_an_event(self, twice):
        assert twice["lost_on"].dt.strftime("%Y-%m-%d").tolist() == ["2023-02-21", "2023-05-30"]
        assert twice["came_back"].tolist() == [True, False] and pd.isna(twice["back_on"].iloc[1])
        assert twice["purchases_before"].tolist() == [1, 3]
        assert twice["revenue_before"].tolist() == pytest.approx([10.0, 35.0])
        assert twice["tenure_before_days"].tolist() == [0, 98]            # Jan 2 .. Apr 10

    def test_per_period_fills_the_months_between(self, twice):
        p = losses.losses_per_period(twice, period="month").set_index("period")
        assert p.index.tolist() == ["2023-02", "2023-03", "2023-04", "2023-05"]
        assert p["lost"].tolist() == [1, 0, 0, 1] and p["repeat_lost"].tolist() == [0, 0, 0, 1]
        assert p["came_back"].tolist() == [1, 0, 0, 0] and np.isnan(p.loc["2023-03", "came_back_share"])

    def test_no_events_no_periods(self):
        assert losses.losses_per_period(pd.DataFrame(columns=["lost_on"])).empty
