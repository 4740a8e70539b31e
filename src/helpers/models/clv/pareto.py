"""Pareto/NBD maximum likelihood with numpy and scipy, and its log-likelihood for pymc-marketing's predictions.

The Pareto/NBD likelihood of a customer with x repeat purchases, the last at t_x, observed for T
(Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related expressions", eq. 19 and
the integral before it)::

    L = G(r + x) alpha^r beta^s / G(r) * [ (alpha + T)^-(r + x) (beta + T)^-s + s J ],
    J = integral from t_x to T of (alpha + tau)^-(r + x) (beta + tau)^-(s + 1) dtau

(the customer buys at rate lambda ~ Gamma(r, alpha) while alive and drops out at tau with
mu ~ Gamma(s, beta)). J is a Gauss hypergeometric function, which is how pymc-marketing writes it,
but scipy has no derivatives of 2F1 in its parameters. Here J and its derivatives are integrals of
the same kind, computed with one quadrature: after the change of variable
``w = (c + t_x) / (c + tau)``, ``u = w^k`` (k = r + s + x; c the larger of alpha and beta, so that
0 <= z < 1 below) the integrand is the bounded

    J = (c + t_x)^-k / k * integral from ((c + t_x) / (c + T))^k to 1 of (1 - z u^(1/k))^-e du,

with ``z = |alpha - beta| / (c + t_x)`` and e = s + 1 (c = alpha) or r + x (c = beta). The integral is
taken by tanh-sinh quadrature (:data:`NODES` points), which agrees with scipy's ``hyp2f1`` closed form to
1e-11 of ln L wherever alpha and beta are within a factor 1,000 of each other (measured on random parameters
and histories of up to 500 purchases over 3,000 days; 1e-7 at a factor 10,000, where the integrand's end
at t_x gets steep), and stays finite where the closed form does not (tests compare the two on a grid of
extreme cases). The
gradient and Hessian of ln J are moments of the log-integrand's derivatives under the same weights,
so value, gradient and Hessian agree with each other to rounding, and :func:`helpers.models.clv.mle.maximise`
finds the maximum by Newton's method as for BG/NBD.

:func:`log_likelihood_rows` is the closed form with ``scipy.special.hyp2f1``, the terms of
``pymc_marketing.clv.distributions.ParetoNBD.logp``; :func:`model_class` gives pymc-marketing's
``ParetoNBDModel`` with it as its ``_logp``, so P(alive) and expected purchases come without compiling
a PyTensor graph on every call.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from helpers.models.clv.mle import BtydHistories, LogNormalPriors, MleFit, maximise, to_log_space

PARAMS = ("r", "alpha", "s", "beta")
#: tanh-sinh quadrature: step in the transformed variable and its half-range (the weights beyond are < 1e-20)
STEP = 1 / 12
HALF_RANGE = 3.6
#: histories evaluated together (memory: about 30 arrays of CHUNK x NODES floats)
CHUNK = 4096


def _tanh_sinh():
    """Nodes on [-1, 1] as (1 + xi, 1 - xi) (each exact near its end) and their weights."""
    t = np.arange(-HALF_RANGE, HALF_RANGE + STEP / 2, STEP)
    v = np.pi / 2 * np.sinh(t)
    one_plus = 2.0 / (1.0 + np.exp(-2.0 * v))       # 1 + tanh(v)
    one_minus = 2.0 / (1.0 + np.exp(2.0 * v))       # 1 - tanh(v)
    weight = STEP * np.pi / 2 * np.cosh(t) / np.cosh(v) ** 2
    return one_plus, one_minus, weight


ONE_PLUS, ONE_MINUS, WEIGHTS = _tanh_sinh()
NODES = len(WEIGHTS)


# quiet: ln 0 where t_x = T (no dropout interval), and the side of np.where that is not used
@np.errstate(divide="ignore", invalid="ignore")
def _chunk_derivatives(nat: np.ndarray, x, t_x, T, hessian: bool):
    """Per history: ln L, its gradient (n, 4) and Hessian (n, 4, 4) in the natural parameters (r, alpha, s, beta)."""
    from scipy.special import gammaln, polygamma, psi

    r, alpha, s, beta = nat
    n = len(x)
    rx = r + x
    k = rx + s
    a_side = alpha >= beta                                # scalar: which rate's Gamma sets the change of variable
    c = alpha if a_side else beta
    e = s + 1.0 if a_side else rx                         # the exponent left in the bounded integrand
    base = c + t_x
    z = abs(alpha - beta) / base
    log_w_end = -np.log1p((T - t_x) / base)               # ln((c + t_x) / (c + T)) <= 0
    length = -np.expm1(k * log_w_end)                     # the u-interval's length 1 - u_T
    # nodes: u near 1 from 1 - u, u near u_T from u - u_T, so neither end loses digits
    half = length[:, None] / 2
    upper = ONE_PLUS[None, :] >= 1.0
    log_u = np.where(upper, np.log1p(-half * ONE_MINUS[None, :]),
                     np.log(np.exp(k * log_w_end)[:, None] + half * ONE_PLUS[None, :]))
    log_w = log_u / k[:, None]
    w = np.exp(log_w)
    q = np.log1p(-z[:, None] * w)                         # ln(1 - z w), 1 - z w >= 1 - z > 0
    log_g = -e[:, None] * q if np.ndim(e) else -e * q
    top = log_g.max(axis=1, keepdims=True)
    p = WEIGHTS[None, :] * np.exp(log_g - top)
    mass = p.sum(axis=1, keepdims=True)
    log_j = (-k * np.log(base) - np.log(k) + np.log(half[:, 0]) + top[:, 0] + np.log(mass[:, 0]))
    p = p / mass                                          # the quadrature's weights of the log-integrand's moments
    # ln(c + tau) = ln(c + t_x) - ln w; the other rate: ln(c' + tau) = that + ln(1 - z w)
    log_c_tau = np.log(base)[:, None] - log_w
    inv_c_tau = w / base[:, None]
    log_o_tau = log_c_tau + q
    inv_o_tau = inv_c_tau / np.exp(q)
    (log_a_tau, inv_a_tau, log_b_tau, inv_b_tau) = ((log_c_tau, inv_c_tau, log_o_tau, inv_o_tau) if a_side else
                                                    (log_o_tau, inv_o_tau, log_c_tau, inv_c_tau))
    # d ln f / d(r, alpha, s, beta) at each node, f = (alpha + tau)^-(r + x) (beta + tau)^-(s + 1)
    phi = (-log_a_tau, -rx[:, None] * inv_a_tau, -log_b_tau, -(s + 1.0) * inv_b_tau)
    mean_phi = np.stack([np.sum(p * f, axis=1) for f in phi], axis=1)
    # ln of the alive-at-T term and its gradient
    log_b_term = -rx * np.log(alpha + T) - s * np.log(beta + T)
    d_b = np.stack([-np.log(alpha + T), -rx / (alpha + T), -np.log(beta + T), -s / (beta + T)], axis=1)
    d_sj = mean_phi + np.array([0.0, 0.0, 1.0 / s, 0.0])[None, :]
    log_sj = np.log(s) + log_j
    log_d = np.logaddexp(log_b_term, log_sj)
    w_b = np.exp(log_b_term - log_d)
    w_j = 1.0 - w_b
    log_c0 = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    ll = log_c0 + log_d
    d_c0 = np.stack([psi(rx) - psi(r) + np.log(alpha), np.full(n, r / alpha), np.full(n, np.log(beta)),
                     np.full(n, s / beta)], axis=1)
    grad = d_c0 + w_b[:, None] * d_b + w_j[:, None] * d_sj
    if not hessian:
        return ll, grad, None
    h = np.zeros((n, 4, 4))
    # ln C
    h[:, 0, 0] = polygamma(1, rx) - polygamma(1, r)
    h[:, 0, 1] = 1.0 / alpha
    h[:, 1, 1] = -r / alpha ** 2
    h[:, 2, 3] = 1.0 / beta
    h[:, 3, 3] = -s / beta ** 2
    # ln B
    hb = np.zeros((n, 4, 4))
    hb[:, 0, 1] = -1.0 / (alpha + T)
    hb[:, 1, 1] = rx / (alpha + T) ** 2
    hb[:, 2, 3] = -1.0 / (beta + T)
    hb[:, 3, 3] = s / (beta + T) ** 2
    # ln (s J): covariance of phi under p, plus the mean of phi's own derivatives, plus d2 ln s
    hj = np.empty((n, 4, 4))
    for i in range(4):
        for j in range(i, 4):
            hj[:, i, j] = np.sum(p * phi[i] * phi[j], axis=1) - mean_phi[:, i] * mean_phi[:, j]
    hj[:, 0, 1] += np.sum(p * -inv_a_tau, axis=1)
    hj[:, 1, 1] += np.sum(p * rx[:, None] * inv_a_tau ** 2, axis=1)
    hj[:, 2, 3] += np.sum(p * -inv_b_tau, axis=1)
    hj[:, 3, 3] += np.sum(p * (s + 1.0) * inv_b_tau ** 2, axis=1)
    hj[:, 2, 2] += -1.0 / s ** 2
    diff = d_b - d_sj
    h += (w_b[:, None, None] * hb + w_j[:, None, None] * hj
          + (w_b * w_j)[:, None, None] * np.triu(diff[:, :, None] * diff[:, None, :]))
    h = np.triu(h) + np.transpose(np.triu(h, 1), (0, 2, 1))
    return ll, grad, h


def derivatives(theta: np.ndarray, data: BtydHistories, hessian: bool = False):
    """Pareto/NBD log-likelihood, its gradient and (``hessian=True``) its Hessian in the log-parameters
    ``theta`` = log (r, alpha, s, beta); returns ``(ll, grad)`` or ``(ll, grad, hess)``."""
    nat = np.exp(np.asarray(theta, dtype="float64"))
    ll, grad, hess = 0.0, np.zeros(4), np.zeros((4, 4))
    for lo in range(0, len(data.x), CHUNK):
        part = slice(lo, lo + CHUNK)
        n_w = data.weight[part]
        row_ll, row_grad, row_hess = _chunk_derivatives(nat, data.x[part], data.t_x[part], data.T[part], hessian)
        ll += float(np.sum(n_w * row_ll))
        grad += np.sum(n_w[:, None] * row_grad, axis=0)
        if hessian:
            hess += np.sum(n_w[:, None, None] * row_hess, axis=0)
    g_log, h_log = to_log_space(nat, grad, hess if hessian else None)
    return (ll, g_log, h_log) if hessian else (ll, g_log)


def fit_pareto_nbd(frequency, recency, T, start: dict, prior: LogNormalPriors | None = None) -> MleFit:
    """The Pareto/NBD maximum-likelihood estimate of (r, alpha, s, beta) from ``start`` (values on the data's scale);
    with ``prior`` the MAP estimate under it."""
    data = BtydHistories.from_arrays(frequency, recency, T)
    return maximise(lambda th, h: derivatives(th, data, h), np.log([start[k] for k in PARAMS]), PARAMS, prior)


def log_likelihood(values: dict, frequency, recency, T) -> float:
    """The Pareto/NBD log-likelihood of a summary at ``values`` (r, alpha, s, beta), by the quadrature."""
    data = BtydHistories.from_arrays(frequency, recency, T)
    with np.errstate(all="ignore"):
        return derivatives(np.log([values[k] for k in PARAMS]), data)[0]


def log_likelihood_rows(r, alpha, s, beta, x, t_x, T):
    """ln L per customer in closed form (``scipy.special.hyp2f1``), the terms of pymc-marketing's
    ``ParetoNBD.logp``: the integral J written with the larger of alpha and beta. Arguments broadcast
    (numpy arrays or xarray DataArrays)."""
    from scipy.special import gammaln, hyp2f1

    rsx, rx = r + s + x, r + x
    a_side = alpha >= beta
    big = np.where(a_side, alpha, beta)
    diff = abs(alpha - beta)
    second_1 = np.where(a_side, s + 1, rx)
    second_2 = np.where(a_side, s, rx + 1)
    lead = rsx * np.log(big + t_x)
    t1 = np.log(hyp2f1(rsx, second_1, rsx + 1, diff / (big + t_x)))
    t2 = np.log(hyp2f1(rsx, second_2, rsx + 1, diff / (big + T))) - rsx * np.log(big + T) + lead
    a1 = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) - lead
    return a1 + np.logaddexp(np.log(s) - np.log(rsx) + t1, np.log(rx) - np.log(rsx) + t2)


@lru_cache(maxsize=1)
def model_class():
    """pymc-marketing's ``ParetoNBDModel`` whose predictions take their log-likelihood from
    :func:`log_likelihood_rows` (numpy) instead of compiling a PyTensor graph on each call."""
    import xarray

    from helpers.models.pymc_tools import pymc_clv

    base = pymc_clv().ParetoNBDModel

    class ParetoNBDModel(base):
        __doc__ = base.__doc__

        @staticmethod
        def _logp(r, alpha, s, beta, x, t_x, T):
            with np.errstate(all="ignore"):
                out = xarray.apply_ufunc(log_likelihood_rows, r, alpha, s, beta, x, t_x, T)
            return out.transpose("chain", "draw", "customer_id")

    ParetoNBDModel.__module__ = __name__
    ParetoNBDModel.__qualname__ = "ParetoNBDModel"
    return ParetoNBDModel


def __getattr__(name: str):
    """``pareto.ParetoNBDModel`` is :func:`model_class` (built on first use: importing pymc-marketing takes seconds),
    so a pickled fit refers to the class by name."""
    if name == "ParetoNBDModel":
        return model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
