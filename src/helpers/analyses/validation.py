"""Why trust the numbers: the models' answers beside a known truth, as one table of checks.

Each check compares an estimate with what is known to be true — the synthetic generator's
planted truth (:func:`helpers.io.synth.load_truth`) or a published estimate (CDNOW) — and states
its tolerance and why that tolerance, so it passes or fails visibly. The functions reuse the
tested models (:mod:`helpers.models.clv`, ``segments``, ``baskets``, ``upsell``); nothing is
re-estimated here in a different way from the notebooks 03, 04 and 06.

The holdout accuracy, which works on any data, is in :mod:`helpers.analyses.holdout`; the table of
checks (:class:`Check`) in :mod:`helpers.analyses.checks`. Both are re-exported here.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import i18n
from helpers.analyses.checks import REFERENCE_AREAS, Check, checks_table, checks_verdict, failed_check
from helpers.analyses.holdout import (FORECASTS, FREQUENCY_BUCKETS, frequency_bucket, holdout_accuracy, holdout_checks,
                                      holdout_forecasts, holdout_validation)
from helpers.i18n import _, pgettext, fmt_spec
from helpers.errors import DataError

__all__ = [
    # the table of checks
    "Check", "checks_table", "checks_verdict",
    # holdout accuracy
    "FORECASTS", "FREQUENCY_BUCKETS", "frequency_bucket", "holdout_accuracy", "holdout_checks", "holdout_forecasts",
    "holdout_validation",
    # checks against a known truth
    "CDNOW_CALIBRATION_END", "CDNOW_PUBLISHED", "FAMILY_PATTERN", "SyntheticValidation", "ari_check",
    "btyd_truth_checks", "bundle_checks", "bundle_ranks", "calibration_table", "cdnow_checks", "cluster_labels",
    "complaint_check", "complaint_effect_check", "complaint_verdict", "mean_spend_check", "p_alive_checks", "parameter_checks",
    "tier_check",
]

#: published estimates on the CDNOW 1/10 sample, 39-week calibration, weeks (../shared/data/README.md)
CDNOW_PUBLISHED = {"bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
                   "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.44}}
CDNOW_CALIBRATION_END = dt.date(1997, 9, 30)
#: synthetic bundle pattern of the price ladder's family names (as in notebook 06)
FAMILY_PATTERN = r"\s+-\s+\w+$"


# --------------------------------------------------------------------------------------
# tolerances
# --------------------------------------------------------------------------------------
def _tol_log_se(n_se: float, tol: float, dist: float) -> str:
    return i18n._("|log est − log truth| ≤ {n_se} SE = {tol} (distance {dist})", n_se=fmt_spec(n_se, "g"), tol=fmt_spec(tol, ".3f"), dist=fmt_spec(dist, ".3f"))


# --------------------------------------------------------------------------------------
# parameters: BG/NBD, Gamma-Gamma
# --------------------------------------------------------------------------------------
def parameter_checks(fit, truth: dict[str, float], *, area: str, n_se: float = 4.0,
                     allowance: dict[str, float] | None = None, rel_without_se: float = 0.25) -> list[Check]:
    """Each fitted parameter against its true value, on the log scale.

    Parameters
    ----------
    fit : helpers.models.clv.PurchaseFit or SpendFit
        A MAP fit with flat priors (``cov_log`` = covariance of the log-parameters from the
        observed information, in ``fit.params`` order).
    truth : dict
        True value per parameter name of ``fit.params`` (same time unit and currency).
    n_se : float
        Passes when |log estimate − log truth| ≤ n_se · se(log estimate) + allowance.
    allowance : dict, optional
        A known, documented bias per parameter on the log scale (e.g. the synthetic shop's
        order-value rounding moves Gamma-Gamma's p about 6 % down and γ 10 % up).
    rel_without_se : float
        Tolerance as a relative error when the fit has no standard errors.

    Returns
    -------
    list of Check
    """
    allowance = allowance or {}
    names = list(fit.params.index)
    se = (np.sqrt(np.clip(np.diag(fit.cov_log), 0, None)) if fit.cov_log is not None
          else np.full(len(names), np.nan))
    out = []
    for name, s in zip(names, se):
        if name not in truth:
            continue
        est, tru = float(fit.values[name]), float(truth[name])
        dist = abs(math.log(est) - math.log(tru)) if est > 0 and tru > 0 else math.inf
        extra = allowance.get(name, 0.0)
        if np.isfinite(s):
            tol = n_se * s + extra
            text = _tol_log_se(n_se, tol, dist)
            why = i18n._("{n_se} standard errors of the fit's own sampling error (SE of log {name} = {se}): a correct pipeline fails less than 0.01 % of the time", n_se=fmt_spec(n_se, "g"), name=name, se=fmt_spec(s, ".3f"))
            if extra:
                why += i18n._("; plus {extra} for the documented rounding bias of the synthetic order values", extra=fmt_spec(extra, ".0%"))
        else:
            tol = math.log(1 + rel_without_se)
            text = i18n._("within {rel} (distance {dist} on the log scale)", rel=fmt_spec(rel_without_se, ".0%"), dist=fmt_spec(dist, ".3f"))
            why = i18n._("no standard errors from this fit: a fixed relative tolerance")
        out.append(Check(area, name, tru, est, text, why, bool(dist <= tol)))
    return out


def mean_spend_check(spend_fit, truth_mean: float, *, n_se: float = 4.0, area: str = "Gamma-Gamma") -> Check:
    """Population mean spend per purchase p·v/(q−1) against the truth p·γ/(q−1) (currency).

    The tolerance is ``n_se`` standard errors by the delta method on the fit's covariance of
    the log-parameters: d log(mean) / d log(p, q, v) = (1, −q/(q−1), 1).
    """
    p, q, v = (spend_fit.values[k] for k in ("p", "q", "v"))
    est = spend_fit.population_mean_spend
    name = i18n._("mean spend per purchase p·γ/(q−1)")
    if spend_fit.cov_log is None or not np.isfinite(est):
        return failed_check(area, name, truth_mean, i18n._("delta-method standard error"), i18n._("no covariance or q ≤ 1"))
    g = np.array([1.0, -q / (q - 1), 1.0])
    se = math.sqrt(max(float(g @ spend_fit.cov_log @ g), 0.0))
    dist = abs(math.log(est) - math.log(truth_mean))
    return Check(area, name, truth_mean, est, _tol_log_se(n_se, n_se * se, dist),
                 i18n._("{n_se} delta-method standard errors; the order-value rounding leaves the mean unbiased", n_se=fmt_spec(n_se, "g")),
                 bool(dist <= n_se * se))


# --------------------------------------------------------------------------------------
# P(alive) against who truly dropped out
# --------------------------------------------------------------------------------------
def calibration_table(predicted, observed, *, bins: int = 10) -> pd.DataFrame:
    """Predicted probability against the observed share, in equal-width bins of the prediction.

    Parameters
    ----------
    predicted : array-like
        Probabilities in [0, 1] (e.g. P(alive)).
    observed : array-like of bool
        What happened (e.g. truly alive at the end).

    Returns
    -------
    DataFrame
        ``bin`` (e.g. "0.9–1.0"), ``customers``, ``predicted`` (mean prediction) and
        ``observed`` (share true), one row per non-empty bin. ``attrs["ece"]`` is the
        expected calibration error Σ_bins (customers / n) · |predicted − observed|.
    """
    p = np.asarray(predicted, dtype="float64")
    y = np.asarray(observed, dtype="float64")
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f"calibration_table: {p.size} predictions and {y.size} outcomes; they must match and be > 0")
    if np.nanmin(p) < 0 or np.nanmax(p) > 1:
        raise ValueError("calibration_table: predictions must be probabilities in [0, 1]")
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    t = pd.DataFrame({"i": idx, "p": p, "y": y}).groupby("i").agg(customers=("p", "size"), predicted=("p", "mean"),
                                                                   observed=("y", "mean")).reset_index()
    t["bin"] = [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in t["i"]]
    t = t[["bin", "customers", "predicted", "observed"]]
    t.attrs["ece"] = float((t["customers"] * (t["predicted"] - t["observed"]).abs()).sum() / t["customers"].sum())
    return t


def p_alive_checks(p_alive: pd.Series, alive: pd.Series, summary: pd.DataFrame, *, min_auc: float = 0.85,
                   max_ece: float = 0.10) -> tuple[list[Check], pd.DataFrame]:
    """P(alive) against the generator's truth: ranking (ROC-AUC) and calibration.

    Parameters
    ----------
    p_alive : Series
        P(alive) by customer_id (:func:`helpers.models.clv.p_alive`).
    alive : Series of bool
        True state at the end of the window by customer_id (truth ``alive_at_end``).
    summary : DataFrame
        The BTYD summary (customer_id, frequency, recency, T) the P(alive) was computed from.

    Returns
    -------
    (list of Check, calibration table of :func:`calibration_table`)
    """
    from sklearn.metrics import roc_auc_score

    s = summary.set_index("customer_id").loc[p_alive.index]
    y = alive.reindex(p_alive.index)
    if y.isna().any():
        raise ValueError(f"p_alive_checks: {int(y.isna().sum())} customers have no true state in the truth table")
    y = y.astype(bool).to_numpy()
    pa = p_alive.to_numpy(dtype="float64")
    checks = []
    area = "P(alive)"
    if y.all() or not y.any():
        checks.append(failed_check(area, i18n._("ROC-AUC, all customers"), f"> {fmt_spec(min_auc)}", "ROC-AUC",
                                   i18n._("everyone in one class")))
    else:
        auc = float(roc_auc_score(y, pa))
        checks.append(Check(area, i18n._("ROC-AUC, all customers (1 = perfect ranking, 0.5 = a coin)"), f"> {fmt_spec(min_auc)}", auc,
                            f"ROC-AUC ≥ {fmt_spec(min_auc)}", i18n._("one-time buyers are alive by the generator's convention and get P(alive) = 1, so over everyone a sound model ranks very well"), bool(auc >= min_auc)))
        rep = (s["frequency"] > 0).to_numpy()
        if y[rep].all() or not y[rep].any():
            checks.append(failed_check(area, i18n._("ROC-AUC, repeat buyers vs time since last purchase"), i18n._("beats the baseline"),
                                       "ROC-AUC", i18n._("repeat buyers all in one class")))
        else:
            auc_rep = float(roc_auc_score(y[rep], pa[rep]))
            since = -(s["T"] - s["recency"]).to_numpy()[rep]
            base = float(roc_auc_score(y[rep], since))
            checks.append(Check(area, i18n._("ROC-AUC among repeat buyers, against the model-free score (time since the last purchase)"), f"> {fmt_spec(base, '.3f')}", auc_rep,
                                i18n._("ROC-AUC above the model-free score's"), i18n._("the model must rank dropouts better than recency alone, or it adds nothing"), bool(auc_rep > base)))
    cal = calibration_table(pa, y)
    ece = cal.attrs["ece"]
    checks.append(Check(area, i18n._("calibration: expected calibration error Σ share·|predicted − observed|"), f"≤ {fmt_spec(max_ece)}", ece, f"ECE ≤ {fmt_spec(max_ece)}",
                        i18n._("the model is fitted on all customer types at once (a mixture), so its probabilities may be off by a few points; 10 points would mislead a campaign"), bool(ece <= max_ece)))
    return checks, cal


# --------------------------------------------------------------------------------------
# clusters, bundles, tiers
# --------------------------------------------------------------------------------------
def ari_check(types, labels, *, permutations: int = 200, seed: int = 0, quantile: float = 0.99) -> tuple[Check, np.ndarray]:
    """Adjusted Rand index of clusters against planted types, against chance by permutation.

    Passes when the ARI is above the ``quantile`` of the ARIs of ``permutations`` random
    shuffles of the types (what clusters carrying no information about the types would get).
    Returns the check and the permuted ARIs.
    """
    from sklearn.metrics import adjusted_rand_score

    t = np.asarray(types).astype(str)
    lab = np.asarray(labels)
    ari = float(adjusted_rand_score(t, lab))
    rng = np.random.default_rng(seed)
    null = np.array([adjusted_rand_score(rng.permutation(t), lab) for _unused in range(permutations)])
    cut = float(np.quantile(null, quantile))
    return Check("clusters", i18n._("adjusted Rand index: k-means clusters vs planted customer types"), f"> {fmt_spec(cut, '.3f')}", ari,
                 i18n._("above the {quantile} quantile of {permutations} shuffles ({cut})", quantile=fmt_spec(quantile, ".0%"), permutations=permutations,
                        cut=fmt_spec(cut, ".3f")),
                 i18n._("the types overlap by design (70 % are 'regular', others differ in degree), so a high ARI is not expected; the clusters must still carry the types better than chance"), bool(ari > cut)), null


def bundle_checks(ranks: pd.DataFrame, *, min_found: float = 0.8, top: int = 50) -> list[Check]:
    """Planted bundles (truth) against the rules found: found at all, and near the top by lift.

    ``ranks``: :func:`helpers.models.baskets.planted_bundle_ranks` (bundle, size, rank, lift,
    confidence) on rules sorted by lift, each itemset once.
    """
    n = len(ranks)
    found = ranks["rank"].notna()
    share = float(found.mean()) if n else math.nan
    need = i18n._("≥ {share} of {n}", share=fmt_spec(min_found, ".0%"), n=n)
    out = [Check("bundles", i18n._("planted bundles found as a rule on exactly their products"), need, share,
                 i18n._("share ≥ {share}", share=fmt_spec(min_found, ".0%")), i18n._("rare bundles (a head product bought a few times) may stay below the support threshold; most must be found"),
                 bool(n and share >= min_found))]
    top_share = float((ranks["rank"] <= top).mean()) if n else math.nan
    out.append(Check("bundles", i18n._("planted bundles among the top {top} rules by lift", top=top), need, top_share,
                     i18n._("share ≥ {share}", share=fmt_spec(min_found, ".0%")), i18n._("a planted bundle is bought together far above chance, so its rule must rank high, not just exist"),
                     bool(n and top_share >= min_found)))
    return out


def tier_check(comparison: dict, *, min_match: float = 0.9) -> Check:
    """Planted price ladders against the up-sell ladder (:func:`helpers.models.upsell.compare_tiers`)."""
    rate = comparison["match_rate"]
    return Check("price ladders", i18n._("products given their planted tier ({n} products)", n=comparison["products"]),
                 f"≥ {fmt_spec(min_match, '.0%')}", rate, i18n._("match rate ≥ {share}", share=fmt_spec(min_match, ".0%")),
                 i18n._("the ladder reads the grade from the product name's family and orders it by price; a few products whose observed price strays may move one tier"), bool(rate == rate and rate >= min_match))


# --------------------------------------------------------------------------------------
# complaints: the factor on the dropout hazard
# --------------------------------------------------------------------------------------
def complaint_effect_check(fit, planted: float, *, n_se: float = 3.0) -> Check:
    """The complaint factor k of :func:`helpers.models.voice.fit_complaint_hazard` against the planted one.

    Passes when |log k̂ − log k| ≤ ``n_se`` · SE(log k̂), the fit's own sampling error (Wald, from the
    observed information). With 3 SE a correct pipeline fails about 0.3 % of the time. The ``why`` text
    states the check's power too: how often an estimator centred on k = 1 (one that misses the effect)
    would still land inside the window, Φ(n_se − |log k| / SE); on the default shop (about 420
    complainers, SE of log k about 0.17) that is about 12 %. A fit's display interval (90 % in notebook
    09) is not a pass/fail tolerance: a correct pipeline falls outside it in one run of ten.
    """
    area, name = "complaints", i18n._("complaint factor k on the dropout hazard")
    se = float(fit.params.loc["k", "se"])
    if not (math.isfinite(se) and fit.k > 0 and planted > 0):
        return failed_check(area, name, planted, i18n._("{n_se} standard errors of log k", n_se=fmt_spec(n_se, "g")),
                            i18n._("no standard error"))
    dist = abs(math.log(fit.k) - math.log(planted))
    tol = n_se * se
    return Check(area, name, planted, fit.k,
                 _tol_log_se(n_se, tol, dist),
                 i18n._("{n_se} standard errors of the fit's own sampling error (SE of log k = {se}; {n} complainers): a correct pipeline fails about {fail} of the time; an estimate centred on k = 1 (no effect, {away} SE from the truth) would pass {passes} of the time", n_se=fmt_spec(n_se, "g"), se=fmt_spec(se, ".3f"),
                        n=fmt_spec(fit.n_complained, ","), fail=fmt_spec(2 * _normal_sf(n_se), ".1%"),
                        away=fmt_spec(abs(math.log(planted)) / se, ".1f"),
                        passes=fmt_spec(_normal_sf(abs(math.log(planted)) / se - n_se), ".0%")), bool(dist <= tol))


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


# --------------------------------------------------------------------------------------
# everything on synthetic data
# --------------------------------------------------------------------------------------
@dataclass
class SyntheticValidation:
    """Outcome of :func:`synthetic_checks`: the checks and the tables behind them (None if not computed)."""

    checks: list[Check]
    parameters: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    p_alive: pd.DataFrame | None = None
    bundles: pd.DataFrame | None = None
    tiers: pd.DataFrame | None = None
    ari_null: np.ndarray | None = None
    notes: list[str] | None = None


def btyd_truth_checks(summary: pd.DataFrame, truth: dict, *, time_unit: str = "W",
                      n_se: float = 4.0) -> SyntheticValidation:
    """BG/NBD and Gamma-Gamma on the planted "regular" customers, and P(alive) on everyone.

    The generator draws the regulars exactly from the headline parameters (weekly λ, spend in
    the data's currency), so a fit on them must recover the headline; the other types follow
    other parameters, so P(alive) is judged on everyone against the true dropout. The fits go
    through the CLV module's recovery chains; the notes name the step when it is not maximum
    likelihood, and checks of quantities the step used does not have fail with that reason.
    """
    from helpers.models import clv

    if time_unit != "W":
        raise ValueError(f"btyd_truth_checks: the generator's rates are per week; give a weekly summary (not {time_unit!r})")
    h = truth["params"]["headline"]
    reg_ids = truth["customers"].loc[truth["customers"]["type"] == "regular", "customer_id"].astype(str)
    s = summary.assign(customer_id=summary["customer_id"].astype(str))
    reg = s[s["customer_id"].isin(set(reg_ids))].reset_index(drop=True)
    checks: list[Check] = []
    notes: list[str] = []
    rows = []
    # every fit goes through the CLV module's recovery chain; a step other than the first is named
    # in the notes, and a step without the parameters (or P(alive)) checked fails those checks, saying why
    fit = clv.fit_purchase_chain(reg, time_unit="W")
    if fit.attempts:
        notes.append(i18n._("BG/NBD on the regulars: {exc}", exc=i18n.say(fit.source.phrase)))
    if fit.model == "bgnbd":
        checks += parameter_checks(fit, {k: h[k] for k in ("r", "alpha", "a", "b")}, area="BG/NBD (regulars)", n_se=n_se)
        rows.append(fit.params.assign(model="BG/NBD", truth=[h[k] for k in fit.params.index]))
    else:
        checks += [failed_check("BG/NBD (regulars)", k, h[k], i18n._("maximum likelihood"), i18n.say(fit.source.phrase))
                   for k in ("r", "alpha", "a", "b")]
    sp = clv.fit_spend_chain(reg)
    if sp.attempts:
        notes.append(i18n._("Gamma-Gamma on the regulars: {exc}", exc=i18n.say(sp.source.phrase)))
    if sp.model == "gamma_gamma":
        true_spend = {"p": h["p"], "q": h["q"], "v": h["gamma"]}
        checks += parameter_checks(sp, true_spend, area="Gamma-Gamma (regulars)", n_se=n_se,
                                   allowance={"p": math.log(1 / 0.94), "v": math.log(1.10)})
        checks.append(mean_spend_check(sp, h["p"] * h["gamma"] / (h["q"] - 1), n_se=n_se, area="Gamma-Gamma (regulars)"))
        rows.append(sp.params.assign(model="Gamma-Gamma", truth=[true_spend[k] for k in sp.params.index]))
    else:
        checks.append(failed_check("Gamma-Gamma (regulars)", "p, q, γ", i18n.pgettext("val", "headline"),
                                   i18n._("maximum likelihood"), i18n.say(sp.source.phrase)))
    cal = pa_table = None
    fit_all = clv.fit_purchase_chain(s, time_unit="W")
    if fit_all.attempts:
        notes.append(i18n._("BG/NBD on all customers: {exc}", exc=i18n.say(fit_all.source.phrase)))
    if fit_all.has_p_alive:
        pa = clv.p_alive(fit_all, s)
        alive = truth["customers"].assign(customer_id=truth["customers"]["customer_id"].astype(str)) \
            .set_index("customer_id")["alive_at_end"]
        pa_checks, cal = p_alive_checks(pa, alive, s)
        checks += pa_checks
        pa_table = pd.DataFrame({"customer_id": pa.index, "p_alive": pa.to_numpy(),
                                 "alive": alive.reindex(pa.index).astype(bool).to_numpy(),
                                 "frequency": s.set_index("customer_id").loc[pa.index, "frequency"].to_numpy()})
    else:
        checks.append(failed_check("P(alive)", i18n._("ROC-AUC and calibration"), i18n._("true dropout"),
                                   "P(alive)", i18n.say(fit_all.source.phrase)))
    params = pd.concat(rows).rename_axis("parameter").reset_index() if rows else None
    return SyntheticValidation(checks, parameters=params, calibration=cal, p_alive=pa_table, notes=notes)


def cluster_labels(lines, rfm: pd.DataFrame, *, analysis_date: dt.date, features=("recency_days", "frequency",
                   "monetary", "avg_order_value"), ks=range(3, 9), seed: int = 0) -> tuple[pd.Series, int]:
    """k-means clusters as notebook 03 makes them (its default features, k by silhouette).

    Returns the label per customer_id and the chosen k.
    """
    from helpers.models import segments

    extra = segments.customer_features(lines, analysis_date=analysis_date)
    table = rfm.astype({"customer_id": "string"}).merge(extra, on="customer_id", how="left") \
        .fillna({"avg_unit_price": 0.0})
    X, _unused = segments.feature_matrix(table, [f for f in features if f in table.columns])
    curve = segments.silhouette_curve(X, ks, seed=seed)
    k = segments.choose_k(curve)
    labels = segments.kmeans_labels(X, k, seed=seed)
    return pd.Series(labels, index=pd.Index(table["customer_id"].astype(str), name="customer_id"), name="cluster"), k


def bundle_ranks(lines, bundles: list[dict], *, min_support: float = 0.005, min_count: int = 5, max_len: int = 3,
                 min_item_baskets: int = 3) -> pd.DataFrame:
    """Rules mined as notebook 06 does (FP-growth, its default thresholds) and the rank of each planted bundle."""
    from helpers.models import baskets as bk

    items = bk.basket_items(lines, min_item_baskets=min_item_baskets).execute()
    itemsets = bk.frequent_itemsets(items, min_support=min_support, min_count=min_count, max_len=max_len)
    rules = bk.association_rules(itemsets, min_confidence=0.0, min_lift=1.0)
    ranked = bk.filter_rules(rules, sort_by="lift", one_direction=True)
    return bk.planted_bundle_ranks(ranked, bundles)


@dataclass
class Recovery:
    """Outcome of :func:`recovery_checks`: the checks, the k-means labels (and their k) beside the planted type
    of each labelled customer, and the planted bundles' ranks (None without products)."""

    checks: list[Check]
    labels: pd.Series
    k: int
    types: pd.Series
    ranks: pd.DataFrame | None = None


def recovery_checks(prep, lines, truth: dict) -> Recovery:
    """Notebook 12's recovery checks on synthetic data: do the k-means clusters of notebook 03 find the planted
    customer types (adjusted Rand index against chance); with products, do the rules of notebook 06 rank the
    planted bundles and does the price ladder find the planted tiers; with feedback, is the complaint effect
    of notebook 09 near the planted one."""
    from helpers.models import baskets as bk, upsell as up

    labels, k = cluster_labels(lines, prep.read("customers_rfm"), analysis_date=prep.end)
    types = truth["customers"].assign(customer_id=truth["customers"]["customer_id"].astype(str)).set_index("customer_id")["type"]
    types = types.reindex(labels.index)
    checks, ranks = [ari_check(types, labels)[0]], None
    if prep.has.get("product_id"):
        ranks = bundle_ranks(lines, truth["bundles"])
        ladder = up.price_ladder(bk.item_catalogue(lines), n_tiers=3, family_pattern=FAMILY_PATTERN)
        checks += bundle_checks(ranks) + [tier_check(up.compare_tiers(ladder, truth["tiers"]))]
    if "feedback" in prep.tables and "feedback" in truth:
        from helpers import fitted

        # notebook 09's fit with its default settings, stored once per run (helpers.fitted)
        checks.append(complaint_verdict(*fitted.complaint_hazard(prep), truth))
    return Recovery(checks, labels, k, types, ranks)


# --------------------------------------------------------------------------------------
# CDNOW: the published estimates beside ours
# --------------------------------------------------------------------------------------
def cdnow_checks(path, *, rel: float = 0.01) -> tuple[list[Check], pd.DataFrame]:
    """Fit BG/NBD and Gamma-Gamma on the CDNOW 1/10 sample as published and compare.

    Fader, Hardie & Lee (2005): 2,357 customers, calibration 1997-01-01 .. 1997-09-30, time
    in weeks, maximum likelihood: r = 0.243, α = 4.414, a = 0.793, b = 2.426; Gamma-Gamma on
    the mean repeat spend: p = 6.25, q = 3.74, γ = 15.44 (:data:`CDNOW_PUBLISHED`).

    Parameters
    ----------
    path : path-like
        ``CDNOW_sample.txt`` (see ``../shared/data/README.md``).
    rel : float
        Relative tolerance: the papers print 3-4 significant digits, so 1 %.

    Returns
    -------
    (list of Check, DataFrame of parameter, model, published, ours)
    """
    from helpers.features import customers
    from helpers.io import engine
    from helpers.models import clv
    from helpers.io.read import read_cdnow

    lines = read_cdnow(path)
    con = engine.connect()
    s = customers.btyd_summary(engine.table(con, lines), observation_end=CDNOW_CALIBRATION_END,
                               time_unit="W").execute()
    fits = {"bgnbd": clv.fit_purchase_model(s, time_unit="W", standard_errors=False),
            "gamma_gamma": clv.fit_spend_model(s)}
    checks, rows = [], []
    label = dict(zip(("bgnbd", "gamma_gamma"), REFERENCE_AREAS[:2]))
    for model, published in CDNOW_PUBLISHED.items():
        for k, v in published.items():
            ours = fits[model].values[k]
            err = ours / v - 1
            checks.append(Check(label[model], k, v, ours,
                                i18n._("within {rel} (error {err})", rel=fmt_spec(rel, ".0%"), err=fmt_spec(err, "+.2%")),
                                i18n._("the published maximum-likelihood estimate, printed to 3-4 digits; MAP with flat priors is the same estimator"), bool(abs(err) <= rel)))
            rows.append({"model": label[model], "parameter": k, "published": v, "ours": ours})
    checks.append(Check(REFERENCE_AREAS[2], i18n._("customers / repeat customers in the calibration period"), "2357 / 946",
                        f"{len(s)} / {int((s['frequency'] > 0).sum())}", i18n._("exactly equal"),
                        i18n._("the paper's counts: a different count means a different reading of the data"),
                        bool(len(s) == 2357 and int((s["frequency"] > 0).sum()) == 946)))
    return checks, pd.DataFrame(rows)


def complaint_check(lines: pd.DataFrame, feedback: pd.DataFrame, truth: dict, *, observation_end, time_unit: str = "W",
                    n_se: float = 3.0) -> Check:
    """Notebook 09's complaint effect, end to end, against the planted factor (:func:`complaint_effect_check`).

    ``lines``: clean sales lines with ``customer_id``, ``invoice``, ``invoice_ts``; ``feedback``: the
    prepared feedback table; ``truth``: :func:`helpers.io.synth.load_truth` with a ``feedback`` part.
    """
    from helpers.models import voice

    try:
        fb = voice.check_feedback(feedback)
        hist = voice.complaint_histories(lines, fb, observation_end=observation_end, time_unit=time_unit)
        fit, err = voice.fit_complaint_hazard(hist, time_unit=time_unit), None
    except DataError as exc:
        fit, err = None, exc
    return complaint_verdict(fit, err, truth, n_se=n_se)


def complaint_verdict(fit, err: Exception | None, truth: dict, *, n_se: float = 3.0) -> Check:
    """The complaint check of a fit (or of why there is none) against the planted factor."""
    planted = float(truth["feedback"]["complaint_hazard_factor"])
    if fit is None:
        return failed_check("complaints", i18n._("complaint factor k on the dropout hazard"), planted,
                            i18n._("{n_se} standard errors of log k", n_se=fmt_spec(n_se, "g")), hazard_error_text(err))
    return complaint_effect_check(fit, planted, n_se=n_se)


def hazard_error_text(err: Exception) -> str:
    """Why :func:`helpers.models.voice.fit_complaint_hazard` gave no fit, in the report language
    (too few complainers: the glossary text with the error's ``counts``; other errors as they are).
    Notebook 09 reads it from :mod:`helpers.plots.voice`."""
    counts = getattr(err, "counts", None)
    if isinstance(err, DataError) and err.rule == "too-few-complaints" and counts:
        why = i18n._("{n} customers complained and {after} of them bought again at or after the complaint; the complaint effect on dropout needs at least 10 complainers and {min_after} with a repeat purchase at or after the complaint", **counts)
        where = i18n._("{file}: column '{column}'", file=err.file, column=err.column) if err.column else str(err.file)
        return f"{where}: {why} [rule: {err.rule}]"
    return str(err)
