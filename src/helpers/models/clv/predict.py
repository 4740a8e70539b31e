"""Per-customer predictions of the CLV models, in chunks: P(alive), expected purchases and spend, CLV.

Nothing keeps chain x draw x customer arrays: customers are taken in chunks of at most
:data:`CHUNK_ELEMENTS` values and each chunk is reduced at once to the mean and an interval per
customer. Horizons are in months of :data:`MONTH_DAYS` days, converted to the fit's time unit.
:func:`frequency_recency_grid` gives the same predictions over a grid of histories (heatmaps).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.features.customers import UNIT_DAYS
from helpers.models.clv.inputs import check_choice, check_summary
from helpers.models.clv.results import ClvInputError, PurchaseFit, SpendFit

#: largest number of (draw x customer) values held at once while predicting
CHUNK_ELEMENTS = 4_000_000
#: days in a month (365.25 / 12): horizons in months are the same length in every time unit
MONTH_DAYS = UNIT_DAYS["M"]


def draws_matrix(x, n_customers: int) -> np.ndarray:
    """An xarray (chain, draw, customer_id) or (chain, draw) as a (draws, customers) array."""
    v = np.asarray(x.values if hasattr(x, "values") else x, dtype="float64")
    if v.ndim == 3:
        return v.reshape(-1, v.shape[-1])
    if v.ndim == 2:
        return np.repeat(v.reshape(-1, 1), n_customers, axis=1)
    return np.broadcast_to(v, (1, n_customers))


def _chunks(n: int, n_draws: int, steps: int = 1):
    size = max(1, CHUNK_ELEMENTS // max(1, n_draws * steps))
    for lo in range(0, n, size):
        yield lo, min(n, lo + size)


def _p_alive_draws(fit: PurchaseFit, part: pd.DataFrame) -> np.ndarray:
    est = fit.estimator
    if fit.model == "pareto_nbd":
        x = est.expected_probability_alive(part, future_t=0)
    else:
        x = est.expected_probability_alive(part)
    return np.clip(draws_matrix(x, len(part)), 0.0, 1.0)


def _purchases_draws(fit: PurchaseFit, part: pd.DataFrame, t: float) -> np.ndarray:
    if t <= 0:
        return np.zeros((1, len(part)))
    return draws_matrix(fit.estimator.expected_purchases(part, future_t=t), len(part))


def p_alive(fit: PurchaseFit, summary: pd.DataFrame) -> pd.Series:
    """Probability that each customer is still active at the end of the summary's period.

    Parameters
    ----------
    fit : PurchaseFit
    summary : DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T`` in the fit's time unit (may be other
        customers than those fitted, e.g. a later cut-off).

    Returns
    -------
    Series
        Indexed by ``customer_id``, named ``p_alive``, values in [0, 1] (posterior mean for
        MCMC). Customers without a repeat purchase have P(alive) = 1 under BG/NBD (dropout
        can only follow a repeat purchase). NaN for every customer when the fit has no dropout
        (``fit.has_p_alive`` False: the NBD and empirical-rate steps of the recovery chain).
    """
    data = check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    out = np.empty(len(data))
    for lo, hi in _chunks(len(data), fit.n_draws):
        out[lo:hi] = _p_alive_draws(fit, data.iloc[lo:hi]).mean(axis=0)
    return pd.Series(out, index=pd.Index(data["customer_id"], name="customer_id"), name="p_alive")


def expected_purchases(fit: PurchaseFit, summary: pd.DataFrame, future_t) -> pd.Series:
    """Expected number of purchases of each customer in the next ``future_t`` time units.

    ``future_t`` is in the fit's time unit; a scalar or one value per customer (a column
    name of ``summary`` or an array). Returns a Series indexed by ``customer_id`` (posterior
    mean for MCMC).
    """
    data = check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    if isinstance(future_t, str):
        t = pd.to_numeric(summary[future_t]).to_numpy(dtype="float64")
    else:
        t = np.broadcast_to(np.asarray(future_t, dtype="float64"), (len(data),))
    out = np.zeros(len(data))
    for lo, hi in _chunks(len(data), fit.n_draws):
        part = data.iloc[lo:hi]
        tt = t[lo:hi]
        pos = tt > 0
        if pos.any():
            sub = part[pos]
            vals = draws_matrix(fit.estimator.expected_purchases(sub, future_t=tt[pos]), len(sub)).mean(axis=0)
            chunk = np.zeros(hi - lo)
            chunk[pos] = vals
            out[lo:hi] = chunk
    return pd.Series(out, index=pd.Index(data["customer_id"], name="customer_id"), name="expected_purchases")


def expected_spend(fit: SpendFit, summary: pd.DataFrame) -> pd.Series:
    """Gamma-Gamma expected value of a future purchase per customer (currency).

    ``E[M] = w * mean repeat spend + (1 - w) * p * v / (q - 1)`` with
    ``w = p x / (p x + q - 1)`` and x = frequency: a weighted average of the customer's own
    mean and the population mean (customers with no repeat purchase get the population mean).
    """
    data = check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    out = np.empty(len(data))
    for lo, hi in _chunks(len(data), fit.n_draws):
        part = data.iloc[lo:hi]
        out[lo:hi] = draws_matrix(fit.estimator.expected_customer_spend(part), len(part)).mean(axis=0)
    return pd.Series(out, index=pd.Index(data["customer_id"], name="customer_id"), name="expected_spend")


def _interval(v: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if v.shape[0] == 1:
        nan = np.full(v.shape[1], np.nan)
        return nan, nan
    lo, hi = np.quantile(v, [(1 - level) / 2, 1 - (1 - level) / 2], axis=0)
    return lo, hi


def unit_or_error(fit: PurchaseFit, time_unit: str | None) -> str:
    """The time unit of the predictions: ``time_unit`` when given, else the fit's (ClvInputError when neither is)."""
    unit = time_unit or fit.time_unit
    if unit is None:
        raise ClvInputError("time_unit unknown: pass time_unit ('D', 'W' or 'M', the unit of recency and T) "
                            "to fit_purchase_model or to this function")
    check_choice(unit, UNIT_DAYS, "time_unit")
    return unit


def customer_value(purchase: PurchaseFit, spend: SpendFit | None, summary: pd.DataFrame, *,
                   horizon_months: int = 12, discount_rate: float = 0.10, margin: float = 1.0,
                   time_unit: str | None = None, interval: float = 0.9) -> pd.DataFrame:
    """Per-customer predictive value: P(alive), expected purchases, expected spend, discounted CLV.

    Parameters
    ----------
    purchase, spend : PurchaseFit, SpendFit or None
        Without a spend fit the spend and CLV columns are NaN.
    summary : DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T`` (time unit), ``monetary_value``
        (currency).
    horizon_months : int
        Months ahead (a month is 365.25 / 12 days in every time unit).
    discount_rate : float
        Yearly discount rate; the cash of month k is divided by ``(1 + rate) ** (k / 12)``.
    margin : float
        Gross margin as a share of revenue (1.0 gives revenue CLV).
    interval : float
        Width of the per-customer credible interval (MCMC; NaN for MAP).

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id``, ``frequency``, ``recency``, ``T``,
        ``monetary_value``; ``p_alive``; ``expected_purchases`` over the horizon (count);
        ``expected_spend`` per purchase (currency); ``clv`` = margin x discounted expected
        revenue over the horizon (currency); ``*_low`` / ``*_high`` interval bounds for the
        last four. ``attrs`` holds the horizon, rate, margin and time unit.
    """
    unit = unit_or_error(purchase, time_unit)
    if horizon_months < 1 or int(horizon_months) != horizon_months:
        raise ClvInputError(f"horizon_months = {horizon_months!r}: give a whole number of months >= 1")
    if not (0 <= discount_rate < 10):
        raise ClvInputError(f"discount_rate = {discount_rate!r}: give a yearly rate such as 0.10 for 10 %")
    if not (0 < margin <= 1):
        raise ClvInputError(f"margin = {margin!r}: give the gross margin as a share of revenue, 0 < margin <= 1")
    cols = ("customer_id", "frequency", "recency", "T", "monetary_value")
    data = check_summary(summary, cols)
    months = int(horizon_months)
    month_len = MONTH_DAYS / UNIT_DAYS[unit]
    disc = (1.0 + discount_rate) ** (-np.arange(1, months + 1) / 12.0)
    n = len(data)
    res = {k: np.full(n, np.nan) for k in
           ("p_alive", "p_alive_low", "p_alive_high", "expected_purchases", "expected_purchases_low",
            "expected_purchases_high", "expected_spend", "expected_spend_low", "expected_spend_high",
            "clv", "clv_low", "clv_high")}
    n_draws = max(purchase.n_draws, spend.n_draws if spend is not None else 1)
    for lo, hi in _chunks(n, n_draws, steps=2):
        part = data.iloc[lo:hi]
        m = len(part)
        pa = _p_alive_draws(purchase, part)
        cum_prev = np.zeros((1, m))
        disc_purch = np.zeros((1, m))
        for k in range(1, months + 1):
            cum = _purchases_draws(purchase, part, k * month_len)
            disc_purch = disc_purch + (cum - cum_prev) * disc[k - 1]
            cum_prev = cum
        blocks = {"p_alive": pa, "expected_purchases": cum_prev}
        if spend is not None:
            sp = draws_matrix(spend.estimator.expected_customer_spend(part), m)
            if sp.shape[0] not in (1, disc_purch.shape[0]):
                sp = sp[np.arange(disc_purch.shape[0]) % sp.shape[0]]
            blocks["expected_spend"] = sp
            blocks["clv"] = margin * sp * disc_purch
        for name, v in blocks.items():
            res[name][lo:hi] = v.mean(axis=0)
            res[f"{name}_low"][lo:hi], res[f"{name}_high"][lo:hi] = _interval(v, interval)
    out = data.copy()
    for k, v in res.items():
        out[k] = v
    out.attrs.update({"horizon_months": months, "discount_rate": discount_rate, "margin": margin,
                      "time_unit": unit, "interval": interval, "model": purchase.name, "method": purchase.method})
    return out


# --------------------------------------------------------------------------------------
# heatmaps over frequency x recency
# --------------------------------------------------------------------------------------
def frequency_recency_grid(fit: PurchaseFit, *, T: float, max_frequency: int, n_recency: int = 25,
                           future_t: float = 1.0) -> pd.DataFrame:
    """P(alive) and expected purchases for a grid of histories of customers of age ``T``.

    Frequency 0 .. ``max_frequency`` (repeat purchases), recency from 0 to T in ``n_recency``
    steps (time unit of the fit). Cells with frequency 0 and recency > 0 are impossible and
    are NaN. Returns a long table: frequency, recency, p_alive, expected_purchases (in the
    next ``future_t`` time units).
    """
    if T <= 0 or max_frequency < 0:
        raise ClvInputError(f"T = {T!r} must be > 0 and max_frequency = {max_frequency!r} >= 0")
    rec = np.linspace(0.0, float(T), int(n_recency))
    f, r = np.meshgrid(np.arange(int(max_frequency) + 1, dtype="float64"), rec, indexing="ij")
    grid = pd.DataFrame({"frequency": f.ravel(), "recency": r.ravel()})
    valid = ~((grid["frequency"] == 0) & (grid["recency"] > 0))
    g = grid[valid].reset_index(drop=True)
    g.insert(0, "customer_id", [f"grid{i}" for i in range(len(g))])
    g["T"] = float(T)
    pa = p_alive(fit, g).to_numpy()
    ep = expected_purchases(fit, g, future_t).to_numpy()
    grid["p_alive"] = np.nan
    grid["expected_purchases"] = np.nan
    grid.loc[valid, "p_alive"] = pa
    grid.loc[valid, "expected_purchases"] = ep
    grid.attrs.update({"T": float(T), "future_t": float(future_t), "time_unit": fit.time_unit})
    return grid
