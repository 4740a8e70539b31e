import pandas as pd
import pytest

from helpers.models.campaigns import arms


def test_other_values_and_both_arms_are_counted_and_left_out():
    ex = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "d", "e", "f", "g"],
        "campaign_id": ["K"] * 8,
        "group": ["Treatment", " control", "T", "treatment", "control", "vip", None, "holdout"],
    })
    clean, rep = arms.clean_arms(ex)
    assert rep["rows"] == 8 and rep["other_values"] == 2 and rep["both_arms"] == 1
    assert "vip" in rep["other_examples"]
    assert sorted(clean["customer_id"]) == ["a", "b", "c", "g"]
    assert rep["treatment"] == 2 and rep["control"] == 2
    assert set(clean["group"]) == {"treatment", "control"}


def test_same_customer_in_two_campaigns_is_fine():
    ex = pd.DataFrame({"customer_id": ["a", "a"], "campaign_id": ["K1", "K2"], "group": ["treatment", "control"]})
    clean, rep = arms.clean_arms(ex)
    assert rep["both_arms"] == 0 and len(clean) == 2


def test_missing_group_column_is_an_error():
    with pytest.raises(ValueError, match="no randomised control group"):
        arms.clean_arms(pd.DataFrame({"customer_id": ["a"], "campaign_id": ["K"]}))


def test_small_control_warns_with_number_needed():
    w = arms.arm_warning(5000, 300, 0.10, 0.05)
    assert w == {"needed": 686, "treatment": 5000, "control": 300, "short_arm": "control"}
    assert arms.arm_warning(700, 700, 0.10, 0.05) is None
