"""Fixtures of the synthetic-shop tests: one small shop (1,500 customers) shared by the files of
this folder, and a mid-sized one (30,000 customers) for the slow recovery tests."""
from __future__ import annotations

import pytest

from tests.fixtures.synth import make_shop


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("synth") / "shop", customers=1500, seed=7)


@pytest.fixture(scope="session")
def extra(shop):
    return shop["extra"]


@pytest.fixture(scope="session")
def mid(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("mid") / "shop", customers=30_000, seed=13)
