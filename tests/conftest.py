"""Shared fixtures: engines, the hand-checkable line fixture, and the shared-data folder; the hypothesis
profiles; and how ``make test`` hands the tests to its xdist workers (:data:`HEAVY`)."""
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

#: The work units of ``make test`` (``--dist loadgroup --no-loadscope-reorder``) that execute notebooks, longest
#: first: (start of the test ids, unit name, minutes on a quiet 2-core machine as ``--durations`` measured them).
#: Each is handed to one worker as a whole, before any other unit, so the long ones never start last while the
#: other worker has nothing left; every other test module is one unit, as with ``--dist loadfile``, so its
#: module-scoped fixtures are built once. Update the minutes when a unit's ``--durations`` change a lot.
HEAVY = [
    ("tests/notebooks/test_batch_full.py::", "masked-shop-batch", 5.0),
    ("tests/notebooks/test_notebooks.py::test_notebook_runs_under_nbval", "nbval", 4.0),
    ("tests/unit/test_i18n.py::test_a_turkish_batch_has_no_english_glossary_labels", "turkish-batch", 3.0),
    ("tests/notebooks/test_exercises.py::test_course_pack_contents", "course-pack", 2.5),
    ("tests/notebooks/test_exercises.py::test_every_solution_check_is_right", "course-pack", 2.5),
    ("tests/notebooks/test_exercises.py::test_every_student_notebook_runs", "course-pack", 2.5),
    ("tests/notebooks/test_batch_failure.py::", "failed-batch", 1.5),
    ("tests/notebooks/test_markup_injection.py::TestRawCustomerIds::", "raw-id-batch", 1.0),
]


def work_unit(nodeid: str) -> tuple[str, float]:
    """The ``make test`` work unit of a test and its minutes: its :data:`HEAVY` unit, else its module (0)."""
    for start, unit, minutes in HEAVY:
        if nodeid.startswith(start):
            return unit, minutes
    return nodeid.split("::", 1)[0], 0.0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under ``--dist loadgroup``: each test joins its :func:`work_unit` (an ``xdist_group``), and the units run
    longest first, the others in collection order. Before xdist's own hook, which reads the groups."""
    if not config.pluginmanager.hasplugin("xdist") or config.getoption("dist", "no") != "loadgroup":
        return
    units = {}
    for item in items:
        unit, minutes = work_unit(item.nodeid)
        item.add_marker(pytest.mark.xdist_group(unit))
        units.setdefault(unit, (-minutes, len(units)))
    items.sort(key=lambda item: units[work_unit(item.nodeid)[0]])


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
