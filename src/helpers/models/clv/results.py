"""What the CLV fits return: the recovery steps' vocabulary, the errors, and the fit result types.

:class:`PurchaseFit` (BG/NBD, Pareto/NBD and the chain's fallbacks NBD and empirical rates),
:class:`SpendFit` (Gamma-Gamma, empirical mean spend) and :class:`ClvFits` (the two together), on
the base :class:`StepFit` (a :class:`helpers.models.results.FitResult` that knows the recovery
step that produced it); :class:`Source` and :class:`Attempt` say which step that was and why
each earlier step was not used (:data:`STEPS`, :data:`WHY`; texts in the glossary).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.errors import CRMInputError
from helpers.models.results import FitResult
from helpers.phrase import Phrase, Sig

#: fewest repeat customers a purchase or spend model is fitted on
MIN_REPEAT_CUSTOMERS = 10
#: parameters of each purchase model, in the papers' order
PURCHASE_PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "mbgnbd": ("r", "alpha", "a", "b"),
                   "pareto_nbd": ("r", "alpha", "s", "beta")}
MODEL_NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "modified BG/NBD", "pareto_nbd": "Pareto/NBD", "nbd": "NBD", "empirical": "empirical rates"}
#: every step of the recovery chains; its name in the report language is the glossary entry ``clv_step_<code>``
STEPS = ("bgnbd_ml", "bgnbd_weak", "bgnbd_default", "bgnbd_mcmc", "mbgnbd_ml", "mbgnbd_weak",
         "mbgnbd_default", "mbgnbd_mcmc", "pareto_nbd_ml", "pareto_nbd_weak",
         "pareto_nbd_default", "pareto_nbd_mcmc", "nbd_ml", "empirical_rate",
         "gg_ml", "gg_weak", "gg_halfnormal", "gg_mcmc", "empirical_spend")
#: why a step was not used; the text is the glossary entry ``clv_why_<code>``
WHY = ("param_edge", "not_max", "singular", "stopped_short", "loglik", "error", "too_few_repeat",
       "too_few_spend", "q_le_1")
#: Gamma-Gamma parameters; pymc-marketing calls the papers' gamma ``v``
SPEND_PARAMS = ("p", "q", "v")


class ClvInputError(CRMInputError):
    """The customer summary cannot be used (missing column, recency > T, ...).

    ``phrase``, when given, says the same for a report page in its language (the message is English).
    """

    def __init__(self, message: str, phrase: Phrase | None = None):
        super().__init__(message)
        self.phrase = phrase


class ModelFitError(CRMInputError):
    """A model cannot be fitted on this data (too few repeat customers) or did not converge.

    ``why`` is the reason's code (:data:`WHY`) and ``fields`` the values its text needs.
    """

    def __init__(self, message: str, why: str = "error", fields: dict | None = None):
        super().__init__(message)
        self.why = why
        self.fields = dict(fields or {"error": message})


def step_phrase(step: str) -> Phrase:
    """The name of a recovery step (:data:`STEPS`) as data, e.g. "BG/NBD (maximum likelihood)" once
    ``i18n.say`` writes it."""
    return Phrase(f"clv_step_{step}")


@dataclass(frozen=True)
class Attempt:
    """A step of a recovery chain that gave no usable result: its code, the reason's code and values."""

    step: str
    why: str
    fields: tuple = ()

    @property
    def phrase(self) -> Phrase:
        """E.g. "BG/NBD (maximum likelihood) ran to a = 7.24e-10, the edge of its range (no finite estimate)",
        once ``i18n.say`` writes it."""
        fields = {k: Sig(float(v)) if isinstance(v, (float, np.floating)) else v for k, v in self.fields}
        return Phrase("clv_attempt", step=step_phrase(self.step), why=Phrase(f"clv_why_{self.why}", **fields))


@dataclass(frozen=True)
class Source:
    """Which step of a recovery chain produced a result, and why each earlier step was not used."""

    step: str
    attempts: tuple = ()

    @property
    def phrase(self) -> Phrase:
        """The step's name, then ": " and the reasons, once ``i18n.say`` writes it."""
        step = step_phrase(self.step)
        return Phrase("clv_source", step=step, reasons=[a.phrase for a in self.attempts]) if self.attempts else step


def failed_attempt(step: str, exc: ModelFitError) -> Attempt:
    """The :class:`Attempt` of ``step`` that failed with ``exc`` (its reason code and values)."""
    return Attempt(step, exc.why, tuple(exc.fields.items()))


# --------------------------------------------------------------------------------------
# fitted models
# --------------------------------------------------------------------------------------
class StepFit(FitResult):
    """What both fitted CLV models share: a parameter table and point estimates (:class:`FitResult`),
    the number of posterior draws, and the recovery step that produced the fit with the reasons
    the steps before it were not used (``step``, ``attempts``).

    ``values`` gives the point estimates, e.g. ``{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}``.
    """

    @property
    def n_draws(self) -> int:
        """Posterior draws, chains x draws (1 for MAP and for the chain's closed-form fallbacks)."""
        post = self.estimator.idata.posterior
        return int(post.sizes["chain"] * post.sizes["draw"])

    @property
    def source(self) -> Source:
        """The recovery step that produced this fit and why the earlier ones were not used."""
        return Source(self.step, tuple(self.attempts))

    @property
    def phrase(self) -> Phrase:
        """E.g. "BG/NBD with weakly-informative priors: BG/NBD (maximum likelihood) ran to a = ...", once
        ``i18n.say`` writes it."""
        return self.source.phrase


@dataclass
class PurchaseFit(StepFit):
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
            self.step = purchase_step(self.model, self.method, self.priors)

    @property
    def name(self) -> str:
        return MODEL_NAMES[self.model]

    @property
    def has_p_alive(self) -> bool:
        """Whether the model has dropout, so that P(alive) exists (BG/NBD, Pareto/NBD)."""
        return self.model in ("bgnbd", "mbgnbd", "pareto_nbd")


@dataclass
class SpendFit(StepFit):
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
            self.step = spend_step(self.method, self.priors, self.model)

    @property
    def population_mean_spend(self) -> float:
        """Expected value of one purchase for a new customer: ``p * v / (q - 1)`` (currency);
        for the empirical step the mean of the repeat customers' mean spends."""
        if self.model == "empirical":
            return float(self.values["mean_spend"])
        p, q, v = (self.values[k] for k in SPEND_PARAMS)
        return p * v / (q - 1) if q > 1 else math.inf


def purchase_step(model: str, method: str, priors: str) -> str:
    """The recovery step (:data:`STEPS`) of a purchase fit of ``model`` by ``method`` with ``priors``."""
    if model in ("nbd", "empirical"):
        return {"nbd": "nbd_ml", "empirical": "empirical_rate"}[model]
    if method == "mcmc":
        return f"{model}_mcmc"
    return f"{model}_" + {"flat": "ml", "weak": "weak", "default": "default"}[priors]


def spend_step(method: str, priors: str, model: str = "gamma_gamma") -> str:
    """The recovery step (:data:`STEPS`) of a spend fit: ``empirical_spend``, ``gg_mcmc`` or ``gg_ml`` /
    ``gg_weak`` / ``gg_halfnormal`` by the priors of a MAP fit."""
    if model == "empirical":
        return "empirical_spend"
    if method == "mcmc":
        return "gg_mcmc"
    return {"flat": "gg_ml", "weak": "gg_weak", "halfnormal": "gg_halfnormal"}[priors]


@dataclass
class ClvFits:
    """The purchase and spend fits and notes on them.

    From :func:`fit_models` both fits are always there (the recovery chains end in empirical
    rates and the empirical mean spend); ``purchase.source`` and ``spend.source`` say which
    step produced each and why. ``None`` is kept for callers that build a ClvFits by hand.
    """

    purchase: PurchaseFit | None
    spend: SpendFit | None
    notes: list

    def phrase(self, *, reasons: bool = True) -> Phrase:
        """The purchase and spend steps joined by " + " (with the reasons when ``reasons``), e.g.
        "BG/NBD (maximum likelihood) + Gamma-Gamma (maximum likelihood)" once ``i18n.say`` writes it."""
        parts = [(f.source.phrase if reasons else step_phrase(f.step))
                 for f in (self.purchase, self.spend) if f is not None]
        return Phrase("clv_fits", purchase=parts[0], spend=parts[1]) if len(parts) == 2 else parts[0]
