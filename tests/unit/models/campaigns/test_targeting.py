import numpy as np
import pandas as pd
import pytest

from helpers.models.campaigns import targeting as tg


def shop(n=8000, seed=5):
    rng = np.random.default_rng(seed)
    risk = rng.random(n)
    tau = np.where(risk > 0.7, -0.15, np.where(risk > 0.3, 0.2, 0.0))     # the riskiest are sleeping dogs
    t = rng.random(n) < 0.5
    y = (rng.random(n) < 0.3 + tau * t).astype(float)
    return risk, tau, y, t


def test_uplift_rule_beats_risk_when_the_risky_are_sleeping_dogs():
    risk, tau, y, t = shop()
    tab = tg.compare_rules({"random": np.random.default_rng(0).random(risk.size), "risk": risk, "uplift": tau},
                           y, t, budget=0.3, margin=20, contact_cost=1, truth=tau, n_boot=100)
    assert tab["rule"].iloc[0] == "uplift"
    r = tab.set_index("rule")
    assert r.loc["risk", "true_incremental"] < 0 < r.loc["uplift", "true_incremental"]
    assert (r["inc_low"] <= r["incremental"]).all() and (r["incremental"] <= r["inc_high"]).all()
    k = r.loc["uplift", "contacted"]
    assert k == 2400
    assert r.loc["uplift", "profit"] == pytest.approx(r.loc["uplift", "incremental"] * 20 - k)
    assert tg.winning_rule(tab) == "uplift"


def test_by_hand_top_two():
    # top 2 by score: customers 0 (T, bought) and 1 (C, not): (1 - 0) * 2 = 2 incremental
    tab = tg.compare_rules({"s": [3, 2, 1, 0]}, [1, 0, 1, 1], [1, 0, 1, 0], budget=0.5, margin=5,
                           contact_cost=1, n_boot=10)
    assert tab.loc[0, "incremental"] == 2 and tab.loc[0, "profit"] == 8


def test_tie_goes_to_the_simpler_rule():
    tab = pd.DataFrame({"rule": ["uplift", "random"], "profit": [100.0, 90.0],
                        "profit_low": [50.0, 40.0], "profit_high": [150.0, 140.0]})
    assert tg.winning_rule(tab) == "random"


def test_paired_resamples_decide_between_close_rules():
    risk, tau, y, t = shop(n=4000, seed=9)
    same = tg.compare_rules({"random": risk, "uplift": risk + 1e-9}, y, t, budget=0.3, n_boot=100)
    assert tg.winning_rule(same) == "random"          # identical picks: the difference is 0 in every resample
    apart = tg.compare_rules({"random": np.random.default_rng(0).random(risk.size), "uplift": tau}, y, t,
                             budget=0.3, margin=20, n_boot=100)
    d = np.subtract(apart.attrs["boot_profit"]["uplift"], apart.attrs["boot_profit"]["random"])
    assert np.quantile(d, 0.05) > 0 and tg.winning_rule(apart) == "uplift"
