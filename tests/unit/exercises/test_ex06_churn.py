"""Stage ex06 (churn): the expected answers against churn labels, recency and AUC computed here from the
clean lines of the tiny run (cut-off = 2023-12-31 minus 90 days = 2023-10-02)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from helpers import exercises
from helpers.exercises import ex06_churn
from tests.fixtures import ROOT

CUTOFF = pd.Timestamp("2023-10-02")


@pytest.fixture(scope="module")
def labelled(prep):
    """Per customer seen by the cut-off: recency at the cut-off (days) and churned (no purchase in the 90 days after)."""
    lines = prep.lines().dropna(subset=["customer_id"])
    day = lines["invoice_ts"].dt.normalize()
    before = lines[day <= CUTOFF].assign(day=day)
    after = set(lines.loc[(day > CUTOFF) & (day <= CUTOFF + pd.Timedelta(days=90)), "customer_id"])
    out = pd.DataFrame({"recency": (CUTOFF - before.groupby("customer_id")["day"].max()).dt.days})
    out["churned"] = (~out.index.isin(after)).astype(int)
    return out


def test_the_stage_has_its_notebook_and_four_exercises():
    assert (ROOT / "notebooks" / "exercises" / f"{exercises.STAGES['ex06'][0]}.ipynb").is_file()
    assert len(exercises.stage_exercises("ex06")) == 4


def test_the_cutoff_is_ninety_days_before_the_end(prep, ctx):
    assert ex06_churn.cutoff(ctx) == prep.end - dt.timedelta(days=90) == CUTOFF.date()


def test_churn_rate_of_the_customers_seen_by_the_cutoff(labelled, answer, mistake):
    assert answer("ex06.churn_rate") == pytest.approx(labelled["churned"].mean())
    assert mistake("ex06.churn_rate", "retention") == pytest.approx(1 - labelled["churned"].mean())


def test_customers_active_at_the_cutoff(labelled, answer, mistake):
    assert answer("ex06.active_at_cutoff") == (labelled["recency"] < 365).sum()
    assert mistake("ex06.active_at_cutoff", "all_seen") == len(labelled)


def test_recency_at_the_cutoff_ranks_the_churners(labelled, answer, mistake):
    auc = roc_auc_score(labelled["churned"], labelled["recency"])
    assert answer("ex06.recency_auc") == pytest.approx(auc)
    assert mistake("ex06.recency_auc", "reversed") == pytest.approx(1 - auc)
    assert auc > 0.5                                                 # longer silence, more churn


def test_survival_to_half_a_year_is_a_share(answer, mistake):
    assert 0 < answer("ex06.survival") < 1
    assert 0 <= mistake("ex06.survival", "naive") <= 1
