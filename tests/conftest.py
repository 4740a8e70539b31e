"""Shared fixtures: engines, the hand-checkable line fixture, and the shared-data folder; the hypothesis
profiles; and the order in which ``make test`` hands the test modules to its xdist workers (:data:`HEAVY`)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from helpers import paths

from helpers.io import schema
from helpers.config import EngineConfig
from tests.fixtures import AUDIT_ROWS, make_lines

# Hypothesis: "ci" (set HYPOTHESIS_PROFILE=ci; `make test` does) keeps no example database (CI starts from a
# clean checkout) and prints the blob that replays a failure. The number of examples stays each test's own
# ``@settings(max_examples=...)``: a profile cannot lower it, and lowering it would check less.
settings.register_profile("ci", database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: The tests that execute notebooks, by the start of their test ids, with their minutes: CPU time measured with
#: ``--durations`` one file at a time (December 2026, busy machine; about the wall time on a quiet one).
#: ``make test`` (``--dist loadfile --no-loadscope-reorder``) hands each test module to one worker as a whole, so
#: its module fixtures are built once, in the order :func:`pytest_collection_modifyitems` leaves them: the
#: modules holding these tests first, most minutes first, and these tests first in their module. So no long
#: batch starts last while the other worker has nothing left, and a worker is handed its next module (xdist
#: does that once it has two tests or fewer left) only when its batch is nearly done.
HEAVY = {
    "tests/notebooks/test_batch_full.py::": 5.5,
    "tests/notebooks/test_turkish_pages.py::test_every_turkish_page_is_turkish": 5.2,
    "tests/unit/test_i18n.py::test_a_turkish_batch_has_no_english_glossary_labels": 4.8,
    "tests/notebooks/test_notebooks.py::test_notebook_runs_under_nbval": 3.9,
    "tests/notebooks/test_exercises.py::test_course_pack_contents": 1.3,
    "tests/notebooks/test_exercises.py::test_every_student_notebook_runs": 0.6,
    "tests/notebooks/test_exercises.py::test_cdnow_pack": 0.2,
    "tests/notebooks/test_exercises.py::test_turkish_pack": 0.1,
    "tests/notebooks/test_batch_failure.py::": 2.1,
    "tests/unit/runner/test_run.py::": 1.1,
    "tests/notebooks/test_markup_injection.py::TestRawCustomerIds::": 0.9,
}


def heavy_start(nodeid: str) -> str | None:
    """The :data:`HEAVY` entry a test belongs to, if any."""
    return next((start for start in HEAVY if nodeid.startswith(start)), None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """In an xdist worker: the modules with the most :data:`HEAVY` minutes first (the others in collection order),
    and a module's heavy tests before its other tests (each module's tests stay together). Every worker sorts
    the same collection the same way, as xdist requires; a run without workers keeps the collection order."""
    if not hasattr(config, "workerinput"):
        return
    heavy, first_seen = {}, {}
    for i, item in enumerate(items):
        module = item.nodeid.split("::", 1)[0]
        heavy.setdefault(module, set()).add(heavy_start(item.nodeid))
        first_seen.setdefault(module, i)
    minutes = {module: sum(HEAVY[start] for start in starts if start) for module, starts in heavy.items()}
    order = {id(item): i for i, item in enumerate(items)}

    def key(item):
        module = item.nodeid.split("::", 1)[0]
        return -minutes[module], first_seen[module], heavy_start(item.nodeid) is None, order[id(item)]

    items.sort(key=key)


@pytest.fixture(scope="session")
def duck():
    from helpers.io.engine import connect

    return connect(EngineConfig(backend="duckdb"))


@pytest.fixture(scope="session")
def spark_con():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17) on PATH; none found")
    from helpers.io.engine import connect

    return connect(EngineConfig(backend="spark", spark_master="local[2]"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the project; the test is skipped with a reason when it is absent."""
    if not paths.SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {paths.SHARED_DATA} is absent (it sits beside the project in CI)")
    return paths.SHARED_DATA


@pytest.fixture
def audit_lines() -> pd.DataFrame:
    return make_lines(AUDIT_ROWS)
