"""Late against on-time orders by hand, and on the raw Olist files."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from helpers.models import voice


class TestDelay:
    def test_late_against_on_time(self, fb):
        e = voice.delay_effect(fb)
        t = e.table.set_index("group")
        # late: f2 (1), f4 (2), f7 (1); on time: f1 5, f3 4, f5 3 (0 days: on the day), f6 5, f9 5; f8 unknown
        assert t.loc["late", "reviews"] == 3 and t.loc["on time", "reviews"] == 5 and e.unknown == 1
        assert t.loc["late", "mean_score"] == pytest.approx(4 / 3)
        assert t.loc["on time", "mean_score"] == pytest.approx(4.4)
        assert e.mean_gap["diff"] == pytest.approx(4 / 3 - 4.4)
        assert e.low_share_gap["diff"] == pytest.approx(1.0)
        # Welch by hand: variances 1/3 (n 3) and 0.8 (n 5)
        v1, v2 = 1 / 3 / 3, 0.8 / 5
        df = (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 4)
        h = stats.t.ppf(0.975, df) * math.sqrt(v1 + v2)
        assert e.mean_gap["low"] == pytest.approx(4 / 3 - 4.4 - h)
        assert e.mean_gap["high"] == pytest.approx(4 / 3 - 4.4 + h)

    def test_threshold_moves_orders(self, fb):
        t = voice.delay_effect(fb, late_after_days=3).table.set_index("group")
        assert t.loc["late", "reviews"] == 2                                # only f2 (5 days) and f7 (10)

    def test_no_delay_no_comparison(self, fb):
        assert voice.delay_effect(fb.drop(columns="delay_days")) is None

@pytest.mark.shared_data
def test_olist_late_gap_matches_raw_csv(shared_data):
    """The late-delivery gap from the raw Olist csv files (plain pandas) equals what delay_effect gives."""
    d = shared_data / "olist_sample"
    rv = pd.read_csv(d / "olist_order_reviews_dataset.csv")
    od = pd.read_csv(d / "olist_orders_dataset.csv")
    m = rv.merge(od, on="order_id", how="left")
    delivered = pd.to_datetime(m["order_delivered_customer_date"]).dt.date
    promised = pd.to_datetime(m["order_estimated_delivery_date"]).dt.date
    known = delivered.notna() & promised.notna()
    late = known & (delivered > promised)
    raw_late, raw_on = m.loc[late, "review_score"], m.loc[known & ~late, "review_score"]

    fb = voice.check_feedback(pd.DataFrame({
        "feedback_id": m["review_id"] + "/" + m["order_id"], "feedback_ts": m["review_creation_date"],
        "score": m["review_score"], "score_min": 1, "score_max": 5, "language": "pt",
        "text": m["review_comment_message"], "delivered_ts": m["order_delivered_customer_date"],
        "estimated_ts": m["order_estimated_delivery_date"]}), file="olist_order_reviews_dataset.csv")
    e = voice.delay_effect(fb)
    t = e.table.set_index("group")
    assert t.loc["late", "reviews"] == len(raw_late) and t.loc["on time", "reviews"] == len(raw_on)
    assert e.mean_gap["diff"] == pytest.approx(raw_late.mean() - raw_on.mean(), abs=1e-12)
    assert e.low_share_gap["diff"] == pytest.approx((raw_late <= 2).mean() - (raw_on <= 2).mean(), abs=1e-12)
    # late Olist orders score about two points lower (published analyses of the full data: ~2.5 vs ~4.3)
    assert e.mean_gap["high"] < -1.5
