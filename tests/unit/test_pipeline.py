"""prepare(): caching by fingerprint, atomic outputs, and figures checked against independent reads."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import paths, pipeline
from helpers.config import DEFAULT_NON_PRODUCT_CODES, load_config, parse_override
from helpers.errors import DataError
from tests.fixtures import TINY



@pytest.fixture(scope="module")
def tiny():
    return pipeline.prepare(load_config(TINY), progress=False)


class TestPrepare:
    def test_outputs_and_meta(self, tiny):
        for name in ("lines_clean", "line_status", "audit", "customers_rfm", "customers_btyd"):
            assert tiny.path(name).exists()
        assert tiny.meta["n_clean_lines"] == len(tiny.lines())
        assert tiny.meta["n_raw_lines"] == len(tiny.read("line_status"))
        assert not list(tiny.folder.glob("scratch_*"))          # scratch files are gone

    def test_customer_tables_match_clean_lines(self, tiny):
        lines = tiny.lines()
        rfm = tiny.read("customers_rfm")
        customer_lines = lines[lines["customer_id"].notna()]
        assert rfm["monetary"].sum() == pytest.approx(customer_lines["amount"].sum())
        assert set(rfm["customer_id"]) == set(customer_lines["customer_id"])
        assert len(tiny.read("customers_btyd")) == len(rfm)

    def test_reused_while_unchanged(self, tiny):
        again = pipeline.prepare(load_config(TINY), progress=False)
        assert again.folder == tiny.folder and again.meta["created"] == tiny.meta["created"]

    def test_a_changed_rule_gets_its_own_folder(self, tiny):
        other = pipeline.prepare(load_config(TINY, [parse_override("cleaning.zero_price=remove")]), progress=False)
        assert other.folder != tiny.folder
        a, before = other.read("audit").set_index("rule"), tiny.read("audit").set_index("rule")
        # by default the shop's free lines are kept purchases; with remove they are the zero_price rule's lines
        assert before.loc["zero_price", "lines"] == 0 and not before.loc["zero_price", "enabled"]
        assert a.loc["zero_price", "lines"] == before.loc["free lines (kept)", "lines"] > 0 and a.loc["zero_price", "enabled"]
        assert a.loc["free lines (kept)", "lines"] == 0

    def test_window_outside_the_data_is_a_readable_error(self, tiny):
        before = sorted(p.name for p in paths.PROCESSED.iterdir())
        cfg = load_config(TINY, [parse_override("analysis.start=2030-01-01"), parse_override("analysis.end=2030-12-31")])
        with pytest.raises(DataError, match=r"analysis window 2030-01-01 .. 2030-12-31 does not overlap.*analysis-window"):
            pipeline.prepare(cfg, progress=False)
        assert sorted(p.name for p in paths.PROCESSED.iterdir()) == before   # nothing half-written

    def test_open_run_applies_overrides(self, tiny):
        p = pipeline.open_run(TINY, ["analysis.end=2023-06-30"], progress=False)
        assert p.end == dt.date(2023, 6, 30)
        assert p.read("line_status")["status"].eq("outside_window").any()

    def test_truth_and_exports(self, tiny, tmp_path):
        truth = tiny.synthetic_truth()
        assert truth is not None and len(truth["customers"]) == 300
        assert tiny.export_dir(tmp_path / "x") == tmp_path / "x" and (tmp_path / "x").is_dir()


@pytest.mark.spark
def test_spark_engine_writes_the_same_tables(tiny):
    duck = {n: tiny.read(n) for n in ("lines_clean", "line_status", "audit", "customers_rfm", "customers_btyd")}
    spark = pipeline.prepare(load_config(TINY, [parse_override("engine.backend=spark")]), force=True, progress=False)
    assert spark.folder == tiny.folder                       # same data and rules: same fingerprint
    for name, d in duck.items():
        s = spark.read(name)
        for col in d.columns:
            if pd.api.types.is_datetime64_any_dtype(d[col]) or "purchase" in col:
                d[col], s[col] = pd.to_datetime(d[col]), pd.to_datetime(s[col])
        pd.testing.assert_frame_equal(d.reset_index(drop=True), s.reset_index(drop=True), check_dtype=False,
                                      rtol=1e-9, obj=name)


@pytest.mark.slow
@pytest.mark.shared_data
def test_online_retail_ii_audit_against_an_independent_read(shared_data):
    """Rule counts recomputed with plain pandas on the workbook."""
    cfg = load_config(paths.CONFIGS / "online_retail_ii.yaml")
    prep = pipeline.prepare(cfg, progress=False)
    audit = prep.read("audit").set_index("rule")
    sheets = pd.read_excel(shared_data / "online_retail_ii" / "online_retail_II_sample.xlsx", sheet_name=None)
    raw = pd.concat(sheets.values(), ignore_index=True)
    assert audit.loc["raw total", "lines"] == len(raw)
    assert audit.loc["raw total", "revenue"] == pytest.approx((raw["Quantity"] * raw["Price"]).sum())
    # the second sheet repeats the first sheet's invoices of 2010-12-01..09: the overlap rule takes them
    first, second = sheets["Year 2009-2010"], sheets["Year 2010-2011"]
    repeated = second["Invoice"].isin(set(first["Invoice"])).to_numpy()
    overlap = pd.Series(np.concatenate([np.zeros(len(first), bool), repeated]), index=raw.index)
    assert audit.loc["overlap", "lines"] == overlap.sum() == 441
    dup = raw[~overlap].duplicated(keep="first").reindex(raw.index, fill_value=False)
    assert audit.loc["duplicate", "lines"] == dup.sum()
    rest = raw[~dup & ~overlap]
    code = rest["StockCode"].astype(str).str.strip()
    pattern = re.compile(cfg.cleaning.non_product_pattern)
    non_product = code.str.upper().isin(DEFAULT_NON_PRODUCT_CODES) | code.map(lambda c: bool(pattern.search(c)))
    assert audit.loc["non_product", "lines"] == non_product.sum()
    rest = rest[~non_product]
    is_cancel = rest["Invoice"].astype(str).str.startswith("C") | (rest["Quantity"] < 0)
    cancel_rules = ["cancellation", "cancellation_partial", "cancellation_unmatched"]
    assert audit.loc[cancel_rules, "lines"].sum() == is_cancel.sum()
    guests = prep.lines()["customer_id"].isna().sum()
    assert audit.loc["guests (kept)", "lines"] == guests
    rfm = prep.read("customers_rfm")
    kept_customers = prep.lines().dropna(subset=["customer_id"])
    assert rfm["monetary"].sum() == pytest.approx(kept_customers["amount"].sum())


@pytest.mark.shared_data
def test_cdnow_master_customer_tables(shared_data):
    prep = pipeline.prepare(load_config(paths.CONFIGS / "cdnow.yaml"), progress=False)
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    rfm = prep.read("customers_rfm")
    assert len(rfm) == raw["customer_id"].nunique() == 23_570
    assert rfm["monetary"].sum() == pytest.approx(raw["dollar_value"].sum())
    btyd = prep.read("customers_btyd")
    # repeat purchases on distinct days, counted independently
    days = raw.groupby("customer_id")["date"].nunique() - 1
    assert btyd["frequency"].sum() == days.sum()
