"""The table of checks: one comparison of an estimate with a known truth per row.

A :class:`Check` states the truth, the estimate, the tolerance and why that tolerance, and
whether the estimate passed; :func:`checks_table` lays a list of them out as a table.
:mod:`helpers.analyses.validation` and :mod:`helpers.analyses.holdout` build them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from helpers import i18n
from helpers.i18n import _, fmt_spec


#: Areas of the checks against a published reference data set (CDNOW's estimates, ``validation.cdnow_checks``):
#: they test the code, not the run's own data
REFERENCE_AREAS = ("CDNOW BG/NBD", "CDNOW Gamma-Gamma", "CDNOW data")


@dataclass
class Check:
    """One comparison of an estimate with a known truth.

    ``truth`` and ``estimate`` are numbers (or short text); ``tolerance`` says what distance
    passes, ``why`` where that tolerance comes from; ``passed`` is the verdict.
    """

    area: str
    name: str
    truth: float | str
    estimate: float | str
    tolerance: str
    why: str
    passed: bool


def checks_table(checks: list[Check]) -> pd.DataFrame:
    """The checks as a table: area, name, truth, estimate, tolerance, why, passed (bool)."""
    cols = ["area", "name", "truth", "estimate", "tolerance", "why", "passed"]
    if not checks:
        return pd.DataFrame(columns=cols)
    t = pd.DataFrame([asdict(c) for c in checks])[cols]
    t["passed"] = t["passed"].astype(bool)
    return t


def own_and_reference(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The ``passed`` column of a :func:`checks_table`, split: the checks on the run's own data, and the
    reference checks (:data:`REFERENCE_AREAS`)."""
    reference = table["area"].isin(REFERENCE_AREAS)
    return table.loc[~reference, "passed"], table.loc[reference, "passed"]


def checks_verdict(table: pd.DataFrame) -> str:
    """One sentence on a :func:`checks_table`: how many checks on the run's own data passed and, apart, how many
    reference checks (which test the code, not these data), each only when there are some; then the failed ones
    by area and name."""
    own, ref = own_and_reference(table)
    said = []
    if len(own):
        said.append(_("{n} of {total} checks on this run's data passed", n=int(own.sum()), total=len(own)))
    if len(ref):
        said.append(_("{n} of {total} reference checks (CDNOW's published estimates, a test of the code) passed",
                      n=int(ref.sum()), total=len(ref)))
    if not said:
        return _("No check could run on this data.")
    failed = [f"{i18n.label(a, 'val_area_')} / {n}" for a, n in table.loc[~table["passed"], ["area", "name"]]
              .itertuples(index=False)]
    return "; ".join(said) + (_("; failed: {checks}", checks=", ".join(failed)) if failed else "")


def fmt_value(x) -> str:
    """A truth or estimate as text for a check: text as is, "–" when missing, else 4 significant digits
    (from 1,000 on: a whole number with thousands grouped)."""
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    return fmt_spec(x, ",.0f") if abs(x) >= 1000 else fmt_spec(x, ".4g")


def failed_check(area: str, name: str, truth, why: str, reason: str) -> Check:
    """A failed check for an estimate that could not be made; ``reason`` (why not) is appended to ``why``."""
    return Check(area, name, truth, i18n._("not estimated"), i18n._("an estimate"), f"{why} ({reason})", False)
