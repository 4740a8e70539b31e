"""The input errors: one base class the runner catches, and messages that say where and which rule."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import errors


def test_every_input_error_is_a_value_error_the_runner_can_catch_as_one():
    assert issubclass(errors.CRMInputError, ValueError)
    assert issubclass(errors.ConfigError, errors.CRMInputError)
    assert issubclass(errors.DataError, errors.CRMInputError)
    assert not issubclass(errors.ConfigError, errors.DataError)


def test_a_data_error_names_the_file_the_column_and_the_rule():
    e = errors.DataError(Path("exports") / "sales.csv", "missing-column", "no such column", column="Qty")
    assert str(e) == "exports/sales.csv: column 'Qty': no such column [rule: missing-column]"
    assert (e.file, e.rule, e.column) == ("exports/sales.csv", "missing-column", "Qty")


def test_a_data_error_without_a_column_names_the_file_and_rule_only():
    e = errors.DataError("sales.xlsx:Sheet1", "too-few-lines", "has 2 sales line(s)")
    assert str(e) == "sales.xlsx:Sheet1: has 2 sales line(s) [rule: too-few-lines]"
    assert e.column is None


def test_a_column_named_zero_is_still_named():
    # a header-less export numbers its columns: column 0 must not vanish from the message
    assert "column '0'" in str(errors.DataError("a.csv", "r", "m", column="0"))


def test_the_errors_are_raised_and_caught_by_their_base_class():
    with pytest.raises(errors.CRMInputError, match="unknown key"):
        raise errors.ConfigError("configs/x.yaml: unknown key 'foo'")
