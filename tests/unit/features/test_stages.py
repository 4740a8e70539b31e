"""Purchase days, stage rules and each stage rule, stages, their history and the funnel, by hand on the
lifecycle shop."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.features import stages
from helpers.phrase import Phrase, Share
from tests.fixtures.lifecycle import END, RULES



class TestPurchaseDays:
    def test_same_day_orders_are_one_purchase(self, days):
        b = days[days["customer_id"] == "B"]
        assert len(b) == 1 and b["orders"].iloc[0] == 2 and b["revenue"].iloc[0] == 10.0
        a = days[days["customer_id"] == "A"]
        assert a["gap_days"].tolist()[1:] == [36.0, 52.0] and a["n"].tolist() == [1, 2, 3]
        assert len(a) == 3                                     # the May purchase is after the analysis date


class TestRules:
    def test_from_gaps(self, days):
        # gaps: A 36, 52; C 42, 36; E 15; G 12, 14 -> sorted 12 14 15 36 36 42 52
        rules, note = stages.rules_from_gaps(days, min_gaps=5)
        assert rules.at_risk_days == 41     # 80 % quantile 36 + 0.8 x (42 - 36) = 40.8, rounded up
        assert rules.lost_days == 49        # 95 % quantile 42 + 0.7 x (52 - 42) = 49
        assert note[0] == Phrase("stg_from_quantile", name="at_risk_days", days=41, share=Share(0.8, 0),
                                 source=Phrase("stg_from_gaps", n=7))
        assert i18n.say(note, "en") == ("at_risk_days = 41 (80 % quantile of the gaps, from 7 gaps between purchases); "
                                        "lost_days = 49 (95 % quantile of the gaps, from 7 gaps between purchases)")

    def test_falls_back_with_few_gaps(self, days):
        rules, note = stages.rules_from_gaps(days)
        assert (rules.at_risk_days, rules.lost_days) == (90, 180) and "only 7 gaps" in i18n.say(note, "en")

    def test_given_values_win(self, days):
        rules, note = stages.rules_from_gaps(days, at_risk_days=20, lost_days=70)
        assert (rules.at_risk_days, rules.lost_days) == (20, 70)
        assert i18n.say(note, "tr") == "at_risk_days = 20 (verilen); lost_days = 70 (verilen)"

    def test_rejects_bad_thresholds(self):
        with pytest.raises(ValueError, match="need 0 < at_risk_days < lost_days"):
            stages.StageRules(at_risk_days=90, lost_days=90)
        with pytest.raises(ValueError, match="loyal_min_purchases must be >= 3"):
            stages.StageRules(loyal_min_purchases=2)
        with pytest.raises(ValueError, match="loyal_min_tenure_days must be >= 0"):
            stages.StageRules(loyal_min_tenure_days=-1)


class TestStages:
    def test_every_stage_by_hand(self, days):
        s = stages.stages_at(days, END, RULES).set_index("customer_id")["stage"].astype(str).to_dict()
        assert s == {"A": "reactivated",   # back after a 52-day gap (> 50), 27 days ago
                     "B": "lost",          # silent for 100 days
                     "C": "loyal",         # 3 purchases, first 88 days ago, last 10 days ago
                     "D": "at risk",       # one purchase 31 days ago
                     "E": "converted",     # two purchases, the last 5 days ago
                     "F": "new",
                     "G": "active"}        # 3 purchases, but the first only 41 days ago

    def test_columns_by_hand(self, days):
        s = stages.stages_at(days, END, RULES).set_index("customer_id")
        assert s.loc["A", "recency_days"] == 27 and s.loc["A", "tenure_days"] == 115
        assert s.loc["A", "purchases"] == 3 and s.loc["A", "revenue"] == pytest.approx(60.0)
        assert np.isnan(s.loc["F", "last_gap_days"])

    def test_history_by_hand(self, days):
        h = stages.stage_history(days, RULES, period="month", analysis_date=END)
        h = h.pivot(index="period", columns="stage", values="customers")
        assert h.loc["2023-01", "new"] == 2
        assert (h.loc["2023-02", ["new", "converted", "at risk"]] == [1, 1, 1]).all()   # C, A, B
        assert (h.loc["2023-03", ["new", "converted", "at risk", "lost"]] == [2, 1, 1, 1]).all()
        assert h.loc["2023-04"].sum() == 7

    def test_funnel_by_hand(self, days):
        f = stages.funnel(stages.stages_at(days, END, RULES), RULES).set_index("step")
        assert f["customers"].tolist() == [7, 4, 4, 2]      # A C E G converted and recent; A and C loyal
        assert f.loc["loyal", "share_of_previous"] == pytest.approx(0.5)



class TestAssignStage:
    def test_each_rule_in_its_order(self):
        # RULES: at risk after 30 silent days, lost after 50, loyal = 3+ purchases over 60+ days
        cases = {                     # recency, purchases, tenure, last gap -> stage
            "lost, whatever else": (51, 5, 400, 10, "lost"),
            "at risk at 50 days": (50, 1, 50, None, "at risk"),
            "recent at 30 days": (30, 1, 30, None, "new"),
            "back after 51 silent days": (10, 4, 300, 51, "reactivated"),
            "a gap of exactly 50": (10, 2, 70, 50, "converted"),
            "loyal at 60 days": (10, 3, 60, 20, "loyal"),
            "not yet loyal": (10, 3, 59, 20, "active"),
            "two purchases, long tenure": (5, 2, 365, 40, "converted"),
        }
        rec, n, ten, gap, want = map(list, zip(*cases.values()))
        got = stages.assign_stage(pd.Series(rec, index=list(cases)), n, ten, gap, RULES)
        assert got.astype(str).to_dict() == dict(zip(cases, want))
        assert list(got.cat.categories) == stages.STAGE_ORDER and got.cat.ordered

    def test_stage_table(self):
        assert stages.STAGE_ORDER == ["new", "converted", "active", "loyal", "reactivated", "at risk", "lost"]
        assert stages.STAGES["turkish"].str.len().gt(0).all() and stages.STAGES["rule"].str.len().gt(0).all()


class TestPurchaseDaysExpr:
    def test_previous_day_and_purchase_number(self, lines):
        d = stages.purchase_days_expr(lines, END).execute().sort_values(["customer_id", "day"])
        a = d[d["customer_id"] == "A"]
        assert [str(x)[:10] for x in a["day"]] == ["2023-01-05", "2023-02-10", "2023-04-03"]
        assert pd.isna(a["prev_day"].iloc[0]) and [str(x)[:10] for x in a["prev_day"].iloc[1:]] == ["2023-01-05",
                                                                                                    "2023-02-10"]
        assert a["n"].tolist() == [1, 2, 3] and a["revenue"].tolist() == pytest.approx([10.0, 20.0, 30.0])
        assert d["customer_id"].notna().all() and len(d) == 14     # A 3 + B 1 + C 3 + D 1 + E 2 + F 1 + G 3; no guest
