"""The scheduler: which notebook may start now, from the declared steps and the statuses so far (no I/O)."""
from __future__ import annotations

from helpers.batch import Step
from helpers.runner.schedule import Schedule


def simulate(schedule: Schedule, outcomes: dict[str, str], jobs: int) -> tuple[list[list[str]], dict[str, str]]:
    """Drive ``schedule`` as the runner does, finishing one running notebook (the oldest) per round with its
    outcome in ``outcomes`` (default ok) and exporting its page at once. Returns the notebooks started in each
    round and every notebook's final status."""
    pending, running, done, exported, status, rounds = list(schedule.order), [], set(), set(), {}, []
    while pending or running:
        unmet = {n for n, s in status.items() if s in ("failed", "blocked")}
        started = []
        for d in schedule.starts(pending, done=done, exported=exported, unmet=unmet, running=len(running), jobs=jobs):
            pending.remove(d.name)
            if d.run:
                running.append(d.name)
                started.append(d.name)
            else:
                status[d.name] = "blocked" if d.blocked_by else "skipped"
                done.add(d.name)
        rounds.append(started)
        if running:
            name = running.pop(0)
            status[name] = outcomes.get(name, "ok")
            done.add(name)
        exported |= set(schedule.exports(0, done))
    return rounds, status


def test_notebooks_start_in_batch_order_up_to_jobs_at_once():
    steps = [Step(n) for n in ("a", "b", "c", "d")]
    first = Schedule(steps, ["a", "b", "c", "d"], ["lines"]).starts(["a", "b", "c", "d"], done=(), exported=(),
                                                                     unmet=(), running=0, jobs=2)
    assert [(d.name, d.run) for d in first] == [("a", True), ("b", True)]
    rounds, status = simulate(Schedule(steps, ["a", "b", "c", "d"], ["lines"]), {}, jobs=2)
    assert rounds[0] == ["a", "b"] and rounds[1] == ["c"] and rounds[2] == ["d"]
    assert set(status.values()) == {"ok"}
    rounds, _ = simulate(Schedule(steps, ["a", "b", "c", "d"], ["lines"]), {}, jobs=1)
    assert rounds == [["a"], ["b"], ["c"], ["d"]]
    assert Schedule(steps, ["a", "b"], ["lines"]).starts(["b"], done={"a"}, exported=(), unmet=(), running=3,
                                                          jobs=3) == []


def test_a_consumer_waits_for_its_producer():
    steps = [Step("a", writes=("a/customers",)), Step("b", reads=("a/customers",)), Step("c")]
    sched = Schedule(steps, ["a", "b", "c"], ["lines"])
    assert sched.waits_for("b") == ["a"] and sched.waits_for("c") == []
    first = sched.starts(["a", "b", "c"], done=(), exported=(), unmet=(), running=0, jobs=3)
    assert [d.name for d in first] == ["a", "c"]                 # b waits, c starts beside a
    rounds, _ = simulate(sched, {}, jobs=3)
    assert rounds[1] == ["b"]


def test_a_reader_of_models_still_being_fitted_waits_without_taking_a_slot():
    """While the runner fits the shared CLV models, a notebook reading them is passed over and the next one that
    does not starts in its place (06 beside 01 at 1M lines, instead of two slots held waiting); RFM readers go."""
    steps = [Step("03", reads=("models/rfm",)), Step("04", reads=("models/clv",)), Step("05", reads=("models/clv",)),
             Step("06"), Step("09")]
    sched = Schedule(steps, ["03", "04", "05", "06", "09"], ["lines"])
    fitting = {"models/clv", "models/clv_scores"}
    first = sched.starts(["03", "04", "05", "06", "09"], done=(), exported=(), unmet=(), running=0, jobs=2,
                         unavailable=fitting)
    assert [d.name for d in first] == ["03", "06"]
    later = sched.starts(["04", "05", "09"], done={"03"}, exported=(), unmet=(), running=1, jobs=2, unavailable=fitting)
    assert [d.name for d in later] == ["09"]
    fitted = sched.starts(["04", "05"], done={"03", "06", "09"}, exported=(), unmet=(), running=0, jobs=2)
    assert [d.name for d in fitted] == ["04", "05"]


def test_the_costlier_of_the_ready_notebooks_start_first():
    """Of the notebooks ready at once, the costlier start first (a long one started last holds up the summary);
    a notebook still waits for its producer whatever its cost, and the summary comes last."""
    steps = [Step("a"), Step("b"), Step("c", cost=3), Step("a_out", writes=("a/x",)), Step("d", reads=("a/x",), cost=5),
             Step("e", cost=2), Step("z", after_all=True)]
    order = ["a", "b", "c", "a_out", "d", "e", "z"]
    sched = Schedule(steps, order, ["lines"])
    rounds, status = simulate(sched, {}, jobs=2)
    assert rounds[0] == ["c", "e"]                          # cost 3 and 2 before the cost-1 notebooks
    started = [n for r in rounds for n in r]
    assert started.index("d") > started.index("a_out") and started[-1] == "z"
    assert set(status.values()) == {"ok"}


def test_a_failed_producer_skips_its_consumers_with_a_reason():
    steps = [Step("a", writes=("a/customers",)), Step("b", reads=("a/customers",), writes=("b/headline",)),
             Step("c", reads=("b/headline",)), Step("d")]
    sched = Schedule(steps, ["a", "b", "c", "d"], ["lines"])
    decision = sched.decide("b", unmet={"a"})
    assert not decision.run and decision.blocked_by == ("a",)
    assert decision.reason == "needs a, which did not succeed"
    _, status = simulate(sched, {"a": "failed"}, jobs=2)
    assert status == {"a": "failed", "b": "blocked", "c": "blocked", "d": "ok"}     # and what needs b, in turn


def test_a_notebook_skipped_for_lack_of_data_blocks_nothing():
    steps = [Step("a", requires=("lines", "exposures"), writes=("a/customers",)),
             Step("b", reads=("a/customers",)), Step("c", requires=())]
    sched = Schedule(steps, ["a", "b", "c"], ["lines"])
    decision = sched.decide("a", ())
    assert not decision.run and decision.missing_tables == ("exposures",)
    assert decision.reason == "this data has no exposures table (tables.exposures in the config)"
    assert Schedule(steps, ["a"], []).decide("a", ()).reason == "this data has no sales lines"
    _, status = simulate(sched, {}, jobs=1)
    assert status == {"a": "skipped", "b": "ok", "c": "ok"}


def test_after_all_waits_for_every_notebook_before_it_and_their_pages():
    steps = [Step("a"), Step("b"), Step("z", after_all=True, may_read=("*/headline",)), Step("y")]
    sched = Schedule(steps, ["a", "b", "z", "y"], ["lines"])
    assert sched.waits_for("z") == ["a", "b"]
    assert [d.name for d in sched.starts(["z", "y"], done={"a", "b"}, exported={"a"}, unmet=(), running=0,
                                         jobs=2)] == ["y"]
    assert [d.name for d in sched.starts(["z"], done={"a", "b"}, exported={"a", "b"}, unmet={"a"}, running=0,
                                         jobs=2)] == ["z"]           # a failure before it does not skip it
    rounds, status = simulate(sched, {"a": "failed"}, jobs=4)
    assert rounds[0] == ["a", "b", "y"] and ["z"] in rounds[1:] and status["z"] == "ok"


def test_pages_are_exported_in_batch_order():
    sched = Schedule([Step(n) for n in "abc"], ["a", "b", "c"], ["lines"])
    assert sched.exports(0, {"b", "c"}) == []
    assert sched.exports(0, {"a", "c"}) == ["a"]
    assert sched.exports(1, {"a", "b", "c"}) == ["b", "c"]
