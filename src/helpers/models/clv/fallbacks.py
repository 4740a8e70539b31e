"""The recovery chains' fallbacks: the NBD, empirical rates and the empirical mean spend.

Closed-form models with the prediction methods of a pymc-marketing model (one 'draw'), so
:mod:`helpers.models.clv.predict` reads them as it reads BG/NBD and Gamma-Gamma: the NBD
(BG/NBD's limit a -> 0, fitted by maximum likelihood with scipy; :func:`fit_nbd`), each
customer's own repeat rate (:func:`empirical_rates`) and mean repeat spend
(:func:`empirical_spend`). None of them has P(alive): it is NaN, not 1.
"""
from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

from helpers.models.clv.estimation import inverse, map_convergence, start_values, z_value
from helpers.models.clv.inputs import check_summary
from helpers.models.clv.results import MIN_REPEAT_CUSTOMERS, ModelFitError, PurchaseFit, SpendFit


class _ClosedForm:
    """A fallback model with the prediction methods of a pymc-marketing model (one 'draw')."""

    idata = SimpleNamespace(posterior=SimpleNamespace(sizes={"chain": 1, "draw": 1}))

    def expected_probability_alive(self, data, future_t=None):
        """No dropout in the model: P(alive) is unknown (NaN), not 1."""
        return np.full((1, 1, len(data)), np.nan)


class _NBDPredictor(_ClosedForm):
    """The NBD: Poisson purchases at a rate lambda ~ Gamma(r, alpha), nobody drops out."""

    def __init__(self, r: float, alpha: float):
        self.r, self.alpha = float(r), float(alpha)

    def expected_purchases(self, data, future_t):
        """E[X(t) | x, T] = (r + x) / (alpha + T) * t: the posterior mean rate times t."""
        t = np.broadcast_to(np.asarray(future_t, dtype="float64"), (len(data),))
        x, T = data["frequency"].to_numpy(dtype="float64"), data["T"].to_numpy(dtype="float64")
        return ((self.r + x) / (self.alpha + T) * t)[None, None, :]

    def expected_purchases_new_customer(self, data):
        return (self.r / self.alpha * data["t"].to_numpy(dtype="float64"))[None, None, :]


class _EmpiricalRates(_ClosedForm):
    """Each customer's own repeat rate frequency / T (NaN for T = 0); a new customer's is the pooled rate."""

    def __init__(self, pooled_rate: float):
        self.pooled_rate = float(pooled_rate)

    def expected_purchases(self, data, future_t):
        t = np.broadcast_to(np.asarray(future_t, dtype="float64"), (len(data),))
        x, T = data["frequency"].to_numpy(dtype="float64"), data["T"].to_numpy(dtype="float64")
        rate = np.divide(x, T, out=np.full(len(data), np.nan), where=T > 0)
        return (rate * t)[None, None, :]

    def expected_purchases_new_customer(self, data):
        return (self.pooled_rate * data["t"].to_numpy(dtype="float64"))[None, None, :]


class _EmpiricalSpend(_ClosedForm):
    """A repeat customer's own mean repeat spend when positive, else the mean of those means (NaN if none)."""

    def __init__(self, mean_spend: float):
        self.mean_spend = float(mean_spend)

    def expected_customer_spend(self, data):
        x, m = data["frequency"].to_numpy(dtype="float64"), data["monetary_value"].to_numpy(dtype="float64")
        return np.where((x > 0) & (m > 0), m, self.mean_spend)[None, None, :]


def nbd_log_likelihood(r: float, alpha: float, summary: pd.DataFrame) -> float:
    """Log-likelihood of the NBD, BG/NBD's limit a -> 0 (the same terms, so the two compare):
    ``sum_i ln G(r + x_i) - ln G(r) + r ln alpha - (r + x_i) ln(alpha + T_i)``."""
    from scipy.special import gammaln

    x, T = summary["frequency"].to_numpy(dtype="float64"), summary["T"].to_numpy(dtype="float64")
    return float(np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)))


def nbd_derivatives(theta: np.ndarray, x: np.ndarray, T: np.ndarray):
    """Log-likelihood, gradient and Hessian of the NBD in (log r, log alpha)."""
    from scipy.special import gammaln, polygamma, psi

    r, alpha = np.exp(theta)
    ll = np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T))
    d_r = np.sum(psi(r + x) - psi(r) + np.log(alpha) - np.log(alpha + T))
    d_a = np.sum(r / alpha - (r + x) / (alpha + T))
    d_rr = np.sum(polygamma(1, r + x) - polygamma(1, r))
    d_ra = np.sum(1.0 / alpha - 1.0 / (alpha + T))
    d_aa = np.sum(-r / alpha ** 2 + (r + x) / (alpha + T) ** 2)
    grad = np.array([r * d_r, alpha * d_a])                     # chain rule: d/d log theta = theta d/d theta
    hess = np.array([[r * d_r + r * r * d_rr, r * alpha * d_ra],
                     [r * alpha * d_ra, alpha * d_a + alpha * alpha * d_aa]])
    return float(ll), grad, hess


def fit_nbd(summary: pd.DataFrame, *, time_unit: str | None = None,
            min_repeat_customers: int = MIN_REPEAT_CUSTOMERS) -> PurchaseFit:
    """Fit the NBD (no dropout; BG/NBD's limit a -> 0) by maximum likelihood with scipy.

    Purchases of a customer follow a Poisson process at rate lambda, lambda ~ Gamma(r, alpha)
    across customers; nobody leaves. The likelihood (:func:`nbd_log_likelihood`) is
    maximised over (log r, log alpha) by ``scipy.optimize.minimize`` (trust-region with the
    analytic gradient and Hessian), started at r = 1 and the observed repeat rate. It gives
    expected purchases (``(r + x) / (alpha + T)`` per time unit) but no P(alive) (NaN).

    Raises
    ------
    ModelFitError
        Fewer than ``min_repeat_customers`` repeat customers, or no finite interior maximum
        (e.g. r -> infinity when customers' rates do not differ).
    """
    from scipy.optimize import minimize

    data = check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    n, n_rep = len(data), int((data["frequency"] > 0).sum())
    if n_rep < min_repeat_customers:
        raise ModelFitError(f"only {n_rep} of {n:,} customers bought on more than one day; the NBD model needs at "
                            f"least {min_repeat_customers} repeat customers", "too_few_repeat",
                            {"n": n_rep, "total": n, "min": int(min_repeat_customers)})
    started = time.time()
    x, T = data["frequency"].to_numpy(dtype="float64"), data["T"].to_numpy(dtype="float64")
    start = start_values("bgnbd", data)
    theta0 = np.log([start["r"], start["alpha"]])

    def fun(th):
        ll, g, h = nbd_derivatives(th, x, T)
        return -ll, -g

    def hess(th):
        return -nbd_derivatives(th, x, T)[2]

    with np.errstate(all="ignore"):
        res = minimize(fun, theta0, jac=True, hess=hess, method="trust-exact",
                       options={"gtol": 1e-8, "maxiter": 500})
        ll, grad, hess_ll = nbd_derivatives(res.x, x, T)
    values = dict(zip(("r", "alpha"), np.exp(res.x)))
    info = -hess_ll
    reason = map_convergence(("r", "alpha"), values, grad, info, n, ll)
    if reason is not None:
        code, fields, text = reason
        raise ModelFitError(f"the NBD fit did not converge: {text}.", code, fields)
    cov = inverse(info)
    z = z_value(0.9)
    rows = []
    for i, k in enumerate(("r", "alpha")):
        se_log = math.sqrt(cov[i, i]) if cov is not None and cov[i, i] > 0 else math.nan
        v = float(values[k])
        rows.append({"parameter": k, "estimate": v, "se": v * se_log, "low": v * math.exp(-z * se_log),
                     "high": v * math.exp(z * se_log)})
    return PurchaseFit(model="nbd", method="map", priors="flat", estimator=_NBDPredictor(values["r"], values["alpha"]),
                       params=pd.DataFrame(rows).set_index("parameter"), time_unit=time_unit, log_likelihood=ll,
                       n_customers=n, n_repeat=n_rep, seconds=round(time.time() - started, 2), cov_log=cov)


def empirical_rates(summary: pd.DataFrame, *, time_unit: str | None = None) -> PurchaseFit:
    """The chain's last purchase step: each customer's observed repeat rate, frequency / T.

    Expected purchases in the next t are ``frequency / T * t`` (NaN when T = 0: no time
    observed); a new customer's rate is the pooled rate sum(frequency) / sum(T) (the one
    row of ``params``, NaN when every T is 0); P(alive) is unknown (NaN). Never fails.
    """
    data = check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    total_t = float(data["T"].sum())
    pooled = float(data["frequency"].sum()) / total_t if total_t > 0 else math.nan
    params = pd.DataFrame({"estimate": [pooled], "se": [math.nan], "low": [math.nan], "high": [math.nan]},
                          index=pd.Index(["rate"], name="parameter"))
    return PurchaseFit(model="empirical", method="empirical", priors="none", estimator=_EmpiricalRates(pooled),
                       params=params, time_unit=time_unit, log_likelihood=None, n_customers=len(data),
                       n_repeat=int((data["frequency"] > 0).sum()))


def empirical_spend(summary: pd.DataFrame) -> SpendFit:
    """The spend chain's last step: each repeat customer's own mean repeat spend (when positive),
    for everyone else the mean of those means (``params`` row ``mean_spend``; NaN when no repeat
    customer has a positive spend, so their spend is unknown). Never fails."""
    data = check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[data["frequency"] > 0]
    ok = rep[rep["monetary_value"] > 0]
    mean = float(ok["monetary_value"].mean()) if len(ok) else math.nan
    params = pd.DataFrame({"estimate": [mean], "se": [math.nan], "low": [math.nan], "high": [math.nan]},
                          index=pd.Index(["mean_spend"], name="parameter"))
    return SpendFit(method="empirical", estimator=_EmpiricalSpend(mean), params=params, log_likelihood=None,
                    n_customers=len(ok), n_excluded=len(rep) - len(ok), model="empirical", priors="none")
