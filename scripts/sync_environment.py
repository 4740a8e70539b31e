"""Write environment.yml from requirements.lock, so conda users get the same pins.

Run by ``make lock``; ``tests/test_environment.py`` fails when the two files drift.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)(\s*;.*)?$")


def lock_pins(text: str) -> list[str]:
    """The pinned requirement lines of a uv/pip-compile lock (``name==version[ ; markers]``)."""
    pins = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and PIN.match(line):
            pins.append(line)
    return pins


def render(pins: list[str]) -> str:
    body = "\n".join(f"      - \"{p}\"" if ";" in p else f"      - {p}" for p in pins)
    return f"""# Generated from requirements.lock by `make lock` (scripts/sync_environment.py): do not edit.
# For conda users: conda env create -f environment.yml && conda activate crm-analytics
# The same pins as the lock file, installed by pip inside a conda Python 3.11.
name: crm-analytics
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
{body}
      - -e .
"""


def main() -> int:
    pins = lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    (ROOT / "environment.yml").write_text(render(pins), encoding="utf-8")
    print(f"environment.yml: {len(pins)} pins from requirements.lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
