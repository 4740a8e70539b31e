import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from helpers.models.campaigns import learners as lr


def planted(n=6000, seed=3):
    """Base rate 0.3; uplift +0.25 for x0 > 0.5 (responders), -0.2 for x0 < -0.5 (sleeping dogs)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    tau = np.where(x[:, 0] > 0.5, 0.25, np.where(x[:, 0] < -0.5, -0.2, 0.0))
    t = rng.random(n) < 0.5
    y = (rng.random(n) < 0.3 + 0.05 * x[:, 1] + tau * t).astype(float)
    return x, y, t, tau


def test_curves_by_hand():
    # scores 4,3,2,1; arms T,C,T,C; outcomes 1,0,0,1
    c = lr.uplift_curves([4, 3, 2, 1], [1, 0, 0, 1], [1, 0, 1, 0])
    assert c["qini"].tolist() == [0, 1, 1, 1, 0]            # k=4: 1 - 1 * 2/2
    assert c["uplift"].tolist() == [0, 0, 2, 1.5, 0]        # k=2: (1 - 0)*2; k=3: (1/2 - 0)*3
    assert c["random"].tolist() == [0, 0, 0, 0, 0]
    # area of qini above random: trapezoids over fractions 0, .25, .5, .75, 1 -> .125+.25+.25+.125 = .75, per 4
    assert lr.qini_coefficient([4, 3, 2, 1], [1, 0, 0, 1], [1, 0, 1, 0]) == pytest.approx(0.75 / 4)


def test_reversed_score_has_negative_qini():
    x, y, t, tau = planted()
    assert lr.qini_coefficient(tau, y, t) > 0 > lr.qini_coefficient(-tau, y, t)
    assert lr.auuc(tau, y, t) > 0 > lr.auuc(-tau, y, t)


@pytest.mark.parametrize("make", [
    lambda: lr.TLearner(GradientBoostingRegressor(max_depth=2, n_estimators=80, random_state=0)),
    lambda: lr.TLearner(LogisticRegression()),
    lambda: lr.XLearner(GradientBoostingRegressor(max_depth=2, n_estimators=80, random_state=0),
                        GradientBoostingRegressor(max_depth=2, n_estimators=80, random_state=0)),
])
def test_learners_recover_planted_uplift_out_of_sample(make):
    x, y, t, tau = planted()
    m = make().fit(x[:4000], y[:4000], t[:4000])
    est = m.predict(x[4000:])
    assert np.corrcoef(est, tau[4000:])[0, 1] > 0.5
    oracle = lr.qini_coefficient(tau[4000:], y[4000:], t[4000:])
    q = lr.qini_coefficient(est, y[4000:], t[4000:])
    assert 0 < q <= oracle * 1.2
    assert q > lr.qini_coefficient(np.random.default_rng(1).random(2000), y[4000:], t[4000:])


def test_xlearner_linear_recovers_constant_effect():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    t = rng.random(2000) < 0.3
    y = 1 + x[:, 0] + 2.0 * t + rng.normal(scale=0.1, size=2000)
    m = lr.XLearner(LinearRegression(), LinearRegression()).fit(x, y, t)
    assert m.g_ == pytest.approx(t.mean())
    assert m.predict(x).mean() == pytest.approx(2.0, abs=0.02)


def test_one_arm_is_refused():
    with pytest.raises(ValueError):
        lr.TLearner(LinearRegression()).fit(np.zeros((4, 1)), np.zeros(4), np.ones(4))
