"""Kaplan-Meier, log-rank and Cox on the tenure: by hand and against a simulated hazard ratio."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.models import contract_churn as cc
from tests.fixtures.contract_data import KM_ROWS, contract_frame


class TestKaplanMeier:
    def test_curve_and_median_by_hand(self):
        df = cc.contract_table(contract_frame(KM_ROWS))
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
        df = cc.contract_table(contract_frame(KM_ROWS))
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
        df = cc.contract_table(contract_frame(KM_ROWS))
        _, summary = cc.km_table(df, "contract")
        lr = summary.attrs["logrank"]
        assert lr["statistic"] == pytest.approx(4489 / 1265, rel=1e-9)
        assert lr["dof"] == 1 and lr["p_value"] == pytest.approx(stats.chi2.sf(4489 / 1265, 1), rel=1e-9)
        pw = cc.pairwise_logrank(df, "contract")
        assert len(pw) == 1 and pw["statistic"].iloc[0] == pytest.approx(4489 / 1265, rel=1e-9)

    def test_retention_curve_stops_where_few_are_at_risk(self):
        df = cc.contract_table(contract_frame(KM_ROWS))
        c = cc.retention_curve(df, "contract", min_at_risk=3)
        a = c[c["group"] == "A"]
        assert a["period"].tolist() == [0, 1, 2]           # at risk: 4, 4, 3, then 1
        assert a["retention"].tolist() == pytest.approx([1.0, 0.75, 0.5])

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
