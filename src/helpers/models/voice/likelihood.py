"""The likelihood of BG/NBD with a complaint-dependent dropout probability, and a numerical Hessian.

Purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive, Poisson with rate
lambda ~ Gamma(r, alpha); after each repeat purchase dropout with probability p ~ Beta(a, b).
From the purchase complained about onwards the dropout probability is ``1 - (1 - p)^k`` (the
per-purchase dropout hazard multiplied by k). The closed form is derived in
:func:`helpers.models.voice.hazard.fit_complaint_hazard`; with k = 1 it is the BG/NBD likelihood.
"""
from __future__ import annotations

import numpy as np


def complaint_loglik_terms(theta: np.ndarray, x, tx, T, m, cx) -> np.ndarray:
    """Per-customer log-likelihood of the complaint BG/NBD::

        L = G(t_x) [P(n) - P(n + k_x)] + G(T) P(n + k_x),   n = x - 1 - m + k m,  k_x = k if c else 1
        G(t) = Gamma(r + x) alpha^r / (Gamma(r) (alpha + t)^(r + x)),  P(n) = B(a, b + n) / B(a, b)

    (x = 0: L = G(T)).

    Parameters
    ----------
    theta : array of 5
        log r, log alpha, log a, log b, log k.
    x, tx, T : arrays
        Repeat purchases, time of the last one and age of each customer (in the time unit).
    m : array
        Repeats 1..x-1 at or after the complaint (0 without one).
    cx : bool array
        Whether the last purchase is at or after the complaint (the dropout decision after it uses k).

    Returns
    -------
    numpy.ndarray
        log L per customer (see :func:`helpers.models.voice.hazard.fit_complaint_hazard`).
    """
    from scipy.special import betaln, gammaln

    r, alpha, a, b, k = np.exp(theta)
    n1 = (x - 1 - m) + k * m                        # survival exponents of the repeats before the last one
    kx = np.where(cx, k, 1.0)                       # the dropout decision right after the last purchase
    lg = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    log_gT = lg - (r + x) * np.log(alpha + T)
    log_gt = lg - (r + x) * np.log(alpha + tx)
    base = betaln(a, b)
    lp1 = betaln(a, b + np.maximum(n1, 0)) - base
    lp2 = betaln(a, b + np.maximum(n1, 0) + kx) - base
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dropped = log_gt + lp1 + np.log(-np.expm1(lp2 - lp1))
        ll = np.where(x > 0, np.logaddexp(dropped, log_gT + lp2), log_gT)
    return ll


def numerical_hessian(f, x0: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Hessian of the scalar function ``f`` at ``x0`` by central finite differences of step ``h``."""
    n = len(x0)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = H[j, i] = (f(x0 + e_i + e_j) - f(x0 + e_i - e_j) - f(x0 - e_i + e_j) + f(x0 - e_i - e_j)) / (4 * h * h)
    return H
