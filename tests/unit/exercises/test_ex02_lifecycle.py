"""Stage ex02 (lifecycle KPIs and cohorts): the expected answers against months of first and repeat
purchases counted straight from the clean lines of the tiny run (period: month, analysis end 2023-12-31)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import exercises
from helpers.exercises import ex02_lifecycle
from helpers.features import lifecycle
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def months(prep):
    """Clean customer lines with their calendar month."""
    lines = prep.lines().dropna(subset=["customer_id"])
    return lines.assign(month=lines["invoice_ts"].dt.to_period("M"))


def _active(months, month: str) -> set:
    return set(months.loc[months["month"] == pd.Period(month, "M"), "customer_id"])


def test_the_stage_has_its_notebook_and_five_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex02'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex02")) == 5


def test_the_last_complete_period_is_the_month_ending_on_the_analysis_date(prep, ctx):
    assert prep.end == dt.date(2023, 12, 31) and prep.config.analysis.period == "month"
    assert str(ex02_lifecycle.last_complete(ctx)["period"]) == "2023-12"


def test_new_customers_of_the_last_period_are_those_whose_first_month_it_is(months, answer, mistake):
    first = months.groupby("customer_id")["month"].min()
    assert answer("ex02.new_last_period") == (first == pd.Period("2023-12", "M")).sum()
    assert mistake("ex02.new_last_period", "active") == len(_active(months, "2023-12"))


def test_retention_is_the_share_of_last_months_customers_who_came_back(months, answer, mistake):
    before, now = _active(months, "2023-11"), _active(months, "2023-12")
    assert answer("ex02.retention_last_period") == pytest.approx(len(before & now) / len(before))
    assert mistake("ex02.retention_last_period", "churn_rate") == pytest.approx(1 - len(before & now) / len(before))
    assert mistake("ex02.retention_last_period", "same_period_denominator") == \
        pytest.approx(len(before & now) / len(now))


def test_average_order_value_counts_every_order_guests_included(prep, answer, mistake):
    clean = prep.lines()
    assert answer("ex02.aov") == pytest.approx(clean["amount"].sum() / clean["invoice"].nunique())
    assert mistake("ex02.aov", "per_line") == pytest.approx(clean["amount"].sum() / len(clean))
    known = clean.dropna(subset=["customer_id"])
    assert mistake("ex02.aov", "customers_only") == pytest.approx(known["amount"].sum() / known["invoice"].nunique())


def test_the_first_cohort_one_month_later(months, answer, mistake):
    first = months.groupby("customer_id")["month"].min()
    cohort = set(first[first == pd.Period("2023-01", "M")].index)
    back = cohort & _active(months, "2023-02")
    assert answer("ex02.first_cohort_age1") == pytest.approx(len(back) / len(cohort))
    assert mistake("ex02.first_cohort_age1", "count") == len(back)
    assert mistake("ex02.first_cohort_age1", "age0") == 1.0
    assert mistake("ex02.first_cohort_age1", "age2") == pytest.approx(
        len(cohort & _active(months, "2023-03")) / len(cohort))


def test_lost_customers_are_silent_for_longer_than_the_lost_threshold(prep, ctx, months, answer, mistake):
    days = lifecycle.purchase_days(ctx.lines, analysis_date=prep.end)
    rules, _ = lifecycle.rules_from_gaps(days)
    recency = (pd.Timestamp(prep.end) - months.groupby("customer_id")["invoice_ts"].max().dt.normalize()).dt.days
    assert answer("ex02.lost_customers") == (recency > rules.lost_days).sum()
    assert answer("ex02.lost_customers") < mistake("ex02.lost_customers", "with_at_risk") <= len(recency)
