"""Tests for helpers.models.clv.tournament: the metrics against hand computations on tiny arrays, the choice
rule, the bad-input message, the two-part model on a planted relation, and the synthetic shop's generating
family (BG/NBD) winning or tying."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n, paths, pipeline
from helpers.config import load_config
from helpers.models.clv import tournament


class TestMetrics:
    def test_normalised_gini_by_hand(self):
        a = np.array([0.0, 1.0, 3.0])
        # perfect order [3, 1, 0]: cumulative shares 3/4, 1, 1 minus 1/3, 2/3, 1 -> (5/12 + 1/3 + 0) / 3 = 1/4
        assert tournament.normalised_gini(a, a) == pytest.approx(1.0)
        # order [1, 3, 0]: shares 1/4, 1, 1 -> (-1/12 + 1/3 + 0) / 3 = 1/12; normalised (1/12)/(1/4) = 1/3
        assert tournament.normalised_gini(a, np.array([0.0, 2.0, 1.0])) == pytest.approx(1 / 3)
        # the reversed order: [0, 1, 3] -> (-1/3 - 5/12 + 0) / 3 = -1/4 -> -1
        assert tournament.normalised_gini(a, -a) == pytest.approx(-1.0)

    def test_top_capture_and_deciles(self):
        a = np.arange(10.0)            # 0..9, total 45
        assert tournament.top_capture(a, a, share=0.2) == pytest.approx((9 + 8) / 45)
        assert tournament.top_capture(a, -a, share=0.2) == pytest.approx(1 / 45)
        d = tournament.decile_table(a, a, deciles=5)
        assert list(d["actual"]) == [8.5, 6.5, 4.5, 2.5, 0.5] and list(d["customers"]) == [2] * 5
        # predicted 2x actual in every decile: decile MAPE = 1 (the decile with actual 0.5 included, none is 0)
        assert tournament.decile_mape(a + 1, 2 * (a + 1), deciles=5) == pytest.approx(1.0)

    def test_errors_by_hand(self):
        m = tournament.metrics([0, 2, 1], [1, 1, 1], [0, 10, 5], [2, 6, 5])
        assert m["mae_purchases"] == pytest.approx(2 / 3) and m["rmse_purchases"] == pytest.approx(np.sqrt(2 / 3))
        assert m["bias_purchases"] == pytest.approx(0.0)
        assert m["mae_spend"] == pytest.approx(2.0) and m["bias_spend"] == pytest.approx(-2 / 3)
        assert m["rmse_spend"] == pytest.approx(np.sqrt(20 / 3)) and m["spearman"] == pytest.approx(1.0)


class TestChoice:
    def test_simpler_model_stands_within_the_interval(self):
        t = pd.DataFrame({"gini": [0.50, 0.52]}, index=["bgnbd", "gbm"])
        chosen, why = tournament.choose(t, (0.02, -0.01, 0.05))
        assert chosen == "bgnbd" and why.key == "tour_simpler"

    def test_best_wins_outside_the_interval(self):
        t = pd.DataFrame({"gini": [0.50, 0.52]}, index=["bgnbd", "gbm"])
        chosen, why = tournament.choose(t, (0.02, 0.01, 0.05))
        assert chosen == "gbm" and why.key == "tour_best"
        small = tournament.choose(t, (0.0017, 0.0008, 0.0043))[1]
        assert "is 0.0017 (90 % bootstrap interval 0.0008 to 0.0043)" in i18n.say(small, "en")    # not "0.00"

    def test_a_more_complex_runner_up_does_not_take_the_tie(self):
        t = pd.DataFrame({"gini": [0.52, 0.50]}, index=["bgnbd", "gbm"])
        assert tournament.choose(t, (0.02, -0.01, 0.05))[0] == "bgnbd"

    def test_bootstrap_interval_is_seeded_and_contains_the_difference(self):
        rng = np.random.default_rng(0)
        a = rng.gamma(1.0, 1.0, 500)
        good, noisy = a + rng.normal(0, 0.1, 500), a + rng.normal(0, 2.0, 500)
        d1 = tournament.bootstrap_difference(a, good, noisy, n=100, seed=3)
        assert d1 == tournament.bootstrap_difference(a, good, noisy, n=100, seed=3)
        assert d1[1] <= d1[0] <= d1[2] and d1[1] > 0      # the clearly better ranking wins outside its interval


def test_the_counted_bootstrap_equals_the_copied_one():
    """Each resample's normalised Gini from counts per customer equals normalised_gini on the copied rows, so the
    interval is the one the plain loop gives (to rounding)."""
    rng = np.random.default_rng(2)
    a = rng.gamma(0.3, 50, 3000) * (rng.random(3000) < 0.4)
    good, noise = a + rng.normal(0, 20, 3000), rng.random(3000)
    fast = tournament.bootstrap_difference(a, good, noise, n=60, seed=9)
    plain = tournament.bootstrap_difference(a, good, noise, n=60, seed=9,
                                            score=lambda x, p: tournament.normalised_gini(x, p))
    assert fast == pytest.approx(plain, abs=1e-12)


def test_too_few_customers_is_a_clear_message():
    calhold = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [1, 0], "recency": [3.0, 0.0], "T": [5.0, 4.0],
                            "monetary_value": [10.0, 0.0], "frequency_holdout": [1, 0],
                            "monetary_value_holdout": [5.0, 0.0], "duration_holdout": [4.0, 4.0]})
    with pytest.raises(tournament.ClvInputError, match="at least 100 calibration customers"):
        tournament.run(calhold, None, time_unit="W")


def test_two_part_model_recovers_a_planted_relation():
    """Buyers in the holdout are exactly those with frequency >= 3, each buying frequency times for 10 a
    purchase: the two-part model ranks them first and predicts their spend within 15 %."""
    rng = np.random.default_rng(1)
    n = 2000
    f = rng.integers(0, 7, n)
    T = rng.uniform(20, 40, n)
    s = pd.DataFrame({"customer_id": np.arange(n).astype(str), "frequency": f, "recency": T * rng.uniform(0, 1, n) * (f > 0),
                      "T": T, "monetary_value": np.where(f > 0, 10.0, 0.0)})
    buy = f >= 3
    s["frequency_holdout"] = np.where(buy, f, 0)
    s["monetary_value_holdout"] = np.where(buy, 10.0, 0.0)
    s["duration_holdout"] = 26.0
    predict = tournament.fit_two_part(s.iloc[:1000])
    n_hat, v_hat = predict(s.iloc[1000:])
    actual = (s["frequency_holdout"] * s["monetary_value_holdout"]).to_numpy()[1000:]
    assert tournament.normalised_gini(actual, v_hat) > 0.95
    assert v_hat[actual > 0] == pytest.approx(actual[actual > 0], rel=0.15)
    assert v_hat[actual == 0].max() < 1.0 and n_hat[actual == 0].max() < 0.1


@pytest.mark.slow
def test_generating_family_wins_or_ties_on_the_synthetic_shop():
    """The default data's purchases are drawn from BG/NBD (helpers.io.synth): BG/NBD is chosen, or its normalised
    Gini is within the bootstrap interval of the chosen model's (a tie)."""
    from helpers import fitted

    prep = pipeline.prepare(load_config(paths.CONFIGS / "default.yaml"), progress=False)
    result = fitted.clv_tournament(prep)
    assert {"naive", "bgnbd", "mbgnbd", "pareto_nbd"} <= set(result.table.index)
    assert "bgbb" not in result.table.index and any(n.key == "tour_no_grid" for n in result.notes)  # daily shopping
    if result.chosen != "bgnbd":
        p = result.predictions
        diff, lo, hi = tournament.bootstrap_difference(p["actual_spend"], p[f"pred_{result.chosen}"], p["pred_bgnbd"])
        assert lo <= 0 <= hi, result.table
    assert result.table.loc["bgnbd", "gini"] > result.table.loc["naive", "gini"]


def _weekly_shop(n_customers: int = 4000, seed: int = 5):
    """A calibration/holdout table (unit W) of customers who can only buy on Sundays, drawn from BG/BB (the
    process of tests/unit/models/clv/test_bgbb.py), each purchase worth a Gamma-distributed amount."""
    from tests.unit.models.clv.test_bgbb import simulate

    rng = np.random.default_rng(seed)
    n = rng.integers(8, 53, n_customers).astype(float)
    x, t_x, later = simulate({"alpha": 1.0, "beta": 2.0, "gamma": 0.8, "delta": 4.0}, n, horizon=13, seed=seed)
    spend = rng.gamma(4.0, 5.0, n_customers)
    calhold = pd.DataFrame({"customer_id": np.arange(n_customers).astype(str), "frequency": x, "recency": t_x,
                            "T": n, "monetary_value": np.where(x > 0, spend, 0.0), "first_value": spend,
                            "frequency_holdout": later, "monetary_value_holdout": np.where(later > 0, spend, 0.0),
                            "duration_holdout": 13.0})
    cal_end = pd.Timestamp("2024-06-30")                     # a Sunday: every customer's T is whole weeks
    grid = {"grid": "W", "weekday": 6, "weekday_share": 1.0, "day": 1, "day_share": 0.2,
            "calibration_end": cal_end, "observation_end": cal_end + pd.Timedelta(weeks=13)}
    return calhold, grid


def test_bgbb_enters_on_a_weekly_grid_and_the_generating_family_wins_or_ties():
    calhold, grid = _weekly_shop()
    result = tournament.run(calhold, None, time_unit="W", grid=grid, models=("naive", "bgbb", "bgnbd"), n_boot=100)
    assert {"naive", "bgbb", "bgnbd"} <= set(result.table.index)
    assert any(n.key == "tour_grid_w" for n in result.notes)
    if result.chosen != "bgbb":
        p = result.predictions
        _, lo, hi = tournament.bootstrap_difference(p["actual_spend"], p[f"pred_{result.chosen}"], p["pred_bgbb"])
        assert lo <= 0 <= hi, result.table
    # BG/BB's total holdout purchases are near the simulated total (it is the data's own model)
    t = result.table.loc["bgbb"]
    assert abs(t["bias_purchases"]) < 0.05 * calhold["frequency_holdout"].mean() + 0.01


def test_without_a_grid_bgbb_is_left_out_with_the_shares():
    calhold, grid = _weekly_shop(1500)
    grid.update(grid=None, weekday_share=0.31, day_share=0.05)
    result = tournament.run(calhold, None, time_unit="W", grid=grid, models=("naive", "bgbb", "bgnbd"), n_boot=20)
    assert "bgbb" not in result.table.index
    note = next(n for n in result.notes if n.key == "tour_no_grid")
    assert "31" in i18n.say(note, "en") and "95" in i18n.say(note, "en")
