"""The sBG cohort model against known truths: Fader & Hardie's published estimates (monthly curves and the
yearly customer file through the notebook's own path), simulated alpha / beta, remaining value by hand, Telco."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import paths, pipeline
from helpers.models import contract_churn as cc
from tests.fixtures.contract_data import attributes_config


def _simulate_sbg(alpha, beta, n, max_obs, rng):
    """Customers with theta ~ Beta(alpha, beta), churn month ~ Geometric(theta), each seen for a random
    1..max_obs months (joined at different times): tenure = min(churn month, months seen)."""
    theta = rng.beta(alpha, beta, n)
    churn_month = rng.geometric(theta)
    seen = rng.integers(1, max_obs + 1, n)
    churned = churn_month <= seen
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "tenure": np.where(churned, churn_month, seen).astype(float), "churned": churned})

def _counts(cohort):
    """The distinct (recency, T) rows of a cohort table and their counts, as float arrays."""
    c = cohort.groupby(["recency", "T"]).size().reset_index(name="n")
    return tuple(c[k].to_numpy(float) for k in ("recency", "T", "n"))


class TestShiftedBetaGeometric:
    def test_cohort_table_is_the_papers_construction(self):
        curve = pd.DataFrame({"group": "g", "period": [0, 1, 2], "retention": [1.0, 0.6, 0.5], "customers": 10})
        c = cc.cohort_table(curve)
        assert len(c) == 10 and (c["T"] == 3).all()
        assert (c["recency"] == 1).sum() == 4 and (c["recency"] == 2).sum() == 1 and (c["recency"] == 3).sum() == 5

    @pytest.mark.slow
    def test_reproduces_fader_hardie_2007(self):
        fh = pd.DataFrame([{"group": k, "period": t, "retention": v / 100, "customers": 1000}
                           for k, s in cc.FADER_HARDIE_2007.items() for t, v in enumerate(s[:8])])
        fit = cc.fit_sbg(cc.cohort_table(fh))
        for name, (a, b) in cc.FADER_HARDIE_2007_ESTIMATES.items():
            fa, fb = fit.ab(name)
            # the paper prints three decimals
            assert fa == pytest.approx(a, abs=0.0015) and fb == pytest.approx(b, abs=0.0015)
        # the model projects years 8-12 (not fitted) within 2.5 points, as the paper's figure shows
        a, b = fit.ab("regular")
        proj = cc.sbg_retention(a, b, np.arange(8, 13)) * 100
        assert np.abs(proj - np.array(cc.FADER_HARDIE_2007["regular"][8:])).max() < 2.5

    @pytest.mark.slow
    def test_recovers_simulated_alpha_beta(self):
        rng = np.random.default_rng(3)
        df = _simulate_sbg(0.8, 2.5, 6000, 24, rng)
        fit = cc.fit_sbg(cc.cohort_table(cc.retention_curve(df, None, min_at_risk=30)))
        a, b = fit.ab("all customers")
        # mean churn alpha/(alpha+beta) = 0.242 is pinned by the first months; alpha and beta themselves
        # trade off along a ridge, so they get a looser (25 %) band than their ratio (5 %)
        assert a / (a + b) == pytest.approx(0.8 / 3.3, rel=0.05)
        assert a == pytest.approx(0.8, rel=0.25) and b == pytest.approx(2.5, rel=0.25)
        assert bool(fit.params["heterogeneous"].iloc[0])

    @pytest.mark.slow
    def test_remaining_value_matches_the_sum(self):
        rng = np.random.default_rng(5)
        df = _simulate_sbg(1.5, 6.0, 3000, 36, rng)
        df["monthly_charges"] = 50.0
        fit = cc.fit_sbg(cc.cohort_table(cc.retention_curve(df, None)))
        a, b = fit.ab("all customers")
        rem = cc.remaining_value(df, fit, yearly_discount_rate=0.10)
        assert len(rem) == int((~df["churned"]).sum())
        d = cc.period_rate(0.10, "month")
        assert d == pytest.approx(1.1 ** (1 / 12) - 1)
        for n in (1, 7, 20):
            row = rem[rem["tenure"] == n].iloc[0]
            assert row["expected_remaining_tenure"] == pytest.approx(cc.derl_by_hand(a, b, n, d), rel=1e-6)
            assert row["expected_remaining_value"] == pytest.approx(50 * row["expected_remaining_tenure"])
            assert row["sbg_churn_risk"] == pytest.approx(a / (a + b + n))
        # longer tenure -> the customer has shown a low churn propensity -> more months left
        by_n = rem.groupby("tenure")["expected_remaining_tenure"].first()
        assert by_n.is_monotonic_increasing

    def test_homogeneous_limit_is_geometric(self):
        fit = cc.SbgFit({"g": None}, pd.DataFrame({"cohort": ["g"], "alpha": [1e6], "beta": [9e6], "mean_churn": [0.1],
                                                   "heterogeneous": [False], "log_likelihood": [0.0],
                                                   "customers": [10]}))
        df = pd.DataFrame({"customer_id": ["x"], "tenure": [5.0], "churned": [False], "cohort": ["g"]})
        rem = cc.remaining_value(df, fit, group="cohort", yearly_discount_rate=0.0)
        # constant renewal q = 0.9, no discount: sum_{k>=0} 0.9^(k+1) = 9 months
        assert rem["expected_remaining_tenure"].iloc[0] == pytest.approx(9.0)
        assert cc.derl_by_hand(1e6, 9e6, 5, 0.0, terms=2000) == pytest.approx(9.0, rel=1e-3)

    def test_derivatives_match_finite_differences_and_the_likelihood(self):
        from helpers.models.contract_churn.sbg import sbg_derivatives

        curve = pd.DataFrame({"group": "g", "period": range(6), "retention": [1.0, 0.7, 0.55, 0.47, 0.41, 0.37],
                              "customers": 500})
        counts = _counts(cc.cohort_table(curve))
        theta = np.log([0.9, 1.7])
        ll, g, H = sbg_derivatives(theta, *counts, hessian=True)
        assert ll == pytest.approx(cc.sbg_loglik(0.9, 1.7, cc.cohort_table(curve)), rel=1e-12)
        h = 1e-6
        for i in range(2):
            e = np.zeros(2)
            e[i] = h
            (lp, gp), (lm, gm) = sbg_derivatives(theta + e, *counts), sbg_derivatives(theta - e, *counts)
            assert g[i] == pytest.approx((lp - lm) / (2 * h), rel=1e-6)
            np.testing.assert_allclose(H[i], (gp - gm) / (2 * h), rtol=1e-6)

    def test_the_maximum_has_a_vanishing_gradient_and_the_papers_likelihood(self):
        from helpers.models.contract_churn.sbg import sbg_derivatives

        fh = pd.DataFrame([{"group": "regular", "period": t, "retention": v / 100, "customers": 1000}
                           for t, v in enumerate(cc.FADER_HARDIE_2007["regular"][:8])])
        part = cc.cohort_table(fh)
        a, b = cc.sbg_mle(part)
        ll, g, H = sbg_derivatives(np.log([a, b]), *_counts(part), hessian=True)
        assert np.abs(g).max() < 1e-6 and np.all(np.linalg.eigvalsh(-H) > 0)
        # a nearby point of the paper's printed estimates is no better
        assert ll >= cc.sbg_loglik(0.704, 1.182, part)

    def test_geometric_data_reach_the_homogeneous_limit(self):
        """Every customer churns with the same probability 0.2 a month: the likelihood rises towards the geometric
        limit, the fit says so (heterogeneous False) and its mean churn is the planted rate."""
        rng = np.random.default_rng(1)
        churn, seen = rng.geometric(0.2, 3000), rng.integers(1, 25, 3000)
        df = pd.DataFrame({"customer_id": np.arange(3000), "tenure": np.minimum(churn, seen).astype(float),
                           "churned": churn <= seen})
        par = cc.fit_sbg(cc.cohort_table(cc.retention_curve(df, None, min_at_risk=30))).params.iloc[0]
        assert not par["heterogeneous"] and par["alpha"] + par["beta"] > cc.HOMOGENEOUS
        # 3,000 customers: the monthly rate's standard error is about 0.005
        assert par["mean_churn"] == pytest.approx(0.2, abs=0.015)


@pytest.mark.shared_data
@pytest.mark.slow
class TestTelco:
    def test_telco_end_to_end(self, shared_data):
        raw = pd.read_csv(shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
        df = cc.contract_table(raw.rename(columns={"customerID": "customer_id", "Contract": "contract",
                                                   "Churn": "churned", "MonthlyCharges": "monthly_charges",
                                                   "TotalCharges": "total_charges"}))
        assert len(df) == 7043 and df["churned"].mean() == pytest.approx(1869 / 7043)
        horizons, _ = cc.km_horizons(df["tenure"], "month")
        assert horizons == [24, 48, 72]                  # tenure runs 0 .. 72 months
        _, summary = cc.km_table(df, "contract", at=horizons)
        assert summary.attrs["logrank"]["p_value"] < 1e-10
        s = summary.set_index("group")
        assert s.loc["Month-to-month", "retained_at_24"] < s.loc["One year", "retained_at_24"] \
            < s.loc["Two year", "retained_at_24"]
        curve = cc.retention_curve(df, "contract")
        fit = cc.fit_sbg(cc.cohort_table(curve[curve["group"] == "Month-to-month"]))
        a, b = fit.ab("Month-to-month")
        part = cc.cohort_table(curve[curve["group"] == "Month-to-month"])
        best = cc.sbg_loglik(a, b, part)
        # the pymc-marketing MAP is a maximum: 5 % steps along either axis or the ridge do not improve it
        for fa, fb in ((1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05), (0.95, 0.95)):
            assert cc.sbg_loglik(a * fa, b * fb, part) <= best + 1e-6

#: Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1), table 1:
#: of 1,000 customers who started in year 0, those still renewing at the end of years 1-7, and the
#: maximum likelihood estimates the paper reports from these seven years.
FH_ALIVE = {"Regular": [631, 468, 382, 326, 289, 262, 241], "High end": [869, 743, 653, 593, 551, 517, 491]}

FH_PAPER = {"Regular": (0.704, 1.182), "High end": (0.668, 3.806)}

def _fh_customer_file(path):
    """The paper's cohorts as a user would export them: one row per customer, tenure in years, a churn flag.
    Those lost between the ends of years t - 1 and t stayed t years and churned; the survivors are censored at 7."""
    rows = []
    for plan, alive in FH_ALIVE.items():
        before = 1000
        for year, n in enumerate(alive, start=1):
            rows += [(year, "Yes", plan)] * (before - n)
            before = n
        rows += [(7, "No", plan)] * before
    df = pd.DataFrame(rows, columns=["Tenure (years)", "Churned", "Plan"])
    df.insert(0, "Customer", [f"K{i:05d}" for i in range(len(df))])
    df["Monthly fee"] = 10.0
    df.to_csv(path, index=False)
    return df

def _sbg_survival(alpha, beta, t):
    """S(t) = prod over i = 1..t of the retention rates (beta + i - 1) / (alpha + beta + i - 1) (Fader & Hardie 2007, eq. 7)."""
    return float(np.prod([(beta + i - 1) / (alpha + beta + i - 1) for i in range(1, t + 1)]))

@pytest.mark.slow
class TestFaderHardieYearly:
    """The paper's yearly data through the notebook's own path: config (tenure_unit: year) -> prepared table ->
    contract_table -> Kaplan-Meier -> retention_curve -> cohort_table -> fit_sbg -> remaining_value."""

    @pytest.fixture(scope="class")
    def run(self, tmp_path_factory):
        folder = tmp_path_factory.mktemp("fh")
        mp = pytest.MonkeyPatch()
        mp.setattr(paths, "PROCESSED", folder / "processed")
        mp.setattr(paths, "INTERIM", folder / "interim")
        try:
            raw = _fh_customer_file(folder / "plans.csv")
            cfg = attributes_config(folder / "plans.csv", tenure_unit="year",
                                     columns={"customer_id": "Customer", "tenure": "Tenure (years)",
                                              "churned": "Churned", "contract": "Plan",
                                              "monthly_charges": "Monthly fee"})
            prep = pipeline.prepare(cfg, progress=False)
            unit = cc.tenure_unit(prep.config)
            df = cc.contract_table(prep.read("attributes"), unit, file=cfg.tables.attributes.path)
            horizons, beyond = cc.km_horizons(df["tenure"], unit)
            _, km = cc.km_table(df, "contract", at=horizons, unit=unit)
            curve = cc.retention_curve(df, "contract", min_at_risk=30)
            fit = cc.fit_sbg(cc.cohort_table(curve))
            rem = cc.remaining_value(df, fit, group="contract", yearly_discount_rate=0.10, unit=unit)
        finally:
            mp.undo()
        return dict(raw=raw, unit=unit, df=df, horizons=horizons, beyond=beyond, km=km, curve=curve, fit=fit, rem=rem)

    def test_the_table_reads_as_years(self, run):
        assert run["unit"] == "year" and len(run["df"]) == 2000 and run["df"]["tenure"].max() == 7
        assert int(run["df"]["churned"].sum()) == (1000 - 241) + (1000 - 491)

    def test_kaplan_meier_horizons_stay_within_seven_years_and_match_the_counts(self, run):
        assert run["horizons"] == [2, 4, 6] and run["beyond"] == []
        km = run["km"].set_index("group")
        assert not any(c.endswith(("_12", "_24", "_48")) for c in km.columns)
        for plan, alive in FH_ALIVE.items():
            # nobody is censored before year 7, so Kaplan-Meier is the paper's share alive
            for h in (2, 4, 6):
                assert km.loc[plan, cc.retained_column(h)] == pytest.approx(alive[h - 1] / 1000, abs=1e-12)
        assert km.loc["Regular", "median_tenure"] == 2          # 468 of 1,000 left after year 2
        assert km.loc["High end", "median_tenure"] == 7         # 517 of 1,000 after year 6, 491 after year 7
        assert (km["tenure_unit"] == "year").all()

    def test_sbg_matches_the_papers_estimates(self, run):
        curve = run["curve"]
        assert curve.groupby("group")["period"].max().tolist() == [7, 7]
        for plan, (a, b) in FH_PAPER.items():
            fa, fb = run["fit"].ab(plan)
            # the paper prints three decimals: the fit rounds to them
            assert round(fa, 3) == a and round(fb, 3) == b, (plan, fa, fb)

    def test_remaining_lifetime_in_years_by_hand(self, run):
        rem = run["rem"].set_index("customer_id")
        assert len(rem) == 241 + 491 and (rem["tenure"] == 7).all() and (rem["tenure_unit"] == "year").all()
        d = 0.10                                  # a yearly rate on yearly periods: no conversion
        for plan in FH_ALIVE:
            a, b = run["fit"].ab(plan)
            # a customer alive at the end of year 7 has survived 7 renewals; the expected number of further
            # yearly renewals, discounted: sum over t >= 8 of P(alive at t | alive at 7) / 1.1^(t - 8)
            s7 = _sbg_survival(a, b, 7)
            derl = sum(_sbg_survival(a, b, t) / s7 / (1 + d) ** (t - 8) for t in range(8, 3000))
            got = rem.loc[rem["cohort"] == plan]
            assert got["expected_remaining_tenure"].to_numpy() == pytest.approx(derl, rel=1e-6)
            assert got["sbg_churn_risk"].to_numpy() == pytest.approx(a / (a + b + 7), rel=1e-9)
            # value: a year of a 10-a-month fee is 120
            assert got["expected_remaining_value"].to_numpy() == pytest.approx(120 * derl, rel=1e-6)
        # the high-end customers, who churn less, have more years left
        means = rem.groupby("cohort")["expected_remaining_tenure"].mean()
        assert means["High end"] > means["Regular"] > 1


def test_fader_hardie_check_recovers_the_papers_estimates():
    from helpers.models import contract_churn as cc

    check = cc.fader_hardie_check()
    assert list(check.columns) == ["cohort", "alpha", "beta", "paper_alpha", "paper_beta"]
    assert check["alpha"].to_numpy() == pytest.approx(check["paper_alpha"].to_numpy(), abs=2e-3)
    assert check["beta"].to_numpy() == pytest.approx(check["paper_beta"].to_numpy(), abs=2e-3)
