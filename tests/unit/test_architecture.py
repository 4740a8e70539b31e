"""The shape of ``src/helpers``: the layer contract, no private names across modules, modules of a
readable size, and a test file beside every module.

Each rule is a function of a source folder, so the rules are checked twice: on the project (the
tests that must pass) and on a copy with one planted violation (the tests that show the rule can fail).
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT

SRC = ROOT / "src"
UNIT = ROOT / "tests" / "unit"
#: The longest a module may be, in lines.
MAX_LINES = 700
#: Modules allowed past ``MAX_LINES``: generated data tables only, each with the reason.
LONG_MODULES: dict[str, str] = {}
#: Modules without ``tests/unit/<path>/test_<module>.py``, each with the reason.
UNTESTED_MODULES: dict[str, str] = {}


def _modules(src: Path) -> dict[str, Path]:
    """Every module of the ``helpers`` package under ``src``: dotted name -> file."""
    out = {}
    for f in sorted((src / "helpers").rglob("*.py")):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _is_private(name: str) -> bool:
    """A leading underscore, except dunders and ``_``: gettext's name for "translate this" (``helpers.i18n._``)."""
    return name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))


# ------------------------------------------------------------------------------------ the layer contract
def lint_imports(src: Path, config: Path = ROOT / "pyproject.toml") -> subprocess.CompletedProcess:
    """``lint-imports`` on the ``helpers`` package found in ``src``, with the contract of ``config``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]))
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--config", str(config), "--no-cache", "--no-logo"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=300)


def test_the_layer_contract_is_kept():
    run = lint_imports(SRC)
    assert run.returncode == 0, f"the layer contract is broken:\n{run.stdout}\n{run.stderr}"
    assert "2 kept, 0 broken" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(SRC / "helpers", tmp_path / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "helpers" / "paths.py", "a", encoding="utf-8") as f:
        f.write("\nfrom helpers import pipeline  # noqa\n")
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "helpers.paths is not allowed to import helpers.pipeline" in run.stdout


def test_a_model_that_writes_a_sentence_breaks_the_contract(tmp_path):
    shutil.copytree(SRC / "helpers", tmp_path / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "helpers" / "models" / "segments.py", "a", encoding="utf-8") as f:
        f.write("\nfrom helpers.i18n import _  # noqa\n")
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "helpers.models is not allowed to import helpers.i18n" in run.stdout
    assert "helpers.models.segments -> helpers.i18n" in run.stdout


# ------------------------------------------------------------------------------- private names across modules
def _module_names(tree: ast.Module, modules: set[str]) -> dict[str, str]:
    """The names a module binds to ``helpers`` modules: local name -> dotted module name."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules and a.asname:
                    bound[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
    return bound


def private_uses(src: Path) -> list[str]:
    """``file:line: what`` for every private name a module imports from, or reads off, another helpers module."""
    modules = _modules(src)
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        bound = _module_names(tree, set(modules))
        where = path.relative_to(src)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
                for a in node.names:
                    if _is_private(a.name) and node.module != name:
                        found.append((str(where), node.lineno, f"from {node.module} import {a.name}"))
            elif isinstance(node, ast.Attribute) and _is_private(node.attr):
                value = node.value
                chain = []
                while isinstance(value, ast.Attribute):         # helpers.io.read._x
                    chain.append(value.attr)
                    value = value.value
                if not isinstance(value, ast.Name):
                    continue
                if value.id in bound:
                    target = ".".join([bound[value.id], *reversed(chain)])
                elif value.id == "helpers":
                    target = ".".join(["helpers", *reversed(chain)])
                else:
                    continue
                if target in modules and target != name:
                    found.append((str(where), node.lineno, f"{target}.{node.attr}"))
    return [f"{f}:{line}: {what}" for f, line, what in sorted(set(found))]


def test_no_module_uses_a_private_name_of_another():
    found = private_uses(SRC)
    assert not found, ("private names used across modules (make each public, with a docstring, where it "
                       "belongs, or move it):\n" + "\n".join(found))


def test_a_private_name_used_across_modules_is_found(tmp_path):
    pkg = tmp_path / "helpers"
    (pkg / "io").mkdir(parents=True)
    for f in ("__init__.py", "io/__init__.py"):
        (pkg / f).write_text("")
    (pkg / "io" / "read.py").write_text("def _hidden():\n    return 1\n\n_other = 3\n")
    (pkg / "paths.py").write_text("def _root():\n    return 2\n")
    (pkg / "clean.py").write_text(
        "from helpers.io import read as rd\nfrom helpers.paths import _root\nimport helpers.io.read\n"
        "from helpers.i18n import t as _t\n\n"
        "def f(x):\n    return rd._hidden() + helpers.io.read._other + _root() + x._private + rd.__name__\n")
    assert private_uses(tmp_path) == ["helpers/clean.py:2: from helpers.paths import _root",
                                      "helpers/clean.py:7: helpers.io.read._hidden",
                                      "helpers/clean.py:7: helpers.io.read._other"]


# ----------------------------------------------------------------------------------------- module size
def long_modules(src: Path, limit: int = MAX_LINES, allowed=LONG_MODULES) -> list[str]:
    """``module: N lines`` for every module longer than ``limit`` lines and not allowed by name."""
    out = []
    for name, path in _modules(src).items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit and name not in allowed:
            out.append(f"{name}: {n} lines")
    return out


def test_no_module_is_over_the_line_limit():
    found = long_modules(SRC)
    assert not found, f"modules over {MAX_LINES} lines (split them by topic):\n" + "\n".join(found)


def test_the_size_rule_names_a_long_module(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "big.py").write_text("x = 1\n" * 701)
    (tmp_path / "helpers" / "table.py").write_text("x = 1\n" * 900)
    assert long_modules(tmp_path, allowed={"helpers.table": "generated"}) == ["helpers.big: 701 lines"]


def test_the_allow_lists_name_real_modules():
    modules = _modules(SRC)
    assert set(LONG_MODULES) <= set(modules)
    assert set(UNTESTED_MODULES) <= set(modules)


# ------------------------------------------------------------------------------- a test file per module
def untested_modules(src: Path, unit: Path, allowed=UNTESTED_MODULES) -> list[str]:
    """``module -> expected test file`` for every module without ``tests/unit/<path>/test_<module>.py``.

    Package ``__init__`` and ``__main__`` files are tested through the modules they gather or start."""
    out = []
    for name, path in _modules(src).items():
        if path.stem in ("__init__", "__main__") or name in allowed:
            continue
        rel = path.relative_to(src / "helpers")
        expected = unit / rel.parent / f"test_{rel.name}"
        if not expected.is_file():
            out.append(f"{name} -> {expected.relative_to(unit.parents[1])}")
    return out


def test_every_module_has_its_test_file():
    found = untested_modules(SRC, UNIT)
    assert not found, "modules without their test file:\n" + "\n".join(found)


def test_a_module_without_a_test_file_is_named(tmp_path):
    src, unit = tmp_path / "src", tmp_path / "tests" / "unit"
    (src / "helpers" / "io").mkdir(parents=True)
    (unit / "io").mkdir(parents=True)
    for f in ("__init__.py", "io/__init__.py", "io/read.py", "io/engine.py", "paths.py", "__main__.py"):
        (src / "helpers" / f).write_text("")
    (unit / "io" / "test_read.py").write_text("")
    (unit / "test_paths.py").write_text("")
    assert untested_modules(src, unit, allowed={}) == ["helpers.io.engine -> tests/unit/io/test_engine.py"]
