"""Tests for helpers.io.synth.plan: the order skeleton of a run, built directly with make_plan."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from helpers.io.synth import plan as synth_plan
from helpers.io.synth.params import DAY_US, DIRT_RATES
from helpers.io.synth.plan import KIND_BTYD, KIND_CAMPAIGN, KIND_CANCELLED, KIND_GUEST, make_plan

START = dt.date(2023, 1, 1)
DAYS = 365


@pytest.fixture(scope="module")
def plan():
    return make_plan(np.random.default_rng(5), 800, START, DAYS)


def test_orders_are_sorted_by_time_and_numbered(plan):
    o = plan.orders
    assert (np.diff(o["ts"]) >= 0).all()
    assert o["invoice"].tolist() == list(range(500_000, 500_000 + o["ts"].size))
    end_us = plan.start_us + DAYS * DAY_US
    assert (o["ts"] >= plan.start_us).all() and (o["ts"] < end_us).all()
    # the month is the calendar month of each order's day
    months = o["ts"].astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) % 12
    assert (o["month"] == months).all()


def test_every_customer_has_a_first_order_at_birth(plan):
    o, c = plan.orders, plan.cust
    btyd = o["kind"] == KIND_BTYD
    assert np.bincount(o["cust"][btyd], minlength=plan.n_customers).min() >= 1
    first_t = np.full(plan.n_customers, np.inf)
    np.minimum.at(first_t, o["cust"][btyd], o["t"][btyd])
    assert np.array_equal(first_t, c["birth_t"])


def test_extra_orders_in_the_documented_proportions(plan):
    kind = plan.orders["kind"]
    n_btyd = int((kind == KIND_BTYD).sum())
    assert (kind == KIND_GUEST).sum() == round(DIRT_RATES["guest_orders_per_order"] * n_btyd)
    assert (kind == KIND_CANCELLED).sum() == round(DIRT_RATES["cancelled_orders_per_order"] * n_btyd)
    assert (plan.orders["cust"][kind == KIND_GUEST] == -1).all()
    assert (plan.orders["cust"][kind != KIND_GUEST] >= 0).all()
    # campaign orders are the responses: one per responder of each campaign
    assert (kind == KIND_CAMPAIGN).sum() == sum(c["n_responders"] for c in plan.campaigns)
    assert ((plan.orders["campaign"] >= 0) == (kind == KIND_CAMPAIGN)).all()


def test_cancellations_follow_their_order_and_flags_sit_on_the_right_orders(plan):
    o = plan.orders
    canc = o["kind"] == KIND_CANCELLED
    assert (o["cancel_ts"][canc] > o["ts"][canc]).all() and (o["cancel_ts"][~canc] == 0).all()
    btyd = o["kind"] == KIND_BTYD
    n_btyd = int(btyd.sum())
    for flag, rate, lo in (("manual", "manual_per_order", 2), ("bank", "bank_charges_per_order", 1),
                           ("extreme", "extreme_per_order", 1)):
        assert o[flag].sum() == max(lo, round(DIRT_RATES[rate] * n_btyd)), flag
        assert not o[flag][~btyd].any(), flag
    # postage only on sale orders (BTYD, guest) that were not bought in the store
    assert not o["post"][(o["kind"] > KIND_GUEST) | (o["channel"] == 1)].any()


def test_reviews_only_on_btyd_orders_and_written_after_them(plan):
    o = plan.orders
    rev = o["score"] > 0
    assert not rev[o["kind"] != KIND_BTYD].any()
    assert (o["fb_ts"][rev] >= o["ts"][rev]).all() and (o["fb_ts"][~rev] == 0).all()
    assert (o["fb_ts"][rev] < plan.start_us + DAYS * DAY_US).all()
    assert set(np.unique(o["score"][rev])) <= {1, 2, 3, 4, 5}


def test_customers_are_simulated_in_chunks(monkeypatch):
    monkeypatch.setattr(synth_plan, "CHUNK_CUSTOMERS", 70)
    p = make_plan(np.random.default_rng(1), 200, START, 120)
    assert p.n_customers == 200 and p.cust["birth_t"].size == 200
    btyd = p.orders["kind"] == KIND_BTYD
    assert np.array_equal(np.unique(p.orders["cust"][btyd]), np.arange(200))
