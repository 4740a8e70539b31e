"""Complaint features up to a cut-off, and what they add to the churn models."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.models import voice


class TestComplaintFeatures:
    def test_only_feedback_up_to_the_cutoff(self, fb):
        # complaints (score 1-2): A on 03-01, B on 02-01, and one without a customer (f7)
        f = voice.complaint_features(fb, cutoff=dt.date(2023, 2, 15)).set_index("customer_id")
        assert sorted(f.index) == ["A", "B", "C", "D"]                      # E writes in December
        assert f.loc["A"].tolist() == [1, 0, 0.0]                           # A's complaint comes later
        assert f.loc["B"].tolist() == [2, 1, 0.5]
        assert f.loc[["C", "D"], "reviews_before"].tolist() == [1, 1]

    def test_the_cutoff_day_counts(self, fb):
        f = voice.complaint_features(fb, cutoff=dt.date(2023, 3, 1)).set_index("customer_id")
        assert f.loc["A"].tolist() == [2, 1, 0.5]

@pytest.mark.slow
def test_complaint_churn_gain_on_the_default_shop():
    """Notebook 09, Step 8: both feature sets score the same test customers; the model with complaints
    sees the three features (their permutation importance is reported); the churn rates by group add
    up to the test set. Measured on the default shop: ROC-AUC gain within +-0.005 for both models."""
    from helpers.io import engine
    from helpers import paths, pipeline
    from helpers.models import churn

    prep = pipeline.open_run(paths.CONFIGS / "default.yaml", progress=False)
    fb = voice.check_feedback(prep.read("feedback"))
    train_cut, test_cut = churn.cutoffs(prep.end, horizon_days=90, data_start=prep.start)
    g = voice.complaint_churn_gain(prep.table(engine.connect(prep.config.engine)), fb, train_cutoff=train_cut,
                                   test_cutoff=test_cut, horizon_days=90, has=prep.has, n_boot=200)
    assert len(g.metrics) == 4 and set(g.metrics["features"]) == {"without", "with complaints"}
    assert set(voice.COMPLAINT_FEATURES) <= set(g.importance["feature"])
    assert g.rates["customers"].sum() == g.gain["n"].iloc[0]
    for r in g.gain.itertuples():
        assert r.low <= r.diff <= r.high and 0.6 < r.auc_b < 0.95
    # complainers bought and reviewed more, so their raw churn rate is lower (Step 8's caution)
    assert g.rates["churn_rate"].iloc[0] < g.rates["churn_rate"].iloc[1]
    assert not g.sampled and g.n_test == g.n_test_all             # the default shop is below MAX_CUSTOMERS
    # above the size limit: a seeded sample of that many customers at each cut-off, counted against everyone
    s = voice.complaint_churn_gain(prep.table(engine.connect(prep.config.engine)), fb, train_cutoff=train_cut,
                                   test_cutoff=test_cut, horizon_days=90, has=prep.has, n_boot=50, max_customers=800)
    assert s.sampled and s.n_test == 800 == s.gain["n"].iloc[0] and s.rates["customers"].sum() == 800
    assert (s.n_train_all, s.n_test_all) == (g.n_train_all, g.n_test_all) and g.n_test_all == g.n_test > 800


def test_try_complaint_churn_gain_returns_why_not(fb, lines):
    gain, err = voice.try_complaint_churn_gain(lines, fb, analysis_date=dt.date(2023, 12, 31),
                                               data_start=dt.date(2023, 12, 1), horizon_days=90)
    assert gain is None and isinstance(err, ValueError)
