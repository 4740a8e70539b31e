"""Shared helpers for the models fitted with pymc-marketing: its import, flat priors, and quiet fits.

Used by the CLV models (:mod:`helpers.models.clv`), the attribute-level BG/NBD of
:mod:`helpers.models.profiles` and the sBG of :mod:`helpers.models.contract_churn`.
"""
from __future__ import annotations

import contextlib
import logging
import warnings


def pymc_clv():
    """pymc-marketing's clv module, imported on first use (it takes seconds) without its import chatter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pymc_marketing.clv as pmc
    return pmc


def flat_priors(names) -> dict:
    """A pymc-marketing ``model_config`` with a ``HalfFlat`` prior on each parameter in ``names``:
    the MAP estimate is then the maximum-likelihood estimate (see :mod:`helpers.models.clv`)."""
    from pymc_extras.prior import Prior

    return {k: Prior("HalfFlat") for k in names}


@contextlib.contextmanager
def quiet():
    """Silence pymc / pytensor chatter (progress, deprecation and runtime warnings) during a fit."""
    loggers = [logging.getLogger(n) for n in ("pymc", "pymc.sampling", "pytensor", "pymc_marketing")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, lv in zip(loggers, levels):
                lg.setLevel(lv)
