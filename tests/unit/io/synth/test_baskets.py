"""Tests for helpers.io.synth.baskets: planted bundles and order values close to their targets."""
from __future__ import annotations

import numpy as np

from helpers.io.synth.baskets import compose
from helpers.io.synth.catalogue import shop_catalogue
from tests.fixtures.synth import baskets


def test_planted_bundles_have_high_lift(shop):
    b = baskets(shop["lines"])
    n = len(b)
    support = b.mean()
    rng = np.random.default_rng(0)
    bundle_products = {p for bd in shop["truth"]["bundles"] for p in bd["products"]}
    for bd in shop["truth"]["bundles"]:
        head, *partners = bd["products"]
        assert head in b.columns, bd
        with_head = b[b[head] == 1]
        assert len(with_head) >= 15, f"too few baskets with {bd['descriptions'][0]}"
        for partner in partners:
            both = (b[head] & b[partner]).mean()
            lift = both / (support[head] * support[partner])
            assert lift > 3, (bd["descriptions"], lift)
            # P(partner | head) >= planted prob, up to sampling error (binomial SE, 4 sigma)
            cond = with_head[partner].mean()
            se = np.sqrt(bd["prob"] * (1 - bd["prob"]) / len(with_head))
            assert cond > bd["prob"] - 4 * se, (bd["descriptions"], cond)
            assert cond < bd["prob"] + 4 * se + support[partner] + 0.05, (bd["descriptions"], cond)
    # random pairs of other products are not associated
    others = [p for p in support.index if p not in bundle_products and support[p] > 0.01]
    lifts = []
    for _ in range(300):
        x, y = rng.choice(others, 2, replace=False)
        lifts.append((b[x] & b[y]).mean() / (support[x] * support[y]))
    assert np.median(lifts) < 1.5
    assert n > 1000


def test_order_values_close_to_target(shop):
    """Single-order customers expose one order's target z and realised value."""
    c = shop["truth"]["customers"].query("n_orders == 1")
    rel = (c["mean_order_value"] - c["mean_target_value"]).abs() / c["mean_target_value"]
    assert rel.median() < 0.05
    assert (rel < 0.15).mean() > 0.85
    ov = shop["truth"]["params"]["order_value_vs_target"]
    assert ov["median_abs_rel_error"] < 0.05 and ov["p90_abs_rel_error"] < 0.2
    assert abs(ov["mean_realised_over_mean_target"] - 1) < 0.02


def test_compose_hits_each_target_within_half_the_cheapest_unit_price():
    """The documented accuracy, on compose() directly: unless one unit of each chosen product already
    costs more than z, the value is within half the cheapest line's unit price of z."""
    cat = shop_catalogue()
    rng = np.random.default_rng(1)
    n = 3000
    z = rng.gamma(6.0, 1 / rng.gamma(4.0, 1 / 15.0, n))                  # the headline Gamma-Gamma
    oi, prod, q, value = compose(rng, rng.integers(0, 5, n), rng.integers(0, 12, n), z)
    assert (np.diff(oi) >= 0).all() and np.array_equal(np.unique(oi), np.arange(n))
    assert (q >= 1).all() and (q == np.round(q)).all()
    assert np.unique(oi * 1000 + prod).size == oi.size                    # one line per product and order
    price = cat.price[prod]
    assert np.allclose(value, np.bincount(oi, q * price, minlength=n))
    one_each = np.bincount(oi, price, minlength=n)
    cheapest = np.full(n, np.inf)
    np.minimum.at(cheapest, oi, price)
    fits = one_each <= z
    assert fits.mean() > 0.95
    assert (np.abs(value - z)[fits] <= 0.5 * cheapest[fits] + 1e-9).all()
    assert (np.bincount(oi, minlength=n) <= 6 + 2).all()                 # 1-6 drawn, bundle partners added


def test_a_bundle_head_brings_its_partners_at_the_planted_rate():
    cat = shop_catalogue()
    b = 0                                                                 # Tea Light Candles + Candle Holder, 0.6
    head = int(np.flatnonzero(cat.bundle_of_head == b)[0])
    partner = int(cat.bundle_members[b, 0])
    rng = np.random.default_rng(2)
    n = 20_000
    oi, prod, _, _ = compose(rng, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.full(n, 40.0))

    def has(p):
        return np.isin(np.arange(n), oi[prod == p])

    with_head = has(head)
    cond = has(partner)[with_head].mean()
    prob = cat.bundle_prob[b]
    # at least the planted probability (the partner is also bought on its own), within 4 binomial SE
    assert with_head.sum() > 200
    assert cond > prob - 4 * np.sqrt(prob * (1 - prob) / with_head.sum())
