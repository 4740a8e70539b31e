"""Customer value from the CLV models and history: historical value, value tiers, concentration, action list.

Also the checks and plain-language tables that go with a fit (:func:`spend_frequency_check`,
:func:`describe_parameters`) and :func:`value_tier_table`, the CLV tier of every customer as
notebook 04 computes it (used by notebooks 08 and 10).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers.features.customers import UNIT_NAMES
from helpers.models.clv.fit import fit_models
from helpers.models.clv.inputs import check_summary
from helpers.models.clv.predict import customer_value
from helpers.models.clv.results import ClvInputError, PurchaseFit, SpendFit, step_phrase
from helpers.phrase import Number, Phrase


def historical_value(rfm: pd.DataFrame, *, margin: float = 1.0) -> pd.DataFrame:
    """Historical CLV: what each customer has brought so far.

    Parameters
    ----------
    rfm : DataFrame
        :func:`helpers.features.customers.rfm_table` as pandas: customer_id, frequency (orders),
        monetary (revenue, currency), tenure_days, recency_days.
    margin : float
        Gross margin as a share of revenue.

    Returns
    -------
    DataFrame
        customer_id, orders, revenue (currency), gross_margin = margin x revenue (currency),
        tenure_days, recency_days, margin_per_year = gross_margin / max(tenure, 30 days) x 365.25
        (currency per year; tenure floored at 30 days so a first-week customer is not
        annualised from a few days).
    """
    need = ("customer_id", "frequency", "monetary", "tenure_days", "recency_days")
    missing = [c for c in need if c not in rfm.columns]
    if missing:
        raise ClvInputError(f"rfm: column(s) {missing} missing; pass customers.rfm_table(...) as pandas")
    if not (0 < margin <= 1):
        raise ClvInputError(f"margin = {margin!r}: give the gross margin as a share of revenue, 0 < margin <= 1")
    out = pd.DataFrame({
        "customer_id": rfm["customer_id"].to_numpy(),
        "orders": rfm["frequency"].to_numpy(dtype="int64"),
        "revenue": rfm["monetary"].to_numpy(dtype="float64"),
    })
    out["gross_margin"] = margin * out["revenue"]
    out["tenure_days"] = rfm["tenure_days"].to_numpy(dtype="int64")
    out["recency_days"] = rfm["recency_days"].to_numpy(dtype="int64")
    out["margin_per_year"] = out["gross_margin"] / np.maximum(out["tenure_days"], 30.0) * 365.25
    return out


def tier_labels(tiers=(0.01, 0.05, 0.20)) -> list[str]:
    """Labels of :func:`value_tiers`, best first: ``["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %"]``."""
    tiers = _check_tiers(tiers)
    pct = [_pct(t) for t in tiers]
    labels = [f"top {pct[0]} %"] + [f"top {a}-{b} %" for a, b in zip(pct, pct[1:])]
    return labels + [f"rest {_pct(1 - tiers[-1])} %"]


def _pct(x: float) -> str:
    """A share as a percentage without trailing zeros (0.05 -> "5")."""
    return f"{100 * x:g}"


def _check_tiers(tiers) -> list[float]:
    """The tier shares as floats; ClvInputError unless they increase strictly within (0, 1)."""
    t = [float(x) for x in tiers]
    if not t or any(not (0 < x < 1) for x in t) or any(b <= a for a, b in zip(t, t[1:])):
        raise ClvInputError(f"tiers = {list(tiers)!r}: give increasing shares between 0 and 1, e.g. [0.01, 0.05, 0.2]")
    return t


def value_tiers(values: pd.Series, tiers=(0.01, 0.05, 0.20)) -> pd.Series:
    """Value tier of each customer: top 1 %, next 4 %, next 15 %, rest (for tiers 1/5/20 %).

    Customers with a known value are ranked from highest down (ties in the order given), and
    the top ``ceil(share x n)`` of the n known values form each cumulative tier. Returns an
    ordered categorical Series aligned with ``values``; a customer whose value is unknown
    (NaN) has no tier (NaN), not the lowest one.
    """
    t = _check_tiers(tiers)
    labels = tier_labels(t)
    v = values.to_numpy(dtype="float64")
    known = ~np.isnan(v)
    n = int(known.sum())
    order = np.argsort(-v[known], kind="stable")
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n)
    cuts = [math.ceil(x * n - 1e-9) for x in t]
    codes = np.full(len(v), -1, dtype="int64")
    codes[known] = np.searchsorted(np.array(cuts), rank, side="right")
    cat = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(cat, index=values.index, name="tier")


def tier_summary(table: pd.DataFrame, *, value: str = "clv", tier: str = "tier") -> pd.DataFrame:
    """Customers and value per tier: count, share of customers, total, share of total, mean value,
    and the mean of ``p_alive`` / ``expected_purchases`` / ``revenue`` when those columns exist.

    Customers without a tier (unknown value) are left out; shares are of the customers with one;
    ``attrs["unknown"]`` counts those left out."""
    unknown = int(table[tier].isna().sum())
    table = table[table[tier].notna()]
    g = table.groupby(tier, observed=False)
    out = pd.DataFrame({"customers": g.size(), f"total_{value}": g[value].sum()})
    out["share_customers"] = out["customers"] / max(len(table), 1)
    total = table[value].sum()
    out[f"share_{value}"] = out[f"total_{value}"] / total if total else np.nan
    out[f"mean_{value}"] = g[value].mean()
    for c in ("p_alive", "expected_purchases", "revenue"):
        if c in table.columns and c != value:
            out[f"mean_{c}"] = g[c].mean()
    out = out.reset_index()
    out.attrs["unknown"] = unknown
    return out


def top_share_of_value(values: pd.Series, share: float = 0.2) -> float:
    """Share of the total held by the best ``share`` of customers (the best ``ceil(share x n)``),
    over the customers whose value is known (NaN values are left out, not counted as 0)."""
    v = values.to_numpy(dtype="float64")
    v = np.sort(v[~np.isnan(v)])[::-1]
    total = v.sum()
    k = math.ceil(share * len(v) - 1e-9)
    return float(v[:k].sum() / total) if total else math.nan


def concentration(values: pd.Series) -> pd.DataFrame:
    """Cumulative share of total value held by the top x % of customers (a Lorenz-type curve).

    Returns ``share_customers`` (0..1, best customers first) and ``share_value`` (0..1), over the
    customers whose value is known (NaN values are left out).
    """
    v = values.to_numpy(dtype="float64")
    v = np.sort(v[~np.isnan(v)])[::-1]
    total = v.sum()
    n = len(v)
    cum = np.concatenate([[0.0], np.cumsum(v) / total]) if total else np.zeros(n + 1)
    return pd.DataFrame({"share_customers": np.arange(n + 1) / max(n, 1), "share_value": cum})


def action_list(table: pd.DataFrame, *, value: str = "gross_margin", top_share: float = 0.20,
                max_p_alive: float = 0.5, n: int = 100) -> pd.DataFrame:
    """High-value customers who are probably leaving: the list to act on.

    Keeps customers in the top ``top_share`` by ``value`` (historical gross margin by
    default: a customer's predicted CLV already shrinks with a low P(alive)) whose
    ``p_alive`` is below ``max_p_alive``, ranked by value at risk = value x (1 - p_alive).
    Returns at most ``n`` rows with ``value_at_risk`` added; ``attrs["candidates"]`` is the
    number of customers meeting both conditions before the cut to ``n``.
    """
    for c in (value, "p_alive"):
        if c not in table.columns:
            raise ClvInputError(f"action list: column '{c}' missing from the customer value table")
    if not (0 < top_share <= 1) or not (0 < max_p_alive <= 1):
        raise ClvInputError(f"top_share = {top_share!r} and max_p_alive = {max_p_alive!r} must be in (0, 1]")
    k = math.ceil(top_share * len(table) - 1e-9)
    top = table.sort_values(value, ascending=False, kind="stable").head(k)
    out = top[top["p_alive"] < max_p_alive].copy()
    out["value_at_risk"] = out[value] * (1 - out["p_alive"])
    res = out.sort_values("value_at_risk", ascending=False, kind="stable").head(n).reset_index(drop=True)
    res.attrs["candidates"] = len(out)
    return res


def spend_frequency_check(summary: pd.DataFrame) -> dict:
    """The Gamma-Gamma independence check: is mean repeat spend related to repeat frequency?

    On repeat customers (frequency > 0, positive monetary_value): Pearson correlation of
    frequency and monetary_value and Spearman rank correlation, with a plain verdict
    (|r| < 0.1 "no relation", < 0.3 "weak", else "not independent: the Gamma-Gamma
    assumption is doubtful"). Returns a dict with n, pearson, spearman and the verdict as a
    :class:`~helpers.phrase.Phrase` (``cgv_none``, ``cgv_weak``, ``cgv_clear`` or ``cgv_cannot``).
    """
    data = check_summary(summary, ("customer_id", "frequency", "monetary_value"))
    rep = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    if len(rep) < 3 or rep["frequency"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return {"n": len(rep), "pearson": np.nan, "spearman": np.nan, "verdict": Phrase("cgv_cannot", n=len(rep))}
    pearson = float(np.corrcoef(rep["frequency"], rep["monetary_value"])[0, 1])
    spearman = float(rep["frequency"].rank().corr(rep["monetary_value"].rank()))
    big = max(abs(pearson), abs(spearman))
    verdict = Phrase("cgv_none") if big < 0.1 else Phrase("cgv_weak") if big < 0.3 else Phrase("cgv_clear")
    return {"n": len(rep), "pearson": pearson, "spearman": spearman, "verdict": verdict}


def describe_parameters(fit: PurchaseFit | SpendFit, currency: str = "") -> pd.DataFrame:
    """The parameter table with a plain-language meaning per row (units stated), each a
    :class:`~helpers.phrase.Phrase` (``cpm_<parameter>``)."""
    t = fit.params.copy()
    if isinstance(fit, SpendFit) and fit.model == "empirical":
        t["meaning"] = [Phrase("cpm_empirical_spend", currency=currency)]
        return t.reset_index()
    if isinstance(fit, SpendFit):
        mean = fit.population_mean_spend
        meaning = {
            "p": Phrase("cpm_p"), "q": Phrase("cpm_q"),
            "v": (Phrase("cpm_v_mean", currency=currency, mean=Number(mean, 2)) if np.isfinite(mean)
                  else Phrase("cpm_v", currency=currency)),
        }
        t["meaning"] = [meaning[k] for k in t.index]
        return t.reset_index()
    units = UNIT_NAMES.get(fit.time_unit or "", "time units")
    one = units[:-1] if units.endswith("s") else units
    unit = {"units": Phrase("cpm_" + units.replace(" ", "_")), "unit": Phrase("cpm_" + one.replace(" ", "_"))}
    v = fit.values
    if fit.model == "empirical":
        t["meaning"] = [Phrase("cpm_empirical_rate", unit=unit["unit"])]
        return t.reset_index()
    rate = Number(v["r"] / v["alpha"], 4)
    meaning = {"r": Phrase("cpm_r"),
               "alpha": Phrase("cpm_alpha_nbd" if fit.model == "nbd" else "cpm_alpha", rate=rate, **unit)}
    if fit.model in ("bgnbd", "mbgnbd"):          # the modified BG/NBD has the same parameters
        meaning["a"] = Phrase("cpm_a")
        meaning["b"] = Phrase("cpm_b", chance=Number(v["a"] / (v["a"] + v["b"]), 3))
    elif fit.model != "nbd":
        meaning["s"] = Phrase("cpm_s")
        dropout = Number(v["s"] / v["beta"], 4)
        meaning["beta"] = (Phrase("cpm_beta_life", units=unit["units"], rate=dropout,
                                  life=Number(v["beta"] / (v["s"] - 1), 1)) if v["s"] > 1
                           else Phrase("cpm_beta", units=unit["units"], rate=dropout))
    t["meaning"] = [meaning[k] for k in t.index]
    return t.reset_index()


def value_tier_table(btyd: pd.DataFrame | None, *, time_unit: str = "W", clv_months: int = 12,
                     discount_rate: float = 0.10, tiers=(0.01, 0.05, 0.20),
                     scores: pd.DataFrame | None = None) -> tuple[pd.DataFrame | None, str]:
    """CLV tier of every customer, as notebook 04 computes it (used by 08 and 10).

    ``scores``: the run's shared :func:`customer_value` table over ``clv_months`` at ``discount_rate``
    (``helpers.fitted.clv_scores``, with ``attrs`` ``purchase_source`` and ``spend_source``); when
    given, no model is fitted here and the tiers are those of the run's one CLV model.

    BG/NBD + Gamma-Gamma through their recovery chains (:func:`fit_models`, MAP), discounted
    CLV over ``clv_months`` months (:func:`customer_value`) and tiers by :func:`value_tiers`
    over the customers with a known CLV (default: top 1 %, 1-5 %, 5-20 %, rest 80 %).

    Parameters
    ----------
    btyd : pandas.DataFrame or None
        The prepared ``customers_btyd`` table (customer_id, frequency, recency, T in
        ``time_unit``, monetary_value).
    time_unit : str
        The unit of recency and T (the run's ``prep.meta["time_unit"]``).

    Returns
    -------
    (pandas.DataFrame or None, Phrase or str)
        customer_id (string), clv (currency; NaN where the step used cannot give it) and
        clv_tier (ordered categorical, best tier first; NaN where the CLV is unknown) with an
        empty note; ``attrs["purchase_source"]`` / ``attrs["spend_source"]`` are the
        :class:`Source` of each fit (``.phrase`` says which step produced it and why). None and
        the reason (a Phrase, or the input error's message) when the table is missing or
        invalid, or no customer has a known CLV (08 then falls back to its spend tier);
        ``i18n.say_value`` writes either.
    """
    if scores is not None:
        cv, sources = scores, (scores.attrs["purchase_source"], scores.attrs["spend_source"])
    else:
        if btyd is None or len(btyd) == 0:
            return None, Phrase("clv_no_btyd")
        try:
            fits = fit_models(btyd, model="bgnbd", method="map", time_unit=time_unit, standard_errors=False)
            cv = customer_value(fits.purchase, fits.spend, btyd, horizon_months=clv_months,
                                discount_rate=discount_rate, time_unit=time_unit)
        except ClvInputError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        sources = (fits.purchase.source, fits.spend.source)
    if cv["clv"].isna().all():
        return None, Phrase("clv_no_known_clv", fits=Phrase("clv_fits", purchase=step_phrase(sources[0].step),
                                                            spend=step_phrase(sources[1].step)))
    out = pd.DataFrame({"customer_id": cv["customer_id"].astype("string").to_numpy(),
                        "clv": cv["clv"].to_numpy(dtype="float64")})
    out["clv_tier"] = value_tiers(out["clv"], tiers)
    out.attrs.update(purchase_source=sources[0], spend_source=sources[1])
    return out, ""
