"""Stage ex05 · Customer lifetime value (*müşteri yaşam boyu değeri, CLV*).

Expected answers come from the prepared buy-till-you-die summary
(:func:`helpers.features.customers.btyd_summary`), :func:`helpers.models.clv.historical_value`,
:func:`~helpers.models.clv.top_share_of_value` and a BG/NBD fit
(:func:`~helpers.models.clv.fit_purchase_model`, maximum likelihood) with
:func:`~helpers.models.clv.expected_purchases` and :func:`~helpers.models.clv.p_alive`.
"""
from __future__ import annotations

import pandas as pd

from helpers.features import customers
from helpers.models import clv
from helpers.exercises.core import NUMBER, SHARE, Exercise, L, Mistake, Unavailable, register
from helpers.exercises.ex03_rfm import rfm

MARGIN = 0.30
HORIZON_MONTHS = 12


def btyd(ctx) -> pd.DataFrame:
    return ctx.memo("btyd", lambda: ctx.prep.read("customers_btyd"))


def unit(ctx) -> str:
    return ctx.prep.meta["time_unit"]


def months_in_unit(ctx) -> float:
    """One month (365.25 / 12 days) in the summary's time unit."""
    return customers.UNIT_DAYS["M"] / customers.UNIT_DAYS[unit(ctx)]


def fit(ctx):
    def make():
        try:
            return clv.fit_purchase_model(btyd(ctx), model="bgnbd", method="map", time_unit=unit(ctx),
                                          standard_errors=False)
        except clv.ModelFitError as exc:
            raise Unavailable(L(f"no BG/NBD model can be fitted on this data: {exc}",
                                f"bu veriyle BG/NBD modeli kurulamıyor: {exc}")) from None

    return ctx.memo("bgnbd", make)


def _history(ctx, margin: float) -> pd.DataFrame:
    return clv.historical_value(rfm(ctx), margin=margin)


def _expected(ctx, future_t: float) -> float:
    return float(clv.expected_purchases(fit(ctx), btyd(ctx), future_t).sum())


EXERCISES = [
    Exercise(
        "ex05.repeat_share",
        L("Repeat buyers", "Tekrar alıcılar"),
        L("In the buy-till-you-die summary (`prep.read(\"customers_btyd\")`), what share of customers bought on "
          "**more than one day** (frequency > 0)? Give a fraction between 0 and 1.",
          "Satın al-ölene kadar özetinde (`prep.read(\"customers_btyd\")`) müşterilerin ne kadarı **birden fazla "
          "günde** alışveriş yaptı (frequency > 0)? 0 ile 1 arasında bir oran verin."),
        L("There `frequency` counts repeat purchase **days** (distinct days − 1), not orders.",
          "Orada `frequency` siparişleri değil, tekrar eden alışveriş **günlerini** (farklı günler − 1) sayar."),
        lambda ctx: float((btyd(ctx)["frequency"] > 0).mean()),
        SHARE,
        (Mistake("orders", lambda ctx: float((rfm(ctx)["frequency"] > 1).mean()),
                 L("you counted orders (RFM frequency > 1); two orders on one day are one purchase day here",
                   "siparişleri saydınız (RFM frequency > 1); burada aynı gündeki iki sipariş tek alışveriş günüdür")),
         Mistake("one_time", lambda ctx: float((btyd(ctx)["frequency"] == 0).mean()),
                 L("that is the share of customers who bought on one day only",
                   "bu yalnızca bir günde alışveriş yapan müşterilerin payı"))),
    ),
    Exercise(
        "ex05.margin_total",
        L("Historical value", "Geçmiş değer"),
        L(f"What gross margin have the customers brought so far, at a margin of {MARGIN:.0%} of revenue? "
          "Give it in the data's currency.",
          f"Cironun %{MARGIN * 100:.0f}'i kadar bir brüt kâr marjıyla müşteriler bugüne kadar ne kadar brüt kâr "
          "getirdi? Verinin para biriminde verin."),
        L(f"`clv.historical_value(prep.read(\"customers_rfm\"), margin={MARGIN})`, column `gross_margin`.",
          f"`clv.historical_value(prep.read(\"customers_rfm\"), margin={MARGIN})`, `gross_margin` sütunu."),
        lambda ctx: float(_history(ctx, MARGIN)["gross_margin"].sum()),
        NUMBER(rel_tol=1e-3),
        (Mistake("revenue", lambda ctx: float(_history(ctx, MARGIN)["revenue"].sum()),
                 L(f"that is revenue; the gross margin is {MARGIN:.0%} of it",
                   f"bu ciro; brüt kâr onun %{MARGIN * 100:.0f}'idir")),
         Mistake("with_guests", lambda ctx: MARGIN * float(ctx.prep.read("audit").set_index("rule").loc["kept", "revenue"]),
                 L("you included the guests' revenue; value is measured per customer, and guests have no id",
                   "misafirlerin cirosunu dâhil ettiniz; değer müşteri başına ölçülür ve misafirlerin numarası yoktur"))),
    ),
    Exercise(
        "ex05.top20_share",
        L("Value concentration", "Değer yoğunlaşması"),
        L("What share of the customers' revenue comes from the **top 20 %** of customers by revenue? "
          "Give a fraction between 0 and 1.",
          "Ciroya göre **en iyi %20** müşteri, müşteri cirosunun ne kadarını getiriyor? 0 ile 1 arasında bir oran verin."),
        L("`clv.top_share_of_value(revenue, 0.2)` with revenue per customer (`monetary` of the RFM table); "
          "the top 20 % are the best ceil(0.2 × n) customers.",
          "Müşteri başına ciroyla (`RFM tablosunun monetary sütunu`) `clv.top_share_of_value(revenue, 0.2)`; "
          "en iyi %20, en iyi ceil(0,2 × n) müşteridir."),
        lambda ctx: clv.top_share_of_value(rfm(ctx)["monetary"], 0.2),
        SHARE,
        (Mistake("rest", lambda ctx: 1 - clv.top_share_of_value(rfm(ctx)["monetary"], 0.2),
                 L("that is the share of the other 80 % of customers", "bu diğer %80 müşterinin payı")),),
    ),
    Exercise(
        "ex05.expected_purchases",
        L("Expected purchases", "Beklenen alışverişler"),
        L(f"Fit a BG/NBD model to the summary (`clv.fit_purchase_model(summary, model=\"bgnbd\", method=\"map\")`). "
          f"How many purchases (purchase days) do all customers together make in the next **{HORIZON_MONTHS} months**? "
          "Give a number (purchases).",
          f"Özete bir BG/NBD modeli kurun (`clv.fit_purchase_model(summary, model=\"bgnbd\", method=\"map\")`). "
          f"Tüm müşteriler birlikte önümüzdeki **{HORIZON_MONTHS} ayda** kaç alışveriş (alışveriş günü) yapar? "
          "Bir sayı verin (alışveriş)."),
        L("`clv.expected_purchases(fit, summary, future_t)` wants `future_t` in the summary's time unit "
          "(`prep.meta[\"time_unit\"]`): a month is 365.25 / 12 days.",
          "`clv.expected_purchases(fit, summary, future_t)`, `future_t` değerini özetin zaman biriminde ister "
          "(`prep.meta[\"time_unit\"]`): bir ay 365,25 / 12 gündür."),
        lambda ctx: _expected(ctx, HORIZON_MONTHS * months_in_unit(ctx)),
        NUMBER(rel_tol=0.01),
        (Mistake("unit", lambda ctx: _expected(ctx, HORIZON_MONTHS),
                 L(f"wrong time unit: future_t = {HORIZON_MONTHS} is {HORIZON_MONTHS} of the summary's units, not "
                   f"{HORIZON_MONTHS} months; convert months to the unit first",
                   f"yanlış zaman birimi: future_t = {HORIZON_MONTHS}, {HORIZON_MONTHS} ay değil özetin biriminden "
                   f"{HORIZON_MONTHS} tanedir; önce ayları bu birime çevirin")),),
    ),
    Exercise(
        "ex05.mean_p_alive",
        L("P(alive)", "P(hayatta)"),
        L("With the same fit, what is the customers' mean probability of still being active, **P(alive)**, on the "
          "analysis date? Give a fraction between 0 and 1.",
          "Aynı modelle, müşterilerin analiz tarihinde hâlâ aktif olma olasılığının, **P(alive)**, ortalaması nedir? "
          "0 ile 1 arasında bir oran verin."),
        L("`clv.p_alive(fit, summary)` gives one probability per customer; take their mean over every customer.",
          "`clv.p_alive(fit, summary)` her müşteri için bir olasılık verir; tüm müşteriler üzerinden ortalamasını alın."),
        lambda ctx: float(clv.p_alive(fit(ctx), btyd(ctx)).mean()),
        SHARE,
        (Mistake("repeat_only", lambda ctx: float(clv.p_alive(fit(ctx), btyd(ctx))[btyd(ctx)["frequency"].to_numpy() > 0].mean()),
                 L("you averaged over repeat customers only; take every customer in the summary",
                   "ortalamayı yalnızca tekrar alıcılar üzerinden aldınız; özetteki tüm müşterileri alın")),),
    ),
]

register("ex05", "ex05_clv", L("Customer lifetime value", "Müşteri yaşam boyu değeri"), EXERCISES)
