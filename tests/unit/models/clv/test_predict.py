"""Tests for helpers.models.clv.predict: the arithmetic of the per-customer predictions with a stub model,
and (slow) the same predictions in days, weeks and months and from an MCMC fit, in chunks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.config import SyntheticConfig
from helpers.features import customers
from helpers.io import engine, synth
from helpers.models import clv
from helpers.models.clv import predict as clv_predict
from tests.unit.models.clv.stubs import TEN, stub_purchase, stub_spend


class TestPAlive:
    def test_series_indexed_by_customer(self):
        pa = clv.p_alive(stub_purchase(), TEN)
        assert pa.name == "p_alive" and list(pa.index) == list(TEN["customer_id"])
        assert pa["A"] == 1.0 and pa["G"] == pytest.approx(1 / 6)   # 1 / (1 + frequency)

    def test_chunks_give_the_same_answer(self, monkeypatch):
        whole = clv.p_alive(stub_purchase(), TEN)
        monkeypatch.setattr(clv_predict, "CHUNK_ELEMENTS", 3)
        assert clv.p_alive(stub_purchase(), TEN).equals(whole)


class TestExpectedPurchases:
    def test_scalar_and_per_customer_horizon(self):
        e = clv.expected_purchases(stub_purchase(), TEN, 10.0)
        assert e["A"] == pytest.approx(1.0) and e["G"] == pytest.approx(6.0)   # 0.1 * (x + 1) * 10
        t = np.arange(10, dtype=float)                                        # customer A gets t = 0
        e2 = clv.expected_purchases(stub_purchase(), TEN, t)
        assert e2["A"] == 0.0 and e2["B"] == pytest.approx(0.1)


class TestExpectedSpend:
    def test_values(self):
        s = clv.expected_spend(stub_spend(), TEN)
        assert s["F"] == 50.0 and s["A"] == 10.0


class TestCustomerValue:
    def test_by_hand_without_discount(self):
        # months: unit "M", so month k ends at t = k; stub E[X(t)] = 0.1 (x+1) t: 0.1 (x+1) per month
        v = clv.customer_value(stub_purchase("M"), stub_spend(), TEN, horizon_months=3, discount_rate=0.0,
                               margin=0.5).set_index("customer_id")
        # customer G: x = 5 -> 0.6 purchases a month, 1.8 in 3 months; spend 12 + 10 = 22
        assert v.loc["G", "expected_purchases"] == pytest.approx(1.8)
        assert v.loc["G", "expected_spend"] == pytest.approx(22.0)
        assert v.loc["G", "clv"] == pytest.approx(0.5 * 22 * 1.8)
        assert v.loc["G", "p_alive"] == pytest.approx(1 / 6)
        assert v["clv_low"].isna().all()          # MAP: no intervals
        assert v.attrs["time_unit"] == "M" and v.attrs["horizon_months"] == 3

    def test_discounting_by_hand(self):
        # 10 % a year: month k is divided by 1.1 ** (k / 12); customer A: 0.1 purchases a month, spend 10
        v = clv.customer_value(stub_purchase("M"), stub_spend(), TEN, horizon_months=2, discount_rate=0.10,
                               margin=1.0).set_index("customer_id")
        expected = 10 * 0.1 * (1.1 ** (-1 / 12) + 1.1 ** (-2 / 12))
        assert v.loc["A", "clv"] == pytest.approx(expected, rel=1e-12)

    def test_month_length_in_weeks(self):
        # a month is 365.25 / 12 / 7 = 4.348 weeks, so one month of the stub = 0.1 (x+1) * 4.348
        v = clv.customer_value(stub_purchase("W"), stub_spend(), TEN, horizon_months=1, discount_rate=0.0)
        assert v.set_index("customer_id").loc["A", "expected_purchases"] == pytest.approx(0.1 * 365.25 / 12 / 7)

    def test_without_spend_model(self):
        v = clv.customer_value(stub_purchase(), None, TEN, horizon_months=1)
        assert v["clv"].isna().all() and v["expected_purchases"].notna().all()

    def test_chunked_equals_whole(self, monkeypatch):
        whole = clv.customer_value(stub_purchase(), stub_spend(), TEN, horizon_months=4)
        monkeypatch.setattr(clv_predict, "CHUNK_ELEMENTS", 4)
        pd.testing.assert_frame_equal(clv.customer_value(stub_purchase(), stub_spend(), TEN, horizon_months=4), whole)

    def test_errors(self):
        with pytest.raises(clv.ClvInputError, match="horizon_months = 0"):
            clv.customer_value(stub_purchase(), stub_spend(), TEN, horizon_months=0)
        with pytest.raises(clv.ClvInputError, match="discount_rate = -0.1"):
            clv.customer_value(stub_purchase(), stub_spend(), TEN, discount_rate=-0.1)
        with pytest.raises(clv.ClvInputError, match="margin = 1.5"):
            clv.customer_value(stub_purchase(), stub_spend(), TEN, margin=1.5)
        with pytest.raises(clv.ClvInputError, match="time_unit unknown"):
            clv.customer_value(stub_purchase(None), stub_spend(), TEN)


class TestFrequencyRecencyGrid:
    def test_shape_and_impossible_cells(self):
        g = clv.frequency_recency_grid(stub_purchase("W"), T=10.0, max_frequency=2, n_recency=3, future_t=2.0)
        assert len(g) == 9                                   # frequency 0..2 x recency 0, 5, 10
        zero = g[g["frequency"] == 0]
        assert zero.loc[zero["recency"] == 0, "p_alive"].item() == 1.0
        assert zero.loc[zero["recency"] > 0, "p_alive"].isna().all()
        row = g[(g["frequency"] == 2) & (g["recency"] == 5)]
        assert row["p_alive"].item() == pytest.approx(1 / 3)
        assert row["expected_purchases"].item() == pytest.approx(0.1 * 3 * 2)

    def test_error(self):
        with pytest.raises(clv.ClvInputError, match="T = 0"):
            clv.frequency_recency_grid(stub_purchase(), T=0, max_frequency=3)


@pytest.fixture(scope="module")
def synthetic_units(tmp_path_factory):
    """A 2,000-customer synthetic shop summarised in days, weeks and months (simple cleaning)."""
    out = synth.generate(SyntheticConfig(customers=2000, seed=5), tmp_path_factory.mktemp("clv") / "shop",
                         progress=False)
    lines = pd.read_parquet(out / "lines.parquet")
    keep = (lines["customer_id"].notna() & (lines["quantity"] > 0) & (lines["unit_price"] > 0)
            & ~lines["invoice"].str.startswith("C") & (lines["quantity"] < 1000))
    con = engine.connect()
    t = engine.table(con, lines[keep])
    end = pd.Timestamp(lines["invoice_ts"].max()).date()
    return {u: customers.btyd_summary(t, observation_end=end, time_unit=u).execute() for u in ("D", "W", "M")}


@pytest.mark.slow
class TestUnitsAgree:
    def test_days_and_weeks_give_the_same_predictions(self, synthetic_units):
        """Recency and T in days are exactly 7 x those in weeks, and the BG/NBD likelihood then only
        rescales alpha (alpha_D = 7 alpha_W); the search starts from equivalent points (the start
        is set on the data's time scale), so both fits reach the same maximum and give the same
        expected purchases, P(alive) and CLV over 12 months (a month is 30.4375 days = 4.348
        weeks in both). Tolerance 0.1 %: room for floating-point rounding to change the
        optimiser's path; a real unit error (a 30-day month, weekly buckets) is > 1 %."""
        fits = {u: clv.fit_models(synthetic_units[u], time_unit=u) for u in ("D", "W")}
        assert all(f.purchase.priors == "flat" and not f.notes for f in fits.values())
        d, w = fits["D"].purchase.values, fits["W"].purchase.values
        assert d["alpha"] == pytest.approx(7 * w["alpha"], rel=1e-3)
        for k in ("r", "a", "b"):
            assert d[k] == pytest.approx(w[k], rel=1e-3), k
        vals = {u: clv.customer_value(fits[u].purchase, fits[u].spend, synthetic_units[u], horizon_months=12,
                                      discount_rate=0.1, margin=0.3).set_index("customer_id") for u in ("D", "W")}
        for col in ("expected_purchases", "clv", "p_alive"):
            a, b = vals["D"][col], vals["W"][col].loc[vals["D"].index]
            assert np.allclose(a, b, rtol=1e-3, atol=1e-9), col
        assert vals["D"]["clv"].sum() == pytest.approx(vals["W"]["clv"].sum(), rel=1e-3)

    def test_clv_equals_pymc_marketing_in_months(self, synthetic_units):
        """In months pymc-marketing's own customer_lifetime_value uses a month of exactly one time
        unit, like ours, so the two must agree to rounding (monthly rate (1.1)^(1/12) - 1)."""
        s = synthetic_units["M"]
        fits = clv.fit_models(s, time_unit="M")
        ours = clv.customer_value(fits.purchase, fits.spend, s, horizon_months=6, discount_rate=0.10, margin=1.0)
        theirs = fits.spend.estimator.expected_customer_lifetime_value(
            transaction_model=fits.purchase.estimator, data=s[["customer_id", "frequency", "recency", "T",
                                                                "monetary_value"]].copy(),
            future_t=6, discount_rate=1.1 ** (1 / 12) - 1, time_unit="M")
        assert np.allclose(ours["clv"].to_numpy(), theirs.values.ravel(), rtol=1e-9)


@pytest.mark.slow
class TestMcmc:
    def test_intervals_and_chunks(self, synthetic_units, monkeypatch):
        """A short NUTS run (2 chains x 300 draws) on 2,000 customers: intervals bracket the mean,
        the MAP estimate lies inside each parameter's 90 % credible interval widened by half its
        width (MAP is the posterior mode under flat priors; these priors are weak at this size),
        and computing in many small chunks gives identical per-customer summaries."""
        s = synthetic_units["W"]
        fit = clv.fit_purchase_model(s, method="mcmc", time_unit="W", draws=300, tune=300, chains=2, cores=1)
        spend = clv.fit_spend_model(s, method="mcmc", draws=300, tune=300, chains=2, cores=1)
        assert fit.n_draws == 600 and fit.priors == "default"
        mle = clv.fit_purchase_model(s, time_unit="W").values
        for k, row in fit.params.iterrows():
            half = (row["high"] - row["low"]) / 2
            assert row["low"] - half < mle[k] < row["high"] + half, (k, mle[k], row.to_dict())
        sub = s.head(50)
        v = clv.customer_value(fit, spend, sub, horizon_months=3)
        for c in ("p_alive", "expected_purchases", "expected_spend", "clv"):
            assert (v[f"{c}_low"] <= v[c] + 1e-9).all() and (v[c] <= v[f"{c}_high"] + 1e-9).all(), c
        rep = v["frequency"] > 0
        assert (v.loc[rep, "clv_high"] > v.loc[rep, "clv_low"]).all()
        monkeypatch.setattr(clv_predict, "CHUNK_ELEMENTS", 600 * 2 * 7)     # 7 customers per chunk
        pd.testing.assert_frame_equal(clv.customer_value(fit, spend, sub, horizon_months=3), v)
