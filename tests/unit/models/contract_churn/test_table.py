"""Which setting a run is in, and the checked contract table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import contract_churn as cc
from tests.fixtures.contract_data import contract_frame


class TestSetting:
    def test_no_attributes_is_non_contractual(self):
        assert cc.setting(["lines"]) == ("non-contractual", None)

    def test_attributes_without_label(self):
        assert cc.setting(["lines", "attributes"], ["customer_id", "region", "tenure"]) == ("non-contractual",
                                                                                         ["churned"])

    def test_contract_table(self):
        assert cc.setting(["attributes"], ["customer_id", "tenure", "churned"]) == ("contractual", [])


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
        df = cc.contract_table(contract_frame([("a", 1, 1, "M"), ("b", 2, 0, "M"), ("c", 3, 0, "Y"), ("d", 5, 1, "M")]))
        t = cc.churn_by(df, "contract").set_index("contract")
        assert t.loc["M", "customers"] == 3 and t.loc["M", "churned"] == 2
        assert t.loc["M", "churn_rate"] == pytest.approx(2 / 3) and t.loc["Y", "churn_rate"] == 0
