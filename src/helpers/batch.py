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
    # prepared tables the notebook reads (see ``Prepared.tables``); when the data lacks one, the
    # notebook is skipped with a note instead of failing: "lines" are the sales lines, others are
    # the optional tables beside them (attributes, exposures, responses, feedback)
    requires: tuple[str, ...] = ("lines",)
    # starts only when every notebook before it in the batch has finished (it reads what they published)
    after_all: bool = False


BATCH: list[Step] = [
    Step("00_start_here", needs=(), requires=()),
    Step("01_data_cleaning"),
    Step("02_lifecycle", needs=("01_data_cleaning",)),
    Step("03_segmentation", needs=("01_data_cleaning",)),
    Step("04_clv", needs=("01_data_cleaning",)),
    Step("05_churn", needs=("01_data_cleaning",)),
    Step("06_cross_up_sell", needs=("01_data_cleaning",)),
    Step("08_campaigns", needs=("01_data_cleaning",), requires=("lines", "exposures")),
    Step("09_customer_voice", needs=(), requires=("feedback",)),
    Step("10_customer_profiles", needs=("01_data_cleaning",), requires=("lines", "attributes")),
    Step("11_contract_churn", needs=(), requires=()),
    Step("12_validation", needs=("01_data_cleaning",), requires=("lines",)),
    Step("13_retention_economics", needs=("01_data_cleaning",), requires=("lines",)),
    # the summary reads what the others published; it runs last and shows whatever is there
    Step("90_executive_summary", needs=(), requires=(), after_all=True),
]

NOTEBOOKS: list[str] = [s.name for s in BATCH]
