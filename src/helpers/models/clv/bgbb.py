"""BG/BB: the buy-till-you-die model for discrete purchase opportunities (Fader, Hardie & Shang 2010).

Where purchases can only happen on a grid (a weekly draw, a monthly billing day, a yearly
donation), a customer's history is x purchases in n opportunities after the first, the last at
opportunity t_x. While alive, a customer buys at each opportunity with probability p ~ Beta(alpha,
beta); after each opportunity, drops out with probability theta ~ Beta(gamma, delta). Per customer
(eq. 5 of the paper)::

    L = B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
        + sum_{i=0}^{n - t_x - 1} B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
                                  * B(gamma + 1, delta + t_x + i) / B(gamma, delta)

pymc-marketing's ``BetaGeoBetaBinomModel`` has the same likelihood but asks every customer to have
the same n (one cohort, as in the paper's donation data); real exports hold customers who joined
at different times. Here the likelihood is written in numpy for any n per customer, with its
analytic gradient in the log-parameters, maximised by :func:`helpers.models.clv.mle.maximise`
(the Hessian is the gradient's central difference). The predictions are the paper's closed forms:
:func:`expected_purchases` (eq. 13) and :func:`p_alive` (eq. 11). The tests check the estimates
against the paper's (donation data: alpha 1.204, beta 0.750, gamma 0.657, delta 2.783) and the
predictions against pymc-marketing's on one cohort.

:func:`opportunities` turns a day-based calibration summary into (x, t_x, n) on a detected grid
(:func:`helpers.features.customers.purchase_grid`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, logsumexp

from helpers.models.clv.mle import MleFit, maximise

PARAMS = ("alpha", "beta", "gamma", "delta")
#: the step of the central difference of the gradient that gives the Hessian (log-parameters)
HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class Histories:
    """Distinct (x, t_x, n) histories and how many customers have each."""

    x: np.ndarray
    t_x: np.ndarray
    n: np.ndarray
    weight: np.ndarray

    @classmethod
    def from_arrays(cls, frequency, recency, n) -> "Histories":
        rows = pd.DataFrame({"x": np.asarray(frequency, float), "t_x": np.asarray(recency, float),
                             "n": np.asarray(n, float)})
        bad = (rows["x"] < 0) | (rows["x"] > rows["t_x"]) | (rows["t_x"] > rows["n"]) | ((rows["x"] == 0) & (rows["t_x"] > 0))
        if bad.any():
            raise ValueError(f"{int(bad.sum()):,} histories break 0 <= x <= t_x <= n (x = 0 needs t_x = 0); "
                             "a BG/BB history counts at most one purchase per opportunity")
        counts = rows.groupby(["x", "t_x", "n"], sort=False).size()
        x, t_x, n = (counts.index.get_level_values(k).to_numpy(float) for k in ("x", "t_x", "n"))
        return cls(x, t_x, n, counts.to_numpy(float))


def _terms(v: dict, h: Histories):
    """The log of each term of L per history (first column: alive through n; then the dropout terms, -inf
    where i >= n - t_x) and the pieces their derivatives need."""
    a, b, g, d = (v[k] for k in PARAMS)
    width = int(np.max(h.n - h.t_x)) if len(h.n) else 0
    i = np.arange(width, dtype=float)[None, :]
    tx, x, n = h.t_x[:, None], h.x[:, None], h.n[:, None]
    mask = i < (n - tx)
    m = np.concatenate([n - x, tx - x + i], axis=1)                 # beta's increment of each term
    c = np.concatenate([np.zeros_like(n), np.ones_like(i + tx)], axis=1)   # gamma's increment
    e = np.concatenate([n, tx + i], axis=1)                          # delta's increment
    x2 = np.broadcast_to(x, m.shape)
    s = betaln(a + x2, b + m) - betaln(a, b) + betaln(g + c, d + e) - betaln(g, d)
    keep = np.concatenate([np.ones_like(n, bool), mask], axis=1)
    return np.where(keep, s, -np.inf), (x2, m, c, e)


def log_likelihood_rows(values: dict, h: Histories) -> np.ndarray:
    """ln L of each distinct history at ``values``."""
    s, _ = _terms(values, h)
    return logsumexp(s, axis=1)


def derivatives(theta: np.ndarray, h: Histories, hessian: bool = False):
    """Log-likelihood (weighted sum), its gradient in the log-parameters ``theta`` and, when asked, the
    Hessian (central difference of the analytic gradient)."""
    def ll_grad(th):
        a, b, g, d = np.exp(th)
        s, (x, m, c, e) = _terms(dict(zip(PARAMS, (a, b, g, d))), h)
        ll_row = logsumexp(s, axis=1)
        w = np.exp(s - ll_row[:, None]) * h.weight[:, None]          # each term's share of L, times the customers
        da = digamma(a + x) - digamma(a + b + x + m) - digamma(a) + digamma(a + b)
        db = digamma(b + m) - digamma(a + b + x + m) - digamma(b) + digamma(a + b)
        dg = digamma(g + c) - digamma(g + d + c + e) - digamma(g) + digamma(g + d)
        dd = digamma(d + e) - digamma(g + d + c + e) - digamma(d) + digamma(g + d)
        grad = np.array([np.sum(np.where(w > 0, w * k, 0.0)) for k in (da, db, dg, dd)]) * np.exp(th)
        return float(np.sum(h.weight * ll_row)), grad

    ll, grad = ll_grad(theta)
    if not hessian:
        return ll, grad
    hess = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        step = np.zeros(len(theta))
        step[j] = HESSIAN_STEP
        hess[j] = (ll_grad(theta + step)[1] - ll_grad(theta - step)[1]) / (2 * HESSIAN_STEP)
    return ll, grad, (hess + hess.T) / 2


def start_values(frequency, n) -> dict:
    """Purchase probability at the observed share of opportunities bought (Beta with alpha + beta = 2),
    dropout at gamma = delta = 1."""
    share = float(np.clip(np.sum(frequency) / max(float(np.sum(n)), 1.0), 0.02, 0.98))
    return {"alpha": 2 * share, "beta": 2 * (1 - share), "gamma": 1.0, "delta": 1.0}


def fit(frequency, recency, n) -> MleFit:
    """The BG/BB maximum-likelihood estimate from histories (x repeat purchases, the last at opportunity
    t_x, n opportunities after the first purchase). Raises ValueError on impossible histories."""
    h = Histories.from_arrays(frequency, recency, n)
    start = start_values(frequency, n)
    return maximise(lambda th, hess: derivatives(th, h, hess), np.log([start[k] for k in PARAMS]), PARAMS)


def log_likelihood(values: dict, frequency, recency, n) -> float:
    """The BG/BB log-likelihood of histories at ``values``."""
    h = Histories.from_arrays(frequency, recency, n)
    return float(np.sum(h.weight * log_likelihood_rows(values, h)))


def _per_customer(values: dict, frequency, recency, n):
    x, tx, nn = (np.asarray(v, float) for v in (frequency, recency, n))
    h = Histories(x, tx, nn, np.ones_like(x))
    return x, nn, log_likelihood_rows(values, h)


def expected_purchases(values: dict, frequency, recency, n, future) -> np.ndarray:
    """Expected purchases in the next ``future`` opportunities of each customer (eq. 13)."""
    a, b, g, d = (values[k] for k in PARAMS)
    x, nn, ll = _per_customer(values, frequency, recency, n)
    t = np.broadcast_to(np.asarray(future, float), x.shape)
    head = np.exp(betaln(a + x + 1, b + nn - x) - betaln(a, b) - ll)
    ratio = d / (g - 1) * np.exp(gammaln(g + d) - gammaln(1 + d))
    tail = np.exp(gammaln(1 + d + nn) - gammaln(g + d + nn)) - np.exp(gammaln(1 + d + nn + t) - gammaln(g + d + nn + t))
    return head * ratio * tail


def p_alive(values: dict, frequency, recency, n) -> np.ndarray:
    """Probability that each customer is alive at the next opportunity (eq. 11)."""
    a, b, g, d = (values[k] for k in PARAMS)
    x, nn, ll = _per_customer(values, frequency, recency, n)
    return np.exp(betaln(a + x, b + nn - x) - betaln(a, b) + betaln(g, d + nn + 1) - betaln(g, d) - ll)


# --------------------------------------------------------------------------------------
# a day-based summary on a grid of opportunities
# --------------------------------------------------------------------------------------
def _grid_count(days: np.ndarray, grid: dict) -> np.ndarray:
    """How many grid dates are on or before each date (``days``: datetime64[D]); only differences matter."""
    if grid["grid"] == "W":
        num = days.astype("datetime64[D]").astype(np.int64)
        first = (int(grid["weekday"]) - 3) % 7            # 1970-01-01 (day 0) was a Thursday (weekday 3)
        return np.floor((num - first) / 7).astype(np.int64)
    stamps = pd.DatetimeIndex(days)
    return (stamps.year * 12 + stamps.month - (stamps.day < int(grid["day"])).astype(int)).to_numpy(np.int64)


def opportunities(calhold: pd.DataFrame, grid: dict, *, calibration_end, observation_end, unit_days: float):
    """(x, t_x, n, n_holdout) per customer of a day-based calibration/holdout summary: purchases counted on
    the grid's dates (``grid``: {"grid": "W", "weekday": 0..6} or {"grid": "M", "day": 1..31}) between the
    first purchase, the last and the calibration end; ``n_holdout`` grid dates in the holdout. A purchase
    off the grid counts at the grid date before it; x is capped at t_x (one purchase per opportunity)."""
    cal_end = np.datetime64(pd.Timestamp(calibration_end).date(), "D")
    obs_end = np.datetime64(pd.Timestamp(observation_end).date(), "D")
    t_days = np.rint(calhold["T"].to_numpy(float) * unit_days).astype("timedelta64[D]")
    r_days = np.rint(calhold["recency"].to_numpy(float) * unit_days).astype("timedelta64[D]")
    first = cal_end - t_days
    f_first, f_last = _grid_count(first, grid), _grid_count(first + r_days, grid)
    f_end = _grid_count(np.array([cal_end]), grid)[0]
    n = (f_end - f_first).astype(float)
    t_x = np.minimum(f_last - f_first, n).astype(float)
    x = np.minimum(calhold["frequency"].to_numpy(float), t_x)
    n_hold = float(_grid_count(np.array([obs_end]), grid)[0] - f_end)
    return x, t_x, n, n_hold
