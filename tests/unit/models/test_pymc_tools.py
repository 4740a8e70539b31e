"""Tests for helpers.models.pymc_tools: quiet fits restore logging, flat priors, the pymc-marketing import, and
PyTensor's compile cache under data/."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from helpers import paths
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


class TestCompileCache:
    def test_flags_point_the_cache_under_data(self):
        assert pymc_tools.COMPILE_DIR.is_relative_to(paths.DATA)
        assert pymc_tools.compile_cache_flags("") == f"base_compiledir={pymc_tools.COMPILE_DIR}"
        assert pymc_tools.compile_cache_flags("floatX=float32,") == \
            f"floatX=float32,base_compiledir={pymc_tools.COMPILE_DIR}"

    def test_a_compile_dir_the_user_chose_is_kept(self):
        for flags in ("compiledir=/tmp/mine", "floatX=float64, base_compiledir=/tmp/mine"):
            assert pymc_tools.compile_cache_flags(flags) == flags

    def test_set_in_the_environment_children_inherit(self):
        env = {"PYTENSOR_FLAGS": "floatX=float64"}
        assert pymc_tools.use_project_compile_cache(env)
        assert env["PYTENSOR_FLAGS"] == f"floatX=float64,base_compiledir={pymc_tools.COMPILE_DIR}"
        assert pymc_tools.COMPILE_DIR.is_dir()

    @pytest.mark.slow
    def test_pytensor_compiles_under_data_in_a_fresh_process(self):
        """Importing the models before pymc (as notebooks and the runner do) is enough: pytensor's compiledir
        is then under the project's data/pytensor/."""
        code = ("import helpers.models.clv, pytensor; "
                "print(pytensor.config.base_compiledir); print(pytensor.config.compiledir)")
        env = {k: v for k, v in os.environ.items() if k != "PYTENSOR_FLAGS"}
        env["PYTHONPATH"] = os.pathsep.join([str(paths.PACKAGE.parent), env.get("PYTHONPATH", "")])
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        base, compiledir = (Path(line) for line in out.stdout.split())
        assert base == pymc_tools.COMPILE_DIR
        assert compiledir.resolve().is_relative_to(paths.DATA.resolve())
