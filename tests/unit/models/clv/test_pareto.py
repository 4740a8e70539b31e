"""Tests for helpers.models.clv.pareto: the Pareto/NBD likelihood three ways (the quadrature, scipy's hyp2f1
closed form, the paper's integral by adaptive quadrature), its derivatives against finite differences, the
fit against parameters a simulation planted, and the pymc-marketing model that predicts from it.

The published CDNOW estimates (Fader, Hardie & Lee 2005) are checked in test_fit.py (TestCdnowPublished).
"""
from __future__ import annotations

import math

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from helpers.models import clv
from helpers.models.clv import mle, pareto
from tests.unit.models.clv.stubs import TEN
from tests.unit.models.clv.test_mle import numeric_derivatives

CDNOW_LIKE = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}
#: parameter sets far from each other: alpha >> beta, beta >> alpha, tiny and large shapes
EXTREMES = [CDNOW_LIKE, {"r": 0.3, "alpha": 5.0, "s": 0.7, "beta": 0.05},
            {"r": 2.0, "alpha": 0.05, "s": 0.4, "beta": 30.0}, {"r": 0.05, "alpha": 100.0, "s": 5.0, "beta": 0.5},
            {"r": 10.0, "alpha": 3.0, "s": 0.05, "beta": 300.0}, {"r": 1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0}]


def histories(n=300, seed=1):
    """Frequencies 0-39, recency anywhere in (0, T], a tenth with the last purchase at T (no dropout interval)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 80, n)
    x = rng.integers(0, 40, n).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    t_x[: n // 10] = T[: n // 10]
    x[: n // 10] = np.maximum(x[: n // 10], 1)
    return x, t_x, T


def by_the_integral(x, t_x, T, r, alpha, s, beta) -> float:
    """Fader & Hardie (2005), the likelihood before the integral is solved: alive through T, or dropped out at
    tau in (t_x, T) with density s beta^s / (beta + tau)^(s + 1); the integral by scipy's adaptive quad."""
    from scipy.integrate import quad

    lead = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    dropped = quad(lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1), t_x, T,
                   epsabs=0, epsrel=1e-13, limit=200)[0]
    return lead + math.log(alive + s * dropped)


class TestLikelihood:
    @pytest.mark.parametrize("values", EXTREMES)
    def test_quadrature_equals_the_hyp2f1_closed_form(self, values):
        x, t_x, T = histories()
        data = mle.BtydHistories.from_arrays(x, t_x, T)
        rows = pareto._chunk_derivatives(np.array([values[k] for k in pareto.PARAMS]), data.x, data.t_x, data.T,
                                         False)[0]
        closed = pareto.log_likelihood_rows(*(values[k] for k in pareto.PARAMS), data.x, data.t_x, data.T)
        assert np.all(np.isfinite(rows))
        assert np.allclose(rows, closed, rtol=1e-9, atol=1e-9)

    def test_closed_form_equals_the_papers_integral(self):
        x, t_x, T = histories(n=12, seed=3)
        for values in EXTREMES[:3]:
            closed = pareto.log_likelihood_rows(*(values[k] for k in pareto.PARAMS), x, t_x, T)
            hand = [by_the_integral(*h, *(values[k] for k in pareto.PARAMS)) for h in zip(x, t_x, T)]
            assert np.allclose(closed, hand, rtol=1e-9), values

    def test_identical_customers_count_once_with_a_weight(self):
        data = mle.BtydHistories.from_arrays([2, 2, 2, 0], [5.0, 5.0, 5.0, 0.0], [10.0, 10.0, 10.0, 7.0])
        assert data.n_customers == 4 and sorted(data.weight) == [1.0, 3.0]
        rows = pareto.log_likelihood_rows(*(CDNOW_LIKE[k] for k in pareto.PARAMS), np.array([2.0, 0.0]),
                                          np.array([5.0, 0.0]), np.array([10.0, 7.0]))
        assert pareto.log_likelihood(CDNOW_LIKE, [2, 2, 2, 0], [5, 5, 5, 0], [10, 10, 10, 7]) == pytest.approx(
            3 * rows[0] + rows[1], rel=1e-12)


class TestDerivatives:
    @pytest.mark.parametrize("values", EXTREMES)
    def test_gradient_and_hessian(self, values):
        data = mle.BtydHistories.from_arrays(TEN["frequency"], TEN["recency"], TEN["T"])
        theta = np.log([values[k] for k in pareto.PARAMS])
        ll, grad, hess = pareto.derivatives(theta, data, True)
        g, h = numeric_derivatives(lambda th: pareto.derivatives(th, data)[0], theta, h=1e-4)
        assert np.allclose(grad, g, rtol=1e-6, atol=1e-6)
        assert np.allclose(hess, h, rtol=1e-4, atol=1e-4)
        assert np.allclose(hess, hess.T)

    def test_chunks_add_up(self, monkeypatch):
        x, t_x, T = histories(n=500)
        data = mle.BtydHistories.from_arrays(x, t_x, T)
        theta = np.log([CDNOW_LIKE[k] for k in pareto.PARAMS])
        whole = pareto.derivatives(theta, data, True)
        monkeypatch.setattr(pareto, "CHUNK", 37)
        parts = pareto.derivatives(theta, data, True)
        for a, b in zip(whole, parts):
            assert np.allclose(a, b, rtol=1e-12)


def simulate(n, r, alpha, s, beta, horizon, seed):
    """Customers from the Pareto/NBD process itself: purchase rate ~ Gamma(r, alpha), dropout rate ~
    Gamma(s, beta), an exponential lifetime, Poisson purchases while alive, observed for a uniform T."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    mu = rng.gamma(s, 1 / beta, n)
    life = rng.exponential(1 / mu)
    T = rng.uniform(horizon / 2, horizon, n)
    end = np.minimum(life, T)
    x = rng.poisson(lam * end)
    t_x = np.array([rng.uniform(0, e, k).max() if k else 0.0 for k, e in zip(x, end)])
    return pd.DataFrame({"customer_id": np.arange(n).astype(str), "frequency": x.astype(float), "recency": t_x,
                         "T": T})


class TestFit:
    def test_recovers_the_simulated_parameters(self):
        """8,000 simulated customers (r 0.6, alpha 8, s 0.5, beta 12, T up to 60): each estimate within 4 standard
        errors of the truth, the gradient vanishing, and the same log-likelihood by the closed form."""
        truth = {"r": 0.6, "alpha": 8.0, "s": 0.5, "beta": 12.0}
        s = simulate(8000, **truth, horizon=60.0, seed=11)
        fit = pareto.fit_pareto_nbd(s["frequency"], s["recency"], s["T"], {"r": 1.0, "alpha": 5.0, "s": 1.0,
                                                                           "beta": 40.0})
        se = np.sqrt(np.diag(np.linalg.inv(fit.information)))
        for k, sd in zip(pareto.PARAMS, se):
            assert abs(math.log(fit.values[k] / truth[k])) < 4 * sd, (k, fit.values[k], sd)
        assert np.max(np.abs(fit.gradient)) < mle.GTOL
        closed = pareto.log_likelihood_rows(*(fit.values[k] for k in pareto.PARAMS), s["frequency"].to_numpy(),
                                            s["recency"].to_numpy(), s["T"].to_numpy())
        assert fit.log_likelihood == pytest.approx(float(np.sum(closed)), rel=1e-10)

    def test_predictions_come_from_pymc_marketing_with_the_numpy_likelihood(self):
        """fit_purchase_model's Pareto/NBD: P(alive) equals the paper's ratio (alive-through-T term over the
        likelihood, Fader & Hardie 2005 eq. 18) worked out here; the model saves and loads like any fitted one."""
        s = simulate(1500, r=0.6, alpha=8.0, s=0.5, beta=12.0, horizon=60.0, seed=5)
        fit = clv.fit_purchase_model(s, model="pareto_nbd")
        assert type(fit.estimator).__name__ == "ParetoNBDModel" and fit.method == "map"
        r, alpha, sh, beta = (fit.values[k] for k in pareto.PARAMS)
        x, t_x, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
        ll = pareto.log_likelihood_rows(r, alpha, sh, beta, x, t_x, T)
        from scipy.special import gammaln
        alive = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + sh * np.log(beta) - (r + x) * np.log(alpha + T)
                 - sh * np.log(beta + T))
        assert np.allclose(clv.p_alive(fit, s).to_numpy(), np.exp(alive - ll), rtol=1e-9)
        # the run stores fits with cloudpickle: the class comes back by its name, not as a copy
        assert type(cloudpickle.loads(cloudpickle.dumps(fit)).estimator) is type(fit.estimator)
        loaded = type(fit.estimator).build_from_idata(fit.estimator.idata)
        assert np.allclose(loaded.expected_probability_alive(s).values.ravel(), np.exp(alive - ll), rtol=1e-9)
        purchases = clv.expected_purchases(fit, s, 30.0)
        assert np.all(purchases > 0) and np.all(np.isfinite(purchases))
