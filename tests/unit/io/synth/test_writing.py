"""Tests for helpers.io.synth.writing: generate (deterministic, atomic, scaled, short windows,
streamed), ensure_synthetic's cache and the command line."""
from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers.io import schema, synth
from helpers.io.synth import writing as synth_writing
from helpers import paths
from helpers.config import SyntheticConfig
from helpers.io.synth.writing import folder_for
from tests.fixtures.synth import btyd_only, orders_of, reference_clean


def test_deterministic(tmp_path):
    cfg = SyntheticConfig(customers=300, seed=11)
    a = synth.generate(cfg, tmp_path / "a", progress=False)
    b = synth.generate(cfg, tmp_path / "b", progress=False)
    for rel in ("lines.parquet", "truth/params.json", "truth/customers.parquet", "truth/bundles.json",
                "attributes.parquet", "exposures.parquet", "responses.parquet", "feedback.parquet",
                "truth/campaigns.json", "truth/feedback.json", "truth/demographics.json",
                "truth/campaign_orders.parquet"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    c = synth.generate(SyntheticConfig(customers=300, seed=12), tmp_path / "c", progress=False)
    assert (a / "lines.parquet").read_bytes() != (c / "lines.parquet").read_bytes()
    # the catalogue is the same for every seed
    assert synth.load_truth(a)["bundles"] == synth.load_truth(c)["bundles"]


def test_target_lines_scales_customers(tmp_path):
    cfg = SyntheticConfig(target_lines=25_000, seed=3)
    out = synth.generate(cfg, tmp_path / "t", progress=False)
    p = synth.load_truth(out)["params"]
    assert abs(p["n_lines"] / 25_000 - 1) < 0.25
    assert p["n_customers"] != cfg.customers


def test_ensure_synthetic_caches_by_config(tmp_path):
    cfg = SyntheticConfig(customers=100, seed=5)
    f1 = synth.ensure_synthetic(cfg, root=tmp_path, progress=False)
    assert re.fullmatch(r"synthetic-[0-9a-f]{12}", f1.name) and f1.parent == tmp_path
    assert f1 == synth.folder_for(cfg, tmp_path)
    stamp = (f1 / "lines.parquet").stat().st_mtime_ns
    assert synth.ensure_synthetic(cfg, root=tmp_path, progress=False) == f1
    assert (f1 / "lines.parquet").stat().st_mtime_ns == stamp
    f2 = synth.ensure_synthetic(SyntheticConfig(customers=100, seed=6), root=tmp_path, progress=False)
    assert f2 != f1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f1.name, f2.name])


def test_generate_is_atomic(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("killed")

    monkeypatch.setattr(synth_writing, "write_truth", boom)
    with pytest.raises(RuntimeError):
        synth.generate(SyntheticConfig(customers=50), tmp_path / "x", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_generate_replaces_existing_folder(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    synth.generate(SyntheticConfig(customers=50), out, progress=False)
    assert not (out / "stale.txt").exists() and (out / "lines.parquet").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["x"]


def test_cli(tmp_path, capsys):
    assert synth.main(["--customers", "120", "--seed", "4", "--out", str(tmp_path / "cli"),
                       "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert str(tmp_path / "cli") in text and "lines" in text and "120 customers" in text
    with pytest.raises(SystemExit) as exc:
        synth.main(["--help"])
    assert exc.value.code == 0
    assert "--target-lines" in capsys.readouterr().out


def test_short_window(tmp_path):
    cfg = SyntheticConfig(customers=200, days=60, start="2024-11-01", seed=9)
    out = synth.generate(cfg, tmp_path / "s", progress=False)
    lines = pd.read_parquet(out / "lines.parquet")
    schema.validate_lines(lines, "short")
    assert lines["invoice_ts"].min() >= pd.Timestamp("2024-11-01")
    assert lines["invoice_ts"].max() < pd.Timestamp("2024-12-31")
    truth = synth.load_truth(out)
    per = orders_of(btyd_only(reference_clean(lines), truth)).groupby("customer_id").size()
    cust = truth["customers"].set_index("customer_id")
    assert (per.loc[cust.index] == cust["n_orders"]).all()


@pytest.mark.slow
def test_one_million_lines_stream(tmp_path):
    out = synth.generate(SyntheticConfig(target_lines=1_000_000, seed=1), tmp_path / "m", progress=False)
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(out / "lines.parquet").metadata
    assert meta.num_row_groups > 1
    assert abs(meta.num_rows / 1_000_000 - 1) < 0.25
    params = json.loads((out / "truth" / "params.json").read_text())
    assert params["n_lines"] == meta.num_rows
    cols = pd.read_parquet(out / "lines.parquet", columns=["line_id", "invoice", "invoice_ts"])
    assert cols["invoice_ts"].is_monotonic_increasing
    assert (cols["line_id"].to_numpy() == np.arange(len(cols))).all()
    assert cols["invoice"].str.startswith("C").sum() == params["dirt"]["cancellation_lines"]



def test_folder_for_hashes_the_config_and_the_generator_version(tmp_path):
    cfg = SyntheticConfig(customers=100, seed=5)
    # as documented: the first 12 hex digits of the SHA-256 of the config (keys sorted) + GENERATOR_VERSION
    payload = json.dumps(cfg.model_dump(mode="json"), sort_keys=True) + synth.GENERATOR_VERSION
    expected = "synthetic-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
    assert folder_for(cfg, tmp_path) == tmp_path / expected
    assert folder_for(cfg) == paths.RAW / expected
    assert folder_for(SyntheticConfig(customers=100, seed=5, days=365), tmp_path) != tmp_path / expected


def test_cli_refuses_an_invalid_config(capsys):
    with pytest.raises(SystemExit) as exc:
        synth.main(["--customers", "5", "--no-progress"])                 # at least 20 customers
    assert exc.value.code == 2
    assert "customers" in capsys.readouterr().err


def test_cli_without_out_uses_the_cached_folder(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_ensure(cfg, progress=True):
        calls.append((cfg, progress))
        folder = tmp_path / "cached"
        (folder / "truth").mkdir(parents=True)
        (folder / "truth" / "params.json").write_text(json.dumps(
            {"n_lines": 1234, "n_invoices": 56, "n_customers": 30, "extra_tables": {"feedback": 7}}))
        return folder

    monkeypatch.setattr(synth_writing, "ensure_synthetic", fake_ensure)
    assert synth.main(["--customers", "30", "--seed", "2", "--days", "90", "--start", "2024-03-01",
                       "--no-progress"]) == 0
    (cfg, progress), = calls
    assert (cfg.customers, cfg.seed, cfg.days, str(cfg.start), progress) == (30, 2, 90, "2024-03-01", False)
    out = capsys.readouterr().out
    assert "1,234 lines, 56 invoices, 30 customers" in out and "feedback 7 rows" in out
