"""Churn in a non-contractual business: labels, features before a cut-off, models, evaluation, retention plan.

In retail nobody cancels a contract; a customer simply stops buying. The label is therefore
defined on a window: a customer active at a cut-off date is **churned** when they make no
purchase in the ``horizon_days`` days after it (``(cutoff, cutoff + horizon_days]``). Every
feature is computed from lines on or before the cut-off only (:func:`churn_features` filters
first and never sees later lines), so the same code gives a training set (cut-off 1), an
out-of-time test set (cut-off 2 = cut-off 1 + horizon) and the scoring set (the analysis date,
no label yet).

Units: every ``*_days`` column is in days; money columns are in the data's currency; shares
are fractions of the customer's revenue before the cut-off (0..1).

Workflow (notebook ``05_churn``)::

    train_cut, test_cut = churn.cutoffs(prep.end, horizon_days=90)
    train = churn.churn_dataset(lines, cutoff=train_cut, horizon_days=90, has=prep.has)
    test = churn.churn_dataset(lines, cutoff=test_cut, horizon_days=90, spec=train.spec)
    models = churn.fit_models(train)
    churn.evaluate(test.y, churn.baseline_scores(test) | churn.model_scores(models, test))

The table work (filters, group-bys over lines) is Ibis, so it runs on DuckDB and Spark alike;
the per-customer frames that come back are pandas, and the models are scikit-learn pipelines.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import ibis
import numpy as np
import pandas as pd

from helpers.features import customers

#: What each feature means, with its unit. Categorical features are marked "(category)".
FEATURE_DOCS: dict[str, str] = {
    "recency_days": "days from the last purchase to the cut-off (0 = bought on the cut-off day)",
    "tenure_days": "days from the first purchase to the cut-off",
    "frequency": "orders (distinct invoices) before the cut-off",
    "monetary": "total revenue before the cut-off (currency)",
    "avg_order_value": "monetary / frequency (currency)",
    "purchase_days": "distinct days with a purchase",
    "ipt_mean_days": "mean days between consecutive purchase days (empty for one purchase day)",
    "ipt_std_days": "standard deviation of those gaps (days; empty for fewer than 3 purchase days)",
    "ipt_last_days": "the last gap between purchase days (days)",
    "overdue_ratio": "recency_days / ipt_mean_days: how late the next purchase is against the usual rhythm",
    "orders_recent": "orders in the last trend_days before the cut-off",
    "orders_prior": "orders in the trend_days before those",
    "revenue_recent": "revenue in the last trend_days before the cut-off (currency)",
    "revenue_prior": "revenue in the trend_days before those (currency)",
    "spend_trend": "(revenue_recent - revenue_prior) / (revenue_recent + revenue_prior), -1 .. 1 (empty when both 0)",
    "n_products": "distinct products bought",
    "n_categories": "distinct categories bought",
    "top_category_share": "share of revenue in the customer's largest category (0..1)",
    "n_channels": "distinct sales channels used",
    "country": "(category) the country with most of the customer's revenue",
    "main_channel": "(category) the channel with most of the customer's revenue",
    "p_alive": "BG/NBD probability that the customer is still active at the cut-off (0..1)",
}
#: non-negative, right-skewed features that the logistic regression sees as log(1 + x)
LOG_FEATURES = ("recency_days", "tenure_days", "frequency", "monetary", "avg_order_value", "purchase_days",
                "ipt_mean_days", "ipt_std_days", "ipt_last_days", "overdue_ratio", "orders_recent",
                "orders_prior", "revenue_recent", "revenue_prior", "n_products", "n_categories")
MODEL_NAMES = {"logit": "logistic regression", "gbm": "gradient boosting"}
_MONEY = ("monetary", "avg_order_value", "revenue_recent", "revenue_prior")
_COUNTS = ("frequency", "purchase_days", "orders_recent", "orders_prior", "n_products", "n_categories", "n_channels")


def feature_unit(name: str, currency: str = "currency") -> str:
    """The unit of a feature, for axis labels: days, the currency, count, share 0..1, ratio."""
    if name in _MONEY:
        return currency
    if name in _COUNTS:
        return "count"
    if name.endswith("_days"):
        return "days"
    if name == "spend_trend":
        return "-1 .. 1"
    if name == "overdue_ratio":
        return "ratio"
    if name.startswith(("cat_", "chan_")) or name in ("top_category_share", "p_alive"):
        return "share 0..1" if name != "p_alive" else "probability 0..1"
    return "value"
MIN_CLASS = 5   # fewer churners or fewer retained customers than this: no model is fitted


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns a data set has, fixed on the training cut-off so every later set matches.

    ``categories`` / ``channels``: the values that get a revenue-share column
    (``cat_<value>`` / ``chan_<value>``); ``countries``: whether the country column is used;
    ``p_alive``: whether the BG/NBD P(alive) feature is used.
    """

    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    products: bool = False
    countries: bool = False
    p_alive: bool = True
    trend_days: int = 90
    active_days: int = 365


@dataclass
class ChurnDataset:
    """Features (and label, when the window after the cut-off is observed) for one cut-off.

    ``frame``: one row per customer active at the cut-off: ``customer_id``, the feature
    columns, and with a label ``purchase_days_after`` (distinct purchase days in the window)
    and ``churned`` (1 = no purchase in the window).
    """

    cutoff: dt.date
    horizon_days: int
    frame: pd.DataFrame
    spec: FeatureSpec
    numeric: list[str]
    categorical: list[str]
    notes: list[str] = field(default_factory=list)
    #: which step of the CLV module's recovery chain gave P(alive) (``helpers.models.clv.Source``), None when not asked
    p_alive_source: object = None

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    @property
    def X(self) -> pd.DataFrame:
        return self.frame[self.features]

    @property
    def y(self) -> np.ndarray:
        if "churned" not in self.frame:
            raise ValueError(f"cut-off {self.cutoff}: this data set has no label (the {self.horizon_days} days "
                             f"after the cut-off are not observed)")
        return self.frame["churned"].to_numpy(dtype=int)

    @property
    def has_label(self) -> bool:
        return "churned" in self.frame

    def summary(self) -> dict:
        out = {"cut-off": self.cutoff.isoformat(), "customers (active at the cut-off)": len(self.frame)}
        if self.has_label:
            end = self.cutoff + dt.timedelta(days=self.horizon_days)
            out["label window"] = f"{self.cutoff + dt.timedelta(days=1)} .. {end}"
            out["churned (no purchase in the window)"] = int(self.frame["churned"].sum())
            out["churn rate"] = float(self.frame["churned"].mean()) if len(self.frame) else float("nan")
        return out


# --------------------------------------------------------------------------------------
# cut-offs and labels
# --------------------------------------------------------------------------------------
def _as_date(d) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return dt.date.fromisoformat(str(d))


def cutoffs(analysis_end, *, horizon_days: int, train_cutoff=None, test_cutoff=None,
            data_start=None) -> tuple[dt.date, dt.date]:
    """Training and out-of-time test cut-offs.

    By default the test cut-off is ``analysis_end - horizon_days`` (its label window ends on
    the analysis date) and the training cut-off is ``test_cutoff - horizon_days`` (its label
    window ends where the test features end), so the test labels lie after everything the
    model was trained on.

    Raises
    ------
    ValueError
        A cut-off whose label window would run past the analysis date, a training cut-off
        not before the test cut-off, or a training cut-off before the data starts.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days = {horizon_days}: the churn window must be at least 1 day")
    end = _as_date(analysis_end)
    test = _as_date(test_cutoff) if test_cutoff else end - dt.timedelta(days=horizon_days)
    train = _as_date(train_cutoff) if train_cutoff else test - dt.timedelta(days=horizon_days)
    if test + dt.timedelta(days=horizon_days) > end:
        raise ValueError(f"test cut-off {test} + {horizon_days} days runs past the analysis date {end}; "
                         f"the label window must be observed (use a cut-off on or before "
                         f"{end - dt.timedelta(days=horizon_days)})")
    if train >= test:
        raise ValueError(f"training cut-off {train} must be before the test cut-off {test} (out-of-time validation)")
    if data_start is not None and train <= _as_date(data_start):
        raise ValueError(f"training cut-off {train} is not after the first day of data {_as_date(data_start)}; "
                         f"shorten horizon_days ({horizon_days}) or use a longer history")
    return train, test


def _customer_lines(lines):
    return lines.filter(lines.customer_id.notnull())


def _before(lines, cutoff: dt.date):
    """Customer lines on or before the cut-off day: the only lines a feature may read."""
    t = _customer_lines(lines)
    return t.filter(t.invoice_ts.date() <= ibis.date(cutoff))


def churn_labels(lines, *, cutoff, horizon_days: int) -> pd.DataFrame:
    """The churn label of every customer with a purchase on or before the cut-off.

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id, invoice_ts.
    cutoff : date
        Last day of the feature period (inclusive).
    horizon_days : int
        Length of the label window ``(cutoff, cutoff + horizon_days]`` in days.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``purchase_days_after`` (distinct purchase days in the window) and
        ``churned`` (1 when that is 0, else 0), one row per customer seen by the cut-off.
    """
    cutoff = _as_date(cutoff)
    t = _customer_lines(lines)
    t = t.mutate(_day=t.invoice_ts.date())
    seen = t.filter(t._day <= ibis.date(cutoff)).select("customer_id").distinct()
    end = cutoff + dt.timedelta(days=horizon_days)
    after = t.filter((t._day > ibis.date(cutoff)) & (t._day <= ibis.date(end)))
    a = after.group_by("customer_id").aggregate(purchase_days_after=after._day.nunique()).execute()
    s = seen.execute()
    out = s.merge(a, on="customer_id", how="left")
    out["purchase_days_after"] = out["purchase_days_after"].fillna(0).astype("int64")
    out["churned"] = (out["purchase_days_after"] == 0).astype("int64")
    return out.sort_values("customer_id", ignore_index=True)


# --------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------
def top_values(lines, column: str, *, cutoff, top: int = 8) -> tuple[str, ...]:
    """The ``top`` values of ``column`` by customer revenue before the cut-off (largest first)."""
    t = _before(lines, _as_date(cutoff))
    t = t.filter(t[column].notnull())
    g = t.group_by(column).aggregate(rev=t.amount.sum()).execute()
    g = g.sort_values(["rev", column], ascending=[False, True])
    return tuple(str(v) for v in g[column].head(top))


def make_spec(lines, *, cutoff, has: dict | None = None, top_categories: int = 8, p_alive: bool = True,
              trend_days: int = 90, active_days: int = 365) -> FeatureSpec:
    """The feature set for a data set's optional columns (``prep.has``), fixed at ``cutoff``."""
    has = has or {}
    return FeatureSpec(
        categories=top_values(lines, "category", cutoff=cutoff, top=top_categories) if has.get("category") else (),
        channels=top_values(lines, "channel", cutoff=cutoff, top=6) if has.get("channel") else (),
        products=bool(has.get("product_id")),
        countries=bool(has.get("country")),
        p_alive=p_alive, trend_days=trend_days, active_days=active_days,
    )


def _safe_name(v: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(v).lower()).strip("_")


def _shares(t, column: str, values: tuple[str, ...], prefix: str) -> pd.DataFrame:
    """Per customer: share of revenue in each of ``values`` of ``column`` (0..1)."""
    aggs = {f"_tot": t.amount.sum()}
    for v in values:
        aggs[f"{prefix}{_safe_name(v)}"] = t.amount.sum(where=t[column] == v)
    df = t.group_by("customer_id").aggregate(**aggs).execute()
    tot = df.pop("_tot").astype(float)
    for c in df.columns[1:]:
        df[c] = (df[c].fillna(0).astype(float) / tot).where(tot > 0)
    return df


def _main_value(t, column: str, name: str) -> pd.DataFrame:
    """Per customer: the value of ``column`` with most of the customer's revenue."""
    g = t.filter(t[column].notnull()).group_by(["customer_id", column]).aggregate(_rev=t.amount.sum())
    df = g.execute()
    df = df.sort_values(["customer_id", "_rev", column], ascending=[True, False, True])
    df = df.drop_duplicates("customer_id")[["customer_id", column]].rename(columns={column: name})
    df[name] = df[name].astype("string")
    return df


def churn_features(lines, *, cutoff, spec: FeatureSpec) -> pd.DataFrame:
    """Per-customer features from lines on or before ``cutoff`` (later lines are never read).

    Parameters
    ----------
    lines : ibis.Table
        Clean lines: customer_id, invoice, invoice_ts, amount (currency), and product_id,
        category, country, channel when ``spec`` uses them. Guests are left out.
    cutoff : date
        Last day of the feature period (inclusive).
    spec : FeatureSpec
        Which optional features to build (:func:`make_spec`); ``p_alive`` is not added here
        (see :func:`p_alive_feature`).

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase on or before the cut-off, sorted by
        ``customer_id``; columns as in :data:`FEATURE_DOCS` (days, currency, counts, shares
        0..1), plus ``cat_<category>`` and ``chan_<channel>`` revenue shares.
    """
    cutoff = _as_date(cutoff)
    t = _before(lines, cutoff)                                    # <- the only read of the lines
    rfm = customers.rfm_table(t, analysis_date=cutoff).execute()
    out = rfm[["customer_id", "recency_days", "tenure_days", "frequency", "monetary", "avg_order_value"]].copy()

    # inter-purchase times over distinct purchase days
    d = t.mutate(_day=t.invoice_ts.date()).group_by(["customer_id", "_day"]).aggregate(_v=t.amount.sum())
    w = ibis.window(group_by=d.customer_id, order_by=d._day)
    d = d.mutate(_gap=d._day.delta(d._day.lag().over(w), unit="day").cast("float64"))
    ipt = d.group_by("customer_id").aggregate(
        purchase_days=d.count(), ipt_mean_days=d._gap.mean(), ipt_std_days=d._gap.std(how="sample"),
        ipt_last_days=d._gap.argmax(d._day)).execute()
    out = out.merge(ipt, on="customer_id", how="left")
    out["overdue_ratio"] = out["recency_days"] / out["ipt_mean_days"].where(out["ipt_mean_days"] > 0)

    # spend trend: the last trend_days against the trend_days before them
    td = spec.trend_days
    recent_from = ibis.date(cutoff - dt.timedelta(days=td))
    prior_from = ibis.date(cutoff - dt.timedelta(days=2 * td))
    day = t.invoice_ts.date()
    is_recent = day > recent_from
    is_prior = (day > prior_from) & (day <= recent_from)
    tr = t.group_by("customer_id").aggregate(
        orders_recent=t.invoice.nunique(where=is_recent), orders_prior=t.invoice.nunique(where=is_prior),
        revenue_recent=t.amount.sum(where=is_recent), revenue_prior=t.amount.sum(where=is_prior)).execute()
    out = out.merge(tr, on="customer_id", how="left")
    for c in ("orders_recent", "orders_prior", "revenue_recent", "revenue_prior"):
        out[c] = out[c].fillna(0).astype(float)
    both = out["revenue_recent"] + out["revenue_prior"]
    out["spend_trend"] = ((out["revenue_recent"] - out["revenue_prior"]) / both).where(both > 0)

    # mix: products, categories, channels, country
    if spec.products or spec.categories:
        aggs = {}
        if spec.products:
            aggs["n_products"] = t.product_id.nunique()
        if spec.categories:
            aggs["n_categories"] = t.category.nunique()
        out = out.merge(t.group_by("customer_id").aggregate(**aggs).execute(), on="customer_id", how="left")
    if spec.categories:
        cat = _shares(t, "category", spec.categories, "cat_")
        g = t.filter(t.category.notnull()).group_by(["customer_id", "category"]).aggregate(_r=t.amount.sum())
        top = g.group_by("customer_id").aggregate(_top=g._r.max(), _all=g._r.sum()).execute()
        top["top_category_share"] = (top["_top"] / top["_all"]).where(top["_all"] > 0)
        out = out.merge(cat, on="customer_id", how="left").merge(
            top[["customer_id", "top_category_share"]], on="customer_id", how="left")
    if spec.channels:
        out = out.merge(_shares(t, "channel", spec.channels, "chan_"), on="customer_id", how="left")
        nch = t.group_by("customer_id").aggregate(n_channels=t.channel.nunique()).execute()
        out = out.merge(nch, on="customer_id", how="left").merge(
            _main_value(t, "channel", "main_channel"), on="customer_id", how="left")
    if spec.countries:
        out = out.merge(_main_value(t, "country", "country"), on="customer_id", how="left")

    num = [c for c in out.columns if c not in ("customer_id", "country", "main_channel")]
    out[num] = out[num].astype(float)
    return out.sort_values("customer_id", ignore_index=True)


class PAliveFeature(NamedTuple):
    """:func:`p_alive_feature`'s answer: the values (None when unknown), an English sentence, and the source."""

    values: pd.Series | None
    note: str
    source: object   # helpers.models.clv.Source, or None when the CLV module is not there


def p_alive_feature(lines, *, cutoff, time_unit: str = "W", random_seed: int = 42) -> PAliveFeature:
    """P(alive) at the cut-off from lines on or before it, via :mod:`helpers.models.clv`.

    Fits the purchase model through the CLV module's recovery chain
    (``clv.fit_purchase_chain``: BG/NBD by maximum likelihood, then with weakly-informative
    priors, then the NBD, then empirical rates) on :func:`helpers.features.customers.btyd_summary` of
    the lines up to ``cutoff`` and returns ``clv.p_alive`` of every customer when the step used
    has dropout. Under the NBD or empirical rates P(alive) does not exist: the values are
    then None (unknown), never filled with a default.

    Returns
    -------
    PAliveFeature
        ``(values, note, source)``: P(alive) (0..1) indexed by ``customer_id`` or None; an
        English sentence saying what was done; the ``clv.Source`` naming the step and why
        earlier steps were not used (``source.text()`` in the report language; None when the
        CLV module is not available).
    """
    cutoff = _as_date(cutoff)
    try:
        from helpers.models import clv
    except ImportError as exc:
        return PAliveFeature(None, f"P(alive) is left out: the CLV module (helpers.models.clv) is not available "
                                   f"({exc}).", None)
    summary = customers.btyd_summary(_customer_lines(lines), observation_end=cutoff, time_unit=time_unit).execute()
    # standard errors are not needed here; skipping them saves compiling the Hessian
    fit = clv.fit_purchase_chain(summary, model="bgnbd", method="map", random_seed=random_seed,
                                 time_unit=time_unit, standard_errors=False)
    if not fit.has_p_alive:
        return PAliveFeature(None, f"P(alive) is unknown at cut-off {cutoff}: the purchase model is {fit.label}, "
                                   "which has no dropout, so it is left out.", fit.source)
    pa = clv.p_alive(fit, summary)
    if not np.isfinite(pa).all():
        bad = int((~np.isfinite(pa)).sum())
        return PAliveFeature(None, f"P(alive) is left out at cut-off {cutoff}: {fit.label} gave {bad} customers "
                                   "no finite value.", fit.source)
    return PAliveFeature(pa, f"P(alive) from {fit.label} (time unit {time_unit}) on {len(summary):,} customers' "
                             f"purchases up to {cutoff}.", fit.source)


def churn_dataset(lines, *, cutoff, horizon_days: int, spec: FeatureSpec, time_unit: str = "W",
                  label: bool = True) -> ChurnDataset:
    """Features of the customers active at ``cutoff`` and, with ``label``, their churn label.

    Active at the cut-off: a purchase in the ``spec.active_days`` days up to it
    (``recency_days < active_days``). The label reads only the window after the cut-off;
    the features only the lines up to it.
    """
    cutoff = _as_date(cutoff)
    notes: list[str] = []
    feats = churn_features(lines, cutoff=cutoff, spec=spec)
    feats = feats[feats["recency_days"] < spec.active_days].reset_index(drop=True)
    source = None
    if spec.p_alive:
        pa, note, source = p_alive_feature(lines, cutoff=cutoff, time_unit=time_unit)
        notes.append(note)
        feats["p_alive"] = feats["customer_id"].map(pa).astype(float) if pa is not None else np.nan
    if label:
        lab = churn_labels(lines, cutoff=cutoff, horizon_days=horizon_days)
        feats = feats.merge(lab, on="customer_id", how="left")
    categorical = [c for c in ("country", "main_channel") if c in feats.columns]
    numeric = [c for c in feats.columns
               if c not in ("customer_id", "purchase_days_after", "churned", *categorical)]
    if "p_alive" in numeric and feats["p_alive"].isna().all():
        numeric.remove("p_alive")          # unknown at this cut-off: see common_features
    return ChurnDataset(cutoff, horizon_days, feats, spec, numeric, categorical, notes, source)


def common_features(*datasets: ChurnDataset) -> tuple[tuple[ChurnDataset, ...], list[str]]:
    """The data sets restricted to the features every one of them has, and the features dropped.

    A feature can be unknown at one cut-off and known at another: P(alive) is left out where
    the CLV module's recovery chain ended in a model without dropout (:func:`p_alive_feature`).
    A model trained on a feature must not score customers whose value of it is unknown (the
    imputer would silently fill in a typical value), nor can it score a set that lacks it, so
    every set of one analysis (training, test, scoring) is cut to the common features before
    any model is fitted. ``None`` entries are passed through.
    """
    present = [d for d in datasets if d is not None]
    if not present:
        return datasets, []
    numeric = [c for c in present[0].numeric if all(c in d.numeric for d in present)]
    categorical = [c for c in present[0].categorical if all(c in d.categorical for d in present)]
    dropped = sorted({c for d in present for c in d.features} - set(numeric) - set(categorical))
    out = tuple(None if d is None else replace(d, numeric=list(numeric), categorical=list(categorical))
                for d in datasets)
    return out, dropped


def add_features(ds: ChurnDataset, extra: pd.DataFrame, *, fill: dict | None = None) -> ChurnDataset:
    """``ds`` with the numeric columns of ``extra`` (one row per ``customer_id``) as more features.

    Built by the caller from data up to ``ds.cutoff`` only (e.g.
    :func:`helpers.models.voice.complaint_features`). Customers of ``ds`` missing from ``extra``
    get the ``fill`` value of each column (e.g. 0 reviews); columns without one stay empty and the
    pipelines impute them (median).
    """
    if "customer_id" not in extra.columns or extra["customer_id"].duplicated().any():
        raise ValueError("extra features need one row per customer_id")
    cols = [c for c in extra.columns if c != "customer_id"]
    clash = [c for c in cols if c in ds.frame.columns]
    if clash:
        raise ValueError(f"extra features {clash} are already in the data set")
    e = extra.assign(customer_id=extra["customer_id"].astype("string"))
    frame = ds.frame.assign(customer_id=ds.frame["customer_id"].astype("string")).merge(e, on="customer_id", how="left")
    for c, v in (fill or {}).items():
        frame[c] = frame[c].fillna(v)
    for c in cols:
        frame[c] = pd.to_numeric(frame[c], errors="raise").astype(float)
    return replace(ds, frame=frame, numeric=[*ds.numeric, *cols], categorical=list(ds.categorical))


def auc_difference(y, score_a, score_b, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """ROC-AUC of ``score_a`` minus that of ``score_b`` on the same customers, with a paired bootstrap.

    Customers are resampled with replacement ``n_boot`` times; both AUCs are recomputed on each
    resample, and the interval is the percentile interval of the differences at ``level``.

    Returns
    -------
    dict
        ``auc_a``, ``auc_b``, ``diff`` (a - b), ``low``, ``high``, ``n``, ``n_boot``.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=int)
    a, b = np.asarray(score_a, dtype=float), np.asarray(score_b, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("the AUC difference needs churned and retained customers")
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() == y[i].max():
            continue
        diffs.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]))
    q = (1 - level) / 2
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    return {"auc_a": auc_a, "auc_b": auc_b, "diff": auc_a - auc_b, "low": float(np.quantile(diffs, q)),
            "high": float(np.quantile(diffs, 1 - q)), "n": int(len(y)), "n_boot": len(diffs)}


def align(ds: ChurnDataset, like: ChurnDataset) -> ChurnDataset:
    """``ds`` with exactly the feature columns of ``like`` (missing ones empty), for scoring."""
    frame = ds.frame.copy()
    for c in like.features:
        if c not in frame:
            frame[c] = np.nan if c in like.numeric else pd.NA
    return replace(ds, frame=frame, numeric=list(like.numeric), categorical=list(like.categorical))


def feature_table(ds: ChurnDataset) -> pd.DataFrame:
    """Feature, meaning (with unit), median and share missing, for the notebook's feature list."""
    rows = []
    for c in ds.features:
        base = c.split("_", 1)[0] + "_" if c.startswith(("cat_", "chan_")) else c
        doc = {"cat_": "share of revenue in category ", "chan_": "share of revenue via channel "}.get(base)
        meaning = doc + c.split("_", 1)[1] + " (0..1)" if doc else FEATURE_DOCS.get(c, "")
        col = ds.frame[c]
        med = col.median() if c in ds.numeric and col.notna().any() else np.nan
        rows.append({"feature": c, "meaning": meaning, "median": med, "missing": float(col.isna().mean())})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------
def make_model(kind: str, numeric: list[str], categorical: list[str], *, random_state: int = 42):
    """A scikit-learn pipeline: preprocessing + classifier, on the raw feature frame.

    ``"logit"``: median imputation with missing-value indicators, log(1 + x) on the skewed
    counts, days and money (:data:`LOG_FEATURES`), standard scaling, one-hot categories,
    L2 logistic regression. ``"gbm"``: histogram gradient boosting (missing values handled
    natively), one-hot categories.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    onehot = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False)
    cat_pipe = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"), onehot)
    if kind == "logit":
        logged = [c for c in numeric if c in LOG_FEATURES]
        plain = [c for c in numeric if c not in LOG_FEATURES]
        log1p = FunctionTransformer(lambda x: np.log1p(np.clip(x, 0, None)), feature_names_out="one-to-one")
        parts = []
        if logged:
            parts.append(("log", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True), log1p, StandardScaler()),
                          logged))
        if plain:
            parts.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True), StandardScaler()), plain))
        if categorical:
            parts.append(("cat", cat_pipe, categorical))
        clf = LogisticRegression(C=1.0, max_iter=2000)
    elif kind == "gbm":
        parts = [("num", "passthrough", numeric)]
        if categorical:
            parts.append(("cat", cat_pipe, categorical))
        clf = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=200, max_leaf_nodes=15,
                                             min_samples_leaf=20, l2_regularization=1.0,
                                             early_stopping=False, random_state=random_state)
    else:
        raise ValueError(f"model kind '{kind}' is unknown; use one of {sorted(MODEL_NAMES)}")
    return Pipeline([("prep", ColumnTransformer(parts, remainder="drop")), ("model", clf)])


def _one_thread():
    """Run OpenMP code (histogram gradient boosting) on one thread: on small tables that is as fast,
    and on a busy machine OpenMP's spinning threads can make it 10-30 times slower."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def can_fit(ds: ChurnDataset) -> tuple[bool, str]:
    """Whether ``ds`` has enough churners and retained customers to fit a classifier."""
    if not ds.has_label or len(ds.frame) == 0:
        return False, f"cut-off {ds.cutoff}: no labelled customers."
    pos = int(ds.frame["churned"].sum())
    neg = len(ds.frame) - pos
    if min(pos, neg) < MIN_CLASS:
        return False, (f"cut-off {ds.cutoff}: {pos} churned and {neg} retained customers; each needs at least "
                       f"{MIN_CLASS} to fit a churn model.")
    return True, f"cut-off {ds.cutoff}: {pos:,} churned and {neg:,} retained customers."


def fit_models(ds: ChurnDataset, kinds=("logit", "gbm"), *, random_state: int = 42) -> dict:
    """Fit one pipeline per kind on ``ds``; an empty dict when :func:`can_fit` says no."""
    ok, _ = can_fit(ds)
    if not ok:
        return {}
    with _one_thread():
        return {k: make_model(k, ds.numeric, ds.categorical, random_state=random_state).fit(ds.X, ds.y)
                for k in kinds}


def _check_features(model, ds: ChurnDataset) -> None:
    """A named error when ``ds`` lacks a feature ``model`` was fitted on (see :func:`common_features`)."""
    fitted = list(getattr(model, "feature_names_in_", []))
    missing = [c for c in fitted if c not in ds.features]
    if missing:
        raise ValueError(f"cut-off {ds.cutoff}: the churn model was fitted on {missing}, which this data set does not "
                         "have (unknown at this cut-off); cut the training, test and scoring sets to their common "
                         "features with churn.common_features before fitting")


def model_scores(models: dict, ds: ChurnDataset) -> dict[str, np.ndarray]:
    """Churn probability (0..1) of each customer of ``ds`` under each model."""
    for m in models.values():
        _check_features(m, ds)
    with _one_thread():
        return {MODEL_NAMES.get(k, k): m.predict_proba(ds.X)[:, 1] for k, m in models.items()}


def baseline_scores(ds: ChurnDataset) -> dict[str, np.ndarray]:
    """Scores that need no model: RFM recency (more days = more risk) and 1 - P(alive) when present."""
    out = {"RFM recency (baseline)": ds.frame["recency_days"].to_numpy(dtype=float)}
    if "p_alive" in ds.numeric and ds.frame["p_alive"].notna().all():
        out["1 - P(alive) (BG/NBD)"] = 1.0 - ds.frame["p_alive"].to_numpy(dtype=float)
    return out


def evaluate(y, scores: dict[str, np.ndarray], probabilities=None) -> pd.DataFrame:
    """ROC-AUC, PR-AUC (average precision) and Brier score of each score against labels ``y``.

    Brier = mean((p - y)^2) is given only for the scores named in ``probabilities``
    (default: the models of :data:`MODEL_NAMES`), which are probabilities of the label; a
    ranking such as recency, or 1 - P(alive) (a probability of something else), has none.
    With a single class in ``y`` the AUCs are undefined (empty).
    """
    probabilities = set(MODEL_NAMES.values() if probabilities is None else probabilities)
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=int)
    two = len(np.unique(y)) == 2
    rows = []
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        is_prob = name in probabilities
        rows.append({
            "score": name,
            "roc_auc": roc_auc_score(y, s) if two else np.nan,
            "pr_auc": average_precision_score(y, s) if two else np.nan,
            "brier": brier_score_loss(y, s) if is_prob else np.nan,
        })
    out = pd.DataFrame(rows)
    out.attrs["base_rate"] = float(y.mean()) if len(y) else np.nan
    out.attrs["n"] = int(len(y))
    return out


def roc_table(y, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table of ROC curves: score, false_positive_rate, true_positive_rate."""
    from sklearn.metrics import roc_curve

    parts = []
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(np.asarray(y, dtype=int), np.asarray(s, dtype=float))
        parts.append(pd.DataFrame({"score": name, "false_positive_rate": fpr, "true_positive_rate": tpr}))
    return pd.concat(parts, ignore_index=True)


def calibration_table(y, p, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed churn rate in ``n_bins`` equal-count bins of the predicted probability.

    Columns: ``bin``, ``customers``, ``mean_predicted`` and ``observed_rate`` (0..1). A well
    calibrated model has observed_rate close to mean_predicted in every bin.
    """
    df = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    n_bins = max(1, min(n_bins, len(df)))
    df["bin"] = pd.qcut(df["p"].rank(method="first"), n_bins, labels=False) + 1
    g = df.groupby("bin").agg(customers=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
    return g.reset_index()


def gains_table(y, score, *, groups: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by ``groups`` equal-size groups of customers, highest score first.

    Columns: ``group`` (1 = highest scores), ``customers``, ``churners``, ``share_contacted``
    (cumulative share of customers, 0..1), ``gain`` (cumulative share of all churners found,
    0..1), ``lift`` = gain / share_contacted (cumulative; 1 = no better than random) and
    ``group_lift`` = the group's churn rate / the overall churn rate.
    """
    y = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    n = len(y)
    if n == 0:
        raise ValueError("gains_table: no customers to rank")
    order = np.argsort(-s, kind="mergesort")
    groups = max(1, min(groups, n))
    grp = np.arange(n) * groups // n + 1
    df = pd.DataFrame({"group": grp, "y": y[order]})
    g = df.groupby("group").agg(customers=("y", "size"), churners=("y", "sum")).reset_index()
    total = y.sum()
    g["share_contacted"] = g["customers"].cumsum() / n
    g["gain"] = g["churners"].cumsum() / total if total > 0 else np.nan
    g["lift"] = g["gain"] / g["share_contacted"]
    rate = total / n
    g["group_lift"] = (g["churners"] / g["customers"]) / rate if rate > 0 else np.nan
    return g


def confusion_table(y, p, *, threshold: float = 0.5) -> pd.DataFrame:
    """Counts of actual x predicted (predicted churn when p >= threshold), with row totals.

    ``attrs`` hold precision (share of predicted churners who churned), recall (share of
    churners found) and accuracy.
    """
    y = np.asarray(y, dtype=int)
    pred = (np.asarray(p, dtype=float) >= threshold).astype(int)
    tab = pd.DataFrame(
        [[int(((y == 1) & (pred == 1)).sum()), int(((y == 1) & (pred == 0)).sum())],
         [int(((y == 0) & (pred == 1)).sum()), int(((y == 0) & (pred == 0)).sum())]],
        index=pd.Index(["churned", "retained"], name="actual"),
        columns=pd.Index(["predicted churn", "predicted retained"], name=f"threshold {threshold:g}"))
    tp, fn, fp, tn = tab.iloc[0, 0], tab.iloc[0, 1], tab.iloc[1, 0], tab.iloc[1, 1]
    tab.attrs.update(precision=tp / (tp + fp) if tp + fp else np.nan, recall=tp / (tp + fn) if tp + fn else np.nan,
                     accuracy=(tp + tn) / len(y) if len(y) else np.nan)
    return tab


#: Explanations (permutation importance, partial dependence) are computed on a random sample of
#: at most this many customers: their averages settle long before 100,000 rows, and each costs
#: (features x repeats) or (grid points) full predictions of the rows used.
EXPLAIN_MAX_ROWS = 20_000


def _explain_rows(ds: ChurnDataset, max_rows: int | None, random_state: int) -> np.ndarray:
    """Row positions used to explain a model: all, or a seeded random sample of ``max_rows``."""
    n = len(ds.frame)
    if not max_rows or n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=max_rows, replace=False))


def importance_table(model, ds: ChurnDataset, *, n_repeats: int = 5, random_state: int = 0,
                     max_rows: int | None = EXPLAIN_MAX_ROWS) -> pd.DataFrame:
    """Permutation importance on ``ds``: the drop in ROC-AUC when one feature column is shuffled.

    Columns: ``feature``, ``importance`` (mean drop in ROC-AUC), ``std``; largest first.
    ``attrs["rows"]``: the customers used (a seeded sample of ``max_rows`` on large data).
    """
    from sklearn.inspection import permutation_importance

    rows = _explain_rows(ds, max_rows, random_state)
    with _one_thread():
        r = permutation_importance(model, ds.X.iloc[rows], ds.y[rows], scoring="roc_auc", n_repeats=n_repeats,
                                   random_state=random_state, n_jobs=1)
    out = pd.DataFrame({"feature": ds.features, "importance": r.importances_mean, "std": r.importances_std})
    out = out.sort_values("importance", ascending=False, ignore_index=True)
    out.attrs["rows"] = len(rows)
    return out


def partial_dependence_table(model, ds: ChurnDataset, features: list[str], *, grid: int = 20,
                             max_rows: int | None = EXPLAIN_MAX_ROWS, random_state: int = 0) -> pd.DataFrame:
    """Average predicted churn probability as one numeric feature is set to each grid value.

    The grid is ``grid`` quantiles (5 % .. 95 %) of the feature's observed values; every
    customer of ``ds`` is scored at each grid value and the probabilities averaged (the
    classic partial dependence of Friedman 2001). Columns: ``feature``, ``value``,
    ``churn_probability``. On large data the customers are a seeded sample of ``max_rows``.
    """
    X = ds.X.iloc[_explain_rows(ds, max_rows, random_state)]
    parts = []
    for f in features:
        if f not in ds.numeric:
            continue
        vals = X[f].dropna()
        if vals.nunique() < 2:
            continue
        grid_vals = np.unique(np.quantile(vals, np.linspace(0.05, 0.95, grid)))
        probs = []
        with _one_thread():
            for v in grid_vals:
                Xv = X.copy()
                Xv[f] = v
                probs.append(float(model.predict_proba(Xv)[:, 1].mean()))
        parts.append(pd.DataFrame({"feature": f, "value": grid_vals, "churn_probability": probs}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["feature", "value", "churn_probability"])


def choose_model(metrics: pd.DataFrame) -> str | None:
    """The model (not a baseline) with the highest test ROC-AUC; its key in MODEL_NAMES."""
    m = metrics[metrics["score"].isin(MODEL_NAMES.values())].dropna(subset=["roc_auc"])
    if m.empty:
        return None
    best = m.sort_values(["roc_auc", "pr_auc"], ascending=False).iloc[0]["score"]
    return {v: k for k, v in MODEL_NAMES.items()}[best]


RISK_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def score_customers(model, ds: ChurnDataset, value: pd.Series | None = None) -> pd.DataFrame:
    """Churn risk of every customer in ``ds`` (usually the active base at the analysis date).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``churn_risk`` (probability of no purchase in the next
        ``ds.horizon_days`` days, 0..1), ``risk_band`` (0-25 %, 25-50 %, 50-75 %, 75-100 %),
        ``recency_days``, ``frequency``, ``monetary`` and ``value`` (from ``value``; NaN where
        it is unknown), highest risk first.
    """
    _check_features(model, ds)
    out = ds.frame[["customer_id", *[c for c in ("recency_days", "frequency", "monetary") if c in ds.frame]]].copy()
    with _one_thread():
        out.insert(1, "churn_risk", model.predict_proba(ds.X)[:, 1])
    labels = [f"{int(a * 100)}-{int(b * 100)} %" for a, b in zip(RISK_BANDS[:-1], RISK_BANDS[1:])]
    out.insert(2, "risk_band", pd.cut(out["churn_risk"], RISK_BANDS, labels=labels, include_lowest=True))
    out["value"] = out["customer_id"].map(value).astype(float) if value is not None else np.nan
    return out.sort_values(["churn_risk", "customer_id"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------------------
# survival
# --------------------------------------------------------------------------------------
def lifetimes(lines, *, analysis_date, lapse_days: int, has: dict | None = None) -> pd.DataFrame:
    """Active lifetime per customer (time to churn), right-censored, for Kaplan-Meier curves.

    A purchase day L is a **lapse** when the customer buys nothing in the ``lapse_days`` days
    after it, ``(L, L + lapse_days]``, and that window is observed (``L + lapse_days`` on or
    before the analysis date) -- the same rule as the churn label. The customer's active
    lifetime is the first lapse day minus the first purchase day (days; 0 for a one-time
    buyer), with ``churned`` = 1. A customer with no lapse yet is censored (``churned`` = 0)
    at ``analysis_date - lapse_days - first_day``: every purchase day up to there was followed
    by another within ``lapse_days`` days, so the lifetime is longer than that. Customers whose
    first purchase is in the last ``lapse_days`` days cannot be judged yet and are left out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``first_day``, ``duration_days``, ``churned`` (1 = lapse observed),
        ``first_value`` (revenue of the first purchase day, currency), and ``country`` /
        ``channel`` (the one with most revenue) when ``has`` says they exist.
    """
    end = _as_date(analysis_date)
    judge_until = end - dt.timedelta(days=lapse_days)
    t = _before(lines, end)
    d = t.mutate(_day=t.invoice_ts.date()).group_by(["customer_id", "_day"]).aggregate(_v=t.amount.sum())
    w = ibis.window(group_by=d.customer_id, order_by=d._day)
    nxt = d._day.lead().over(w)
    lapse = ibis.ifelse(nxt.isnull(), d._day <= ibis.date(judge_until), nxt.delta(d._day, unit="day") > lapse_days)
    d = d.mutate(_lapse=lapse)
    g = d.group_by("customer_id").aggregate(
        first_day=d._day.min(), lapse_day=d._day.min(where=d._lapse), first_value=d._v.argmin(d._day))
    g = g.filter(g.first_day <= ibis.date(judge_until)).execute()
    for c in ("first_day", "lapse_day"):
        g[c] = pd.to_datetime(g[c])
    g["churned"] = g["lapse_day"].notna().astype("int64")
    stop = g["lapse_day"].where(g["churned"] == 1, pd.Timestamp(judge_until))
    g["duration_days"] = (stop - g["first_day"]).dt.days.astype("int64")
    out = g[["customer_id", "first_day", "duration_days", "churned", "first_value"]]
    has = has or {}
    for col in ("country", "channel"):
        if has.get(col):
            out = out.merge(_main_value(t, col, col), on="customer_id", how="left")
    return out.sort_values("customer_id", ignore_index=True)


def segment_of(life: pd.DataFrame, how: str, *, top: int = 4) -> pd.Series | None:
    """A segment label per row of :func:`lifetimes`, or None when the column is missing.

    ``"first_value"``: terciles of the first purchase day's value (low / mid / high);
    ``"country"`` and ``"channel"``: the ``top`` most common values, the rest "other";
    ``"cohort"``: the half-year of the first purchase.
    """
    if how == "first_value":
        v = life["first_value"].astype(float)
        if v.nunique() < 3:
            return None
        q = pd.qcut(v.rank(method="first"), 3, labels=["low first order", "mid first order", "high first order"])
        return q.astype("string")
    if how == "cohort":
        fd = pd.to_datetime(life["first_day"])
        return (fd.dt.year.astype(str) + "-H" + ((fd.dt.month - 1) // 6 + 1).astype(str)).astype("string")
    if how in ("country", "channel"):
        if how not in life:
            return None
        s = life[how].astype("string").fillna("(missing)")
        keep = s.value_counts().head(top).index
        return s.where(s.isin(keep), "other")
    raise ValueError(f"segment '{how}' is unknown; use first_value, cohort, country or channel")


def km_table(life: pd.DataFrame, segment: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier survival (share still active) by segment, with lifelines.

    Returns
    -------
    (curves, summary)
        ``curves``: segment, ``days`` (since the first purchase), ``survival`` (0..1) and its
        95 % confidence band ``lower`` / ``upper``. ``summary``: per segment ``customers``,
        ``lapsed`` (observed churn events), ``came_back`` (S(0): share not lapsed right after
        the first purchase, i.e. who bought again within the lapse window), ``median_days``
        (median active lifetime; 0 when most never came back, empty when survival never
        falls to 0.5) and ``active_after_180_days`` / ``active_after_365_days`` (survival);
        ``attrs["logrank_p"]`` is the multivariate log-rank test's p-value (are the curves
        different?).
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    curves, rows = [], []
    seg = segment.astype("string").fillna("(missing)")
    for name in sorted(seg.unique()):
        m = (seg == name).to_numpy()
        kmf = KaplanMeierFitter().fit(life.loc[m, "duration_days"], life.loc[m, "churned"], label=str(name))
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        curves.append(pd.DataFrame({"segment": str(name), "days": sf.index.to_numpy(dtype=float),
                                    "survival": sf.to_numpy(), "lower": ci.iloc[:, 0].to_numpy(),
                                    "upper": ci.iloc[:, 1].to_numpy()}))
        med = kmf.median_survival_time_
        rows.append({"segment": str(name), "customers": int(m.sum()), "lapsed": int(life.loc[m, "churned"].sum()),
                     "came_back": float(kmf.predict(0)),
                     "median_days": float(med) if np.isfinite(med) else np.nan,
                     "active_after_180_days": float(kmf.predict(180)),
                     "active_after_365_days": float(kmf.predict(365))})
    summary = pd.DataFrame(rows)
    p = np.nan
    if seg.nunique() > 1:
        p = float(multivariate_logrank_test(life["duration_days"], seg, life["churned"]).p_value)
    summary.attrs["logrank_p"] = p
    return pd.concat(curves, ignore_index=True), summary


# --------------------------------------------------------------------------------------
# retention plan
# --------------------------------------------------------------------------------------
def historical_value(lines, *, analysis_date, days: int = 365) -> pd.Series:
    """Revenue of each customer in the ``days`` days up to the analysis date (currency).

    The simple value at stake: what a customer brought in over the last year is what the
    shop stands to lose per year if they leave. Indexed by ``customer_id``: every customer
    with a purchase on or before the analysis date, 0 for those who bought nothing in the
    window (a measured zero, not a missing value).
    """
    end = _as_date(analysis_date)
    t = _before(lines, end)
    in_window = t.invoice_ts.date() > ibis.date(end - dt.timedelta(days=days))
    g = t.group_by("customer_id").aggregate(value=t.amount.sum(where=in_window)).execute()
    return g.set_index("customer_id")["value"].fillna(0.0).astype(float).sort_index()


def value_at_stake(lines, *, analysis_date, time_unit: str = "W", margin: float = 1.0, clv_months: int = 12,
                   discount_rate: float = 0.10, value_days: int = 365, use_clv: bool = True) -> tuple[pd.Series, str]:
    """The value a customer's loss would cost (profit, currency), and a sentence saying which.

    With ``use_clv``: the predictive CLV **if the customer is kept**, from
    :func:`helpers.models.clv.customer_value` (the CLV module's recovery chains,
    ``clv.fit_models``, on the lines up to ``analysis_date``, discounted over ``clv_months`` at
    the yearly ``discount_rate``, times ``margin``). A BG/NBD (or Pareto/NBD) expected purchase
    count is P(alive) x the purchases of a live customer, so the predictive CLV already counts
    the chance that the customer has left; multiplying it by a churn risk again would count the
    loss twice: the value if kept is CLV / P(alive) (P(alive) floored at 0.01). When the chain
    ended in a model without dropout (NBD, empirical rates) its CLV already is the value of a
    customer who stays, and is used as it is. A customer whose CLV is unknown under the step
    used (e.g. empirical rates with no time observed) gets NaN, not a default. Without
    ``use_clv``, or when no customer has a known CLV: the historical value,
    :func:`historical_value` over ``value_days`` x ``margin``.

    Returns
    -------
    (pandas.Series, str)
        Value per ``customer_id`` (currency, margin applied) and what it is (English).
        ``attrs``: ``kind`` ("clv_if_kept" or "historical"), ``purchase_source`` /
        ``spend_source`` (``clv.Source`` of each fit, with the CLV), ``unknown`` (customers
        with no value), ``why`` (why the CLV was not used, English).
    """
    end = _as_date(analysis_date)
    why = "not asked for"
    if use_clv:
        from helpers.models import clv

        summary = customers.btyd_summary(_customer_lines(lines), observation_end=end, time_unit=time_unit).execute()
        fits = clv.fit_models(summary, model="bgnbd", method="map", time_unit=time_unit, standard_errors=False)
        cv = clv.customer_value(fits.purchase, fits.spend, summary, horizon_months=clv_months,
                                discount_rate=discount_rate, margin=margin, time_unit=time_unit)
        cv = cv.set_index("customer_id")
        if fits.purchase.has_p_alive:
            val = (cv["clv"] / cv["p_alive"].clip(lower=0.01)).astype(float).rename("value")
        else:
            val = cv["clv"].astype(float).rename("value")
        val = val.where(np.isfinite(val))
        if val.notna().any():
            unknown = int(val.isna().sum())
            val.attrs.update(kind="clv_if_kept", purchase_source=fits.purchase.source, spend_source=fits.spend.source,
                             unknown=unknown, why="")
            return val, (f"predictive CLV if kept = CLV{' / P(alive)' if fits.purchase.has_p_alive else ''} "
                         f"({fits.label}) over the next {clv_months} months, discounted at {discount_rate:.0%} a year, "
                         f"x margin {margin:g}" + (f"; unknown for {unknown:,} customers" if unknown else ""))
        why = f"no customer has a known CLV under {fits.label}"
    val = (historical_value(lines, analysis_date=end, days=value_days) * margin).rename("value")
    val.attrs.update(kind="historical", unknown=0, why=why)
    return val, (f"historical value: revenue in the last {value_days} days x margin {margin:g} "
                 f"(predictive CLV not used: {why})")


def retention_plan(risk: pd.Series, value: pd.Series, *, success_rate: float, contact_cost: float,
                   margin: float = 1.0) -> pd.DataFrame:
    """Rank customers by expected saved value of a retention contact.

    expected_saved_value = churn_risk x value x margin x success_rate - contact_cost

    Parameters
    ----------
    risk : Series
        Churn probability (0..1) by customer_id.
    value : Series
        Value at stake per customer (currency; CLV or historical value). A customer missing
        from it, or with NaN, has an unknown value: they get no expected saved value and are
        listed after everyone valued, outside the cumulative return (``attrs["unvalued"]``
        counts them).
    success_rate : float
        Share of would-be churners the contact keeps (0..1).
    contact_cost : float
        Cost of one contact (currency).
    margin : float
        Share of value that is profit (1.0 when ``value`` already is profit).

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``customer_id``, ``churn_risk``, ``value``, ``expected_saved_value`` and
        ``cumulative_return`` (sum of expected saved value of everyone ranked up to here),
        best first; the unvalued last with both empty.
    """
    if not 0 <= success_rate <= 1:
        raise ValueError(f"success_rate = {success_rate}: must be a share between 0 and 1")
    if contact_cost < 0:
        raise ValueError(f"contact_cost = {contact_cost}: must be >= 0 (currency per contact)")
    if not 0 < margin <= 1:
        raise ValueError(f"margin = {margin}: must be a share in (0, 1]")
    df = pd.DataFrame({"churn_risk": risk.astype(float)})
    df["value"] = value.reindex(df.index).astype(float)
    df["expected_saved_value"] = df["churn_risk"] * df["value"] * margin * success_rate - contact_cost
    df = df.rename_axis("customer_id").reset_index()
    df = df.sort_values(["expected_saved_value", "customer_id"], ascending=[False, True], ignore_index=True,
                        na_position="last")
    known = df["expected_saved_value"].notna()
    df["cumulative_return"] = df["expected_saved_value"].where(known).cumsum().where(known)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    df.attrs["unvalued"] = int((~known).sum())
    return df


def break_even(plan: pd.DataFrame) -> dict:
    """Where the campaign pays: best list size, its return, and the break-even list size.

    Over the customers with a known value (``customers`` counts them). ``best_n``: customers
    with a positive expected saved value (the cumulative return peaks there); ``best_return``: the cumulative return at best_n (currency); ``break_even_n``: the
    longest list whose cumulative return is still >= 0 (contacting more loses money overall).
    """
    plan = plan[plan["expected_saved_value"].notna()]          # customers with an unknown value are not counted
    cum = plan["cumulative_return"].to_numpy()
    best_n = int((plan["expected_saved_value"] > 0).sum())
    ok = np.flatnonzero(cum >= 0)
    return {"customers": int(len(plan)), "best_n": best_n,
            "best_return": float(cum[best_n - 1]) if best_n else 0.0,
            "break_even_n": int(ok.max() + 1) if ok.size and cum[0] >= 0 else 0,
            "contact_all_return": float(cum[-1]) if len(cum) else 0.0}


# --------------------------------------------------------------------------------------
# known truth (synthetic data)
# --------------------------------------------------------------------------------------
def true_dropout(truth_customers: pd.DataFrame, *, cutoff) -> pd.Series:
    """Whether each synthetic customer had truly dropped out by the end of the cut-off day.

    In the generator a customer drops out right after a repeat purchase (``dropout_ts``, the
    last purchase), so "dead at the cut-off" is ``dropout_ts`` on or before the cut-off day.
    A customer still alive who merely buys nothing in the label window is *not* a true
    churner (the observed label counts them as churned). Under the BG/NBD convention a
    customer with no repeat purchase cannot have dropped out. Indexed by ``customer_id``, 1/0.
    """
    c = truth_customers.set_index("customer_id")
    limit = pd.Timestamp(_as_date(cutoff)) + pd.Timedelta(days=1)
    return (c["dropout_ts"].notna() & (c["dropout_ts"] < limit)).astype("int64").rename("true_dropout")


def oracle_p_alive(truth_customers: pd.DataFrame, ds: ChurnDataset) -> pd.Series:
    """P(alive) at the cut-off with each customer's *true* lambda and p (the best any score can do).

    For a customer with x >= 1 repeat purchases, last purchase t_x and age T (weeks),
    P(alive) = 1 / (1 + p / (1 - p) * exp(lambda (T - t_x))); for x = 0 it is 1 (BG/NBD
    convention). Uses only the customer's purchase days up to the cut-off (from ``ds``).
    """
    c = truth_customers.set_index("customer_id").reindex(ds.frame["customer_id"])
    lam, p = c["lambda"].to_numpy(float), c["p"].to_numpy(float)
    gap_w = ds.frame["recency_days"].to_numpy(float) / 7.0     # T - t_x in weeks
    repeat = ds.frame["purchase_days"].to_numpy(float) > 1
    with np.errstate(over="ignore", divide="ignore"):
        odds = p / (1 - p) * np.exp(lam * gap_w)
        pa = np.where(repeat, 1.0 / (1.0 + odds), 1.0)
    return pd.Series(pa, index=ds.frame["customer_id"].to_numpy(), name="oracle_p_alive")


def truth_table(truth_customers: pd.DataFrame, ds: ChurnDataset, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """ROC-AUC of each score against true dropout at ``ds.cutoff``, for all and for repeat customers.

    Repeat customers (two or more purchase days before the cut-off) are shown separately
    because under the generator's BG/NBD convention a one-time buyer cannot have dropped out,
    however unlikely they are to buy again. Adds the *oracle* P(alive) computed with every
    customer's true lambda and p (the best ranking possible from a purchase history).
    Columns: ``score``, then the ROC-AUC per population; ``attrs`` says per population how
    many customers it holds and what share truly dropped out.
    """
    from sklearn.metrics import roc_auc_score

    td = true_dropout(truth_customers, cutoff=ds.cutoff).reindex(ds.frame["customer_id"]).fillna(0).to_numpy(int)
    scores = dict(scores)
    scores["oracle: 1 - P(alive) with the true parameters"] = 1.0 - oracle_p_alive(truth_customers, ds).to_numpy()
    repeat = ds.frame["purchase_days"].to_numpy(float) > 1
    pops = {"all active customers": np.ones(len(td), bool), "repeat customers": repeat}
    rows = []
    for name, sc in scores.items():
        row = {"score": name}
        for pop, m in pops.items():
            ok = len(np.unique(td[m])) == 2
            row[pop] = roc_auc_score(td[m], np.asarray(sc, float)[m]) if ok else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({pop: f"{int(m.sum()):,} customers, {td[m].mean() if m.any() else np.nan:.1%} truly dropped out"
                      for pop, m in pops.items()})
    return out
