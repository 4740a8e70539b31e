"""What retention is worth: revenue, profit and customer-base value under more retention.

Instead of quoting "five more points of retention lift profit by 25–95 %", compute it on the
data. Every formula, with t = 1 .. H future periods, d the yearly discount rate and P periods
per year:

* discount factor of period t: ``D(t) = (1 + d) ** (-t / P)``;
* survival (retention curve) of today's customers: ``S(t) = r_1 · r_2 · … · r_t``, where
  ``r_t`` is the share of period t − 1's level kept in period t;
* revenue over the horizon: ``R = N · v · Σ_t S(t)`` (N customers today, v revenue per
  customer per period, currency); profit ``= margin · R``; customer-base value
  ``V = margin · N · v · Σ_t S(t) · D(t)`` (discounted profit);
* constant retention r: ``V = margin · N · v · q (1 − q^H) / (1 − q)`` with ``q = r · D(1)``
  (a geometric series), the textbook model;
* "+x points of retention": the first period's retention rises by x points,
  ``r_1' = r_1 + x / 100``, and every period loses the same smaller share of what it lost
  before: ``1 − r_t' = k · (1 − r_t)`` with ``k = (1 − r_1 − x / 100) / (1 − r_1)`` (at least
  0). With constant retention this is exactly ``r' = r + x / 100``;
* value of x points ``= V(x) − V(0)``; break-even spend per customer ``= (V(x) − V(0)) / N``:
  the most a programme that adds x points may cost per customer today; net gain
  ``= V(x) − V(0) − cost per customer · N``.

Two sources give N, v and the curve r_t: :func:`base_from_activity` (measured: of the customers
active in a period, the share active again t periods later, the retention rate of notebook 02
generalised to any lag) and :func:`base_from_bgnbd` (the fitted BG/NBD's expected purchases
per period). :func:`cohort_clv` values a newly acquired customer per cohort or channel from
the cohort table of :func:`helpers.features.lifecycle.cohort_table`, to set against an acquisition cost.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.features.periods import PERIOD_DAYS, PERIODS_PER_YEAR, UNIT_DAYS, index_of, period_end
from helpers import i18n
from helpers.i18n import _, localize_numbers, period_name


def _check(name: str, value: float, lo: float, hi: float, what: str) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and lo <= float(value) <= hi):
        raise DataError("retention parameters", f"{name}-range", f"{name} = {value!r}: {what}", column=name)


def check_inputs(*, margin: float, discount_rate: float, horizon: int) -> None:
    """Raise DataError naming the parameter when margin, discount rate or horizon is out of range."""
    _check("margin", margin, 0.0, 1.0, "give the gross margin as a share of revenue, 0 .. 1")
    _check("discount_rate", discount_rate, 0.0, 5.0, "give a yearly rate such as 0.10 for 10 %")
    if int(horizon) != horizon or horizon < 1:
        raise DataError("retention parameters", "horizon-range", f"horizon = {horizon!r}: give a whole number of "
                        "periods >= 1", column="horizon")


# --------------------------------------------------------------------------------------
# formulas
# --------------------------------------------------------------------------------------
def discount_factors(horizon: int, discount_rate: float, periods_per_year: float) -> np.ndarray:
    """``D(t) = (1 + d) ** (-t / P)`` for t = 1 .. horizon (d yearly, P periods per year)."""
    t = np.arange(1, int(horizon) + 1, dtype="float64")
    return (1.0 + discount_rate) ** (-t / periods_per_year)


def survival(rates) -> np.ndarray:
    """``S(t) = r_1 · … · r_t`` from per-period retention rates (each in [0, 1])."""
    r = np.asarray(rates, dtype="float64")
    if r.size and (np.nanmin(r) < 0 or np.nanmax(r) > 1):
        raise DataError("retention curve", "rate-range", "retention rates must be shares in [0, 1]", column="rates")
    return np.cumprod(r)


def improve(rates, points: float) -> np.ndarray:
    """Rates after "+points of retention": ``r_1' = r_1 + points/100``, ``1 − r_t' = k (1 − r_t)``.

    ``k = (1 − r_1 − points/100) / (1 − r_1)``, floored at 0 (nobody lost) and 1 for
    negative points are allowed down to r_1 = 0. With constant rates, every rate rises by
    exactly ``points / 100``.
    """
    r = np.asarray(rates, dtype="float64")
    churn1 = 1.0 - r[0]
    if churn1 <= 0:
        return r.copy()
    k = (churn1 - points / 100.0) / churn1
    k = min(max(k, 0.0), 1.0 / churn1)
    return np.clip(1.0 - k * (1.0 - r), 0.0, 1.0)


def geometric_value(value_per_period: float, retention: float, discount_rate: float, horizon: int,
                    periods_per_year: float = 1.0) -> float:
    """Closed form of ``Σ_{t=1..H} m · r^t · (1 + d)^(−t/P)`` = ``m · q (1 − q^H) / (1 − q)``, q = r (1 + d)^(−1/P)."""
    q = retention * (1.0 + discount_rate) ** (-1.0 / periods_per_year)
    if math.isclose(q, 1.0):
        return value_per_period * horizon
    return value_per_period * q * (1 - q ** horizon) / (1 - q)


# --------------------------------------------------------------------------------------
# the customer base
# --------------------------------------------------------------------------------------
@dataclass
class RetentionBase:
    """Today's customers and how they are retained.

    Attributes
    ----------
    customers : float
        N, customers today (active in the last complete period, or expected alive).
    revenue_per_customer : float
        v, revenue per customer per period (currency).
    rates : ndarray
        r_t, t = 1 .. H: share of period t − 1's level kept in period t.
    period : {"week", "month", "quarter"}
    source : str
        Where the curve comes from (for captions).
    notes : list of str
    """

    customers: float
    revenue_per_customer: float
    rates: np.ndarray
    period: str
    source: str
    notes: list[str] = field(default_factory=list)
    curve: pd.DataFrame | None = None

    @property
    def periods_per_year(self) -> float:
        return PERIODS_PER_YEAR[self.period]

    def with_horizon(self, horizon: int) -> "RetentionBase":
        """The same base with the curve cut or extended (last three rates' mean) to ``horizon`` periods."""
        r = np.asarray(self.rates, dtype="float64")
        if horizon <= len(r):
            return RetentionBase(self.customers, self.revenue_per_customer, r[:horizon], self.period, self.source,
                                 list(self.notes))
        tail = float(np.mean(r[-3:])) if len(r) else 0.0
        return RetentionBase(self.customers, self.revenue_per_customer,
                             np.concatenate([r, np.full(horizon - len(r), tail)]), self.period, self.source,
                             list(self.notes))


def base_value(base: RetentionBase, *, margin: float, discount_rate: float, horizon: int, points: float = 0.0) -> dict:
    """Revenue, profit and customer-base value over ``horizon`` periods with ``points`` more retention.

    Returns
    -------
    dict
        ``points``, ``retention_first`` (r_1 after the change), ``customer_periods`` (N Σ S(t)),
        ``revenue`` and ``profit`` (undiscounted, currency), ``value`` (discounted profit,
        currency).
    """
    check_inputs(margin=margin, discount_rate=discount_rate, horizon=horizon)
    b = base.with_horizon(horizon)
    r = improve(b.rates, points)
    s = survival(r)
    disc = discount_factors(horizon, discount_rate, b.periods_per_year)
    cp = b.customers * s.sum()
    revenue = cp * b.revenue_per_customer
    return {"points": points, "retention_first": float(r[0]), "customer_periods": float(cp), "revenue": float(revenue),
            "profit": float(margin * revenue),
            "value": float(margin * b.customers * b.revenue_per_customer * (s * disc).sum())}


def scenario_table(base: RetentionBase, *, margin: float, discount_rate: float, horizon: int,
                   cost_per_customer: float = 0.0, points=range(0, 11)) -> pd.DataFrame:
    """One row per retention scenario (+0 … +10 points): revenue, profit, value and what they gain.

    Columns: ``points``, ``retention_first``, ``customer_periods``, ``revenue``, ``profit``,
    ``value`` (currency), ``extra_value`` (V(x) − V(0)), ``profit_uplift`` (profit / profit at
    +0 − 1), ``programme_cost`` (cost per customer · N, zero at +0), ``net_gain`` (extra value −
    programme cost) and ``break_even_per_customer`` (extra value / N).
    """
    _check("cost_per_customer", cost_per_customer, 0.0, math.inf, "give a cost >= 0 in the data's currency")
    rows = [base_value(base, margin=margin, discount_rate=discount_rate, horizon=horizon, points=p) for p in points]
    t = pd.DataFrame(rows)
    v0, p0 = t.loc[t["points"] == 0, "value"].iloc[0], t.loc[t["points"] == 0, "profit"].iloc[0]
    t["extra_value"] = t["value"] - v0
    t["profit_uplift"] = t["profit"] / p0 - 1 if p0 else np.nan
    t["programme_cost"] = np.where(t["points"] > 0, cost_per_customer * base.customers, 0.0)
    t["net_gain"] = t["extra_value"] - t["programme_cost"]
    t["break_even_per_customer"] = t["extra_value"] / base.customers if base.customers else np.nan
    return t


def headline(table: pd.DataFrame, points: float = 5) -> dict:
    """Value of one retention point, of ``points`` points, and the break-even spend per customer for them."""
    t = table.set_index("points")
    return {"value_one_point": float(t.loc[1, "extra_value"]), "value_points": float(t.loc[points, "extra_value"]),
            "break_even_per_customer": float(t.loc[points, "break_even_per_customer"]),
            "profit_uplift": float(t.loc[points, "profit_uplift"]), "points": points}


def tornado(base: RetentionBase, *, margin: float, discount_rate: float, horizon: int, cost_per_customer: float,
            points: float = 5, change: float = 0.2) -> pd.DataFrame:
    """How the net gain of ``points`` more retention moves when each input moves ±``change``.

    Inputs varied one at a time: margin, discount rate, horizon (rounded to whole periods),
    revenue per customer, customers, cost per customer, and today's churn (1 − r_t for every
    t, so retention moves the other way). Returns ``input``, ``low`` / ``high`` (net gain with
    the input × (1 − change) / × (1 + change), currency), ``base`` and ``swing`` (|high − low|),
    sorted by swing, largest first.
    """
    def net(b=base, m=margin, d=discount_rate, h=horizon, c=cost_per_customer):
        v = [base_value(b, margin=m, discount_rate=d, horizon=h, points=p)["value"] for p in (0, points)]
        return v[1] - v[0] - c * b.customers

    def scaled(**kw):
        return RetentionBase(kw.get("n", base.customers), kw.get("v", base.revenue_per_customer),
                             kw.get("r", base.rates), base.period, base.source)

    mid = net()
    rows = []
    for sign in (-1, 1):
        f = 1 + sign * change
        churn = 1 - base.with_horizon(horizon).rates
        rows += [("margin", sign, net(m=min(margin * f, 1.0))),
                 ("discount rate", sign, net(d=discount_rate * f)),
                 ("horizon", sign, net(h=max(1, int(round(horizon * f))))),
                 ("revenue per customer", sign, net(b=scaled(v=base.revenue_per_customer * f))),
                 ("customers", sign, net(b=scaled(n=base.customers * f))),
                 ("cost per customer", sign, net(c=cost_per_customer * f)),
                 ("churn (1 − retention)", sign, net(b=scaled(r=np.clip(1 - churn * f, 0, 1)), h=horizon))]
    t = pd.DataFrame(rows, columns=["input", "sign", "net_gain"])
    t = t.pivot(index="input", columns="sign", values="net_gain").rename(columns={-1: "low", 1: "high"}).reset_index()
    t.columns.name = None
    t["base"] = mid
    t["swing"] = (t["high"] - t["low"]).abs()
    t.attrs.update({"change": change, "points": points})
    return t.sort_values("swing", ascending=False, ignore_index=True)


# --------------------------------------------------------------------------------------
# where N, v and the curve come from
# --------------------------------------------------------------------------------------
def last_complete_period(analysis_date: dt.date, period: str) -> int:
    """Index (:func:`helpers.features.periods.index_of`) of the last period that ends on or before the analysis date."""
    k = index_of(analysis_date, period)
    return k if pd.Timestamp(period_end(k, period)) <= pd.Timestamp(analysis_date) else k - 1


def activity_curve(periods: pd.DataFrame, *, last_complete: int, max_lag: int | None = None,
                   min_customers: int = 30) -> pd.DataFrame:
    """Of the customers active in a period, the share active again ``lag`` periods later.

    Parameters
    ----------
    periods : DataFrame
        One row per customer and active period: ``customer_id``, ``period_index`` (as from
        :func:`helpers.features.lifecycle.customer_periods`).
    last_complete : int
        Last complete period; later periods are ignored.
    max_lag : int, optional
        Longest lag measured (default: as far as the data reaches).
    min_customers : int
        Lags whose starting periods hold fewer customers in total are left out.

    Returns
    -------
    DataFrame
        ``lag`` (periods), ``base`` (customer-periods with that lag inside the data),
        ``retained`` (of them, active again after ``lag``), ``retention`` = retained / base.
        At lag 1 this is the retention rate of notebook 02, pooled over periods.
    """
    need = {"customer_id", "period_index"}
    if not need <= set(periods.columns):
        miss = sorted(need - set(periods.columns))
        raise DataError("customer periods", "missing-column", f"{len(miss)} column(s) missing: {', '.join(miss)}",
                        column=miss[0])
    p = periods.loc[periods["period_index"] <= last_complete, ["customer_id", "period_index"]].drop_duplicates()
    if p.empty:
        return pd.DataFrame(columns=["lag", "base", "retained", "retention"])
    first = int(p["period_index"].min())
    reach = last_complete - first
    max_lag = reach if max_lag is None else min(max_lag, reach)
    rows = []
    for lag in range(1, max_lag + 1):
        start = p[p["period_index"] <= last_complete - lag]
        base = len(start)
        if base < min_customers:
            break
        later = p.assign(period_index=p["period_index"] - lag)
        kept = start.merge(later, on=["customer_id", "period_index"]).shape[0]
        rows.append((lag, base, kept, kept / base))
    return pd.DataFrame(rows, columns=["lag", "base", "retained", "retention"])


def rates_from_curve(curve) -> np.ndarray:
    """Per-period rates ``r_t = A(t) / A(t − 1)`` (A(0) = 1) from a curve A(1), A(2), …, clipped to [0, 1].

    A measured curve can rise at some lag (customers come back); a rate above 1 is cut to 1.
    """
    a = np.asarray(curve, dtype="float64")
    prev = np.concatenate([[1.0], a[:-1]])
    return np.clip(np.divide(a, prev, out=np.zeros_like(a), where=prev > 0), 0.0, 1.0)


def base_from_activity(periods: pd.DataFrame, *, period: str, last_complete: int, recent: int = 12,
                       min_customers: int = 30) -> RetentionBase:
    """The measured base: N = customers active in the last complete period, v = revenue per active
    customer per period (mean of the last ``recent`` complete periods), r_t from :func:`activity_curve`.

    ``periods`` needs ``customer_id``, ``period_index`` and ``revenue`` (currency) per
    customer and active period (:func:`helpers.features.lifecycle.customer_periods` executed).
    """
    if "revenue" not in periods.columns:
        raise DataError("customer periods", "missing-column", "the revenue per customer and period is needed",
                        column="revenue")
    curve = activity_curve(periods, last_complete=last_complete, min_customers=min_customers)
    if curve.empty:
        raise DataError("customer periods", "too-short", f"no two complete {period}s with active customers: the "
                        "retention curve cannot be measured (use a shorter period)", column="period_index")
    p = periods[periods["period_index"] <= last_complete]
    recent_p = p[p["period_index"] > last_complete - recent]
    by = recent_p.groupby("period_index").agg(n=("customer_id", "nunique"), rev=("revenue", "sum"))
    v = float(by["rev"].sum() / by["n"].sum())
    n = float((p["period_index"] == last_complete).sum())
    notes = [_("retention curve measured up to a lag of {lag} {periods}; longer horizons repeat the mean of its last three rates", lag=int(curve["lag"].max()), periods=period_name(period, plural=True))]
    return RetentionBase(n, v, rates_from_curve(curve["retention"]), period, _("measured (customers active again)"), notes,
                         curve=curve)


def base_from_bgnbd(purchase_fit, spend_fit, summary: pd.DataFrame, *, period: str, horizon: int,
                    time_unit: str) -> RetentionBase:
    """The model's base: E_t = expected purchases of today's customers in future period t (BG/NBD).

    ``r_1 = E_2 / E_1``, ``r_t = E_t / E_(t−1)`` for t ≥ 2 (a customer's purchase rate is
    constant while alive, so the decline is dropout); today's level ``E_0 = E_1 / r_1``;
    N = Σ P(alive); v = E_0 · s / N with s the expected spend per purchase (the spend fit,
    weighted by E_1; currency; without a spend fit the mean repeat spend).

    The fits come from :func:`helpers.models.clv.fit_models` (its recovery chain). A purchase
    model without dropout (the chain's NBD or empirical-rate step) has no P(alive) and no
    decline, so it cannot give this base: DataError (rule ``no-dropout``) naming the step,
    and the caller keeps the measured base. The notes name the steps of both fits.
    """
    from helpers.models import clv

    if not purchase_fit.has_p_alive:
        raise DataError("BG/NBD", "no-dropout", f"the purchase model is {i18n.say(purchase_fit.phrase, 'en')}, which has no dropout: "
                        "it gives neither P(alive) nor a retention curve", column="frequency")
    length = PERIOD_DAYS[period] / UNIT_DAYS[time_unit]
    cum = [0.0] + [float(clv.expected_purchases(purchase_fit, summary, k * length).sum()) for k in range(1, horizon + 2)]
    e = np.diff(cum)  # E_1 .. E_(H+1)
    if e[0] <= 0:
        raise DataError("BG/NBD", "no-purchases", "the model expects no purchases: nothing to retain", column="frequency")
    rates = np.empty(horizon)
    rates[0] = e[1] / e[0]
    rates[1:] = e[1:horizon] / e[: horizon - 1]
    e0 = e[0] / rates[0]
    n = float(clv.p_alive(purchase_fit, summary).sum())
    first = clv.expected_purchases(purchase_fit, summary, length)
    spend = clv.expected_spend(spend_fit, summary) if spend_fit is not None else None
    if spend is not None and spend.notna().any():
        known = spend.notna().to_numpy()
        s = float((first[known] * spend[known]).sum() / first[known].sum())
    else:
        s = float(summary.loc[summary["frequency"] > 0, "monetary_value"].mean())
    if not np.isfinite(s):
        raise DataError("Gamma-Gamma", "no-spend", "no repeat customer has a spend: the revenue per customer is "
                        "unknown", column="monetary_value")
    notes = [localize_numbers(_("N = expected alive customers ({n}); v = expected revenue per alive customer per {period}", n=f"{n:,.0f}", period=period_name(period))),
             _("Purchase model: {purchase}. Spend model: {spend}.", purchase=i18n.say(purchase_fit.source.phrase),
                spend=i18n.say(spend_fit.source.phrase) if spend_fit is not None else _("none (the mean repeat spend)"))]
    return RetentionBase(n, e0 * s / n, np.clip(rates, 0, 1), period, _("BG/NBD expected purchases"), notes)


# --------------------------------------------------------------------------------------
# what a new customer may cost: CLV per cohort or channel
# --------------------------------------------------------------------------------------
def _pooled_revenue_curve(cohorts: pd.DataFrame) -> pd.Series:
    c = cohorts[~cohorts["partial"]]
    g = c.groupby("age").agg(rev=("revenue", "sum"), size=("cohort_size", "sum"))
    return (g["rev"] / g["size"]).rename("revenue_per_customer")


def _extend(curve: np.ndarray, horizon: int) -> np.ndarray:
    if len(curve) >= horizon:
        return curve[:horizon]
    if len(curve) == 0:
        return np.zeros(horizon)
    ratio = 0.0
    if len(curve) >= 4 and (curve[-4:-1] > 0).all():
        ratio = float(np.clip(np.mean(curve[-3:] / curve[-4:-1]), 0, 1))
    tail = curve[-1] * ratio ** np.arange(1, horizon - len(curve) + 1)
    return np.concatenate([curve, tail])


def cohort_clv(cohorts: pd.DataFrame, *, margin: float, discount_rate: float, horizon: int, period: str,
               acquisition_cost=0.0, by: str = "cohort") -> pd.DataFrame:
    """CLV of an acquired customer per cohort (or per group of customers), beside an acquisition cost.

    ``CLV = margin · Σ_{a=0..H−1} u(a) · (1 + d)^(−a/P)`` with u(a) the cohort's revenue per
    acquired customer at age a (currency; :func:`helpers.features.lifecycle.cohort_table`). Ages a
    cohort has not reached yet are filled from the pooled curve of all cohorts, scaled by the
    cohort's observed revenue over the pooled one at the same ages; ages beyond all data
    repeat the pooled curve's last three period-on-period ratios (at most 1).

    Parameters
    ----------
    cohorts : DataFrame
        :func:`helpers.features.lifecycle.cohort_table`; with ``by="group"`` a ``group`` column too
        (one cohort table per group, concatenated), each group pooled into one curve.
    acquisition_cost : float or dict
        Cost of winning one customer (currency), one number or one per cohort / group.

    Returns
    -------
    DataFrame
        ``<by>``, ``customers`` (acquired), ``observed_ages``, ``clv`` (currency),
        ``observed_share`` (share of the CLV from observed ages), ``acquisition_cost``,
        ``clv_minus_cost`` and ``clv_to_cost``.
    """
    check_inputs(margin=margin, discount_rate=discount_rate, horizon=horizon)
    if cohorts.empty:
        return pd.DataFrame(columns=[by, "customers", "observed_ages", "clv", "observed_share", "acquisition_cost",
                                     "clv_minus_cost", "clv_to_cost"])
    P = PERIODS_PER_YEAR[period]
    disc = (1.0 + discount_rate) ** (-np.arange(horizon) / P)
    rows = []
    if by == "group":
        for g, part in cohorts.groupby("group", sort=True):
            u = _pooled_revenue_curve(part).to_numpy()
            full = _extend(u, horizon)
            n_obs = min(len(u), horizon)
            clv = margin * float((full * disc).sum())
            rows.append((g, int(part.drop_duplicates("cohort_index")["cohort_size"].sum()), n_obs, clv,
                         margin * float((full[:n_obs] * disc[:n_obs]).sum()) / clv if clv else np.nan))
    else:
        pool = _extend(_pooled_revenue_curve(cohorts).to_numpy(), horizon)
        for label, part in cohorts[~cohorts["partial"]].groupby("cohort", sort=False):
            u = part.sort_values("age")["revenue_per_customer"].to_numpy()[:horizon]
            n_obs = len(u)
            scale = u.sum() / pool[:n_obs].sum() if n_obs and pool[:n_obs].sum() > 0 else 1.0
            full = np.concatenate([u, scale * pool[n_obs:horizon]])
            clv = margin * float((full * disc).sum())
            rows.append((label, int(part["cohort_size"].iloc[0]), n_obs, clv,
                         margin * float((u * disc[:n_obs]).sum()) / clv if clv else np.nan))
    t = pd.DataFrame(rows, columns=[by, "customers", "observed_ages", "clv", "observed_share"])
    if isinstance(acquisition_cost, dict):
        t["acquisition_cost"] = t[by].astype(str).map({str(k): float(v) for k, v in acquisition_cost.items()})
    else:
        t["acquisition_cost"] = float(acquisition_cost)
    t["clv_minus_cost"] = t["clv"] - t["acquisition_cost"]
    t["clv_to_cost"] = np.where(t["acquisition_cost"] > 0, t["clv"] / t["acquisition_cost"].where(t["acquisition_cost"] > 0),
                                np.nan)
    return t


def closed_form_check(base: RetentionBase, *, margin: float, discount_rate: float, horizon: int) -> tuple[float, float, float]:
    """The value of ``base`` at a constant retention (its first period's rate r) two ways: summed period by
    period (:func:`base_value`) and in closed form (:func:`geometric_value`). Returns ``(r, by_sum, closed)``;
    the two values agree when the sums are right."""
    r = float(base.rates[0])
    flat = RetentionBase(base.customers, base.revenue_per_customer, [r] * horizon, base.period, "constant")
    by_sum = base_value(flat, margin=margin, discount_rate=discount_rate, horizon=horizon)["value"]
    closed = margin * base.customers * geometric_value(base.revenue_per_customer, r, discount_rate, horizon,
                                                       base.periods_per_year)
    return r, by_sum, closed


def new_customer_clv(lines, *, by: str, available: bool, period: str, analysis_date: dt.date, margin: float,
                     discount_rate: float, horizon: int, acquisition_cost=0.0) -> tuple[pd.DataFrame, str]:
    """CLV of a new customer beside its acquisition cost (:func:`cohort_clv`): per ``by`` group ("channel" or
    "country", from each customer's first lines) when the data has that column (``available``), else per
    acquisition cohort. Returns the table and what its rows are ("group" or "cohort")."""
    from helpers.features import lifecycle

    if by in ("channel", "country") and available:
        attrs = lifecycle.customer_attributes(lines, [by], analysis_date=analysis_date)
        parts = []
        for value, ids in attrs.groupby(by)["customer_id"]:
            sub = lines.filter(lines.customer_id.isin(list(ids.astype(str))))
            parts.append(lifecycle.cohort_table(sub, period=period, analysis_date=analysis_date).assign(group=value))
        return cohort_clv(pd.concat(parts, ignore_index=True), margin=margin, discount_rate=discount_rate,
                          horizon=horizon, period=period, acquisition_cost=acquisition_cost, by="group"), "group"
    cohorts = lifecycle.cohort_table(lines, period=period, analysis_date=analysis_date)
    return cohort_clv(cohorts, margin=margin, discount_rate=discount_rate, horizon=horizon,
                      period=period, acquisition_cost=acquisition_cost), "cohort"
