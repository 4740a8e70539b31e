"""Tests for helpers.io.olist on the hand-made folder tests/fixtures/olist/ (its README.md says what
each row is for); every expected value below is read off those files by hand."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.io.olist import OLIST_FILES, olist_attributes, olist_feedback, olist_lines
from helpers.io.schema import LINE_COLUMNS
from helpers.io.table_schema import CORE_COLUMNS, Audit
from tests.fixtures import FIXTURES

OLIST = FIXTURES / "olist"


def test_every_adapter_reads_only_files_of_the_folder():
    present = {p.name for p in OLIST.glob("*.csv")}
    for files in OLIST_FILES.values():
        assert set(files) <= present


def test_lines_one_per_order_product_and_price_without_cancelled_orders():
    df = olist_lines(OLIST)
    assert list(df.columns) == list(LINE_COLUMNS)
    assert df["line_id"].tolist() == [0, 1, 2, 3]
    assert df["invoice"].tolist() == ["o1", "o1", "o2", "o4"]             # o3 was canceled
    assert df["product_id"].tolist() == ["p1", "p2", "p3", "p2"]
    assert df["quantity"].tolist() == [2.0, 1.0, 1.0, 1.0]               # the two identical p1 items of o1
    assert df["unit_price"].tolist() == [29.99, 10.0, 100.5, 12.0]        # freight left out
    assert df["amount"].tolist() == [2 * 29.99, 10.0, 100.5, 12.0]
    assert df["customer_id"].tolist() == ["u1", "u1", "u1", "u3"]        # the person, not the order's customer
    assert df["category"].tolist() == ["health_beauty", "housewares", "pc_gamer", "housewares"]
    assert df["country"].tolist() == ["SP", "SP", "RJ", "MG"]
    assert (df["currency"] == "BRL").all()
    assert df["invoice_ts"].iloc[0] == pd.Timestamp("2017-10-02 10:56:33")


def test_attributes_one_row_per_person_with_the_latest_address():
    audit = Audit()
    a = olist_attributes(OLIST, audit=audit)
    assert list(a.columns[:1]) == list(CORE_COLUMNS["attributes"])
    assert a["customer_id"].tolist() == ["u1", "u2", "u3"]
    assert a["region"].tolist() == ["RJ", "SP", "MG"]
    assert a["city"].tolist() == ["rio de janeiro", "sao paulo", "belo horizonte"]
    assert a["zip_code_prefix"].tolist() == ["20040", "01310", "30110"]      # leading zero restored
    assert a["n_orders"].tolist() == [2.0, 1.0, 1.0]                          # canceled orders count too
    assert a["first_order_ts"].tolist() == [pd.Timestamp("2017-10-02 10:56:33"), pd.Timestamp("2018-02-01 08:00"),
                                            pd.Timestamp("2018-03-01 12:00")]
    assert audit.frame()[["rule", "count"]].values.tolist() == [["several-addresses", 1]]


def test_feedback_with_shared_review_ids_missing_orders_and_delays():
    audit = Audit()
    f = olist_feedback(OLIST, audit=audit).set_index("feedback_id")
    assert f.index.tolist() == ["r1", "r2/o2", "r2/o4", "r3"]
    assert f["invoice"].tolist() == ["o1", "o2", "o4", "o9"]
    assert f["customer_id"].iloc[:3].tolist() == ["u1", "u1", "u3"] and pd.isna(f.loc["r3", "customer_id"])
    assert f["score"].tolist() == [5.0, 1.0, 1.0, 4.0]
    assert (f["score_min"] == 1).all() and (f["score_max"] == 5).all() and (f["language"] == "pt").all()
    assert pd.isna(f.loc["r1", "title"]) and f.loc["r2/o2", "text"] == "Produto atrasado"
    # delivered - estimated: o1 7 days 2:34:47 early, o2 5.5 days late, o4 not delivered yet
    early = -(7 + (2 * 3600 + 34 * 60 + 47) / 86400)
    assert f.loc["r1", "delay_days"] == pytest.approx(early)
    assert f.loc["r2/o2", "delay_days"] == pytest.approx(5.5) and np.isnan(f.loc["r2/o4", "delay_days"])
    assert f.loc[["r1", "r2/o2", "r2/o4"], "seller_id"].tolist() == ["s1", "s1", "s3"]     # first item's seller
    assert f.loc[["r1", "r2/o4"], "product_category"].tolist() == ["health_beauty", "housewares"]
    assert f.loc[["r1", "r2/o4"], "region"].tolist() == ["SP", "MG"]
    assert f.loc["r2/o4", "order_status"] == "shipped"
    assert pd.isna(f.loc["r2/o2", "answered_ts"])
    found = dict(audit.frame()[["rule", "count"]].values.tolist())
    assert found == {"shared-review-id": 2, "order-not-found": 1}
    assert olist_feedback(OLIST, language="en")["language"].eq("en").all()


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "olist"
    shutil.copytree(OLIST, d)
    return d


def test_an_order_whose_customer_is_unknown_stops(folder):
    p = folder / "olist_customers_dataset.csv"
    p.write_text("\n".join(p.read_text().splitlines()[:-1]) + "\n")       # drop c4
    with pytest.raises(DataError, match=r"olist_customers_dataset\.csv: column 'customer_id': 1 order\(s\) have a "
                                        r"customer_id that is not in this file, e\.g\. 'c4' \[rule: missing-key\]"):
        olist_lines(folder)


def test_a_missing_column_names_the_file(folder):
    p = folder / "olist_order_items_dataset.csv"
    p.write_text(p.read_text().replace("price,", "prices,", 1))
    with pytest.raises(DataError, match=r"column 'price': is not in the file \(wanted as price by the Olist layout "
                                        r"\(olist_order_items_dataset\.csv\)\).*\[rule: missing-column\]"):
        olist_lines(folder)


def test_a_repeated_review_of_one_order_stops(folder):
    p = folder / "olist_order_reviews_dataset.csv"
    p.write_text(p.read_text() + "r1,o1,4,,,2017-10-12 00:00:00,\n")
    with pytest.raises(DataError, match=r"2 rows repeat the same review_id and order_id, e\.g\. 'r1/o1'"
                                        r".*\[rule: duplicate-key\]"):
        olist_feedback(folder)


def test_a_score_outside_one_to_five_stops(folder):
    p = folder / "olist_order_reviews_dataset.csv"
    p.write_text(p.read_text().replace("r3,o9,4,", "r3,o9,6,"))
    with pytest.raises(DataError, match=r"column 'review_score': 1 score\(s\) lie outside the declared scale "
                                        r"\[1, 5\], e\.g\. 6 in row 5"):
        olist_feedback(folder)
