"""Tests for helpers.models.clv.inputs: the summary's input checks and the choice arguments, through the
fitting functions that run them first (no fitting)."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.errors import CRMInputError
from helpers.models import clv
from tests.unit.models.clv.stubs import TEN


class TestFitPurchaseModelErrors:
    def test_missing_column(self):
        with pytest.raises(clv.ClvInputError, match=r"column\(s\) \['T'\] missing"):
            clv.fit_purchase_model(TEN.drop(columns="T"))

    def test_recency_above_T(self):
        bad = TEN.copy()
        bad.loc[3, "recency"] = 31.0
        with pytest.raises(clv.ClvInputError, match=r"'recency' has 1 values outside 0 .. T.*recency-le-T"):
            clv.fit_purchase_model(bad)

    def test_frequency_not_a_count(self):
        bad = TEN.astype({"frequency": float})
        bad.loc[4, "frequency"] = 1.5
        bad.loc[5, "frequency"] = -1
        with pytest.raises(clv.ClvInputError, match=r"'frequency' has 2 values that are not whole numbers"):
            clv.fit_purchase_model(bad)

    def test_recency_without_repeat(self):
        bad = TEN.copy()
        bad.loc[0, "recency"] = 2.0
        with pytest.raises(clv.ClvInputError, match=r"1 customers have frequency 0 but recency > 0"):
            clv.fit_purchase_model(bad)

    def test_duplicate_and_missing_ids(self):
        dup = pd.concat([TEN, TEN.iloc[[0]]], ignore_index=True)
        with pytest.raises(clv.ClvInputError, match=r"'customer_id' has 1 duplicates"):
            clv.fit_purchase_model(dup)
        na = TEN.copy()
        na.loc[0, "customer_id"] = None
        with pytest.raises(clv.ClvInputError, match=r"'customer_id' has 1 missing"):
            clv.fit_purchase_model(na)

    def test_non_numeric(self):
        bad = TEN.astype({"T": object})
        bad.loc[2, "T"] = "x"
        with pytest.raises(clv.ClvInputError, match=r"'T' has 1 missing or non-numeric"):
            clv.fit_purchase_model(bad)

    def test_not_a_frame(self):
        with pytest.raises(clv.ClvInputError, match="expected a pandas DataFrame"):
            clv.fit_purchase_model([1, 2, 3])

    def test_unknown_model_method_priors(self):
        with pytest.raises(clv.ClvInputError, match=r"model = 'gamma' is not one of \['bgnbd', 'mbgnbd', 'pareto_nbd'\]"):
            clv.fit_purchase_model(TEN, model="gamma")
        with pytest.raises(clv.ClvInputError, match=r"method = 'nuts' is not one of"):
            clv.fit_purchase_model(TEN, method="nuts")
        with pytest.raises(clv.ClvInputError, match=r"priors = 'vague' is not one of"):
            clv.fit_purchase_model(TEN, priors="vague")

    def test_too_few_repeat_customers(self):
        # 7 of 10 bought more than once; the default minimum is 10
        with pytest.raises(clv.ModelFitError, match=r"only 7 of 10 customers bought on more than one day"):
            clv.fit_purchase_model(TEN)
        assert issubclass(clv.ModelFitError, CRMInputError)


class TestFitSpendModelErrors:
    def test_too_few(self):
        # repeat customers with positive spend: D E F G H I J = 7
        with pytest.raises(clv.ModelFitError, match=r"only 7 customers have a repeat purchase with a positive"):
            clv.fit_spend_model(TEN)

    def test_missing_column(self):
        with pytest.raises(clv.ClvInputError, match=r"\['monetary_value'\] missing"):
            clv.fit_spend_model(TEN.drop(columns="monetary_value"))
