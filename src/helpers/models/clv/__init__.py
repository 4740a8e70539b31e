"""Customer lifetime value: historical value, BG/NBD or Pareto/NBD for purchases, Gamma-Gamma for spend.

The models are pymc-marketing's (:class:`~pymc_marketing.clv.BetaGeoModel`,
:class:`~pymc_marketing.clv.ParetoNBDModel`, :class:`~pymc_marketing.clv.GammaGammaModel`), which make
every prediction and interval; this package prepares their inputs, checks them, reduces their outputs to
one row per customer and adds the validation tables. Maximum likelihood (MAP with flat priors, the
default) of BG/NBD, modified BG/NBD, Pareto/NBD and Gamma-Gamma, and the MAP under the recovery chain's
weakly-informative priors, are found by numpy / scipy on the same likelihood and log-prior
(:mod:`~helpers.models.clv.mle`, :mod:`~helpers.models.clv.pareto`; faster than pymc-marketing's MAP,
which compiles the model graph) and handed to the pymc-marketing model; ``optimizer="pymc"`` uses
pymc-marketing's MAP instead. pymc-marketing's default priors and MCMC are fitted by pymc-marketing.

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
  half-normal priors for MCMC (:func:`~helpers.models.clv.fit.fit_spend_model`).
* **When a fit fails: the recovery chain.** :func:`fit_purchase_chain` and
  :func:`fit_spend_chain` (used by :func:`fit_models` and every notebook) never stop at a
  failed fit; they try, in order, and keep the first result that is a finite interior
  optimum (:func:`~helpers.models.clv.estimation.map_convergence`: no parameter at the edge
  of its range, e.g. ``a -> 0`` or ``b -> infinity``, a finite log-likelihood, a positive
  definite information matrix and a vanishing gradient):

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
  before it, the reason (:class:`Source`, ``fit.source``, ``fit.phrase``); a quantity a step
  cannot give is NaN, never a default.
* **Memory.** Nothing keeps chain x draw x customer arrays: predictions are computed for
  chunks of customers (at most :data:`CHUNK_ELEMENTS` values at a time) and reduced at once to
  the mean and an interval per customer. With MAP there is one draw, so 1M customers need a
  few vectors of 1M floats.
* **CLV.** ``clv = margin * E[spend] * sum_k (E[X(t_k)] - E[X(t_(k-1))]) / (1 + d)^(k / 12)``
  over months k = 1 .. horizon, where ``E[X(t)]`` is the expected number of purchases in the
  next t (model), ``E[spend]`` the Gamma-Gamma expected value per purchase and ``d`` the
  yearly discount rate.

Modules
-------
:mod:`~helpers.models.clv.results` (the fit result types, errors and the steps' vocabulary),
:mod:`~helpers.models.clv.inputs` (input checks), :mod:`~helpers.models.clv.estimation` (running
and checking a pymc-marketing fit), :mod:`~helpers.models.clv.mle` (BG/NBD and Gamma-Gamma maximum
likelihood in numpy / scipy, the default MAP path), :mod:`~helpers.models.clv.fit` (the models and the
recovery chains), :mod:`~helpers.models.clv.fallbacks` (NBD, empirical rates and spend),
:mod:`~helpers.models.clv.predict` (per-customer predictions and CLV),
:mod:`~helpers.models.clv.value` (historical value, tiers, action list) and
:mod:`~helpers.models.clv.holdout` (calibration / holdout validation). Every public name is
importable from the package: ``from helpers.models import clv; clv.fit_models(...)``.

References: Fader, Hardie & Lee (2005) "Counting your customers the easy way", Marketing
Science 24(2); Fader, Hardie & Lee (2005) "RFM and CLV: using iso-value curves", JMR 42;
Fader & Hardie (2013) "The Gamma-Gamma model of monetary value".
"""
from __future__ import annotations

from helpers.models.clv.estimation import MCMC_ONLY
from helpers.models.clv.fallbacks import empirical_rates, empirical_spend, fit_nbd, nbd_derivatives, nbd_log_likelihood
from helpers.models.clv.fit import (WEAK_PRIOR_SD, WEAK_SPEND_PRIOR_SD, fit_models, fit_purchase_chain,
                                    fit_purchase_model, fit_spend_chain, fit_spend_model)
from helpers.models.clv.holdout import (Validation, calibration_end_for, daily_first_and_repeat, holdout_by_frequency,
                                        tracking_table, validate)
from helpers.models.clv.mle import bgnbd_log_likelihood, gamma_gamma_log_likelihood
from helpers.models.clv.predict import (CHUNK_ELEMENTS, MONTH_DAYS, customer_value, expected_purchases, expected_spend,
                                        frequency_recency_grid, p_alive)
from helpers.models.clv.results import (MIN_REPEAT_CUSTOMERS, MODEL_NAMES, PURCHASE_PARAMS, SPEND_PARAMS, STEPS, WHY,
                                        Attempt, ClvFits, ClvInputError, ModelFitError, PurchaseFit, Source, SpendFit,
                                        StepFit, step_phrase)
from helpers.models.clv.value import (action_list, concentration, describe_parameters, historical_value,
                                      spend_frequency_check, tier_labels, tier_summary, top_share_of_value,
                                      value_tier_table, value_tiers)

__all__ = [
    "CHUNK_ELEMENTS", "MCMC_ONLY", "MIN_REPEAT_CUSTOMERS", "MODEL_NAMES", "MONTH_DAYS", "PURCHASE_PARAMS",
    "SPEND_PARAMS", "STEPS", "WEAK_PRIOR_SD", "WEAK_SPEND_PRIOR_SD", "WHY",
    "Attempt", "ClvFits", "ClvInputError", "ModelFitError", "PurchaseFit", "Source", "SpendFit", "StepFit",
    "Validation",
    "action_list", "bgnbd_log_likelihood", "calibration_end_for", "concentration", "customer_value",
    "daily_first_and_repeat",
    "describe_parameters", "empirical_rates", "empirical_spend", "expected_purchases", "expected_spend",
    "fit_models", "fit_nbd", "fit_purchase_chain", "fit_purchase_model", "fit_spend_chain", "fit_spend_model",
    "frequency_recency_grid", "gamma_gamma_log_likelihood", "historical_value", "holdout_by_frequency",
    "nbd_derivatives", "nbd_log_likelihood",
    "p_alive", "spend_frequency_check", "step_phrase", "tier_labels", "tier_summary", "top_share_of_value",
    "tracking_table", "validate", "value_tier_table", "value_tiers",
]
