"""Who responds: customer flags, the responder profile with its chi-square tests, spend and CLV tiers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import campaigns as cp
from helpers.phrase import Phrase
from tests.fixtures.campaign_tables import FIX


class TestProfile:
    def test_flags(self, fx):
        f = cp.customer_flags(fx["pairs"]).set_index("customer_id")
        assert f.loc["c1", "campaigns_reached"] == 2 and f.loc["c1", "campaigns_responded"] == 1
        assert sorted(f.index[f.campaign_responder]) == ["c1", "c2", "c5"]

    def test_hand_checked_chi_square(self, fx):
        flags = cp.customer_flags(fx["pairs"])
        prof = cp.responder_profile(flags, pd.read_csv(FIX / "attributes.csv"))
        reg = prof[prof.variable == "region"].set_index("value")
        # North: c1, c2 responded, c6 not; South: c5 responded, c3, c4 not
        assert reg.loc["North", ["responders", "non_responders"]].tolist() == [2, 1]
        assert reg.loc["North", "response_rate"] == pytest.approx(2 / 3)
        # expected 1.5 in each cell: chi2 = 4 x 0.5^2 / 1.5 = 2/3, 1 dof -> p = 0.4142
        assert reg["p_value"].iloc[0] == pytest.approx(0.4142, abs=1e-4)
        assert not reg["significant"].any()
        age = prof[prof.variable == "age_band"].set_index("value")
        assert age.loc[cp.MISSING, "non_responders"] == 1  # c4

    def test_planted_difference_is_flagged(self):
        rng = np.random.default_rng(0)
        n = 2000
        region = rng.choice(["N", "S"], n)
        noise = rng.choice(["x", "y", "z"], n)
        resp = rng.random(n) < np.where(region == "N", 0.3, 0.1)
        flags = pd.DataFrame({"customer_id": [str(i) for i in range(n)], "campaign_responder": resp})
        prof = cp.responder_profile(flags, pd.DataFrame({"customer_id": flags.customer_id, "region": region,
                                                         "noise": noise}))
        sig = prof.groupby("variable")["significant"].first()
        assert sig["region"] and not sig["noise"]
        assert prof.attrs["level"] == pytest.approx(0.025)

    def test_missing_values_are_shown_but_not_tested(self):
        # 200 customers without a value all responded, the 400 with a value respond at 20 % whatever it is
        rng = np.random.default_rng(1)
        value = np.array([None] * 200 + list(rng.choice(["a", "b"], 400)), dtype=object)
        resp = np.r_[np.ones(200, bool), rng.random(400) < 0.2]
        ids = [str(i) for i in range(600)]
        prof = cp.responder_profile(pd.DataFrame({"customer_id": ids, "campaign_responder": resp}),
                                    pd.DataFrame({"customer_id": ids, "v": value}), missing_label="(none given)")
        assert prof.set_index("value").loc["(none given)", "responders"] == 200
        assert (prof["customers_tested"] == 400).all()
        assert not prof["significant"].any()

    def test_spend_tier(self):
        rfm = pd.DataFrame({"customer_id": list("abcdef"), "monetary": [1, 2, 3, 4, 5, 6.0]})
        t = cp.spend_tier(rfm).set_index("customer_id")["spend_tier"]
        assert t.astype(str).tolist() == ["low", "low", "mid", "mid", "high", "high"]

    def test_profile_groups_use_the_clv_tier_when_given(self):
        # six customers; the CLV tier ranks them the other way round from their spend
        rfm = pd.DataFrame({"customer_id": list("abcdef"), "recency_days": [5, 10, 20, 40, 80, 160],
                            "frequency": [6, 5, 4, 3, 2, 1], "monetary": [1, 2, 3, 4, 5, 6.0]})
        spend = cp.profile_groups(rfm).set_index("customer_id")
        assert "spend_tier" in spend.columns and "clv_tier" not in spend.columns
        assert spend["spend_tier"].astype(str).tolist() == ["low", "low", "mid", "mid", "high", "high"]
        # an empty table (the CLV fit failed) keeps the spend tier
        empty = pd.DataFrame({"customer_id": pd.Series(dtype="string"), "clv_tier": pd.Series(dtype="string")})
        assert "spend_tier" in cp.profile_groups(rfm, clv_tiers=empty).columns

        tiers = pd.DataFrame({"customer_id": list("abcde"),      # f has no tier (not in customers_btyd)
                              "clv_tier": ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %", "rest 80 %"]})
        g = cp.profile_groups(rfm, clv_tiers=tiers).set_index("customer_id")
        assert "clv_tier" in g.columns and "spend_tier" not in g.columns
        assert g.loc["a", "clv_tier"] == "top 1 %" and g.loc["e", "clv_tier"] == "rest 80 %"
        assert pd.isna(g.loc["f", "clv_tier"])
        # ordered best tier first (the order of clv.value_tiers), whatever order the values come in
        assert list(g["clv_tier"].cat.categories) == ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %"]
        assert g["clv_tier"].cat.ordered

        # the profile: a, b responded, c, d, e, f did not; f is (missing) and left out of the test
        flags = pd.DataFrame({"customer_id": list("abcdef"), "campaign_responder": [True, True] + [False] * 4})
        prof = cp.responder_profile(flags, g.reset_index()[["customer_id", "clv_tier"]])
        tier = prof.set_index("value")
        assert tier.index.tolist() == ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %", cp.MISSING]
        assert tier.loc["top 1 %", ["responders", "non_responders"]].tolist() == [1, 0]
        assert tier.loc["rest 80 %", ["responders", "non_responders"]].tolist() == [0, 2]
        assert (prof["customers_tested"] == 5).all()

    def test_clv_tier_table_without_data_says_why(self):
        from helpers.models import clv

        table, reason = clv.value_tier_table(None)
        assert table is None and reason == Phrase("clv_no_btyd") and "customers_btyd" in i18n.say(reason, "en")


class TestProfileTests:
    def test_one_row_per_grouping(self, fx):
        prof = cp.responder_profile(cp.customer_flags(fx["pairs"]), pd.read_csv(FIX / "attributes.csv"))
        t = cp.profile_tests(prof).set_index("variable")
        assert list(t.index) == ["region", "age_band"]
        assert list(t.columns) == ["customers_tested", "p_value", "significant", "min_expected"]
        # region: the hand-checked chi-square of TestProfile (6 customers, expected 1.5 per cell)
        assert t.loc["region", "customers_tested"] == 6 and t.loc["region", "p_value"] == pytest.approx(0.4142, abs=1e-4)
        assert t.loc["region", "min_expected"] == pytest.approx(1.5) and not t.loc["region", "significant"]
        # age band: c4 has none, so 5 are tested
        assert t.loc["age_band", "customers_tested"] == 5
