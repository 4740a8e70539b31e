"""The CLV model tournament: candidate models on one calibration/holdout split, scored on what happened.

Every candidate predicts each calibration customer's holdout purchases and spend:

* ``naive``: the past rate (calibration repeat purchases per unit of time x holdout length; spend x the
  customer's mean spend);
* ``bgnbd``, ``mbgnbd``, ``pareto_nbd``: the purchase model (:func:`helpers.models.clv.fit_purchase_model`,
  maximum likelihood) x the Gamma-Gamma spend per purchase (:func:`helpers.models.clv.fit_spend_chain`);
  above ``sample_size`` customers the purchase model is fitted on a seeded sample and scores everyone;
* ``bgbb``: where purchases fall on a weekly or monthly grid of opportunities
  (:func:`helpers.features.customers.purchase_grid`), the discrete-time BG/BB model
  (:mod:`helpers.models.clv.bgbb`) on the calibration histories counted on that grid, x the same
  Gamma-Gamma spend; left out with a note saying how far the data are from a grid otherwise;
* ``gbm``: a two-part gradient-boosting model (scikit-learn ``HistGradientBoosting*``) on RFM,
  inter-purchase and calendar features (:data:`CALENDAR`, when the caller adds them): P(buy in the holdout) x E[purchases | buy] and P(buy) x E[spend | buy],
  trained on the same features one holdout length earlier (features up to ``calibration end - holdout``,
  target in the following holdout length), so it never sees the holdout.

:func:`metrics` scores a prediction (MAE, RMSE, bias of purchases and spend, Spearman, normalised Gini,
decile MAPE, top-10 % capture); :func:`bootstrap_difference` gives a seeded interval on the difference of
the best two; :func:`choose` applies the stated rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.models.clv import bgbb
from helpers.models.clv.estimation import map_convergence
from helpers.models.clv.fit import fit_purchase_model, fit_spend_chain
from helpers.models.clv.predict import expected_purchases, expected_spend
from helpers.models.clv.results import MODEL_NAMES, ClvInputError, ModelFitError, failed_attempt
from helpers.features.customers import GRID_SHARE, UNIT_DAYS
from helpers.phrase import Phrase, Share, Sig

#: candidates from the simplest to the most complex: the choice rule prefers the earlier of two that tie
CANDIDATES = ("naive", "bgbb", "bgnbd", "mbgnbd", "pareto_nbd", "gbm")
#: fewer customers or holdout buyers than these: no tournament (a clear message, never a default choice)
MIN_CUSTOMERS = 100
MIN_HOLDOUT_BUYERS = 30
#: the purchase models are fitted on a seeded sample of this many customers above it, and score everyone
SAMPLE_SIZE = 5000
#: the candidates' names in the sentences
NAMES = {**MODEL_NAMES, "naive": "naive (past rate)", "bgbb": "BG/BB", "gbm": "gradient boosting, two-part"}
#: The candidates whose name has words: a Phrase, written in the report's language (``tour_name_<code>``).
WORDED = ("mbgnbd", "naive", "gbm")


def display_name(code: str):
    """A candidate's name for a sentence: a :class:`~helpers.phrase.Phrase` when it has words, else the name."""
    return Phrase(f"tour_name_{code}") if code in WORDED else NAMES.get(code, code)
FEATURES = ("frequency", "recency", "T", "monetary_value", "since_last", "rate", "gap")
#: calendar features (:func:`helpers.features.customers.calendar_features`) the two-part model uses when present
CALENDAR = ("last_year_window", "last_quarter", "weekend_share")


def normalised_gini(actual, predicted) -> float:
    """Gini of ``actual`` ordered by ``predicted`` divided by the Gini of the perfect order (1 = perfect, 0 = random)."""
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)

    def gini(order_by):
        order = np.lexsort((np.arange(len(a)), -order_by))
        cum = np.cumsum(a[order]) / a.sum()
        return float(np.sum(cum - np.arange(1, len(a) + 1) / len(a)) / len(a))

    if a.sum() <= 0:
        return float("nan")
    return gini(p) / gini(a)


def top_capture(actual, predicted, share: float = 0.1) -> float:
    """Share of the total ``actual`` held by the top ``share`` of customers ranked by ``predicted``."""
    a = np.asarray(actual, dtype=float)
    k = max(int(round(share * len(a))), 1)
    top = np.argsort(-np.asarray(predicted, dtype=float), kind="stable")[:k]
    return float(a[top].sum() / a.sum()) if a.sum() > 0 else float("nan")


def decile_table(actual, predicted, deciles: int = 10) -> pd.DataFrame:
    """Mean actual and predicted per decile of ``predicted`` (decile 1 = highest predicted)."""
    p = np.asarray(predicted, dtype=float)
    rank = np.argsort(np.argsort(-p, kind="stable"), kind="stable")
    d = (rank * deciles // len(p)) + 1
    t = pd.DataFrame({"decile": d, "actual": np.asarray(actual, dtype=float), "predicted": p})
    return t.groupby("decile", as_index=False).agg(customers=("actual", "size"), actual=("actual", "mean"),
                                                   predicted=("predicted", "mean"))


def decile_mape(actual, predicted, deciles: int = 10) -> float:
    """Mean absolute percentage error of the deciles' mean predicted vs mean actual (deciles with actual 0 left out)."""
    t = decile_table(actual, predicted, deciles)
    t = t[t["actual"] > 0]
    return float((abs(t["predicted"] - t["actual"]) / t["actual"]).mean()) if len(t) else float("nan")


def metrics(actual_purchases, predicted_purchases, actual_spend, predicted_spend) -> dict:
    """The tournament's scores of one prediction (purchases and spend per customer in the holdout)."""
    from scipy.stats import spearmanr

    ap, pp = np.asarray(actual_purchases, float), np.asarray(predicted_purchases, float)
    av, pv = np.asarray(actual_spend, float), np.asarray(predicted_spend, float)
    rho = spearmanr(av, pv).statistic if np.ptp(pv) > 0 and np.ptp(av) > 0 else float("nan")
    return {"mae_purchases": float(np.mean(abs(pp - ap))), "rmse_purchases": float(np.sqrt(np.mean((pp - ap) ** 2))),
            "bias_purchases": float(np.mean(pp - ap)), "mae_spend": float(np.mean(abs(pv - av))),
            "rmse_spend": float(np.sqrt(np.mean((pv - av) ** 2))), "bias_spend": float(np.mean(pv - av)),
            "spearman": float(rho), "gini": normalised_gini(av, pv), "decile_mape": decile_mape(av, pv),
            "top10_capture": top_capture(av, pv)}


class _WeightedGini:
    """:func:`normalised_gini` of a bootstrap resample given as counts per customer, in O(n) per resample: the
    customers are sorted once (by the prediction, and by the actual for the perfect order); a customer drawn w
    times adds its w copies in a row, so the sum of the cumulative actual over the resample is, customer by
    customer in that order, w x (actual before it) + actual x w (w + 1) / 2. Ties in the prediction are ordered
    by customer, as :func:`normalised_gini` orders them on the whole data."""

    def __init__(self, actual: np.ndarray, predicted: np.ndarray):
        self.a = actual
        idx = np.arange(len(actual))
        self.by_pred = np.lexsort((idx, -predicted))
        self.by_actual = np.lexsort((idx, -actual))

    def _gini(self, order: np.ndarray, w: np.ndarray) -> float:
        ww, wa = w[order], w[order] * self.a[order]
        total, n = wa.sum(), ww.sum()
        before = np.cumsum(wa) - wa
        cum = np.sum(ww * before + self.a[order] * ww * (ww + 1) / 2) / total
        return float((cum - (n + 1) / 2) / n)

    def normalised(self, w: np.ndarray) -> float:
        if np.sum(w * self.a) <= 0:
            return float("nan")
        return self._gini(self.by_pred, w) / self._gini(self.by_actual, w)


def bootstrap_difference(actual, pred_a, pred_b, *, n: int = 200, seed: int = 42, level: float = 0.9,
                         score=normalised_gini) -> tuple[float, float, float]:
    """``score(a) - score(b)`` on the customers and its seeded bootstrap interval (resampling customers; with the
    default score each resample is counted, not copied: :class:`_WeightedGini`)."""
    a, pa, pb = (np.asarray(x, dtype=float) for x in (actual, pred_a, pred_b))
    rng = np.random.default_rng(seed)
    diffs = []
    fast = (_WeightedGini(a, pa), _WeightedGini(a, pb)) if score is normalised_gini else None
    for _i in range(n):
        idx = rng.integers(0, len(a), len(a))
        if fast:
            w = np.bincount(idx, minlength=len(a)).astype(float)
            diffs.append(fast[0].normalised(w) - fast[1].normalised(w))
        else:
            diffs.append(score(a[idx], pa[idx]) - score(a[idx], pb[idx]))
    lo, hi = np.nanquantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return score(a, pa) - score(a, pb), float(lo), float(hi)


def choose(table: pd.DataFrame, interval: tuple[float, float, float] | None) -> tuple[str, Phrase]:
    """The rule: the best normalised Gini of holdout spend, unless a simpler model (earlier in :data:`CANDIDATES`)
    is the runner-up and the bootstrap interval of the difference best - runner-up contains 0: then the simpler.

    ``table`` has one row per model (index: model code) with column ``gini``; ``interval`` is
    (difference, low, high) of best minus runner-up. Returns the chosen code and the sentence saying why.
    """
    ranked = table["gini"].dropna().sort_values(ascending=False)
    if ranked.empty:
        raise ClvInputError("no candidate has a normalised Gini: the holdout has no spend to rank")
    best = ranked.index[0]
    if len(ranked) > 1 and interval is not None:
        second = ranked.index[1]
        simpler = CANDIDATES.index(second) < CANDIDATES.index(best)
        # two significant digits: a lead of 0.0017 must not read "0.00"
        diff, lo, hi = (Sig(float(v), 2) for v in interval)
        if simpler and interval[1] <= 0 <= interval[2]:
            return second, Phrase("tour_simpler", chosen=display_name(second), best=display_name(best), diff=diff, lo=lo, hi=hi)
        return best, Phrase("tour_best", chosen=display_name(best), second=display_name(second), diff=diff, lo=lo, hi=hi)
    return best, Phrase("tour_only", chosen=display_name(best))


def add_features(summary: pd.DataFrame) -> pd.DataFrame:
    """RFM and inter-purchase features of a BTYD summary: time since last purchase, rate, mean gap."""
    s = summary.copy()
    s["since_last"] = s["T"] - s["recency"]
    s["rate"] = s["frequency"] / s["T"].where(s["T"] > 0)
    s["gap"] = s["recency"] / s["frequency"].where(s["frequency"] > 0)
    return s


def _holdout_spend(s: pd.DataFrame) -> np.ndarray:
    return (s["frequency_holdout"] * s["monetary_value_holdout"]).to_numpy(dtype=float)


def fit_two_part(train: pd.DataFrame, *, seed: int = 42):
    """P(buy) classifier and E[purchases | buy], E[spend | buy] regressors on :data:`FEATURES` of ``train``
    (a calibration/holdout table). Returns a function from a summary to (purchases, spend) predictions."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cols = list(FEATURES) + [c for c in CALENDAR if c in train.columns]
    x = add_features(train)[cols].to_numpy(dtype=float)
    buy = (train["frequency_holdout"] > 0).to_numpy()
    if buy.all() or not buy.any():
        raise ClvInputError("the two-part model needs buyers and non-buyers in its training holdout")
    clf = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=seed).fit(x, buy)
    n_reg = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, random_state=seed)
    n_reg.fit(x[buy], np.log(train["frequency_holdout"].to_numpy(dtype=float)[buy]))
    v_reg = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, random_state=seed)
    v_reg.fit(x[buy], np.log1p(_holdout_spend(train)[buy]))
    # log-scale fits predict the median: the mean of the residuals on the original scale corrects them (smearing)
    n_smear = float(np.mean(np.exp(np.log(train["frequency_holdout"].to_numpy(float)[buy]) - n_reg.predict(x[buy]))))
    v_smear = float(np.mean(np.expm1(np.log1p(_holdout_spend(train)[buy])) / np.expm1(v_reg.predict(x[buy])).clip(1e-9)))

    def predict(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        z = add_features(summary).reindex(columns=cols).fillna({c: 0.0 for c in CALENDAR}).to_numpy(dtype=float)
        p = clf.predict_proba(z)[:, 1]
        return p * np.exp(n_reg.predict(z)) * n_smear, p * np.expm1(v_reg.predict(z)).clip(0) * v_smear

    predict.features = cols
    return predict


def _naive(calhold: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    rate = (calhold["frequency"] / calhold["T"].where(calhold["T"] > 0)).fillna(0).to_numpy(dtype=float)
    n = rate * calhold["duration_holdout"].to_numpy(dtype=float)
    mean = calhold["monetary_value"].where(calhold["frequency"] > 0, calhold.get("first_value", 0)).to_numpy(float)
    return n, n * np.nan_to_num(mean)


def _btyd(calhold: pd.DataFrame, model: str, spend_per_purchase: np.ndarray, sample_size: int, seed: int, unit: str):
    fit_on = calhold.sample(sample_size, random_state=seed) if len(calhold) > sample_size else calhold
    fit = fit_purchase_model(fit_on, model=model, time_unit=unit, standard_errors=False, optimizer="scipy")
    n = expected_purchases(fit, calhold, calhold["duration_holdout"].to_numpy(dtype=float)).to_numpy()
    return n, n * spend_per_purchase


def _bgbb(calhold: pd.DataFrame, grid: dict, spend_per_purchase: np.ndarray, sample_size: int, seed: int,
          unit_days: float):
    x, t_x, n, n_hold = bgbb.opportunities(calhold, grid, calibration_end=grid["calibration_end"],
                                           observation_end=grid["observation_end"], unit_days=unit_days)
    pick = (np.random.default_rng(seed).choice(len(x), sample_size, replace=False) if len(x) > sample_size
            else slice(None))
    with np.errstate(all="ignore"):
        res = bgbb.fit(x[pick], t_x[pick], n[pick])
    reason = map_convergence(bgbb.PARAMS, res.values, res.gradient, res.information, len(x[pick]), res.log_likelihood)
    if reason is not None:                    # the same checks as every other maximum-likelihood fit
        code, fields, text = reason
        raise ModelFitError(f"the BG/BB fit did not converge: {text}", code, fields)
    purchases = bgbb.expected_purchases(res.values, x, t_x, n, n_hold)
    return purchases, purchases * spend_per_purchase


@dataclass
class Tournament:
    """Outcome of :func:`run`: ``table`` (one row per model, the :func:`metrics` columns), ``predictions`` (per
    customer: actual and each model's predicted holdout spend), the choice, its ``reason`` and ``notes``."""

    table: pd.DataFrame
    predictions: pd.DataFrame
    chosen: str
    reason: Phrase
    interval: tuple[float, float, float] | None
    sample_size: int
    notes: list[Phrase] = field(default_factory=list)


def unavailable(why: str) -> Tournament:
    """The outcome when no tournament can be run on the data: no table, no choice, the reason."""
    return Tournament(pd.DataFrame(), pd.DataFrame(), "", Phrase("tour_unavailable", why=why), None, 0)


def check_size(calhold: pd.DataFrame) -> None:
    """Raise :class:`ClvInputError` when there are too few customers or holdout buyers for a tournament."""
    buyers = int((calhold["frequency_holdout"] > 0).sum()) if len(calhold) else 0
    if len(calhold) < MIN_CUSTOMERS or buyers < MIN_HOLDOUT_BUYERS:
        raise ClvInputError(f"a CLV model tournament needs at least {MIN_CUSTOMERS} calibration customers and "
                            f"{MIN_HOLDOUT_BUYERS} of them buying in the holdout; the data have {len(calhold):,} "
                            f"and {buyers:,} (use a longer window or a shorter holdout)")


def run(calhold: pd.DataFrame, train: pd.DataFrame | None, *, time_unit: str, models=CANDIDATES,
        sample_size: int = SAMPLE_SIZE, seed: int = 42, n_boot: int = 200, grid: dict | None = None) -> Tournament:
    """Score every candidate of ``models`` on ``calhold`` (:func:`helpers.features.customers.calibration_holdout`);
    ``train`` is the same table one holdout length earlier (the two-part model's training data; None leaves it
    out, with a note). Both may carry the :data:`CALENDAR` columns. ``grid``:
    :func:`helpers.features.customers.purchase_grid` plus ``calibration_end`` and ``observation_end``; BG/BB
    runs when it names a grid, and is left out with a note otherwise (or when ``grid`` is None). A candidate
    that cannot be fitted is left out with a note."""
    check_size(calhold)
    calhold = calhold.reset_index(drop=True)
    spend = fit_spend_chain(calhold, random_seed=seed, standard_errors=False)
    per_purchase = expected_spend(spend, calhold).to_numpy(dtype=float)
    actual_n = calhold["frequency_holdout"].to_numpy(dtype=float)
    actual_v = _holdout_spend(calhold)
    preds, rows, notes = {}, {}, []
    for m in models:
        try:
            if m == "naive":
                preds[m] = _naive(calhold)
            elif m == "bgbb":
                if grid is None or grid.get("grid") is None:
                    if grid is not None:
                        notes.append(Phrase("tour_no_grid", weekday=Share(grid["weekday_share"]),
                                            day=Share(grid["day_share"]), needed=Share(GRID_SHARE)))
                    continue
                preds[m] = _bgbb(calhold, grid, per_purchase, sample_size, seed, UNIT_DAYS[time_unit])
                share = grid["day_share"] if grid["grid"] == "M" else grid["weekday_share"]
                notes.append(Phrase(f"tour_grid_{grid['grid'].lower()}", share=Share(share)))
            elif m == "gbm":
                if train is None or len(train) < MIN_CUSTOMERS:
                    notes.append(Phrase("tour_no_training", model=display_name(m)))
                    continue
                preds[m] = fit_two_part(train, seed=seed)(calhold)
            else:
                preds[m] = _btyd(calhold, m, per_purchase, sample_size, seed, time_unit)
        except Exception as exc:           # noqa: BLE001 - one failing candidate leaves the others to compare
            why = (failed_attempt(m, exc).phrase.fields["why"] if isinstance(exc, ModelFitError)  # the reason alone
                   else f"{type(exc).__name__}: {exc}"[:200])
            notes.append(Phrase("tour_failed", model=display_name(m), error=why))
            continue
        rows[m] = metrics(actual_n, preds[m][0], actual_v, preds[m][1])
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    ranked = table["gini"].dropna().sort_values(ascending=False).index
    interval = (bootstrap_difference(actual_v, preds[ranked[0]][1], preds[ranked[1]][1], n=n_boot, seed=seed)
                if len(ranked) > 1 else None)
    chosen, reason = choose(table, interval)
    out = pd.DataFrame({"customer_id": calhold["customer_id"], "actual_spend": actual_v,
                        **{f"pred_{m}": p[1] for m, p in preds.items()}})
    return Tournament(table, out, chosen, reason, interval, min(sample_size, len(calhold)), notes)
