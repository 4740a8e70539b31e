"""Every path from one root: the project folder, or CRM_PROJECT_ROOT, or the working folder."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import paths
from tests.fixtures import ROOT


def _root_in_subprocess(pythonpath: Path, cwd: Path, env_root: str | None = None) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "CRM_PROJECT_ROOT"}
    env["PYTHONPATH"] = str(pythonpath)
    if env_root is not None:
        env["CRM_PROJECT_ROOT"] = env_root
    out = subprocess.run([sys.executable, "-c", "from helpers import paths; print(paths.ROOT)"],
                         cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=120)
    return Path(out.stdout.strip())


def test_the_root_is_the_project_folder():
    assert paths.ROOT == ROOT.resolve()
    assert (paths.ROOT / "pyproject.toml").is_file() and (paths.ROOT / "notebooks").is_dir()


def test_the_folders_hang_from_the_root():
    r = paths.ROOT
    assert paths.DATA == r / "data"
    assert (paths.RAW, paths.INTERIM, paths.PROCESSED) == (r / "data" / "raw", r / "data" / "interim",
                                                           r / "data" / "processed")
    assert (paths.REPORTS, paths.CONFIGS, paths.NOTEBOOKS) == (r / "reports", r / "configs", r / "notebooks")
    assert paths.SHARED_DATA == r.parent / "shared" / "data"


def test_the_package_folder_holds_the_helpers():
    assert paths.PACKAGE == Path(paths.__file__).resolve().parent
    assert (paths.PACKAGE / "paths.py").is_file() and (paths.PACKAGE / "io").is_dir()


def test_resolve_keeps_absolute_paths_and_puts_relative_ones_under_the_root(tmp_path):
    assert paths.resolve(tmp_path / "x.csv") == tmp_path / "x.csv"
    assert paths.resolve("configs/default.yaml") == paths.ROOT / "configs" / "default.yaml"
    # a path typed from the top of the repository: the shared folder beside the project
    assert paths.resolve("../shared/data/a.csv") == paths.ROOT / ".." / "shared" / "data" / "a.csv"
    assert paths.resolve(Path("data")) == paths.ROOT / "data"


def test_resolve_expands_the_home_folder():
    assert paths.resolve("~/exports/a.csv") == Path.home() / "exports" / "a.csv"


def test_the_environment_variable_sets_the_root(tmp_path):
    assert _root_in_subprocess(ROOT / "src", tmp_path, env_root=str(tmp_path / "elsewhere")) == \
        (tmp_path / "elsewhere").resolve()


def test_an_installed_package_without_a_project_around_it_uses_the_working_folder(tmp_path):
    pkg = tmp_path / "site" / "helpers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    shutil.copy(Path(paths.__file__), pkg / "paths.py")
    work = tmp_path / "work"
    work.mkdir()
    assert _root_in_subprocess(tmp_path / "site", work) == work.resolve()
