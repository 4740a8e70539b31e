"""Tests for helpers.analyses.holdout: hand-checked holdout forecasts, accuracy metrics and checks."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analyses import holdout as H
from helpers.errors import DataError


def calhold_fixture() -> pd.DataFrame:
    """Four customers, a 10-week holdout; mean repeat spend in GBP."""
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D"],
        "frequency": [0, 1, 4, 7],
        "recency": [0.0, 5.0, 18.0, 19.0],
        "T": [10.0, 20.0, 20.0, 20.0],
        "monetary_value": [0.0, 10.0, 20.0, 5.0],
        "frequency_holdout": [1, 0, 2, 3],
        "monetary_value_holdout": [30.0, 0.0, 25.0, 4.0],
        "duration_holdout": [10.0] * 4,
    })


class TestHoldoutForecasts:
    def test_by_hand(self):
        f = H.holdout_forecasts(calhold_fixture(), [0.5, 0.4, 1.5, 3.0], [30.0, 12.0, 20.0, 5.0])
        # past rate x / T * h: 0, 0.5, 2, 3.5
        assert f["purchases_past rate"].tolist() == [0.0, 0.5, 2.0, 3.5]
        # spend: actual = purchases x holdout mean: 30, 0, 50, 12; past rate spend x own mean: 0, 5, 40, 17.5
        assert f["actual_spend"].tolist() == [30.0, 0.0, 50.0, 12.0]
        assert f["spend_past rate"].tolist() == [0.0, 5.0, 40.0, 17.5]
        assert f["spend_model"].tolist() == pytest.approx([15.0, 4.8, 30.0, 15.0])
        assert list(f["bucket"].astype(str)) == ["0", "1", "3-5", "6+"]

    def test_first_seen_on_last_day(self):
        c = calhold_fixture()
        c.loc[0, "T"] = 0.0
        assert H.holdout_forecasts(c, [0.5, 0.4, 1.5, 3.0])["purchases_past rate"].iloc[0] == 0.0

    def test_errors(self):
        with pytest.raises(DataError, match="duration_holdout"):
            H.holdout_forecasts(calhold_fixture().drop(columns="duration_holdout"), [0, 0, 0, 0])
        with pytest.raises(DataError, match="4 customers"):
            H.holdout_forecasts(calhold_fixture(), [1.0, 2.0])
        with pytest.raises(DataError, match="negative"):
            H.holdout_forecasts(calhold_fixture(), [1.0, -2.0, 0, 0])
        bad = calhold_fixture()
        bad.loc[1, "T"] = 0.0
        with pytest.raises(DataError, match="T < 0, or repeat purchases"):
            H.holdout_forecasts(bad, [0, 0, 0, 0])


class TestHoldoutAccuracy:
    def test_by_hand(self):
        acc = H.holdout_accuracy(H.holdout_forecasts(calhold_fixture(), [0.5, 0.4, 1.5, 3.0], [30.0, 12.0, 20.0, 5.0]))
        row = acc.set_index(["target", "bucket", "forecast"])
        # model purchase errors: -0.5, 0.4, -0.5, 0.0
        m = row.loc[("purchases", "all", "model")]
        assert m["mae"] == pytest.approx(1.4 / 4)
        assert m["rmse"] == pytest.approx(math.sqrt((0.25 + 0.16 + 0.25) / 4))
        assert m["bias"] == pytest.approx(-0.6 / 4)
        # zero forecast: errors -1, 0, -2, -3
        z = row.loc[("purchases", "all", "zero")]
        assert (z["mae"], z["bias"]) == (pytest.approx(1.5), pytest.approx(-1.5))
        assert z["rmse"] == pytest.approx(math.sqrt(14 / 4))
        # past-rate spend errors: -30, 5, -10, 5.5
        p = row.loc[("spend", "all", "past rate")]
        assert p["mae"] == pytest.approx(50.5 / 4) and p["bias"] == pytest.approx(-29.5 / 4)
        # bucket "6+" holds customer D only: model error 0
        assert row.loc[("purchases", "6+", "model"), "mae"] == 0.0
        assert "2" not in set(acc["bucket"])          # no customer with 2 repeat purchases

    def test_without_spend_model(self):
        acc = H.holdout_accuracy(H.holdout_forecasts(calhold_fixture(), [0.5, 0.4, 1.5, 3.0]))
        assert not ((acc["target"] == "spend") & (acc["forecast"] == "model")).any()
        assert ((acc["target"] == "spend") & (acc["forecast"] == "zero")).any()

    def test_checks_pass_and_fail(self):
        acc = H.holdout_accuracy(H.holdout_forecasts(calhold_fixture(), [0.5, 0.4, 1.5, 3.0], [30.0, 12.0, 20.0, 5.0]))
        checks = {c.name: c for c in H.holdout_checks(acc)}
        assert checks["purchases: model RMSE below the zero forecast's"].passed
        # a model that forecasts 10 for everyone is worse than zero
        bad = H.holdout_accuracy(H.holdout_forecasts(calhold_fixture(), [10.0] * 4))
        worse = {c.name: c for c in H.holdout_checks(bad)}
        assert not worse["purchases: model RMSE below the zero forecast's"].passed
        assert not worse["total purchases in the holdout: predicted vs actual (relative error)"].passed


def test_a_holdout_without_purchases_is_not_scored():
    """Nobody bought in the holdout: no accuracy table and no checks (a forecast of nothing would score an RMSE of
    0), only the note that accuracy cannot be judged."""
    from types import SimpleNamespace

    note = "The holdout has no purchase: accuracy cannot be judged."
    empty = SimpleNamespace(fit=object(), calhold=calhold_fixture().assign(frequency_holdout=0), notes=[note])
    val, forecasts, accuracy, checks = H.holdout_validation(None, start=None, end=None, holdout_months=6,
                                                            time_unit="W", val=empty)
    assert (val.notes, forecasts, accuracy, checks) == ([note], None, None, [])


def test_the_notes_of_the_spend_fit_go_to_the_returned_validation_not_the_callers(monkeypatch):
    """The validation handed in is often the run's stored one (``fitted.clv_holdout``): the spend fit's notes go to
    the returned copy, so reading the stored one again, or scoring it twice, never repeats a note."""
    from types import SimpleNamespace

    import numpy as np

    from helpers.models import clv
    from helpers.models.clv.holdout import Validation
    from helpers.phrase import Phrase

    ch = calhold_fixture()
    no_spend = SimpleNamespace(attempts=("planted",), source=SimpleNamespace(phrase="the spend model failed"))
    monkeypatch.setattr(clv, "expected_purchases", lambda fit, data, t: pd.Series([1.0, 0.5, 2.0, 3.0]))
    monkeypatch.setattr(clv, "fit_spend_chain", lambda data: no_spend)
    monkeypatch.setattr(clv, "expected_spend", lambda fit, data: pd.Series([np.nan] * len(data)))
    first = Phrase("clv_note_no_holdout_purchase", start="2023-10-01", end="2023-12-31", n=4)
    stored = Validation(None, 70, object(), ch, None, None, None, [first])
    for _ in range(2):
        val, forecasts, accuracy, checks = H.holdout_validation(None, start=None, end=None, holdout_months=6,
                                                                time_unit="W", val=stored)
        assert stored.notes == [first]
        assert [n.key for n in val.notes] == ["clv_note_no_holdout_purchase", "clv_note_calibration_spend",
                                              "clv_note_calibration_no_spend"]
        assert accuracy is not None and forecasts is not None
