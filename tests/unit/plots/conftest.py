"""The plot tests run in English, and leave the language as they found it."""
from __future__ import annotations

import pytest

from helpers import i18n


@pytest.fixture(autouse=True)
def english():
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)
