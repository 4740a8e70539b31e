"""The batch: which numbered notebooks run, in which order, and which earlier ones each needs.

One list sets the order. A notebook reads only what earlier steps wrote to ``data/`` (never
another notebook's variables); ``needs`` names the notebooks whose outputs it reads, so the
runner can skip it when one of them failed.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str                       # file stem in notebooks/
    needs: tuple[str, ...] = ()     # notebooks that must have succeeded first


BATCH: list[Step] = [
    Step("01_data_cleaning"),
]

NOTEBOOKS: list[str] = [s.name for s in BATCH]
