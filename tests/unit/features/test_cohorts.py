"""Customer-periods, cohort tables and matrices against hand computation and plain pandas on the lifecycle shop
(tests/fixtures/lifecycle.py)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.features import cohorts, lifecycle
from tests.fixtures import make_lines
from tests.fixtures.lifecycle import END, ROWS



class TestCohortTable:
    def test_by_hand(self, lines):
        c = cohorts.cohort_table(lines, period="month", analysis_date=END)
        jan = c[c["cohort"] == "2023-01"]
        assert jan["age"].tolist() == [0, 1, 2, 3] and (jan["cohort_size"] == 2).all()
        assert jan["retention"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.5])   # A in Feb and Apr; nobody in Mar
        assert jan["cumulative_revenue_per_customer"].tolist() == pytest.approx([10.0, 20.0, 20.0, 35.0])
        mar = c[c["cohort"] == "2023-03"]                                          # D and G
        assert mar["retention"].tolist() == pytest.approx([1.0, 0.5])
        assert mar["revenue_per_customer"].tolist() == pytest.approx([17.0, 8.5])
        assert len(c) == 4 + 3 + 2 + 1

    def test_consistent_with_the_kpi_table(self, lines):
        """Active customers of all cohorts in a period = active customers of the KPI table."""
        c = cohorts.cohort_table(lines, period="month", analysis_date=END)
        k = lifecycle.kpi_table(lines, period="month", analysis_date=END)
        per_period = c.assign(p=c["cohort_index"] + c["age"]).groupby("p")["active"].sum()
        assert per_period.tolist() == k["active"].tolist()
        assert c[c["age"] == 0]["cohort_size"].tolist() == k["new"].tolist()

    def test_matrix(self, lines):
        m = cohorts.cohort_matrix(cohorts.cohort_table(lines, period="month", analysis_date=END), "retention")
        assert m.shape == (4, 4) and np.isnan(m.loc["2023-04", 1])
        assert cohorts.cohort_matrix(cohorts.cohort_table(lines, period="month", analysis_date=END), last=2).index.tolist() == \
            ["2023-03", "2023-04"]



class TestCustomerPeriods:
    def test_orders_and_revenue_per_customer_and_month_as_plain_pandas(self, lines):
        got = cohorts.customer_periods(lines, period="month", analysis_date=END).execute()
        jan = got["period_index"].min()                              # A and B start in January
        got = got.assign(month=got["period_index"] - jan + 1).set_index(["customer_id", "month"]).sort_index()
        df = make_lines(ROWS)
        df = df[df["customer_id"].notna() & (df["invoice_ts"].dt.date <= END)]
        expected = (df.groupby(["customer_id", df["invoice_ts"].dt.month.rename("month")])
                    .agg(orders=("invoice", "nunique"), revenue=("amount", "sum")).sort_index())
        assert got.index.tolist() == expected.index.tolist()
        assert got["orders"].tolist() == expected["orders"].tolist()
        assert got["revenue"].tolist() == pytest.approx(expected["revenue"].tolist())
        assert got.loc[("B", 1), "orders"] == 2                      # two invoices on one day are two orders

    def test_previous_period_and_cohort(self, lines):
        got = cohorts.customer_periods(lines, period="month", analysis_date=END).execute()
        a = got[got["customer_id"] == "A"].sort_values("period_index")
        # A: January, February, April (May is after the analysis date)
        assert (a["period_index"] - a["period_index"].min()).tolist() == [0, 1, 3]
        assert pd.isna(a["prev_index"].iloc[0]) and (a["prev_index"].iloc[1:] == a["period_index"].iloc[:-1].values).all()
        assert (a["cohort_index"] == a["period_index"].min()).all()
        g = got[got["customer_id"] == "G"]                           # first order in March
        assert (g["cohort_index"] - a["cohort_index"].iloc[0] == 2).all()
        assert got["customer_id"].notna().all() and len(got) == 12   # A 3 + B 1 + C 3 + D 1 + E 1 + F 1 + G 2; no guest


class TestPartialCells:
    def test_only_the_cells_of_an_unfinished_period_are_partial(self, lines):
        done = cohorts.cohort_table(lines, period="month", analysis_date=END)
        assert not done["partial"].any()                             # April 30 ends April
        c = cohorts.cohort_table(lines, period="month", analysis_date=dt.date(2023, 4, 25))
        assert c.loc[c["partial"], "cohort"].tolist() == ["2023-01", "2023-02", "2023-03", "2023-04"]
        assert (c.loc[c["partial"], "cohort_index"] + c.loc[c["partial"], "age"]).nunique() == 1

    def test_no_order_before_the_analysis_date_gives_an_empty_table(self, lines):
        c = cohorts.cohort_table(lines, period="month", analysis_date=dt.date(2022, 12, 31))
        assert c.empty and "retention" in c.columns
