"""The churn data set of one cut-off: its feature specification, frame, label, and feature bookkeeping.

:class:`FeatureSpec` fixes which optional columns a data set has (on the training cut-off, so
every later set matches); :class:`ChurnDataset` holds the per-customer frame of one cut-off.
:func:`common_features`, :func:`add_features` and :func:`align` keep the training, test and
scoring sets on the same columns; :data:`FEATURE_DOCS` and :func:`feature_unit` say what each
feature means and its unit (days, the currency, counts, shares 0..1).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.phrase import Phrase


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


def common_features(*datasets: ChurnDataset) -> tuple[tuple[ChurnDataset, ...], list[str]]:
    """The data sets restricted to the features every one of them has, and the features dropped.

    A feature can be unknown at one cut-off and known at another: P(alive) is left out where
    the CLV module's recovery chain ended in a model without dropout
    (:func:`helpers.models.churn.features.p_alive_feature`).
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


def sample_customers(ds: ChurnDataset, max_rows: int | None, *, random_state: int = 0) -> ChurnDataset:
    """``ds`` itself when it holds at most ``max_rows`` customers (or ``max_rows`` is None), else a seeded random
    sample of ``max_rows`` of them, in their original order; ``len(ds.frame)`` says which."""
    n = len(ds.frame)
    if not max_rows or n <= max_rows:
        return ds
    rows = np.sort(np.random.default_rng(random_state).choice(n, size=max_rows, replace=False))
    return replace(ds, frame=ds.frame.iloc[rows].reset_index(drop=True))


def align(ds: ChurnDataset, like: ChurnDataset) -> ChurnDataset:
    """``ds`` with exactly the feature columns of ``like`` (missing ones empty), for scoring."""
    frame = ds.frame.copy()
    for c in like.features:
        if c not in frame:
            frame[c] = np.nan if c in like.numeric else pd.NA
    return replace(ds, frame=frame, numeric=list(like.numeric), categorical=list(like.categorical))


def feature_table(ds: ChurnDataset) -> pd.DataFrame:
    """Feature, meaning (with unit; a :class:`~helpers.phrase.Phrase`, ``fdoc_<feature>``, or "" for a feature
    without a description), median and share missing, for the notebook's feature list."""
    rows = []
    for c in ds.features:
        if c.startswith(("cat_", "chan_")):
            kind, name = c.split("_", 1)
            meaning = Phrase(f"fdoc_{kind}", name=name)
        else:
            meaning = Phrase(f"fdoc_{c}") if c in FEATURE_DOCS else ""
        col = ds.frame[c]
        med = col.median() if c in ds.numeric and col.notna().any() else np.nan
        rows.append({"feature": c, "meaning": meaning, "median": med, "missing": float(col.isna().mean())})
    return pd.DataFrame(rows)
