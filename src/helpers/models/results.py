"""The base of fitted-model results: how the model was fitted, its parameter table and point estimates.

A result type derives from :class:`FitResult` and has (as dataclass fields) ``method``, how it
was fitted (e.g. ``"map"``, ``"mcmc"``), and ``params``, one row per parameter (index
``parameter``) with ``estimate`` and, where known, ``se``, ``low`` and ``high``; it says in
:attr:`~FitResult.phrase` which model and method produced it (a :class:`~helpers.phrase.Phrase`). Used by the CLV fits
(:mod:`helpers.models.clv.results`).
"""
from __future__ import annotations

import pandas as pd


class FitResult:
    """What a fitted model's result shares: ``method``, the ``params`` table and a ``phrase`` naming it."""

    method: str
    params: pd.DataFrame

    @property
    def values(self) -> dict[str, float]:
        """Point estimates by parameter, from ``params["estimate"]``."""
        return {k: float(v) for k, v in self.params["estimate"].items()}

    @property
    def phrase(self):
        """Which model and method produced the result (a :class:`~helpers.phrase.Phrase`)."""
        raise NotImplementedError
