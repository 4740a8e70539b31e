"""Tests for helpers.analyses.retention: every formula against a hand computation on small inputs."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import retention as R
from helpers.errors import DataError


def flat(r=0.8, n=100.0, v=50.0, horizon=10, period="quarter"):
    return R.RetentionBase(n, v, np.full(horizon, r), period, "constant")


class TestFormulas:
    def test_discount_and_survival(self):
        assert R.discount_factors(2, 0.21, 2) == pytest.approx([1 / 1.1, 1 / 1.21])
        assert R.survival([0.5, 0.8, 1.0]) == pytest.approx([0.5, 0.4, 0.4])
        with pytest.raises(DataError, match=r"\[0, 1\]"):
            R.survival([1.2])

    def test_geometric_closed_form_equals_the_sum(self):
        m, r, d, H, P = 15.0, 0.8, 0.1, 12, 4
        by_sum = sum(m * r ** t / (1 + d) ** (t / P) for t in range(1, H + 1))
        assert R.geometric_value(m, r, d, H, P) == pytest.approx(by_sum, rel=1e-12)
        assert R.geometric_value(m, 1.0, 0.0, H) == m * H

    def test_base_value_by_hand(self):
        # N = 100, v = 50, margin 0.3, r = 0.8, no discount, H = 3: S = 0.8, 0.64, 0.512
        out = R.base_value(flat(horizon=3), margin=0.3, discount_rate=0.0, horizon=3)
        assert out["customer_periods"] == pytest.approx(100 * 1.952)
        assert out["revenue"] == pytest.approx(100 * 50 * 1.952)
        assert out["value"] == pytest.approx(0.3 * 100 * 50 * 1.952)
        # with discounting it is the geometric closed form
        disc = R.base_value(flat(horizon=10), margin=0.3, discount_rate=0.1, horizon=10)
        assert disc["value"] == pytest.approx(0.3 * 100 * R.geometric_value(50, 0.8, 0.1, 10, 4))

    def test_improve(self):
        assert R.improve([0.8, 0.8], 5) == pytest.approx([0.85, 0.85])        # constant: exactly +5 points
        # r_1 = 0.6, r_2 = 0.9: k = (0.4 - 0.1) / 0.4 = 0.75; r_2' = 1 - 0.75 * 0.1
        assert R.improve([0.6, 0.9], 10) == pytest.approx([0.7, 0.925])
        assert R.improve([0.9, 0.5], 20) == pytest.approx([1.0, 1.0])          # k floored at 0: nobody lost

    def test_scenarios_and_headline(self):
        b = flat(horizon=10)
        t = R.scenario_table(b, margin=0.3, discount_rate=0.1, horizon=10, cost_per_customer=2.0)
        assert t["points"].tolist() == list(range(11))
        v = lambda r: 0.3 * 100 * R.geometric_value(50, r, 0.1, 10, 4)  # noqa: E731
        assert t.loc[5, "extra_value"] == pytest.approx(v(0.85) - v(0.8))
        assert t.loc[5, "net_gain"] == pytest.approx(v(0.85) - v(0.8) - 2.0 * 100)
        assert t.loc[0, "programme_cost"] == 0 and t.loc[1, "programme_cost"] == 200
        assert t.loc[5, "break_even_per_customer"] == pytest.approx((v(0.85) - v(0.8)) / 100)
        s = lambda r: sum(r ** k for k in range(1, 11))  # noqa: E731
        assert t.loc[5, "profit_uplift"] == pytest.approx(s(0.85) / s(0.8) - 1)
        h = R.headline(t, 5)
        assert h["value_one_point"] == pytest.approx(v(0.81) - v(0.8))
        assert (t["extra_value"].diff().dropna() > 0).all()

    def test_tornado(self):
        t = R.tornado(flat(horizon=10), margin=0.3, discount_rate=0.1, horizon=10, cost_per_customer=2.0, change=0.2)
        row = t.set_index("input")
        v = lambda m, r: m * 100 * R.geometric_value(50, r, 0.1, 10, 4)  # noqa: E731
        assert row.loc["margin", "high"] == pytest.approx(v(0.36, 0.85) - v(0.36, 0.8) - 200)
        assert row.loc["cost per customer", "low"] == pytest.approx(v(0.3, 0.85) - v(0.3, 0.8) - 160)
        assert t["swing"].is_monotonic_decreasing
        assert t["base"].tolist() == pytest.approx([v(0.3, 0.85) - v(0.3, 0.8) - 200] * len(t))

    def test_input_errors(self):
        with pytest.raises(DataError, match="margin"):
            R.base_value(flat(), margin=1.5, discount_rate=0.1, horizon=4)
        with pytest.raises(DataError, match="horizon"):
            R.base_value(flat(), margin=0.3, discount_rate=0.1, horizon=0)
        with pytest.raises(DataError, match="cost_per_customer"):
            R.scenario_table(flat(), margin=0.3, discount_rate=0.1, horizon=4, cost_per_customer=-1)


class TestActivityCurve:
    # customers A..D over periods 0..3 (3 = last complete)
    PERIODS = pd.DataFrame({"customer_id": list("AAABBCD"), "period_index": [0, 1, 3, 0, 2, 1, 3],
                            "revenue": [10.0, 20, 30, 40, 50, 60, 70]})

    def test_by_hand(self):
        c = R.activity_curve(self.PERIODS, last_complete=3, min_customers=1)
        # lag 1: starts in 0..2 = A0 A1 B0 B2 C1 (5); active a period later: A0->A1 (1)
        # lag 2: starts in 0..1 = A0 A1 B0 C1 (4); later: A1->A3, B0->B2 (2)
        # lag 3: starts in 0 = A0 B0 (2); later: A0->A3 (1)
        assert c["base"].tolist() == [5, 4, 2] and c["retained"].tolist() == [1, 2, 1]
        assert R.rates_from_curve(c["retention"]) == pytest.approx([0.2, 1.0, 1.0])  # 0.5 / 0.2 cut to 1

    def test_base(self):
        b = R.base_from_activity(self.PERIODS, period="quarter", last_complete=3, recent=12, min_customers=1)
        # N = active in period 3 = A, D; v = all revenue / customer-periods = 280 / 7
        assert b.customers == 2 and b.revenue_per_customer == pytest.approx(40.0)
        with pytest.raises(DataError, match="revenue"):
            R.base_from_activity(self.PERIODS.drop(columns="revenue"), period="quarter", last_complete=3, min_customers=1)

    def test_last_complete_period(self):
        import datetime as dt
        from helpers.features.lifecycle import index_of

        assert R.last_complete_period(dt.date(2024, 6, 30), "quarter") == index_of(dt.date(2024, 6, 30), "quarter")
        assert R.last_complete_period(dt.date(2024, 6, 29), "quarter") == index_of(dt.date(2024, 3, 31), "quarter")


class TestCohortClv:
    @staticmethod
    def cohorts():
        # two cohorts of 10 and 20 customers; revenue per customer by age
        rows = [("c1", 0, 0, 10, 100.0, False), ("c1", 0, 1, 10, 50.0, False), ("c1", 0, 2, 10, 25.0, False),
                ("c2", 1, 0, 20, 400.0, False), ("c2", 1, 1, 20, 100.0, False), ("c2", 1, 2, 20, 0.0, True)]
        t = pd.DataFrame(rows, columns=["cohort", "cohort_index", "age", "cohort_size", "revenue", "partial"])
        t["revenue_per_customer"] = t["revenue"] / t["cohort_size"]
        return t

    def test_by_hand(self):
        t = R.cohort_clv(self.cohorts(), margin=0.5, discount_rate=0.0, horizon=3, period="quarter",
                         acquisition_cost={"c1": 5, "c2": 40})
        c1 = t.set_index("cohort").loc["c1"]
        assert c1["clv"] == pytest.approx(0.5 * (10 + 5 + 2.5)) and c1["observed_share"] == pytest.approx(1.0)
        # c2 observed ages 0, 1 (age 2 partial): u = 20, 5; pooled at age 2 = 25 / 10 = 2.5 (only c1 complete there)
        # pooled ages 0..1 = 500/30, 150/30; scale = 25 / (650/30); filled age 2 = scale * 2.5
        scale = 25 / (650 / 30)
        c2 = t.set_index("cohort").loc["c2"]
        assert c2["clv"] == pytest.approx(0.5 * (25 + scale * 2.5))
        assert c2["clv_minus_cost"] == pytest.approx(c2["clv"] - 40)
        assert c1["clv_to_cost"] == pytest.approx(c1["clv"] / 5)


class _Decay:
    """A purchase model by hand: customer i buys at rate lam_i and leaves at rate mu (one 'draw'), so
    E[X_i(t)] = lam_i (1 - exp(-mu t)) / mu and P(alive) = 1 at the start."""

    from types import SimpleNamespace as _NS

    idata = _NS(posterior=_NS(sizes={"chain": 1, "draw": 1}))
    mu = 0.1

    def expected_purchases(self, data, future_t):
        lam = data["frequency"].to_numpy(dtype=float) + 1.0
        t = np.broadcast_to(np.asarray(future_t, dtype=float), (len(data),))
        return (lam * (1 - np.exp(-self.mu * t)) / self.mu)[None, None, :]

    def expected_probability_alive(self, data):
        return np.ones((1, 1, len(data)))

    def expected_customer_spend(self, data):
        return np.full((1, 1, len(data)), 25.0)


class TestBaseFromBgnbd:
    SUMMARY = pd.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [0.0, 1.0, 3.0], "recency": [0.0, 2.0, 5.0],
                            "T": [4.0, 6.0, 8.0], "monetary_value": [0.0, 20.0, 30.0]})

    def _fits(self):
        from helpers.models import clv

        purchase = clv.PurchaseFit(model="bgnbd", method="map", priors="flat", estimator=_Decay(),
                                   params=pd.DataFrame({"estimate": []}), time_unit="W", log_likelihood=None,
                                   n_customers=3, n_repeat=2)
        spend = clv.SpendFit(method="map", estimator=_Decay(), params=pd.DataFrame({"estimate": []}),
                             log_likelihood=None, n_customers=2, n_excluded=0)
        return purchase, spend

    def test_by_hand(self):
        """Exponential dropout at rate mu per week: every period keeps q = exp(-mu L) of the one before (L weeks per
        period), so r_t = q; N = sum of P(alive) = 3; E_1 = sum(lam) (1 - q) / mu, E_0 = E_1 / q, v = E_0 * 25 / N."""
        purchase, spend = self._fits()
        base = R.base_from_bgnbd(purchase, spend, self.SUMMARY, period="month", horizon=4, time_unit="W")
        L = (365.25 / 12) / 7
        q = math.exp(-0.1 * L)
        assert base.rates == pytest.approx([q] * 4)
        lam = 1 + 2 + 4
        e1 = lam * (1 - q) / 0.1
        assert base.customers == 3 and base.revenue_per_customer == pytest.approx(e1 / q * 25.0 / 3)
        assert any("Purchase model: BG/NBD (maximum likelihood)" in n for n in base.notes)

    def test_a_model_without_dropout_has_no_base(self):
        from helpers.models import clv

        fit = clv.empirical_rates(self.SUMMARY, time_unit="W")
        with pytest.raises(DataError, match=r"empirical purchase rates .* has no dropout") as err:
            R.base_from_bgnbd(fit, None, self.SUMMARY, period="month", horizon=4, time_unit="W")
        assert err.value.rule == "no-dropout"


def test_closed_form_check_agrees_with_the_sum():
    base = R.RetentionBase(100.0, 50.0, [0.8, 0.7, 0.6], "quarter", "measured")
    r, by_sum, closed = R.closed_form_check(base, margin=0.3, discount_rate=0.1, horizon=3)
    assert r == 0.8 and by_sum == pytest.approx(closed)
    d = (1.1) ** (-np.arange(1, 4) / 4)
    assert closed == pytest.approx(0.3 * 100 * 50 * (0.8 ** np.arange(1, 4) * d).sum())


def test_new_customer_clv_per_group_or_cohort(duck):
    from helpers.io.engine import table
    from tests.fixtures import make_lines

    rows = [(i, f"I{i}", ts, c, "P1", 1, 10.0) for i, (ts, c) in enumerate(
        [("2024-01-05", "A"), ("2024-04-05", "A"), ("2024-01-10", "B"), ("2024-04-10", "C")])]
    df = make_lines(rows).assign(channel=["web", "web", "shop", "web"])
    lines = table(duck, df)
    kw = dict(period="quarter", analysis_date=dt.date(2024, 6, 30), margin=0.5, discount_rate=0.0, horizon=2)
    by_cohort, label = R.new_customer_clv(lines, by="channel", available=False, **kw)
    assert label == "cohort" and by_cohort["customers"].sum() == 3
    by_channel, label = R.new_customer_clv(lines, by="channel", available=True, **kw)
    assert label == "group" and sorted(by_channel["group"]) == ["shop", "web"]
    assert by_channel.set_index("group").loc["web", "customers"] == 2
