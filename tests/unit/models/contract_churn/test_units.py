"""The tenure unit: config, discount rate per period, charges, horizons, labels in both languages."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.config import config_from_dict
from helpers.errors import ConfigError
from helpers.models import contract_churn as cc
from helpers.plots import contract_churn as cc_plots
from tests.fixtures.contract_data import attributes_config


class TestTenureUnit:
    def test_config_default_and_allowed_units(self):
        cols = {"customer_id": "Customer"}
        assert cc.tenure_unit(attributes_config("a.csv", columns=cols)) == "month"      # today's behaviour
        assert cc.tenure_unit(attributes_config("a.csv", columns=cols, tenure_unit="year")) == "year"
        assert cc.tenure_unit(config_from_dict({"name": "x", "data": {"source": "synthetic"}})) == "month"
        with pytest.raises(ConfigError, match=r"(?s)plans\.yaml.*'tables\.attributes\.tenure_unit' = 'years'.*"
                                              r"'day', 'week', 'month', 'quarter' or 'year'"):
            attributes_config("a.csv", columns=cols, tenure_unit="years")

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
