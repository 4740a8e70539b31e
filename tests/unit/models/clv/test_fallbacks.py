"""Tests for helpers.models.clv.fallbacks: empirical rates and spend and the NBD likelihood, by hand.

The NBD against known truth and against pymc-marketing's BG/NBD is in tests/unit/models/test_fit_survival.py.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.models import clv
from tests.unit.models.clv.stubs import TEN, summary_rows


class TestEmpiricalRates:
    def test_by_hand(self):
        fit = clv.empirical_rates(TEN, time_unit="W")
        assert fit.step == "empirical_rate" and not fit.has_p_alive
        assert fit.values == {"rate": pytest.approx(18 / 230)}
        e = clv.expected_purchases(fit, TEN, 10.0)
        assert e["G"] == pytest.approx(5 / 30 * 10) and e["A"] == 0.0
        assert clv.p_alive(fit, TEN).isna().all()

    def test_no_time_observed_is_unknown(self):
        s = summary_rows([("A", 0, 0.0, 0.0, 0.0), ("B", 1, 2.0, 4.0, 10.0)])
        e = clv.expected_purchases(clv.empirical_rates(s), s, 8.0)
        assert math.isnan(e["A"]) and e["B"] == pytest.approx(2.0)


class TestEmpiricalSpend:
    def test_by_hand(self):
        fit = clv.empirical_spend(TEN)
        assert (fit.step, fit.n_customers, fit.n_excluded) == ("empirical_spend", 7, 0)
        assert fit.population_mean_spend == pytest.approx(202 / 7)
        e = clv.expected_spend(fit, TEN)
        assert e["G"] == 12.0 and e["A"] == pytest.approx(202 / 7)


class TestNBD:
    def test_log_likelihood_by_hand(self):
        # one customer, x = 0, T = 1, r = alpha = 1: ln G(1) - ln G(1) + 0 - 1 * ln 2
        s = pd.DataFrame({"customer_id": ["A"], "frequency": [0.0], "recency": [0.0], "T": [1.0]})
        assert clv.nbd_log_likelihood(1.0, 1.0, s) == pytest.approx(-math.log(2))

    def test_too_few_repeat_customers(self):
        with pytest.raises(clv.ModelFitError, match="the NBD model needs at least 10 repeat customers") as err:
            clv.fit_nbd(TEN)
        assert err.value.why == "too_few_repeat" and err.value.fields == {"n": 7, "total": 10, "min": 10}
