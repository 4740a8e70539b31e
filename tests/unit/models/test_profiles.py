"""Tests of helpers.models.profiles: cross-tab tests and residuals by hand, profile lines, regional table,
and purchase-rate factors recovered from a simulated BG/NBD population with planted income multipliers."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import i18n
from helpers.errors import DataError
from helpers.models import profiles as pr
from helpers.phrase import Phrase


def _labels(counts: dict[tuple[str, str], int]) -> tuple[pd.Series, pd.Series]:
    g, a = [], []
    for (gv, av), n in counts.items():
        g += [gv] * n
        a += [av] * n
    return pd.Series(g, name="segment"), pd.Series(a, name="income_band")


class TestCheckAttributes:
    def test_missing_id(self):
        with pytest.raises(DataError, match=r"column 'customer_id'.*\[rule: missing-column\]"):
            pr.check_attributes(pd.DataFrame({"region": ["a"]}))

    def test_duplicates_are_counted(self):
        with pytest.raises(DataError, match=r"2 customer ids appear more than once.*unique-customer"):
            pr.check_attributes(pd.DataFrame({"customer_id": [1, 1, 2, 2, 3]}))

    def test_profile_columns(self):
        df = pd.DataFrame({"customer_id": list("abcdef"), "income_band": list("lmhlmh"), "note": list("uvwxyz"),
                           "region": list("nnssnn"), "churned": [True, False] * 3, "flag": ["x"] * 6})
        # standard ones first; free text (6 values of 6 rows is fine: <= 12) kept; constant and labels left out
        assert pr.profile_columns(df)[:2] == ["region", "income_band"]
        assert "churned" not in pr.profile_columns(df) and "flag" not in pr.profile_columns(df)


class TestLevels:
    def test_integer_floats_and_many_values(self):
        assert pr.as_levels(pd.Series([1.0, 2.0, np.nan])).tolist() == ["1", "2", "(missing)"]
        banded = pr.as_levels(pd.Series(np.arange(100, dtype=float)))
        assert banded.nunique() == 4 and (banded.value_counts() == 25).all()


class TestCrossTab:
    def test_adjusted_residuals_by_hand(self):
        counts = pd.DataFrame([[10, 20], [30, 40]], index=["A", "B"], columns=["high", "low"])
        z = pr.adjusted_residuals(counts)
        # E(A, high) = 30 x 40 / 100 = 12; (10 - 12) / sqrt(12 x 0.7 x 0.6)
        assert z.loc["A", "high"] == pytest.approx(-2 / math.sqrt(12 * 0.7 * 0.6))
        # in a 2 x 2 table every adjusted residual is +-sqrt(chi-square)
        chi2 = stats.chi2_contingency(counts.to_numpy(), correction=False)[0]
        assert np.abs(z.to_numpy()) == pytest.approx(np.full((2, 2), math.sqrt(chi2)))

    def test_pearson_with_marked_cells(self):
        g, a = _labels({("A", "high"): 60, ("A", "low"): 40, ("B", "high"): 20, ("B", "low"): 80,
                        ("C", "high"): 20, ("C", "low"): 80})
        tab = pr.crosstab_test(g, a)
        chi2, p, dof, _ = stats.chi2_contingency(tab.counts.to_numpy(), correction=False)
        assert tab.test == "Pearson chi-square" and tab.statistic == pytest.approx(chi2) and tab.p_value == pytest.approx(p)
        assert tab.dof == dof == 2
        assert tab.significant.loc["A", "high"] and tab.residuals.loc["A", "high"] > 0
        assert not tab.significant.loc["B", "high"] or tab.residuals.loc["B", "high"] < 0
        assert tab.cramers_v == pytest.approx(math.sqrt(chi2 / 300))
        shares = pr.marked_shares(tab)
        assert shares.loc["A", "high"] == "60% ▲" and shares.loc["A", "customers"] == "100"
        line = pr.profile_lines([tab])
        assert i18n.say(line["A"], "en").startswith("more income_band high (60 % vs 33 %)")
        assert i18n.say(line["A"], "tr").startswith("daha çok income_band high (%60, tüm müşterilerde %33)")

    def test_fisher_for_a_small_two_by_two(self):
        g, a = _labels({("A", "high"): 5, ("A", "low"): 1, ("B", "high"): 1, ("B", "low"): 6})
        tab = pr.crosstab_test(g, a)
        assert tab.test == "Fisher's exact test"
        assert tab.p_value == pytest.approx(stats.fisher_exact([[5, 1], [1, 6]])[1])

    def test_monte_carlo_for_a_sparse_table(self):
        rng = np.random.default_rng(1)
        g = pd.Series(rng.choice(list("ABCDE"), 40), name="segment")
        a = pd.Series(rng.choice(["x", "y", "z", "w"], 40), name="region")
        tab = pr.crosstab_test(g, a, n_permutations=500, random_state=0)
        assert tab.test.startswith("chi-square, Monte Carlo p")
        assert 0.05 < tab.p_value <= 1.0                      # independent by construction
        assert not tab.significant.to_numpy().any()
        # the permutation p-value is close to the asymptotic one when both are computed on the same table
        asym = stats.chi2_contingency(tab.counts.to_numpy(), correction=False)[1]
        assert abs(tab.p_value - asym) < 0.2

    def test_no_difference_reads_like_the_base(self):
        g, a = _labels({("A", "high"): 50, ("A", "low"): 50, ("B", "high"): 50, ("B", "low"): 50})
        tab = pr.crosstab_test(g, a)
        assert tab.p_value == pytest.approx(1.0) and pr.profile_lines([tab]).tolist() == [Phrase("prf_like_base")] * 2


class TestHolm:
    def test_holm_by_hand(self):
        # sorted 0.01, 0.02, 0.04 (m = 3): 0.03, 0.04, 0.04 after the running maximum; NaN stays NaN
        out = pr.holm([0.04, 0.01, np.nan, 0.02])
        assert out[[1, 3, 0]] == pytest.approx([0.03, 0.04, 0.04]) and np.isnan(out[2])

    def test_summary_has_adjusted_p(self):
        g, a = _labels({("A", "high"): 60, ("A", "low"): 40, ("B", "high"): 20, ("B", "low"): 80})
        tabs = [pr.crosstab_test(g, a), pr.crosstab_test(g, a.rename("other"))]
        s = pr.test_summary(tabs)
        assert s["p_holm"].tolist() == pytest.approx([min(1, 2 * s["p_value"].iloc[0])] * 2)


class TestRegions:
    def test_region_table_by_hand(self):
        t = pd.DataFrame({"customer_id": list("abcde"), "region": ["N", "N", "S", "N", None],
                          "frequency": [1, 3, 2, 1, 1], "monetary": [10.0, 30.0, 60.0, 20.0, 5.0],
                          "clv": [1.0, 2.0, 3.0, 4.0, 5.0]})
        r = pr.region_table(t, value="clv").set_index("region")
        assert r.loc["N", "customers"] == 3 and r.loc["N", "revenue"] == 60.0
        assert r.loc["N", "share_customers"] == pytest.approx(0.6) and r.loc["S", "share_revenue"] == pytest.approx(60 / 125)
        assert r.loc["N", "repeat_rate"] == pytest.approx(1 / 3) and r.loc["(missing)", "mean_clv"] == 5.0
        kw = pr.kruskal_by(t["monetary"], t["region"])
        assert kw["p_value"] == pytest.approx(stats.kruskal([10, 30, 20], [60], [5]).pvalue)


class TestTruth:
    def test_reads_the_synthetic_generators_format(self):
        truth = {"demographics": {"income_bands": ["low", "middle", "high"],
                                  "income_shares": {"low": 0.3, "middle": 0.5, "high": 0.2},
                                  "income_factor": {"low": 0.8, "middle": 1.0, "high": 1.3}}}
        assert pr.true_factors(truth) == {"low": 0.8, "middle": 1.0, "high": 1.3}
        assert pr.true_factors(None) is None and pr.true_factors({"params": {}}) is None

    def test_truth_check_arithmetic(self):
        rates = pd.DataFrame({"level": ["middle", "low", "high"], "rate_ratio": [1.0, 0.7, 1.3],
                              "se_log_ratio": [0.0, 0.04, 0.1]})
        rates.attrs["reference"] = "middle"
        c = pr.truth_check(rates, {"low": 0.8, "middle": 1.0, "high": 1.3}).set_index("level")
        assert c.loc["low", "z_score"] == pytest.approx(math.log(0.7 / 0.8) / 0.04)  # -3.34: outside 3 SE
        assert not c.loc["low", "within"] and c.loc["high", "within"] and c.loc["middle", "within"]


def _simulate_bgnbd(factors: dict[str, float], n: int, rng, r=1.0, alpha=5.0, a=1.0, b=4.0):
    """BG/NBD customers (time unit: weeks) whose rate lambda ~ Gamma(r, alpha) is multiplied by the
    factor of their income band; dropout after each repeat purchase with p ~ Beta(a, b)."""
    rows = []
    bands = list(factors)
    for i in range(n):
        band = bands[i % len(bands)]
        lam = rng.gamma(r, 1 / alpha) * factors[band]
        p = rng.beta(a, b)
        T = rng.uniform(52, 104)
        t, x, tx = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1 / lam)
            if t > T:
                break
            x, tx = x + 1, t
            if rng.random() < p:
                break
        rows.append((f"c{i}", x, tx, T, band))
    return pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "income_band"])


@pytest.mark.slow
class TestPurchaseRates:
    FACTORS = {"low": 0.8, "middle": 1.0, "high": 1.3}

    def test_per_level_fits_recover_planted_factors(self):
        df = _simulate_bgnbd(self.FACTORS, 4500, np.random.default_rng(7))
        rates = pr.rate_by_group(df, df["income_band"], reference="middle")
        check = pr.truth_check(rates, self.FACTORS, z=3.0)
        assert check["within"].notna().all() and check["within"].all(), check
        # and the standard errors are honest in size: 1,500 customers per band give about 0.05-0.1 on log scale
        se = rates.set_index("level")["se_log_ratio"]
        assert 0.02 < se["low"] < 0.15 and 0.02 < se["high"] < 0.15
        # dropout is the same in every band by construction: within 0.05 of a / (a + b) = 0.2
        assert (rates["dropout"] - 0.2).abs().max() < 0.05

    def test_a_level_too_small_to_fit_says_which_step_and_is_not_compared(self):
        """A level with 6 customers (too few repeat customers for any fitted model) gets empirical rates, labelled
        with the reason; its rate is not divided by the reference's BG/NBD rate (different models do not compare)."""
        df = _simulate_bgnbd({"low": 0.8, "middle": 1.0}, 1200, np.random.default_rng(9))
        tiny = df.head(6).assign(customer_id=[f"t{i}" for i in range(6)], income_band="tiny")
        df = pd.concat([df, tiny], ignore_index=True)
        rates = pr.rate_by_group(df, df["income_band"], reference="middle").set_index("level")
        assert rates.loc["middle", "step"] == "bgnbd_ml" and rates.loc["tiny", "step"] == "empirical_rate"
        assert "needs at least 10 repeat customers" in i18n.say(rates.loc["tiny", "note"], "en")
        assert np.isnan(rates.loc["tiny", "rate_ratio"]) and np.isnan(rates.loc["tiny", "dropout"])
        assert rates.loc["tiny", "purchase_rate"] == pytest.approx(tiny["frequency"].sum() / tiny["T"].sum())
        assert np.isfinite(rates.loc["low", "rate_ratio"])

    def test_covariate_model_recovers_planted_factors(self):
        df = _simulate_bgnbd(self.FACTORS, 4500, np.random.default_rng(8))
        cov = pr.covariate_fit(df, df["income_band"], reference="middle", dropout=False).set_index("level")
        # about 3 standard errors of log ratio (~0.06 here) on either side
        for band, f in self.FACTORS.items():
            assert abs(math.log(cov.loc[band, "purchase_multiplier"] / f)) < 0.2
        # with dropout covariates too: the dropout is the same in every band, so its coefficients stay near 0
        both = pr.covariate_fit(df, df["income_band"], reference="middle").set_index("level")
        for band, f in self.FACTORS.items():
            assert abs(math.log(both.loc[band, "purchase_multiplier"] / f)) < 0.2
            assert abs(both.loc[band, "dropout_coefficient"]) < 0.5
        assert both.attrs["reference"] == "middle" and both.loc["middle", "dropout_coefficient"] == 0.0

    def test_covariate_derivatives_against_finite_differences(self):
        from helpers.models.clv.mle import BtydHistories
        from tests.unit.models.clv.test_mle import numeric_derivatives

        df = _simulate_bgnbd(self.FACTORS, 300, np.random.default_rng(2))
        parts = [BtydHistories.from_arrays(*(g[c] for c in ("frequency", "recency", "T")))
                 for _, g in df.groupby("income_band")]
        theta = np.array([0.1, 1.5, -0.2, 1.2, 0.3, -0.2, 0.1, 0.2, -0.1, 0.05])
        ll, grad, hess = pr.covariate_derivatives(theta, parts, True, True)
        g, _ = numeric_derivatives(lambda th: pr.covariate_derivatives(th, parts, True)[0], theta)
        assert np.allclose(grad, g, rtol=1e-6, atol=1e-6)
        # the Hessian against central differences of the (checked) analytic gradient
        step = 1e-6
        h = np.array([(pr.covariate_derivatives(theta + step * e, parts, True)[1]
                       - pr.covariate_derivatives(theta - step * e, parts, True)[1]) / (2 * step) for e in np.eye(10)])
        assert np.allclose(hess, h, rtol=1e-5, atol=1e-4)

    def test_no_repeat_buyer_is_a_reason_not_a_multiplier(self):
        """Nobody bought twice: the likelihood keeps rising as r and alpha grow, so there is no estimate; the
        caller gets the reason (named parameter), not a table of multipliers."""
        df = pd.DataFrame({"customer_id": [str(i) for i in range(40)], "frequency": 0.0, "recency": 0.0,
                           "T": np.linspace(5, 50, 40)})
        cov, why = pr.try_covariate_fit(df, pd.Series(["a", "b"] * 20))
        assert cov is None
        assert why.startswith("ModelFitError: the BG/NBD with covariates fit did not converge: parameter ")
        assert "edge of its range" in why

    def test_one_level_is_the_plain_bgnbd_maximum_likelihood(self):
        """No other level, no coefficient: the fit is BG/NBD's maximum likelihood (helpers.models.clv.mle)."""
        from helpers.models.clv.estimation import start_values
        from helpers.models.clv.mle import BtydHistories, fit_bgnbd, maximise

        df = _simulate_bgnbd({"middle": 1.0}, 800, np.random.default_rng(4))
        plain = fit_bgnbd(df["frequency"], df["recency"], df["T"], start_values("bgnbd", df))
        parts = [BtydHistories.from_arrays(df["frequency"], df["recency"], df["T"])]
        one = maximise(lambda th, h: pr.covariate_derivatives(th, parts, True, h), np.zeros(4),
                       ("r", "alpha", "a", "b"))
        for k in ("r", "alpha", "a", "b"):
            assert one.values[k] == pytest.approx(plain.values[k], rel=1e-6)


def test_monte_carlo_test_on_a_table_of_more_than_127_cells():
    """12 groups x 27 regions, sparse: the permutation test indexes 324 cells without overflowing."""
    rng = np.random.default_rng(3)
    group = pd.Series(rng.integers(0, 12, 400).astype(str), name="segment")
    region = pd.Series(rng.integers(0, 27, 400).astype(str), name="region")
    ct = pr.crosstab_test(group, region, n_permutations=200)
    assert ct.counts.shape == (12, 27) and "Monte Carlo" in ct.test
    assert 0 < ct.p_value <= 1 and ct.p_value > 0.01          # independent by construction


def _rates():
    rates = pd.DataFrame({"level": ["low", "middle", "high"], "rate_ratio": [0.8, 1.0, 1.3], "se_log_ratio": [0.1, 0.0, 0.1]})
    rates.attrs["reference"] = "middle"
    return rates


def test_truth_table_adds_the_realised_ratio_and_the_covariate_multiplier():
    truth = {"demographics": {"realised_mean_lambda_ratio": {"low": 0.4, "middle": 0.5, "high": 0.7}}}
    cov = pd.DataFrame({"level": ["low", "high"], "purchase_multiplier": [0.75, 1.25]})
    check = pr.truth_table(_rates(), {"low": 0.8, "middle": 1.0, "high": 1.3}, truth, cov).set_index("level")
    assert check.loc["high", "realised_ratio"] == pytest.approx(1.4) and check.loc["low", "realised_ratio"] == pytest.approx(0.8)
    assert check.loc["high", "covariate_multiplier"] == 1.25 and np.isnan(check.loc["middle", "covariate_multiplier"])
    plain = pr.truth_table(_rates(), {"low": 0.8, "middle": 1.0, "high": 1.3}, {"demographics": {}}, None)
    assert "realised_ratio" not in plain and "covariate_multiplier" not in plain


def test_rate_inputs_lines_by_group_and_a_failed_covariate_fit():
    btyd = pd.DataFrame({"customer_id": [1, 2, 3], "frequency": [0, 1, 2]})
    attrs = pd.DataFrame({"customer_id": pd.array(["1", "2", "3"], dtype="string"), "income_band": ["low", "high", "low"]})
    merged, level, ref = pr.rate_inputs(btyd, attrs, "income_band", "middle")
    assert merged["income_band"].tolist() == ["low", "high", "low"] and ref is None     # no 'middle' level
    assert pr.rate_inputs(btyd, attrs, "income_band", "high")[2] == "high"
    cov, error = pr.try_covariate_fit(btyd.iloc[:0], level.iloc[:0])
    assert cov is None and ":" in error
    g, a = _labels({("A", "x"): 30, ("A", "y"): 5, ("B", "x"): 5, ("B", "y"): 30})
    tab = pr.crosstab_test(g.rename("rfm_segment"), a.rename("attr"))
    by_group = pr.lines_by_group([tab], ["rfm_segment"])
    assert list(by_group) == ["rfm_segment"] and by_group["rfm_segment"].equals(pr.profile_lines([tab]))
