"""The batch list: every notebook once, in an order where each runs after the notebooks it needs; each
notebook's needs follow from the artefacts it reads and the others write."""
from __future__ import annotations

import dataclasses

import pytest

from helpers import batch
from helpers.batch import BATCH, NOTEBOOKS, Step
from helpers.pipeline import OPTIONAL_TABLES
from tests.fixtures import ROOT


def test_the_batch_is_the_numbered_notebooks_in_file_order():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    assert batch.NOTEBOOKS == on_disk
    assert batch.NOTEBOOKS[0] == "00_start_here" and batch.NOTEBOOKS[-1] == "90_executive_summary"


def test_notebooks_is_the_names_of_the_steps():
    assert batch.NOTEBOOKS == [s.name for s in batch.BATCH]
    assert len(set(batch.NOTEBOOKS)) == len(batch.NOTEBOOKS)


def test_each_notebook_needs_only_notebooks_before_it():
    for i, step in enumerate(batch.BATCH):
        earlier = set(batch.NOTEBOOKS[:i])
        assert set(step.needs) <= earlier, f"{step.name} needs {set(step.needs) - earlier}, which run later"


def test_the_required_tables_are_lines_or_optional_tables():
    known = {"lines", *OPTIONAL_TABLES}
    for step in batch.BATCH:
        assert set(step.requires) <= known, step.name


def test_only_the_last_notebook_waits_for_all_the_others():
    assert [s.name for s in batch.BATCH if s.after_all] == ["90_executive_summary"]


def test_a_step_reads_the_lines_and_needs_nothing_unless_told():
    s = batch.Step("99_new")
    assert (s.needs, s.requires, s.after_all) == ((), ("lines",), False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"                                             # type: ignore[misc]


def test_every_artefact_a_notebook_needs_is_written_before_it_or_by_the_runner():
    assert batch.unproduced(BATCH) == {}
    assert batch.unproduced([Step("a", reads=("b/headline",)), Step("b", writes=("b/headline",))]) == {"a": ["b/headline"]}


def test_needs_follow_from_the_artefacts_read():
    """No notebook reads another's output except the summary, which uses whatever is there: no notebook is
    skipped because another one failed (the old edges to 01_data_cleaning were nominal)."""
    needs = batch.needs_of(BATCH)
    assert set(needs) == set(NOTEBOOKS)
    assert all(n == () for n in needs.values())
    steps = [Step("a", writes=("a/customers",)), Step("b", reads=("a/customers",)), Step("c", needs=("b",)),
             Step("d", reads=("*/customers",), writes=("d/customers",))]
    assert batch.needs_of(steps) == {"a": (), "b": ("a",), "c": ("b",), "d": ("a",)}


def test_the_summary_waits_for_every_notebook_that_publishes_and_reads_the_run_status():
    summary = BATCH[-1]
    assert summary.name == "90_executive_summary" and summary.after_all and "run_status" in summary.reads
    waits = batch.waits_of(BATCH)["90_executive_summary"]
    publishers = [s.name for s in BATCH if any(w.endswith(("/headline", "/customers")) for w in s.writes)]
    assert list(waits) == [p for p in publishers if p != "90_executive_summary"]
    assert "00_start_here" not in waits and "04_clv" in waits


def test_each_notebook_reads_prepared_data_and_writes_its_own_folder():
    for s in BATCH[1:]:
        assert all(w.startswith(f"{s.name}/") for w in s.writes), s.name
        assert f"{s.name}/headline" in s.writes, s.name
    assert batch.prepared("lines_clean") == ("prepared/lines_clean",)
    assert batch.producers("*/customers", BATCH)[:2] == ["02_lifecycle", "03_segmentation"]
    assert "01_data_cleaning" not in batch.producers("*/customers", BATCH)
