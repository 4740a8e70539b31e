"""Fixtures of the lifecycle tests: the hand-checked shop of ``tests/fixtures/lifecycle.py`` as lines and purchase days.

Test files that need other lines declare their own ``lines`` fixture, which takes precedence."""
from __future__ import annotations

import pytest

from helpers.features.stages import purchase_days
from tests.fixtures.lifecycle import END, lifecycle_lines


@pytest.fixture
def lines(duck):
    return lifecycle_lines(duck)


@pytest.fixture
def days(lines):
    return purchase_days(lines, analysis_date=END)
