"""Targeted against not targeted customers: hand-checked on the ten-customer fixture, and a planted uplift
recovered from simulated randomised campaigns (and missed, as it should be, under biased targeting)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import campaigns as cp
from tests.fixtures import TINY


class TestTargetingComparison:
    def test_hand_checked(self, fx):
        c = cp.targeting_comparison(fx["ex"], fx["days"]).set_index("campaign_id")
        a = c.loc["A"]
        # eligible for A (a purchase before 03-01): c1 c2 c3 c5 c7 c8 c9; c4's first purchase is 03-08
        assert (a.eligible, a.targeted, a.not_targeted, a.reached_not_eligible) == (7, 3, 4, 1)
        # buying in the window: targeted c1, c2 of 3; not targeted c8 of c5 c7 c8 c9
        assert (a.targeted_buyers, a.not_targeted_buyers) == (2, 1)
        assert a.difference == pytest.approx(2 / 3 - 1 / 4)
        assert a.se == pytest.approx(math.sqrt((2 / 3) * (1 / 3) / 3 + 0.25 * 0.75 / 4))
        # revenue per customer in the window: (50 + 50 + 0) / 3 vs (20 + 0 + 0 + 0) / 4
        assert a.revenue_targeted == pytest.approx(100 / 3) and a.revenue_not_targeted == pytest.approx(5.0)
        assert a.diff_low < a.difference < a.diff_high
        b = c.loc["B"]
        assert (b.eligible, b.targeted, b.targeted_buyers) == (9, 3, 0)

    def test_lookback_and_overlap_rules(self, fx):
        c = cp.targeting_comparison(fx["ex"], fx["days"], lookback_days=30).set_index("campaign_id")
        # purchases in 01-31 .. 02-29: c2 (02-01), c3, c7, c9 -> c1 (01-10) and c5, c8 drop out
        assert (c.loc["A", "eligible"], c.loc["A", "targeted"]) == (4, 2)
        ex = pd.concat([fx["ex"], cp.check_exposures(pd.DataFrame(
            {"customer_id": ["c8"], "campaign_id": ["C"], "start": ["2024-03-05"], "end": ["2024-03-20"]}))])
        clean = cp.targeting_comparison(ex, fx["days"], exclude_other_campaigns=True).set_index("campaign_id")
        assert clean.loc["A", "not_targeted"] == 3  # c8, reached by the overlapping C, leaves A's control
        assert clean.loc["A", "not_targeted_buyers"] == 0


# --------------------------------------------------------------------------------------
# known truth: a planted uplift under randomised targeting
# --------------------------------------------------------------------------------------
def simulate(n=6000, uplifts=(0.0, 0.05, 0.12), base=0.2, target_share=0.4, seed=11, biased=False):
    """Customers who all bought before; each campaign targets a random share (or, biased, the heavy buyers).

    In a campaign window a customer buys with probability base_i (+ uplift if targeted), base_i
    depending on the customer's past spend; the planted uplift is exactly the difference of the two
    probabilities averaged over the eligible customers, as in the generator's truth.
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"k{i}" for i in range(n)])
    heavy = rng.random(n) < 0.5
    p0 = np.where(heavy, base + 0.1, base - 0.1)
    lines = [pd.DataFrame({"customer_id": ids, "invoice_ts": pd.Timestamp("2024-01-15"),
                           "amount": np.where(heavy, 80.0, 20.0)})]
    ex, truth = [], []
    for k, u in enumerate(uplifts):
        start = pd.Timestamp("2024-03-01") + pd.Timedelta(days=30 * k)
        if biased:
            targeted = rng.random(n) < np.where(heavy, 0.7, 0.1)
        else:
            targeted = rng.random(n) < target_share
        bought = rng.random(n) < p0 + u * targeted
        ex.append(pd.DataFrame({"customer_id": ids[targeted], "campaign_id": f"cmp{k}", "campaign_type": "T",
                                "start": start, "end": start + pd.Timedelta(days=9)}))
        lines.append(pd.DataFrame({"customer_id": ids[bought], "invoice_ts": start + pd.Timedelta(days=3),
                                   "amount": 10.0}))
        truth.append({"campaign_id": f"cmp{k}", "uplift": u, "response_rate": 0.1})
    return cp.check_exposures(pd.concat(ex)), cp.customer_days(pd.concat(lines)), truth


class TestPlantedUplift:
    def test_randomised_targeting_recovers_the_planted_uplift(self):
        ex, days, truth = simulate()
        comp = cp.targeting_comparison(ex, days)
        check = cp.truth_check(comp, truth)
        assert check["uplift_ok"].all(), check
        # and not by a loose tolerance: about 3.2 standard errors of about 1.3 points
        assert (check["tolerance"] < 0.05).all()
        assert check.attrs["z"] == pytest.approx(cp.family_z(3))
        # the Newcombe interval covers each planted value
        assert ((comp.diff_low <= comp.difference) & (comp.diff_high >= comp.difference)).all()

    def test_biased_targeting_fails_the_check(self):
        # targeting the heavy buyers makes targeted customers buy more anyway: the observational
        # difference then overstates the uplift by far more than sampling error, and the check says so
        ex, days, truth = simulate(biased=True)
        check = cp.truth_check(cp.targeting_comparison(ex, days), truth)
        assert not check["uplift_ok"].any()
        assert (check["uplift_error"] > 0.1).all()

    def test_truth_as_dict_and_response_rate(self, fx):
        comp = cp.targeting_comparison(fx["ex"], fx["days"])
        summ = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        check = cp.truth_check(comp, {"A": {"uplift": 0.4, "response_rate": 0.5}, "B": {"uplift": 0.9,
                                                                                        "response_rate": 0.3}},
                               summary=summ).set_index("campaign_id")
        assert check.loc["A", "uplift_ok"] and check.loc["A", "rate_ok"]
        assert not check.loc["B", "uplift_ok"]  # B's estimate is 0 with se 0
        with pytest.raises(DataError, match="no uplift column"):
            cp.truth_check(comp, [{"campaign_id": "A", "lift": 0.1}])


@pytest.mark.slow
def test_synthetic_shop_recovers_planted_uplift(tmp_path):
    from helpers import pipeline

    prep = pipeline.open_run(TINY,
                             ["data.synthetic.customers=4000", "data.synthetic.days=730", "name=campaigns_mid"],
                             progress=False)
    truth = prep.synthetic_truth() or {}
    if "exposures" not in prep.tables or "campaigns" not in truth:
        pytest.skip("the synthetic generator does not plant campaigns yet (no 'exposures' table or campaigns truth)")
    ex = cp.check_exposures(prep.read("exposures"))
    days = cp.customer_days(prep.lines(columns=["customer_id", "invoice_ts", "amount"]))
    comp = cp.targeting_comparison(ex, days, end_inclusive=cp.end_inclusive_for(truth))
    check = cp.truth_check(comp, truth["campaigns"])
    assert len(check) > 0 and check["uplift_ok"].all(), check


class TestPooledDifference:
    def test_sums_the_pairs_of_all_campaigns(self):
        comp = pd.DataFrame({"targeted_buyers": [2, 0], "targeted": [3, 3],
                             "not_targeted_buyers": [1, 2], "not_targeted": [4, 6]})
        p = cp.pooled_difference(comp)
        # 2 of 6 targeted pairs bought, 3 of 10 not targeted
        assert (p["targeted"], p["not_targeted"]) == (6, 10)
        assert p["share_targeted"] == pytest.approx(1 / 3) and p["share_not_targeted"] == pytest.approx(0.3)
        assert p["difference"] == pytest.approx(1 / 3 - 0.3)
        d = cp.diff_proportions(2, 6, 3, 10)
        assert (p["low"], p["high"]) == pytest.approx((d.low, d.high))

    def test_on_the_fixture(self, fx):
        comp = cp.targeting_comparison(fx["ex"], fx["days"])
        p = cp.pooled_difference(comp)
        # A: 2 of 3 targeted and 1 of 4 not; B: 0 of 3 targeted (9 eligible, so 6 not targeted)
        assert (p["targeted"], p["not_targeted"]) == (6, 10)
        b = comp.set_index("campaign_id").loc["B"]
        assert p["share_not_targeted"] == pytest.approx((1 + b["not_targeted_buyers"]) / 10)

    def test_nobody_targeted(self):
        p = cp.pooled_difference(pd.DataFrame({"targeted_buyers": [0], "targeted": [0], "not_targeted_buyers": [1],
                                               "not_targeted": [5]}))
        assert math.isnan(p["share_targeted"]) and math.isnan(p["difference"]) and p["share_not_targeted"] == 0.2
