"""What a run records about itself: notebook results, whether the run is ok, and the statuses it publishes."""
from __future__ import annotations

import json
from dataclasses import asdict

from helpers.runner.results import NotebookResult, RunResult, statuses


def test_a_new_notebook_result_is_pending_with_nothing_recorded():
    res = NotebookResult("01_x")
    assert (res.status, res.seconds, res.error, res.key, res.blocked) == ("pending", 0.0, None, None, False)
    assert res.blocked_by == [] and res.missing_tables == []
    assert res.blocked_by is not NotebookResult("02_y").blocked_by            # no list shared between results


def test_a_notebook_result_round_trips_through_json():
    res = NotebookResult("93_needs_92", "skipped", 1.25, error="needs 92_fails", html=None, business_html=None,
                         reused_from="tiny-1", key="ab" * 32, blocked=True, blocked_by=["92_fails"],
                         missing_tables=["exposures"])
    text = json.dumps(asdict(res))
    assert json.loads(text)["blocked_by"] == ["92_fails"] and json.loads(text)["seconds"] == 1.25
    assert NotebookResult(**json.loads(text)) == res
    assert list(json.loads(text)) == ["name", "status", "seconds", "error", "html", "business_html", "reused_from",
                                      "key", "blocked", "blocked_by", "missing_tables"]


def test_a_run_is_ok_when_it_has_notebooks_and_none_failed():
    assert not RunResult("empty").ok
    assert RunResult("r", notebooks=[NotebookResult("a", "ok"), NotebookResult("b", "skipped")]).ok
    assert not RunResult("r", notebooks=[NotebookResult("a", "ok"), NotebookResult("b", "failed")]).ok
    assert RunResult("r").folder is None and RunResult("r").notebooks == []


def test_statuses_are_the_published_fields_in_batch_order_and_do_not_share_lists():
    nbs = [NotebookResult("92_fails", "failed", 3.0, error="RuntimeError: x", key="k"),
           NotebookResult("93_needs_92", "skipped", error="needs 92_fails", blocked=True, blocked_by=["92_fails"]),
           NotebookResult("08_campaigns", "skipped", missing_tables=["exposures"])]
    out = statuses(nbs)
    assert out == [
        {"name": "92_fails", "status": "failed", "error": "RuntimeError: x", "blocked_by": [], "missing_tables": []},
        {"name": "93_needs_92", "status": "skipped", "error": "needs 92_fails", "blocked_by": ["92_fails"],
         "missing_tables": []},
        {"name": "08_campaigns", "status": "skipped", "error": None, "blocked_by": [], "missing_tables": ["exposures"]}]
    out[1]["blocked_by"].append("changed")
    assert nbs[1].blocked_by == ["92_fails"]
    assert json.loads(json.dumps(out)) == out
