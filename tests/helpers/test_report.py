"""The batch runner end to end on the tiny config, and what it does with bad input."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from helpers import report

TINY = Path(__file__).parents[1] / "fixtures" / "configs" / "tiny.yaml"
OUTSIDE = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["'](?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    code = report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress"])
    return code, out


def test_a_run_writes_html_index_and_provenance(first_run):
    code, out = first_run
    assert code == 0
    runs = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1
    run = runs[0]
    assert (out / "latest").resolve() == run.resolve()
    for name in ("index.html", "config.yaml", "run.json", "01_data_cleaning.ipynb", "01_data_cleaning.html"):
        assert (run / name).is_file(), name
    meta = json.loads((run / "run.json").read_text())
    assert meta["ok"] and meta["notebooks"][0]["status"] == "ok"
    assert meta["data"]["n_clean_lines"] < meta["data"]["n_raw_lines"]
    index = (run / "index.html").read_text()
    assert 'href="01_data_cleaning.html"' in index and ">ok<" in index
    assert not list(out.glob(".tmp-*"))


def test_html_opens_offline_with_plotly_embedded(first_run):
    _, out = first_run
    page = (out / "latest" / "01_data_cleaning.html").read_text(encoding="utf-8")
    assert not OUTSIDE.search(page), "the report loads something from the network"
    assert page.count("plotly-graph-div") >= 5
    assert "Plotly.newPlot" in page and len(page) > 3_000_000     # plotly.js itself is inline
    assert "<title>01 · Data cleaning" in page


def test_masked_ids_do_not_leak_into_the_html(first_run):
    """tiny.yaml masks customer ids: the example lines show masked ids only."""
    import pandas as pd

    from helpers.config import load_config
    from helpers.pipeline import prepare

    _, out = first_run
    page = (out / "latest" / "01_data_cleaning.html").read_text(encoding="utf-8")
    raw_ids = pd.read_parquet(prepare(load_config(TINY), progress=False).raw_path, columns=["customer_id"])
    shown = set(re.findall(r">(\d{5,})<", page))
    assert "C-" in page
    assert not shown & set(raw_ids["customer_id"].dropna())


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


def test_a_failing_notebook_is_reported_and_latest_stays(first_run, tmp_path, capsys):
    _, out = first_run
    latest = (out / "latest").resolve()
    cfg = tmp_path / "broken.yaml"
    cfg.write_text(TINY.read_text().replace("name: tiny", "name: broken")
                   + "notebooks:\n  01_data_cleaning: {show_examples: not-a-number}\n", encoding="utf-8")
    code = report.main(["--config", str(cfg), "--reports-dir", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1 and "FAILED 01_data_cleaning" in printed
    run = next(p for p in out.iterdir() if p.name.startswith("broken-"))
    index = (run / "index.html").read_text()
    assert ">failed<" in index and "Error" in index
    assert (run / "01_data_cleaning.html").exists()           # the executed notebook with its error is kept
    assert (out / "latest").resolve() == latest
    shutil.rmtree(run)


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        report.main(["--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out
