"""Tests for helpers.models.clv.bgbb: the published donation-data fit (Fader, Hardie & Shang 2010), the
predictions against pymc-marketing's BG/BB on one cohort, recovery of planted parameters over cohorts of
different lengths, and the grid counting of a day-based summary by hand."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.models.clv import bgbb

# The paper's Table 1 (also lifetimes' donations.csv): repeat donations x, year of the last t_x, out of n = 6
# opportunities, and the number of donors with that history (11,104 in all).
DONATIONS = [(0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119), (1, 6, 129),
             (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234), (3, 3, 322), (3, 4, 181),
             (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284), (4, 6, 512), (5, 5, 335), (5, 6, 728),
             (6, 6, 1203)]
#: the paper's estimates and log-likelihood (Table 2)
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
PUBLISHED_LL = -33225.6


@pytest.fixture(scope="module")
def donors() -> pd.DataFrame:
    t = pd.DataFrame(DONATIONS, columns=["frequency", "recency", "count"]).assign(T=6)
    d = t.loc[t.index.repeat(t["count"])].drop(columns="count").reset_index(drop=True)
    return d.assign(customer_id=np.arange(len(d)))[["customer_id", "frequency", "recency", "T"]]


def simulate(params: dict, n: np.ndarray, horizon: int, seed: int):
    """Histories of the BG/BB process: at each opportunity a living customer first dies with probability
    theta, then buys with probability p. Returns x, t_x over the first n opportunities and the purchases
    in the next ``horizon``."""
    rng = np.random.default_rng(seed)
    m = n.size
    p = rng.beta(params["alpha"], params["beta"], m)
    theta = rng.beta(params["gamma"], params["delta"], m)
    alive = np.ones(m, bool)
    x, t_x, later = np.zeros(m), np.zeros(m), np.zeros(m)
    for t in range(1, int(n.max()) + horizon + 1):
        alive &= rng.random(m) >= theta
        buy = alive & (rng.random(m) < p)
        inside = t <= n
        x += buy & inside
        t_x = np.where(buy & inside, t, t_x)
        later += buy & ~inside & (t <= n + horizon)
    return x, t_x, later


def test_the_published_donation_fit(donors):
    res = bgbb.fit(donors["frequency"], donors["recency"], donors["T"])
    for k, v in PUBLISHED.items():
        assert res.values[k] == pytest.approx(v, abs=6e-4), k        # the paper's three decimals
    assert res.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.05)
    assert np.max(np.abs(res.gradient)) < 1e-6
    assert np.all(np.linalg.eigvalsh(res.information) > 0)            # a proper maximum


def test_predictions_equal_pymc_marketing_on_one_cohort(donors):
    """pymc-marketing's BetaGeoBetaBinomModel (one cohort: the same n for everyone) at the same values."""
    from pymc_marketing.clv import BetaGeoBetaBinomModel

    from helpers.models.clv.estimation import map_estimator

    est = map_estimator(BetaGeoBetaBinomModel, donors, PUBLISHED)
    rows = pd.DataFrame(DONATIONS, columns=["frequency", "recency", "count"]).assign(T=6)
    rows = rows.assign(customer_id=np.arange(len(rows)))[["customer_id", "frequency", "recency", "T"]]
    theirs = est.expected_purchases(data=rows, future_t=5).values.ravel()
    ours = bgbb.expected_purchases(PUBLISHED, rows["frequency"], rows["recency"], rows["T"], 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    alive = est.expected_probability_alive(data=rows, future_t=1).values.ravel()
    np.testing.assert_allclose(bgbb.p_alive(PUBLISHED, rows["frequency"], rows["recency"], rows["T"]), alive, rtol=1e-10)


def test_planted_parameters_are_recovered_across_cohorts():
    """20,000 customers who joined at different times (4 to 30 opportunities observed): the estimates are near
    the planted values and the predicted purchases in the next 8 opportunities match the simulated total."""
    truth = {"alpha": 1.2, "beta": 2.5, "gamma": 0.7, "delta": 3.0}
    n = np.random.default_rng(7).integers(4, 31, 20_000).astype(float)
    x, t_x, later = simulate(truth, n, horizon=8, seed=11)
    res = bgbb.fit(x, t_x, n)
    for k, v in truth.items():
        assert res.values[k] == pytest.approx(v, rel=0.15), (k, res.values)
    predicted = bgbb.expected_purchases(res.values, x, t_x, n, 8).sum()
    assert predicted == pytest.approx(later.sum(), rel=0.05)
    # customers with the same history but a longer silence since their last purchase are less likely alive
    pa = bgbb.p_alive(res.values, [3, 3], [5, 5], [6, 20])
    assert pa[0] > pa[1]


def test_impossible_histories_are_refused():
    with pytest.raises(ValueError, match="one purchase per opportunity"):
        bgbb.fit([3, 1], [2, 1], [5, 5])          # 3 repeat purchases in 2 opportunities


def test_opportunities_on_a_weekly_grid_by_hand():
    """Sundays (weekday 6). Calibration ends Wed 2023-02-01, holdout to Wed 2023-03-01 (Sundays Feb 5..26: 4).
    Customer a: first Sun Jan 1, last Sun Jan 22, 2 repeat purchases: n = Sundays in (Jan 1, Feb 1] = 4, t_x = 3.
    Customer b: one purchase on Sun Jan 29: n = 0 Sundays in (Jan 29, Feb 1], x = t_x = 0."""
    cal_end, obs_end = dt.date(2023, 2, 1), dt.date(2023, 3, 1)
    calhold = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 0],
                            "recency": [21 / 7, 0.0], "T": [31 / 7, 3 / 7]})
    x, t_x, n, n_hold = bgbb.opportunities(calhold, {"grid": "W", "weekday": 6}, calibration_end=cal_end,
                                           observation_end=obs_end, unit_days=7.0)
    assert list(x) == [2, 0] and list(t_x) == [3, 0] and list(n) == [4, 0] and n_hold == 4


def test_opportunities_on_a_monthly_grid_by_hand():
    """The 3rd of each month; calibration ends 2023-06-10, holdout to 2023-09-10 (Jul 3, Aug 3, Sep 3: 3).
    First purchase Jan 3, last Apr 3: n = 5 (Feb..Jun), t_x = 3."""
    calhold = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency": [90.0], "T": [158.0]})
    x, t_x, n, n_hold = bgbb.opportunities(calhold, {"grid": "M", "day": 3}, calibration_end=dt.date(2023, 6, 10),
                                           observation_end=dt.date(2023, 9, 10), unit_days=1.0)
    assert (x[0], t_x[0], n[0], n_hold) == (2, 3, 5, 3)
