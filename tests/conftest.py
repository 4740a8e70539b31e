"""Shared fixtures: engines, the hand-checkable line fixture, the shared-data folder and the notebook batches
(:func:`english_batch`, :func:`turkish_batch`); the hypothesis profiles; and the order in which ``make test``
hands the tests to its xdist workers (:data:`HEAVY`, :func:`lanes`)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from helpers import paths

from helpers.io import schema
from helpers.config import EngineConfig
from tests.fixtures import AUDIT_ROWS, LOCAL_SPARK, make_lines

# Hypothesis: "ci" (set HYPOTHESIS_PROFILE=ci; `make test` does) keeps no example database (CI starts from a
# clean checkout) and prints the blob that replays a failure. The number of examples stays each test's own
# ``@settings(max_examples=...)``: a profile cannot lower it, and lowering it would check less.
settings.register_profile("ci", database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: The heavy groups, with their CPU minutes (``--durations`` and process times, December 2026, 2-core machine): the tests that
#: read one of the shared notebook builds (by the name of its session fixture), that execute notebooks themselves
#: (by the start of their test ids), or that need the Spark session (marker ``spark``: one JVM, on one worker).
#: Every test of a group is ``slow``.
HEAVY = {
    "english_batch": 4.9,
    "turkish_batch": 5.0,
    "spark": 4.0,
    "nbval_run": 3.6,
    "failed_run": 1.9,
    "tests/unit/test_fitted.py::": 1.5,
    "pack": 1.1,
    "tests/unit/runner/test_run.py::": 1.1,
    "id_run": 0.7,
}


def heavy_group(item) -> str | None:
    """The :data:`HEAVY` group a test belongs to, if any: the first whose fixture it uses, whose marker it carries
    or whose id it starts with."""
    return next((g for g in HEAVY if g in item.fixturenames or item.get_closest_marker(g)
                 or ("::" in g and item.nodeid.startswith(g))), None)


def lanes(groups: dict[str, list], light: list, workers: int) -> list[list]:
    """The tests as ``workers`` lanes: the heavy groups dealt out longest first, each to the lane with the fewest
    minutes so far (a group stays in one lane: its build runs on the worker that reads it), each lane's heavy
    tests first; then the other tests in collection order, as many per lane as ``--dist worksteal`` hands each
    worker at the start (len // workers left), so each worker starts on its own lane."""
    minutes, heavy = [0.0] * workers, [[] for _ in range(workers)]
    for g in sorted(groups, key=lambda g: -HEAVY[g]):
        i = minutes.index(min(minutes))
        minutes[i] += HEAVY[g]
        heavy[i] += groups[g]
    out, left, rest = [], sum(len(h) for h in heavy) + len(light), list(light)
    for i in range(workers):
        size = left // (workers - i)
        take = max(0, size - len(heavy[i]))
        lane, rest = heavy[i] + rest[:take], rest[take:]
        out.append(lane)
        left -= len(lane)
    out[-1] += rest
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test of a :data:`HEAVY` group is ``slow`` (``make test-fast`` leaves it out), whether or not its
    module says so. In xdist workers, the tests in the order ``--dist worksteal`` hands out, as :func:`lanes`
    (every worker sorts the same collection the same way, as xdist requires): each worker starts with its own
    heavy groups, so the two long batches build at the same time on different workers and no test waits for a
    build running on another worker; stealing at the end takes the other workers' last, light tests. A run
    without workers keeps the collection order."""
    groups: dict[str, list] = {}
    light = []
    for item in items:
        g = heavy_group(item)
        if g:
            item.add_marker(pytest.mark.slow)
        (groups.setdefault(g, []) if g else light).append(item)
    if hasattr(config, "workerinput"):
        items[:] = [item for lane in lanes(groups, light, int(config.workerinput.get("workercount", 1))) for item in lane]


@pytest.fixture(scope="session")
def duck():
    from helpers.io.engine import connect

    return connect(EngineConfig(backend="duckdb"))


@pytest.fixture(scope="session")
def spark_con():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17) on PATH; none found")
    from helpers.io.engine import connect

    return connect(LOCAL_SPARK)


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the project; the test is skipped with a reason when it is absent."""
    if not paths.SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {paths.SHARED_DATA} is absent (it sits beside the project in CI)")
    return paths.SHARED_DATA


@pytest.fixture
def audit_lines() -> pd.DataFrame:
    return make_lines(AUDIT_ROWS)


# ------------------------------------------------------------------------------ the notebook batches

@dataclass(frozen=True)
class EnglishBatch:
    """The English batch (:func:`english_batch`): the config it ran, its reports folder, both runs' exit codes and
    run folders (``run`` is the second, latest run)."""
    config: Path
    reports: Path
    first_code: int
    second_code: int
    first_run: Path
    run: Path


@dataclass(frozen=True)
class TurkishBatch:
    """The Turkish batch (:func:`turkish_batch`): the full run's reports folder, run folder and exit code; the
    sales-lines-only run's reports folder and exit code; the prepared data folders of both."""
    reports: Path
    run: Path
    code: int
    bare_reports: Path
    bare_code: int
    bare_config: Path
    prepared: tuple[Path, ...]


@pytest.fixture(scope="session")
def english_batch(tmp_path_factory) -> EnglishBatch:
    """The whole batch in English, run once per test session (shared by the xdist workers), for every test that
    reads English pages or artefacts of a complete run: ask for ``english_batch`` in any test module.

    The shop: the tiny synthetic shop (300 customers, a year) as a user's parquet files, with its optional tables
    (campaign exposures and responses, reviews, demographics), so every notebook runs except the contract one,
    which skips with a note. Customer ids are rewritten to ``ZQ<id>X`` and masking is on (no raw id may reach any
    file); every other text column starts with the markup payloads of ``tests/fixtures/markup.py``
    (``tests.fixtures.batches.POISONED``). The batch runs twice into one reports folder: ``first_run``, then
    ``run`` (the latest), which reuses the notebooks whose inputs did not change and reports the changes since
    the first. Treat the folders as read-only: other tests read them too."""
    from tests.fixtures.batches import build_english_batch, build_once

    r = build_once(tmp_path_factory, "english_batch", build_english_batch)
    return EnglishBatch(Path(r["config"]), Path(r["reports"]), r["first_code"], r["second_code"], Path(r["first_run"]),
                        Path(r["run"]))


@pytest.fixture(scope="session")
def turkish_batch(tmp_path_factory) -> TurkishBatch:
    """The whole batch in Turkish (``--set language=tr``, ``--force``) on the tiny config (``tests/fixtures/configs/
    tiny.yaml``, optional tables included), and a Turkish run of its sales lines alone through 01, 08, 09, 10 and
    90 (campaign, review and profile notebooks skipped with a note): run once per test session, shared by both
    xdist workers. Treat the folders as read-only: other tests read them too."""
    from tests.fixtures.batches import build_once, build_turkish_batch, run_dir

    r = build_once(tmp_path_factory, "turkish_batch", build_turkish_batch)
    return TurkishBatch(Path(r["full"]), run_dir(Path(r["full"])), r["code"], Path(r["bare"]), r["bare_code"],
                        Path(r["bare_config"]), tuple(Path(p) for p in r["prepared"]))
