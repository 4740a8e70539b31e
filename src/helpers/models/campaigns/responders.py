"""Who responds: per-customer response flags, the groupings they are profiled by (RFM segment, CLV or spend tier, attributes) and the chi-square profile.
"""
from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from helpers.models.campaigns.tables import MISSING, need_columns


def customer_flags(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per reached customer: campaigns_reached, campaigns_responded, campaign_responder (responded to any)."""
    resp = pairs["responded"].fillna(False).astype(bool)
    g = pairs.assign(_r=resp).groupby("customer_id", as_index=False, sort=True)
    out = g.agg(campaigns_reached=("campaign_id", "nunique"), campaigns_responded=("_r", "sum"))
    out["campaigns_responded"] = out["campaigns_responded"].astype("int64")
    out["campaign_responder"] = out["campaigns_responded"] > 0
    return out


def spend_tier(rfm: pd.DataFrame, labels=("low", "mid", "high")) -> pd.DataFrame:
    """A simple value tier: terciles of total revenue (``monetary``) over all customers.

    The stand-in for the CLV tier (:func:`helpers.models.clv.value_tier_table`) when no CLV model can be fitted.
    Returns customer_id and spend_tier (ordered categorical of ``labels``).
    """
    need_columns(rfm, ("customer_id", "monetary"), "customers_rfm")
    ranks = rfm["monetary"].rank(method="first")
    tier = pd.qcut(ranks, len(labels), labels=list(labels)) if len(rfm) >= len(labels) else \
        pd.Categorical([labels[0]] * len(rfm), categories=list(labels), ordered=True)
    return pd.DataFrame({"customer_id": rfm["customer_id"].astype("string"), "spend_tier": tier})


def _ordered_tiers(s: pd.Series) -> pd.Categorical:
    """Tier labels as an ordered categorical, best tier first (the order of clv.value_tiers)."""
    from helpers.models import clv

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories]
    else:
        known = clv.tier_labels()
        present = [v for v in s.dropna().astype(str).unique()]
        cats = [c for c in known if c in present] + sorted(v for v in present if v not in known)
    values = s.astype("object").where(s.notna(), None).map(lambda v: None if v is None else str(v))
    return pd.Categorical(values, categories=[str(c) for c in cats], ordered=True)


def _as_categories(s: pd.Series, max_levels: int = 12, missing: str = MISSING) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if s.nunique() > max_levels:
            return pd.qcut(s, 4, duplicates="drop").astype("string").fillna(missing)
        whole = s.dropna()
        if len(whole) and (whole == whole.round()).all():   # 2.0 -> "2"
            return s.astype("Int64").astype("string").fillna(missing)
    return s.astype("string").fillna(missing)


#: value orders recognised in attribute columns (others: by leading number, then alphabetically)
_KNOWN_ORDERS = (("low", "lower", "middle", "mid", "medium", "upper", "high", "higher"),)


def _value_order(values) -> list:
    """Attribute values in a readable order: known words (low < middle < high), else by leading number, else A-Z."""
    import re

    vals = list(values)
    for known in _KNOWN_ORDERS:
        low = [str(v).lower() for v in vals]
        if all(v in known for v in low if v):
            return [v for _, v in sorted(zip((known.index(x) if x in known else 99 for x in low), vals))]

    def key(v):
        m = re.match(r"\s*[<>]?\s*(\d+(?:[.,]\d+)?)", str(v))
        return (0, float(m.group(1).replace(",", ".")), str(v)) if m else (1, 0.0, str(v))
    return sorted(vals, key=key)


def responder_profile(flags: pd.DataFrame, groups: pd.DataFrame, *, alpha: float = 0.05,
                      max_levels: int = 12, missing_label: str = MISSING) -> pd.DataFrame:
    """Responders vs non-responders across the values of each grouping column, with a chi-square test.

    Parameters
    ----------
    flags : pandas.DataFrame
        :func:`customer_flags` (reached customers with ``campaign_responder``).
    groups : pandas.DataFrame
        customer_id plus one column per grouping (RFM segment, spend tier, region, age band,
        ...). Reached customers missing from ``groups`` (or with a null value) get
        ``missing_label`` (default :data:`MISSING`). Numeric columns
        with more than ``max_levels`` values are cut into quartiles.
    alpha : float
        Family significance level; each of the m groupings is tested at alpha / m (Bonferroni).

    Returns
    -------
    pandas.DataFrame
        Long table, one row per grouping and value: variable, value, responders,
        non_responders, share_of_responders and share_of_non_responders (column shares, 0..1),
        response_rate (responders / customers with that value), p_value and significant (of
        the grouping's chi-square test of independence; the same on every row of a grouping),
        min_expected (smallest expected count: below 5 the test is approximate) and
        customers_tested. The test leaves out the customers without a value (``missing_label``):
        whether a value is known (e.g. who filled in a survey) would otherwise dominate it; their
        row is still shown.
    """
    need_columns(groups, ("customer_id",), "groups")
    variables = [c for c in groups.columns if c != "customer_id"]
    g = groups.assign(customer_id=groups["customer_id"].astype("string")).drop_duplicates("customer_id")
    base = flags[["customer_id", "campaign_responder"]].merge(g, on="customer_id", how="left")
    level = alpha / max(len(variables), 1)
    parts = []
    for var in variables:
        values = _as_categories(base[var], max_levels, missing_label)
        tab = pd.crosstab(values, base["campaign_responder"]).reindex(columns=[True, False], fill_value=0)
        if isinstance(base[var].dtype, pd.CategoricalDtype):
            order = [str(c) for c in base[var].cat.categories if str(c) in tab.index]
        else:
            order = _value_order([i for i in tab.index if i != missing_label])
        tab = tab.reindex(order + [i for i in tab.index if i not in order])
        p, min_exp = math.nan, math.nan
        keep = tab[(tab.sum(axis=1) > 0) & (tab.index != missing_label)]
        if keep.shape[0] >= 2 and (keep.sum(axis=0) > 0).all():
            res = stats.chi2_contingency(keep.to_numpy(), correction=False)
            p, min_exp = float(res.pvalue), float(res.expected_freq.min())
        part = pd.DataFrame({
            "variable": var, "value": tab.index.astype(str),
            "responders": tab[True].to_numpy(), "non_responders": tab[False].to_numpy()})
        part["share_of_responders"] = part["responders"] / max(int(tab[True].sum()), 1)
        part["share_of_non_responders"] = part["non_responders"] / max(int(tab[False].sum()), 1)
        part["response_rate"] = part["responders"] / (part["responders"] + part["non_responders"])
        part["p_value"] = p
        part["customers_tested"] = int(keep.to_numpy().sum())
        part["significant"] = bool(p < level) if not math.isnan(p) else False
        part["min_expected"] = min_exp
        parts.append(part)
    cols = ["variable", "value", "responders", "non_responders", "share_of_responders", "share_of_non_responders",
            "response_rate", "p_value", "significant", "min_expected", "customers_tested"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.attrs["level"] = level
    return out[cols]


def profile_groups(rfm: pd.DataFrame | None, attributes: pd.DataFrame | None = None, *,
                   tier_labels=("low", "mid", "high"), clv_tiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The groupings responders are profiled by: RFM segment, CLV tier (else spend tier), and every attribute column.

    Parameters
    ----------
    rfm : pandas.DataFrame, optional
        The prepared ``customers_rfm`` table (:func:`helpers.features.customers.rfm_table` at the
        analysis date). Its segment uses the rules of 03_segmentation
        (:func:`helpers.models.segments.rfm_scores`); the spend tier is :func:`spend_tier`.
    attributes : pandas.DataFrame, optional
        customer_id plus demographic columns (region, age_band, ...).
    tier_labels : tuple of str
        Names of the three spend tiers, lowest first.
    clv_tiers : pandas.DataFrame, optional
        customer_id and clv_tier (e.g. :func:`helpers.models.clv.value_tier_table`). When given and non-empty, the
        grouping ``clv_tier`` (ordered best tier first) replaces ``spend_tier``; customers
        without a tier are left missing. When None or empty, ``spend_tier`` is used.

    Returns
    -------
    pandas.DataFrame
        customer_id, rfm_segment and clv_tier or spend_tier (ordered categoricals; the segment
        and spend tier when ``rfm`` is given), then the attribute columns. Segment and CLV tier
        names are the English keys; :func:`helpers.plots.campaigns.translated_groups` names them in
        the report language.
    """
    from helpers.models import segments

    use_clv = clv_tiers is not None and len(clv_tiers) > 0
    if use_clv:
        need_columns(clv_tiers, ("customer_id", "clv_tier"), "clv_tiers")
        use_clv = bool(clv_tiers["clv_tier"].notna().any())
    out = None
    if rfm is not None and len(rfm):
        scored = segments.rfm_scores(rfm)
        out = pd.DataFrame({"customer_id": scored["customer_id"].astype("string"), "rfm_segment": scored["segment"]})
        if not use_clv:
            out = out.merge(spend_tier(rfm, tier_labels), on="customer_id", how="left")
    if use_clv:
        ct = clv_tiers.assign(customer_id=clv_tiers["customer_id"].astype("string")).drop_duplicates("customer_id")
        tiers = pd.DataFrame({"customer_id": ct["customer_id"].to_numpy(),
                              "clv_tier": _ordered_tiers(ct["clv_tier"].reset_index(drop=True))})
        out = tiers if out is None else out.merge(tiers, on="customer_id", how="left")
    if attributes is not None and len(attributes):
        need_columns(attributes, ("customer_id",), "attributes")
        attrs = attributes.assign(customer_id=attributes["customer_id"].astype("string")).drop_duplicates("customer_id")
        out = attrs if out is None else out.merge(attrs, on="customer_id", how="outer")
    return out if out is not None else pd.DataFrame({"customer_id": pd.Series(dtype="string")})


def profile_tests(profile: pd.DataFrame) -> pd.DataFrame:
    """One row per grouping of :func:`responder_profile`.

    Returns variable, customers_tested, p_value, significant and min_expected.
    """
    return (profile.groupby("variable", sort=False)
            .agg(customers_tested=("customers_tested", "first"), p_value=("p_value", "first"),
                 significant=("significant", "first"), min_expected=("min_expected", "first")).reset_index())
