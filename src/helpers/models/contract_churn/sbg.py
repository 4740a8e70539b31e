"""The shifted-beta-geometric (sBG) model of cohort retention (Fader & Hardie 2007): numpy maximum likelihood,
pymc-marketing for predictions.

:func:`retention_curve` (Kaplan-Meier share of a notional cohort still a customer per period),
:func:`cohort_table` (the individual-level data pymc-marketing's ``ShiftedBetaGeoModel`` fits),
:func:`fit_sbg` (:func:`sbg_mle`, :func:`sbg_derivatives`), :func:`sbg_retention`, and
:func:`remaining_value`: each active customer's discounted expected remaining tenure (DERL, Fader &
Hardie 2010) and value. Every period and
per-period probability is one tenure unit; money in the data's currency.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.models import survival
from helpers.models.contract_churn.units import charge_factor, period_rate
from helpers.models.pymc_tools import pymc_clv, quiet    # before pymc: it sets PyTensor's compile cache


#: Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1):
#: % of an initial cohort of 1,000 customers still renewing after 0..12 years, and the maximum
#: likelihood estimates the paper reports from years 1-7.
FADER_HARDIE_2007 = {
    "regular": [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3],
    "highend": [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4],
}
FADER_HARDIE_2007_ESTIMATES = {"regular": (0.704, 1.182), "highend": (0.668, 3.806)}


def retention_curve(df: pd.DataFrame, group: str | None = None, *, max_periods: int | None = None,
                    min_at_risk: int = 30) -> pd.DataFrame:
    """Share of a starting cohort still a customer after t = 0, 1, 2 ... periods (Kaplan-Meier).

    A period is one tenure unit (a month, a year ...). The snapshot holds customers who joined
    at different times, so each is followed only up to its tenure; the Kaplan-Meier estimate
    turns them into the retention curve of one notional cohort. The curve stops at the last
    period with at least ``min_at_risk`` customers at risk (or ``max_periods``).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``period`` (0..T, in the tenure unit), ``retention`` (0..1, 1 at period 0),
        ``at_risk`` and ``customers`` (the group's size).
    """
    seg = survival.column_groups(df, group)
    parts = []
    for fit in survival.kaplan_meier_by_group(df["tenure"], df["churned"].astype(int), seg):
        name, m, kmf = fit.name, fit.mask, fit.fitter
        t = df.loc[m, "tenure"].to_numpy(float)
        top = int(np.floor(t.max())) if len(t) else 0
        periods = np.arange(0, top + 1)
        at_risk = np.array([(t >= k).sum() for k in periods])
        periods = periods[at_risk >= min_at_risk] if (at_risk >= min_at_risk).any() else periods[:1]
        if max_periods is not None:
            periods = periods[periods <= max_periods]
        ret = kmf.predict(periods.astype(float)).to_numpy() if len(periods) > 1 else np.ones(len(periods))
        ret = np.array(ret, dtype=float)
        ret[periods == 0] = 1.0
        parts.append(pd.DataFrame({"group": str(name), "period": periods, "retention": ret,
                                   "at_risk": at_risk[: len(periods)], "customers": int(m.sum())}))
    return pd.concat(parts, ignore_index=True)


def cohort_table(curve: pd.DataFrame, *, size: int | None = None) -> pd.DataFrame:
    """Individual-level cohort data for pymc-marketing's ``ShiftedBetaGeoModel`` from retention curves.

    The construction of Fader & Hardie (2007): a cohort of N customers with retention r(t)
    at t = 0..T holds round(N (r(t-1) - r(t))) customers who cancelled in period t
    (``recency`` = t) and round(N r(T)) still active (``recency`` = ``T`` = T + 1, censored).

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`retention_curve` (or any table with ``group``, ``period``, ``retention``).
    size : int, optional
        N per cohort; default each group's ``customers`` (or 1,000).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``recency``, ``T``, ``cohort``: one row per (pseudo) customer.
    """
    rows = []
    for name, g in curve.groupby("group", sort=False):
        g = g.sort_values("period")
        n = size or int(g["customers"].iloc[0]) if "customers" in g else (size or 1000)
        alive = np.round(g["retention"].to_numpy(float) * n).astype(int)
        periods = g["period"].to_numpy(int)
        if len(periods) < 2:
            continue
        T = int(periods[-1]) + 1
        for k in range(1, len(periods)):
            lost = max(int(alive[k - 1] - alive[k]), 0)
            rows += [(int(periods[k]), T, str(name))] * lost
        rows += [(T, T, str(name))] * int(alive[-1])
    out = pd.DataFrame(rows, columns=["recency", "T", "cohort"])
    out.insert(0, "customer_id", np.arange(len(out)))
    return out


#: alpha + beta above this: the fitted churn probabilities are all but identical across customers
#: (the sBG has reached its boundary, a plain geometric model with one constant churn rate per period)
HOMOGENEOUS = 1e4


@dataclass
class SbgFit:
    """A fitted shifted-beta-geometric model, one pymc-marketing model per cohort.

    ``params``: per cohort ``alpha``, ``beta``, ``mean_churn`` = alpha / (alpha + beta) (the
    average probability that a new customer cancels in one period of the tenure unit),
    ``heterogeneous`` (False when
    alpha + beta > :data:`HOMOGENEOUS`: every customer churns at about the same constant rate,
    the likelihood's maximum lies at the geometric boundary), ``log_likelihood`` and
    ``customers`` (pseudo customers fitted).
    """

    estimators: dict
    params: pd.DataFrame

    def ab(self, cohort: str) -> tuple[float, float]:
        row = self.params.set_index("cohort").loc[str(cohort)]
        return float(row["alpha"]), float(row["beta"])


def fit_sbg(cohorts: pd.DataFrame, *, method: str = "map", random_seed: int = 42) -> SbgFit:
    """Fit the sBG to each cohort (its own alpha, beta) and hand the estimates to pymc-marketing's
    ``ShiftedBetaGeoModel`` for predictions.

    With ``method="map"`` the estimate is the maximum likelihood of Fader & Hardie (2007), found
    in numpy (:func:`sbg_mle`: Newton's method on the analytic gradient and Hessian, from the
    best point of a coarse grid, which keeps it from stopping early on the likelihood's long
    flat ridge); it is pymc-marketing's MAP with flat (``HalfFlat``) priors without compiling a
    PyTensor graph. On Fader & Hardie's published "regular" and "high end" data (years 1-7) it
    gives alpha, beta = 0.704, 1.182 and 0.668, 3.806 as the paper does. ``method="mcmc"``
    samples pymc-marketing's model with the same flat priors. Each cohort is fitted on its own
    (the parameters do not interact).

    Raises
    ------
    ValueError
        No cohort has at least two periods, or nobody cancelled.
    """
    import warnings

    from pymc_extras.prior import Prior

    from helpers.models.clv.estimation import map_estimator

    data = cohorts[cohorts["T"] >= 2].assign(cohort=lambda d: d["cohort"].astype(str))
    if data.empty:
        raise ValueError("fit_sbg: no cohort spans two periods or more; the sBG model needs T >= 2")
    if (data["recency"] < data["T"]).sum() == 0:
        raise ValueError("fit_sbg: nobody cancelled in the data, so the dropout rate cannot be estimated")
    pmc = pymc_clv()
    estimators, rows = {}, []
    for name in data["cohort"].unique():
        part = data[data["cohort"] == name]
        if (part["recency"] < part["T"]).sum() == 0:
            continue
        cfg = {"alpha": Prior("HalfFlat", dims="cohort"), "beta": Prior("HalfFlat", dims="cohort")}

        def make(cfg=cfg):
            return pmc.ShiftedBetaGeoModel(model_config=cfg)

        if method == "map":
            a, b = sbg_mle(part)
            model = map_estimator(make, part, {"alpha": [a], "beta": [b]},
                                  dims={"alpha": ["cohort"], "beta": ["cohort"]}, coords={"cohort": [name]})
        else:
            with quiet(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make()
                model.fit(data=part, method=method, progressbar=False, random_seed=random_seed)
            post = model.idata.posterior
            a = float(post["alpha"].mean(("chain", "draw")).to_numpy().ravel()[0])
            b = float(post["beta"].mean(("chain", "draw")).to_numpy().ravel()[0])
        estimators[name] = model
        rows.append({"cohort": name, "alpha": a, "beta": b, "mean_churn": a / (a + b),
                     "heterogeneous": bool(a + b <= HOMOGENEOUS), "log_likelihood": sbg_loglik(a, b, part),
                     "customers": len(part)})
    if not rows:
        raise ValueError("fit_sbg: no cohort has a cancellation, so no dropout rate can be estimated")
    return SbgFit(estimators, pd.DataFrame(rows))


def sbg_mle(cohort: pd.DataFrame) -> tuple[float, float]:
    """The maximum-likelihood (alpha, beta) of one cohort (``recency``, ``T``): Newton's method in a trust
    region on log alpha, log beta with :func:`sbg_derivatives`, from :func:`_grid_start`'s point. Where the
    likelihood keeps rising towards the geometric limit (alpha, beta -> infinity at a fixed ratio) the search
    stops far out on that ridge, where alpha + beta > :data:`HOMOGENEOUS` says so."""
    from helpers.models.clv.mle import maximise

    counts = _counts(cohort)
    fit = maximise(lambda th, h: sbg_derivatives(th, *counts, hessian=h), np.log(_grid_start(cohort)),
                   ("alpha", "beta"))
    return fit.values["alpha"], fit.values["beta"]


def sbg_derivatives(theta: np.ndarray, recency: np.ndarray, T: np.ndarray, n: np.ndarray, hessian: bool = False):
    """The sBG log-likelihood of one cohort, its gradient and (``hessian=True``) Hessian in ``theta`` = log
    (alpha, beta); ``recency``, ``T``, ``n``: the distinct (recency, T) rows and their counts.

    Each row contributes ln B(alpha + d, beta + k) - ln B(alpha, beta) with d = 1, k = recency - 1 for a
    cancellation in period ``recency`` and d = 0, k = T - 1 for a customer still active at T; the
    derivatives of ln B(x, y) = ln G(x) + ln G(y) - ln G(x + y) are digamma and trigamma differences.
    Returns ``(ll, grad)`` or ``(ll, grad, hess)``.
    """
    from scipy.special import betaln, polygamma, psi

    from helpers.models.clv.mle import to_log_space

    nat = np.exp(np.asarray(theta, dtype="float64"))
    a, b = nat
    alive = recency >= T
    d = np.where(alive, 0.0, 1.0)
    k = np.where(alive, T - 1.0, recency - 1.0)
    x, y, s = a + d, b + k, a + b + d + k
    ll = float(np.sum(n * (betaln(x, y) - betaln(a, b))))
    total = n.sum()
    grad = np.array([np.sum(n * (psi(x) - psi(s))) - total * (psi(a) - psi(a + b)),
                     np.sum(n * (psi(y) - psi(s))) - total * (psi(b) - psi(a + b))])
    if not hessian:
        return ll, to_log_space(nat, grad, None)[0]
    t_s, t_ab = np.sum(n * polygamma(1, s)), total * polygamma(1, a + b)
    h_ab = -t_s + t_ab
    hess = np.array([[np.sum(n * polygamma(1, x)) - t_s - total * polygamma(1, a) + t_ab, h_ab],
                     [h_ab, np.sum(n * polygamma(1, y)) - t_s - total * polygamma(1, b) + t_ab]])
    g_log, h_log = to_log_space(nat, grad, hess)
    return ll, g_log, h_log


def sbg_loglik(alpha: float, beta: float, cohort: pd.DataFrame) -> float:
    """Log-likelihood of one cohort (``recency``, ``T``) under the sBG: churned in period t
    contributes B(alpha + 1, beta + t - 1) / B(alpha, beta), still active at T contributes
    S(T - 1) = B(alpha, beta + T - 1) / B(alpha, beta)."""
    from scipy.special import betaln

    r, T, n = _counts(cohort)
    lp = np.where(r >= T, betaln(alpha, beta + T - 1), betaln(alpha + 1, beta + r - 1)) - betaln(alpha, beta)
    return float(np.sum(n * lp))


def _counts(cohort: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = cohort.groupby(["recency", "T"]).size().reset_index(name="n")
    return tuple(counts[c].to_numpy(float) for c in ("recency", "T", "n"))


def _grid_start(cohort: pd.DataFrame) -> tuple[float, float]:
    """The (alpha, beta) of a coarse log-spaced grid with the highest sBG log-likelihood."""
    from scipy.special import betaln

    r, T, n = _counts(cohort)
    g = np.exp(np.linspace(np.log(0.05), np.log(5000.0), 51))
    A, B = np.meshgrid(g, g, indexing="ij")
    A, B = A[..., None], B[..., None]
    lp = np.where(r >= T, betaln(A, B + T - 1), betaln(A + 1, B + r - 1)) - betaln(A, B)
    ll = (n * lp).sum(axis=-1)
    i, j = np.unravel_index(np.argmax(ll), ll.shape)
    return float(g[i]), float(g[j])


def sbg_retention(alpha: float, beta: float, periods) -> np.ndarray:
    """sBG share of a new cohort still a customer after t periods: S(t) = B(alpha, beta + t) / B(alpha, beta)."""
    from scipy.special import betaln

    t = np.asarray(periods, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def remaining_value(df: pd.DataFrame, fit: SbgFit, *, group: str | None = None,
                    yearly_discount_rate: float = 0.10, unit: str = "month") -> pd.DataFrame:
    """Expected remaining tenure (in ``unit``) and value of every customer still under contract.

    A customer with tenure n (whole periods, e.g. years) who has not cancelled has survived n
    renewals: S(n) is known, as in the Kaplan-Meier curve the sBG is fitted to. Their
    discounted expected residual lifetime (DERL, Fader & Hardie 2010; ``pymc-marketing``'s
    ``expected_residual_lifetime`` with its ``T`` = n + 1, the period the customer is in) is

        expected_remaining_tenure = sum over k >= 1 of S(n + k) / S(n) / (1 + r)^(k - 1)

    the further renewals (periods) they are expected to pay for, the first undiscounted and
    each later one discounted by r = :func:`period_rate` (``yearly_discount_rate``, ``unit``)
    = (1 + d)^(1 / periods per year) - 1. It is discounted on purpose: with alpha <= 1 the
    undiscounted expectation is infinite. ``expected_remaining_value`` = charges per period
    (``monthly_charges`` x :func:`charge_factor`: x 12 a year, x 3 a quarter) x that
    (currency, discounted at the same rate). ``sbg_churn_risk`` = 1 - the sBG retention rate
    (beta + n) / (alpha + beta + n) = alpha / (alpha + beta + n): the probability that a
    customer of this cohort and tenure cancels at the next renewal (within the next period).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``cohort``, ``tenure`` (in ``unit``), ``sbg_churn_risk`` (0..1, per
        period), ``expected_remaining_tenure`` (discounted periods of ``unit``),
        ``tenure_unit`` and, with ``monthly_charges``, ``expected_remaining_value``
        (currency); active customers only.
    """
    r = period_rate(yearly_discount_rate, unit)
    active = df[~df["churned"].astype(bool)].copy()
    cohort = survival.column_groups(active, group)
    known = cohort.isin(list(fit.estimators))
    active, cohort = active[known], cohort[known]
    n = np.floor(active["tenure"].to_numpy(float))           # renewals survived
    par = fit.params.set_index("cohort")
    a = cohort.map(par["alpha"]).to_numpy(float)
    b = cohort.map(par["beta"]).to_numpy(float)
    derl = np.full(len(active), np.nan)
    for name, est in fit.estimators.items():
        m = (cohort == name).to_numpy()
        if not m.any():
            continue
        if bool(par.loc[name, "heterogeneous"]):
            # pymc-marketing's T is the period the customer is in: n renewals survived -> period n + 1
            pred = pd.DataFrame({"customer_id": np.arange(int(m.sum())), "T": (n[m] + 1).astype(int), "cohort": name})
            v = est.expected_residual_lifetime(pred, discount_rate=r).mean(("chain", "draw"))
            v = pd.Series(np.asarray(v.values, float).ravel(), index=np.asarray(v["customer_id"].values).ravel())
            derl[m] = v.reindex(pred["customer_id"]).to_numpy()
        else:
            # the geometric limit: a constant renewal probability q = 1 - alpha / (alpha + beta) per period
            q = 1.0 - float(par.loc[name, "mean_churn"])
            derl[m] = q / (1.0 - q / (1.0 + r))
    out = pd.DataFrame({"customer_id": active["customer_id"].to_numpy(), "cohort": cohort.to_numpy(),
                        "tenure": active["tenure"].to_numpy(float),
                        "sbg_churn_risk": a / (a + b + n),
                        "expected_remaining_tenure": derl, "tenure_unit": unit})
    if "monthly_charges" in active.columns:
        per_period = active["monthly_charges"].to_numpy(float) * charge_factor(unit)
        out["expected_remaining_value"] = per_period * out["expected_remaining_tenure"].to_numpy()
    return out.reset_index(drop=True)


def derl_by_hand(alpha: float, beta: float, tenure: int, period_discount: float, terms: int = 20_000) -> float:
    """The discounted expected residual lifetime of a customer alive at ``tenure`` summed term by term
    (a check on the closed form): sum over k >= 1 of S(tenure + k) / S(tenure) / (1 + r)^(k - 1)."""
    k = np.arange(1, terms + 1)
    s = sbg_retention(alpha, beta, tenure + k) / sbg_retention(alpha, beta, tenure)
    return float(np.sum(s / (1.0 + period_discount) ** (k - 1)))


def value_summary(rem: pd.DataFrame) -> pd.DataFrame:
    """Per cohort: active customers, mean expected remaining tenure (in the tenure unit), mean sBG churn
    risk, mean and total remaining value."""
    agg = {"customers": ("customer_id", "size"), "mean_remaining_tenure": ("expected_remaining_tenure", "mean"),
           "mean_sbg_churn_risk": ("sbg_churn_risk", "mean")}
    if "expected_remaining_value" in rem:
        agg |= {"mean_remaining_value": ("expected_remaining_value", "mean"),
                "total_remaining_value": ("expected_remaining_value", "sum")}
    return rem.groupby("cohort").agg(**agg).reset_index()


def fader_hardie_check(periods: int = 8) -> pd.DataFrame:
    """Our sBG fit of the two Fader & Hardie (2007) cohorts (their first ``periods`` retention percentages, 1000
    customers each) beside the paper's estimates: cohort, alpha, beta, paper_alpha, paper_beta."""
    fh = pd.DataFrame([{"group": k, "period": t, "retention": v / 100, "customers": 1000}
                       for k, s in FADER_HARDIE_2007.items() for t, v in enumerate(s[:periods])])
    check = fit_sbg(cohort_table(fh)).params[["cohort", "alpha", "beta"]]
    check["paper_alpha"] = check["cohort"].map(lambda c: FADER_HARDIE_2007_ESTIMATES[c][0])
    check["paper_beta"] = check["cohort"].map(lambda c: FADER_HARDIE_2007_ESTIMATES[c][1])
    return check
