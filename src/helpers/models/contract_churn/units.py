"""The tenure unit of a contract table: periods per year, per-period discount rates, charges, horizons.

``tenure`` is counted in whole periods of the unit the config names
(``tables.attributes.tenure_unit``: day, week, month, quarter or year; month by default). A
yearly discount rate d becomes (1 + d)^(1 / periods per year) - 1 per period (:func:`period_rate`);
``monthly_charges`` (currency per month) become charges per period with :func:`charge_factor`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


#: The units ``tables.attributes.tenure_unit`` accepts, and how many of each make a year
#: (a day is 1 / 365.25 of a year and a week 7 days, so leap years are averaged in).
PERIODS_PER_YEAR = {"day": 365.25, "week": 365.25 / 7.0, "month": 12.0, "quarter": 4.0, "year": 1.0}
TENURE_UNITS = tuple(PERIODS_PER_YEAR)
#: Round step sizes of the Kaplan-Meier horizons per unit (a week, a month, a quarter, a year ...).
HORIZON_STEPS = {
    "day": (1, 7, 14, 30, 60, 90, 180, 365, 730, 1095, 1826, 3652),
    "week": (1, 2, 4, 8, 13, 26, 52, 104, 156, 261, 522),
    "month": (1, 2, 3, 6, 12, 24, 36, 60, 120),
    "quarter": (1, 2, 4, 8, 12, 20, 40),
    "year": (1, 2, 3, 5, 10, 20, 50),
}
#: A tenure longer than this many years is taken for a wrong ``tenure_unit`` (e.g. days read as years).
MAX_TENURE_YEARS = 100.0


def check_unit(unit: str) -> str:
    """``unit`` when it is one of :data:`TENURE_UNITS`; a ValueError naming them otherwise."""
    if unit not in PERIODS_PER_YEAR:
        raise ValueError(f"tenure unit {unit!r}: must be one of {', '.join(TENURE_UNITS)}")
    return unit


def tenure_unit(config) -> str:
    """The unit of ``tenure`` in a run: ``config.tables.attributes.tenure_unit`` (``month`` when the
    config has no attributes table or does not say)."""
    tables = getattr(config, "tables", None)
    attrs = getattr(tables, "attributes", None) if tables is not None else None
    return check_unit(getattr(attrs, "tenure_unit", None) or "month")


def periods_per_year(unit: str) -> float:
    """How many periods of ``unit`` make a year (12 months, 4 quarters, 365.25 days ...)."""
    return PERIODS_PER_YEAR[check_unit(unit)]


def period_rate(yearly_rate: float, unit: str = "month") -> float:
    """The discount rate per period equivalent to a yearly one: (1 + d)^(1 / periods per year) - 1.

    Compounded over the periods of a year it gives back d: (1 + r)^periods_per_year = 1 + d.
    ``period_rate(0.10, "month")`` = 0.797 %, ``period_rate(0.10, "year")`` = 10 %.
    """
    if not np.isfinite(yearly_rate) or yearly_rate < 0:
        raise ValueError(f"discount rate {yearly_rate}: must be a yearly rate >= 0 (0.10 = 10 % a year)")
    per_year = periods_per_year(unit)
    return float(yearly_rate) if per_year == 1.0 else (1.0 + yearly_rate) ** (1.0 / per_year) - 1.0


def charge_factor(unit: str) -> float:
    """Charges per period of ``unit`` = ``monthly_charges`` x this factor (12 / periods per year)."""
    return 12.0 / periods_per_year(unit)


def as_horizon(h: float):
    """A horizon as an int when it is whole (24.0 -> 24), else as a float (1.5)."""
    return int(h) if float(h).is_integer() else float(h)


def km_horizons(tenure, unit: str = "month", *, requested=None, most: int = 4) -> tuple[list, list]:
    """Tenures at which to tabulate Kaplan-Meier retention, all within the observed range.

    With no ``requested`` horizons: the multiples of the smallest round step of the unit
    (:data:`HORIZON_STEPS`: 1, 2, 3, 6, 12, 24 ... months; 1, 2, 3, 5 ... years) of which at
    most ``most`` fit within the longest observed tenure, e.g. 24, 48, 72 months for tenures up
    to 72 months and 2, 4, 6 years for tenures up to 7 years. Requested horizons beyond the
    longest observed tenure are left out (Kaplan-Meier says nothing about retention past the
    data) and returned as the second list.

    Returns
    -------
    (horizons, beyond) : list, list
        Sorted horizons within the observed range; requested ones beyond it.
    """
    check_unit(unit)
    t_obs = pd.to_numeric(pd.Series(tenure), errors="coerce").dropna()
    top = float(t_obs.max()) if len(t_obs) else 0.0
    if requested is not None and len(requested):
        req = sorted({as_horizon(float(h)) for h in requested})
        bad = [h for h in req if not np.isfinite(h) or h <= 0]
        if bad:
            raise ValueError(f"km_horizons {bad}: horizons are tenures > 0 in {unit}s")
        return [h for h in req if h <= top], [h for h in req if h > top]
    steps = HORIZON_STEPS[unit]
    step = next((s for s in steps if top // s <= most), steps[-1])
    n = min(int(top // step), most)
    return [as_horizon(step * k) for k in range(1, n + 1)], []
