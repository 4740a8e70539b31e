"""What a run records about itself: one result per notebook and the run's list of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NotebookResult:
    """One notebook's fate in a run: its status, time, error, pages, step key and where it was reused from."""

    name: str
    status: str = "pending"          # ok | failed | skipped
    seconds: float = 0.0
    error: str | None = None
    html: str | None = None
    business_html: str | None = None
    reused_from: str | None = None
    key: str | None = None
    blocked: bool = False            # skipped because a notebook it needs failed
    blocked_by: list[str] = field(default_factory=list)       # those notebooks
    missing_tables: list[str] = field(default_factory=list)   # skipped: the tables the data lacks


@dataclass
class RunResult:
    """A run: its name, its final folder (once moved into place) and its notebooks in batch order."""

    name: str
    folder: Path | None = None
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No notebook failed (a notebook skipped because the data lacks its inputs is fine)."""
        return not any(n.status == "failed" for n in self.notebooks) and bool(self.notebooks)


def statuses(notebooks: list[NotebookResult]) -> list[dict]:
    """The run's notebook statuses as :func:`helpers.analyses.headlines.write_run_status` writes them."""
    return [{"name": n.name, "status": n.status, "error": n.error, "blocked_by": list(n.blocked_by),
             "missing_tables": list(n.missing_tables)} for n in notebooks]
