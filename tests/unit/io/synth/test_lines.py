"""Tests for helpers.io.synth.lines: the canonical line table, invoice numbering, the planted dirt
counted exactly, cancellations, and time order across row groups."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.io import schema, synth
from helpers.io.synth import lines as synth_lines, plan as synth_plan
from helpers.config import SyntheticConfig
from helpers.io.synth.lines import Stats, arrow_schema, iter_tables
from helpers.io.synth.plan import KIND_CANCELLED, make_plan
from tests.fixtures.synth import btyd_only, orders_of, reference_clean


def test_schema_dtypes_and_validation(shop):
    df = shop["lines"]
    assert list(df.columns) == list(schema.LINE_COLUMNS)
    assert {c: str(t) for c, t in df.dtypes.items()} == schema.LINE_COLUMNS
    schema.validate_lines(df, "synthetic")
    assert (df["line_id"].to_numpy() == np.arange(len(df))).all()
    assert np.allclose(df["amount"], df["quantity"] * df["unit_price"], rtol=0, atol=1e-9)
    assert (df["currency"] == "GBP").all()
    for col in ("invoice", "product_id", "description", "category", "country", "channel"):
        assert df[col].notna().all(), col
    assert df["invoice_ts"].is_monotonic_increasing
    # times of day are shop hours, not midnight dates
    hours = df["invoice_ts"].dt.hour
    assert hours.min() >= 7 and hours.nunique() > 10
    start = pd.Timestamp(shop["cfg"].start)
    assert df["invoice_ts"].min() >= start
    assert df["invoice_ts"].max() < start + pd.Timedelta(days=shop["cfg"].days)
    assert set(df["channel"]) == {"web", "store", "app"}
    assert df["country"].nunique() >= 9
    assert (df["country"] == "United Kingdom").mean() > 0.6


def test_invoices_unique_per_order(shop):
    df = shop["lines"]
    sale = df[~df["invoice"].str.startswith("C")]
    per_inv = sale.groupby("invoice").agg(n_ts=("invoice_ts", "nunique"),
                                          n_cust=("customer_id", lambda s: s.nunique(dropna=False)))
    assert (per_inv["n_ts"] == 1).all() and (per_inv["n_cust"] == 1).all()
    assert sale["invoice"].str.fullmatch(r"\d{6,}").all()


def test_dirt_counts_match_data(shop):
    df, dirt = shop["lines"], shop["truth"]["params"]["dirt"]
    is_c = df["invoice"].str.startswith("C")
    assert is_c.sum() == dirt["cancellation_lines"] > 0
    assert df.loc[is_c, "invoice"].nunique() == dirt["cancelled_orders"] > 0
    assert (df.loc[is_c, "quantity"] < 0).all() and (df.loc[~is_c, "quantity"] > 0).all()
    assert (df["product_id"] == "POST").sum() == dirt["postage_lines"] > 0
    assert (df.loc[df["product_id"] == "POST", "description"] == "POSTAGE").all()
    assert (df["product_id"] == "M").sum() == dirt["manual_lines"] > 0
    assert (df["product_id"] == "BANK CHARGES").sum() == dirt["bank_charges_lines"] > 0
    assert df.drop(columns="line_id").duplicated().sum() == dirt["duplicate_lines"] > 0
    assert (df["unit_price"] == 0).sum() == dirt["zero_price_lines"] > 0
    assert (df["quantity"] >= 1000).sum() == dirt["extreme_quantity_lines"] >= 1
    assert df["quantity"].max() <= 6_000
    assert df["customer_id"].isna().sum() == dirt["guest_lines"] > 0
    assert df.loc[df["customer_id"].isna(), "invoice"].nunique() == dirt["guest_orders"]
    # rough rates: ~1-2 % cancelled orders, ~0.3 % duplicates, ~0.2 % zero prices
    n_orders = df.loc[~is_c, "invoice"].nunique()
    assert 0.005 < dirt["cancelled_orders"] / n_orders < 0.03
    assert 0.001 < dirt["duplicate_lines"] / len(df) < 0.006
    assert 0.0005 < dirt["zero_price_lines"] / len(df) < 0.005


def test_cancellations_reference_earlier_invoice(shop):
    df = shop["lines"]
    is_c = df["invoice"].str.startswith("C")
    canc = df[is_c].assign(orig=lambda d: d["invoice"].str[1:])
    sale = df[~is_c]
    m = canc.merge(sale, left_on=["orig", "product_id"], right_on=["invoice", "product_id"],
                   how="left", suffixes=("", "_orig"), indicator=True)
    assert len(m) == len(canc)  # exactly one original line per cancellation line
    assert (m["_merge"] == "both").all()
    assert (m["customer_id"] == m["customer_id_orig"]).all()
    assert m["customer_id"].notna().all()
    assert (m["invoice_ts"] > m["invoice_ts_orig"]).all()
    assert (m["unit_price"] == m["unit_price_orig"]).all()
    assert (-m["quantity"] <= m["quantity_orig"]).all()
    partial = (-m["quantity"] < m["quantity_orig"]).sum()
    assert partial == shop["truth"]["params"]["dirt"]["cancellation_lines_partial"] > 0
    # every line of a cancelled order is cancelled, so the whole extra order disappears
    orig_lines = sale[sale["invoice"].isin(set(canc["orig"]))]
    assert len(orig_lines) == len(canc) == shop["truth"]["params"]["dirt"]["cancelled_order_lines"]


def test_legit_quantities_survive_quantile_rule(shop):
    """The config's default extreme rule (q > 10 x p99 of sale quantities) removes only planted lines."""
    df = shop["lines"]
    sale = df[~df["invoice"].str.startswith("C")]
    limit = 10 * sale["quantity"].quantile(0.99)
    assert ((sale["quantity"] > limit) == (sale["quantity"] >= 1000)).all()
    assert shop["truth"]["params"]["max_btyd_quantity"] < limit


def test_many_chunks_keep_time_order_and_truth(tmp_path, monkeypatch):
    """Small row groups: cancellations carried across chunks still land in time order."""
    monkeypatch.setattr(synth_lines, "CHUNK_ORDERS", 300)
    monkeypatch.setattr(synth_plan, "CHUNK_CUSTOMERS", 170)
    out = synth.generate(SyntheticConfig(customers=900, seed=2), tmp_path / "c", progress=True)
    import pyarrow.parquet as pq

    assert pq.ParquetFile(out / "lines.parquet").metadata.num_row_groups > 5
    lines = pd.read_parquet(out / "lines.parquet")
    truth = synth.load_truth(out)
    schema.validate_lines(lines, "chunked")
    assert lines["invoice_ts"].is_monotonic_increasing
    assert (lines["line_id"].to_numpy() == np.arange(len(lines))).all()
    assert lines["invoice"].str.startswith("C").sum() == truth["params"]["dirt"]["cancellation_lines"]
    assert lines.drop(columns="line_id").duplicated().sum() == truth["params"]["dirt"]["duplicate_lines"]
    per = orders_of(btyd_only(reference_clean(lines), truth)).groupby("customer_id")["value"].agg(["size", "mean"])
    cust = truth["customers"].set_index("customer_id").loc[per.index]
    assert len(per) == len(truth["customers"])
    assert (per["size"] == cust["n_orders"]).all()
    assert np.allclose(per["mean"], cust["mean_order_value"], rtol=1e-9)



# --------------------------------------------------------------------------------------
# the line tables of a plan, directly
# --------------------------------------------------------------------------------------
def test_arrow_schema_reads_back_as_the_canonical_dtypes():
    sch = arrow_schema()
    assert sch.names == list(schema.LINE_COLUMNS)
    empty = sch.empty_table().to_pandas()
    assert {c: str(t) for c, t in empty.dtypes.items()} == schema.LINE_COLUMNS


def test_iter_tables_writes_every_order_and_counts_its_dirt(monkeypatch):
    monkeypatch.setattr(synth_lines, "CHUNK_ORDERS", 200)
    plan = make_plan(np.random.default_rng(4), 300, dt.date(2023, 1, 1), 200)
    stats = Stats(300)
    tables = list(iter_tables(np.random.default_rng(5), plan, stats))
    n_orders = plan.orders["z"].size
    assert len(tables) == -(-n_orders // 200)                           # one table per chunk of orders
    df = pa.concat_tables(tables).to_pandas()
    assert len(df) == stats.lines and (df["line_id"].to_numpy() == np.arange(len(df))).all()
    is_c = df["invoice"].str.startswith("C")
    # every order of the plan has at least one line, under its own invoice number
    assert set(df.loc[~is_c, "invoice"].astype(int)) == set(plan.orders["invoice"].tolist())
    cancelled = set(plan.orders["invoice"][plan.orders["kind"] == KIND_CANCELLED].astype(str))
    assert set(df.loc[is_c, "invoice"].str[1:]) == cancelled
    assert is_c.sum() == stats.dirt["cancellation_lines"] == stats.dirt["cancelled_order_lines"]
    assert df["customer_id"].isna().sum() == stats.dirt["guest_lines"]
    assert (df["unit_price"] == 0).sum() == stats.dirt["zero_price_lines"]
    assert (df["product_id"] == "POST").sum() == stats.dirt["postage_lines"]
    assert df["invoice_ts"].is_monotonic_increasing
