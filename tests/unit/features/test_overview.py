"""Tests for helpers.features.overview: every figure of the data overview recomputed with plain pandas
on eight hand-made lines."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.features import overview
from helpers.io.engine import table
from helpers.io.schema import LINE_COLUMNS
from tests.fixtures import make_lines

COLUMNS = ("line_id", "invoice", "invoice_ts", "customer_id", "product_id", "quantity", "unit_price", "country",
           "channel", "category")
# two guests' lines (3, 6), one line without product, country or channel (5); amount = quantity x unit price (GBP)
ROWS = [
    (0, "1", "2023-01-30 09:15", "A", "P1", 2, 5.0, "UK", "web", "Toys"),     # 10.0, Monday
    (1, "1", "2023-01-30 09:15", "A", "P2", 1, 3.0, "UK", "web", "Books"),    # 3.0
    (2, "2", "2023-02-01 12:00", "B", "P1", 1, 5.0, "DE", "shop", "Toys"),    # 5.0
    (3, "3", "2023-02-05 18:30", None, "P3", 4, 2.5, "UK", "shop", None),     # 10.0, Sunday: same week as line 0
    (4, "4", "2023-03-31 10:00", "A", "P3", 1, 2.5, "FR", "web", "Toys"),     # 2.5
    (5, "5", "2023-04-03 08:00", "C", None, 3, 1.0, None, None, "Books"),     # 3.0
    (6, "6", "2023-04-03 09:00", None, "P2", 2, 3.0, "DE", "shop", "Books"),  # 6.0
    (7, "7", "2023-07-14 16:45", "B", "P1", 10, 5.0, "DE", "web", "Toys"),    # 50.0
]
#: the lines as pandas: what the expected figures are computed from
DF = make_lines(ROWS, columns=COLUMNS)


@pytest.fixture
def lines(duck):
    return table(duck, DF)


def test_overview_figures(lines):
    got = overview.overview(lines)["value"]
    first, last = DF["invoice_ts"].min(), DF["invoice_ts"].max()
    guests = int(DF["customer_id"].isna().sum())
    assert got["first invoice"] == first.strftime("%Y-%m-%d %H:%M") == "2023-01-30 09:15"
    assert got["last invoice"] == last.strftime("%Y-%m-%d %H:%M") == "2023-07-14 16:45"
    assert got["days covered"] == (last.normalize() - first.normalize()).days + 1 == 166
    assert got["lines"] == len(DF) == 8
    assert got["invoices"] == DF["invoice"].nunique() == 7
    assert got["customers (with an id)"] == DF["customer_id"].nunique() == 3
    assert got["lines without a customer (guests)"] == f"{guests:,} ({guests / len(DF):.1%})" == "2 (25.0%)"
    assert got["products"] == DF["product_id"].nunique() == 3
    assert got["countries"] == DF["country"].nunique() == 3
    assert got["channels"] == DF["channel"].nunique() == 2
    assert got["revenue (sum of line amounts)"] == f"{DF['amount'].sum():,.2f}" == "89.50"


@pytest.mark.parametrize("period, freq", [("week", "W-SUN"), ("month", "M"), ("quarter", "Q")])
def test_lines_per_period(lines, period, freq):
    got = overview.lines_per_period(lines, period)
    start = DF["invoice_ts"].dt.to_period(freq).dt.start_time
    want = DF.groupby(start).agg(lines=("line_id", "size"), invoices=("invoice", "nunique"),
                                 customers=("customer_id", "nunique"), revenue=("amount", "sum"))
    assert list(got["period_start"]) == list(want.index)
    assert got["lines"].tolist() == want["lines"].tolist()
    assert got["invoices"].tolist() == want["invoices"].tolist()
    assert got["customers"].tolist() == want["customers"].tolist()
    assert got["revenue"].tolist() == pytest.approx(want["revenue"].tolist())
    assert got["lines"].sum() == len(DF)


def test_weeks_start_on_monday(lines):
    got = overview.lines_per_period(lines, "week")
    assert (got["period_start"].dt.dayofweek == 0).all()
    # lines 0-3 (Monday 30 January to Sunday 5 February) are one week
    assert got.loc[0, "period_start"] == pd.Timestamp("2023-01-30") and got.loc[0, "lines"] == 4


def _by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    key = df[column].astype(object).where(df[column].notna(), "(missing)")
    g = df.groupby(key).agg(lines=("line_id", "size"), customers=("customer_id", "nunique"),
                            revenue=("amount", "sum"))
    return g.sort_values("revenue", ascending=False)


@pytest.mark.parametrize("column", ["country", "channel", "category"])
def test_breakdown_all_values(lines, column):
    got = overview.breakdown(lines, column).set_index(column)
    want = _by(DF, column)
    assert list(got.index) == list(want.index)
    assert got["lines"].tolist() == want["lines"].tolist()
    assert got["customers"].tolist() == want["customers"].tolist()
    assert got["revenue"].tolist() == pytest.approx(want["revenue"].tolist())
    assert got["share_revenue"].tolist() == pytest.approx((want["revenue"] / DF["amount"].sum()).tolist())


def test_breakdown_sums_the_rest_as_other(lines):
    got = overview.breakdown(lines, "country", top=2)
    want = _by(DF, "country")            # DE 61.0, UK 23.0, (missing) 3.0, FR 2.5
    rest = want.iloc[1:]
    assert got["country"].tolist() == [want.index[0], f"other ({len(rest)})"] == ["DE", "other (3)"]
    assert got["lines"].tolist() == [want["lines"].iloc[0], rest["lines"].sum()]
    assert got["customers"].tolist() == [want["customers"].iloc[0], rest["customers"].sum()]
    assert got["revenue"].tolist() == pytest.approx([want["revenue"].iloc[0], rest["revenue"].sum()])
    assert got["share_revenue"].sum() == pytest.approx(1.0)


def test_missing_values(lines):
    got = overview.missing_values(lines).set_index("column")
    assert list(got.index) == list(LINE_COLUMNS)
    want = DF.isna().sum()
    assert got["missing"].tolist() == [int(want[c]) for c in LINE_COLUMNS]
    assert got["share"].tolist() == pytest.approx([want[c] / len(DF) for c in LINE_COLUMNS])
    assert got.loc["customer_id", "missing"] == 2 and got.loc["country", "missing"] == 1


def test_examples_by_status():
    status = pd.DataFrame({"line_id": DF["line_id"],
                           "status": ["kept", "duplicate", "kept", "duplicate", "duplicate", "non_product",
                                      "kept", "duplicate"]})
    got = overview.examples_by_status(DF, status, n=2)
    merged = DF.merge(status, on="line_id")
    removed = merged[merged["status"] != "kept"]
    want = [(s, i) for s, g in sorted(removed.groupby("status")) for i in sorted(g["line_id"])[:2]]
    assert list(zip(got["status"], got["line_id"])) == want == [("duplicate", 1), ("duplicate", 3),
                                                                 ("non_product", 5)]
    assert "kept" not in set(got["status"])
    assert got["amount"].tolist() == [3.0, 10.0, 3.0]
