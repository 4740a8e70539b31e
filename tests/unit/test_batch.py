"""The batch's declared artefacts: each notebook's needs follow from what it reads and what the others write."""
from __future__ import annotations

from helpers import batch
from helpers.batch import BATCH, NOTEBOOKS, Step


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
