"""Fitting a pymc-marketing CLV model and checking the fit: the machinery under :mod:`helpers.models.clv.fit`.

:func:`fit_checked` runs a MAP or MCMC fit quietly and, for MAP, checks with
:func:`map_convergence` that it reached a finite interior maximum (observed information and
gradient in the log-parameters); :func:`params_table` turns the fit into the ``params`` table
(estimate, standard error, interval). :func:`fit_mle_checked` is the fast path: a maximum-likelihood
fit by :mod:`helpers.models.clv.mle`, the same checks, and the estimates handed to a pymc-marketing model
(:func:`map_estimator`) for predictions. :func:`start_values` is the likelihood search's starting
point on the data's scale, also used by the NBD fallback (:mod:`helpers.models.clv.fallbacks`).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from helpers.models.clv.mle import MleFit
from helpers.models.clv.results import ModelFitError
from helpers.models.pymc_tools import quiet


def posterior_params(estimator, names) -> dict[str, np.ndarray]:
    """The posterior draws of each parameter in ``names``, flattened over chains (one value for MAP)."""
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
    est = posterior_params(estimator, names)
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


def inverse(info: np.ndarray | None) -> np.ndarray | None:
    """The inverse of an information matrix (the covariance of the log-parameters), None when singular or absent."""
    if info is None:
        return None
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None


def params_table(estimator, names, *, method: str, info: np.ndarray | None, level: float = 0.9) -> pd.DataFrame:
    """The ``params`` table of a fit: ``estimate``, ``se`` and the ``level`` interval ``low`` / ``high`` per
    parameter (MAP: Wald interval in log space from the information ``info``; MCMC: posterior quantiles)."""
    est = posterior_params(estimator, names)
    rows = []
    z = z_value(level)
    cov = inverse(info)
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


def z_value(level: float) -> float:
    """The standard normal quantile of a two-sided interval of width ``level`` (1.645 for 0.9)."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def map_convergence(names, values: dict, grad, info, n: int, loglik: float | None = None):
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
    """Plain-language notes on an MCMC fit: r-hat above 1.05, bulk ESS below 100, divergences."""
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


def start_values(model: str, data: pd.DataFrame) -> dict[str, float]:
    """Starting point of the likelihood search on the data's time scale.

    With r = 1 the mean purchase rate r / alpha is set to repeat purchases per unit of time
    observed (sum of frequency / sum of T); dropout parameters start at 1 (BG/NBD a, b) or at
    a mean lifetime of the mean T (Pareto/NBD s = 1, beta = mean T).
    """
    total_t = float(data["T"].sum()) or 1.0
    rate = max(float(data["frequency"].sum()), 1.0) / total_t
    start = {"r": 1.0, "alpha": 1.0 / rate}
    if model in ("bgnbd", "mbgnbd"):
        start.update(a=1.0, b=1.0)
    else:
        start.update(s=1.0, beta=max(float(data["T"].mean()), 1e-3))
    return start


def _run_fit(estimator, data: pd.DataFrame, method: str, random_seed: int, kwargs: dict) -> None:
    """Run pymc-marketing's ``fit``: MAP with a tight stop (sampler settings dropped), or NUTS."""
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


def fit_checked(make, data: pd.DataFrame, names, *, method: str, random_seed: int, start: dict | None,
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
            with quiet(), np.errstate(all="ignore"):
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
        values = {k: float(v[0]) for k, v in posterior_params(estimator, names).items()}
        reason = map_convergence(names, values, grad, info, len(data), loglik)
        if reason is None:
            return estimator, info, loglik, notes
        code, fields, text = reason
        if start is None or code != "stopped_short" or attempt == 2:
            raise ModelFitError(f"the {label} fit did not converge: {text}." + (f" {hint}" if hint else ""),
                                code, fields)
        start = values
    raise AssertionError("unreachable")


def map_estimator(make, data: pd.DataFrame, values: dict, *, dims: dict | None = None, coords: dict | None = None):
    """A pymc-marketing model built on ``data`` with ``values`` as its posterior: what its ``fit(method="map")``
    leaves (one chain of one draw per parameter, the model's attributes and the ``fit_data`` group), so its
    predictions work as after a MAP fit. ``make()`` returns the unfitted model. A parameter with dimensions
    (the sBG's per-cohort alpha) takes an array of values, its ``dims`` and their ``coords`` as arviz does."""
    import arviz as az

    estimator = make()
    # ids as Python objects: pymc reads the coordinate one value at a time, slow from an Arrow string column
    data = data.assign(customer_id=pd.Series(data["customer_id"].to_numpy(dtype=object), index=data.index,
                                             dtype=object))
    with quiet():
        estimator.build_model(data)
        posterior = {k: np.asarray(v, dtype="float64").reshape(1, 1, *np.shape(v)) for k, v in values.items()}
        idata = az.from_dict(posterior=posterior, dims=dims, coords=coords)
        estimator.idata = idata
        estimator.set_idata_attrs(idata)
        idata.add_groups(fit_data=data.to_xarray())
    return estimator


def checked_mle(fit, names, n: int, *, checks: bool = True, label: str, hint: str = "") -> MleFit:
    """``fit()`` (a :class:`~helpers.models.clv.mle.MleFit` from :mod:`helpers.models.clv.mle`), checked by
    :func:`map_convergence` as the pymc-marketing path is (with ``checks`` False: only the parameters' range).
    Raises ModelFitError with a plain reason (and its code) on a numerical failure or when there is no finite
    interior maximum; ``n`` is the number of customers."""
    try:
        with np.errstate(all="ignore"):
            res: MleFit = fit()
    except (FloatingPointError, np.linalg.LinAlgError, ValueError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        raise ModelFitError(f"the {label} fit failed on this data ({error}); try more data or method='mcmc'",
                            "error", {"error": error}) from None
    info, loglik, grad = (res.information, res.log_likelihood, res.gradient) if checks else (None, None, None)
    reason = map_convergence(names, res.values, grad, info, n, loglik)
    if reason is not None:
        code, fields, text = reason
        raise ModelFitError(f"the {label} fit did not converge: {text}." + (f" {hint}" if hint else ""), code, fields)
    return res


def fit_mle_checked(fit, make, data: pd.DataFrame, names, *, checks: bool, label: str, hint: str):
    """The fast maximum-likelihood path of :func:`fit_checked`: :func:`checked_mle`, then the estimates handed to
    a pymc-marketing model (:func:`map_estimator`). Returns (estimator, information matrix, log-likelihood,
    notes); information and log-likelihood are None when ``checks`` is False (as on the pymc-marketing path)."""
    res = checked_mle(fit, names, len(data), checks=checks, label=label, hint=hint)
    info, loglik = (res.information, res.log_likelihood) if checks else (None, None)
    return map_estimator(make, data, res.values), info, loglik, []
