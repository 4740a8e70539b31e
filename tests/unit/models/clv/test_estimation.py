"""Tests for helpers.models.clv.estimation: the convergence checks, the parameter table, the starting
point and the fast path's checks, by hand (no fitting)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from helpers.models.clv import estimation
from helpers.models.clv.mle import MleFit
from helpers.models.clv.results import ModelFitError
from tests.unit.models.clv.stubs import TEN

NAMES = ("r", "alpha")
INTERIOR = {"r": 0.5, "alpha": 4.0}


def posterior(**draws) -> SimpleNamespace:
    """A stand-in for a fitted pymc-marketing model: ``idata.posterior[name].values`` (chain, draw)."""
    post = {k: SimpleNamespace(values=np.asarray(v, dtype=float).reshape(1, -1)) for k, v in draws.items()}
    return SimpleNamespace(idata=SimpleNamespace(posterior=post))


class TestMapConvergence:
    def test_interior_maximum(self):
        assert estimation.map_convergence(NAMES, INTERIOR, np.zeros(2), np.eye(2), 10, -5.0) is None

    def test_reasons_in_order(self):
        code, fields, _ = estimation.map_convergence(NAMES, {"r": 0.5, "alpha": 1e-9}, None, None, 10)
        assert code == "param_edge" and fields == {"param": "alpha", "value": 1e-9}
        assert estimation.map_convergence(NAMES, INTERIOR, None, None, 10, math.inf)[0] == "loglik"
        assert estimation.map_convergence(NAMES, INTERIOR, None, np.diag([1.0, -1.0]), 10)[0] == "not_max"
        assert estimation.map_convergence(NAMES, INTERIOR, None, np.diag([1.0, 1e-13]), 10)[0] == "singular"

    def test_stopped_short_by_the_newton_decrement(self):
        # g' H^-1 g = 0.1^2 / 1 = 0.01 > 1e-3: the log-likelihood is still 0.005 below its maximum
        code, fields, _ = estimation.map_convergence(NAMES, INTERIOR, np.array([0.1, 0.0]), np.eye(2), 10)
        assert code == "stopped_short" and fields["gap"] == pytest.approx(0.005)
        assert estimation.map_convergence(NAMES, INTERIOR, np.array([0.01, 0.0]), np.eye(2), 10) is None


class TestParamsTable:
    def test_map_wald_interval_in_log_space(self):
        # information 4 in log r: se of log r = 0.5, se of r = r * 0.5 = 1
        t = estimation.params_table(posterior(r=[2.0]), ("r",), method="map", info=np.array([[4.0]]))
        z = estimation.z_value(0.9)
        assert z == pytest.approx(1.644854, abs=1e-6)
        row = t.loc["r"]
        assert (row["estimate"], row["se"]) == (2.0, 1.0)
        assert row["low"] == pytest.approx(2 * math.exp(-0.5 * z)) and row["high"] == pytest.approx(2 * math.exp(0.5 * z))

    def test_map_without_information_has_no_interval(self):
        t = estimation.params_table(posterior(r=[2.0]), ("r",), method="map", info=None)
        assert t.loc["r", "estimate"] == 2.0 and t.loc[["r"], ["se", "low", "high"]].isna().all(axis=None)

    def test_mcmc_posterior_mean_and_quantiles(self):
        draws = np.arange(1.0, 102.0)                      # 1 .. 101
        t = estimation.params_table(posterior(r=draws), ("r",), method="mcmc", info=None)
        assert t.loc["r", "estimate"] == 51.0 and t.loc["r", "se"] == pytest.approx(draws.std(ddof=1))
        assert (t.loc["r", "low"], t.loc["r", "high"]) == (pytest.approx(6.0), pytest.approx(96.0))   # 5 % and 95 %

    def test_inverse(self):
        assert estimation.inverse(None) is None and estimation.inverse(np.zeros((2, 2))) is None
        assert np.allclose(estimation.inverse(np.diag([2.0, 4.0])), np.diag([0.5, 0.25]))


class TestStartValues:
    def test_on_the_data_scale(self):
        # TEN: 18 repeat purchases over 230 time units observed; mean T 23
        assert estimation.start_values("bgnbd", TEN) == {"r": 1.0, "alpha": pytest.approx(230 / 18), "a": 1.0, "b": 1.0}
        assert estimation.start_values("pareto_nbd", TEN) == {"r": 1.0, "alpha": pytest.approx(230 / 18), "s": 1.0,
                                                              "beta": pytest.approx(23.0)}


class TestFitMleChecked:
    """The fast path's checks happen before any pymc-marketing model is built."""

    @staticmethod
    def make():
        raise AssertionError("no model is built for a fit that failed its checks")

    def test_runaway_parameter(self):
        res = MleFit({"r": 0.5, "alpha": 3e7}, -10.0, np.zeros(2), np.eye(2), 5)
        with pytest.raises(ModelFitError) as err:
            estimation.fit_mle_checked(lambda: res, self.make, TEN, NAMES, checks=True, label="BG/NBD",
                                       hint="Try more data.")
        assert err.value.why == "param_edge" and err.value.fields == {"param": "alpha", "value": 3e7}
        assert str(err.value) == ("the BG/NBD fit did not converge: parameter alpha went to 3e+07, the edge of its "
                                  "range (the likelihood keeps rising towards a limit, so there is no finite "
                                  "estimate). Try more data.")

    def test_stopped_short_and_numerical_failure(self):
        res = MleFit(INTERIOR, -10.0, np.array([0.1, 0.0]), np.eye(2), 5)
        with pytest.raises(ModelFitError) as err:
            estimation.fit_mle_checked(lambda: res, self.make, TEN, NAMES, checks=True, label="Gamma-Gamma", hint="")
        assert err.value.why == "stopped_short"

        def broken():
            raise np.linalg.LinAlgError("singular matrix")

        with pytest.raises(ModelFitError, match=r"the Gamma-Gamma fit failed on this data \(LinAlgError: singular"):
            estimation.fit_mle_checked(broken, self.make, TEN, NAMES, checks=True, label="Gamma-Gamma", hint="")
