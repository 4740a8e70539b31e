"""Tests for helpers.models.pymc_tools: quiet fits restore logging, flat priors, the pymc-marketing import."""
from __future__ import annotations

import logging
import warnings

import pytest

from helpers.models import pymc_tools


def test_quiet_silences_and_restores_even_when_the_fit_fails():
    log = logging.getLogger("pymc")
    before = log.level
    log.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(RuntimeError, match="a fit that fails"), pymc_tools.quiet():
                assert log.level == logging.ERROR
                warnings.warn("chatter", DeprecationWarning)      # ignored inside, an error outside
                raise RuntimeError("a fit that fails")
            with pytest.raises(DeprecationWarning):
                warnings.warn("chatter", DeprecationWarning)
        assert log.level == logging.INFO
    finally:
        log.setLevel(before)


@pytest.mark.slow
def test_flat_priors_and_the_clv_module():
    priors = pymc_tools.flat_priors(("r", "alpha"))
    assert list(priors) == ["r", "alpha"] and all(p.distribution == "HalfFlat" for p in priors.values())
    assert hasattr(pymc_tools.pymc_clv(), "BetaGeoModel")
