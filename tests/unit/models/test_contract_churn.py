"""Tests of helpers.models.contract_churn: setting, checks, Kaplan-Meier / log-rank by hand, Cox and sBG
against known truths (a simulated hazard ratio, Fader & Hardie's published estimates, simulated alpha / beta),
and the tenure unit (labels, horizons, discount rate, remaining lifetimes) on Fader & Hardie's yearly data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import i18n, paths, pipeline
from helpers.config import config_from_dict
from helpers.errors import ConfigError, DataError
from helpers.models import churn
from helpers.models import contract_churn as cc
from helpers.plots import contract_churn as cc_plots


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

    def test_the_reason_names_the_tenure_unit(self):
        assert "tenure in months" in cc.setting(["attributes"], ["tenure", "churned"])[1]
        assert "tenure in years" in cc.setting(["attributes"], ["tenure", "churned"], "year")[1]


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

    def test_errors_name_the_file(self):
        frame = pd.DataFrame({"customer_id": ["a", "b"], "tenure": ["x", 2], "churned": [1, 0]})
        with pytest.raises(DataError, match=r"^data/plans\.csv: column 'tenure': 1 rows have no numeric tenure "
                                            r"\(years\)"):
            cc.contract_table(frame, "year", file="data/plans.csv")

    def test_a_tenure_too_long_for_its_unit_stops(self):
        # 900 months read as years would be 900 years: the unit is wrong, not the customer
        frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "tenure": [3, 900, 72], "churned": [1, 0, 0]})
        with pytest.raises(DataError, match=r"column 'tenure': 1 rows have a tenure above 100 years.*"
                                            r"tables\.attributes\.tenure_unit \(year\).*\[rule: tenure-plausible\]"):
            cc.contract_table(frame, "year")
        assert cc.contract_table(frame, "month")["tenure"].max() == 900         # 75 years in months may be ...
        with pytest.raises(DataError, match=r"above 1,200 months.*\[rule: tenure-plausible\]"):
            cc.contract_table(frame.assign(tenure=[3, 1201, 72]), "month")   # ... 1,201 months is over a century

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
        curves, summary = cc.km_table(df, "contract", at=(2,))
        a = curves[curves["group"] == "A"].set_index("tenure")["retention"]
        # t=1: 1 of 4 at risk churn -> 3/4; t=2: 1 of 3 -> 3/4 * 2/3 = 1/2; t=3: 1 of 1 -> 0
        assert a.loc[1.0] == pytest.approx(0.75) and a.loc[2.0] == pytest.approx(0.5) and a.loc[3.0] == 0
        s = summary.set_index("group")
        assert s.loc["A", "median_tenure"] == 2 and s.loc["A", "retained_at_2"] == pytest.approx(0.5)
        # B: only t=4 with 2 at risk -> 1/2; the median is reached at 4
        assert s.loc["B", "median_tenure"] == 4 and s.loc["B", "churned"] == 1
        assert (s["tenure_unit"] == "month").all()

    def test_no_retention_beyond_a_groups_longest_tenure(self):
        df = cc.contract_table(_table(KM_ROWS))
        _, summary = cc.km_table(df, "contract", at=(1, 4, 5), unit="year")
        s = summary.set_index("group")
        # A ends at 3 (its last customer churned there): 4 and 5 lie beyond its data; B ends at 5
        assert s.loc["A", "retained_at_1"] == pytest.approx(0.75)
        assert np.isnan(s.loc["A", "retained_at_4"]) and np.isnan(s.loc["A", "retained_at_5"])
        assert s.loc["B", "retained_at_4"] == pytest.approx(0.5) and s.loc["B", "retained_at_5"] == pytest.approx(0.5)
        assert summary.attrs["horizons"] == [1, 4, 5] and (s["tenure_unit"] == "year").all()

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
        assert a["period"].tolist() == [0, 1, 2]           # at risk: 4, 4, 3, then 1
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


def test_headline_items_by_hand():
    df = pd.DataFrame({"churned": [True, False, False, True]})
    by_group = pd.DataFrame({"contract": ["Month-to-month", "Two year"], "churn_rate": [0.5, 0.1]})
    km = pd.DataFrame({"group": ["Month-to-month", "Two year"], "median_tenure": [35.0, np.nan]})
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
    units = {k: u for k, _, _, u in items}
    assert units["contract_km_median_month_to_month"] == "months"
    # in another unit the per-period numbers carry it in their keys and units
    yearly = cc.headline_items(df, auc=0.84, cox_c_index=0.86, by_group=by_group, group_column="contract",
                               km_summary=km, sbg_params=sbg, unit="year")
    got = {k: (v, u) for k, label, v, u in yearly}
    assert got["contract_km_median_year_month_to_month"] == (35.0, "years")
    assert "contract_sbg_mean_churn_year_two_year" in got and "contract_km_median_month_to_month" not in got
    assert "per year" in dict((k, label) for k, label, _, _ in yearly)["contract_sbg_mean_churn_year_two_year"]


# --------------------------------------------------------------------------------------
# the tenure unit
# --------------------------------------------------------------------------------------
def _attributes_config(path, **attributes):
    return config_from_dict({"name": "plans", "data": {"source": "none", "currency": "USD"},
                             "tables": {"attributes": {"path": str(path), **attributes}}}, "plans.yaml")


class TestTenureUnit:
    def test_config_default_and_allowed_units(self):
        cols = {"customer_id": "Customer"}
        assert cc.tenure_unit(_attributes_config("a.csv", columns=cols)) == "month"      # today's behaviour
        assert cc.tenure_unit(_attributes_config("a.csv", columns=cols, tenure_unit="year")) == "year"
        assert cc.tenure_unit(config_from_dict({"name": "x", "data": {"source": "synthetic"}})) == "month"
        with pytest.raises(ConfigError, match=r"(?s)plans\.yaml.*'tables\.attributes\.tenure_unit' = 'years'.*"
                                              r"'day', 'week', 'month', 'quarter' or 'year'"):
            _attributes_config("a.csv", columns=cols, tenure_unit="years")

    @pytest.mark.parametrize("unit, per_year", [("day", 365.25), ("week", 365.25 / 7), ("month", 12),
                                                ("quarter", 4), ("year", 1)])
    def test_discount_rate_per_period_compounds_to_the_yearly_rate(self, unit, per_year):
        r = cc.period_rate(0.10, unit)
        assert (1 + r) ** per_year == pytest.approx(1.10, rel=1e-12)     # (1 + r)^periods a year = 1 + d
        assert 0 < r <= 0.10
        assert cc.charge_factor(unit) * per_year == pytest.approx(12.0)  # a year of charges is 12 monthly ones

    def test_discount_rate_by_hand_and_bad_rate(self):
        assert cc.period_rate(0.10, "year") == pytest.approx(0.10)
        assert cc.period_rate(0.10, "month") == pytest.approx(0.0079741404, rel=1e-8)   # 1.1^(1/12) - 1
        assert cc.period_rate(0.0, "quarter") == 0.0
        with pytest.raises(ValueError, match="discount rate -0.1"):
            cc.period_rate(-0.1, "month")
        with pytest.raises(ValueError, match="tenure unit 'fortnight'"):
            cc.period_rate(0.1, "fortnight")

    @pytest.mark.parametrize("top, unit, expected", [
        (72, "month", [24, 48, 72]), (7, "year", [2, 4, 6]), (4, "year", [1, 2, 3, 4]), (150, "week", [52, 104]),
        (400, "day", [90, 180, 270, 360]), (11, "quarter", [4, 8]), (0.5, "month", [])])
    def test_horizons_are_round_and_within_the_data(self, top, unit, expected):
        got, beyond = cc.km_horizons([0, top / 2, top], unit)
        assert got == expected and beyond == []

    def test_no_horizon_ever_lies_beyond_the_data(self):
        rng = np.random.default_rng(0)
        for unit in cc.TENURE_UNITS:
            for top in rng.uniform(0.5, 3000, 60):
                got, _ = cc.km_horizons([top], unit)
                assert len(got) <= 4 and all(0 < h <= top for h in got), (unit, top, got)
                if top >= 1:
                    assert got, (unit, top)

    def test_requested_horizons_beyond_the_data_are_left_out(self):
        got, beyond = cc.km_horizons([0, 3, 7], "year", requested=[12, 24, 48, 2])
        assert got == [2] and beyond == [12, 24, 48]
        with pytest.raises(ValueError, match=r"km_horizons \[-1\]"):
            cc.km_horizons([7], "year", requested=[-1, 2])

    def test_labels_follow_the_unit_in_both_languages(self):
        km = pd.DataFrame({"group": ["g"], "tenure": [0.0], "retention": [1.0], "lower": [1.0], "upper": [1.0]})
        summary = pd.DataFrame({"group": ["g"], "customers": [1]})
        fig = cc_plots.km_curves(km, summary, "plan", unit="year")
        assert fig.layout.xaxis.title.text == "years since joining (tenure)"
        assert "t years after joining" in fig.layout.title.text
        labels = cc_plots.column_labels(["median_tenure", "retained_at_1", "retained_at_2", "sbg_churn_risk",
                                         "expected_remaining_tenure", "customers"], "year")
        assert labels == {"median_tenure": "median tenure (years)", "retained_at_1": "still under contract after 1 year",
                          "retained_at_2": "still under contract after 2 years",
                          "sbg_churn_risk": "sBG probability of cancelling within the next year",
                          "expected_remaining_tenure": "expected remaining tenure (years, discounted)"}
        assert cc_plots.hazard_ratios(pd.DataFrame({"covariate": ["x"], "hazard_ratio": [2.0], "lower": [1.5],
                                                    "upper": [2.5]}), unit="quarter").layout.xaxis.title.text \
            == "hazard ratio (× the cancellation hazard per quarter)"
        try:
            i18n.set_language("tr")
            assert cc_plots.km_curves(km, summary, "plan", unit="year").layout.xaxis.title.text \
                == "katılımdan bu yana geçen yıl (müşteri süresi)"
            assert cc_plots.column_labels(["retained_at_2"], "year") == {"retained_at_2": "2 yıl sonra sözleşmesi süren"}
            from helpers.analyses.headlines import format_value
            assert format_value(3.0, "years") == "3 yıl" and format_value(2.0, "quarters") == "2 çeyrek"
        finally:
            i18n.set_language("en")
        assert cc_plots.km_curves(km, summary, "plan").layout.xaxis.title.text == "months since joining (tenure)"


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
            cfg = _attributes_config(folder / "plans.csv", tenure_unit="year",
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
