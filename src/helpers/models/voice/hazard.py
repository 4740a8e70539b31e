"""The complaint effect on dropout: purchase histories with the first complaint, and the fit of k.

:func:`complaint_histories` gives each customer's BG/NBD summary (``frequency``, ``recency``,
``T`` in the time unit) and the purchase of the first complaint; :func:`fit_complaint_hazard`
fits the likelihood of :mod:`helpers.models.voice.likelihood` by maximum likelihood, with Wald
intervals on the log scale and the likelihood-ratio test of k = 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.errors import DataError
from helpers.models.voice.likelihood import complaint_loglik_terms, numerical_hessian
from helpers.models.voice.table import FILE, complaint_flags


_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def complaint_histories(lines: pd.DataFrame, fb: pd.DataFrame, *, observation_end, time_unit: str = "W",
                        rule: str = "auto") -> pd.DataFrame:
    """Per customer: the BG/NBD summary and the purchase at which the first complaint came.

    Parameters
    ----------
    lines : DataFrame
        Clean sales lines: ``customer_id``, ``invoice``, ``invoice_ts``. A purchase is a distinct
        day with an order (as in :func:`helpers.features.customers.btyd_summary`).
    fb : DataFrame
        Feedback after :func:`helpers.models.voice.table.check_feedback`. A complaint belongs to the purchase day of its
        ``invoice`` when that order is in the lines, else to the customer's last purchase day on
        or before the complaint.
    observation_end : date
        Last day observed (inclusive).
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``frequency`` (repeat purchase days x), ``recency`` (t_x), ``T``,
        ``complaint_at`` (index 0..x of the purchase day of the first complaint: 0 = the first
        purchase; NaN = no complaint), ``complained`` (bool).
    """
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit {time_unit!r} is not one of {sorted(_UNIT_DAYS)}")
    end = pd.Timestamp(observation_end).normalize()
    d = lines[lines["customer_id"].notna() & (lines["invoice_ts"] < end + pd.Timedelta(days=1))]
    d = d.assign(day=d["invoice_ts"].dt.normalize(), customer_id=d["customer_id"].astype("string"))
    days = d[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    days["j"] = days.groupby("customer_id").cumcount()
    g = days.groupby("customer_id")["day"]
    unit = _UNIT_DAYS[time_unit]
    out = pd.DataFrame({"frequency": g.size() - 1, "first": g.min(), "last": g.max()})
    out["recency"] = (out["last"] - out["first"]).dt.days / unit
    out["T"] = (end - out["first"]).dt.days / unit
    # the first complaint of each customer, at the purchase day of its order (or the last one before it)
    f = fb[fb["customer_id"].notna() & complaint_flags(fb, rule)]
    f = f.assign(customer_id=f["customer_id"].astype("string"))
    at = pd.Series(np.nan, index=out.index)
    if len(f):
        inv_day = d.groupby(["customer_id", "invoice"])["day"].min()
        key = pd.MultiIndex.from_arrays([f["customer_id"], f["invoice"].astype("string")]) \
            if "invoice" in f.columns else None
        day = pd.Series(inv_day.reindex(key).to_numpy(), index=f.index) if key is not None \
            else pd.Series(pd.NaT, index=f.index)
        # no known order: the last purchase day on or before the complaint
        need = day.isna()
        if need.any():
            q = f.loc[need, ["customer_id", "feedback_ts"]].assign(_i=f.index[need]).sort_values("feedback_ts")
            m = pd.merge_asof(q, days.rename(columns={"day": "feedback_ts_day"}).sort_values("feedback_ts_day"),
                              left_on="feedback_ts", right_on="feedback_ts_day", by="customer_id",
                              direction="backward")
            day.loc[m["_i"].to_numpy()] = m["feedback_ts_day"].to_numpy()
        fd = pd.DataFrame({"customer_id": f["customer_id"], "day": day}).dropna()
        fd = fd.merge(days, on=["customer_id", "day"], how="inner")
        at = fd.groupby("customer_id")["j"].min().reindex(out.index)
    out["complaint_at"] = at.astype(float)
    out["complained"] = out["complaint_at"].notna()
    out = out.reset_index().rename(columns={"index": "customer_id"})
    return out[["customer_id", "frequency", "recency", "T", "complaint_at", "complained"]]


@dataclass
class HazardFit:
    """The complaint BG/NBD fit (see :func:`fit_complaint_hazard`).

    ``params``: ``r``, ``alpha``, ``a``, ``b``, ``k`` with ``estimate``, ``se`` (of the log
    parameter) and ``low`` / ``high`` (interval at ``level``, Wald on the log scale). ``k`` is the
    factor on the dropout hazard after a complaint (1 = no effect). ``lr_p_value``: likelihood-ratio
    test of k = 1. ``mean_p`` and ``mean_p_after``: E[p] and E[1 - (1 - p)^k] of the population.
    """

    params: pd.DataFrame
    level: float
    log_likelihood: float
    log_likelihood_k1: float
    lr_p_value: float
    n_customers: int
    n_complained: int
    n_repeat_after: int
    mean_p: float
    mean_p_after: float
    time_unit: str | None = None

    @property
    def k(self) -> float:
        return float(self.params.loc["k", "estimate"])

    @property
    def k_low(self) -> float:
        return float(self.params.loc["k", "low"])

    @property
    def k_high(self) -> float:
        return float(self.params.loc["k", "high"])

    def covers(self, value: float) -> bool:
        return bool(self.k_low <= value <= self.k_high)


def fit_complaint_hazard(hist: pd.DataFrame, *, level: float = 0.9, time_unit: str | None = None,
                         min_repeat_after: int = 20) -> HazardFit:
    """Fit BG/NBD with a dropout probability that rises after a customer's first complaint.

    The model: purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive, a Poisson
    process with rate lambda ~ Gamma(r, alpha); right after each repeat purchase the customer
    drops out with probability p ~ Beta(a, b). From the purchase complained about onwards the
    dropout probability is ``1 - (1 - p)^k``: the per-purchase dropout hazard ``-log(1 - p)``
    is multiplied by k. With x repeats, the last at t_x, m of the repeats 1..x-1 at or after
    the complaint and c = 1 when the last purchase is at or after it, integrating lambda and p
    gives the likelihood in closed form::

        L = G(t_x) [P(n) - P(n + k_x)] + G(T) P(n + k_x),   n = x - 1 - m + k m,  k_x = k if c else 1
        G(t) = Gamma(r + x) alpha^r / (Gamma(r) (alpha + t)^(r + x)),  P(n) = B(a, b + n) / B(a, b)

    (x = 0: L = G(T)); with k = 1 it is the BG/NBD likelihood. Maximum likelihood on the log
    parameters (L-BFGS-B), standard errors from the numerical Hessian.

    Parameters
    ----------
    hist : DataFrame
        From :func:`complaint_histories`.
    level : float
        Level of the intervals.
    min_repeat_after : int
        Fewest complainers with a repeat purchase at or after the complaint: only they inform k.

    Raises
    ------
    helpers.errors.DataError
        Fewer than 10 customers complained, or fewer than ``min_repeat_after`` of them bought again
        at or after the complaint (k cannot be estimated); ``counts`` holds ``n``, ``after`` and
        ``min_after``, the numbers of the message.
    """
    from scipy.optimize import minimize

    x = hist["frequency"].to_numpy(float)
    tx, T = hist["recency"].to_numpy(float), hist["T"].to_numpy(float)
    J = hist["complaint_at"].to_numpy(float)
    comp = ~np.isnan(J)
    Jc = np.where(comp, np.maximum(J, 1), np.inf)
    m = np.where(comp & (Jc <= x - 1), x - Jc, 0.0)
    cx = comp & (J <= x) & (x > 0)
    n_after = int((comp & (x > 0) & (J <= x)).sum())
    if comp.sum() < 10 or n_after < min_repeat_after:
        counts = {"n": int(comp.sum()), "after": n_after, "min_after": min_repeat_after}
        err = DataError(FILE, "too-few-complaints",
                        f"{counts['n']} customers complained and {n_after} of them bought again at or after the "
                        f"complaint; the complaint effect on dropout needs at least 10 complainers and "
                        f"{min_repeat_after} with a repeat purchase at or after the complaint", column="score")
        err.counts = counts  # the numbers of the message, for a translated text (helpers.plots.voice)
        raise err

    n = len(x)

    def mean_nll(theta):                             # the mean keeps the optimiser's tolerances scale-free
        v = -np.mean(complaint_loglik_terms(theta, x, tx, T, m, cx))
        return v if np.isfinite(v) else 1e10

    def nll(theta):
        return n * mean_nll(theta)

    start = np.log([1.0, max(float(np.mean(T)), 1e-3), 1.0, 3.0])
    # plain BG/NBD first (k = 1), then k from there; the best of L-BFGS-B and a Nelder-Mead polish
    res1 = minimize(lambda t4: mean_nll(np.append(t4, 0.0)), start, method="L-BFGS-B", bounds=[(-12, 12)] * 4)
    res = minimize(mean_nll, np.append(res1.x, 0.0), method="L-BFGS-B", bounds=[(-12, 12)] * 5)
    polish = minimize(mean_nll, res.x, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000})
    if polish.fun < res.fun:
        res = polish
    res.fun, res1.fun = n * res.fun, n * res1.fun
    H = numerical_hessian(nll, res.x)
    try:
        cov = np.linalg.inv(H)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(5, np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    names = ["r", "alpha", "a", "b", "k"]
    params = pd.DataFrame({"estimate": np.exp(res.x), "se": se, "low": np.exp(res.x - z * se),
                           "high": np.exp(res.x + z * se)}, index=names)
    params.index.name = "parameter"
    lr = 2 * (res1.fun - res.fun)
    a, b, k = params.loc["a", "estimate"], params.loc["b", "estimate"], params.loc["k", "estimate"]
    from scipy.special import betaln

    mean_after = 1 - math.exp(betaln(a, b + k) - betaln(a, b))
    return HazardFit(params=params, level=level, log_likelihood=float(-res.fun), log_likelihood_k1=float(-res1.fun),
                     lr_p_value=float(stats.chi2.sf(max(lr, 0.0), 1)), n_customers=len(hist),
                     n_complained=int(comp.sum()), n_repeat_after=n_after, mean_p=float(a / (a + b)),
                     mean_p_after=float(mean_after), time_unit=time_unit)


def try_complaint_hazard(lines: pd.DataFrame, fb: pd.DataFrame, *, observation_end, time_unit: str = "W",
                         rule: str = "auto", level: float = 0.9) -> tuple[HazardFit | None, DataError | None]:
    """:func:`fit_complaint_hazard` on the :func:`complaint_histories` of ``lines`` and ``fb``, or why the data
    cannot give it: ``(fit, None)`` or ``(None, the DataError)``."""
    hist = complaint_histories(lines, fb, observation_end=observation_end, time_unit=time_unit, rule=rule)
    try:
        return fit_complaint_hazard(hist, level=level, time_unit=time_unit), None
    except DataError as err:
        return None, err
