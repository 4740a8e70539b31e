"""Tiny notebooks for runner tests: a title, the standard parameters cell and one code cell."""
from __future__ import annotations

from pathlib import Path

import nbformat


def fake_notebook(folder: Path, stem: str, code: str) -> None:
    """Write ``folder/<stem>.ipynb``: a markdown title, a ``parameters`` cell and ``code``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {stem}\n\n## Step 1 · run"),
                nbformat.v4.new_code_cell('config_path = ""\nconfig_overrides = []\noutput_dir = ""'),
                nbformat.v4.new_code_cell(code)]
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / f"{stem}.ipynb"))
