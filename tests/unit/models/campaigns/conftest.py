"""Fixtures of the campaign tests: the checked tables of the ten-customer fixture (tests/fixtures/campaign_tables.py)."""
from __future__ import annotations

import pytest

from tests.fixtures.campaign_tables import checked_tables


@pytest.fixture(scope="session")
def fx():
    return checked_tables()
