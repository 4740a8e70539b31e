"""The batch: which numbered notebooks run, in which order, and the artefacts each reads and writes.

One list sets the order. A notebook reads only artefacts (files), never another notebook's
variables, and each step declares them, so the batch is a graph of artefacts:

* ``prepared/<table>``: what :func:`helpers.pipeline.prepare` writes before any notebook starts
  (the clean lines, the audit, the customer tables, the optional tables; ``prepared/raw_lines`` is
  the raw sales lines it read);
* ``<notebook>/headline``, ``<notebook>/customers``, ``<notebook>/exports``: what a notebook
  publishes in its artefacts folder (:func:`helpers.analyses.headlines.publish`: ``headline.json``,
  ``customers.parquet``) and the csv/parquet exports beside them;
* ``run_status``: the run's notebook statuses, written by the runner before an ``after_all`` step;
* ``models/<kind>``: the models several notebooks share (:mod:`helpers.fitted`: the CLV fit, its
  per-customer scores and holdout check, the RFM segments), fitted once per run by the runner after
  ``prepare``, while the notebooks that do not read them already run.

A step ``reads`` artefacts it cannot do without and ``may_read`` those it uses when they are there
(patterns such as ``*/customers`` match every notebook's); :func:`needs_of` derives from them which
notebooks must have succeeded first, so the runner skips a step whose producer failed.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

#: Artefacts no notebook writes: the prepared data (written before the batch starts), the shared models (fitted by
#: the runner beside the first notebooks) and the run's statuses.
EXTERNAL = ("prepared/*", "run_status", "models/*")


@dataclass(frozen=True)
class Step:
    name: str                       # file stem in notebooks/
    # notebooks that must have succeeded first besides those writing what it ``reads`` (see :func:`needs_of`)
    needs: tuple[str, ...] = ()
    # prepared tables the notebook reads (see ``Prepared.tables``); when the data lacks one, the
    # notebook is skipped with a note instead of failing: "lines" are the sales lines, others are
    # the optional tables beside them (attributes, exposures, responses, feedback)
    requires: tuple[str, ...] = ("lines",)
    # starts only when every notebook before it in the batch has finished (it reads what they published)
    after_all: bool = False
    reads: tuple[str, ...] = ()     # artefacts it needs: their producers must have succeeded
    may_read: tuple[str, ...] = ()  # artefacts it uses when present: it waits for their producers only
    writes: tuple[str, ...] = ()    # artefacts it writes
    # how long it runs on a large customer base, relatively (the 1M-line batch of ``make bench``): of the
    # notebooks ready at once, the costlier start first, so a long one does not start last and hold up the summary
    cost: int = 1


def prepared(*tables: str) -> tuple[str, ...]:
    """The artefact names of prepared tables (file stems in the prepared folder, e.g. ``"customers_rfm"``)."""
    return tuple(f"prepared/{t}" for t in tables)


def published(stem: str, *, customers: bool = True) -> tuple[str, ...]:
    """What notebook ``stem`` writes: its headline numbers, its per-customer columns (when it has them), its exports."""
    return (f"{stem}/headline", *((f"{stem}/customers",) if customers else ()), f"{stem}/exports")


def producers(artefact: str, steps: list[Step]) -> list[str]:
    """The steps writing ``artefact`` (a name or a pattern such as ``*/customers``), in batch order."""
    return [s.name for s in steps if any(fnmatchcase(w, artefact) for w in s.writes)]


def needs_of(steps: list[Step]) -> dict[str, tuple[str, ...]]:
    """Per step, the earlier steps that must have succeeded first: its ``needs`` and the writers of what it ``reads``."""
    out = {}
    for i, s in enumerate(steps):
        before = steps[:i]
        out[s.name] = tuple(dict.fromkeys([*s.needs, *(p for r in s.reads for p in producers(r, before))]))
    return out


def waits_of(steps: list[Step]) -> dict[str, tuple[str, ...]]:
    """Per step, the earlier steps it waits for: those it needs (:func:`needs_of`) and the writers of what it ``may_read``."""
    needs = needs_of(steps)
    return {s.name: tuple(dict.fromkeys([*needs[s.name], *(p for r in s.may_read for p in producers(r, steps[:i]))]))
            for i, s in enumerate(steps)}


def unproduced(steps: list[Step]) -> dict[str, list[str]]:
    """Per step, the artefacts it ``reads`` that neither an earlier step nor the runner (:data:`EXTERNAL`) writes."""
    out = {}
    for i, s in enumerate(steps):
        missing = [r for r in s.reads if not producers(r, steps[:i]) and not any(fnmatchcase(r, e) for e in EXTERNAL)]
        if missing:
            out[s.name] = missing
    return out


def fitted(*kinds: str) -> tuple[str, ...]:
    """The artefact names of shared models (:data:`helpers.fitted.KINDS`, e.g. ``"clv"``)."""
    return tuple(f"models/{k}" for k in kinds)


def reads_models(step: Step) -> bool:
    """Whether ``step`` reads a shared model, so it starts only once the runner has fitted them."""
    return any(fnmatchcase(a, "models/*") for a in (*step.reads, *step.may_read))


#: The clean lines and the customer tables built from them, which most notebooks start from.
_LINES = prepared("lines_clean")
_CUSTOMERS = prepared("customers_rfm", "customers_btyd")

BATCH: list[Step] = [
    # reads the notebooks' first cells and this list, no data
    Step("00_start_here", requires=()),
    Step("01_data_cleaning", reads=prepared("raw_lines", "lines_clean", "line_status", "audit", "audit_notes",
                                            "overlap", "catch_all", "customers_rfm", "customers_btyd"),
         writes=published("01_data_cleaning", customers=False)),
    Step("02_lifecycle", reads=_LINES, writes=published("02_lifecycle")),
    Step("03_segmentation", reads=(*_LINES, *prepared("customers_rfm"), *fitted("rfm")), may_read=prepared("attributes"),
         writes=published("03_segmentation"), cost=2),
    Step("04_clv", reads=(*_LINES, *_CUSTOMERS, *fitted("clv", "clv_holdout", "clv_tournament")), writes=published("04_clv")),
    Step("04b_clv_tournament", reads=(*_LINES, *fitted("clv_holdout", "clv_tournament")),
         writes=published("04b_clv_tournament", customers=False)),
    Step("05_churn", reads=(*_LINES, *fitted("clv")), writes=published("05_churn"), cost=3),
    Step("06_cross_up_sell", reads=_LINES, writes=published("06_cross_up_sell"), cost=3),
    Step("08_campaigns", requires=("lines", "exposures"), reads=(*_LINES, *_CUSTOMERS, *prepared("exposures"), *fitted("clv_scores")),
         may_read=prepared("responses", "attributes"), writes=published("08_campaigns"), cost=3),
    Step("09_customer_voice", requires=("feedback",), reads=prepared("feedback"),
         may_read=(*_LINES, *prepared("customers_rfm")), writes=published("09_customer_voice"), cost=3),
    Step("10_customer_profiles", requires=("lines", "attributes"), reads=(*_CUSTOMERS, *prepared("attributes")),
         writes=published("10_customer_profiles", customers=False), cost=2),
    Step("11_contract_churn", requires=(), may_read=prepared("attributes"), writes=published("11_contract_churn")),
    Step("12_validation", requires=("lines",), reads=(*_LINES, *_CUSTOMERS, *fitted("clv_holdout")), may_read=prepared("feedback"),
         writes=published("12_validation", customers=False), cost=3),
    Step("13_retention_economics", requires=("lines",), reads=(*_LINES, *prepared("customers_btyd"), *fitted("clv")),
         writes=published("13_retention_economics", customers=False)),
    # the summary reads what the others published (and the previous run's, outside this run); it runs
    # last and shows whatever is there
    Step("90_executive_summary", requires=(), after_all=True, reads=("run_status",),
         may_read=("*/headline", "*/customers"), writes=published("90_executive_summary", customers=False)),
]

NOTEBOOKS: list[str] = [s.name for s in BATCH]
