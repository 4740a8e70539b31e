"""Tests for helpers.io.synth.baskets: planted bundles and order values close to their targets."""
from __future__ import annotations

import numpy as np

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
