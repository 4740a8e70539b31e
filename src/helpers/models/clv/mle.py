"""Maximum likelihood for BG/NBD and Gamma-Gamma with numpy and scipy: the fast path of the CLV fits.

pymc-marketing's MAP with flat priors maximises the papers' log-likelihoods (Fader, Hardie & Lee
2005 for BG/NBD; Fader & Hardie 2013 for Gamma-Gamma), but it compiles the model graph on every fit
and searches with numerical settings made for any model. Here the same log-likelihoods are written
in numpy, vectorised over the distinct customer histories, with their analytic gradients and
Hessians in the log-parameters, and maximised by Newton's method in a trust region
(:func:`maximise`). Minus the Hessian at the maximum is the observed information that
:func:`helpers.models.clv.estimation.map_convergence` checks and the standard errors come from. The
estimates are then handed to pymc-marketing's model, which makes the predictions and intervals
(:func:`helpers.models.clv.estimation.map_estimator`).

* **BG/NBD** (:func:`bgnbd_derivatives`), per customer with x repeat purchases, the last at t_x,
  observed for T::

      LL = ln G(r + x) - ln G(r) + ln G(a + b) + ln G(b + x) - ln G(b) - ln G(a + b + x)
           + r ln alpha - (r + x) ln(alpha + t_x)
           + ln[((alpha + t_x) / (alpha + T))^(r + x) + 1{x > 0} a / (b + x - 1)]

  the same terms as ``pymc_marketing.clv.distributions.BetaGeoNBD.logp``. Customers with the same
  (x, t_x, T) are counted once with their number as a weight, and the gamma functions are
  evaluated once per distinct x.
* **Modified BG/NBD** (Batislam, Denizel & Filiztekin 2007; the same function with ``modified=True``): a
  customer may also drop out right after the first purchase, so x + 1 takes the place of x in the beta
  functions and the dropout term is there for every customer::

      LL = ln G(r + x) - ln G(r) + ln G(a + b) + ln G(b + x + 1) - ln G(b) - ln G(a + b + x + 1)
           + r ln alpha - (r + x) ln(alpha + t_x)
           + ln[((alpha + t_x) / (alpha + T))^(r + x) + a / (b + x)]

  as ``pymc_marketing.clv.distributions.ModifiedBetaGeoNBD.logp`` writes it.
* **Gamma-Gamma** (:func:`gamma_gamma_derivatives`), per repeat customer with x repeat purchases
  of mean value m (eq. 1a of Fader & Hardie's note, as in ``pymc_marketing.clv.GammaGammaModel``)::

      LL = ln G(p x + q) - ln G(p x) - ln G(q) + q ln v + (p x - 1) ln m + p x ln x - (p x + q) ln(x m + v)

  (v is the papers' gamma). Everything but ``ln(x m + v)`` is summed per distinct x.

Pareto/NBD, whose likelihood holds an integral over the dropout time, is in
:mod:`helpers.models.clv.pareto`; it uses :func:`maximise` from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

#: the parameters of each likelihood, in the papers' order (as :data:`helpers.models.clv.results.PURCHASE_PARAMS`)
BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "v")
#: the search stops when the gradient (log-parameters) is below this in norm; the pymc-marketing path
#: asks the same of each component under L-BFGS-B
GTOL = 1e-6
#: Newton iterations at most
MAX_ITER = 500
#: the fallback's settings: a vanishing gradient, not a small relative change of the log-likelihood
#: (which ends early on large data), as in the pymc-marketing path
LBFGS_OPTIONS = {"ftol": 1e-15, "gtol": GTOL, "maxiter": 3000}


@dataclass(frozen=True)
class MleFit:
    """A maximum-likelihood fit in the log-parameters.

    Attributes
    ----------
    values : dict
        The estimates, parameter name -> value.
    log_likelihood : float
        The log-likelihood at the estimates (summed over customers; the data's alone, without a prior).
    gradient : ndarray
        The gradient of the maximised objective (the log-likelihood, plus the log-prior of a MAP fit with
        :class:`LogNormalPriors`) in the log-parameters at the estimates (near 0 at a maximum).
    information : ndarray or None
        Minus the Hessian of that objective in the log-parameters (the observed information; with priors the
        inverse of the Laplace approximation's covariance); None when it is not finite there.
    iterations : int
        Evaluations of the log-likelihood with its gradient and Hessian during the search.
    """

    values: dict
    log_likelihood: float
    gradient: np.ndarray
    information: np.ndarray | None
    iterations: int


# --------------------------------------------------------------------------------------
# the likelihoods
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BtydHistories:
    """A BTYD summary reduced to its distinct histories (x, t_x, T) and how many customers have each (the
    input of the BG/NBD, modified BG/NBD and Pareto/NBD likelihoods).

    ``xs`` holds the distinct frequencies and ``ix`` the position of each history's x in it, so the
    gamma functions are evaluated once per distinct x.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    xs: np.ndarray
    ix: np.ndarray
    n_customers: int

    @classmethod
    def from_arrays(cls, frequency, recency, T) -> "BtydHistories":
        """The distinct (frequency, recency, T) rows of a summary with their counts."""
        rows = pd.DataFrame({"x": np.asarray(frequency, dtype="float64"), "t_x": np.asarray(recency, dtype="float64"),
                             "T": np.asarray(T, dtype="float64")})
        counts = rows.groupby(["x", "t_x", "T"], sort=False).size()      # hashing: faster than np.unique's sort
        x, t_x, big_t = (counts.index.get_level_values(k).to_numpy(dtype="float64") for k in ("x", "t_x", "T"))
        xs, ix = np.unique(x, return_inverse=True)
        return cls(x, t_x, big_t, counts.to_numpy(dtype="float64"), xs, ix.ravel(), len(rows))


def to_log_space(theta_nat: np.ndarray, grad: np.ndarray, hess: np.ndarray | None):
    """Gradient and Hessian in log-parameters from those in the natural parameters: d/d(ln t) = t d/dt,
    d2/d(ln t_i) d(ln t_j) = t_i t_j d2/dt_i dt_j + [i = j] t_i d/dt_i."""
    g_log = theta_nat * grad
    if hess is None:
        return g_log, None
    return g_log, np.outer(theta_nat, theta_nat) * hess + np.diag(g_log)


def bgnbd_derivatives(theta: np.ndarray, data: BtydHistories, hessian: bool = False, modified: bool = False):
    """BG/NBD log-likelihood, its gradient and (``hessian=True``) its Hessian in the log-parameters
    ``theta`` = log (r, alpha, a, b); ``modified=True``: the modified BG/NBD's (x + 1 in the beta functions,
    ``c4 = a / (b + x)`` for every customer, x = 0 included).

    Returns ``(ll, grad)`` or ``(ll, grad, hess)``. The last term is ``ln(c3 + c4)`` with
    ``ln c3 = (r + x)(ln(alpha + t_x) - ln(alpha + T))`` and ``ln c4 = ln a - ln(b + x - 1)`` (x > 0);
    with w = c3 / (c3 + c4) (1 when x = 0) its gradient is ``w grad ln c3 + (1 - w) grad ln c4`` and
    its Hessian ``w H3 + (1 - w) H4 + w (1 - w) (grad ln c3 - grad ln c4)(...)'``. In full::

        d/dr     = psi(r + x) - psi(r) + ln alpha - ln(alpha + t_x) + w (ln(alpha + t_x) - ln(alpha + T))
        d/dalpha = r / alpha - (r + x) / (alpha + t_x) + w (r + x) (1 / (alpha + t_x) - 1 / (alpha + T))
        d/da     = psi(a + b) - psi(a + b + x) + (1 - w) / a
        d/db     = psi(a + b) + psi(b + x) - psi(b) - psi(a + b + x) - (1 - w) / (b + x - 1)
    """
    from scipy.special import gammaln, polygamma, psi

    nat = np.exp(np.asarray(theta, dtype="float64"))
    r, alpha, a, b = nat
    x, t_x, T, n_w = data.x, data.t_x, data.T, data.weight
    xs, ix = data.xs, data.ix
    shift = 1.0 if modified else 0.0
    rep = np.full(x.shape, True) if modified else x > 0
    xs_b = xs + shift                             # x in the beta functions (x + 1 for the modified model)
    bx1 = np.where(rep, b + x - 1 + shift, 1.0)
    log_at, log_aT = np.log(alpha + t_x), np.log(alpha + T)
    log_c3 = (r + x) * (log_at - log_aT)
    lse = np.where(rep, np.logaddexp(log_c3, np.log(a) - np.log(bx1)), log_c3)
    w = np.exp(log_c3 - lse)                      # 1 where x = 0
    u = np.where(rep, 1.0 - w, 0.0)
    per_x = gammaln(r + xs) - gammaln(r) + gammaln(a + b) + gammaln(b + xs_b) - gammaln(b) - gammaln(a + b + xs_b)
    ll = float(np.sum(n_w * (per_x[ix] + r * np.log(alpha) - (r + x) * log_at + lse)))
    inv_t, inv_T = 1.0 / (alpha + t_x), 1.0 / (alpha + T)
    g3 = (log_at - log_aT, (r + x) * (inv_t - inv_T))      # grad ln c3 in (r, alpha); 0 in (a, b)
    g4 = (1.0 / a, -1.0 / bx1)                              # grad ln c4 in (a, b); 0 in (r, alpha)
    ab = psi(a + b) - psi(a + b + xs_b)
    d = [psi(r + xs)[ix] - psi(r) + np.log(alpha) - log_at + w * g3[0],
         r / alpha - (r + x) * inv_t + w * g3[1],
         ab[ix] + u * g4[0],
         (ab + psi(b + xs_b) - psi(b))[ix] + u * g4[1]]
    grad = np.array([np.sum(n_w * di) for di in d])
    if not hessian:
        return ll, to_log_space(nat, grad, None)[0]
    t1 = lambda z: polygamma(1, z)               # noqa: E731  trigamma
    ab1 = t1(a + b) - t1(a + b + xs_b)
    wu = w * u
    diff = (g3[0], g3[1], -g4[0], -g4[1])         # grad ln c3 - grad ln c4, per (r, alpha, a, b)
    h = np.zeros((4, 4))
    h[0, 0] = np.sum(n_w * (t1(r + xs)[ix] - t1(r) + wu * diff[0] ** 2))
    h[0, 1] = np.sum(n_w * (1.0 / alpha - inv_t + w * (inv_t - inv_T) + wu * diff[0] * diff[1]))
    h[1, 1] = np.sum(n_w * (-r / alpha ** 2 + (r + x) * inv_t ** 2 + w * (r + x) * (inv_T ** 2 - inv_t ** 2)
                            + wu * diff[1] ** 2))
    h[2, 2] = np.sum(n_w * (ab1[ix] - u / a ** 2 + wu * diff[2] ** 2))
    h[3, 3] = np.sum(n_w * ((ab1 + t1(b + xs_b) - t1(b))[ix] + u / bx1 ** 2 + wu * diff[3] ** 2))
    h[2, 3] = np.sum(n_w * (ab1[ix] + wu * diff[2] * diff[3]))
    for i, j in ((0, 2), (0, 3), (1, 2), (1, 3)):
        h[i, j] = np.sum(n_w * wu * diff[i] * diff[j])
    h = np.triu(h) + np.triu(h, 1).T
    g_log, h_log = to_log_space(nat, grad, h)
    return ll, g_log, h_log


@dataclass(frozen=True)
class GammaGammaData:
    """Repeat customers' frequencies x and mean repeat values m, with the sums the likelihood reuses.

    ``xs`` and ``count`` are the distinct frequencies and how many customers have each.
    """

    x: np.ndarray
    m: np.ndarray
    xm: np.ndarray
    xs: np.ndarray
    count: np.ndarray
    sum_x_log_m: float
    sum_log_m: float
    sum_x_log_x: float

    @classmethod
    def from_arrays(cls, frequency, monetary_value) -> "GammaGammaData":
        """Repeat customers (frequency > 0) with a positive mean value; the caller has filtered them."""
        x = np.asarray(frequency, dtype="float64")
        m = np.asarray(monetary_value, dtype="float64")
        xs, count = np.unique(x, return_counts=True)
        log_m = np.log(m)
        return cls(x, m, x * m, xs, count.astype("float64"), float(np.sum(x * log_m)), float(np.sum(log_m)),
                   float(np.sum(x * np.log(x))))


def gamma_gamma_derivatives(theta: np.ndarray, data: GammaGammaData, hessian: bool = False):
    """Gamma-Gamma log-likelihood, its gradient and (``hessian=True``) its Hessian in the log-parameters
    ``theta`` = log (p, q, v); returns ``(ll, grad)`` or ``(ll, grad, hess)``.

    With L = ln(x m + v)::

        d/dp = x (psi(p x + q) - psi(p x) + ln m + ln x - L)
        d/dq = psi(p x + q) - psi(q) + ln v - L
        d/dv = q / v - (p x + q) / (x m + v)
    """
    from scipy.special import gammaln, polygamma, psi

    nat = np.exp(np.asarray(theta, dtype="float64"))
    p, q, v = nat
    xs, c, n = data.xs, data.count, float(len(data.x))
    xmv = data.xm + v
    log_xmv = np.log(xmv)
    # sums as np.sum(a * b), not a @ b: BLAS threads cost more than they save here on a busy machine
    sum_l, sum_xl = float(np.sum(log_xmv)), float(np.sum(data.x * log_xmv))
    pxq = p * xs + q
    ll = (float(np.sum(c * (gammaln(pxq) - gammaln(p * xs)))) - n * float(gammaln(q)) + n * q * np.log(v)
          + p * data.sum_x_log_m - data.sum_log_m + p * data.sum_x_log_x - p * sum_xl - q * sum_l)
    psi_pxq = psi(pxq)
    inv = 1.0 / xmv
    d_p = float(np.sum(c * xs * (psi_pxq - psi(p * xs)))) + data.sum_x_log_m + data.sum_x_log_x - sum_xl
    d_q = float(np.sum(c * psi_pxq)) - n * float(psi(q)) + n * np.log(v) - sum_l
    d_v = n * q / v - float(np.sum((p * data.x + q) * inv))
    grad = np.array([d_p, d_q, d_v])
    if not hessian:
        return float(ll), nat * grad
    t_pxq = polygamma(1, pxq)
    sum_xi = float(np.sum(data.x * inv))
    h = np.array([
        [float(np.sum(c * xs ** 2 * (t_pxq - polygamma(1, p * xs)))), float(np.sum(c * xs * t_pxq)), -sum_xi],
        [0.0, float(np.sum(c * t_pxq)) - n * float(polygamma(1, q)), n / v - float(np.sum(inv))],
        [0.0, 0.0, -n * q / v ** 2 + float(np.sum((p * data.x + q) * inv ** 2))]])
    h = np.triu(h) + np.triu(h, 1).T
    g_log, h_log = to_log_space(nat, grad, h)
    return float(ll), g_log, h_log


@dataclass(frozen=True)
class LogNormalPriors:
    """Independent ``LogNormal(mu_k, sd)`` priors on the parameters, for a MAP fit in numpy.

    The density is taken in the parameters themselves, as pymc's ``find_MAP`` does (its objective
    leaves out the log transform's Jacobian), so the MAP estimate is the one pymc-marketing's own fit
    finds with the same ``Prior("LogNormal", mu=mu_k, sigma=sd)``. In u = ln(theta) the log-density
    is -u - (u - mu)^2 / (2 sd^2) + const, with gradient -1 - (u - mu) / sd^2 and Hessian -1 / sd^2.
    """

    mu: tuple
    sd: float

    def add_to(self, derivs: Callable) -> Callable:
        """``derivs`` (log-likelihood[, gradient, Hessian] in the log-parameters) plus this log-prior."""
        mu, var = np.asarray(self.mu, dtype="float64"), self.sd ** 2

        def posterior(theta, hessian=False):
            out = derivs(theta, hessian)
            lp = float(np.sum(-theta - (theta - mu) ** 2 / (2 * var) - np.log(self.sd * np.sqrt(2 * np.pi))))
            grad = out[1] - 1.0 - (theta - mu) / var
            if not hessian:
                return out[0] + lp, grad
            return out[0] + lp, grad, out[2] - np.eye(len(mu)) / var

        return posterior


# --------------------------------------------------------------------------------------
# the search
# --------------------------------------------------------------------------------------
def maximise(derivs: Callable, theta0, names, prior: LogNormalPriors | None = None) -> MleFit:
    """Maximise a log-likelihood over log-parameters by Newton's method in a trust region.

    scipy's ``trust-exact`` with the analytic gradient and Hessian, stopped when the gradient
    vanishes (each component below 1e-6 in absolute value, as the pymc-marketing path asks of
    L-BFGS-B); when it does not get there (an indefinite Hessian far from the maximum), L-BFGS-B
    with the analytic gradient takes over from where it stopped.

    Parameters
    ----------
    derivs : callable
        ``derivs(theta, hessian)`` -> ``(log-likelihood, gradient[, Hessian])`` in the log-parameters.
    theta0 : array-like
        The starting point (log-parameters).
    names : sequence of str
        The parameter names, in the order of ``theta``.
    prior : LogNormalPriors, optional
        Maximise the log-likelihood plus this log-prior (a MAP fit); the fit's ``log_likelihood`` stays
        the data's alone.

    Returns
    -------
    MleFit
        Where the search stopped; whether that is a proper maximum is for
        :func:`helpers.models.clv.estimation.map_convergence` to say.
    """
    from scipy.optimize import minimize

    likelihood = derivs
    if prior is not None:
        derivs = prior.add_to(derivs)
    calls = 0
    cache: dict = {}

    def evaluate(th):
        nonlocal calls
        key = np.asarray(th, dtype="float64").tobytes()
        if key not in cache:
            calls += 1
            cache.clear()
            ll, grad, hess = derivs(np.asarray(th, dtype="float64"), True)
            ok = np.isfinite(ll) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
            cache[key] = (-ll, -grad, -hess) if ok else (np.inf, np.zeros_like(grad), np.eye(len(grad)))
        return cache[key]

    x0 = np.asarray(theta0, dtype="float64")
    with np.errstate(all="ignore"):
        res = minimize(lambda th: evaluate(th)[:2], x0, jac=True, hess=lambda th: evaluate(th)[2],
                       method="trust-exact", options={"gtol": GTOL, "maxiter": MAX_ITER})
        theta = res.x
        if not (np.all(np.isfinite(theta)) and np.max(np.abs(evaluate(theta)[1])) <= GTOL):
            start = theta if np.all(np.isfinite(theta)) and np.isfinite(evaluate(theta)[0]) else x0
            res = minimize(lambda th: evaluate(th)[:2], start, jac=True, method="L-BFGS-B", options=LBFGS_OPTIONS)
            theta = res.x
        ll, grad, hess = derivs(theta, True)
        if prior is not None:
            ll = likelihood(theta, False)[0]
    info = -hess if np.isfinite(ll) and np.all(np.isfinite(hess)) else None
    return MleFit(dict(zip(names, np.exp(theta).tolist())), float(ll), grad, info, calls)


def fit_bgnbd(frequency, recency, T, start: dict, modified: bool = False,
              prior: LogNormalPriors | None = None) -> MleFit:
    """The BG/NBD (``modified=True``: modified BG/NBD) maximum-likelihood estimate of (r, alpha, a, b) from
    ``start`` (values on the data's scale); with ``prior`` the MAP estimate under it."""
    data = BtydHistories.from_arrays(frequency, recency, T)
    return maximise(lambda th, h: bgnbd_derivatives(th, data, h, modified), np.log([start[k] for k in BGNBD_PARAMS]),
                    BGNBD_PARAMS, prior)


def fit_gamma_gamma(frequency, monetary_value, start: dict, prior: LogNormalPriors | None = None) -> MleFit:
    """The Gamma-Gamma maximum-likelihood estimate of (p, q, v) on repeat customers with positive spend (with
    ``prior``: the MAP estimate under it)."""
    data = GammaGammaData.from_arrays(frequency, monetary_value)
    return maximise(lambda th, h: gamma_gamma_derivatives(th, data, h), np.log([start[k] for k in GAMMA_GAMMA_PARAMS]),
                    GAMMA_GAMMA_PARAMS, prior)


def bgnbd_log_likelihood(values: dict, frequency, recency, T, modified: bool = False) -> float:
    """The BG/NBD (``modified=True``: modified BG/NBD) log-likelihood of a summary at ``values`` (r, alpha, a, b)."""
    data = BtydHistories.from_arrays(frequency, recency, T)
    with np.errstate(all="ignore"):
        return bgnbd_derivatives(np.log([values[k] for k in BGNBD_PARAMS]), data, modified=modified)[0]


def gamma_gamma_log_likelihood(values: dict, frequency, monetary_value) -> float:
    """The Gamma-Gamma log-likelihood of repeat customers' mean values at ``values`` (p, q, v)."""
    data = GammaGammaData.from_arrays(frequency, monetary_value)
    with np.errstate(all="ignore"):
        return gamma_gamma_derivatives(np.log([values[k] for k in GAMMA_GAMMA_PARAMS]), data)[0]
