"""Stage ex05 (CLV): the expected answers against purchase days, margins and the top fifth of customers
taken straight from the clean lines of the tiny run; the BG/NBD answers (slow) against their time unit."""
from __future__ import annotations

import math

import pytest

from helpers import exercises
from helpers.exercises import ex05_clv
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def known(prep):
    return prep.lines().dropna(subset=["customer_id"])


def test_the_stage_has_its_notebook_and_five_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex05'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex05")) == 5


def test_repeat_buyers_bought_on_two_days_or_more(known, answer, mistake):
    days = known.groupby("customer_id")["invoice_ts"].apply(lambda s: s.dt.normalize().nunique())
    orders = known.groupby("customer_id")["invoice"].nunique()
    assert answer("ex05.repeat_share") == pytest.approx((days >= 2).mean())
    assert mistake("ex05.repeat_share", "one_time") == pytest.approx((days == 1).mean())
    assert mistake("ex05.repeat_share", "orders") == pytest.approx((orders >= 2).mean())


def test_gross_margin_is_thirty_percent_of_customer_revenue(prep, known, answer, mistake):
    assert ex05_clv.MARGIN == 0.30
    assert answer("ex05.margin_total") == pytest.approx(0.30 * known["amount"].sum())
    assert mistake("ex05.margin_total", "revenue") == pytest.approx(known["amount"].sum())
    assert mistake("ex05.margin_total", "with_guests") == pytest.approx(0.30 * prep.lines()["amount"].sum())


def test_the_top_fifth_of_customers_share_of_revenue(known, answer, mistake):
    revenue = known.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top = revenue.iloc[:math.ceil(0.2 * len(revenue))].sum() / revenue.sum()
    assert answer("ex05.top20_share") == pytest.approx(top)
    assert mistake("ex05.top20_share", "rest") == pytest.approx(1 - top)


def test_a_month_in_weeks(prep, ctx):
    assert prep.meta["time_unit"] == "W"
    assert ex05_clv.months_in_unit(ctx) == pytest.approx(365.25 / 12 / 7)


@pytest.mark.slow
def test_a_year_of_expected_purchases_outnumbers_twelve_weeks(answer, mistake):
    year = answer("ex05.expected_purchases")
    weeks = mistake("ex05.expected_purchases", "unit")
    assert year > weeks > 0
    assert 0 < answer("ex05.mean_p_alive") < 1
