"""Tests of helpers.models.contract_churn: setting, checks, Kaplan-Meier / log-rank by hand, Cox and sBG
against known truths (a simulated hazard ratio, Fader & Hardie's published estimates, simulated alpha / beta)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.errors import DataError
from helpers.models import churn
from helpers.models import contract_churn as cc


def _table(rows, columns=("customer_id", "tenure", "churned", "contract")):
    return pd.DataFrame(rows, columns=list(columns))


class TestSetting:
    def test_no_attributes_is_non_contractual(self):
        mode, why = cc.setting(["lines"])
        assert mode == "non-contractual" and "no customer" in why

    def test_attributes_without_label(self):
        mode, why = cc.setting(["lines", "attributes"], ["customer_id", "region", "tenure"])
        assert mode == "non-contractual" and "'churned'" in why and "'tenure'" not in why

    def test_contract_table(self):
        assert cc.setting(["attributes"], ["customer_id", "tenure", "churned"])[0] == "contractual"


class TestContractTable:
    def test_types_and_labels(self):
        df = cc.contract_table(pd.DataFrame({"customer_id": ["a", "b", "c"], "tenure": ["1", "0", "12"],
                                             "churned": ["Yes", "No", "yes"],
                                             "total_charges": ["29.85", " ", "100"]}))
        assert df["churned"].tolist() == [True, False, True]
        assert df["tenure"].dtype == float and df["tenure"].tolist() == [1.0, 0.0, 12.0]
        assert np.isnan(df.loc[1, "total_charges"]) and df.loc[2, "total_charges"] == 100.0

    @pytest.mark.parametrize("frame, rule, column", [
        (pd.DataFrame({"customer_id": ["a"], "tenure": [1]}), "missing-column", "churned"),
        (pd.DataFrame({"customer_id": ["a", "a"], "tenure": [1, 2], "churned": [1, 0]}), "unique-customer",
         "customer_id"),
        (pd.DataFrame({"customer_id": ["a", "b"], "tenure": [-1, 2], "churned": [1, 0]}), "tenure-non-negative",
         "tenure"),
        (pd.DataFrame({"customer_id": ["a", "b"], "tenure": ["x", 2], "churned": [1, 0]}), "tenure-number", "tenure"),
        (pd.DataFrame({"customer_id": ["a", "b"], "tenure": [1, 2], "churned": ["maybe", "No"]}), "label-values",
         "churned"),
    ])
    def test_errors_name_rule_column_and_count(self, frame, rule, column):
        with pytest.raises(DataError, match=rf"column '{column}'.*\[rule: {rule}\]") as e:
            cc.contract_table(frame)
        if rule != "missing-column":
            assert "1 " in str(e.value)

    def test_churn_by(self):
        df = cc.contract_table(_table([("a", 1, 1, "M"), ("b", 2, 0, "M"), ("c", 3, 0, "Y"), ("d", 5, 1, "M")]))
        t = cc.churn_by(df, "contract").set_index("contract")
        assert t.loc["M", "customers"] == 3 and t.loc["M", "churned"] == 2
        assert t.loc["M", "churn_rate"] == pytest.approx(2 / 3) and t.loc["Y", "churn_rate"] == 0


# group A: tenures 1 (churn), 2 (churn), 2 (censored), 3 (churn); group B: 2 (censored), 4 (churn), 5 (censored)
KM_ROWS = [("a1", 1, 1, "A"), ("a2", 2, 1, "A"), ("a3", 2, 0, "A"), ("a4", 3, 1, "A"),
           ("b1", 2, 0, "B"), ("b2", 4, 1, "B"), ("b3", 5, 0, "B")]


class TestKaplanMeier:
    def test_curve_and_median_by_hand(self):
        df = cc.contract_table(_table(KM_ROWS))
        curves, summary = cc.km_table(df, "contract", at_months=(2,))
        a = curves[curves["group"] == "A"].set_index("months")["retention"]
        # t=1: 1 of 4 at risk churn -> 3/4; t=2: 1 of 3 -> 3/4 * 2/3 = 1/2; t=3: 1 of 1 -> 0
        assert a.loc[1.0] == pytest.approx(0.75) and a.loc[2.0] == pytest.approx(0.5) and a.loc[3.0] == 0
        s = summary.set_index("group")
        assert s.loc["A", "median_months"] == 2 and s.loc["A", "retained_2m"] == pytest.approx(0.5)
        # B: only t=4 with 2 at risk -> 1/2; the median is reached at 4
        assert s.loc["B", "median_months"] == 4 and s.loc["B", "churned"] == 1

    def test_logrank_by_hand(self):
        # event times 1, 2, 3 (A) and 4 (B); E_A = 4/7 + 3/6 + 1/3 + 0, O_A = 3,
        # V = (4/7)(3/7) + (1/2)(1/2) + (1/3)(2/3) = 1265/1764, chi2 = (67/42)^2 / V = 4489 / 1265
        df = cc.contract_table(_table(KM_ROWS))
        _, summary = cc.km_table(df, "contract")
        lr = summary.attrs["logrank"]
        assert lr["statistic"] == pytest.approx(4489 / 1265, rel=1e-9)
        assert lr["dof"] == 1 and lr["p_value"] == pytest.approx(stats.chi2.sf(4489 / 1265, 1), rel=1e-9)
        pw = cc.pairwise_logrank(df, "contract")
        assert len(pw) == 1 and pw["statistic"].iloc[0] == pytest.approx(4489 / 1265, rel=1e-9)

    def test_retention_curve_stops_where_few_are_at_risk(self):
        df = cc.contract_table(_table(KM_ROWS))
        c = cc.retention_curve(df, "contract", min_at_risk=3)
        a = c[c["group"] == "A"]
        assert a["month"].tolist() == [0, 1, 2]            # at risk: 4, 4, 3, then 1
        assert a["retention"].tolist() == pytest.approx([1.0, 0.75, 0.5])


def _simulate_sbg(alpha, beta, n, max_obs, rng):
    """Customers with theta ~ Beta(alpha, beta), churn month ~ Geometric(theta), each seen for a random
    1..max_obs months (joined at different times): tenure = min(churn month, months seen)."""
    theta = rng.beta(alpha, beta, n)
    churn_month = rng.geometric(theta)
    seen = rng.integers(1, max_obs + 1, n)
    churned = churn_month <= seen
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "tenure": np.where(churned, churn_month, seen).astype(float), "churned": churned})


class TestShiftedBetaGeometric:
    def test_cohort_table_is_the_papers_construction(self):
        curve = pd.DataFrame({"group": "g", "month": [0, 1, 2], "retention": [1.0, 0.6, 0.5], "customers": 10})
        c = cc.cohort_table(curve)
        assert len(c) == 10 and (c["T"] == 3).all()
        assert (c["recency"] == 1).sum() == 4 and (c["recency"] == 2).sum() == 1 and (c["recency"] == 3).sum() == 5

    @pytest.mark.slow
    def test_reproduces_fader_hardie_2007(self):
        fh = pd.DataFrame([{"group": k, "month": t, "retention": v / 100, "customers": 1000}
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
        d = cc.monthly_rate(0.10)
        assert d == pytest.approx(1.1 ** (1 / 12) - 1)
        for n in (1, 7, 20):
            row = rem[rem["tenure"] == n].iloc[0]
            assert row["expected_remaining_months"] == pytest.approx(cc.derl_by_hand(a, b, n, d), rel=1e-6)
            assert row["expected_remaining_value"] == pytest.approx(50 * row["expected_remaining_months"])
            assert row["sbg_churn_risk"] == pytest.approx(a / (a + b + n - 1))
        # longer tenure -> the customer has shown a low churn propensity -> more months left
        by_n = rem.groupby("tenure")["expected_remaining_months"].first()
        assert by_n.is_monotonic_increasing

    def test_homogeneous_limit_is_geometric(self):
        fit = cc.SbgFit({"g": None}, pd.DataFrame({"cohort": ["g"], "alpha": [1e6], "beta": [9e6], "mean_churn": [0.1],
                                                   "heterogeneous": [False], "log_likelihood": [0.0],
                                                   "customers": [10]}))
        df = pd.DataFrame({"customer_id": ["x"], "tenure": [5.0], "churned": [False], "cohort": ["g"]})
        rem = cc.remaining_value(df, fit, group="cohort", yearly_discount_rate=0.0)
        # constant renewal q = 0.9, no discount: sum_{k>=0} 0.9^(k+1) = 9 months
        assert rem["expected_remaining_months"].iloc[0] == pytest.approx(9.0)
        assert cc.derl_by_hand(1e6, 9e6, 5, 0.0, terms=2000) == pytest.approx(9.0, rel=1e-3)


class TestCox:
    def test_recovers_a_simulated_hazard_ratio(self):
        rng = np.random.default_rng(11)
        n = 4000
        x = rng.integers(0, 2, n)
        plan = np.where(rng.random(n) < 0.5, "basic", "premium")
        t = rng.exponential(1 / (0.03 * np.exp(np.log(2.0) * x)))
        seen = rng.uniform(1, 72, n)
        df = pd.DataFrame({"customer_id": np.arange(n).astype(str), "tenure": np.minimum(t, seen),
                           "churned": t <= seen, "risky": x, "plan": plan, "total_charges": rng.random(n)})
        res = cc.fit_cox(df.iloc[:3000], df.iloc[3000:])
        assert set(res.covariates) == {"risky", "plan: premium"}          # total_charges left out
        hr = res.coefficients.set_index("covariate")
        assert hr.loc["risky", "lower"] < 2.0 < hr.loc["risky", "upper"]
        assert hr.loc["plan: premium", "lower"] < 1.0 < hr.loc["plan: premium", "upper"]
        # exponential hazards are proportional: the Schoenfeld test should not reject for the true effect
        assert res.ph_test.set_index("covariate").loc["risky", "p_value"] > 0.01
        assert 0.55 < res.c_index_test < 0.65                              # one binary factor orders few pairs


class TestClassifiers:
    def test_pipelines_of_the_churn_module_run_on_a_contract_table(self):
        rng = np.random.default_rng(0)
        n = 600
        contract = rng.choice(["Month-to-month", "One year"], n)
        p = np.where(contract == "Month-to-month", 0.45, 0.08)
        df = cc.contract_table(pd.DataFrame({"customer_id": np.arange(n).astype(str), "tenure": rng.integers(0, 60, n),
                                             "churned": rng.random(n) < p, "contract": contract,
                                             "monthly_charges": rng.uniform(20, 100, n)}))
        train, test = cc.contract_datasets(df, test_size=0.3, random_state=1)
        assert len(test.frame) == 180 and set(train.frame["customer_id"]).isdisjoint(test.frame["customer_id"])
        assert train.frame["churned"].mean() == pytest.approx(test.frame["churned"].mean(), abs=0.02)  # stratified
        models = churn.fit_models(train)
        scores = cc.baseline_scores(train, test) | churn.model_scores(models, test)
        m = churn.evaluate(test.y, scores).set_index("score")
        # the only real signal is the contract type: the models find it (AUC well above 0.5)
        assert m.loc["logistic regression", "roc_auc"] > 0.65
        assert m.loc["churn rate of the contract type (baseline)", "roc_auc"] > 0.65
        risk = cc.score_customers(models["logit"], df, like=train)
        assert risk.index.tolist() == df["customer_id"].tolist() and risk.between(0, 1).all()


@pytest.mark.shared_data
@pytest.mark.slow
class TestTelco:
    def test_telco_end_to_end(self, shared_data):
        raw = pd.read_csv(shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
        df = cc.contract_table(raw.rename(columns={"customerID": "customer_id", "Contract": "contract",
                                                   "Churn": "churned", "MonthlyCharges": "monthly_charges",
                                                   "TotalCharges": "total_charges"}))
        assert len(df) == 7043 and df["churned"].mean() == pytest.approx(1869 / 7043)
        _, summary = cc.km_table(df, "contract")
        assert summary.attrs["logrank"]["p_value"] < 1e-10
        s = summary.set_index("group")
        assert s.loc["Month-to-month", "retained_24m"] < s.loc["One year", "retained_24m"] < s.loc["Two year", "retained_24m"]
        curve = cc.retention_curve(df, "contract")
        fit = cc.fit_sbg(cc.cohort_table(curve[curve["group"] == "Month-to-month"]))
        a, b = fit.ab("Month-to-month")
        part = cc.cohort_table(curve[curve["group"] == "Month-to-month"])
        best = cc.sbg_loglik(a, b, part)
        # the pymc-marketing MAP is a maximum: 5 % steps along either axis or the ridge do not improve it
        for fa, fb in ((1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05), (0.95, 0.95)):
            assert cc.sbg_loglik(a * fa, b * fb, part) <= best + 1e-6


def test_headline_items_by_hand():
    df = pd.DataFrame({"churned": [True, False, False, True]})
    by_group = pd.DataFrame({"contract": ["Month-to-month", "Two year"], "churn_rate": [0.5, 0.1]})
    km = pd.DataFrame({"group": ["Month-to-month", "Two year"], "median_months": [35.0, np.inf]})
    sbg = pd.DataFrame({"cohort": ["Month-to-month", "Two year"], "mean_churn": [0.026, 0.002],
                        "heterogeneous": [True, False], "alpha": [3.0, np.nan], "beta": [113.0, np.nan]})
    items = cc.headline_items(df, auc=0.84, cox_c_index=0.86, by_group=by_group, group_column="contract",
                              km_summary=km, sbg_params=sbg)
    got = {k: v for k, _, v, _ in items}
    assert got["contract_churn_rate"] == 0.5 and got["contract_model_auc"] == 0.84
    assert got["contract_churn_rate_month_to_month"] == 0.5 and got["contract_churn_rate_two_year"] == 0.1
    assert got["contract_km_median_month_to_month"] == 35.0 and got["contract_km_median_two_year"] == "not reached"
    assert got["contract_sbg_alpha_month_to_month"] == 3.0 and "contract_sbg_alpha_two_year" not in got
    assert len(items) == 3 + 2 + 2 + 2 + 2
