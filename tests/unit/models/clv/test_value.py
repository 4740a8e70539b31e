"""Tests for helpers.models.clv.value: historical value, tiers, concentration, action list and the
spend-frequency independence check, worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import clv
from helpers.phrase import Number, Phrase
from tests.unit.models.clv.stubs import TEN, summary_rows


class TestHistoricalValue:
    def test_by_hand(self):
        rfm = pd.DataFrame({"customer_id": ["A", "B", "C"], "frequency": [1, 4, 2], "monetary": [100.0, 50.0, 0.0],
                            "tenure_days": [10, 365, 60], "recency_days": [10, 5, 30]})
        h = clv.historical_value(rfm, margin=0.3).set_index("customer_id")
        assert h.loc["A", "gross_margin"] == pytest.approx(30.0)
        assert h.loc["A", "margin_per_year"] == pytest.approx(30.0 / 30 * 365.25)   # tenure floored at 30 days
        assert h.loc["B", "margin_per_year"] == pytest.approx(15.0 / 365 * 365.25)
        assert h.loc["B", "orders"] == 4

    def test_errors(self):
        with pytest.raises(clv.ClvInputError, match=r"rfm: column\(s\) \['monetary'\] missing"):
            clv.historical_value(pd.DataFrame({"customer_id": [1], "frequency": [1], "tenure_days": [1],
                                               "recency_days": [1]}))
        with pytest.raises(clv.ClvInputError, match="margin = 0"):
            clv.historical_value(pd.DataFrame(columns=["customer_id", "frequency", "monetary", "tenure_days",
                                                       "recency_days"]), margin=0)


class TestValueTiers:
    def test_ten_customers(self):
        v = pd.Series([5.0, 100.0, 1.0, 50.0, 2.0, 3.0, 40.0, 4.0, 6.0, 7.0], index=list("ABCDEFGHIJ"))
        t = clv.value_tiers(v, tiers=(0.1, 0.3))
        # ceil(0.1 * 10) = 1 customer in the top, ceil(0.3 * 10) = 3 in the top two tiers
        assert t["B"] == "top 10 %"
        assert set(t[t == "top 10-30 %"].index) == {"D", "G"}
        assert (t == "rest 70 %").sum() == 7
        assert list(t.cat.categories) == ["top 10 %", "top 10-30 %", "rest 70 %"]

    def test_ties_and_nan(self):
        v = pd.Series([1.0, 1.0, np.nan, 0.5, 0.2])
        t = clv.value_tiers(v, tiers=(0.25,))
        # 4 known values: ceil(0.25 * 4) = 1 in the top; the first of a tie wins; unknown value -> no tier
        assert list(t[[0, 1, 3, 4]]) == ["top 25 %", "rest 75 %", "rest 75 %", "rest 75 %"] and pd.isna(t[2])
        table = pd.DataFrame({"clv": v, "tier": t})
        summ = clv.tier_summary(table)
        assert summ["customers"].tolist() == [1, 3] and summ.attrs["unknown"] == 1
        assert summ["share_clv"].tolist() == pytest.approx([1.0 / 2.7, 1.7 / 2.7])
        assert clv.top_share_of_value(v, 0.25) == pytest.approx(1.0 / 2.7)   # over the 4 known values

    def test_labels_and_errors(self):
        assert clv.tier_labels() == ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %"]
        with pytest.raises(clv.ClvInputError, match="increasing shares between 0 and 1"):
            clv.value_tiers(pd.Series([1.0]), tiers=(0.2, 0.1))
        with pytest.raises(clv.ClvInputError, match="increasing shares"):
            clv.value_tiers(pd.Series([1.0]), tiers=(1.5,))


class TestTierSummary:
    def test_by_hand(self):
        t = pd.DataFrame({"clv": [10.0, 6.0, 3.0, 1.0], "p_alive": [1.0, 0.5, 0.5, 0.0],
                          "tier": pd.Categorical(["a", "b", "b", "b"], categories=["a", "b"], ordered=True)})
        s = clv.tier_summary(t).set_index("tier")
        assert s.loc["a", "share_clv"] == pytest.approx(0.5) and s.loc["b", "total_clv"] == 10.0
        assert s.loc["b", "share_customers"] == 0.75 and s.loc["b", "mean_p_alive"] == pytest.approx(1 / 3)


class TestConcentration:
    def test_by_hand(self):
        c = clv.concentration(pd.Series([1.0, 4.0, 3.0, 2.0]))
        assert list(c["share_customers"]) == [0, 0.25, 0.5, 0.75, 1.0]
        assert list(c["share_value"]) == pytest.approx([0, 0.4, 0.7, 0.9, 1.0])
        assert clv.top_share_of_value(pd.Series([1.0, 4.0, 3.0, 2.0]), 0.5) == pytest.approx(0.7)


class TestActionList:
    def test_by_hand(self):
        t = pd.DataFrame({"customer_id": list("ABCDEFGHIJ"),
                          "gross_margin": [100.0, 90, 80, 70, 60, 5, 4, 3, 2, 1],
                          "p_alive": [0.9, 0.2, 0.4, 0.1, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0]})
        a = clv.action_list(t, top_share=0.4, max_p_alive=0.5, n=10)
        # top 40 %: A B C D; P(alive) < 0.5: B C D; at risk 90*0.8 = 72, 80*0.6 = 48, 70*0.9 = 63
        assert list(a["customer_id"]) == ["B", "D", "C"]
        assert list(a["value_at_risk"]) == pytest.approx([72.0, 63.0, 48.0])
        assert a.attrs["candidates"] == 3
        assert list(clv.action_list(t, top_share=0.4, max_p_alive=0.5, n=2)["customer_id"]) == ["B", "D"]

    def test_errors(self):
        with pytest.raises(clv.ClvInputError, match="column 'p_alive' missing"):
            clv.action_list(pd.DataFrame({"gross_margin": [1.0]}))
        with pytest.raises(clv.ClvInputError, match="must be in"):
            clv.action_list(pd.DataFrame({"gross_margin": [1.0], "p_alive": [0.5]}), top_share=0)


class TestSpendFrequencyCheck:
    def test_related_and_unrelated(self):
        rel = TEN.assign(monetary_value=TEN["frequency"] * 10.0)
        c = clv.spend_frequency_check(rel)
        assert c["n"] == 7 and c["pearson"] == pytest.approx(1.0) and c["verdict"] == Phrase("cgv_clear")
        # frequencies 1, 1, 2, 2 with spends 10, 20, 10, 20: no relation at all
        flat = summary_rows([("a", 1, 1, 5, 10.0), ("b", 1, 1, 5, 20.0), ("c", 2, 2, 5, 10.0), ("d", 2, 2, 5, 20.0)])
        c = clv.spend_frequency_check(flat)
        assert c["pearson"] == pytest.approx(0.0, abs=1e-12) and c["verdict"] == Phrase("cgv_none")

    def test_too_few(self):
        c = clv.spend_frequency_check(TEN.iloc[:4])
        assert c["n"] == 1 and math.isnan(c["pearson"]) and c["verdict"] == Phrase("cgv_cannot", n=1)


class TestDescribeParameters:
    def test_meanings_carry_the_numbers_by_hand(self):
        fit = clv.fit_nbd(TEN, time_unit="W", min_repeat_customers=3)
        t = describe_parameters_indexed(fit)
        r, alpha = fit.values["r"], fit.values["alpha"]
        assert t.loc["alpha", "meaning"] == Phrase("cpm_alpha_nbd", rate=Number(r / alpha, 4), units=Phrase("cpm_weeks"),
                                                   unit=Phrase("cpm_week"))
        assert i18n.say(t.loc["alpha", "meaning"], "en").endswith(f"= {r / alpha:.4f} purchases per week (nobody drops out)")
        assert f"hafta başına {i18n.fmt_number(r / alpha, 4, 'tr')} alış" in i18n.say(t.loc["alpha", "meaning"], "tr")

    def test_the_modified_bgnbd_reads_as_the_bgnbd(self):
        from types import SimpleNamespace

        values = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}
        fit = SimpleNamespace(model="mbgnbd", time_unit="W", values=values,
                              params=pd.DataFrame({"estimate": values.values()}, index=pd.Index(list(values), name="parameter")))
        t = describe_parameters_indexed(fit)
        assert t.loc["b", "meaning"] == Phrase("cpm_b", chance=Number(0.9 / 2.5, 3))
        assert t.loc["alpha", "meaning"] == Phrase("cpm_alpha", rate=Number(0.5 / 6.0, 4), units=Phrase("cpm_weeks"),
                                                   unit=Phrase("cpm_week"))

    def test_empirical_fits(self):
        t = describe_parameters_indexed(clv.empirical_rates(TEN, time_unit="D"))
        assert i18n.say(t["meaning"].iloc[0], "en").startswith("repeat purchases per day over all customers")
        spend = describe_parameters_indexed(clv.empirical_spend(TEN.assign(monetary_value=10.0)), "GBP")
        assert i18n.say(spend["meaning"].iloc[0], "tr").endswith("(GBP)")


def describe_parameters_indexed(fit, currency: str = ""):
    return clv.describe_parameters(fit, currency).set_index("parameter")
