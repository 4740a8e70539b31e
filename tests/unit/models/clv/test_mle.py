"""Tests for helpers.models.clv.mle: the BG/NBD, modified BG/NBD and Gamma-Gamma log-likelihoods by hand,
their analytic derivatives against finite differences, and the search on data with a known maximum.

The fast fit against pymc-marketing's MAP on CDNOW is in test_fit.py (TestCdnowPublished).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.models.clv import mle
from tests.unit.models.clv.stubs import TEN

BG = {"r": 0.3, "alpha": 5.0, "a": 0.7, "b": 2.0}
GG = {"p": 5.0, "q": 3.0, "v": 12.0}


def bgnbd_by_hand(x, t_x, T, r, alpha, a, b) -> float:
    """Fader, Hardie & Lee (2005), eq. 6, term by term with math.lgamma."""
    lb = lambda u, v: math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)   # noqa: E731  ln B(u, v)
    a1 = math.lgamma(r + x) + r * math.log(alpha) - math.lgamma(r)
    a2 = lb(a, b + x) - lb(a, b)
    a3 = -(r + x) * math.log(alpha + T)
    if x == 0:
        return a1 + a2 + a3
    a4 = math.log(a) - math.log(b + x - 1) - (r + x) * math.log(alpha + t_x)
    return a1 + a2 + math.log(math.exp(a3) + math.exp(a4))


def mbgnbd_by_hand(x, t_x, T, r, alpha, a, b) -> float:
    """Batislam, Denizel & Filiztekin (2007), the modified BG/NBD: the BG/NBD's terms with x + 1 in the beta
    functions, and the dropout term for every customer (one who bought once may also have left)."""
    lb = lambda u, v: math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)   # noqa: E731  ln B(u, v)
    a1 = math.lgamma(r + x) + r * math.log(alpha) - math.lgamma(r)
    a2 = lb(a, b + x + 1) - lb(a, b)
    alive = -(r + x) * math.log(alpha + T)
    dropped = math.log(a) - math.log(b + x) - (r + x) * math.log(alpha + t_x)
    return a1 + a2 + math.log(math.exp(alive) + math.exp(dropped))


def gamma_gamma_by_hand(x, m, p, q, v) -> float:
    """Fader & Hardie's note on Gamma-Gamma, eq. 1a: the density of the mean of x spends."""
    return (math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(v)
            + (p * x - 1) * math.log(m) + p * x * math.log(x) - (p * x + q) * math.log(x * m + v))


class TestLogLikelihoods:
    def test_bgnbd_equals_the_paper_term_by_term(self):
        x, t, T = (TEN[k].to_numpy(dtype=float) for k in ("frequency", "recency", "T"))
        by_hand = sum(bgnbd_by_hand(xi, ti, Ti, **BG) for xi, ti, Ti in zip(x, t, T))
        assert mle.bgnbd_log_likelihood(BG, x, t, T) == pytest.approx(by_hand, rel=1e-12)

    def test_modified_bgnbd_equals_the_paper_term_by_term(self):
        x, t, T = (TEN[k].to_numpy(dtype=float) for k in ("frequency", "recency", "T"))
        by_hand = sum(mbgnbd_by_hand(xi, ti, Ti, **BG) for xi, ti, Ti in zip(x, t, T))
        assert mle.bgnbd_log_likelihood(BG, x, t, T, modified=True) == pytest.approx(by_hand, rel=1e-12)
        # and it is another likelihood: the one-time buyers' dropout term alone moves it
        assert abs(mle.bgnbd_log_likelihood(BG, x, t, T) - by_hand) > 0.1

    def test_gamma_gamma_equals_the_note_term_by_term(self):
        rep = TEN[TEN["frequency"] > 0]
        by_hand = sum(gamma_gamma_by_hand(x, m, **GG) for x, m in zip(rep["frequency"], rep["monetary_value"]))
        assert mle.gamma_gamma_log_likelihood(GG, rep["frequency"], rep["monetary_value"]) == pytest.approx(by_hand,
                                                                                                           rel=1e-12)

    def test_identical_customers_are_counted_once_with_a_weight(self):
        data = mle.BtydHistories.from_arrays([2, 2, 2, 0], [5.0, 5.0, 5.0, 0.0], [10.0, 10.0, 10.0, 7.0])
        assert data.n_customers == 4 and len(data.x) == 2
        assert sorted(data.weight) == [1.0, 3.0]
        one = bgnbd_by_hand(2, 5.0, 10.0, **BG)
        assert mle.bgnbd_log_likelihood(BG, [2, 2, 2, 0], [5, 5, 5, 0], [10, 10, 10, 7]) == pytest.approx(
            3 * one + bgnbd_by_hand(0, 0.0, 7.0, **BG), rel=1e-12)


def numeric_derivatives(f, theta, h=1e-5):
    """Central differences of the log-likelihood f: gradient, and Hessian from differences of f itself."""
    k = len(theta)
    grad = np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(k)])
    hess = np.zeros((k, k))
    for i, ei in enumerate(np.eye(k)):
        for j, ej in enumerate(np.eye(k)):
            hess[i, j] = (f(theta + h * (ei + ej)) - f(theta + h * (ei - ej)) - f(theta - h * (ei - ej))
                          + f(theta - h * (ei + ej))) / (4 * h * h)
    return grad, hess


class TestDerivatives:
    @pytest.mark.parametrize("values", [BG, {"r": 2.0, "alpha": 0.5, "a": 3.0, "b": 0.4}])
    def test_bgnbd_gradient_and_hessian(self, values):
        data = mle.BtydHistories.from_arrays(TEN["frequency"], TEN["recency"], TEN["T"])
        theta = np.log([values[k] for k in mle.BGNBD_PARAMS])
        ll, grad, hess = mle.bgnbd_derivatives(theta, data, True)
        g, h = numeric_derivatives(lambda th: mle.bgnbd_derivatives(th, data)[0], theta)
        assert np.allclose(grad, g, rtol=1e-6, atol=1e-7)
        assert np.allclose(hess, h, rtol=1e-4, atol=1e-4)
        assert np.allclose(hess, hess.T)

    @pytest.mark.parametrize("values", [BG, {"r": 2.0, "alpha": 0.5, "a": 3.0, "b": 0.4}])
    def test_modified_bgnbd_gradient_and_hessian(self, values):
        data = mle.BtydHistories.from_arrays(TEN["frequency"], TEN["recency"], TEN["T"])
        theta = np.log([values[k] for k in mle.BGNBD_PARAMS])
        ll, grad, hess = mle.bgnbd_derivatives(theta, data, True, modified=True)
        g, h = numeric_derivatives(lambda th: mle.bgnbd_derivatives(th, data, modified=True)[0], theta)
        assert np.allclose(grad, g, rtol=1e-6, atol=1e-7)
        assert np.allclose(hess, h, rtol=1e-4, atol=1e-4)

    @pytest.mark.parametrize("values", [GG, {"p": 0.5, "q": 1.5, "v": 100.0}])
    def test_gamma_gamma_gradient_and_hessian(self, values):
        rep = TEN[TEN["frequency"] > 0]
        data = mle.GammaGammaData.from_arrays(rep["frequency"], rep["monetary_value"])
        theta = np.log([values[k] for k in mle.GAMMA_GAMMA_PARAMS])
        ll, grad, hess = mle.gamma_gamma_derivatives(theta, data, True)
        g, h = numeric_derivatives(lambda th: mle.gamma_gamma_derivatives(th, data)[0], theta)
        assert np.allclose(grad, g, rtol=1e-6, atol=1e-7)
        assert np.allclose(hess, h, rtol=1e-4, atol=1e-4)


class TestSearch:
    def test_gamma_gamma_recovers_the_generating_parameters(self):
        """20,000 customers drawn from the model itself (p = 6, q = 4, v = 15): the estimate lies within
        4 standard errors (from the fit's own information) of the truth, and the gradient vanishes."""
        rng = np.random.default_rng(7)
        n = 20_000
        x = rng.integers(1, 8, n).astype(float)
        nu = rng.gamma(4.0, 1 / 15.0, n)                     # nu ~ Gamma(q, rate v)
        m = rng.gamma(6.0 * x, 1 / (nu * x))                 # mean of x spends ~ Gamma(p x, rate nu x)
        fit = mle.fit_gamma_gamma(x, m, {"p": 1.0, "q": 2.0, "v": float(m.mean())})
        se = np.sqrt(np.diag(np.linalg.inv(fit.information)))
        for k, truth, s in zip(mle.GAMMA_GAMMA_PARAMS, (6.0, 4.0, 15.0), se):
            assert abs(math.log(fit.values[k] / truth)) < 4 * s, (k, fit.values[k])
        assert np.max(np.abs(fit.gradient)) < mle.GTOL
        assert fit.log_likelihood == pytest.approx(mle.gamma_gamma_log_likelihood(fit.values, x, m), rel=1e-12)

    def test_a_quadratic_is_found_in_a_few_newton_steps(self):
        """maximise on -(theta - c)' A (theta - c) / 2: the maximum c, the information A."""
        c, A = np.array([0.5, -1.0]), np.array([[2.0, 0.5], [0.5, 1.0]])

        def derivs(th, hessian):
            d = th - c
            out = (float(-d @ A @ d / 2), -A @ d)
            return (*out, -A) if hessian else out

        fit = mle.maximise(derivs, [3.0, 3.0], ("u", "w"))
        assert np.allclose(np.log([fit.values["u"], fit.values["w"]]), c)
        assert np.allclose(fit.information, A) and fit.iterations <= 5


def test_lognormal_priors_add_their_log_density_and_its_derivatives():
    """The MAP objective is the log-likelihood plus the LogNormal log-densities in the parameters (pymc's
    ``find_MAP``: no Jacobian of the log transform), checked against scipy's lognorm and finite differences; the
    fit reports the data's log-likelihood alone."""
    from scipy.stats import lognorm

    from helpers.models.clv.mle import LogNormalPriors

    prior = LogNormalPriors((0.5, -1.0), 2.0)
    quad = lambda th, h=False: ((-(th ** 2).sum(), -2 * th) + ((-2 * np.eye(2),) if h else ()))  # noqa: E731
    post = prior.add_to(quad)
    theta = np.array([0.3, -0.7])
    ll, g, H = post(theta, True)
    by_scipy = sum(lognorm.logpdf(np.exp(t), s=2.0, scale=np.exp(m)) for t, m in zip(theta, prior.mu))
    assert ll == pytest.approx(-(theta ** 2).sum() + by_scipy, rel=1e-12)
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        assert g[i] == pytest.approx((post(theta + e)[0] - post(theta - e)[0]) / (2 * h), rel=1e-6)
        np.testing.assert_allclose(H[i], (post(theta + e)[1] - post(theta - e)[1]) / (2 * h), rtol=1e-6)
    fit = mle.maximise(lambda th, hh: quad(th, hh), np.zeros(2), ("x", "y"), prior)
    # the maximum of -|u|^2 - u - (u - mu)^2 / 8 per coordinate: u = (mu / 4 - 1) / 2.25
    u = (np.array(prior.mu) / 4 - 1) / 2.25
    np.testing.assert_allclose(np.log(list(fit.values.values())), u, atol=1e-7)
    assert fit.log_likelihood == pytest.approx(-(u ** 2).sum(), rel=1e-9)
