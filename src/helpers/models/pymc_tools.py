"""Shared helpers for the models fitted with pymc-marketing: its import, flat priors, quiet fits, and
PyTensor's compile cache.

Used by the CLV models (:mod:`helpers.models.clv`), the attribute-level BG/NBD of
:mod:`helpers.models.profiles` and the sBG of :mod:`helpers.models.contract_churn`.

**Compile cache.** PyTensor compiles each model graph to C once and keeps the result in its
``compiledir``; importing this module points that at :data:`COMPILE_DIR` (``data/pytensor/``
under the project) through the ``PYTENSOR_FLAGS`` environment variable, before pymc or pytensor is
imported (PyTensor reads the setting once, at its own import, and it cannot be changed after). Every
process that imports the models (notebook kernels, the batch runner, which also sets it for the
kernels it starts, tests) then shares one cache: a batch compiles each graph once. A
``base_compiledir`` or ``compiledir`` the user put in ``PYTENSOR_FLAGS`` is kept.
"""
from __future__ import annotations

import contextlib
import logging
import os
import warnings
from pathlib import Path

from helpers import paths

#: PyTensor's compile cache (its ``base_compiledir``; PyTensor adds a folder per platform and Python version)
COMPILE_DIR = paths.DATA / "pytensor"
#: the environment variable PyTensor reads its settings from
FLAGS_ENV = "PYTENSOR_FLAGS"


def compile_cache_flags(flags: str, folder: Path = COMPILE_DIR) -> str:
    """``flags`` (a ``PYTENSOR_FLAGS`` value, comma-separated ``key=value``) with ``base_compiledir`` set to
    ``folder``, unless it already sets ``base_compiledir`` or ``compiledir``."""
    keys = {item.split("=", 1)[0].strip() for item in flags.split(",") if "=" in item}
    if keys & {"base_compiledir", "compiledir"}:
        return flags
    return ",".join(f for f in (flags.strip(" ,"), f"base_compiledir={folder}") if f)


def use_project_compile_cache(environ=None) -> bool:
    """Point PyTensor's compile cache at :data:`COMPILE_DIR` in ``environ`` (default ``os.environ``, which
    child processes such as notebook kernels inherit). Returns False, changing nothing, when the folder
    cannot be created or written; in this process the setting only takes effect if pytensor is not
    imported yet (``"pytensor" in sys.modules``)."""
    env = os.environ if environ is None else environ
    try:
        COMPILE_DIR.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(COMPILE_DIR, os.W_OK):
        return False
    env[FLAGS_ENV] = compile_cache_flags(env.get(FLAGS_ENV, ""))
    return True


use_project_compile_cache()


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
