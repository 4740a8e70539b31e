"""Value at stake and the retention plan against hand computation."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import i18n
from helpers.models import churn
from helpers.phrase import Phrase, Sig
from tests.fixtures.churn_data import CUT


class TestTrailingRevenue:
    def test_by_hand(self, lines):
        v = churn.trailing_revenue(lines, analysis_date=CUT, days=60)
        # Jan 31 .. Mar 31: A 30 + 10, B 5, E 20; D bought only in 2022: a measured 0; the guest is out
        assert v.to_dict() == {"A": 40.0, "B": 5.0, "D": 0.0, "E": 20.0}

class TestValueAtStake:
    def test_historical_value_with_margin_when_clv_is_off(self, lines):
        v, note = churn.value_at_stake(lines, analysis_date=CUT, margin=0.5, value_days=60, use_clv=False)
        assert v.to_dict() == {"A": 20.0, "B": 2.5, "D": 0.0, "E": 10.0}
        assert note == Phrase("chv_historical", days=60, margin=Sig(0.5), why=Phrase("chv_not_asked"))
        assert v.attrs["kind"] == "historical"

    def test_too_few_repeat_customers_use_empirical_rates_by_hand(self, lines):
        """One repeat customer (A) of four: no model can be fitted, so the CLV comes from each customer's
        own repeat rate and mean repeat spend, and says so. A: 2 repeat purchase days in the 80 days from
        the first purchase (Jan 10) to the cut-off, mean repeat spend (30 + 10) / 2 = 20; the others never
        came back (rate 0). Without dropout in the model the CLV already is the value if kept."""
        v, note = churn.value_at_stake(lines, analysis_date=CUT, margin=1.0, value_days=60, clv_months=12,
                                       discount_rate=0.10)
        rate = 2 / (80 / 7)                                  # repeat purchases per week
        month = 365.25 / 12 / 7                              # a month in weeks
        by_hand = sum(rate * month * 20.0 / 1.1 ** (k / 12) for k in range(1, 13))
        assert v["A"] == pytest.approx(by_hand) and v[["B", "D", "E"]].tolist() == [0.0, 0.0, 0.0]
        assert v.attrs["kind"] == "clv_if_kept" and v.attrs["purchase_source"].step == "empirical_rate"
        assert note.key == "chv_clv" and note.fields["unknown"] == ""          # no P(alive) without dropout
        assert i18n.say(note, "en").startswith("predictive CLV if kept = CLV (empirical purchase rates")

class TestRetentionPlan:
    RISK = pd.Series({"X": 0.8, "Y": 0.5, "Z": 0.1, "W": 0.2, "V": 0.9})
    VALUE = pd.Series({"X": 100.0, "Y": 200.0, "Z": 900.0, "W": 50.0})   # V: value unknown

    def test_ranking_and_cumulative_return(self):
        plan = churn.retention_plan(self.RISK, self.VALUE, success_rate=0.5, contact_cost=10, margin=1.0)
        # X 0.8*100*0.5-10 = 30, Y 40, Z 35, W -5; V has no known value: listed last, not counted (not valued at 0)
        assert plan["customer_id"].tolist() == ["Y", "Z", "X", "W", "V"] and plan["rank"].tolist() == [1, 2, 3, 4, 5]
        assert plan["expected_saved_value"].tolist()[:4] == pytest.approx([40, 35, 30, -5])
        assert plan["cumulative_return"].tolist()[:4] == pytest.approx([40, 75, 105, 100])
        assert plan.iloc[4][["value", "expected_saved_value", "cumulative_return"]].isna().all()
        assert plan.attrs["unvalued"] == 1
        assert churn.break_even(plan) == {"customers": 4, "best_n": 3, "best_return": 105.0, "break_even_n": 4,
                                          "contact_all_return": 100.0}

    def test_break_even_inside_the_list(self):
        plan = churn.retention_plan(self.RISK, self.VALUE, success_rate=0.5, contact_cost=30, margin=1.0)
        assert plan["cumulative_return"].tolist()[:4] == pytest.approx([20, 35, 45, 20])
        be = churn.break_even(plan)
        assert (be["best_n"], be["best_return"], be["break_even_n"]) == (3, 45.0, 4)

    def test_margin_scales_the_value(self):
        plan = churn.retention_plan(self.RISK, self.VALUE, success_rate=0.5, contact_cost=0, margin=0.5)
        assert plan.set_index("customer_id").loc["Y", "expected_saved_value"] == pytest.approx(0.5 * 200 * 0.5 * 0.5)

    def test_nobody_worth_contacting(self):
        plan = churn.retention_plan(self.RISK, self.VALUE, success_rate=0.0, contact_cost=1)
        assert churn.break_even(plan)["best_n"] == 0 and churn.break_even(plan)["break_even_n"] == 0

    def test_errors(self):
        with pytest.raises(ValueError, match="success_rate = 1.5: must be a share between 0 and 1"):
            churn.retention_plan(self.RISK, self.VALUE, success_rate=1.5, contact_cost=1)
        with pytest.raises(ValueError, match="contact_cost = -1: must be >= 0"):
            churn.retention_plan(self.RISK, self.VALUE, success_rate=0.5, contact_cost=-1)
        with pytest.raises(ValueError, match=r"margin = 0: must be a share in \(0, 1\]"):
            churn.retention_plan(self.RISK, self.VALUE, success_rate=0.5, contact_cost=1, margin=0)
