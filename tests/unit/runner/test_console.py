"""What the batch runner shows on the console: one line per notebook and the report path; the kernels'
messages, the notebooks' output and tracebacks go to the run's ``run.log`` and, with ``--verbose``, to stderr."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths
from helpers.runner import execute
from helpers.runner import run as report
from helpers.runner.results import NotebookResult
from tests.fixtures import TINY
from tests.unit.runner.test_run import fake_batch  # noqa: F401  (the fixture: 91 ok, 92 fails, 93 needs 92, 94 ok)

KERNEL_NOISE = ("Kernel is running over TCP", "IPKernelApp", "KeyboardInterrupt caught in kernel")
NOTEBOOK_LINE = re.compile(r"^  (ok    |FAILED|SKIPPED) (\S+) \(\d+\.\d s\)", re.M)


def _run_folder(out: Path) -> Path:
    (run,) = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    return run


def test_notebook_line_says_status_time_and_why():
    ok = NotebookResult("01_data_cleaning", status="ok", seconds=3.14)
    assert report.notebook_line(ok, Path("/r/run"), executed=True) == "  ok     01_data_cleaning (3.1 s)"
    reused = NotebookResult("01_data_cleaning", status="ok", reused_from="tiny-1")
    assert report.notebook_line(reused, Path("/r/run"), executed=False).endswith("(0.0 s)  reused from tiny-1")
    skipped = NotebookResult("93_b", status="skipped", error="needs 92_a, which did not succeed")
    assert report.notebook_line(skipped, Path("/r/run"), executed=False) == \
        "  SKIPPED 93_b (0.0 s)  needs 92_a, which did not succeed"


def test_a_failure_is_one_line_plus_where_the_details_are():
    failed = NotebookResult("92_a", status="failed", seconds=1.0, error="ValueError: bad\n  value   here")
    first, second = report.notebook_line(failed, Path("/r/run"), executed=True).split("\n")
    assert first == "  FAILED 92_a (1.0 s)  ValueError: bad value here"
    assert second.strip() == "details: /r/run/92_a.ipynb, /r/run/run.log"
    never_ran = report.notebook_line(failed, Path("/r/run"), executed=False).split("\n")[1]
    assert never_ran.strip() == "details: /r/run/run.log"
    assert len(report.one_line("x " * 500, limit=50)) == 50


def test_kernel_output_is_logged_line_by_line(caplog):
    read, write = os.pipe()
    with caplog.at_level(logging.INFO, logger="helpers.runner.kernel"):
        thread = execute.forward(os.fdopen(read, "rb"), "05_churn")
        os.write(write, b"[IPKernelApp] WARNING | noise\n\nsecond line\n")
        os.close(write)
        thread.join(10)
    assert not thread.is_alive()
    assert [r.getMessage() for r in caplog.records] == ["05_churn kernel: [IPKernelApp] WARNING | noise",
                                                        "05_churn kernel: second line"]


def test_each_notebook_gets_its_own_kernel_manager_class():
    from jupyter_client import AsyncKernelManager

    a, b = execute.kernel_manager("a"), execute.kernel_manager("b")
    assert issubclass(a, AsyncKernelManager) and a is not b and a.readers is not b.readers


def test_the_console_shows_one_line_per_notebook_and_the_log_keeps_the_rest(fake_batch, capfd):
    """capfd reads file descriptors 1 and 2, which the kernels would write to if they inherited them."""
    out = fake_batch
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--jobs", "1"]) == 1
    printed = "".join(capfd.readouterr())
    run = _run_folder(out)
    assert not any(noise in printed for noise in KERNEL_NOISE), printed
    assert not re.search(r"^(fine|wrote .*)$", printed, re.M) and "Traceback" not in printed
    assert [m[1] for m in NOTEBOOK_LINE.findall(printed)] == ["91_ok", "92_fails", "93_needs_92", "94_ok"]
    assert "FAILED 92_fails" in printed and "RuntimeError: planted failure" in printed
    assert f"details: {run / '92_fails.ipynb'}, {run / 'run.log'}" in printed
    assert "SKIPPED 93_needs_92 (0.0 s)  needs 92_fails, which did not succeed" in printed
    assert f"report: {run / 'index.html'}" in printed
    log = (run / "run.log").read_text(encoding="utf-8")
    assert all(f"helpers.runner.kernel: {nb} kernel: " in log for nb in ("91_ok", "92_fails", "94_ok"))
    assert "fine" in log and "wrote" in log and "raise RuntimeError('planted failure')" in log


def test_verbose_shows_what_goes_to_the_log(fake_batch, capfd):
    out = fake_batch
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "91",
                        "--verbose"]) == 0
    captured = capfd.readouterr()
    log = (_run_folder(out) / "run.log").read_text(encoding="utf-8")
    kernel = re.findall(r"helpers\.runner\.kernel: (.+)", log)
    assert kernel and all(line in captured.err for line in kernel)
    assert "91_ok: executing" in captured.err and "fine" in captured.err
    assert NOTEBOOK_LINE.findall(captured.out) == [("ok    ", "91_ok")]


def _cli(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.runner", "--config", str(TINY), "--reports-dir", str(out),
                           "--notebooks", "01", *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return out, _cli(out)


@pytest.mark.slow
def test_make_reports_prints_no_kernel_noise(tiny_run):
    out, proc = tiny_run
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout + proc.stderr
    assert not any(noise in printed for noise in KERNEL_NOISE), printed
    assert NOTEBOOK_LINE.findall(proc.stdout) == [("ok    ", "01_data_cleaning")]
    # no --no-progress, but a pipe is not a terminal: the lines alone, no progress bar (tqdm writes "?notebook/s")
    assert "notebook/s" not in printed, printed
    run = (out / "latest").resolve()
    assert f"report: {run / 'index.html'}" in proc.stdout and (run / "index.html").is_file()
    assert "helpers.runner.kernel: 01_data_cleaning kernel: " in (run / "run.log").read_text(encoding="utf-8")


@pytest.mark.slow
def test_make_reports_verbose_shows_the_kernel_lines(tiny_run):
    out, _ = tiny_run
    proc = _cli(out, "--force", "--verbose", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    log = ((out / "latest") / "run.log").read_text(encoding="utf-8")
    kernel = re.findall(r"helpers\.runner\.kernel: (.+)", log)
    assert all(line in proc.stderr for line in kernel)
    if "IPKernelApp" in log:
        assert "IPKernelApp" in proc.stderr
    assert "01_data_cleaning: executing" in proc.stderr and "Executing Cell 1" in proc.stderr
    assert NOTEBOOK_LINE.findall(proc.stdout) == [("ok    ", "01_data_cleaning")]
