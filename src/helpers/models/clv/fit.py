"""Fitting the CLV models: BG/NBD or Pareto/NBD for purchases, Gamma-Gamma for spend, and their recovery chains.

:func:`fit_purchase_model` and :func:`fit_spend_model` fit one pymc-marketing model by MAP
(maximum likelihood with flat priors, or the weakly-informative priors of recovery step 2) or
MCMC. MAP takes the fast path by default, with flat priors (maximum likelihood) and with the
weakly-informative priors alike: the same likelihood (plus the same log-prior,
:class:`~helpers.models.clv.mle.LogNormalPriors`) maximised with numpy and scipy
(:mod:`helpers.models.clv.mle`, :mod:`helpers.models.clv.pareto`), the estimates handed to the
pymc-marketing model, which makes the predictions; ``optimizer="pymc"`` runs pymc-marketing's own
MAP instead (same estimates, slower: it compiles the model graph).
:func:`fit_purchase_chain`, :func:`fit_spend_chain` and :func:`fit_models` run the
recovery chains of :mod:`helpers.models.clv` down to the closed-form fallbacks of
:mod:`helpers.models.clv.fallbacks`, so a fit always comes back, labelled with its step.
"""
from __future__ import annotations

import math
import time

import pandas as pd

from helpers.features.customers import UNIT_DAYS
from helpers.models.clv.estimation import (fit_checked, fit_mle_checked, inverse, params_table, posterior_params,
                                           start_values)
from helpers.models.clv.fallbacks import empirical_rates, empirical_spend, fit_nbd
from helpers.models.clv.inputs import check_choice, check_summary
from helpers.models.clv.mle import LogNormalPriors, fit_bgnbd, fit_gamma_gamma
from helpers.models.clv.pareto import fit_pareto_nbd
from helpers.models.clv.pareto import model_class as pareto_model_class
from helpers.models.clv.results import (MIN_REPEAT_CUSTOMERS, MODEL_NAMES, PURCHASE_PARAMS, SPEND_PARAMS, Attempt,
                                        ClvFits, ModelFitError, PurchaseFit, SpendFit, failed_attempt, purchase_step,
                                        spend_step)
from helpers.models.pymc_tools import flat_priors, pymc_clv
from helpers.phrase import Phrase

#: log-sd s of the weakly-informative purchase-model priors (recovery step 2, see :mod:`helpers.models.clv`)
WEAK_PRIOR_SD = 3.0
#: log-sd s of the weakly-informative Gamma-Gamma priors
WEAK_SPEND_PRIOR_SD = 4.0
#: how maximum likelihood (MAP with flat priors) is found: numpy / scipy on the same likelihood
#: (:mod:`helpers.models.clv.mle`, the default) or pymc-marketing's MAP
OPTIMIZERS = ("scipy", "pymc")


def _model_class(model: str):
    """pymc-marketing's model class of ``model`` ("bgnbd", "mbgnbd", "pareto_nbd"; Pareto/NBD's with its
    log-likelihood in numpy for the predictions, :func:`helpers.models.clv.pareto.model_class`)."""
    pmc = pymc_clv()
    return {"bgnbd": pmc.BetaGeoModel, "mbgnbd": pmc.ModifiedBetaGeoModel, "pareto_nbd": pareto_model_class()}[model]


def _lognormal_mode(centre: float, sd: float):
    """``LogNormal(mu = log c + sd^2, sigma = sd)``: its density in theta is highest at c
    (see :mod:`helpers.models.clv`)."""
    from pymc_extras.prior import Prior

    return Prior("LogNormal", mu=math.log(centre) + sd ** 2, sigma=sd)


def _weak_purchase_centres(model: str, data: pd.DataFrame) -> dict:
    """The centres of the weakly-informative priors of recovery step 2 (:mod:`helpers.models.clv`), on the data's
    scale: r at 1 and alpha at 1 / (sum of frequency / sum of T), so the prior's mean purchase rate r / alpha is
    the observed repeat rate; BG/NBD a and b at 1; Pareto/NBD s at 1 and beta at the mean T."""
    total_t = float(data["T"].sum())
    rate = float(data["frequency"].sum()) / total_t if total_t > 0 else 0.0
    centres = {"r": 1.0, "alpha": 1.0 / rate if rate > 0 else max(float(data["T"].mean()), 1.0)}
    if model in ("bgnbd", "mbgnbd"):
        centres.update(a=1.0, b=1.0)
    else:
        centres.update(s=1.0, beta=max(float(data["T"].mean()), 1e-3))
    return centres


def _weak_purchase_priors(model: str, data: pd.DataFrame, sd: float = WEAK_PRIOR_SD) -> dict:
    """The weakly-informative priors of recovery step 2 as pymc-marketing priors: each parameter
    ``LogNormal(log c + sd^2, sd)`` (density highest at its centre c, :func:`_weak_purchase_centres`)."""
    return {k: _lognormal_mode(c, sd) for k, c in _weak_purchase_centres(model, data).items()}


def _numpy_priors(centres: dict, names, sd: float) -> LogNormalPriors:
    """The same ``LogNormal(log c + sd^2, sd)`` priors for the numpy MAP fit, in the order of ``names``."""
    return LogNormalPriors(tuple(math.log(centres[k]) + sd ** 2 for k in names), sd)


def fit_purchase_model(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map",
                       random_seed: int = 42, **kwargs) -> PurchaseFit:
    """Fit a BG/NBD (or Pareto/NBD) purchase model with pymc-marketing.

    Parameters
    ----------
    summary : DataFrame
        One row per customer: ``customer_id``, ``frequency`` (repeat purchase days),
        ``recency`` and ``T`` (same time unit), as from :func:`helpers.features.customers.btyd_summary`.
    model : {"bgnbd", "mbgnbd", "pareto_nbd"}
        :class:`pymc_marketing.clv.BetaGeoModel`, :class:`~pymc_marketing.clv.ModifiedBetaGeoModel` (Batislam et
        al. 2007: a customer may also drop out right after the first purchase) or
        :class:`~pymc_marketing.clv.ParetoNBDModel`.
    method : {"map", "mcmc"}
        Point estimate (fast, default) or NUTS sampling (credible intervals; minutes).
    random_seed : int
        Seed of the sampler (MCMC).
    **kwargs
        ``priors`` ("flat": MAP = maximum likelihood, the default for MAP; "weak": the
        weakly-informative priors of the recovery chain, :func:`_weak_purchase_priors`;
        "default": pymc-marketing's weakly informative priors, the default for MCMC); ``standard_errors``
        (MAP with flat priors: standard errors, log-likelihood and the gradient check from the
        observed information; default True, False saves a few seconds of compiling); ``optimizer``
        ("scipy", the default: MAP with flat or weak priors in numpy and scipy,
        :func:`helpers.models.clv.mle.fit_bgnbd` for BG/NBD and modified BG/NBD,
        :func:`helpers.models.clv.pareto.fit_pareto_nbd` for Pareto/NBD, handed to pymc-marketing for
        predictions; "pymc": pymc-marketing's MAP; the "default" priors and MCMC always use pymc-marketing);
        ``time_unit``
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
    check_choice(model, PURCHASE_PARAMS, "model")
    check_choice(method, ("map", "mcmc"), "method")
    priors = kwargs.pop("priors", None) or ("flat" if method == "map" else "default")
    check_choice(priors, ("flat", "weak", "default"), "priors")
    time_unit = kwargs.pop("time_unit", None)
    if time_unit is not None:
        check_choice(time_unit, UNIT_DAYS, "time_unit")
    min_repeat = kwargs.pop("min_repeat_customers", MIN_REPEAT_CUSTOMERS)
    want_se = kwargs.pop("standard_errors", True)
    optimizer = kwargs.pop("optimizer", "scipy")
    check_choice(optimizer, OPTIMIZERS, "optimizer")
    data = check_summary(summary, ("customer_id", "frequency", "recency", "T"))
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
    start = start_values(model, data) if (method == "map" and priors in ("flat", "weak")) else None
    config = {"flat": flat_priors(names) if priors == "flat" else None,
              "weak": _weak_purchase_priors(model, data) if priors == "weak" else None}.get(priors)
    hint = (f"This happens with few repeat customers ({n_rep:,} here) or a short window; "
            "try priors='default' or method='mcmc'")
    if method == "map" and priors in ("flat", "weak") and optimizer == "scipy":
        x, t_x, big_t = data["frequency"], data["recency"], data["T"]
        prior = _numpy_priors(_weak_purchase_centres(model, data), names, WEAK_PRIOR_SD) if priors == "weak" else None
        fast = {"bgnbd": lambda: fit_bgnbd(x, t_x, big_t, start, prior=prior),
                "mbgnbd": lambda: fit_bgnbd(x, t_x, big_t, start, modified=True, prior=prior),
                "pareto_nbd": lambda: fit_pareto_nbd(x, t_x, big_t, start, prior=prior)}[model]
        estimator, info, loglik, notes = fit_mle_checked(fast, lambda: cls(model_config=config), data, names,
                                                         checks=want_se, label=label, hint=hint)
    else:
        estimator, info, loglik, notes = fit_checked(
            lambda: cls(model_config=config), data, names,
            method=method, random_seed=random_seed, start=start, checks=(priors in ("flat", "weak") and want_se),
            label=label, hint=hint, kwargs=kwargs)
    params = params_table(estimator, names, method=method, info=info)
    return PurchaseFit(model=model, method=method, priors=priors, estimator=estimator, params=params,
                       time_unit=time_unit, log_likelihood=loglik, n_customers=n, n_repeat=n_rep,
                       warnings=notes, seconds=round(time.time() - started, 2), cov_log=inverse(info))


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
    return {k: _lognormal_mode(c, sd) for k, c in _weak_spend_centres(mean_spend).items()}


def _weak_spend_centres(mean_spend: float) -> dict:
    """The centres of :func:`_weak_spend_priors`: p at 1, q at 2, v at the mean repeat spend."""
    return {"p": 1.0, "q": 2.0, "v": max(mean_spend, 1e-6)}


def fit_spend_model(summary: pd.DataFrame, *, method: str = "map", random_seed: int = 42,
                    min_customers: int = MIN_REPEAT_CUSTOMERS, **kwargs) -> SpendFit:
    """Fit the Gamma-Gamma spend model (:class:`pymc_marketing.clv.GammaGammaModel`).

    Fitted, as in the published set-up, on the customers with at least one repeat purchase,
    their number of repeat purchase days ``frequency`` and the mean value of those days
    ``monetary_value`` (the first purchase excluded). Repeat customers whose mean repeat
    value is not positive are left out (counted in ``n_excluded``).

    ``priors``: "flat" (pymc-marketing's ``HalfFlat`` default; MAP is then the
    maximum-likelihood estimate; the default for MAP; by default found by
    :func:`helpers.models.clv.mle.fit_gamma_gamma` and handed to pymc-marketing, or by
    pymc-marketing's own MAP with ``optimizer="pymc"``), "weak" (:func:`_weak_spend_priors`,
    the recovery chain's weakly-informative priors for MAP, found the same two ways) or "halfnormal"
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
    check_choice(method, ("map", "mcmc"), "method")
    data = check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[data["frequency"] > 0]
    ok = rep[rep["monetary_value"] > 0]
    if len(ok) < min_customers:
        raise ModelFitError(f"only {len(ok)} customers have a repeat purchase with a positive value; the "
                            f"Gamma-Gamma spend model needs at least {min_customers}", "too_few_spend",
                            {"n": len(ok), "min": int(min_customers)})
    priors = kwargs.pop("priors", None) or ("flat" if method == "map" else "halfnormal")
    check_choice(priors, ("flat", "weak", "halfnormal"), "priors")
    optimizer = kwargs.pop("optimizer", "scipy")
    check_choice(optimizer, OPTIMIZERS, "optimizer")
    started = time.time()
    fit_data = ok.reset_index(drop=True)
    mean_spend = float(fit_data["monetary_value"].mean())
    start = {"p": 1.0, "q": 2.0, "v": mean_spend} if (method == "map" and priors in ("flat", "weak")) else None
    config = {"flat": None, "weak": _weak_spend_priors(mean_spend) if priors == "weak" else None,
              "halfnormal": _halfnormal_spend_priors(mean_spend)}[priors]
    if method == "map" and priors in ("flat", "weak") and optimizer == "scipy":
        prior = (_numpy_priors(_weak_spend_centres(mean_spend), SPEND_PARAMS, WEAK_SPEND_PRIOR_SD)
                 if priors == "weak" else None)
        estimator, info, loglik, notes = fit_mle_checked(
            lambda: fit_gamma_gamma(fit_data["frequency"], fit_data["monetary_value"], start, prior=prior),
            lambda: pymc_clv().GammaGammaModel(model_config=config), fit_data, SPEND_PARAMS, checks=True,
            label="Gamma-Gamma", hint="")
    else:
        estimator, info, loglik, notes = fit_checked(
            lambda: pymc_clv().GammaGammaModel(model_config=config), fit_data, SPEND_PARAMS, method=method,
            random_seed=random_seed, start=start, checks=(priors in ("flat", "weak")), label="Gamma-Gamma", hint="",
            kwargs=kwargs)
    if method == "map":
        q = float(posterior_params(estimator, ("q",))["q"][0])
        if q <= 1:
            raise ModelFitError(f"the Gamma-Gamma fit gave q = {q:.3g} <= 1: the mean spend of a new customer "
                                "p*v/(q-1) is not finite", "q_le_1", {"q": q})
    params = params_table(estimator, SPEND_PARAMS, method=method, info=info)
    return SpendFit(method=method, estimator=estimator, params=params, log_likelihood=loglik,
                    n_customers=len(ok), n_excluded=len(rep) - len(ok), warnings=notes,
                    seconds=round(time.time() - started, 2), cov_log=inverse(info), priors=priors)


# --------------------------------------------------------------------------------------
# the recovery chains
# --------------------------------------------------------------------------------------
def _chain_steps(model: str, method: str, priors: str | None) -> list[tuple[str, str, str]]:
    """(model, method, priors) of the parametric purchase steps, in order."""
    if method == "mcmc":
        return [(model, "mcmc", priors or "default"), (model, "map", "flat"), (model, "map", "weak")]
    first = priors or "flat"
    return [(model, "map", first)] + ([(model, "map", "weak")] if first != "weak" else [])


def fit_purchase_chain(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map", random_seed: int = 42,
                       **kwargs) -> PurchaseFit:
    """A purchase model that always comes back: the recovery chain of :mod:`helpers.models.clv`.

    Tries ``model`` by ``method`` (maximum likelihood for MAP; MCMC first when asked), then
    MAP with weakly-informative priors (:func:`_weak_purchase_priors`), then the NBD
    (:func:`fit_nbd`), then empirical rates (:func:`empirical_rates`), and returns the first
    that converged; ``fit.step`` names it and ``fit.attempts`` says why each earlier step was
    not used (``fit.phrase``, which ``i18n.say`` writes in the report language). With fewer than
    ``min_repeat_customers`` repeat customers it goes straight to empirical rates. Keywords as
    :func:`fit_purchase_model`.

    Raises
    ------
    ClvInputError
        Bad input (a missing column, recency > T ...): that is not a fit to recover from.
    """
    check_choice(model, PURCHASE_PARAMS, "model")
    check_choice(method, ("map", "mcmc"), "method")
    priors = kwargs.pop("priors", None)
    time_unit = kwargs.get("time_unit")
    min_repeat = kwargs.get("min_repeat_customers", MIN_REPEAT_CUSTOMERS)
    check_summary(summary, ("customer_id", "frequency", "recency", "T"))
    tries = [(purchase_step(m, meth, pri),
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
            attempts.append(failed_attempt(step, exc))
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
    check_choice(method, ("map", "mcmc"), "method")
    check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    priors = kwargs.pop("priors", None)
    steps = ([("mcmc", priors or "halfnormal"), ("map", "flat"), ("map", "weak")] if method == "mcmc"
             else [("map", priors or "flat")] + ([("map", "weak")] if (priors or "flat") != "weak" else []))
    map_kwargs = {k: v for k, v in kwargs.items() if k == "optimizer"}
    tries = [(spend_step(meth, pri),
              lambda meth=meth, pri=pri: fit_spend_model(summary, method=meth, random_seed=random_seed,
                                                         min_customers=min_customers, priors=pri,
                                                         **(kwargs if meth == "mcmc" else map_kwargs)))
             for meth, pri in steps]
    return _first_that_fits(tries, stop="too_few_spend", last=lambda: empirical_spend(summary))


def fit_models(summary: pd.DataFrame, *, model: str = "bgnbd", method: str = "map", random_seed: int = 42,
               time_unit: str | None = None, **kwargs) -> ClvFits:
    """Fit the purchase and the spend model through their recovery chains (:func:`fit_purchase_chain`,
    :func:`fit_spend_chain`): both always come back, labelled with the step that produced them.

    Bad input (:class:`ClvInputError`) is still raised. ``notes``: the fits' own warnings (MCMC
    diagnostics, English) and, when a step had to be skipped, which one was used instead (a Phrase).
    """
    notes: list[str] = []
    purchase = fit_purchase_chain(summary, model=model, method=method, random_seed=random_seed,
                                  time_unit=time_unit, **kwargs)
    if purchase.attempts:
        notes.append(Phrase("clv_note_purchase", model=purchase.phrase))
    notes.extend(purchase.warnings)
    spend_kwargs = {k: v for k, v in kwargs.items() if k in ("draws", "tune", "chains", "cores", "optimizer")}
    spend = fit_spend_chain(summary, method=method, random_seed=random_seed, **spend_kwargs)
    if spend.attempts:
        notes.append(Phrase("clv_note_spend", model=spend.phrase))
    notes.extend(spend.warnings)
    return ClvFits(purchase, spend, notes)
