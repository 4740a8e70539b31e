"""Cohort tables and matrices against hand computation on the lifecycle shop (tests/fixtures/lifecycle.py)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.features import cohorts, lifecycle
from tests.fixtures.lifecycle import END



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

