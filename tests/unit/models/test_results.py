"""Tests for helpers.models.results: the FitResult base."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from helpers.models.results import FitResult


@dataclass
class Fit(FitResult):
    method: str
    params: pd.DataFrame


def test_values_from_the_parameter_table():
    fit = Fit("map", pd.DataFrame({"estimate": [0.5, 4], "se": [0.1, 1.0]}, index=["r", "alpha"]))
    assert fit.values == {"r": 0.5, "alpha": 4.0} and all(type(v) is float for v in fit.values.values())


def test_phrase_is_the_subclass_job():
    with pytest.raises(NotImplementedError):
        Fit("map", pd.DataFrame({"estimate": []})).phrase
