"""The canonical line table: its columns and dtypes, conforming a frame to it, and the checks that name the rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.io import schema


def _lines(n: int = 3, **cols) -> pd.DataFrame:
    base = {"line_id": range(n), "invoice": [f"{100 + i}" for i in range(n)],
            "invoice_ts": pd.date_range("2023-01-02", periods=n, freq="D"), "quantity": [2.0] * n,
            "unit_price": [5.0] * n, "amount": [10.0] * n, "currency": ["GBP"] * n}
    base.update(cols)
    return schema.conform(pd.DataFrame(base))


def test_required_and_optional_columns_split_the_canonical_ones():
    assert set(schema.REQUIRED) | set(schema.OPTIONAL) == set(schema.LINE_COLUMNS)
    assert not set(schema.REQUIRED) & set(schema.OPTIONAL)
    assert list(schema.LINE_COLUMNS)[:3] == ["line_id", "invoice", "invoice_ts"]
    assert len(schema.LINE_COLUMNS) == 16


def test_the_empty_table_has_every_column_with_its_dtype():
    e = schema.empty_lines()
    assert len(e) == 0
    assert {c: str(t) for c, t in e.dtypes.items()} == schema.LINE_COLUMNS


def test_conform_orders_the_columns_adds_the_missing_and_sets_the_dtypes():
    raw = pd.DataFrame({"amount": [3, 4], "invoice": [100, 101], "line_id": [1, 0],
                        "invoice_ts": ["2023-01-02 10:00", "2023-01-03 09:30"], "quantity": [1, 2],
                        "unit_price": [3, 2], "currency": ["EUR", "EUR"], "extra": ["x", "y"]},
                       index=[7, 9])
    out = schema.conform(raw)
    assert list(out.columns) == list(schema.LINE_COLUMNS)           # "extra" dropped, order canonical
    assert {c: str(t) for c, t in out.dtypes.items()} == schema.LINE_COLUMNS
    assert list(out.index) == [0, 1]
    assert out["invoice"].tolist() == ["100", "101"]                # numbers read as text keys
    assert out["invoice_ts"][0] == pd.Timestamp("2023-01-02 10:00")
    assert out["customer_id"].isna().all() and out["is_return"].isna().all()


def test_valid_lines_pass_unchanged():
    df = _lines()
    assert schema.validate_lines(df, "ok.csv") is df


def test_too_few_lines_is_its_own_rule():
    with pytest.raises(DataError, match=r"has 2 sales line\(s\); at least 3") as e:
        schema.validate_lines(_lines(2), "short.csv")
    assert (e.value.file, e.value.rule) == ("short.csv", "too-few-lines")


def test_a_repeated_line_id_names_the_column():
    with pytest.raises(DataError) as e:
        schema.validate_lines(_lines(line_id=[0, 1, 1]), "dup.csv")
    assert e.value.column == "line_id" and "unique" in e.value.rule


def test_a_missing_required_value_names_the_column():
    with pytest.raises(DataError) as e:
        schema.validate_lines(_lines(currency=["GBP", None, "GBP"]), "cur.csv")
    assert e.value.column == "currency" and e.value.rule.startswith("schema:")


def test_a_currency_must_have_three_letters():
    with pytest.raises(DataError) as e:
        schema.validate_lines(_lines(currency=["GBP", "POUND", "GBP"]), "cur.csv")
    assert e.value.column == "currency" and "str_length" in e.value.rule and "POUND" in str(e.value)


def test_a_negative_line_id_fails():
    with pytest.raises(DataError) as e:
        schema.validate_lines(_lines(line_id=[-1, 0, 1]), "neg.csv")
    assert e.value.column == "line_id"


@pytest.mark.parametrize("column", ["quantity", "unit_price", "amount"])
def test_numbers_must_be_finite(column):
    with pytest.raises(DataError, match=r"has 2 value\(s\) that are not finite") as e:
        schema.validate_lines(_lines(**{column: [1.0, np.inf, -np.inf]}), "inf.csv")
    assert (e.value.rule, e.value.column) == ("finite-number", column)


def test_an_extra_column_is_refused():
    df = _lines()
    df["extra"] = 1
    with pytest.raises(DataError):
        schema.validate_lines(df, "extra.csv")
