"""The batch runner: a run's files, offline HTML, reuse, isolation of failures, kills, grids, bad input."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import paths

from helpers.runner import run as report
from helpers.batch import Step
from tests.fixtures import TINY
from tests.fixtures.runner import fake_notebook as _fake_notebook

OUTSIDE = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["'](?:https?:)?//""", re.I)


def _runs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    code = report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "01"])
    return code, out


def test_a_run_writes_html_index_and_provenance(first_run):
    code, out = first_run
    assert code == 0
    (run,) = _runs(out)
    assert (out / "latest").resolve() == run.resolve()
    for name in ("index.html", "config.yaml", "run.json", "run.log", "01_data_cleaning.ipynb", "01_data_cleaning.html",
                 "01_data_cleaning.business.html", "artefacts/01_data_cleaning/cleaning_audit.csv", "figures/01_data_cleaning_fig01.json"):
        assert (run / name).is_file(), name
    meta = json.loads((run / "run.json").read_text())
    assert meta["ok"] and meta["notebooks"][0]["status"] == "ok" and meta["notebooks"][0]["key"]
    assert meta["data"]["n_clean_lines"] < meta["data"]["n_raw_lines"]
    assert meta["data_fingerprint"] == meta["data"]["fingerprint"]
    assert meta["packages"]["pandas"] and meta["packages"]["pymc-marketing"] == "0.19.2"
    assert meta["started"] <= meta["ended"]
    index = (run / "index.html").read_text()
    assert 'href="01_data_cleaning.business.html"' in index and 'href="01_data_cleaning.html"' in index and ">ok<" in index
    assert "01_data_cleaning: executing" in (run / "run.log").read_text()
    top = (out / "index.html").read_text()
    assert f'href="{run.name}/index.html"' in top and "(latest)" in top
    assert not list(out.glob(".tmp-*"))


def test_html_opens_offline_with_plotly_embedded(first_run):
    _, out = first_run
    for page_name in ("01_data_cleaning.html", "01_data_cleaning.business.html"):
        page = (out / "latest" / page_name).read_text(encoding="utf-8")
        assert not OUTSIDE.search(page), f"{page_name} loads something from the network"
        assert page.count("plotly-graph-div") >= 5
        assert "Plotly.newPlot" in page and len(page) > 3_000_000     # plotly.js itself is inline
        assert "<title>01 · Data cleaning" in page


def test_business_version_has_no_code_and_has_contents_and_parameters(first_run):
    _, out = first_run
    analyst = (out / "latest" / "01_data_cleaning.html").read_text(encoding="utf-8")
    business = (out / "latest" / "01_data_cleaning.business.html").read_text(encoding="utf-8")
    assert 'hl-ipython3' in analyst and '<span class="n">notebook_context</span>' in analyst
    assert 'hl-ipython3' not in business and '<span class="n">notebook_context</span>' not in business
    assert 'class="crm-toc"' in business and business.count('<li><a href="#Step-') >= 4
    assert "Run parameters" in business and "tiny.yaml" in business


def test_masked_ids_do_not_leak_into_the_html(first_run):
    """tiny.yaml masks customer ids: the example lines show masked ids only."""
    import pandas as pd

    from helpers.config import load_config
    from helpers.pipeline import prepare

    _, out = first_run
    raw_ids = set(pd.read_parquet(prepare(load_config(TINY), progress=False).raw_path,
                                  columns=["customer_id"])["customer_id"].dropna())
    for page_name in ("01_data_cleaning.html", "01_data_cleaning.business.html"):
        page = (out / "latest" / page_name).read_text(encoding="utf-8")
        assert "C-" in page
        assert not set(re.findall(r">(\d{5,})<", page)) & raw_ids


def test_unchanged_inputs_are_reused_and_force_reruns(first_run):
    _, out = first_run
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "01"]) == 0
    second = json.loads((out / "latest" / "run.json").read_text())
    assert second["notebooks"][0]["reused_from"] is not None
    assert (out / "latest" / "artefacts" / "01_data_cleaning" / "cleaning_audit.csv").exists()
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "01",
                        "--force"]) == 0
    third = json.loads((out / "latest" / "run.json").read_text())
    assert third["notebooks"][0]["reused_from"] is None
    assert third["notebooks"][0]["key"] == second["notebooks"][0]["key"]


def test_bad_data_stops_before_writing_and_keeps_earlier_runs(first_run, tmp_path, capsys):
    _, out = first_run
    before = sorted(p.name for p in out.iterdir())
    latest = (out / "latest").resolve()
    csv = tmp_path / "sales.csv"
    csv.write_text("Invoice,Date,Customer,Qty,Price\n1,2023-01-01,A,1,2.5\n2,2023-01-02,B,2,3.0\n"
                   "3,2023-01-03,A,1,4.0\n", encoding="utf-8")
    cfg = tmp_path / "shop.yaml"
    cfg.write_text(f"""name: shop
data:
  source: file
  path: {csv}
  columns: {{invoice: Invoice, invoice_ts: Date, customer_id: Customer, quantity: Quantity, unit_price: Price}}
""", encoding="utf-8")
    code = report.main(["--config", str(cfg), "--reports-dir", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "sales.csv" in err and "'Quantity'" in err and "missing-column" in err and "Qty" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "latest").resolve() == latest


def test_unknown_notebook_parameter_is_rejected(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TINY.read_text() + "notebooks:\n  01_data_cleaning: {show_exmples: 4}\n", encoding="utf-8")
    code = report.main(["--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown key 'notebooks.01_data_cleaning.show_exmples'" in err and "show_examples" in err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


@pytest.fixture
def fake_batch(tmp_path, monkeypatch):
    """Four tiny notebooks: 91 ok, 92 fails, 93 needs 92, 94 ok."""
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _fake_notebook(nbdir, "91_ok", "print('fine')")
    _fake_notebook(nbdir, "92_fails", "raise RuntimeError('planted failure')")
    _fake_notebook(nbdir, "93_needs_92", "print('should not run')")
    _fake_notebook(nbdir, "94_ok", "from pathlib import Path\nPath(output_dir).mkdir(parents=True, exist_ok=True)\n"
                                   "(Path(output_dir) / 'x.csv').write_text('a\\n1\\n')\nprint('wrote', output_dir)")
    batch = [Step("91_ok"), Step("92_fails"), Step("93_needs_92", needs=("92_fails",)), Step("94_ok")]
    monkeypatch.setattr(report, "BATCH", batch)
    monkeypatch.setattr(report, "NOTEBOOKS", [s.name for s in batch])
    monkeypatch.setattr(report, "notebook_path", lambda stem: nbdir / f"{stem}.ipynb")
    return tmp_path / "reports"


def test_a_failing_notebook_does_not_stop_the_others(fake_batch, capsys):
    out = fake_batch
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "91"]) == 0
    latest = (out / "latest").resolve()
    code = report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "FAILED 92_fails" in printed and "SKIPPED 93_needs_92" in printed
    run = max(_runs(out), key=lambda p: p.name)
    meta = json.loads((run / "run.json").read_text())
    status = {n["name"]: n["status"] for n in meta["notebooks"]}
    assert status == {"91_ok": "ok", "92_fails": "failed", "93_needs_92": "skipped", "94_ok": "ok"}
    index = (run / "index.html").read_text()
    assert ">failed<" in index and "planted failure" in index and ">skipped<" in index
    assert (run / "92_fails.html").exists()                 # the executed notebook with its error is kept
    assert "planted failure" in (run / "92_fails.html").read_text()
    assert (run / "artefacts" / "94_ok" / "x.csv").exists()
    assert (out / "latest").resolve() == latest             # a failed run never moves latest
    assert ">failed<" in (out / "index.html").read_text()
    assert "Incomplete run" in index and 'class="crm-run-banner"' in index


def _top(page: str) -> str:
    """The start of a page's body: what a reader sees first."""
    return page[page.index("<body"):][:6000]


def test_later_pages_say_what_failed_before_them_and_no_page_points_into_the_temporary_folder(fake_batch):
    out = fake_batch
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--jobs", "2"]) == 1
    run = _runs(out)[0]
    for page_name in ("94_ok.html", "94_ok.business.html"):
        top = _top((run / page_name).read_text(encoding="utf-8"))
        assert 'class="crm-run-banner"' in top and "This run is incomplete" in top
        assert "92_fails failed (RuntimeError: planted failure)" in top
        assert "93_needs_92 was skipped: it needs 92_fails" in top
    own = _top((run / "92_fails.business.html").read_text(encoding="utf-8"))
    assert "This notebook failed (RuntimeError: planted failure)" in own
    assert "crm-run-banner" not in (run / "91_ok.business.html").read_text(encoding="utf-8")   # nothing failed before 91
    page = (run / "94_ok.html").read_text(encoding="utf-8")
    assert str(run / "artefacts" / "94_ok") in page           # the printed output_dir is where the files are now
    for f in run.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".ipynb", ".json"):
            assert ".tmp-" not in f.read_text(encoding="utf-8"), f.name
    status = json.loads((run / "artefacts" / "run_status.json").read_text())
    assert status["complete"] and [n["status"] for n in status["notebooks"]] == ["ok", "failed", "skipped", "ok"]
    assert status["notebooks"][2]["blocked_by"] == ["92_fails"]


def test_a_summary_is_not_reused_when_what_it_reads_changed(tmp_path, monkeypatch):
    """A step that runs after all others depends on their fate in the run: once the failing notebook is fixed, the
    summary runs again instead of being reused from the run in which that notebook failed."""
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _fake_notebook(nbdir, "71_flaky", "raise RuntimeError('planted')")
    _fake_notebook(nbdir, "79_summary", "from pathlib import Path\nPath(output_dir).mkdir(parents=True, exist_ok=True)\n"
                                       "print((Path(output_dir).parent / 'run_status.json').read_text())")
    batch = [Step("71_flaky"), Step("79_summary", after_all=True)]
    monkeypatch.setattr(report, "BATCH", batch)
    monkeypatch.setattr(report, "NOTEBOOKS", [s.name for s in batch])
    monkeypatch.setattr(report, "notebook_path", lambda stem: nbdir / f"{stem}.ipynb")
    out = tmp_path / "reports"
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress"]) == 1
    first = _runs(out)[0]
    assert '\\"status\\": \\"failed\\"' in (first / "79_summary.ipynb").read_text()    # it read the statuses
    _fake_notebook(nbdir, "71_flaky", "print('fixed')")
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress"]) == 0
    second = json.loads(((out / "latest") / "run.json").read_text())
    assert {n["name"]: n["reused_from"] for n in second["notebooks"]} == {"71_flaky": None, "79_summary": None}
    assert "crm-run-banner" not in ((out / "latest") / "79_summary.business.html").read_text(encoding="utf-8")


_STAMPED = ("import json, time\nfrom pathlib import Path\nstart = time.time()\ntime.sleep({sleep})\n"
            "Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
            "(Path(output_dir) / 'times.json').write_text(json.dumps([start, time.time()]))")


def test_two_jobs_overlap_and_the_summary_waits_for_all(tmp_path, monkeypatch):
    """With --jobs 2 independent notebooks run side by side; a step marked after_all starts last,
    and one that needs a failed notebook is skipped even when it could have started early."""
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    for stem in ("81_a", "82_b", "83_c"):
        _fake_notebook(nbdir, stem, _STAMPED.format(sleep=4))
    _fake_notebook(nbdir, "84_fails", "raise RuntimeError('planted')")
    _fake_notebook(nbdir, "85_needs_84", "print('never')")
    _fake_notebook(nbdir, "89_summary", _STAMPED.format(sleep=0))
    batch = [Step("81_a"), Step("82_b"), Step("84_fails"), Step("85_needs_84", needs=("84_fails",)), Step("83_c"),
             Step("89_summary", after_all=True)]
    monkeypatch.setattr(report, "BATCH", batch)
    monkeypatch.setattr(report, "NOTEBOOKS", [s.name for s in batch])
    monkeypatch.setattr(report, "notebook_path", lambda stem: nbdir / f"{stem}.ipynb")
    out = tmp_path / "reports"
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--jobs", "2"]) == 1
    run = _runs(out)[0]
    meta = json.loads((run / "run.json").read_text())
    assert [n["name"] for n in meta["notebooks"]] == [s.name for s in batch]      # reported in batch order
    status = {n["name"]: n["status"] for n in meta["notebooks"]}
    assert status == {"81_a": "ok", "82_b": "ok", "84_fails": "failed", "85_needs_84": "skipped", "83_c": "ok",
                      "89_summary": "ok"}
    times = {stem: json.loads((run / "artefacts" / stem / "times.json").read_text())
             for stem in ("81_a", "82_b", "83_c", "89_summary")}
    a, b = times["81_a"], times["82_b"]
    assert a[0] < b[1] and b[0] < a[1], "81 and 82 did not run at the same time"
    assert times["89_summary"][0] >= max(t[1] for stem, t in times.items() if stem != "89_summary")


def test_a_grid_makes_one_run_per_value(fake_batch):
    out = fake_batch
    code = report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "91",
                        "--grid", "analysis.end=2023-06-30,2023-12-31"])
    assert code == 0
    runs = _runs(out)
    assert len(runs) == 2 and any("end_2023-06-30" in r.name for r in runs)
    ends = sorted(json.loads((r / "run.json").read_text())["data"]["analysis_end"] for r in runs)
    assert ends == ["2023-06-30", "2023-12-31"]


def test_expand_grid():
    assert report.expand_grid(["a.b=1,2", "c=x"]) == [["a.b=1", "c=x"], ["a.b=2", "c=x"]]
    assert report.expand_grid([]) == [[]]


@pytest.mark.slow
def test_a_killed_run_leaves_latest_and_the_previous_run_intact(first_run):
    _, out = first_run
    latest = (out / "latest").resolve()
    before = {p.name for p in _runs(out)}
    snapshot = {p.relative_to(latest): p.stat().st_size for p in latest.rglob("*") if p.is_file()}
    proc = subprocess.Popen([sys.executable, "-m", "helpers.runner.run", "--config", str(TINY), "--reports-dir", str(out),
                             "--no-progress", "--force", "--notebooks", "01"], cwd=paths.ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".tmp-*/01_data_cleaning.ipynb")):
        time.sleep(0.2)
    assert list(out.glob(".tmp-*")), "the run never started"
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert (out / "latest").resolve() == latest
    assert {p.name for p in _runs(out)} == before
    assert {p.relative_to(latest): p.stat().st_size for p in latest.rglob("*") if p.is_file()} == snapshot
    assert report.remove_stale_tmp(out)                      # the next run cleans up what the kill left
    assert not list(out.glob(".tmp-*"))


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        report.main(["--help"])
    assert exc.value.code == 0
    assert "--grid" in capsys.readouterr().out
