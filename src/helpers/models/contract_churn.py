"""Churn in a contract business: observed churn label and tenure (e.g. a telecom's customer table).

Two settings
------------
* **Non-contractual** (a shop): nobody cancels; a customer just stops buying, so churn is
  never observed and has to be defined (no purchase in N days, :mod:`helpers.models.churn`)
  or inferred (P(alive) of BG/NBD, :mod:`helpers.models.clv`).
* **Contractual** (subscriptions, telecom, insurance): the customer cancels and the company
  sees it. The table has one row per customer with ``tenure`` (whole periods as a customer:
  months by default) and ``churned`` (the observed label), so churn is a plain classification
  target and tenure a right-censored duration: the customers who have not cancelled are still
  running.

This module handles the second one. Its input is the prepared ``attributes`` table
(``prep.read("attributes")``) with at least ``customer_id``, ``tenure`` (periods of the
configured unit, >= 0) and ``churned`` (bool), optionally ``contract`` (contract type),
``monthly_charges`` (currency per month, whatever the tenure unit), ``total_charges`` and any
other customer columns (gender, SeniorCitizen, Partner, InternetService, PaymentMethod ...).

What it gives:

* :func:`contract_datasets`: a stratified random train / test split as
  :class:`helpers.models.churn.ChurnDataset` objects, so the scikit-learn pipelines,
  metrics, calibration, gains and permutation importance of ``helpers.models.churn`` apply
  unchanged (out-of-sample, not out-of-time: the table is one snapshot).
* :func:`km_table`: Kaplan-Meier retention by a group (contract type) with lifelines and the
  multivariate log-rank test, tabulated at :func:`km_horizons` (round horizons within the
  observed tenure).
* :func:`fit_cox`: a Cox proportional-hazards model (lifelines ``CoxPHFitter``) with its
  concordance on held-out customers and the Schoenfeld-residual test of proportional hazards.
* :func:`retention_curve`, :func:`cohort_table`, :func:`fit_sbg`: the shifted-beta-geometric
  model (Fader & Hardie 2007) of pymc-marketing (``ShiftedBetaGeoModel``) fitted to cohort
  retention, and :func:`remaining_value`: each active customer's expected remaining tenure
  (discounted, in the tenure unit) and value (charges per period x that tenure).

Units: tenure and every duration in the **tenure unit** of the config
(``tables.attributes.tenure_unit``: day, week, month, quarter or year; month by default, see
:func:`tenure_unit`); every period of the sBG model and every per-period probability is one
such unit. Money in the data's currency; rates 0..1. A yearly discount rate d becomes
(1 + d)^(1 / periods per year) - 1 per period (:func:`period_rate`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.i18n import t
from helpers.models import churn

FILE = "attributes"
REQUIRED = ("customer_id", "tenure", "churned")
#: Numeric columns that are never features: the id and the label.
NOT_FEATURES = ("customer_id", "churned")
#: Columns that would leak the duration into a survival model (total charges ~ tenure x monthly charges).
DURATION_PROXIES = ("tenure", "total_charges")
MAX_LEVELS = 20      # a text column with more distinct values than this is not used as a category

_TRUE = {"yes", "y", "true", "t", "1", "churned", "evet"}
_FALSE = {"no", "n", "false", "f", "0", "retained", "hayir", "hayır"}


# --------------------------------------------------------------------------------------
# the tenure unit
# --------------------------------------------------------------------------------------
#: The units ``tables.attributes.tenure_unit`` accepts, and how many of each make a year
#: (a day is 1 / 365.25 of a year and a week 7 days, so leap years are averaged in).
PERIODS_PER_YEAR = {"day": 365.25, "week": 365.25 / 7.0, "month": 12.0, "quarter": 4.0, "year": 1.0}
TENURE_UNITS = tuple(PERIODS_PER_YEAR)
#: Round step sizes of the Kaplan-Meier horizons per unit (a week, a month, a quarter, a year ...).
HORIZON_STEPS = {
    "day": (1, 7, 14, 30, 60, 90, 180, 365, 730, 1095, 1826, 3652),
    "week": (1, 2, 4, 8, 13, 26, 52, 104, 156, 261, 522),
    "month": (1, 2, 3, 6, 12, 24, 36, 60, 120),
    "quarter": (1, 2, 4, 8, 12, 20, 40),
    "year": (1, 2, 3, 5, 10, 20, 50),
}
#: A tenure longer than this many years is taken for a wrong ``tenure_unit`` (e.g. days read as years).
MAX_TENURE_YEARS = 100.0


def _check_unit(unit: str) -> str:
    if unit not in PERIODS_PER_YEAR:
        raise ValueError(f"tenure unit {unit!r}: must be one of {', '.join(TENURE_UNITS)}")
    return unit


def tenure_unit(config) -> str:
    """The unit of ``tenure`` in a run: ``config.tables.attributes.tenure_unit`` (``month`` when the
    config has no attributes table or does not say)."""
    tables = getattr(config, "tables", None)
    attrs = getattr(tables, "attributes", None) if tables is not None else None
    return _check_unit(getattr(attrs, "tenure_unit", None) or "month")


def unit_word(unit: str, count: float | None = None) -> str:
    """The unit in the report language: ``years`` / ``yıl``; with ``count`` 1 the singular (``1 year``).

    Turkish counts take the singular (``3 yıl``), so the Turkish word never changes.
    """
    from helpers.i18n import period_name

    return period_name(_check_unit(unit), plural=count is None or count != 1)


def unit_one(unit: str) -> str:
    """The singular unit word (``per year`` / ``yıl başına``)."""
    from helpers.i18n import period_name

    return period_name(_check_unit(unit), plural=False)


def periods_per_year(unit: str) -> float:
    """How many periods of ``unit`` make a year (12 months, 4 quarters, 365.25 days ...)."""
    return PERIODS_PER_YEAR[_check_unit(unit)]


def period_rate(yearly_rate: float, unit: str = "month") -> float:
    """The discount rate per period equivalent to a yearly one: (1 + d)^(1 / periods per year) - 1.

    Compounded over the periods of a year it gives back d: (1 + r)^periods_per_year = 1 + d.
    ``period_rate(0.10, "month")`` = 0.797 %, ``period_rate(0.10, "year")`` = 10 %.
    """
    if not np.isfinite(yearly_rate) or yearly_rate < 0:
        raise ValueError(f"discount rate {yearly_rate}: must be a yearly rate >= 0 (0.10 = 10 % a year)")
    per_year = periods_per_year(unit)
    return float(yearly_rate) if per_year == 1.0 else (1.0 + yearly_rate) ** (1.0 / per_year) - 1.0


def charge_factor(unit: str) -> float:
    """Charges per period of ``unit`` = ``monthly_charges`` x this factor (12 / periods per year)."""
    return 12.0 / periods_per_year(unit)


def _fmt_h(h: float):
    return int(h) if float(h).is_integer() else float(h)


def km_horizons(tenure, unit: str = "month", *, requested=None, most: int = 4) -> tuple[list, list]:
    """Tenures at which to tabulate Kaplan-Meier retention, all within the observed range.

    With no ``requested`` horizons: the multiples of the smallest round step of the unit
    (:data:`HORIZON_STEPS`: 1, 2, 3, 6, 12, 24 ... months; 1, 2, 3, 5 ... years) of which at
    most ``most`` fit within the longest observed tenure, e.g. 24, 48, 72 months for tenures up
    to 72 months and 2, 4, 6 years for tenures up to 7 years. Requested horizons beyond the
    longest observed tenure are left out (Kaplan-Meier says nothing about retention past the
    data) and returned as the second list.

    Returns
    -------
    (horizons, beyond) : list, list
        Sorted horizons within the observed range; requested ones beyond it.
    """
    _check_unit(unit)
    t_obs = pd.to_numeric(pd.Series(tenure), errors="coerce").dropna()
    top = float(t_obs.max()) if len(t_obs) else 0.0
    if requested is not None and len(requested):
        req = sorted({_fmt_h(float(h)) for h in requested})
        bad = [h for h in req if not np.isfinite(h) or h <= 0]
        if bad:
            raise ValueError(f"km_horizons {bad}: horizons are tenures > 0 in {unit}s")
        return [h for h in req if h <= top], [h for h in req if h > top]
    steps = HORIZON_STEPS[unit]
    step = next((s for s in steps if top // s <= most), steps[-1])
    n = min(int(top // step), most)
    return [_fmt_h(step * k) for k in range(1, n + 1)], []


# --------------------------------------------------------------------------------------
# which setting, and the checked table
# --------------------------------------------------------------------------------------
def setting(tables, attribute_columns=None, unit: str = "month") -> tuple[str, str]:
    """Whether a run is in the contractual setting, and why.

    Parameters
    ----------
    tables : list of str
        ``prep.tables``, the prepared tables of the run.
    attribute_columns : list of str, optional
        The columns of the ``attributes`` table when it exists.
    unit : str
        The tenure unit (:func:`tenure_unit`), named in the reason.

    Returns
    -------
    (str, str)
        ``"contractual"`` when an ``attributes`` table with ``churned`` and ``tenure``
        exists, else ``"non-contractual"``; and a sentence saying why.
    """
    if "attributes" not in tables:
        return "non-contractual", t("contract_why_no_table")
    cols = set(attribute_columns or [])
    missing = [c for c in ("churned", "tenure") if c not in cols]
    if missing:
        return "non-contractual", t("contract_why_missing",
                                    columns=t("contract_and_no").join(repr(c) for c in missing))
    return "contractual", t("ctu_why_contractual", unit=unit_word(unit))


def _as_bool(s: pd.Series, column: str, file: str = FILE) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        if s.isna().any():
            raise DataError(file, "label-missing", f"{int(s.isna().sum())} rows have no churn label", column=column)
        return s.astype(bool)
    text = s.astype("string").str.strip().str.lower()
    ok = text.isin(_TRUE | _FALSE)
    if not ok.all():
        bad = text[~ok]
        raise DataError(file, "label-values",
                        f"{len(bad)} rows are not a yes/no churn label (e.g. {bad.iloc[0]!r}); use True/False, "
                        "1/0 or Yes/No", column=column)
    return text.isin(_TRUE).astype(bool)


def contract_table(attrs: pd.DataFrame, unit: str = "month", *, file: str | None = None) -> pd.DataFrame:
    """The customer table checked and typed for the contract analysis.

    Parameters
    ----------
    attrs : pandas.DataFrame
        ``prep.read("attributes")``: ``customer_id``, ``tenure`` (whole periods of ``unit`` as
        a customer), ``churned`` and any other columns.
    unit : str
        The tenure unit (:func:`tenure_unit`): day, week, month, quarter or year.
    file : str, optional
        The file the table was read from, named in error messages (default ``attributes``).

    Returns
    -------
    pandas.DataFrame
        The same rows with ``tenure`` as float (in ``unit``), ``churned`` as bool, and
        ``monthly_charges`` / ``total_charges`` as float when present (blank totals, as a
        telecom export writes them for customers in their first month, become empty).

    Raises
    ------
    helpers.errors.DataError
        A required column is missing, ``customer_id`` repeats, a tenure is missing, not a
        number, negative or longer than :data:`MAX_TENURE_YEARS` years in ``unit`` (a sign
        that ``tables.attributes.tenure_unit`` is wrong), or a churn label is not yes/no; the
        message names the column and how many rows break the rule.
    """
    _check_unit(unit)
    file = str(file or FILE)
    missing = [c for c in REQUIRED if c not in attrs.columns]
    if missing:
        raise DataError(file, "missing-column", f"the contract analysis needs {', '.join(missing)} "
                        f"(has: {', '.join(map(str, attrs.columns))})", column=missing[0])
    df = attrs.copy()
    dup = int(df["customer_id"].duplicated().sum())
    if dup:
        raise DataError(file, "unique-customer", f"{dup} customer ids appear more than once; one row per customer",
                        column="customer_id")
    tenure = pd.to_numeric(df["tenure"], errors="coerce")
    bad = int(tenure.isna().sum())
    if bad:
        raise DataError(file, "tenure-number", f"{bad} rows have no numeric tenure ({unit}s)", column="tenure")
    neg = int((tenure < 0).sum())
    if neg:
        raise DataError(file, "tenure-non-negative", f"{neg} rows have a negative tenure; {unit}s as a customer "
                        "must be >= 0", column="tenure")
    limit = MAX_TENURE_YEARS * periods_per_year(unit)
    long = int((tenure > limit).sum())
    if long:
        raise DataError(file, "tenure-plausible", f"{long} rows have a tenure above {limit:,.0f} {unit}s "
                        f"({MAX_TENURE_YEARS:.0f} years; longest {tenure.max():,.0f}): is "
                        f"tables.attributes.tenure_unit ({unit}) the unit of this column?", column="tenure")
    df["tenure"] = tenure.astype(float)
    df["churned"] = _as_bool(df["churned"], "churned", file)
    for c in ("monthly_charges", "total_charges"):
        if c in df.columns:
            df[c] = pd.to_numeric(df[c].astype("string").str.strip().replace("", pd.NA), errors="coerce").astype(float)
    return df.reset_index(drop=True)


def churn_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers, churners and churn rate (0..1) per value of ``column``, largest group first."""
    g = df.groupby(df[column].astype("string").fillna("(missing)"), observed=True)["churned"]
    out = pd.DataFrame({"customers": g.size(), "churned": g.sum().astype(int), "churn_rate": g.mean()})
    return out.rename_axis(column).reset_index().sort_values(["customers", column], ascending=[False, True],
                                                             ignore_index=True)


# --------------------------------------------------------------------------------------
# classification with the churn notebook's pipelines
# --------------------------------------------------------------------------------------
def feature_columns(df: pd.DataFrame, *, exclude=()) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of a contract table.

    Numeric: every numeric or bool column but the id and the label; categorical: text
    columns with at most :data:`MAX_LEVELS` distinct values (free text and ids are left out).
    """
    numeric, categorical = [], []
    for c in df.columns:
        if c in NOT_FEATURES or c in exclude:
            continue
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            numeric.append(c)
        elif s.nunique(dropna=True) <= MAX_LEVELS:
            categorical.append(c)
    return numeric, categorical


def _dataset(frame: pd.DataFrame, numeric, categorical, snapshot: dt.date, horizon_days: int) -> churn.ChurnDataset:
    f = frame.copy()
    for c in numeric:
        f[c] = f[c].astype(float)
    for c in categorical:
        f[c] = f[c].astype("string")
    f["churned"] = f["churned"].astype("int64")
    return churn.ChurnDataset(snapshot, horizon_days, f.reset_index(drop=True), churn.FeatureSpec(p_alive=False),
                              list(numeric), list(categorical))


def contract_datasets(df: pd.DataFrame, *, test_size: float = 0.3, random_state: int = 42,
                      snapshot: dt.date | None = None, horizon_days: int = 30,
                      exclude=()) -> tuple[churn.ChurnDataset, churn.ChurnDataset]:
    """Stratified random train / test split of a contract table as churn data sets.

    The table is one snapshot, so validation is **out-of-sample** (customers the model has
    not seen), not out-of-time. The label is the observed ``churned``; ``horizon_days`` only
    names the period it covers (a telecom's export marks customers who left in the last month).

    Returns
    -------
    (train, test) : helpers.models.churn.ChurnDataset
        Usable with :func:`helpers.models.churn.fit_models`, ``model_scores``, ``evaluate``,
        ``calibration_table``, ``gains_table``, ``importance_table``.
    """
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ValueError(f"test_size = {test_size}: must be a share between 0 and 1")
    numeric, categorical = feature_columns(df, exclude=exclude)
    y = df["churned"].astype(int)
    strat = y if y.value_counts().min() >= 2 else None
    tr, te = train_test_split(df, test_size=test_size, random_state=random_state, stratify=strat)
    snap = snapshot or dt.date.today()
    return (_dataset(tr, numeric, categorical, snap, horizon_days),
            _dataset(te, numeric, categorical, snap, horizon_days))


def baseline_scores(train: churn.ChurnDataset, test: churn.ChurnDataset) -> dict[str, np.ndarray]:
    """Scores that need no model: short tenure first, and the training churn rate of the contract type."""
    out = {"short tenure (baseline)": -test.frame["tenure"].to_numpy(dtype=float)}
    if "contract" in train.frame.columns:
        rate = train.frame.groupby(train.frame["contract"].astype("string"))["churned"].mean()
        base = float(train.frame["churned"].mean())
        out["churn rate of the contract type (baseline)"] = (
            test.frame["contract"].astype("string").map(rate).astype(float).fillna(base).to_numpy())
    return out


def score_customers(model, df: pd.DataFrame, like: churn.ChurnDataset) -> pd.Series:
    """Churn probability (0..1) of every customer of ``df`` under a fitted pipeline, indexed by
    ``customer_id``; ``like`` (the training set) fixes the feature columns."""
    ds = _dataset(df, like.numeric, like.categorical, like.cutoff, like.horizon_days)
    with churn._one_thread():
        p = model.predict_proba(ds.X)[:, 1]
    return pd.Series(p, index=ds.frame["customer_id"].to_numpy(), name="contract_churn_risk")


# --------------------------------------------------------------------------------------
# Kaplan-Meier and log-rank
# --------------------------------------------------------------------------------------
def retained_column(h) -> str:
    """Name of the Kaplan-Meier summary column of horizon ``h`` (in the tenure unit): ``retained_at_24``."""
    return f"retained_at_{_fmt_h(float(h))}".replace(".", "_")


def km_table(df: pd.DataFrame, group: str | None = "contract", *, at=(), unit: str = "month"
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier retention by ``group`` (tenure = duration in ``unit``, churned = event).

    S(t) = prod over churn times t_i <= t of (1 - churned at t_i / customers at risk at t_i),
    where a customer with tenure t_i is at risk at every period up to t_i; customers still
    under contract are censored at their tenure.

    Parameters
    ----------
    at : sequence of float
        Horizons (tenures in ``unit``, e.g. :func:`km_horizons`) at which retention is
        tabulated. A horizon beyond a group's longest observed tenure gets no value (NaN):
        the curve is not carried past the data.
    unit : str
        The tenure unit, written into the summary (``tenure_unit``) and ``attrs``.

    Returns
    -------
    (curves, summary)
        ``curves``: group, ``tenure`` (in ``unit``), ``retention`` (0..1) and its 95 % band
        ``lower`` / ``upper``. ``summary``: per group ``customers``, ``churned``,
        ``churn_rate``, ``median_tenure`` (in ``unit``; empty when retention never falls to
        0.5), ``retained_at_<h>`` (:func:`retained_column`) for each horizon in ``at`` and
        ``tenure_unit``; ``attrs["logrank"]`` holds the multivariate log-rank test
        (``statistic``, ``dof``, ``p_value``) when there are two or more groups,
        ``attrs["horizons"]`` the horizons and ``attrs["tenure_unit"]`` the unit.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    _check_unit(unit)
    horizons = [_fmt_h(float(h)) for h in at]
    seg = (df[group].astype("string").fillna("(missing)") if group else pd.Series("all customers", index=df.index))
    curves, rows = [], []
    for name in sorted(seg.unique()):
        m = (seg == name).to_numpy()
        kmf = KaplanMeierFitter().fit(df.loc[m, "tenure"], df.loc[m, "churned"].astype(int), label=str(name))
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        curves.append(pd.DataFrame({"group": str(name), "tenure": sf.index.to_numpy(dtype=float),
                                    "retention": sf.to_numpy(), "lower": ci.iloc[:, 0].to_numpy(),
                                    "upper": ci.iloc[:, 1].to_numpy()}))
        med = kmf.median_survival_time_
        row = {"group": str(name), "customers": int(m.sum()), "churned": int(df.loc[m, "churned"].sum()),
               "churn_rate": float(df.loc[m, "churned"].mean()),
               "median_tenure": float(med) if np.isfinite(med) else np.nan}
        longest = float(df.loc[m, "tenure"].max())
        for h in horizons:
            row[retained_column(h)] = float(kmf.predict(float(h))) if h <= longest else np.nan
        row["tenure_unit"] = unit
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary.attrs["horizons"] = horizons
    summary.attrs["tenure_unit"] = unit
    if seg.nunique() > 1:
        res = multivariate_logrank_test(df["tenure"], seg, df["churned"].astype(int))
        summary.attrs["logrank"] = {"statistic": float(res.test_statistic), "dof": int(res.degrees_of_freedom),
                                    "p_value": float(res.p_value)}
    return pd.concat(curves, ignore_index=True), summary


def pairwise_logrank(df: pd.DataFrame, group: str = "contract") -> pd.DataFrame:
    """Log-rank test of every pair of groups: ``a``, ``b``, ``statistic``, ``p_value`` (unadjusted)
    and ``p_holm`` (Holm-adjusted for the number of pairs)."""
    from lifelines.statistics import pairwise_logrank_test

    seg = df[group].astype("string").fillna("(missing)")
    if seg.nunique() < 2:
        return pd.DataFrame(columns=["a", "b", "statistic", "p_value", "p_holm"])
    r = pairwise_logrank_test(df["tenure"], seg, df["churned"].astype(int)).summary.reset_index()
    r.columns = ["a", "b", "statistic", "p_value", "log2_p"][: len(r.columns)]
    out = r[["a", "b", "statistic", "p_value"]].sort_values("p_value", ignore_index=True)
    m = len(out)
    holm = np.minimum(1.0, np.maximum.accumulate(out["p_value"].to_numpy() * (m - np.arange(m))))
    out["p_holm"] = holm
    return out


# --------------------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------------------
@dataclass
class CoxResult:
    """A fitted Cox model and its checks.

    ``coefficients``: covariate, ``hazard_ratio`` (exp(coef): the factor on the churn hazard
    (per period of the tenure unit) per unit of the covariate or against the reference level), ``lower`` / ``upper`` (95 %),
    ``p_value``. ``ph_test``: covariate, ``statistic``, ``p_value`` of the Schoenfeld-residual
    test (rank time transform) and ``violated`` (p < 0.05). ``c_index_train`` /
    ``c_index_test``: concordance on the fitting and the held-out customers (0.5 = random).
    """

    fitter: object
    covariates: list[str]
    reference: dict[str, str]
    coefficients: pd.DataFrame
    ph_test: pd.DataFrame
    c_index_train: float
    c_index_test: float
    n_train: int
    n_test: int


def cox_design(df: pd.DataFrame, columns: list[str], reference: dict[str, str] | None = None
               ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric design matrix for the Cox model: numeric columns as they are, categories one-hot
    with the most common level (or ``reference[column]``) left out as the reference."""
    reference = dict(reference or {})
    parts = []
    for c in columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(c))
            continue
        s = s.astype("string").fillna("(missing)")
        ref = reference.setdefault(c, str(s.value_counts().index[0]))
        levels = [v for v in sorted(s.unique()) if v != ref]
        for v in levels:
            parts.append((s == v).astype(float).rename(f"{c}: {v}"))
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)
    # the same indicator under several names ("No internet service" in six columns) is kept once
    X = X.loc[:, ~X.T.duplicated()]
    return X, reference


def _positive(tenure: pd.Series) -> np.ndarray:
    """Tenures with 0 (joined in the current period) set to half the shortest positive tenure:
    positive durations in the same order, in any unit."""
    t = tenure.to_numpy(dtype=float)
    pos = t[t > 0]
    return np.where(t > 0, t, 0.5 * (pos.min() if len(pos) else 1.0))


def fit_cox(train: pd.DataFrame, test: pd.DataFrame | None = None, *, columns: list[str] | None = None,
            penalizer: float = 0.01) -> CoxResult:
    """Cox proportional-hazards model of the churn hazard (lifelines ``CoxPHFitter``).

    The partial likelihood depends on the order of the tenures only, so the hazard ratios are
    the same in any tenure unit.

    Parameters
    ----------
    train, test : pandas.DataFrame
        Contract tables (:func:`contract_table`); the model is fitted on ``train`` and its
        concordance also measured on ``test``.
    columns : list of str, optional
        Covariates; default every feature column except :data:`DURATION_PROXIES` (tenure is
        the duration itself, and total charges ~ tenure x monthly charges would leak it).
    penalizer : float
        Small ridge penalty that keeps the fit stable when dummies are nearly collinear.

    Returns
    -------
    CoxResult
        Hazard ratios, the proportional-hazards test (``proportional_hazard_test``, the test
        behind lifelines' ``check_assumptions``) and the C-index on both sets.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test
    from lifelines.utils import concordance_index

    if columns is None:
        num, cat = feature_columns(train, exclude=DURATION_PROXIES)
        columns = num + cat
    X, ref = cox_design(train, columns)
    keep = [c for c in X.columns if X[c].std() > 0]
    X = X[keep].fillna(X[keep].median())
    data = X.assign(_t=_positive(train["tenure"]), _e=train["churned"].astype(int).to_numpy())
    cph = CoxPHFitter(penalizer=penalizer).fit(data, duration_col="_t", event_col="_e")
    s = cph.summary
    coef = pd.DataFrame({"covariate": s.index, "hazard_ratio": s["exp(coef)"].to_numpy(),
                         "lower": s["exp(coef) lower 95%"].to_numpy(), "upper": s["exp(coef) upper 95%"].to_numpy(),
                         "p_value": s["p"].to_numpy()})
    ph = proportional_hazard_test(cph, data, time_transform="rank").summary
    ph_tab = pd.DataFrame({"covariate": [i if isinstance(i, str) else i[0] for i in ph.index],
                           "statistic": ph["test_statistic"].to_numpy(), "p_value": ph["p"].to_numpy()})
    ph_tab["violated"] = ph_tab["p_value"] < 0.05
    c_test = np.nan
    if test is not None and len(test):
        Xt, _ = cox_design(test, columns, ref)
        Xt = Xt.reindex(columns=keep, fill_value=0.0).fillna(X.median())
        risk = cph.predict_partial_hazard(Xt).to_numpy()
        c_test = float(concordance_index(test["tenure"], -risk, test["churned"].astype(int)))
    return CoxResult(cph, keep, ref, coef, ph_tab, float(cph.concordance_index_), c_test, len(train),
                     0 if test is None else len(test))


# --------------------------------------------------------------------------------------
# shifted-beta-geometric cohort retention (pymc-marketing)
# --------------------------------------------------------------------------------------
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
    from lifelines import KaplanMeierFitter

    seg = (df[group].astype("string").fillna("(missing)") if group else pd.Series("all customers", index=df.index))
    parts = []
    for name in sorted(seg.unique()):
        m = (seg == name).to_numpy()
        t = df.loc[m, "tenure"].to_numpy(float)
        e = df.loc[m, "churned"].astype(int).to_numpy()
        kmf = KaplanMeierFitter().fit(t, e)
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
    """Fit pymc-marketing's ``ShiftedBetaGeoModel`` to each cohort (its own alpha, beta).

    With ``method="map"`` and flat (``HalfFlat``) priors the estimate is the maximum
    likelihood of Fader & Hardie (2007); on their published "regular" and "high end" data
    (years 1-7) it gives alpha, beta = 0.704, 1.182 and 0.668, 3.806 as the paper does. Each
    cohort is fitted on its own (the parameters do not interact) and the optimiser starts from
    the best point of a coarse grid, which keeps it from stopping early on the likelihood's
    long flat ridge.

    Raises
    ------
    ValueError
        No cohort has at least two periods, or nobody cancelled.
    """
    import warnings

    from pymc_extras.prior import Prior

    from helpers.models.pymc_tools import pymc_clv as _pmc, quiet as _quiet

    data = cohorts[cohorts["T"] >= 2].assign(cohort=lambda d: d["cohort"].astype(str))
    if data.empty:
        raise ValueError("fit_sbg: no cohort spans two periods or more; the sBG model needs T >= 2")
    if (data["recency"] < data["T"]).sum() == 0:
        raise ValueError("fit_sbg: nobody cancelled in the data, so the dropout rate cannot be estimated")
    pmc = _pmc()
    estimators, rows = {}, []
    for name in data["cohort"].unique():
        part = data[data["cohort"] == name]
        if (part["recency"] < part["T"]).sum() == 0:
            continue
        cfg = {"alpha": Prior("HalfFlat", dims="cohort"), "beta": Prior("HalfFlat", dims="cohort")}
        with _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pmc.ShiftedBetaGeoModel(model_config=cfg)
            if method == "map":
                a0, b0 = _grid_start(part)
                extra = {"start": {"alpha_log__": np.log([a0]), "beta_log__": np.log([b0])}}
            else:
                extra = {"random_seed": random_seed}
            model.fit(data=part, method=method, progressbar=False, **extra)
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
    cohort = (active[group].astype("string").fillna("(missing)") if group
              else pd.Series("all customers", index=active.index))
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


def _key(text) -> str:
    """``"Month-to-month"`` -> ``"month_to_month"``: a headline key part."""
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower())


def headline_items(df: pd.DataFrame, *, auc: float, cox_c_index: float, by_group: pd.DataFrame | None,
                   group_column: str | None, km_summary: pd.DataFrame, sbg_params: pd.DataFrame,
                   unit: str = "month") -> list[tuple]:
    """The (key, label, value, unit) headline numbers of the contract churn notebook.

    Overall churn rate, model AUC and Cox C-index; per group (e.g. contract type) the churn
    rate, the Kaplan-Meier median tenure in ``unit`` (headline unit ``"years"``, ``"months"``
    ...; ``"not reached"`` when the curve stays above 50 %) and the sBG mean churn per period,
    with alpha and beta where the cohort is heterogeneous. The keys of these per-period numbers
    carry the unit when it is not the month (``contract_km_median_year_regular``), so a run in
    another unit is never compared with a monthly one as if the numbers were alike.
    """
    _check_unit(unit)
    u = "" if unit == "month" else f"_{unit}"
    items = [("contract_churn_rate", t("hl_contract_churn_rate"), float(df["churned"].mean()), "%"),
             ("contract_model_auc", t("hl_contract_model_auc"), auc, ""),
             ("contract_cox_c_index", t("hl_contract_cox_c_index"), cox_c_index, "")]
    if group_column and by_group is not None:
        for _, r in by_group.iterrows():
            items.append((f"contract_churn_rate_{_key(r[group_column])}",
                          t("hl_contract_churn_rate_group", group=r[group_column]), r["churn_rate"], "%"))
    for _, r in km_summary.iterrows():
        med = r["median_tenure"]
        items.append((f"contract_km_median{u}_{_key(r['group'])}", t("hl_contract_km_median", group=r["group"]),
                      med if np.isfinite(med) else t("contract_not_reached"), f"{unit}s"))
    for _, r in sbg_params.iterrows():
        key = _key(r["cohort"])
        items.append((f"contract_sbg_mean_churn{u}_{key}",
                      t("ctu_hl_sbg_mean_churn", cohort=r["cohort"], unit=unit_one(unit)), float(r["mean_churn"]), "%"))
        if r["heterogeneous"]:
            items.append((f"contract_sbg_alpha{u}_{key}", t("hl_contract_sbg_alpha", cohort=r["cohort"]),
                          float(r["alpha"]), ""))
            items.append((f"contract_sbg_beta{u}_{key}", t("hl_contract_sbg_beta", cohort=r["cohort"]),
                          float(r["beta"]), ""))
    return items
