"""The batch list: every notebook once, in an order where each runs after the notebooks it needs."""
from __future__ import annotations

import dataclasses

import pytest

from helpers import batch
from helpers.pipeline import OPTIONAL_TABLES
from tests.fixtures import ROOT


def test_the_batch_is_the_numbered_notebooks_in_file_order():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
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


def test_the_notebooks_that_read_the_clean_lines_need_the_cleaning_notebook():
    for step in batch.BATCH:
        if "lines" in step.requires and step.name != "01_data_cleaning":
            assert "01_data_cleaning" in step.needs, step.name


def test_only_the_last_notebook_waits_for_all_the_others():
    assert [s.name for s in batch.BATCH if s.after_all] == ["90_executive_summary"]


def test_a_step_reads_the_lines_and_needs_nothing_unless_told():
    s = batch.Step("99_new")
    assert (s.needs, s.requires, s.after_all) == ((), ("lines",), False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"                                             # type: ignore[misc]
