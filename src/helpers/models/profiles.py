"""Demographic and regional profiles of customer groups (RFM segments, clusters, CLV tiers).

Input: the prepared ``attributes`` table (``prep.read("attributes")``): ``customer_id`` plus
any of the standard columns :data:`DEMOGRAPHICS` (``region``, ``age_band``, ``income_band``,
``household_size``) and other customer columns. Each group label (segment, cluster, tier) is
cross-tabulated with each attribute:

* :func:`crosstab_test`: counts, row shares, the test that suits the table (Pearson
  chi-square; Fisher's exact test for a 2 x 2 table with an expected count below 5; a
  Monte Carlo chi-square p-value when more than 20 % of the expected counts are below 5) and
  the adjusted standardized residuals (Haberman 1973), which mark the cells that differ:
  |residual| > 1.96 is a 5 % two-sided deviation from independence in that cell.
* :func:`profile_lines`: one line per group naming its over- and under-represented levels.
* :func:`region_table`: a map-free regional table (customers, revenue, frequency, value).
* :func:`rate_by_group`: BG/NBD purchase rate (r / alpha) and dropout (a / (a + b)) per
  attribute level (pymc-marketing through :mod:`helpers.models.clv`), and the rate relative
  to a reference level, to compare with a planted multiplier on synthetic data.
* :func:`covariate_fit`: one BG/NBD with purchase and dropout covariates (pymc-marketing
  ``BetaGeoModel`` with ``purchase_covariate_cols`` / ``dropout_covariate_cols``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.phrase import Listing, Phrase, Share

FILE = "attributes"
DEMOGRAPHICS = ("region", "age_band", "income_band", "household_size")
Z_CRIT = 1.959963984540054   # two-sided 5 %
MAX_LEVELS = 12


def check_attributes(attrs: pd.DataFrame) -> pd.DataFrame:
    """The attribute table with ``customer_id`` as string, one row per customer.

    Raises
    ------
    helpers.errors.DataError
        No ``customer_id`` column, or ids that repeat (the count is in the message).
    """
    if "customer_id" not in attrs.columns:
        raise DataError(FILE, "missing-column", "the customer attribute table needs a customer_id column",
                        column="customer_id")
    dup = int(attrs["customer_id"].duplicated().sum())
    if dup:
        raise DataError(FILE, "unique-customer", f"{dup} customer ids appear more than once; one row per customer",
                        column="customer_id")
    out = attrs.copy()
    out["customer_id"] = out["customer_id"].astype("string")
    return out


def profile_columns(attrs: pd.DataFrame, *, max_levels: int = MAX_LEVELS) -> list[str]:
    """The attribute columns to profile: the standard ones present, then other columns with
    2..``max_levels`` distinct values (ids, labels of the contract analysis and free text left out)."""
    skip = {"customer_id", "churned", "tenure", "monthly_charges", "total_charges"}
    std = [c for c in DEMOGRAPHICS if c in attrs.columns]
    other = [c for c in attrs.columns if c not in skip and c not in std
             and 2 <= attrs[c].nunique(dropna=True) <= max_levels]
    return std + other


def as_levels(s: pd.Series, *, max_levels: int = MAX_LEVELS) -> pd.Series:
    """A column as category levels: numbers with many values become quartile bands, missing is a level."""
    if pd.api.types.is_numeric_dtype(s) and s.nunique(dropna=True) > max_levels:
        q = pd.qcut(s, 4, duplicates="drop")
        return q.astype("string").fillna("(missing)")
    if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
        s = s.astype("Int64")
    return s.astype("string").fillna("(missing)")


@dataclass
class CrossTab:
    """A group x attribute table and its test.

    ``counts``: customers per group (rows) and level (columns). ``row_share``: each row's
    shares (0..1). ``residuals``: adjusted standardized residuals
    (O - E) / sqrt(E (1 - row total / n) (1 - column total / n)). ``significant``: cells with
    |residual| > 1.96 when the table's test rejects independence at ``alpha`` (else none).
    ``test``: name of the test; ``statistic``, ``dof``, ``p_value``; ``cramers_v`` (0..1,
    strength of the association).
    """

    group: str
    attribute: str
    counts: pd.DataFrame
    row_share: pd.DataFrame
    residuals: pd.DataFrame
    significant: pd.DataFrame
    test: str
    statistic: float
    dof: int
    p_value: float
    cramers_v: float


def adjusted_residuals(counts: pd.DataFrame) -> pd.DataFrame:
    """Adjusted standardized residuals of a contingency table (Haberman 1973)."""
    O = counts.to_numpy(dtype=float)
    n = O.sum()
    r = O.sum(axis=1, keepdims=True)
    c = O.sum(axis=0, keepdims=True)
    E = r @ c / n
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (O - E) / np.sqrt(E * (1 - r / n) * (1 - c / n))
    return pd.DataFrame(np.nan_to_num(z), index=counts.index, columns=counts.columns)


def crosstab_test(group: pd.Series, attribute: pd.Series, *, alpha: float = 0.05, n_permutations: int = 2000,
                  random_state: int = 0) -> CrossTab:
    """Cross-tabulate two aligned label Series and test their independence.

    The test: Fisher's exact test for a 2 x 2 table with an expected count below 5; a
    chi-square statistic with a Monte Carlo p-value (``n_permutations`` shuffles of the
    attribute, seeded) when more than 20 % of the expected counts are below 5 (the
    chi-square approximation is unreliable there); else Pearson's chi-square test.
    """
    from scipy import stats

    g = group.astype("string").fillna("(missing)").reset_index(drop=True)
    a = attribute.astype("string").fillna("(missing)").reset_index(drop=True)
    counts = pd.crosstab(g, a)
    counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    counts.index.name, counts.columns.name = group.name or "group", attribute.name or "attribute"
    row_share = counts.div(counts.sum(axis=1), axis=0)
    res = adjusted_residuals(counts)
    n = counts.to_numpy().sum()
    k = min(counts.shape) - 1
    if k < 1:
        sig = res.abs() > np.inf
        return CrossTab(str(group.name), str(attribute.name), counts, row_share, res, sig,
                        "no test (one level only)", np.nan, 0, np.nan, np.nan)
    chi2, p, dof, exp = stats.chi2_contingency(counts.to_numpy(), correction=False)
    small = float((exp < 5).mean())
    if counts.shape == (2, 2) and (exp < 5).any():
        test = "Fisher's exact test"
        stat, p = stats.fisher_exact(counts.to_numpy())
        stat = float(chi2)
    elif small > 0.2:
        test = f"chi-square, Monte Carlo p ({n_permutations:,} permutations)"
        rng = np.random.default_rng(random_state)
        # int64: Categorical codes are int8 for few levels, and gc * na would overflow past 127 cells
        gc = pd.Categorical(g).codes.astype(np.int64)
        ac = pd.Categorical(a).codes.astype(np.int64)
        ng, na = int(gc.max()) + 1, int(ac.max()) + 1
        Eg = np.bincount(gc, minlength=ng)[:, None] * np.bincount(ac, minlength=na)[None, :] / len(gc)
        hits = 0
        for _unused in range(n_permutations):
            t = np.bincount(gc * na + rng.permutation(ac), minlength=ng * na).reshape(ng, na)
            with np.errstate(divide="ignore", invalid="ignore"):
                hits += np.nansum((t - Eg) ** 2 / Eg) >= chi2 - 1e-9
        p = (hits + 1) / (n_permutations + 1)
        stat = float(chi2)
    else:
        test, stat = "Pearson chi-square", float(chi2)
    v = math.sqrt(chi2 / (n * k)) if n else np.nan
    sig = (res.abs() > Z_CRIT) & (p < alpha)
    return CrossTab(str(group.name), str(attribute.name), counts, row_share, res, sig, test, float(stat), int(dof),
                    float(p), v)


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (family-wise error over all the tests given), in the input order."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if len(ok):
        order = ok[np.argsort(p[ok], kind="stable")]
        m = len(order)
        adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
        out[order] = adj
    return out


def test_summary(tabs: list[CrossTab]) -> pd.DataFrame:
    """One row per cross-tab: group, attribute, test, statistic, dof, p-value, ``p_holm`` (Holm-adjusted
    over all the tables: many tables tested at once give some small p-values by chance), Cramér's V and
    the number of significant cells."""
    out = pd.DataFrame([{"group": t.group, "attribute": t.attribute, "test": t.test, "statistic": t.statistic,
                         "dof": t.dof, "p_value": t.p_value, "cramers_v": t.cramers_v,
                         "significant_cells": int(t.significant.to_numpy().sum())} for t in tabs])
    if len(out):
        out.insert(6, "p_holm", holm(out["p_value"]))
    return out


def marked_shares(tab: CrossTab) -> pd.DataFrame:
    """Row shares as text, ``▲`` / ``▼`` on the cells significantly above / below independence."""
    out = tab.row_share.copy().astype(object)
    for i in tab.row_share.index:
        for j in tab.row_share.columns:
            v = tab.row_share.loc[i, j]
            mark = ""
            if tab.significant.loc[i, j]:
                mark = " ▲" if tab.residuals.loc[i, j] > 0 else " ▼"
            out.loc[i, j] = f"{v:.0%}{mark}"
    out.insert(0, "customers", tab.counts.sum(axis=1).map("{:,}".format))
    return out


def profile_lines(tabs: list[CrossTab], *, top: int = 3) -> pd.Series:
    """A one-line demographic profile per group from its significant cells, as a
    :class:`~helpers.phrase.Phrase` (``i18n.say`` writes it).

    E.g. ``"more income high (31 % vs 20 %), region North (40 % vs 25 %); fewer income low"``:
    the group's share against the share of all customers, largest residuals first.
    Groups with no significant cell read ``"like the customer base"``.
    """
    cells: dict[str, list[tuple[float, str, object, float, float]]] = {}
    for t in tabs:
        base = t.counts.sum(axis=0) / t.counts.to_numpy().sum()
        for g in t.counts.index:
            cells.setdefault(str(g), [])
            for lv in t.counts.columns:
                if t.significant.loc[g, lv]:
                    cells[str(g)].append((float(t.residuals.loc[g, lv]), t.attribute, lv,
                                          float(t.row_share.loc[g, lv]), float(base[lv])))
    out = {}
    for g, items in cells.items():
        ups = [Phrase("prf_share", attribute=a, level=lv, share=Share(sh, 0), base=Share(bs, 0))
               for z, a, lv, sh, bs in sorted(items, key=lambda x: -x[0]) if z > 0][:top]
        downs = [Phrase("prf_level", attribute=a, level=lv)
                 for z, a, lv, _sh, _bs in sorted(items, key=lambda x: x[0]) if z < 0][:top]
        parts = (([Phrase("prf_more", items=Listing(ups))] if ups else [])
                 + ([Phrase("prf_fewer", items=Listing(downs))] if downs else []))
        out[g] = parts or Phrase("prf_like_base")
    return pd.Series(out, name="profile", dtype=object)


def region_table(customers: pd.DataFrame, region: str = "region", *, value: str | None = None) -> pd.DataFrame:
    """Per region: customers, share, revenue, revenue share, mean orders, mean revenue, repeat rate
    and the mean of ``value`` (e.g. CLV) when given; largest region first.

    ``customers``: one row per customer with ``region``, ``frequency`` (orders) and
    ``monetary`` (revenue, currency), e.g. the RFM table joined to the attributes.
    """
    t = customers.assign(_r=customers[region].astype("string").fillna("(missing)"))
    agg = {"customers": ("customer_id", "size"), "revenue": ("monetary", "sum"),
           "mean_orders": ("frequency", "mean"), "mean_revenue": ("monetary", "mean"),
           "repeat_rate": ("frequency", lambda f: float((f > 1).mean()))}
    if value:
        agg[f"mean_{value}"] = (value, "mean")
    out = t.groupby("_r").agg(**agg).rename_axis(region).reset_index()
    out.insert(2, "share_customers", out["customers"] / out["customers"].sum())
    out.insert(4, "share_revenue", out["revenue"] / out["revenue"].sum())
    return out.sort_values(["customers", region], ascending=[False, True], ignore_index=True)


def kruskal_by(values: pd.Series, group: pd.Series) -> dict:
    """Kruskal-Wallis test of a numeric value across groups (e.g. revenue by region): statistic, p-value."""
    from scipy import stats

    parts = [v.dropna().to_numpy(float) for _unused, v in values.groupby(group.astype("string").fillna("(missing)"))]
    parts = [p for p in parts if len(p)]
    if len(parts) < 2:
        return {"statistic": np.nan, "p_value": np.nan}
    r = stats.kruskal(*parts)
    return {"statistic": float(r.statistic), "p_value": float(r.pvalue)}


# --------------------------------------------------------------------------------------
# purchase and dropout by attribute (BG/NBD)
# --------------------------------------------------------------------------------------
def rate_by_group(summary: pd.DataFrame, group: pd.Series, *, reference: str | None = None,
                  time_unit: str = "W") -> pd.DataFrame:
    """BG/NBD fitted separately per level of ``group``: purchase rate and dropout per level.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`helpers.features.customers.btyd_summary` (``customer_id``, ``frequency``, ``recency``,
        ``T`` in ``time_unit``).
    group : pandas.Series
        Level of each customer, aligned with ``summary`` rows.
    reference : str, optional
        Level the rates are compared with (default: the largest level).

    Each level goes through the CLV module's recovery chain (``clv.fit_purchase_chain``:
    maximum likelihood, then weakly-informative priors, then the NBD, then empirical rates).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``customers``, ``repeat_customers``, ``step`` (the chain's step that gave the
        level's numbers, ``clv.STEPS``), ``r``, ``alpha``, ``a``, ``b``, ``purchase_rate`` =
        r / alpha (mean purchases per ``time_unit`` of a live customer; under the NBD step the
        mean rate with nobody leaving, under empirical rates the pooled repeat rate),
        ``rate_ratio`` = purchase_rate / the reference's (only between levels fitted with the
        same model: rates of different models do not compare, NaN otherwise), ``dropout`` =
        a / (a + b) (mean probability of leaving after a purchase; NaN without a BG/NBD fit),
        ``note`` (in the report language: which step and why, when it is not the first).
    """
    from helpers.models import clv

    lev = group.astype("string").fillna("(missing)").reset_index(drop=True)
    data = summary.reset_index(drop=True)
    rows = []
    for name in lev.value_counts().index:
        part = data[(lev == name).to_numpy()]
        row = {"level": str(name), "customers": len(part), "repeat_customers": int((part["frequency"] > 0).sum())}
        try:
            fit = clv.fit_purchase_chain(part, model="bgnbd", method="map", time_unit=time_unit)
        except clv.ClvInputError as exc:   # bad input for this level is reported, not fatal
            rows.append(row | {"step": "", "purchase_rate": np.nan, "dropout": np.nan, "se_log_rate": np.nan,
                               "note": f"{type(exc).__name__}: {exc}"})
            continue
        v = fit.values
        row["step"] = fit.step
        row["model"] = fit.model
        row |= {k: v.get(k, np.nan) for k in ("r", "alpha", "a", "b")}
        rate = v["r"] / v["alpha"] if "alpha" in v else v.get("rate", np.nan)
        dropout = v["a"] / (v["a"] + v["b"]) if fit.model in ("bgnbd", "mbgnbd") else np.nan
        row |= {"purchase_rate": rate, "dropout": dropout, "note": fit.source.phrase if fit.attempts else ""}
        cov = fit.cov_log          # covariance of (log r, log alpha, ...)
        row["se_log_rate"] = (math.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0))
                              if cov is not None and fit.model in ("bgnbd", "mbgnbd", "nbd") else np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("step", "model", "r", "alpha", "a", "b"):
        if c not in out.columns:
            out[c] = np.nan
    ref = reference if reference is not None else str(out.iloc[0]["level"])
    base = out.set_index("level")["purchase_rate"].get(ref, np.nan)
    ref_model = out.set_index("level")["model"].get(ref)
    same = out["model"] == ref_model
    out["rate_ratio"] = (out["purchase_rate"] / base).where(same)
    se_ref = out.set_index("level")["se_log_rate"].get(ref, np.nan)
    out["se_log_ratio"] = np.where(out["level"] == ref, 0.0, np.sqrt(out["se_log_rate"] ** 2 + se_ref ** 2))
    out["se_log_ratio"] = out["se_log_ratio"].where(same)
    out.attrs["reference"] = ref
    cols = ["level", "customers", "repeat_customers", "step", "r", "alpha", "a", "b", "purchase_rate", "dropout",
            "note", "se_log_rate", "rate_ratio", "se_log_ratio"]
    return out[cols + [c for c in out.columns if c not in cols and c != "model"]]


def truth_check(rates: pd.DataFrame, factors: dict[str, float], *, z: float = 3.0) -> pd.DataFrame:
    """Estimated purchase-rate ratios against planted factors (relative to the same reference).

    Tolerance: ``z`` standard errors of the log ratio (from the BG/NBD fits' observed
    information, :func:`rate_by_group`): |log estimate - log truth| <= z x SE. With z = 3 a
    correct estimator fails a level about 3 times in 1,000.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``true_ratio``, ``rate_ratio``, ``se_log_ratio``, ``z_score``, ``within``
        (empty when the level has no estimate or no standard error).
    """
    ref = rates.attrs.get("reference")
    base = factors.get(str(ref), np.nan)
    out = rates[["level", "rate_ratio", "se_log_ratio"]].copy()
    out.insert(1, "true_ratio", out["level"].map(lambda v: factors.get(str(v), np.nan) / base))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["z_score"] = np.log(out["rate_ratio"] / out["true_ratio"]) / out["se_log_ratio"]
    out.loc[out["level"] == ref, "z_score"] = 0.0
    # unknown (no estimate or no standard error) stays empty rather than counting as a failure
    out["within"] = pd.array([None if not np.isfinite(v) else bool(abs(v) <= z) for v in out["z_score"]],
                             dtype="boolean")
    return out


@dataclass
class Groups:
    """Customer groups to profile: one row per customer with ``rfm_segment``, ``cluster``,
    ``clv_tier`` (and ``clv``) where they could be computed; ``notes`` say what was skipped or used:
    (code, fields) pairs, the code one of ``no_cluster``, ``cluster_failed`` (``error``), ``clv_source``
    (``purchase``, ``spend``: the :class:`helpers.models.clv.Source` of each fit) and ``clv_left_out``
    (``why``, English); :func:`helpers.plots.profiles.group_notes` says them in the report language."""

    table: pd.DataFrame
    notes: list


def customer_groups(rfm: pd.DataFrame, btyd: pd.DataFrame | None = None, *, time_unit: str = "W",
                    clv_months: int = 12, discount_rate: float = 0.10, seed: int = 0,
                    k_range=range(3, 7), scores: pd.DataFrame | None = None) -> Groups:
    """RFM segments, k-means clusters on RFM and CLV tiers, as in notebooks 03 and 04.

    ``rfm``: ``prep.read("customers_rfm")``; ``btyd``: ``prep.read("customers_btyd")`` (for CLV).
    Clusters: k-means on log-scaled recency, frequency, monetary with k by the silhouette
    (:mod:`helpers.models.segments`), named by their medians. CLV tiers: BG/NBD + Gamma-Gamma
    (MAP) over ``clv_months`` months, top 1 / 5 / 20 % (:func:`helpers.models.clv.value_tier_table`);
    ``scores``: the run's shared CLV per customer over ``clv_months`` at ``discount_rate``
    (``helpers.fitted.clv_scores``), so the tiers are those of the run's one CLV model, as in 04 and 08;
    without it the models are fitted here.
    """
    from helpers.models import clv, segments

    notes = []
    scored = segments.rfm_scores(rfm.assign(customer_id=rfm["customer_id"].astype("string")))
    out = scored[["customer_id", "recency_days", "frequency", "monetary"]].copy()
    out["rfm_segment"] = scored["segment"].astype("string")
    try:
        X, _unused = segments.feature_matrix(scored, ["recency_days", "frequency", "monetary"])
        curve = segments.silhouette_curve(X, k_range, seed=seed)
        k = segments.choose_k(curve) if len(curve) else None
        if k:
            labels = segments.kmeans_labels(X, k, seed=seed)
            prof = segments.cluster_profiles(scored, labels)
            names = dict(zip(prof["cluster"], prof["name"]))
            out["cluster"] = pd.Series(labels).map(names).astype("string").to_numpy()
        else:
            notes.append(("no_cluster", {}))
    except Exception as exc:  # noqa: BLE001
        notes.append(("cluster_failed", {"error": f"{type(exc).__name__}: {exc}"}))
    if btyd is not None:
        cv, why = clv.value_tier_table(btyd, time_unit=time_unit, clv_months=clv_months, discount_rate=discount_rate,
                                       scores=scores)
        if cv is not None:
            out = out.merge(cv.assign(clv_tier=cv["clv_tier"].astype("string")), on="customer_id", how="left")
            notes.append(("clv_source", {"purchase": cv.attrs["purchase_source"], "spend": cv.attrs["spend_source"]}))
        else:
            notes.append(("clv_left_out", {"why": why}))
    return Groups(out, notes)


def covariate_fit(summary: pd.DataFrame, group: pd.Series, *, reference: str | None = None,
                  dropout: bool = True) -> pd.DataFrame:
    """One BG/NBD with the levels of ``group`` as purchase (and dropout) covariates.

    pymc-marketing's parametrisation (``BetaGeoModel`` with ``purchase_covariate_cols`` and
    ``dropout_covariate_cols``): with one indicator x per non-reference level, a customer's
    alpha is alpha0 exp(-gamma_p' x), a is a0 exp(gamma_a' x) and b is b0 exp(gamma_b' x), so the mean
    purchase rate r / alpha of a level is exp(gamma_p) times the reference's. Fitted in numpy
    (:func:`covariate_derivatives`, :func:`helpers.models.clv.mle.maximise`): flat in r, alpha0, a0, b0
    and Normal(0, 1) on each coefficient, pymc-marketing's default coefficient prior, which keeps a
    level without repeat buyers from running off. pymc-marketing's MAP would also put its Weibull and
    Pareto priors on the base parameters and compile the model graph.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``purchase_multiplier`` = exp(purchase coefficient) (1 for the
        reference) and ``dropout_coefficient`` (a's coefficient when ``dropout``).

    Raises
    ------
    ModelFitError
        The fit has no proper interior maximum (the message says why;
        :func:`helpers.models.clv.estimation.checked_mle`).
    """
    from helpers.models.clv.estimation import checked_mle, start_values
    from helpers.models.clv.mle import BtydHistories, maximise

    lev = group.astype("string").fillna("(missing)").reset_index(drop=True)
    ref = reference if reference is not None else str(lev.value_counts().index[0])
    levels = [v for v in sorted(lev.unique()) if v != ref]
    data = summary.reset_index(drop=True)[["customer_id", "frequency", "recency", "T"]]
    parts = [BtydHistories.from_arrays(*(data.loc[(lev == v).to_numpy(), c] for c in ("frequency", "recency", "T")))
             for v in (ref, *levels)]
    k = len(levels)
    names = ("r", "alpha", "a", "b", *(f"purchase_{i}" for i in range(k)),
             *((f"dropout_a_{i}" for i in range(k)) if dropout else ()),
             *((f"dropout_b_{i}" for i in range(k)) if dropout else ()))
    start = start_values("bgnbd", data)
    theta0 = np.concatenate([np.log([start[p] for p in ("r", "alpha", "a", "b")]), np.zeros(len(names) - 4)])
    # maximise reports exp(theta): the base parameters, and exp(coefficient) = each level's multiplier
    fit = checked_mle(lambda: maximise(lambda th, h: covariate_derivatives(th, parts, dropout, h), theta0, names),
                      names, len(data), label="BG/NBD with covariates")
    rows = [{"level": ref, "purchase_multiplier": 1.0}]
    rows += [{"level": v, "purchase_multiplier": fit.values[f"purchase_{i}"]} for i, v in enumerate(levels)]
    out = pd.DataFrame(rows)
    if dropout:
        out["dropout_coefficient"] = [0.0, *(math.log(fit.values[f"dropout_a_{i}"]) for i in range(k))]
    out.attrs["reference"] = ref
    return out


def covariate_derivatives(theta: np.ndarray, parts, dropout: bool, hessian: bool = False):
    """Log-posterior of :func:`covariate_fit`, its gradient and (``hessian=True``) Hessian in ``theta`` =
    (ln r, ln alpha0, ln a0, ln b0, gamma_p[, gamma_a, gamma_b]), one coefficient per non-reference level.

    With one-hot levels the log-likelihood is the sum over levels of plain BG/NBD log-likelihoods
    (:func:`helpers.models.clv.mle.bgnbd_derivatives`, ``parts[0]`` the reference level) at
    ln alpha = ln alpha0 - gamma_p, ln a = ln a0 + gamma_a, ln b = ln b0 + gamma_b: a linear map M of theta, so the
    gradient is the sum of M' g and the Hessian of M' H M; the Normal(0, 1) priors add -gamma^2 / 2 each.
    """
    from helpers.models.clv.mle import bgnbd_derivatives

    theta = np.asarray(theta, dtype="float64")
    m, k = len(theta), len(parts) - 1
    ll, grad, hess = 0.0, np.zeros(m), np.zeros((m, m))
    for g, data in enumerate(parts):
        M = np.zeros((4, m))
        M[range(4), range(4)] = 1.0
        if g:
            M[1, 4 + g - 1] = -1.0
            if dropout:
                M[2, 4 + k + g - 1] = 1.0
                M[3, 4 + 2 * k + g - 1] = 1.0
        out = bgnbd_derivatives(M @ theta, data, hessian)
        ll += out[0]
        grad += M.T @ out[1]
        if hessian:
            hess += M.T @ out[2] @ M
    coef = theta[4:]
    ll -= 0.5 * float(coef @ coef)
    grad[4:] -= coef
    hess[4:, 4:] -= np.eye(m - 4)
    return (ll, grad, hess) if hessian else (ll, grad)


def true_factors(truth: dict | None, column: str = "income_band") -> dict[str, float] | None:
    """The planted purchase-rate multiplier per level of ``column`` from ``prep.synthetic_truth()``.

    Reads ``truth["demographics"]``: a mapping that holds, under some key naming the column
    (e.g. ``"income_band"`` or ``"income_rate_factor"``), a mapping level -> factor. Returns
    None when the truth has no such entry (real data, or a generator without demographics).
    """
    if not truth or "demographics" not in truth:
        return None
    demo = truth["demographics"]
    if isinstance(demo, pd.DataFrame):
        num = [c for c in demo.columns if c != column and pd.api.types.is_numeric_dtype(demo[c])]
        if column in demo.columns and num:
            return {str(k): float(v) for k, v in zip(demo[column], demo[num[0]])}
        return None
    if not isinstance(demo, dict):
        return None
    stem = column.split("_")[0]
    numeric_maps = {k: v for k, v in demo.items() if isinstance(v, dict) and v
                    and all(isinstance(x, (int, float)) for x in v.values())}
    for key in sorted(numeric_maps, key=lambda k: ("factor" not in str(k), str(k))):
        if stem in str(key) and ("factor" in str(key) or "multiplier" in str(key)):
            return {str(k): float(v) for k, v in numeric_maps[key].items()}
    return None


def lines_by_group(tabs: list[CrossTab], group_columns: list[str]) -> dict[str, pd.Series]:
    """:func:`profile_lines` per grouping column (rfm_segment, cluster, clv_tier) from its cross-tabs."""
    return {g: profile_lines([tab for tab in tabs if tab.group == g]) for g in group_columns}


def rate_inputs(btyd: pd.DataFrame, attrs: pd.DataFrame, column: str, reference: str | None
                ) -> tuple[pd.DataFrame, pd.Series, str | None]:
    """The BTYD summary with the attribute ``column`` of each customer, its levels (:func:`as_levels`) and the
    reference level (``reference`` when it is one of them, else None: the largest level)."""
    btyd = btyd.assign(customer_id=btyd["customer_id"].astype("string")).merge(
        attrs[["customer_id", column]], on="customer_id", how="left")
    level = as_levels(btyd[column])
    return btyd, level, reference if reference in set(level) else None


def try_covariate_fit(summary: pd.DataFrame, group: pd.Series, *, reference: str | None = None
                      ) -> tuple[pd.DataFrame | None, str | None]:
    """:func:`covariate_fit`, or why it failed: a model that cannot be fitted on this data is reported, not
    fatal. Returns ``(table, None)`` or ``(None, "ErrorType: message")``."""
    try:
        return covariate_fit(summary, group, reference=reference), None
    except Exception as exc:  # noqa: BLE001
        return None, f"{type(exc).__name__}: {exc}"


def truth_table(rates: pd.DataFrame, factors: dict[str, float], truth: dict, cov: pd.DataFrame | None, *,
                z: float = 3.0) -> pd.DataFrame:
    """:func:`truth_check` with, where known, the realised mean rate ratio of the synthetic customers (to the
    reference level) and the covariate fit's purchase multiplier per level."""
    check = truth_check(rates, factors, z=z)
    realised = truth["demographics"].get("realised_mean_lambda_ratio")
    if realised:
        base = realised.get(rates.attrs["reference"], np.nan)
        check["realised_ratio"] = check["level"].map(lambda v: realised.get(str(v), np.nan) / base)
    if cov is not None:
        check["covariate_multiplier"] = check["level"].map(cov.set_index("level")["purchase_multiplier"])
    return check
