"""Complaint histories by hand, and the fit of k against planted factors."""
from __future__ import annotations

import math
import sys

import pytest

from helpers.errors import DataError
from helpers.models import voice
from tests.fixtures import FIXTURES
from tests.fixtures.voice_data import END

sys.path.insert(0, str(FIXTURES / "voice"))
from simulate import simulate_complaint_shop  # noqa: E402


class TestComplaintHistories:
    def test_complaint_at_the_purchase_of_its_order(self, fb, lines):
        h = voice.complaint_histories(lines, fb, observation_end=END, time_unit="D").set_index("customer_id")
        # A buys on 01-05, 02-25, 04-15 and complains about invoice 101 (02-25): purchase 1 of 0..2
        assert h.loc["A", "frequency"] == 2 and h.loc["A", "recency"] == 100 and h.loc["A", "T"] == 360
        assert h.loc["A", "complaint_at"] == 1 and h.loc["B", "complaint_at"] == 1
        assert h["complained"].to_dict() == {"A": True, "B": True, "C": False, "D": False, "E": False}

    def test_without_invoice_the_last_purchase_before(self, fb, lines):
        h = voice.complaint_histories(lines, fb.drop(columns="invoice"), observation_end=END).set_index("customer_id")
        # A's complaint of 03-01 follows the purchase of 02-25 (index 1); B's of 02-01 the one of 01-28 (index 1)
        assert h.loc["A", "complaint_at"] == 1 and h.loc["B", "complaint_at"] == 1
        assert h.loc["A", "T"] == pytest.approx(360 / 7)

    def test_too_few_complaints(self, fb, lines):
        h = voice.complaint_histories(lines, fb, observation_end=END)
        with pytest.raises(DataError, match=r"2 customers complained .*\[rule: too-few-complaints\]"):
            voice.fit_complaint_hazard(h)

class TestComplaintEffect:
    """The complaint BG/NBD recovers a planted hazard factor (4,000 simulated customers, a few seconds each).

    Over 12 seeds with k = 2 the estimates averaged 1.97 (sd 0.14) and 11 of the 12 90 % intervals
    covered 2, so the tolerance is the interval itself plus a 25 % bound on the point estimate.
    """

    @pytest.mark.parametrize("k, seed", [(2.0, 2), (3.0, 4)])
    def test_recovers_planted_factor(self, k, seed):
        f = voice.fit_complaint_hazard(simulate_complaint_shop(4000, k=k, seed=seed))
        assert f.covers(k), f.params
        assert abs(f.k / k - 1) < 0.25
        assert f.params.loc["r", "estimate"] == pytest.approx(0.6, rel=0.15)
        assert f.mean_p == pytest.approx(1 / 7, rel=0.15)
        assert f.lr_p_value < 0.001

    def test_no_effect(self):
        f = voice.fit_complaint_hazard(simulate_complaint_shop(4000, k=1.0, seed=3))
        assert f.covers(1.0) and f.lr_p_value > 0.01

    @pytest.mark.slow
    def test_generated_shop_all_customers(self):
        """The whole path of notebook 09 on a generated shop of 30,000 customers (seed 13): all five
        customer types, campaign orders, dirt and cleaning, the complaint read from the feedback table.
        Planted k = 2; measured 2.12 (SE of log k 0.064). Within 3 SE of the truth, and k = 1 (no
        effect) more than 3 SE away. The 5,000-customer default shop is too small for the second part
        (SE 0.17; see scripts/complaint_coverage.py)."""
        from helpers import paths, pipeline

        prep = pipeline.open_run(paths.CONFIGS / "default.yaml",
                                 ["data.synthetic.customers=30000", "data.synthetic.seed=13"], progress=False)
        fb = voice.check_feedback(prep.read("feedback"))
        hist = voice.complaint_histories(prep.lines(["customer_id", "invoice", "invoice_ts"]), fb,
                                         observation_end=prep.end, time_unit=prep.meta["time_unit"])
        f = voice.fit_complaint_hazard(hist)
        se = f.params.loc["k", "se"]
        planted = prep.synthetic_truth()["feedback"]["complaint_hazard_factor"]
        assert planted == 2.0 and f.n_customers > 25_000
        assert abs(math.log(f.k) - math.log(planted)) < 3 * se, f.params
        assert math.log(f.k) > 3 * se, f.params


def test_try_complaint_hazard_returns_why_not(fb, lines):
    fit, err = voice.try_complaint_hazard(lines, fb, observation_end=END, time_unit="W")
    assert fit is None and isinstance(err, DataError)
