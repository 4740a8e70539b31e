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
