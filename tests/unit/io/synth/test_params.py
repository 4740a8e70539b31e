"""Tests for helpers.io.synth.params: the fixed parameters are consistent with each other and with
what the package docstring promises."""
from __future__ import annotations

import pytest

from helpers.io.synth import params as P


def test_catalogue_shape_and_tiers():
    assert len(P.CATEGORIES) == 12 and all(len(items) == 10 for items in P.CATEGORIES.values())
    items = [i for v in P.CATEGORIES.values() for i in v]
    assert len(set(items)) == 120                                   # 120 base items x 3 tiers = 360 products
    assert P.TIERS == ("Good", "Better", "Best")
    assert list(P.TIER_MULT) == sorted(P.TIER_MULT) and P.TIER_MULT[0] == 1.0
    assert set(P.PRICE_RANGE) == set(P.CATEGORIES)
    assert all(0 < lo < hi for lo, hi in P.PRICE_RANGE.values())
    assert set(P.SEASON) <= set(P.CATEGORIES) and all(len(m) == 12 for m in P.SEASON.values())


def test_bundles_name_catalogue_products_and_are_disjoint():
    seen = []
    for spec, prob in P.BUNDLE_SPEC:
        assert 2 <= len(spec) <= 3 and 0 < prob < 1
        for item, tier in spec:
            assert tier in P.TIERS and any(item in v for v in P.CATEGORIES.values()), item
            seen.append((item, tier))
    assert len(seen) == len(set(seen)) == 25


@pytest.mark.parametrize("shares", [
    [t["share"] for t in P.TYPES.values()], [c[1] for c in P.COUNTRIES], P.CHANNEL_PREF_UK, P.CHANNEL_PREF_ABROAD,
    P.GUEST_CHANNEL, P.REGION_UK_SHARES, P.AGE_SHARES, P.HOUSEHOLD_SHARES, P.INCOME_SHARES,
    P.FEEDBACK_RULES["score_probs"]])
def test_shares_add_up_to_one(shares):
    assert sum(shares) == pytest.approx(1.0)


def test_types_and_headline():
    assert P.TYPE_NAMES == ("regular", "loyal", "premium", "bargain", "gift")
    assert {k: P.TYPES["regular"][k] for k in P.HEADLINE} == P.HEADLINE
    for t in P.TYPES.values():
        assert sum(t["tier_pref"].values()) == pytest.approx(1.0)
        assert set(t["category_pref"]) == set(P.CATEGORIES)
    assert P.TYPES["gift"]["holiday_acquisition"] > P.TYPES["regular"]["holiday_acquisition"]


def test_demographic_and_feedback_rules():
    # the share-weighted income factor is exactly 1: 0.3 x 0.8 + 0.5 x 1.0 + 0.2 x 1.3
    assert sum(s * P.INCOME_FACTOR[b] for b, s in zip(P.INCOME_BANDS, P.INCOME_SHARES)) == pytest.approx(1.0)
    assert len(P.REGIONS_UK) == len(P.REGION_UK_SHARES) and P.REGION_ABROAD not in P.REGIONS_UK
    assert len(P.AGE_BANDS) == len(P.AGE_SHARES) and len(P.HOUSEHOLD_SIZES) == len(P.HOUSEHOLD_SHARES)
    assert sorted(P.FEEDBACK_PHRASES) == [1, 2, 3, 4, 5]
    lo, hi = P.FEEDBACK_RULES["delay_days"]
    assert 0 < lo < hi and P.FEEDBACK_RULES["complaint_hazard_factor"] > 1


def test_campaign_types():
    assert list(P.CAMPAIGN_TYPES) == ["discount", "bundle", "reactivation"]
    for spec in P.CAMPAIGN_TYPES.values():
        assert spec["window_days"] > 0
        assert 0 < spec["target_share"] < 1 and 0 < spec["response_prob"] < 1 and 0 <= spec["email_share"] <= 1
