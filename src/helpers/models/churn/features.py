"""Per-customer churn features from the lines on or before a cut-off, and the data set of one cut-off.

Every feature is computed from lines on or before the cut-off only (:func:`churn_features`
filters first and never sees later lines): recency, tenure, rhythm (inter-purchase times), spend
trend, product / category / channel mix and, via :mod:`helpers.models.clv`, the BG/NBD P(alive).
:func:`churn_dataset` adds the label of :func:`helpers.models.churn.labels.churn_labels`.
Units: every ``*_days`` column in days, money in the data's currency, shares 0..1.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import ibis
import numpy as np
import pandas as pd

from helpers.features import customers
from helpers.models.churn.dataset import ChurnDataset, FeatureSpec
from helpers.models.churn.labels import as_date, churn_labels, customer_lines, lines_before
from helpers.phrase import Phrase


def top_values(lines, column: str, *, cutoff, top: int = 8) -> tuple[str, ...]:
    """The ``top`` values of ``column`` by customer revenue before the cut-off (largest first)."""
    t = lines_before(lines, as_date(cutoff))
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


def main_value(t, column: str, name: str) -> pd.DataFrame:
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
        ``customer_id``; columns as in :data:`helpers.models.churn.dataset.FEATURE_DOCS` (days, currency, counts, shares
        0..1), plus ``cat_<category>`` and ``chan_<channel>`` revenue shares.
    """
    cutoff = as_date(cutoff)
    t = lines_before(lines, cutoff)                                    # <- the only read of the lines
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
            main_value(t, "channel", "main_channel"), on="customer_id", how="left")
    if spec.countries:
        out = out.merge(main_value(t, "country", "country"), on="customer_id", how="left")

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
        ``(values, note, source)``: P(alive) (0..1) indexed by ``customer_id`` or None; a
        :class:`~helpers.phrase.Phrase` saying what was done; the ``clv.Source`` naming the step and
        why earlier steps were not used (``source.phrase``; None when the CLV module is not available).
    """
    cutoff = as_date(cutoff)
    try:
        from helpers.models import clv
    except ImportError as exc:
        return PAliveFeature(None, Phrase("pa_no_clv", error=str(exc)), None)
    summary = customers.btyd_summary(customer_lines(lines), observation_end=cutoff, time_unit=time_unit).execute()
    # standard errors are not needed here; skipping them saves compiling the Hessian
    fit = clv.fit_purchase_chain(summary, model="bgnbd", method="map", random_seed=random_seed,
                                 time_unit=time_unit, standard_errors=False)
    if not fit.has_p_alive:
        return PAliveFeature(None, Phrase("pa_no_dropout", cutoff=cutoff, model=fit.phrase), fit.source)
    pa = clv.p_alive(fit, summary)
    if not np.isfinite(pa).all():
        bad = int((~np.isfinite(pa)).sum())
        return PAliveFeature(None, Phrase("pa_not_finite", cutoff=cutoff, model=fit.phrase, n=bad), fit.source)
    return PAliveFeature(pa, Phrase("pa_from", model=fit.phrase, unit=time_unit, n=len(summary), cutoff=cutoff),
                         fit.source)


def churn_dataset(lines, *, cutoff, horizon_days: int, spec: FeatureSpec, time_unit: str = "W",
                  label: bool = True) -> ChurnDataset:
    """Features of the customers active at ``cutoff`` and, with ``label``, their churn label.

    Active at the cut-off: a purchase in the ``spec.active_days`` days up to it
    (``recency_days < active_days``). The label reads only the window after the cut-off;
    the features only the lines up to it.
    """
    cutoff = as_date(cutoff)
    notes: list[Phrase] = []
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


def cutoff_datasets(lines, *, train_cut, test_cut, analysis_date, horizon_days: int, has: dict | None = None,
                    p_alive: bool = True, trend_days: int = 90, active_days: int = 365, time_unit: str = "W"):
    """The data sets of notebook 05 with one feature spec (made at the training cut-off, else the analysis date):
    training and test (labelled; None without their cut-off) and today's customers (unlabelled). A feature unknown
    at one cut-off (P(alive) when the CLV chain ends without dropout) is left out of every set.

    Returns ``(train, test, now, dropped_features)``.
    """
    from helpers.models.churn.dataset import common_features

    spec = make_spec(lines, cutoff=train_cut or analysis_date, has=has, p_alive=p_alive,
                     trend_days=trend_days, active_days=active_days)
    train = churn_dataset(lines, cutoff=train_cut, horizon_days=horizon_days, spec=spec,
                          time_unit=time_unit) if train_cut else None
    test = churn_dataset(lines, cutoff=test_cut, horizon_days=horizon_days, spec=spec,
                         time_unit=time_unit) if test_cut else None
    now = churn_dataset(lines, cutoff=analysis_date, horizon_days=horizon_days, spec=spec,
                        time_unit=time_unit, label=False)
    (train, test, now), dropped = common_features(train, test, now)
    return train, test, now, dropped
