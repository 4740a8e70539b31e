"""Tests for helpers.io.table_schema: the audit of the optional tables, the column parser (numbers with
open bands and blanks, booleans, dates, inferred columns), the scale check and conform()."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.config import TableFile
from helpers.errors import DataError
from helpers.io.rawfile import RawTable
from helpers.io.table_schema import CORE_COLUMNS, Audit, ColumnParser, check_scale, conform


def parser(frame: dict, table: str = "attributes", audit: Audit | None = None, **opts) -> ColumnParser:
    raw = RawTable.single(pd.DataFrame(frame), "t.csv", first_row=2)
    return ColumnParser(table, raw, TableFile(path="t.csv", **opts), audit if audit is not None else Audit())


# --------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------
def test_audit_records_only_findings_with_a_count():
    audit = Audit()
    audit.add("attributes", "a.csv", "Region", "blank-value", 0, "left empty")
    assert audit.frame().empty and list(audit.frame().columns) == ["table", "file", "column", "rule", "count",
                                                                   "action", "note"]
    audit.add("attributes", "a.csv", "Region", "blank-value", 2, "left empty", "rows 3, 5")
    df = audit.frame()
    assert df.to_dict("records") == [{"table": "attributes", "file": "a.csv", "column": "Region",
                                      "rule": "blank-value", "count": 2, "action": "left empty",
                                      "note": "rows 3, 5"}]
    assert str(df["count"].dtype) == "int64" and str(df["rule"].dtype) == "string"


# --------------------------------------------------------------------------------------
# column parser
# --------------------------------------------------------------------------------------
def test_numbers_read_open_bands_as_their_lower_bound_and_fill_blanks():
    audit = Audit()
    p = parser({"Size": ["2", "5+", " ", "3 +", "1,5"]}, audit=audit, decimal=",",
               fill_blank={"household_size": 0.0})
    assert p.column("household_size", "Size").tolist() == [2.0, 5.0, 0.0, 3.0, 1.5]
    found = audit.frame().set_index("rule")
    assert found.loc["open-band", "count"] == 2 and "e.g. 3 +, 5+" in found.loc["open-band", "note"]
    assert found.loc["blank-number", "count"] == 1 and found.loc["blank-number", "note"] == "rows row 4"
    assert found.loc["blank-number", "action"] == "set to 0 (tables.attributes.fill_blank.household_size)"


def test_blank_numbers_stay_null_without_fill_blank():
    audit = Audit()
    out = parser({"Charges": [10.5, np.nan, 3.0]}, audit=audit).column("total_charges", "Charges")
    assert out.iloc[[0, 2]].tolist() == [10.5, 3.0] and np.isnan(out.iloc[1])
    assert audit.frame()["action"].item().startswith("left empty (null)")


def test_booleans_in_english_and_turkish():
    audit = Audit()
    p = parser({"Churn": ["Yes", "hayır", "EVET", None, "0", "left"]}, audit=audit)
    assert p.column("churned", "Churn").tolist() == [True, False, True, pd.NA, False, True]
    assert audit.frame()[["rule", "count"]].values.tolist() == [["blank-value", 1]]
    with pytest.raises(DataError, match=r"t\.csv: column 'Churn': 1 value\(s\) are not yes/no values.*"
                                        r"'maybe' \(row 3\).*\[rule: not-a-boolean\]"):
        parser({"Churn": ["yes", "maybe"]}).column("churned", "Churn")
    assert parser({"Churn": [True, False]}).column("churned", "Churn").tolist() == [True, False]


def test_dates_required_or_left_empty():
    frame = {"When": ["2023-01-02", "", "2023-03-04"]}
    out = parser(frame, table="exposures").column("end", "When")        # end may be blank
    assert out.iloc[[0, 2]].tolist() == [pd.Timestamp("2023-01-02"), pd.Timestamp("2023-03-04")]
    assert pd.isna(out.iloc[1]) and str(out.dtype) == "datetime64[us]"
    with pytest.raises(DataError, match=r"column 'When': 1 row\(s\) have no value, e\.g\. row 3.*missing-value"):
        parser(frame, table="exposures").column("start", "When")        # start is required


def test_identifiers_invoices_and_texts():
    p = parser({"id": ["13085.0", " C7 "], "inv": ["13085.0", "A1"], "txt": ["  North ", ""]})
    assert p.column("customer_id", "id").tolist() == ["13085", "C7"]     # ids lose a spurious '.0'
    assert p.column("invoice", "inv").tolist() == ["13085.0", "A1"]     # invoices are kept as written
    assert p.column("region", "txt").tolist() == ["North", pd.NA]


def test_other_columns_are_numbers_only_when_every_filled_cell_is_one():
    p = parser({"a": ["1.234,5", "", "7"], "b": ["1", "x", "2"], "c": pd.to_datetime(["2024-01-01"] * 3)},
               decimal=",", thousands=".")
    assert p.column("score_a", "a").iloc[[0, 2]].tolist() == [1234.5, 7.0]
    assert p.column("score_b", "b").tolist() == ["1", "x", "2"]
    assert str(p.column("when", "c").dtype) == "datetime64[us]"


# --------------------------------------------------------------------------------------
# scale and conform
# --------------------------------------------------------------------------------------
def feedback(scores) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame({"feedback_id": [f"F{i}" for i in range(n)], "score": scores,
                         "score_min": [1.0] * n, "score_max": [5.0] * n})


def test_check_scale_names_the_row_or_the_feedback_id():
    check_scale(feedback([1.0, 5.0, np.nan]), "f.csv", "stars")          # inside the scale: no error
    with pytest.raises(DataError, match=r"f\.csv: column 'stars': 2 score\(s\) lie outside the declared scale "
                                        r"\[1, 5\], e\.g\. 0 in row 4; .*\[rule: score-out-of-scale\]"):
        check_scale(feedback([3.0, 0.0, 6.0]), "f.csv", "stars", rows=np.array([3, 4, 5]))
    with pytest.raises(DataError, match=r"e\.g\. 6 \(feedback_id 'F1'\)"):
        check_scale(feedback([3.0, 6.0]), "f.parquet", "score")


def test_conform_orders_core_columns_first_with_their_dtypes():
    df = pd.DataFrame({"note": ["x", None], "campaign_id": [7.0, 8.0], "customer_id": ["13085.0", "C2"],
                       "start": ["2023-01-01", "2023-02-01"], "value": ["1.5", 2]})
    out = conform("exposures", df.drop(columns="value"))
    assert list(out.columns) == list(CORE_COLUMNS["exposures"]) + ["note"]
    assert out["customer_id"].tolist() == ["13085", "C2"] and out["campaign_id"].tolist() == ["7", "8"]
    assert out["end"].isna().all() and str(out["end"].dtype) == "datetime64[us]"
    assert str(out["note"].dtype) == "string" and str(out["channel"].dtype) == "string"
    r = conform("responses", df[["customer_id", "campaign_id", "start", "value"]].rename(
        columns={"start": "response_ts"}))
    assert r["value"].tolist() == [1.5, 2.0] and str(r["response_ts"].dtype) == "datetime64[us]"


def test_conform_names_a_column_of_the_wrong_type():
    df = pd.DataFrame({"customer_id": ["A"], "campaign_id": ["K"], "response_ts": ["2023-01-01"],
                       "value": ["lots"]})
    with pytest.raises(DataError, match=r"r\.csv: column 'value': cannot be read as float64.*\[rule: wrong-type\]"):
        conform("responses", df, "r.csv")
