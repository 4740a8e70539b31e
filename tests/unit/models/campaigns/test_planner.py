import math

import pandas as pd
import pytest

from helpers.models.campaigns import planner as pl


def test_per_arm_matches_hand_computation_and_fleiss_table():
    # p1 = .10, p2 = .15, alpha .05 two-sided, power .80: by hand
    # (1.959964 * sqrt(2 * .125 * .875) + 0.841621 * sqrt(.09 + .1275))^2 / .05^2 = 685.6 -> 686
    # (Fleiss, Levin & Paik 2003, table A.4 without continuity correction: 686)
    assert pl.customers_per_arm(0.10, 0.05) == 686


def test_per_arm_grows_with_power_and_smaller_uplift():
    base = pl.customers_per_arm(0.2, 0.02)
    assert pl.customers_per_arm(0.2, 0.02, power=0.9) > base
    assert pl.customers_per_arm(0.2, 0.01) > 3.5 * base       # ~1/uplift^2
    assert pl.customers_per_arm(0.2, 0.02, alpha=0.01) > base


@pytest.mark.parametrize("args", [(0.0, 0.1), (0.95, 0.1), (0.2, 0.0)])
def test_per_arm_rejects_bad_rates(args):
    with pytest.raises(ValueError):
        pl.customers_per_arm(*args)


def test_weeks_and_flow():
    assert pl.weeks_needed(500, 100) == 10.0
    assert pl.weeks_needed(500, 0) == math.inf
    days = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
                         "day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-09"])})
    assert pl.weekly_flow(days) == 1.5          # week 1: a, b; week 2: c
    d = pl.plan_test(0.10, 0.05, 137.2)
    assert d.per_arm == 686 and d.weeks == pytest.approx(2 * 686 / 137.2)


def test_result_small_control_is_flagged_with_number_needed():
    r = pl.result_of_test(30, 200, 20, 200, base_rate=0.10, uplift=0.05)
    assert r["uplift"] == pytest.approx(0.05)
    assert r["low"] < 0.05 < r["high"]
    assert r["needed"] == 686 and r["enough"] is False
    big = pl.result_of_test(1500, 10000, 1000, 10000, base_rate=0.10, uplift=0.05)
    assert big["enough"] is True and big["low"] > 0


def test_campaign_results_judge_each_campaign():
    comp = pd.DataFrame({"campaign_id": ["A", "B"], "targeted": [200, 2000], "targeted_buyers": [30, 300],
                         "not_targeted": [1800, 2000], "not_targeted_buyers": [180, 200],
                         "share_not_targeted": [0.10, 0.10]})
    r = pl.campaign_results(comp, uplift=0.05).set_index("campaign_id")
    assert r.loc["A", "needed"] == r.loc["B", "needed"] == 686
    assert not r.loc["A", "enough"] and r.loc["B", "enough"]
    assert r.loc["B", "uplift"] == pytest.approx(0.05) and r.loc["B", "low"] > 0
