"""Which notebook of a run may start now: a pure function of the declared steps and the statuses so far.

Notebooks start up to ``jobs`` at once, the costlier of those ready first (then in batch order), each once the notebooks it waits for
(:func:`helpers.batch.waits_of`) have finished; a step marked ``after_all`` waits for every
notebook before it and for their pages. A notebook whose producer failed (or was itself skipped
for that reason) is skipped with the reason, and so is one whose data lacks a table it requires;
a notebook skipped for lack of data blocks nothing. No I/O here: the runner
(:mod:`helpers.runner.run`) executes what this module decides.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from helpers.batch import Step, needs_of, waits_of


@dataclass(frozen=True)
class Decision:
    """The fate of one notebook when it is its turn: executed (``run``) or skipped, with why."""

    name: str
    run: bool
    reason: str | None = None
    blocked_by: tuple[str, ...] = ()       # skipped: the notebooks it needs that did not succeed
    missing_tables: tuple[str, ...] = ()   # skipped: the tables the data lacks


def missing_reason(missing: Sequence[str]) -> str:
    """What a notebook skipped for lack of data says: no sales lines, or which optional table is absent."""
    return ("this data has no sales lines" if "lines" in missing else
            f"this data has no {' or '.join(missing)} table (tables.{missing[0]} in the config)")


class Schedule:
    """The chosen notebooks of a run (batch order) with what each needs, waits for and requires.

    ``steps`` is the whole batch (edges come from its declared artefacts), ``chosen`` the notebooks
    this run executes, ``tables`` the tables the prepared data provides.
    """

    def __init__(self, steps: Sequence[Step], chosen: Sequence[str], tables: Iterable[str]):
        steps = list(steps)
        self.order = list(chosen)
        self.needs = needs_of(steps)
        self.waits = waits_of(steps)
        self.requires = {s.name: s.requires for s in steps}
        self.after_all = {s.name for s in steps if s.after_all}
        self.reads = {s.name: (*s.reads, *s.may_read) for s in steps}
        cost = {s.name: s.cost for s in steps}
        #: the order notebooks are considered in: the costlier first, batch order among equals
        self.priority = sorted(self.order, key=lambda n: (-cost.get(n, 1), self.order.index(n)))
        self.tables = set(tables)

    def waits_for(self, name: str) -> list[str]:
        """The chosen notebooks before ``name`` that have to finish before it starts."""
        before = self.order[:self.order.index(name)]
        return before if name in self.after_all else [n for n in self.waits.get(name, ()) if n in before]

    def decide(self, name: str, unmet: Collection[str]) -> Decision:
        """Run ``name``, or skip it because a notebook it needs is ``unmet`` (failed or blocked) or the data lacks a table."""
        blocked = [n for n in self.needs.get(name, ()) if n in self.order and n in unmet]
        if blocked:
            return Decision(name, False, f"needs {', '.join(blocked)}, which did not succeed", blocked_by=tuple(blocked))
        missing = [t for t in self.requires.get(name, ()) if t not in self.tables]
        if missing:
            return Decision(name, False, missing_reason(missing), missing_tables=tuple(missing))
        return Decision(name, True)

    def starts(self, pending: Collection[str], *, done: Collection[str], exported: Collection[str],
               unmet: Collection[str], running: int, jobs: int, unavailable: Collection[str] = ()) -> list[Decision]:
        """The decisions to take now, costlier notebooks first (:attr:`helpers.batch.Step.cost`), then in
        batch order: notebooks to execute (at most ``jobs - running``) and notebooks to skip.

        ``pending``: not yet decided; ``done``: finished (executed or skipped); ``exported``: their pages
        written; ``unmet``: failed, or skipped because a notebook they need failed; ``unavailable``: artefacts
        not produced yet outside the notebooks (the shared models the runner is still fitting, ``models/clv``):
        a notebook reading one waits without taking a slot, so the notebooks after it that do not can start.
        A skip decided here counts as done for the notebooks after it in the same call.
        """
        done, unmet, out = set(done), set(unmet), []
        for name in self.priority:
            if name not in pending:
                continue
            if running >= jobs:
                break
            ready = exported if name in self.after_all else done
            if any(w not in ready for w in self.waits_for(name)):
                continue
            if unavailable and set(self.reads.get(name, ())) & set(unavailable):
                continue
            decision = self.decide(name, unmet)
            out.append(decision)
            if decision.run:
                running += 1
            else:
                done.add(name)
                if decision.blocked_by:
                    unmet.add(name)
        return out

    def exports(self, first: int, done: Collection[str]) -> list[str]:
        """The notebooks whose pages can be written now, from position ``first`` on: each page waits for
        every notebook before it, so its banner knows their fate."""
        out = []
        for name in self.order[first:]:
            if name not in done:
                break
            out.append(name)
        return out
