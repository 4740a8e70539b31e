"""Customer lifetime value: historical value, BG/NBD or Pareto/NBD for purchases, Gamma-Gamma for spend.

All model fitting and prediction is done by pymc-marketing's ``clv`` module
(:class:`~pymc_marketing.clv.BetaGeoModel`, :class:`~pymc_marketing.clv.ParetoNBDModel`,
:class:`~pymc_marketing.clv.GammaGammaModel`); this module prepares their inputs, checks them,
reduces their outputs to one row per customer and adds the validation tables.

Input: the buy-till-you-die summary of :func:`helpers.features.customers.btyd_summary` as pandas
(``customer_id``, ``frequency`` = repeat purchase days, ``recency`` and ``T`` in a time unit,
``monetary_value`` = mean value of the repeat purchase days, currency).

Conventions
-----------
* **Time unit.** The models are fitted in the unit of the summary's ``recency`` and ``T``
  (``"D"`` days, ``"W"`` weeks, ``"M"`` months of 365.25 / 12 days; see
  :data:`helpers.features.customers.UNIT_DAYS`). Rates (``r / alpha``) are per that unit. Horizons
  are given in months and converted with the exact month length, so a fit in days and a fit
  in weeks give the same expected purchases and CLV (pymc-marketing's own
  ``customer_lifetime_value`` takes a month as 30 days or 4.345 weeks, 1.4 % apart, which is
  why the discounted sum is done here from its ``expected_purchases``).
* **Priors.** ``priors="flat"`` (the default for MAP) puts ``HalfFlat`` priors on every
  parameter; pymc's ``find_MAP`` optimises the log-density without the log-transform's
  Jacobian, so the MAP estimate is then exactly the maximum-likelihood estimate of the
  papers (Fader, Hardie & Lee 2005). ``priors="default"`` keeps pymc-marketing's weakly
  informative priors (BG/NBD: ``r ~ Weibull(2, 1)``, ``alpha ~ Weibull(2, 10)``,
  ``a = phi * kappa``, ``b = (1 - phi) * kappa`` with ``phi ~ U(0, 1)``,
  ``kappa ~ Pareto(1, 1)``); they pull the estimates (on CDNOW ``a`` moves from 0.793 to
  0.706) but keep MCMC posteriors proper, so they are the default for ``method="mcmc"``.
  Gamma-Gamma is ``HalfFlat`` for MAP (maximum likelihood) and weakly informative
  half-normal priors for MCMC (:func:`_weak_spend_priors`).
* **When a fit fails: the recovery chain.** :func:`fit_purchase_chain` and
  :func:`fit_spend_chain` (used by :func:`fit_models` and every notebook) never stop at a
  failed fit; they try, in order, and keep the first result that is a finite interior
  optimum (:func:`_map_convergence`: no parameter at the edge of its range, e.g. ``a -> 0``
  or ``b -> infinity``, a finite log-likelihood, a positive definite information matrix and a
  vanishing gradient):

  1. **maximum likelihood** (flat priors, as above), step ``bgnbd_ml`` (``pareto_nbd_ml``);
  2. **weakly-informative priors** (MAP), step ``bgnbd_weak`` (``pareto_nbd_weak``): every
     parameter theta gets ``LogNormal(mu = log c + s^2, sigma = s)``, whose density in theta is
     ``exp(-(log theta - log c)^2 / (2 s^2)) / const``: highest at the centre c and falling off
     on the log scale, so it vanishes as theta -> 0 and as theta -> infinity and the posterior
     mode is always finite and interior. The centres are the data's scale: r = 1 and alpha =
     1 / (repeat purchases per time unit over all customers, sum of frequency / sum of T), so
     the prior mean rate r / alpha is the observed one; a = b = 1 (BG/NBD; a mean dropout
     after a repeat purchase of one half); s = 1 and beta = the mean T (Pareto/NBD; a mean
     lifetime of the observed window). s = :data:`WEAK_PRIOR_SD` = 3 (a factor of 20 either
     way at one standard deviation). On the CDNOW 1/10 sample they move the published
     maximum-likelihood estimates by at most 0.7 % (r 0.05 %, alpha 0.2 %, a 0.5 %, b 0.6 %),
     while pymc-marketing's own default priors move a by 11 %. (Pareto/NBD's s and beta are
     weakly identified: there the same priors move s by 2.3 % and beta by 3.9 %);
  3. **a simpler model**: the NBD (step ``nbd_ml``), BG/NBD's limit a -> 0 (nobody drops out:
     ``LL = sum ln G(r + x) - ln G(r) + r ln alpha - (r + x) ln(alpha + T)``), fitted by
     maximum likelihood with scipy; it predicts purchases (``(r + x) / (alpha + T)`` per time
     unit) but has no P(alive), which is then unknown (NaN);
  4. **empirical rates** (step ``empirical_rate``): each customer's own repeat rate
     frequency / T, extrapolated; no P(alive) (NaN), and no rate for a customer with T = 0
     (NaN).

  Gamma-Gamma likewise: maximum likelihood (``gg_ml``), weakly-informative priors (``gg_weak``:
  the same log-normal form with centres p = 1, q = 2 and v = the mean repeat spend, so the
  prior mean spend p v / (q - 1) is the observed one, and s = :data:`WEAK_SPEND_PRIOR_SD` = 4,
  wider because p and v are nearly collinear: on CDNOW they move p, q, v by at most 0.9 %),
  then the empirical mean spend (``empirical_spend``: a repeat customer's own mean repeat
  spend, else the mean of those means). A Gamma-Gamma fit with q <= 1 (no finite mean spend)
  counts as failed. With fewer than :data:`MIN_REPEAT_CUSTOMERS` repeat customers the
  parametric steps are skipped. Each result carries its step and, for every step tried
  before it, the reason (:class:`Source`, ``fit.source``, ``fit.label``); a quantity a step
  cannot give is NaN, never a default.
* **Memory.** Nothing keeps chain x draw x customer arrays: predictions are computed for
  chunks of customers (at most :data:`CHUNK_ELEMENTS` values at a time) and reduced at once to
  the mean and an interval per customer. With MAP there is one draw, so 1M customers need a
  few vectors of 1M floats.
* **CLV.** ``clv = margin * E[spend] * sum_k (E[X(t_k)] - E[X(t_(k-1))]) / (1 + d)^(k / 12)``
  over months k = 1 .. horizon, where ``E[X(t)]`` is the expected number of purchases in the
  next t (model), ``E[spend]`` the Gamma-Gamma expected value per purchase and ``d`` the
  yearly discount rate.

References: Fader, Hardie & Lee (2005) "Counting your customers the easy way", Marketing
Science 24(2); Fader, Hardie & Lee (2005) "RFM and CLV: using iso-value curves", JMR 42;
Fader & Hardie (2013) "The Gamma-Gamma model of monetary value".
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import ibis
import numpy as np
import pandas as pd

from helpers import i18n
from helpers.features.customers import UNIT_DAYS, UNIT_NAMES, calibration_holdout
from helpers.errors import CRMInputError

#: largest number of (draw x customer) values held at once while predicting
CHUNK_ELEMENTS = 4_000_000
#: fewest repeat customers a purchase or spend model is fitted on
MIN_REPEAT_CUSTOMERS = 10
#: parameters of each purchase model, in the papers' order
PURCHASE_PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "pareto_nbd": ("r", "alpha", "s", "beta")}
MODEL_NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "nbd": "NBD", "empirical": "empirical rates"}
#: log-sd s of the weakly-informative purchase-model priors (recovery step 2, see the module docstring)
WEAK_PRIOR_SD = 3.0
#: log-sd s of the weakly-informative Gamma-Gamma priors
WEAK_SPEND_PRIOR_SD = 4.0
#: every step of the recovery chains; its name in the report language is the glossary entry ``clv_step_<code>``
STEPS = ("bgnbd_ml", "bgnbd_weak", "bgnbd_default", "bgnbd_mcmc", "pareto_nbd_ml", "pareto_nbd_weak",
         "pareto_nbd_default", "pareto_nbd_mcmc", "nbd_ml", "empirical_rate",
         "gg_ml", "gg_weak", "gg_halfnormal", "gg_mcmc", "empirical_spend")
#: why a step was not used; the text is the glossary entry ``clv_why_<code>``
WHY = ("param_edge", "not_max", "singular", "stopped_short", "loglik", "error", "too_few_repeat",
       "too_few_spend", "q_le_1")
#: Gamma-Gamma parameters; pymc-marketing calls the papers' gamma ``v``
SPEND_PARAMS = ("p", "q", "v")
MONTH_DAYS = UNIT_DAYS["M"]


class ClvInputError(CRMInputError):
    """The customer summary cannot be used (missing column, recency > T, ...)."""


class ModelFitError(CRMInputError):
    """A model cannot be fitted on this data (too few repeat customers) or did not converge.

    ``why`` is the reason's code (:data:`WHY`) and ``fields`` the values its text needs.
    """

    def __init__(self, message: str, why: str = "error", fields: dict | None = None):
        super().__init__(message)
        self.why = why
        self.fields = dict(fields or {"error": message})


def _field_text(value, language: str) -> str:
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return i18n.fmt_number(int(value), 0, language)
    if isinstance(value, (float, np.floating)):
        return i18n.fmt_spec(float(value), ".3g", language)
    return str(value)


def step_name(step: str, language: str | None = None) -> str:
    """The name of a recovery step (:data:`STEPS`) in the report language, e.g. "BG/NBD (maximum likelihood)"."""
    return i18n.t(f"clv_step_{step}", language)


@dataclass(frozen=True)
class Attempt:
    """A step of a recovery chain that gave no usable result: its code, the reason's code and values."""

    step: str
    why: str
    fields: tuple = ()

    def text(self, language: str | None = None) -> str:
        """E.g. "BG/NBD (maximum likelihood) ran to a = 7.24e-10, the edge of its range (no finite estimate)"."""
        lang = language or i18n.language()
        vals = {k: _field_text(v, lang) for k, v in self.fields}
        return f"{step_name(self.step, lang)} {i18n.t(f'clv_why_{self.why}', lang, **vals)}"


@dataclass(frozen=True)
class Source:
    """Which step of a recovery chain produced a result, and why each earlier step was not used."""

    step: str
    attempts: tuple = ()

    def text(self, language: str | None = None) -> str:
        """The step's name, then ": " and the reasons, in ``language`` (default: the report's)."""
        name = step_name(self.step, language)
        if not self.attempts:
            return name
        return f"{name}: " + "; ".join(a.text(language) for a in self.attempts)

    @property
    def label(self) -> str:
        """:meth:`text` in English."""
        return self.text("en")

    @property
    def reason(self) -> str:
        """Why the earlier steps were not used, in English ("" for the first step)."""
        return "; ".join(a.text("en") for a in self.attempts)


def _attempt(step: str, exc: ModelFitError) -> Attempt:
    return Attempt(step, exc.why, tuple(exc.fields.items()))


# --------------------------------------------------------------------------------------
# fitted models
# --------------------------------------------------------------------------------------
class _Fitted:
    """What both fitted models share: point estimates and the number of posterior draws."""

    @property
    def values(self) -> dict[str, float]:
        """Point estimates, e.g. ``{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}``."""
        return {k: float(v) for k, v in self.params["estimate"].items()}

    @property
    def n_draws(self) -> int:
        post = self.estimator.idata.posterior
        return int(post.sizes["chain"] * post.sizes["draw"])

    @property
    def source(self) -> Source:
        """The recovery step that produced this fit and why the earlier ones were not used."""
        return Source(self.step, tuple(self.attempts))

    @property
    def label(self) -> str:
        """E.g. "BG/NBD with weakly-informative priors: BG/NBD (maximum likelihood) ran to a = ..." (English)."""
        return self.source.label

    @property
    def reason(self) -> str:
        """Why the earlier steps of the chain were not used (English; "" when this is the first step)."""
        return self.source.reason


@dataclass
class PurchaseFit(_Fitted):
    """A fitted purchase (transaction) model and what is needed to read it.

    Attributes
    ----------
    model : {"bgnbd", "pareto_nbd"}
    method : {"map", "mcmc"}
    priors : {"flat", "default"}
    estimator : pymc_marketing.clv.BetaGeoModel | ParetoNBDModel
        The fitted pymc-marketing model (its ``idata.posterior`` has one draw for MAP).
    params : DataFrame
        One row per parameter: ``estimate`` (MAP value or posterior mean), ``se`` (standard
        error from the observed information for MAP with flat priors, posterior sd for MCMC),
        ``low`` / ``high`` (90 % interval: Wald interval in log space for MAP, posterior
        quantiles for MCMC; NaN when not available).
    time_unit : str or None
        Unit of recency and T the model was fitted in (``"D"``, ``"W"``, ``"M"``).
    log_likelihood : float or None
        Log-likelihood at the estimate (MAP with flat priors only).
    n_customers, n_repeat : int
        Customers fitted, and those with at least one repeat purchase.
    warnings : list of str
        Plain-language notes on the fit (e.g. MCMC r-hat above 1.05).
    seconds : float
        Wall time of the fit.
    cov_log : ndarray or None
        Covariance matrix of the log-parameters (inverse observed information, parameters in
        ``params`` order; MAP with flat priors, and the Laplace approximation of the
        posterior with weakly-informative priors).
    step : str
        The recovery step that produced it (:data:`STEPS`; derived from model, method and
        priors when not given).
    attempts : tuple of Attempt
        The steps tried before it, with the reason each was not used.

    ``model`` may also be ``"nbd"`` (no dropout) or ``"empirical"`` (each customer's own
    rate), the chain's fallbacks; they have no P(alive) (:attr:`has_p_alive` False).
    """

    model: str
    method: str
    priors: str
    estimator: object
    params: pd.DataFrame
    time_unit: str | None
    log_likelihood: float | None
    n_customers: int
    n_repeat: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cov_log: np.ndarray | None = None
    step: str = ""
    attempts: tuple = ()

    def __post_init__(self):
        if not self.step:
            self.step = _purchase_step(self.model, self.method, self.priors)

    @property
    def name(self) -> str:
        return MODEL_NAMES[self.model]

    @property
    def has_p_alive(self) -> bool:
        """Whether the model has dropout, so that P(alive) exists (BG/NBD, Pareto/NBD)."""
        return self.model in ("bgnbd", "pareto_nbd")


@dataclass
class SpendFit(_Fitted):
    """A fitted Gamma-Gamma spend model (attributes as in :class:`PurchaseFit`).

    ``n_customers`` counts the repeat customers with a positive mean repeat spend it was
    fitted on; ``n_excluded`` the repeat customers left out because their mean repeat spend
    is zero or negative (the model needs positive spend).
    """

    method: str
    estimator: object
    params: pd.DataFrame
    log_likelihood: float | None
    n_customers: int
    n_excluded: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cov_log: np.ndarray | None = None
    model: str = "gamma_gamma"
    priors: str = "flat"
    step: str = ""
    attempts: tuple = ()

    def __post_init__(self):
        if not self.step:
            self.step = ("empirical_spend" if self.model == "empirical" else "gg_mcmc" if self.method == "mcmc"
                         else {"flat": "gg_ml", "weak": "gg_weak", "halfnormal": "gg_halfnormal"}[self.priors])

    @property
    def population_mean_spend(self) -> float:
        """Expected value of one purchase for a new customer: ``p * v / (q - 1)`` (currency);
        for the empirical step the mean of the repeat customers' mean spends."""
        if self.model == "empirical":
            return float(self.values["mean_spend"])
        p, q, v = (self.values[k] for k in SPEND_PARAMS)
        return p * v / (q - 1) if q > 1 else math.inf


def _purchase_step(model: str, method: str, priors: str) -> str:
    if model in ("nbd", "empirical"):
        return {"nbd": "nbd_ml", "empirical": "empirical_rate"}[model]
    if method == "mcmc":
        return f"{model}_mcmc"
    return f"{model}_" + {"flat": "ml", "weak": "weak", "default": "default"}[priors]


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
def _check_summary(summary: pd.DataFrame, required: tuple[str, ...], what: str = "summary") -> pd.DataFrame:
    """The columns a model needs, as float64 (customer_id as given); named errors otherwise."""
    if not isinstance(summary, pd.DataFrame):
        raise ClvInputError(f"{what}: expected a pandas DataFrame (customers.btyd_summary(...).execute()), "
                            f"got {type(summary).__name__}")
    missing = [c for c in required if c not in summary.columns]
    if missing:
        raise ClvInputError(f"{what}: column(s) {missing} missing; a buy-till-you-die summary has "
                            "customer_id, frequency, recency, T, monetary_value (customers.btyd_summary)")
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    for c in required:
        if c == "customer_id":
            continue
        vals = pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise ClvInputError(f"{what}: column '{c}' has {int(bad.sum())} missing or non-numeric values; "
                                "every customer needs a number [rule: finite]")
        out[c] = vals
    if out["customer_id"].isna().any():
        raise ClvInputError(f"{what}: column 'customer_id' has {int(out['customer_id'].isna().sum())} missing "
                            "values; guests have no history and are left out of customer models [rule: not-null]")
    dup = out["customer_id"].duplicated()
    if dup.any():
        raise ClvInputError(f"{what}: column 'customer_id' has {int(dup.sum())} duplicates; "
                            "one row per customer is needed [rule: unique]")
    if "frequency" in out:
        f = out["frequency"]
        bad = (f < 0) | (f != np.round(f))
        if bad.any():
            raise ClvInputError(f"{what}: column 'frequency' has {int(bad.sum())} values that are not whole "
                                "numbers >= 0 (repeat purchase days) [rule: count]")
    if "recency" in out and "T" in out:
        bad = (out["recency"] < 0) | (out["recency"] > out["T"] + 1e-9)
        if bad.any():
            raise ClvInputError(f"{what}: column 'recency' has {int(bad.sum())} values outside 0 .. T; "
                                "recency (first to last purchase) cannot exceed T (first purchase to the "
                                "end of the period) [rule: recency-le-T]")
        bad = (out["frequency"] == 0) & (out["recency"] > 0)
        if bad.any():
            raise ClvInputError(f"{what}: {int(bad.sum())} customers have frequency 0 but recency > 0; "
                                "with no repeat purchase recency is 0 [rule: recency-zero]")
    return out


def _check_choice(value: str, allowed, name: str) -> None:
    if value not in allowed:
        raise ClvInputError(f"{name} = {value!r} is not one of {sorted(allowed)}")


# --------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------
def _pmc():
    """pymc-marketing's clv module, imported on first use (it takes seconds) without its import chatter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pymc_marketing.clv as pmc
    return pmc


def _model_class(model: str):
    pmc = _pmc()
    return {"bgnbd": pmc.BetaGeoModel, "pareto_nbd": pmc.ParetoNBDModel}[model]


def _flat_config(names) -> dict:
    from pymc_extras.prior import Prior

    return {k: Prior("HalfFlat") for k in names}


@contextlib.contextmanager
def _quiet():
    """Silence pymc / pytensor chatter (progress, deprecation and runtime warnings) during a fit."""
    loggers = [logging.getLogger(n) for n in ("pymc", "pymc.sampling", "pytensor", "pymc_marketing")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, lv in zip(loggers, levels):
                lg.setLevel(lv)


def _posterior_params(estimator, names) -> dict[str, np.ndarray]:
    post = estimator.idata.posterior
    return {k: np.asarray(post[k].values, dtype="float64").ravel() for k in names}


def _observed_information(estimator, names):
    """Gradient and Hessian of the log-density in log-parameters at the MAP point, and the log-likelihood.

    Each free variable must be one parameter with a log transform. The log-density is pymc's
    log-probability without the transform's Jacobian, the objective ``find_MAP`` maximises:
    with flat priors it is the log-likelihood, so the Hessian is the observed information;
    with proper priors it adds the log-prior and the inverse Hessian is the Laplace
    approximation of the posterior covariance. Central differences of the compiled gradient
    (step 1e-5 in log space). Returns (gradient, information matrix, log-likelihood of the
    observed data alone), or Nones when the model is not of that form.
    """
    model = estimator.model
    free = {rv.name: rv for rv in model.free_RVs}
    if set(free) != set(names):
        return None, None, None
    value_names = {rv.name: model.rvs_to_values[rv].name for rv in model.free_RVs}
    if not all(value_names[k].endswith("_log__") for k in names):
        return None, None, None
    est = _posterior_params(estimator, names)
    x0 = np.log(np.array([est[k][0] for k in names]))
    order = [model.rvs_to_values[free[k]] for k in names]
    dlogp = model.compile_dlogp(vars=[free[k] for k in names], jacobian=False)
    loglik = model.compile_logp(vars=list(model.observed_RVs), jacobian=False)

    def point(x):
        return {v.name: np.asarray(xi) for v, xi in zip(order, x)}

    with np.errstate(all="ignore"):
        grad0 = np.asarray(dlogp(point(x0)), dtype="float64")
        k, h = len(names), 1e-5
        H = np.zeros((k, k))
        for i in range(k):
            e = np.zeros(k)
            e[i] = h
            H[i] = -(np.asarray(dlogp(point(x0 + e))) - np.asarray(dlogp(point(x0 - e)))) / (2 * h)
        H = (H + H.T) / 2
        return grad0, H, float(loglik(point(x0)))


def _inverse(info: np.ndarray | None) -> np.ndarray | None:
    if info is None:
        return None
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None


def _params_table(estimator, names, *, method: str, info: np.ndarray | None, level: float = 0.9) -> pd.DataFrame:
    est = _posterior_params(estimator, names)
    rows = []
    z = _z(level)
    cov = _inverse(info)
    for i, k in enumerate(names):
        draws = est[k]
        if method == "map":
            value = float(draws[0])
            se_log = math.sqrt(cov[i, i]) if cov is not None and cov[i, i] > 0 else math.nan
            rows.append({"parameter": k, "estimate": value, "se": value * se_log,
                         "low": value * math.exp(-z * se_log), "high": value * math.exp(z * se_log)})
        else:
            lo, hi = np.quantile(draws, [(1 - level) / 2, 1 - (1 - level) / 2])
            rows.append({"parameter": k, "estimate": float(draws.mean()), "se": float(draws.std(ddof=1)),
                         "low": float(lo), "high": float(hi)})
    return pd.DataFrame(rows).set_index("parameter")


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _map_convergence(names, values: dict, grad, info, n: int, loglik: float | None = None):
    """Why a MAP / maximum-likelihood fit is not a proper interior optimum (None when it is).

    Returns None or ``(code, fields, text)``: the reason's code (:data:`WHY`), the values its
    glossary text needs, and a plain English sentence. Checked in order: every parameter
    finite and inside [1e-6, 1e6] (a -> 0, b -> infinity and the like mean the likelihood
    keeps rising towards a limit), a finite log-likelihood, a positive definite information
    matrix that is not nearly singular, and a vanishing gradient. The last test is scale-free:
    the Newton decrement ``g' H^-1 g`` (g the gradient, H the observed information, in
    log-parameters) is twice the log-likelihood still to gain and the squared distance to the
    maximum in standard-error units; below 1e-3 the estimate is within 0.03 standard errors of
    the maximum.
    """
    for k in names:
        v = values[k]
        if not np.isfinite(v) or v <= 1e-6 or v >= 1e6:
            return ("param_edge", {"param": k, "value": float(v)},
                    f"parameter {k} went to {v:.3g}, the edge of its range (the likelihood keeps rising "
                    "towards a limit, so there is no finite estimate)")
    if loglik is not None and not np.isfinite(loglik):
        return "loglik", {}, "the log-likelihood is not finite at the estimate"
    if info is not None:
        ev = np.linalg.eigvalsh(info) if np.all(np.isfinite(info)) else np.array([np.nan])
        if not np.all(np.isfinite(ev)) or ev.min() <= 0:
            return ("not_max", {}, "the likelihood is flat or not at a maximum in some direction "
                                   "(information matrix not positive)")
        if ev.max() / ev.min() > 1e12:
            return ("singular", {}, "two or more parameters cannot be told apart (information matrix nearly "
                                    "singular)")
        if grad is not None:
            dec = float(grad @ np.linalg.solve(info, grad))
            if not np.isfinite(dec) or dec > 1e-3:
                return ("stopped_short", {"gap": dec / 2},
                        f"the optimiser stopped short of the maximum (log-likelihood still {dec / 2:.2g} below it)")
    return None


def _mcmc_warnings(estimator, names) -> list[str]:
    import arviz as az

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summ = az.summary(estimator.idata, var_names=list(names), kind="diagnostics")
    bad = summ.index[summ["r_hat"] > 1.05].tolist()
    if bad:
        out.append(f"MCMC has not converged for {bad} (r-hat > 1.05): run longer (more tune/draws) "
                   "or treat the intervals as rough")
    low = summ.index[summ["ess_bulk"] < 100].tolist()
    if low:
        out.append(f"few effective draws for {low} (bulk ESS < 100): intervals are rough")
    stats = getattr(estimator.idata, "sample_stats", None)
    if stats is not None and "diverging" in stats:
        n_div = int(stats["diverging"].sum())
        if n_div:
            out.append(f"{n_div} divergent transitions in MCMC: the posterior may be explored badly")
    return out


#: sampler settings that mean nothing to MAP and are dropped there
MCMC_ONLY = ("draws", "tune", "chains", "cores", "target_accept", "nuts_sampler")


def _start_values(model: str, data: pd.DataFrame) -> dict[str, float]:
    """Starting point of the likelihood search on the data's time scale.

    With r = 1 the mean purchase rate r / alpha is set to repeat purchases per unit of time
    observed (sum of frequency / sum of T); dropout parameters start at 1 (BG/NBD a, b) or at
    a mean lifetime of the mean T (Pareto/NBD s = 1, beta = mean T).
    """
    total_t = float(data["T"].sum()) or 1.0
    rate = max(float(data["frequency"].sum()), 1.0) / total_t
    start = {"r": 1.0, "alpha": 1.0 / rate}
    if model == "bgnbd":
        start.update(a=1.0, b=1.0)
    else:
        start.update(s=1.0, beta=max(float(data["T"].mean()), 1e-3))
    return start


def _run_fit(estimator, data: pd.DataFrame, method: str, random_seed: int, kwargs: dict) -> None:
    if method == "map":
        opts = {k: v for k, v in kwargs.items() if k not in MCMC_ONLY}
        # L-BFGS-B's default stop (relative change of the log-likelihood < 2.2e-9) ends early on
        # large data (|LL| ~ 1e5); ask for the gradient to vanish instead
        opts.setdefault("options", {"ftol": 1e-15, "gtol": 1e-6, "maxiter": 3000})
        estimator.fit(data, method="map", **{"progressbar": False, **opts})
    else:
        opts = {"draws": 1000, "tune": 1000, "chains": 2, "cores": 2, "progressbar": False,
                "random_seed": random_seed, "compute_convergence_checks": False, **kwargs}
        estimator.fit(data, method="mcmc", **opts)


def _fit_checked(make, data: pd.DataFrame, names, *, method: str, random_seed: int, start: dict | None,
                 checks: bool, label: str, hint: str, kwargs: dict):
    """Fit a pymc-marketing model; for MAP check that it reached a finite interior maximum.

    The likelihood search starts at ``start`` (parameter values on the data's scale) and is
    restarted, at most twice, from where it stopped when the optimiser stopped early (L-BFGS
    can stop on a flat stretch of the likelihood). Returns (estimator, information matrix,
    log-likelihood, notes); raises ModelFitError with a plain reason (and its code) otherwise.
    """
    info = loglik = None
    notes: list[str] = []
    for attempt in range(3):
        estimator = make()
        opts = dict(kwargs) if start is None else {**kwargs, "start": start}
        try:
            with _quiet(), np.errstate(all="ignore"):
                _run_fit(estimator, data, method, random_seed, opts)
        except (FloatingPointError, np.linalg.LinAlgError, RuntimeError, ValueError) as exc:
            # numerical failures inside pymc / scipy (the data were checked before)
            error = f"{exc.__class__.__name__}: {exc}"
            raise ModelFitError(f"the {label} fit failed on this data ({error}); try more data or method='mcmc'",
                                "error", {"error": error}) from None
        if method != "map":
            return estimator, None, None, _mcmc_warnings(estimator, names)
        grad = None
        if checks:
            grad, info, loglik = _observed_information(estimator, names)
        values = {k: float(v[0]) for k, v in _posterior_params(estimator, names).items()}
        reason = _map_convergence(names, values, grad, info, len(data), loglik)
        if reason is None:
            return estimator, info, loglik, notes
        code, fields, text = reason
        if start is None or code != "stopped_short" or attempt == 2:
            raise ModelFitError(f"the {label} fit did not converge: {text}." + (f" {hint}" if hint else ""),
                                code, fields)
        start = values
    raise AssertionError("unreachable")


def _lognormal_mode(centre: float, sd: float):
    """``LogNormal(mu = log c + sd^2, sigma = sd)``: its density in theta is highest at c (see the module docstring)."""
    from pymc_extras.prior import Prior

    return Prior("LogNormal", mu=math.log(centre) + sd ** 2, sigma=sd)


def _weak_purchase_priors(model: str, data: pd.DataFrame, sd: float = WEAK_PRIOR_SD) -> dict:
    """The weakly-informative priors of recovery step 2 (module docstring), centred on the data's scale.

    r at 1 and alpha at 1 / (sum of frequency / sum of T), so the prior's mean purchase rate
    r / alpha is the observed repeat rate; BG/NBD a and b at 1; Pareto/NBD s at 1 and beta at
    the mean T. Each is ``LogNormal(log c + sd^2, sd)`` (density highest at the centre c).
    """
    total_t = float(data["T"].sum())
    rate = float(data["frequency"].sum()) / total_t if total_t > 0 else 0.0
    centres = {"r": 1.0, "alpha": 1.0 / rate if rate > 0 else max(float(data["T"].mean()), 1.0)}
    if model == "bgnbd":
        centres.update(a=1.0, b=1.0)
    else:
        centres.update(s=1.0, beta=max(float(data["T"].mean()), 1e-3))
    return {k: _lognormal_mode(c, sd) for k, c in centres.items()}


def fit_purchase_model(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map",
                       random_seed: int = 42, **kwargs) -> PurchaseFit:
    """Fit a BG/NBD (or Pareto/NBD) purchase model with pymc-marketing.

    Parameters
    ----------
    summary : DataFrame
        One row per customer: ``customer_id``, ``frequency`` (repeat purchase days),
        ``recency`` and ``T`` (same time unit), as from :func:`helpers.features.customers.btyd_summary`.
    model : {"bgnbd", "pareto_nbd"}
        :class:`pymc_marketing.clv.BetaGeoModel` or :class:`~pymc_marketing.clv.ParetoNBDModel`.
    method : {"map", "mcmc"}
        Point estimate (fast, default) or NUTS sampling (credible intervals; minutes).
    random_seed : int
        Seed of the sampler (MCMC).
    **kwargs
        ``priors`` ("flat": MAP = maximum likelihood, the default for MAP; "weak": the
        weakly-informative priors of the recovery chain, :func:`_weak_purchase_priors`;
        "default": pymc-marketing's weakly informative priors, the default for MCMC); ``standard_errors``
        (MAP with flat priors: standard errors, log-likelihood and the gradient check from the
        observed information; default True, False saves a few seconds of compiling); ``time_unit``
        ("D", "W", "M": the unit of recency and T, kept for predictions and labels);
        ``min_repeat_customers`` (default :data:`MIN_REPEAT_CUSTOMERS`); ``draws``, ``tune``,
        ``chains``, ``cores`` for MCMC (defaults 1000, 1000, 2, 2; ignored by MAP); other
        keywords go to pymc's ``find_MAP`` or ``sample``.

    Returns
    -------
    PurchaseFit

    Raises
    ------
    ClvInputError
        A column is missing or invalid (recency > T, negative frequency, duplicate ids).
    ModelFitError
        Fewer than ``min_repeat_customers`` customers bought more than once, or the MAP fit
        did not reach a finite interior maximum (the message says which parameter ran away).
    """
    _check_choice(model, PURCHASE_PARAMS, "model")
    _check_choice(method, ("map", "mcmc"), "method")
    priors = kwargs.pop("priors", None) or ("flat" if method == "map" else "default")
    _check_choice(priors, ("flat", "weak", "default"), "priors")
    time_unit = kwargs.pop("time_unit", None)
    if time_unit is not None:
        _check_choice(time_unit, UNIT_DAYS, "time_unit")
    min_repeat = kwargs.pop("min_repeat_customers", MIN_REPEAT_CUSTOMERS)
    want_se = kwargs.pop("standard_errors", True)
    data = _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    n, n_rep = len(data), int((data["frequency"] > 0).sum())
    label = MODEL_NAMES[model]
    if n_rep < min_repeat:
        raise ModelFitError(f"only {n_rep} of {n:,} customers bought on more than one day; the {label} model "
                            f"needs at least {min_repeat} repeat customers to estimate purchase and dropout "
                            "rates (use a longer window or more data)", "too_few_repeat",
                            {"n": n_rep, "total": n, "min": int(min_repeat)})
    names = PURCHASE_PARAMS[model]
    cls = _model_class(model)
    started = time.time()
    start = _start_values(model, data) if (method == "map" and priors in ("flat", "weak")) else None
    config = {"flat": _flat_config(names) if priors == "flat" else None,
              "weak": _weak_purchase_priors(model, data) if priors == "weak" else None}.get(priors)
    estimator, info, loglik, notes = _fit_checked(
        lambda: cls(model_config=config), data, names,
        method=method, random_seed=random_seed, start=start, checks=(priors in ("flat", "weak") and want_se),
        label=label, hint=(f"This happens with few repeat customers ({n_rep:,} here) or a short window; "
                           "try priors='default' or method='mcmc'"), kwargs=kwargs)
    params = _params_table(estimator, names, method=method, info=info)
    return PurchaseFit(model=model, method=method, priors=priors, estimator=estimator, params=params,
                       time_unit=time_unit, log_likelihood=loglik, n_customers=n, n_repeat=n_rep,
                       warnings=notes, seconds=round(time.time() - started, 2), cov_log=_inverse(info))


def _halfnormal_spend_priors(mean_spend: float) -> dict:
    """Proper, weakly informative Gamma-Gamma priors for MCMC (pymc-marketing's HalfFlat defaults
    leave the posterior improper on small data: p and v can run off together).

    p, q ~ HalfNormal(sigma 10) (published fits have p, q between 1 and 10); v ~ HalfNormal with
    sigma 10 x the mean repeat spend (v is on the currency scale: mean spend = p v / (q - 1)).
    """
    from pymc_extras.prior import Prior

    return {"p": Prior("HalfNormal", sigma=10.0), "q": Prior("HalfNormal", sigma=10.0),
            "v": Prior("HalfNormal", sigma=10.0 * max(mean_spend, 1e-6))}


def _weak_spend_priors(mean_spend: float, sd: float = WEAK_SPEND_PRIOR_SD) -> dict:
    """The weakly-informative Gamma-Gamma priors of recovery step 2 (MAP), centred on the data's scale.

    p at 1, q at 2 and v at the mean repeat spend, so the prior's mean spend p v / (q - 1) is
    the observed one; each ``LogNormal(log c + sd^2, sd)`` (density highest at the centre c).
    The density vanishes as p or v -> 0 or infinity, which is how Gamma-Gamma fails on data
    whose spends barely vary within customers (p -> infinity, v -> 0 with p v fixed).
    """
    return {"p": _lognormal_mode(1.0, sd), "q": _lognormal_mode(2.0, sd),
            "v": _lognormal_mode(max(mean_spend, 1e-6), sd)}


def fit_spend_model(summary: pd.DataFrame, *, method: str = "map", random_seed: int = 42,
                    min_customers: int = MIN_REPEAT_CUSTOMERS, **kwargs) -> SpendFit:
    """Fit the Gamma-Gamma spend model (:class:`pymc_marketing.clv.GammaGammaModel`).

    Fitted, as in the published set-up, on the customers with at least one repeat purchase,
    their number of repeat purchase days ``frequency`` and the mean value of those days
    ``monetary_value`` (the first purchase excluded). Repeat customers whose mean repeat
    value is not positive are left out (counted in ``n_excluded``).

    ``priors``: "flat" (pymc-marketing's ``HalfFlat`` default; MAP is then the
    maximum-likelihood estimate; the default for MAP), "weak" (:func:`_weak_spend_priors`,
    the recovery chain's weakly-informative priors for MAP) or "halfnormal"
    (:func:`_halfnormal_spend_priors`, proper priors that keep an MCMC posterior proper; the
    default for MCMC).

    Raises
    ------
    ClvInputError
        A column is missing or invalid.
    ModelFitError
        Fewer than ``min_customers`` repeat customers with positive spend, no finite
        interior maximum, or (MAP) q <= 1, where the mean spend of a new customer
        p v / (q - 1) is not finite.
    """
    _check_choice(method, ("map", "mcmc"), "method")
    data = _check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[data["frequency"] > 0]
    ok = rep[rep["monetary_value"] > 0]
    if len(ok) < min_customers:
        raise ModelFitError(f"only {len(ok)} customers have a repeat purchase with a positive value; the "
                            f"Gamma-Gamma spend model needs at least {min_customers}", "too_few_spend",
                            {"n": len(ok), "min": int(min_customers)})
    priors = kwargs.pop("priors", None) or ("flat" if method == "map" else "halfnormal")
    _check_choice(priors, ("flat", "weak", "halfnormal"), "priors")
    started = time.time()
    fit_data = ok.reset_index(drop=True)
    mean_spend = float(fit_data["monetary_value"].mean())
    start = {"p": 1.0, "q": 2.0, "v": mean_spend} if (method == "map" and priors in ("flat", "weak")) else None
    config = {"flat": None, "weak": _weak_spend_priors(mean_spend) if priors == "weak" else None,
              "halfnormal": _halfnormal_spend_priors(mean_spend)}[priors]
    estimator, info, loglik, notes = _fit_checked(
        lambda: _pmc().GammaGammaModel(model_config=config), fit_data, SPEND_PARAMS, method=method,
        random_seed=random_seed, start=start, checks=(priors in ("flat", "weak")), label="Gamma-Gamma", hint="",
        kwargs=kwargs)
    if method == "map":
        q = float(_posterior_params(estimator, ("q",))["q"][0])
        if q <= 1:
            raise ModelFitError(f"the Gamma-Gamma fit gave q = {q:.3g} <= 1: the mean spend of a new customer "
                                "p*v/(q-1) is not finite", "q_le_1", {"q": q})
    params = _params_table(estimator, SPEND_PARAMS, method=method, info=info)
    return SpendFit(method=method, estimator=estimator, params=params, log_likelihood=loglik,
                    n_customers=len(ok), n_excluded=len(rep) - len(ok), warnings=notes,
                    seconds=round(time.time() - started, 2), cov_log=_inverse(info), priors=priors)


# --------------------------------------------------------------------------------------
# the recovery chain's fallbacks: NBD, empirical rates, empirical mean spend
# --------------------------------------------------------------------------------------
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


def _nbd_derivatives(theta: np.ndarray, x: np.ndarray, T: np.ndarray):
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

    data = _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    n, n_rep = len(data), int((data["frequency"] > 0).sum())
    if n_rep < min_repeat_customers:
        raise ModelFitError(f"only {n_rep} of {n:,} customers bought on more than one day; the NBD model needs at "
                            f"least {min_repeat_customers} repeat customers", "too_few_repeat",
                            {"n": n_rep, "total": n, "min": int(min_repeat_customers)})
    started = time.time()
    x, T = data["frequency"].to_numpy(dtype="float64"), data["T"].to_numpy(dtype="float64")
    start = _start_values("bgnbd", data)
    theta0 = np.log([start["r"], start["alpha"]])

    def fun(th):
        ll, g, h = _nbd_derivatives(th, x, T)
        return -ll, -g

    def hess(th):
        return -_nbd_derivatives(th, x, T)[2]

    with np.errstate(all="ignore"):
        res = minimize(fun, theta0, jac=True, hess=hess, method="trust-exact",
                       options={"gtol": 1e-8, "maxiter": 500})
        ll, grad, hess_ll = _nbd_derivatives(res.x, x, T)
    values = dict(zip(("r", "alpha"), np.exp(res.x)))
    info = -hess_ll
    reason = _map_convergence(("r", "alpha"), values, grad, info, n, ll)
    if reason is not None:
        code, fields, text = reason
        raise ModelFitError(f"the NBD fit did not converge: {text}.", code, fields)
    cov = _inverse(info)
    z = _z(0.9)
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
    data = _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
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
    data = _check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[data["frequency"] > 0]
    ok = rep[rep["monetary_value"] > 0]
    mean = float(ok["monetary_value"].mean()) if len(ok) else math.nan
    params = pd.DataFrame({"estimate": [mean], "se": [math.nan], "low": [math.nan], "high": [math.nan]},
                          index=pd.Index(["mean_spend"], name="parameter"))
    return SpendFit(method="empirical", estimator=_EmpiricalSpend(mean), params=params, log_likelihood=None,
                    n_customers=len(ok), n_excluded=len(rep) - len(ok), model="empirical", priors="none")


def _chain_steps(model: str, method: str, priors: str | None) -> list[tuple[str, str, str]]:
    """(model, method, priors) of the parametric purchase steps, in order."""
    if method == "mcmc":
        return [(model, "mcmc", priors or "default"), (model, "map", "flat"), (model, "map", "weak")]
    first = priors or "flat"
    return [(model, "map", first)] + ([(model, "map", "weak")] if first != "weak" else [])


def fit_purchase_chain(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map", random_seed: int = 42,
                       **kwargs) -> PurchaseFit:
    """A purchase model that always comes back: the recovery chain of the module docstring.

    Tries ``model`` by ``method`` (maximum likelihood for MAP; MCMC first when asked), then
    MAP with weakly-informative priors (:func:`_weak_purchase_priors`), then the NBD
    (:func:`fit_nbd`), then empirical rates (:func:`empirical_rates`), and returns the first
    that converged; ``fit.step`` names it and ``fit.attempts`` says why each earlier step was
    not used (``fit.label``, ``fit.source.text()`` in the report language). With fewer than
    ``min_repeat_customers`` repeat customers it goes straight to empirical rates. Keywords as
    :func:`fit_purchase_model`.

    Raises
    ------
    ClvInputError
        Bad input (a missing column, recency > T ...): that is not a fit to recover from.
    """
    _check_choice(model, PURCHASE_PARAMS, "model")
    _check_choice(method, ("map", "mcmc"), "method")
    priors = kwargs.pop("priors", None)
    time_unit = kwargs.get("time_unit")
    min_repeat = kwargs.get("min_repeat_customers", MIN_REPEAT_CUSTOMERS)
    _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    tries = [(_purchase_step(m, meth, pri),
              lambda m=m, meth=meth, pri=pri: fit_purchase_model(summary, model=m, method=meth, random_seed=random_seed,
                                                                 priors=pri, **kwargs))
             for m, meth, pri in _chain_steps(model, method, priors)]
    tries.append(("nbd_ml", lambda: fit_nbd(summary, time_unit=time_unit, min_repeat_customers=min_repeat)))
    return _first_that_fits(tries, stop="too_few_repeat", last=lambda: empirical_rates(summary, time_unit=time_unit))


def _first_that_fits(tries, *, stop: str, last):
    """The first of ``tries`` ((step code, fit function) pairs) that fits, else ``last()``; the result's
    ``attempts`` hold why each step before it was not used. A failure for reason ``stop`` (too little data
    for any fitted model) skips the remaining fitted steps."""
    attempts: list[Attempt] = []
    fit = None
    for step, fit_one in tries:
        try:
            fit = fit_one()
            break
        except ModelFitError as exc:
            attempts.append(_attempt(step, exc))
            if exc.why == stop:
                break
    fit = fit if fit is not None else last()
    fit.attempts = tuple(attempts)
    return fit


def fit_spend_chain(summary: pd.DataFrame, *, method: str = "map", random_seed: int = 42,
                    min_customers: int = MIN_REPEAT_CUSTOMERS, **kwargs) -> SpendFit:
    """A spend model that always comes back: Gamma-Gamma by maximum likelihood (MCMC first when
    asked), then with weakly-informative priors (:func:`_weak_spend_priors`), then the empirical
    mean spend (:func:`empirical_spend`); ``fit.step`` and ``fit.attempts`` as in
    :func:`fit_purchase_chain`. ClvInputError (bad input) is still raised."""
    _check_choice(method, ("map", "mcmc"), "method")
    _check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    priors = kwargs.pop("priors", None)
    steps = ([("mcmc", priors or "halfnormal"), ("map", "flat"), ("map", "weak")] if method == "mcmc"
             else [("map", priors or "flat")] + ([("map", "weak")] if (priors or "flat") != "weak" else []))
    tries = [("gg_mcmc" if meth == "mcmc" else {"flat": "gg_ml", "weak": "gg_weak", "halfnormal": "gg_halfnormal"}[pri],
              lambda meth=meth, pri=pri: fit_spend_model(summary, method=meth, random_seed=random_seed,
                                                         min_customers=min_customers, priors=pri,
                                                         **(kwargs if meth == "mcmc" else {})))
             for meth, pri in steps]
    return _first_that_fits(tries, stop="too_few_spend", last=lambda: empirical_spend(summary))


@dataclass
class ClvFits:
    """The purchase and spend fits and notes on them.

    From :func:`fit_models` both fits are always there (the recovery chains end in empirical
    rates and the empirical mean spend); ``purchase.source`` and ``spend.source`` say which
    step produced each and why. ``None`` is kept for callers that build a ClvFits by hand.
    """

    purchase: PurchaseFit | None
    spend: SpendFit | None
    notes: list[str]

    def report(self) -> str:
        """Plain-language lines on what was fitted (English, for printing in a notebook or a log)."""
        out = []
        if self.purchase is not None:
            f = self.purchase
            out.append(f"Purchases: {f.label}; {f.n_customers:,} customers, {f.n_repeat:,} of them repeat buyers, "
                       f"{f.seconds:.1f} s")
        if self.spend is not None:
            s = self.spend
            out.append(f"Spend: {s.label}; {s.n_customers:,} repeat customers with a positive repeat spend "
                       f"({s.n_excluded} left out), {s.seconds:.1f} s")
        out.extend(self.notes)
        return "\n".join(out)

    @property
    def label(self) -> str:
        """Which steps produced the CLV, e.g. "BG/NBD (maximum likelihood) + Gamma-Gamma (maximum likelihood)"."""
        return self.text("en", reasons=False)

    def text(self, language: str | None = None, *, reasons: bool = True) -> str:
        """The purchase and spend steps in ``language`` joined by " + " (with the reasons when ``reasons``)."""
        parts = [(f.source.text(language) if reasons else step_name(f.step, language))
                 for f in (self.purchase, self.spend) if f is not None]
        return " + ".join(parts)


def fit_models(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map", random_seed: int = 42,
               time_unit: str | None = None, **kwargs) -> ClvFits:
    """Fit the purchase and the spend model through their recovery chains (:func:`fit_purchase_chain`,
    :func:`fit_spend_chain`): both always come back, labelled with the step that produced them.

    Bad input (:class:`ClvInputError`) is still raised. ``notes``: the fits' own warnings (MCMC
    diagnostics) and, when a step had to be skipped, which one was used instead (English).
    """
    notes: list[str] = []
    purchase = fit_purchase_chain(summary, model=model, method=method, random_seed=random_seed,
                                  time_unit=time_unit, **kwargs)
    if purchase.attempts:
        notes.append(f"Purchase model: {purchase.label}.")
    notes.extend(purchase.warnings)
    spend_kwargs = {k: v for k, v in kwargs.items() if k in ("draws", "tune", "chains", "cores")}
    spend = fit_spend_chain(summary, method=method, random_seed=random_seed, **spend_kwargs)
    if spend.attempts:
        notes.append(f"Spend model: {spend.label}.")
    notes.extend(spend.warnings)
    return ClvFits(purchase, spend, notes)


# --------------------------------------------------------------------------------------
# per-customer predictions, in chunks
# --------------------------------------------------------------------------------------
def _draws(x, n_customers: int) -> np.ndarray:
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
    return np.clip(_draws(x, len(part)), 0.0, 1.0)


def _purchases_draws(fit: PurchaseFit, part: pd.DataFrame, t: float) -> np.ndarray:
    if t <= 0:
        return np.zeros((1, len(part)))
    return _draws(fit.estimator.expected_purchases(part, future_t=t), len(part))


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
    data = _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
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
    data = _check_summary(summary, ("customer_id", "frequency", "recency", "T"))
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
            vals = _draws(fit.estimator.expected_purchases(sub, future_t=tt[pos]), len(sub)).mean(axis=0)
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
    data = _check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    out = np.empty(len(data))
    for lo, hi in _chunks(len(data), fit.n_draws):
        part = data.iloc[lo:hi]
        out[lo:hi] = _draws(fit.estimator.expected_customer_spend(part), len(part)).mean(axis=0)
    return pd.Series(out, index=pd.Index(data["customer_id"], name="customer_id"), name="expected_spend")


def _interval(v: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if v.shape[0] == 1:
        nan = np.full(v.shape[1], np.nan)
        return nan, nan
    lo, hi = np.quantile(v, [(1 - level) / 2, 1 - (1 - level) / 2], axis=0)
    return lo, hi


def _unit_or_error(fit: PurchaseFit, time_unit: str | None) -> str:
    unit = time_unit or fit.time_unit
    if unit is None:
        raise ClvInputError("time_unit unknown: pass time_unit ('D', 'W' or 'M', the unit of recency and T) "
                            "to fit_purchase_model or to this function")
    _check_choice(unit, UNIT_DAYS, "time_unit")
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
    unit = _unit_or_error(purchase, time_unit)
    if horizon_months < 1 or int(horizon_months) != horizon_months:
        raise ClvInputError(f"horizon_months = {horizon_months!r}: give a whole number of months >= 1")
    if not (0 <= discount_rate < 10):
        raise ClvInputError(f"discount_rate = {discount_rate!r}: give a yearly rate such as 0.10 for 10 %")
    if not (0 < margin <= 1):
        raise ClvInputError(f"margin = {margin!r}: give the gross margin as a share of revenue, 0 < margin <= 1")
    cols = ("customer_id", "frequency", "recency", "T", "monetary_value")
    data = _check_summary(summary, cols)
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
            sp = _draws(spend.estimator.expected_customer_spend(part), m)
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
# historical value, tiers, action list
# --------------------------------------------------------------------------------------
def historical_value(rfm: pd.DataFrame, *, margin: float = 1.0) -> pd.DataFrame:
    """Historical CLV: what each customer has brought so far.

    Parameters
    ----------
    rfm : DataFrame
        :func:`helpers.features.customers.rfm_table` as pandas: customer_id, frequency (orders),
        monetary (revenue, currency), tenure_days, recency_days.
    margin : float
        Gross margin as a share of revenue.

    Returns
    -------
    DataFrame
        customer_id, orders, revenue (currency), gross_margin = margin x revenue (currency),
        tenure_days, recency_days, margin_per_year = gross_margin / max(tenure, 30 days) x 365.25
        (currency per year; tenure floored at 30 days so a first-week customer is not
        annualised from a few days).
    """
    need = ("customer_id", "frequency", "monetary", "tenure_days", "recency_days")
    missing = [c for c in need if c not in rfm.columns]
    if missing:
        raise ClvInputError(f"rfm: column(s) {missing} missing; pass customers.rfm_table(...) as pandas")
    if not (0 < margin <= 1):
        raise ClvInputError(f"margin = {margin!r}: give the gross margin as a share of revenue, 0 < margin <= 1")
    out = pd.DataFrame({
        "customer_id": rfm["customer_id"].to_numpy(),
        "orders": rfm["frequency"].to_numpy(dtype="int64"),
        "revenue": rfm["monetary"].to_numpy(dtype="float64"),
    })
    out["gross_margin"] = margin * out["revenue"]
    out["tenure_days"] = rfm["tenure_days"].to_numpy(dtype="int64")
    out["recency_days"] = rfm["recency_days"].to_numpy(dtype="int64")
    out["margin_per_year"] = out["gross_margin"] / np.maximum(out["tenure_days"], 30.0) * 365.25
    return out


def tier_labels(tiers=(0.01, 0.05, 0.20)) -> list[str]:
    """Labels of :func:`value_tiers`, best first: ``["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %"]``."""
    tiers = _check_tiers(tiers)
    pct = [_pct(t) for t in tiers]
    labels = [f"top {pct[0]} %"] + [f"top {a}-{b} %" for a, b in zip(pct, pct[1:])]
    return labels + [f"rest {_pct(1 - tiers[-1])} %"]


def _pct(x: float) -> str:
    return f"{100 * x:g}"


def _check_tiers(tiers) -> list[float]:
    t = [float(x) for x in tiers]
    if not t or any(not (0 < x < 1) for x in t) or any(b <= a for a, b in zip(t, t[1:])):
        raise ClvInputError(f"tiers = {list(tiers)!r}: give increasing shares between 0 and 1, e.g. [0.01, 0.05, 0.2]")
    return t


def value_tiers(values: pd.Series, tiers=(0.01, 0.05, 0.20)) -> pd.Series:
    """Value tier of each customer: top 1 %, next 4 %, next 15 %, rest (for tiers 1/5/20 %).

    Customers with a known value are ranked from highest down (ties in the order given), and
    the top ``ceil(share x n)`` of the n known values form each cumulative tier. Returns an
    ordered categorical Series aligned with ``values``; a customer whose value is unknown
    (NaN) has no tier (NaN), not the lowest one.
    """
    t = _check_tiers(tiers)
    labels = tier_labels(t)
    v = values.to_numpy(dtype="float64")
    known = ~np.isnan(v)
    n = int(known.sum())
    order = np.argsort(-v[known], kind="stable")
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n)
    cuts = [math.ceil(x * n - 1e-9) for x in t]
    codes = np.full(len(v), -1, dtype="int64")
    codes[known] = np.searchsorted(np.array(cuts), rank, side="right")
    cat = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(cat, index=values.index, name="tier")


def tier_summary(table: pd.DataFrame, *, value: str = "clv", tier: str = "tier") -> pd.DataFrame:
    """Customers and value per tier: count, share of customers, total, share of total, mean value,
    and the mean of ``p_alive`` / ``expected_purchases`` / ``revenue`` when those columns exist.

    Customers without a tier (unknown value) are left out; shares are of the customers with one;
    ``attrs["unknown"]`` counts those left out."""
    unknown = int(table[tier].isna().sum())
    table = table[table[tier].notna()]
    g = table.groupby(tier, observed=False)
    out = pd.DataFrame({"customers": g.size(), f"total_{value}": g[value].sum()})
    out["share_customers"] = out["customers"] / max(len(table), 1)
    total = table[value].sum()
    out[f"share_{value}"] = out[f"total_{value}"] / total if total else np.nan
    out[f"mean_{value}"] = g[value].mean()
    for c in ("p_alive", "expected_purchases", "revenue"):
        if c in table.columns and c != value:
            out[f"mean_{c}"] = g[c].mean()
    out = out.reset_index()
    out.attrs["unknown"] = unknown
    return out


def top_share_of_value(values: pd.Series, share: float = 0.2) -> float:
    """Share of the total held by the best ``share`` of customers (the best ``ceil(share x n)``),
    over the customers whose value is known (NaN values are left out, not counted as 0)."""
    v = values.to_numpy(dtype="float64")
    v = np.sort(v[~np.isnan(v)])[::-1]
    total = v.sum()
    k = math.ceil(share * len(v) - 1e-9)
    return float(v[:k].sum() / total) if total else math.nan


def concentration(values: pd.Series) -> pd.DataFrame:
    """Cumulative share of total value held by the top x % of customers (a Lorenz-type curve).

    Returns ``share_customers`` (0..1, best customers first) and ``share_value`` (0..1), over the
    customers whose value is known (NaN values are left out).
    """
    v = values.to_numpy(dtype="float64")
    v = np.sort(v[~np.isnan(v)])[::-1]
    total = v.sum()
    n = len(v)
    cum = np.concatenate([[0.0], np.cumsum(v) / total]) if total else np.zeros(n + 1)
    return pd.DataFrame({"share_customers": np.arange(n + 1) / max(n, 1), "share_value": cum})


def action_list(table: pd.DataFrame, *, value: str = "gross_margin", top_share: float = 0.20,
                max_p_alive: float = 0.5, n: int = 100) -> pd.DataFrame:
    """High-value customers who are probably leaving: the list to act on.

    Keeps customers in the top ``top_share`` by ``value`` (historical gross margin by
    default: a customer's predicted CLV already shrinks with a low P(alive)) whose
    ``p_alive`` is below ``max_p_alive``, ranked by value at risk = value x (1 - p_alive).
    Returns at most ``n`` rows with ``value_at_risk`` added; ``attrs["candidates"]`` is the
    number of customers meeting both conditions before the cut to ``n``.
    """
    for c in (value, "p_alive"):
        if c not in table.columns:
            raise ClvInputError(f"action list: column '{c}' missing from the customer value table")
    if not (0 < top_share <= 1) or not (0 < max_p_alive <= 1):
        raise ClvInputError(f"top_share = {top_share!r} and max_p_alive = {max_p_alive!r} must be in (0, 1]")
    k = math.ceil(top_share * len(table) - 1e-9)
    top = table.sort_values(value, ascending=False, kind="stable").head(k)
    out = top[top["p_alive"] < max_p_alive].copy()
    out["value_at_risk"] = out[value] * (1 - out["p_alive"])
    res = out.sort_values("value_at_risk", ascending=False, kind="stable").head(n).reset_index(drop=True)
    res.attrs["candidates"] = len(out)
    return res


def spend_frequency_check(summary: pd.DataFrame) -> dict:
    """The Gamma-Gamma independence check: is mean repeat spend related to repeat frequency?

    On repeat customers (frequency > 0, positive monetary_value): Pearson correlation of
    frequency and monetary_value and Spearman rank correlation, with a plain verdict
    (|r| < 0.1 "no relation", < 0.3 "weak", else "not independent: the Gamma-Gamma
    assumption is doubtful"). Returns a dict with n, pearson, spearman, verdict.
    """
    data = _check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    if len(rep) < 3 or rep["frequency"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return {"n": len(rep), "pearson": np.nan, "spearman": np.nan,
                "verdict": f"only {len(rep)} repeat customers with varying values: the check cannot be made"}
    pearson = float(np.corrcoef(rep["frequency"], rep["monetary_value"])[0, 1])
    spearman = float(rep["frequency"].rank().corr(rep["monetary_value"].rank()))
    big = max(abs(pearson), abs(spearman))
    verdict = ("no relation: the Gamma-Gamma independence assumption holds" if big < 0.1 else
               "a weak relation: the independence assumption is acceptable" if big < 0.3 else
               "a clear relation: spend is not independent of frequency, treat Gamma-Gamma spend with care")
    return {"n": len(rep), "pearson": pearson, "spearman": spearman, "verdict": verdict}


def describe_parameters(fit: PurchaseFit | SpendFit, currency: str = "") -> pd.DataFrame:
    """The parameter table with a plain-language meaning per row (units stated)."""
    t = fit.params.copy()
    if isinstance(fit, SpendFit) and fit.model == "empirical":
        t["meaning"] = [f"mean of the repeat customers' mean repeat spend ({currency})"]
        return t.reset_index()
    if isinstance(fit, SpendFit):
        mean = fit.population_mean_spend
        meaning = {
            "p": "shape of the spend of one purchase around a customer's own mean",
            "q": "shape of how customers' mean spends differ",
            "v": (f"scale (the papers' gamma, {currency}); population mean spend p*v/(q-1) = {mean:,.2f} {currency}"
                  if np.isfinite(mean) else f"scale (the papers' gamma, {currency})"),
        }
        t["meaning"] = [meaning[k] for k in t.index]
        return t.reset_index()
    unit = UNIT_NAMES.get(fit.time_unit or "", "time units")
    one = unit[:-1] if unit.endswith("s") else unit
    v = fit.values
    if fit.model == "empirical":
        t["meaning"] = [f"repeat purchases per {one} over all customers (sum of frequency / sum of T)"]
        return t.reset_index()
    meaning = {"r": "shape of purchase rates across customers",
               "alpha": f"scale of purchase rates ({unit}); mean rate r/alpha = {v['r'] / v['alpha']:.4f} "
                        f"purchases per {one} " + ("(nobody drops out)" if fit.model == "nbd" else "while active")}
    if fit.model == "nbd":
        pass
    elif fit.model == "bgnbd":
        meaning["a"] = "dropout: with b, the chance of leaving after each repeat purchase"
        meaning["b"] = f"dropout: mean chance of leaving after a repeat purchase a/(a+b) = {v['a'] / (v['a'] + v['b']):.3f}"
    else:
        meaning["s"] = "shape of dropout rates across customers"
        life = (f"; mean lifetime beta/(s-1) = {v['beta'] / (v['s'] - 1):,.1f} {unit}" if v["s"] > 1 else "")
        meaning["beta"] = f"scale of dropout rates ({unit}); mean dropout rate s/beta = {v['s'] / v['beta']:.4f}{life}"
    t["meaning"] = [meaning[k] for k in t.index]
    return t.reset_index()


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


# --------------------------------------------------------------------------------------
# validation: calibration / holdout
# --------------------------------------------------------------------------------------
def calibration_end_for(start: dt.date, end: dt.date, holdout_months: float) -> dt.date:
    """Last day of the calibration period: ``holdout_months`` (of 365.25 / 12 days) before ``end``.

    Raises ClvInputError when the holdout is not positive or leaves less than 8 weeks of
    calibration.
    """
    if holdout_months <= 0:
        raise ClvInputError(f"holdout_months = {holdout_months!r}: validation needs a holdout of at least one month")
    cal_end = end - dt.timedelta(days=int(round(holdout_months * MONTH_DAYS)))
    if (cal_end - start).days < 56:
        raise ClvInputError(f"a {holdout_months:g}-month holdout leaves {(cal_end - start).days} days of calibration "
                            f"in the window {start} .. {end}; at least 8 weeks are needed (shorten the holdout)")
    return cal_end


def daily_first_and_repeat(lines, *, calibration_end: dt.date, observation_end: dt.date):
    """Per day: first purchases and repeat purchase days of the calibration cohort (Ibis).

    The cohort is the customers whose first purchase day is on or before ``calibration_end``;
    purchases are counted on distinct days as in :func:`helpers.features.customers.btyd_summary`.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id (null = guest, left out), invoice_ts.

    Returns
    -------
    ibis.Table
        ``day``, ``n_first`` (customers whose first purchase day it is), ``n_repeat``
        (customers with a repeat purchase that day), ordered by day, up to ``observation_end``.
    """
    t = lines.filter(lines.customer_id.notnull())
    t = t.mutate(day=t.invoice_ts.date())
    t = t.filter(t.day <= ibis.date(observation_end))
    d = t.select("customer_id", "day").distinct()
    d = d.mutate(first_day=d.day.min().over(ibis.window(group_by=d.customer_id)))
    d = d.filter(d.first_day <= ibis.date(calibration_end))
    return d.group_by("day").aggregate(n_first=d.count(where=d.day == d.first_day),
                                       n_repeat=d.count(where=d.day > d.first_day)).order_by("day")


def tracking_table(fit: PurchaseFit, daily: pd.DataFrame, *, calibration_end: dt.date,
                   observation_end: dt.date, step_days: int = 7, time_unit: str | None = None) -> pd.DataFrame:
    """Actual vs predicted repeat purchases of the calibration cohort over time.

    Predicted cumulative repeat purchases by day t: ``sum_d n_first(d) * E[X(t - d)]`` over
    first-purchase days d <= t, where ``E[X(s)]`` is the model's expected number of repeat
    purchases of a new customer in the s time units after the first purchase
    (pymc-marketing ``expected_purchases_new_customer``), and t - d counts whole days as T does.

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_first_and_repeat` executed: day, n_first, n_repeat.

    Returns
    -------
    DataFrame
        One row per period of ``step_days`` (the last one may be shorter): ``period_end``
        (date), ``actual`` / ``predicted`` repeat purchases in the period, ``actual_cum`` /
        ``predicted_cum`` since the start, ``holdout`` (True after ``calibration_end``).
    """
    unit = _unit_or_error(fit, time_unit)
    if daily.empty:
        raise ClvInputError("tracking: no purchases by customers acquired in the calibration period")
    day = pd.to_datetime(daily["day"]).dt.normalize()
    first_days = day.min()
    ends = pd.date_range(first_days + pd.Timedelta(days=step_days - 1), pd.Timestamp(observation_end),
                         freq=f"{step_days}D")
    if len(ends) == 0 or ends[-1] < pd.Timestamp(observation_end):
        ends = ends.append(pd.DatetimeIndex([pd.Timestamp(observation_end)]))
    cohort = daily.loc[daily["n_first"] > 0]
    cdays = pd.to_datetime(cohort["day"]).dt.normalize().to_numpy()
    n_first = cohort["n_first"].to_numpy(dtype="float64")
    lag = (ends.to_numpy()[:, None] - cdays[None, :]) / np.timedelta64(1, "D")
    max_lag = int(max(lag.max(), 0))
    lags = np.arange(0, max_lag + 1, dtype="float64")
    frame = pd.DataFrame({"customer_id": np.arange(len(lags)), "t": lags / UNIT_DAYS[unit]})
    e_new = np.zeros(len(lags))
    pos = lags > 0
    if pos.any():
        x = fit.estimator.expected_purchases_new_customer(frame[pos].reset_index(drop=True))
        e_new[pos] = _draws(x, int(pos.sum())).mean(axis=0)
    idx = np.clip(lag, 0, None).astype("int64")
    contrib = np.where(lag >= 0, e_new[idx], 0.0) * n_first[None, :]
    pred_cum = contrib.sum(axis=1)
    rep = pd.Series(daily["n_repeat"].to_numpy(dtype="float64"), index=day).groupby(level=0).sum()
    act_cum = np.array([rep[rep.index <= e].sum() for e in ends])
    out = pd.DataFrame({"period_end": ends.date, "actual_cum": act_cum, "predicted_cum": pred_cum})
    out["actual"] = np.diff(np.concatenate([[0.0], act_cum]))
    out["predicted"] = np.diff(np.concatenate([[0.0], pred_cum]))
    out["holdout"] = ends > pd.Timestamp(calibration_end)
    out.attrs.update({"calibration_end": calibration_end, "step_days": step_days})
    return out[["period_end", "actual", "predicted", "actual_cum", "predicted_cum", "holdout"]]


def holdout_by_frequency(fit: PurchaseFit, calhold: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by number of calibration repeat purchases.

    Parameters
    ----------
    calhold : DataFrame
        :func:`helpers.features.customers.calibration_holdout` executed (frequency, recency, T of the
        calibration period; frequency_holdout, duration_holdout).

    Returns
    -------
    DataFrame
        ``frequency`` (calibration repeat purchases; the last group is "max_frequency+"),
        ``customers``, ``actual`` and ``predicted`` mean purchases in the holdout (count per
        customer), over the customers the fit can predict.
    """
    pred = expected_purchases(fit, calhold, calhold["duration_holdout"].to_numpy(dtype="float64"))
    known = pred.notna().to_numpy()          # empirical rates cannot predict a customer with T = 0
    calhold = calhold[known]
    f = calhold["frequency"].to_numpy(dtype="int64")
    capped = np.minimum(f, max_frequency)
    t = pd.DataFrame({"group": capped, "actual": calhold["frequency_holdout"].to_numpy(dtype="float64"),
                      "predicted": pred.to_numpy()[known]})
    g = t.groupby("group").agg(customers=("actual", "size"), actual=("actual", "mean"),
                               predicted=("predicted", "mean")).reset_index()
    g["frequency"] = [f"{v}+" if v == max_frequency and (f > max_frequency).any() else str(v) for v in g["group"]]
    return g[["frequency", "customers", "actual", "predicted"]]


@dataclass
class Validation:
    """Outcome of :func:`validate`: each table is None when it could not be computed; ``notes`` say why."""

    calibration_end: dt.date | None
    holdout_days: int
    fit: PurchaseFit | None
    calhold: pd.DataFrame | None
    by_frequency: pd.DataFrame | None
    tracking: pd.DataFrame | None
    totals: dict | None
    notes: list[str]
    #: calibration customers the fit's step cannot predict (empirical rates with T = 0), left out of ``totals``
    unknown: int = 0


def validate(lines, *, start: dt.date, end: dt.date, holdout_months: float, time_unit: str,
             model: str = "bgnbd", method: str = "map", random_seed: int = 42, max_frequency: int = 7,
             **kwargs) -> Validation:
    """Fit on a calibration period, predict the holdout, and compare with what happened.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines.
    start, end : date
        Analysis window; the holdout is the last ``holdout_months`` of it.

    Returns
    -------
    Validation
        ``fit``: the calibration fit from the recovery chain (:func:`fit_purchase_chain`;
        ``fit.source`` says which step and why). ``totals``: actual and predicted holdout
        purchases of the calibration customers with a prediction (customers: how many;
        ``unknown``: how many the step cannot predict) and the relative error
        (predicted / actual - 1). Degenerate cases (holdout too
        long, no purchase in the holdout) give ``None`` tables and a note; they do not raise.
    """
    notes: list[str] = []
    try:
        cal_end = calibration_end_for(start, end, holdout_months)
    except ClvInputError as exc:
        return Validation(None, 0, None, None, None, None, None, [f"Validation skipped: {exc}."])
    hold_days = (end - cal_end).days
    calhold = calibration_holdout(lines, calibration_end=cal_end, observation_end=end,
                                  time_unit=time_unit).execute()
    by_freq = track = totals = None
    fit = fit_purchase_chain(calhold, model=model, method=method, random_seed=random_seed, time_unit=time_unit,
                             **kwargs)
    unknown = 0
    actual_total = float(calhold["frequency_holdout"].sum()) if len(calhold) else 0.0
    if len(calhold) and actual_total == 0:
        notes.append(f"The holdout {cal_end + dt.timedelta(days=1)} .. {end} has no purchase by the "
                     f"{len(calhold):,} calibration customers: predicted purchases are shown, accuracy cannot be judged.")
    if len(calhold):
        by_freq = holdout_by_frequency(fit, calhold, max_frequency=max_frequency)
        pred = expected_purchases(fit, calhold, calhold["duration_holdout"].to_numpy(dtype="float64"))
        unknown = int(pred.isna().sum())
        known = pred.notna().to_numpy()
        actual_known = float(calhold["frequency_holdout"].to_numpy(dtype="float64")[known].sum())
        predicted_total = float(pred[known].sum())
        totals = {"customers": int(known.sum()), "actual": actual_known, "predicted": predicted_total,
                  "relative_error": (predicted_total / actual_known - 1) if actual_known else np.nan}
        daily = daily_first_and_repeat(lines, calibration_end=cal_end, observation_end=end).execute()
        if not daily.empty:
            track = tracking_table(fit, daily, calibration_end=cal_end, observation_end=end, time_unit=time_unit)
    return Validation(cal_end, hold_days, fit, calhold, by_freq, track, totals, notes, unknown)


def value_tier_table(btyd: pd.DataFrame | None, *, time_unit: str = "W", clv_months: int = 12,
                     discount_rate: float = 0.10, tiers=(0.01, 0.05, 0.20)) -> tuple[pd.DataFrame | None, str]:
    """CLV tier of every customer, as notebook 04 computes it (used by 08 and 10).

    BG/NBD + Gamma-Gamma through their recovery chains (:func:`fit_models`, MAP), discounted
    CLV over ``clv_months`` months (:func:`customer_value`) and tiers by :func:`value_tiers`
    over the customers with a known CLV (default: top 1 %, 1-5 %, 5-20 %, rest 80 %).

    Parameters
    ----------
    btyd : pandas.DataFrame or None
        The prepared ``customers_btyd`` table (customer_id, frequency, recency, T in
        ``time_unit``, monetary_value).
    time_unit : str
        The unit of recency and T (the run's ``prep.meta["time_unit"]``).

    Returns
    -------
    (pandas.DataFrame or None, str)
        customer_id (string), clv (currency; NaN where the step used cannot give it) and
        clv_tier (ordered categorical, best tier first; NaN where the CLV is unknown) with an
        empty note; ``attrs["purchase_source"]`` / ``attrs["spend_source"]`` are the
        :class:`Source` of each fit (``.text()`` says which step produced it and why). None and
        the reason (in English) when the table is missing or invalid, or no customer has a
        known CLV (08 then falls back to its spend tier).
    """
    if btyd is None or len(btyd) == 0:
        return None, "the customers_btyd table is missing or empty."
    try:
        fits = fit_models(btyd, model="bgnbd", method="map", time_unit=time_unit, standard_errors=False)
        cv = customer_value(fits.purchase, fits.spend, btyd, horizon_months=clv_months,
                            discount_rate=discount_rate, time_unit=time_unit)
    except ClvInputError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if cv["clv"].isna().all():
        return None, f"no customer has a known CLV under {fits.label}."
    out = pd.DataFrame({"customer_id": cv["customer_id"].astype("string").to_numpy(),
                        "clv": cv["clv"].to_numpy(dtype="float64")})
    out["clv_tier"] = value_tiers(out["clv"], tiers)
    out.attrs.update(purchase_source=fits.purchase.source, spend_source=fits.spend.source)
    return out, ""
