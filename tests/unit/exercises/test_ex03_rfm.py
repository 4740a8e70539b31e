"""Stage ex03 (RFM): the expected answers against recency, orders and revenue per customer taken straight
from the clean lines of the tiny run, and R / F quintile scores computed here by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import exercises
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def per_customer(prep):
    lines = prep.lines().dropna(subset=["customer_id"])
    g = lines.groupby("customer_id")
    out = pd.DataFrame({"last": g["invoice_ts"].max().dt.normalize(), "orders": g["invoice"].nunique(),
                        "revenue": g["amount"].sum()})
    out["recency"] = (pd.Timestamp(prep.end) - out["last"]).dt.days
    return out


def _quintile(x: pd.Series) -> pd.Series:
    """1 + floor(5 x share of customers strictly worse): ties share a score."""
    worse = x.map(lambda v: (x < v).sum())
    return 1 + np.floor(5 * worse / len(x)).astype(int)


def test_the_stage_has_its_notebook_and_four_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex03'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex03")) == 4


def test_mean_recency_in_days_and_its_two_slips(per_customer, answer, mistake):
    assert answer("ex03.mean_recency") == pytest.approx(per_customer["recency"].mean())
    assert mistake("ex03.mean_recency", "plus_one") == pytest.approx(per_customer["recency"].mean() + 1)
    assert mistake("ex03.mean_recency", "weeks") == pytest.approx(per_customer["recency"].mean() / 7)


def test_champions_are_the_recent_frequent_customers(per_customer, answer, mistake):
    r = _quintile(-per_customer["recency"])          # fewer days is better
    f = _quintile(per_customer["orders"])
    champions = per_customer[(r == 5) & f.isin([4, 5])]
    assert answer("ex03.champions") == len(champions) > 0
    assert mistake("ex03.champions", "orders") == champions["orders"].sum()
    assert answer("ex03.champions_revenue_share") == pytest.approx(
        champions["revenue"].sum() / per_customer["revenue"].sum())
    assert mistake("ex03.champions_revenue_share", "customer_share") == pytest.approx(
        len(champions) / len(per_customer))


def test_one_time_buyers(per_customer, answer, mistake):
    one = per_customer["orders"] == 1
    assert answer("ex03.one_time_share") == pytest.approx(one.mean())
    assert mistake("ex03.one_time_share", "count") == one.sum()
    assert mistake("ex03.one_time_share", "repeat") == pytest.approx(1 - one.mean())
