"""Retention plan: the value a customer's loss would cost, and who to contact first.

expected_saved_value = churn_risk x value x margin x success_rate - contact_cost, ranked best
first (:func:`retention_plan`); :func:`break_even` says how long the list may get. Money in the
data's currency; rates and shares 0..1.
"""
from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from helpers.features import customers
from helpers.models.churn.labels import as_date, customer_lines, lines_before
from helpers.phrase import Phrase, Share, Sig


def trailing_revenue(lines, *, analysis_date, days: int = 365) -> pd.Series:
    """Revenue of each customer in the ``days`` days up to the analysis date (currency).

    The simple value at stake: what a customer brought in over the last year is what the
    shop stands to lose per year if they leave. Indexed by ``customer_id``: every customer
    with a purchase on or before the analysis date, 0 for those who bought nothing in the
    window (a measured zero, not a missing value).
    """
    end = as_date(analysis_date)
    t = lines_before(lines, end)
    in_window = t.invoice_ts.date() > ibis.date(end - dt.timedelta(days=days))
    g = t.group_by("customer_id").aggregate(value=t.amount.sum(where=in_window)).execute()
    return g.set_index("customer_id")["value"].fillna(0.0).astype(float).sort_index()


def value_at_stake(lines, *, analysis_date, time_unit: str = "W", margin: float = 1.0, clv_months: int = 12,
                   discount_rate: float = 0.10, value_days: int = 365, use_clv: bool = True, fits=None,
                   summary: pd.DataFrame | None = None) -> tuple[pd.Series, Phrase]:
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
    :func:`trailing_revenue` over ``value_days`` x ``margin``.

    ``fits`` and ``summary``: the run's shared CLV fits (``helpers.fitted.clv_fits``) and the customer
    summary they were fitted on (the prepared ``customers_btyd``); when given, no model is fitted here.

    Returns
    -------
    (pandas.Series, Phrase)
        Value per ``customer_id`` (currency, margin applied) and what it is (``i18n.say`` writes it).
        ``attrs``: ``kind`` ("clv_if_kept" or "historical"), ``purchase_source`` /
        ``spend_source`` (``clv.Source`` of each fit, with the CLV), ``unknown`` (customers
        with no value), ``why`` (why the CLV was not used: a Phrase, None when it was).
    """
    end = as_date(analysis_date)
    why = Phrase("chv_not_asked")
    if use_clv:
        from helpers.models import clv

        if summary is None:
            summary = customers.btyd_summary(customer_lines(lines), observation_end=end, time_unit=time_unit).execute()
        if fits is None:
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
                             unknown=unknown, why=None)
            return val, Phrase("chv_clv_palive" if fits.purchase.has_p_alive else "chv_clv",
                               fits=fits.phrase(reasons=False), months=clv_months, rate=Share(discount_rate, 0),
                               margin=Sig(margin), unknown=Phrase("chv_unknown", n=unknown) if unknown else "")
        why = Phrase("chv_no_known_clv", fits=fits.phrase(reasons=False))
    val = (trailing_revenue(lines, analysis_date=end, days=value_days) * margin).rename("value")
    val.attrs.update(kind="historical", unknown=0, why=why)
    return val, Phrase("chv_historical", days=value_days, margin=Sig(margin), why=why)


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
