"""Tests for helpers.synth: schema, catalogue, planted bundles, dirt, BTYD truth, determinism, scale."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers import schema, synth
from helpers.config import SyntheticConfig

FEE_CODES = ("POST", "M", "BANK CHARGES")


# --------------------------------------------------------------------------------------
# fixtures and a reference cleaner
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    cfg = SyntheticConfig(customers=1500, seed=7)
    out = synth.generate(cfg, tmp_path_factory.mktemp("synth") / "shop", progress=False)
    lines = pd.read_parquet(out / "lines.parquet")
    return {"cfg": cfg, "dir": out, "lines": lines, "truth": synth.load_truth(out)}


def reference_clean(df: pd.DataFrame) -> pd.DataFrame:
    """The 'standard cleaning' the module docstring promises restores the truth."""
    df = df[~df.drop(columns="line_id").duplicated()]
    is_c = df["invoice"].str.startswith("C")
    cancelled = set(df.loc[is_c, "invoice"].str[1:])
    df = df[~is_c & ~df["invoice"].isin(cancelled)]
    df = df[(df["unit_price"] > 0) & ~df["product_id"].isin(FEE_CODES) & (df["quantity"] < 1000)]
    return df[df["customer_id"].notna()]


def orders_of(clean: pd.DataFrame) -> pd.DataFrame:
    return clean.groupby("invoice").agg(customer_id=("customer_id", "first"),
                                        ts=("invoice_ts", "first"), value=("amount", "sum"))


def baskets(df: pd.DataFrame) -> pd.DataFrame:
    """Invoice x product 0/1 matrix of sale baskets (product lines only, no cancellations)."""
    sale = df[~df["invoice"].str.startswith("C") & ~df["product_id"].isin(FEE_CODES)
              & (df["unit_price"] > 0) & (df["quantity"] < 1000)]
    return pd.crosstab(sale["invoice"], sale["product_id"]).clip(upper=1)


# --------------------------------------------------------------------------------------
# schema and shape
# --------------------------------------------------------------------------------------
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


def test_catalogue_tiers(shop):
    products, tiers = shop["truth"]["products"], shop["truth"]["tiers"]
    assert len(products) >= 300 and products["product_id"].is_unique
    assert products["category"].nunique() >= 10
    assert products["product_id"].str.fullmatch(r"\d{5}").all()
    assert (products["description"] == products["base_item"] + " - " + products["tier"]).all()
    ladder = tiers.pivot_table(index=["category", "base_item"], columns="tier", values="price")
    assert list(ladder.columns.sort_values()) == ["Best", "Better", "Good"]
    assert len(ladder) * 3 == len(tiers)
    assert (ladder["Good"] < ladder["Better"]).all() and (ladder["Better"] < ladder["Best"]).all()
    ratio = (ladder["Best"] / ladder["Good"]).median()
    assert 2.5 < ratio < 3.5
    # the data uses the catalogue's descriptions, categories and prices
    df = shop["lines"]
    sale = df[~df["product_id"].isin(FEE_CODES) & (df["unit_price"] > 0)]
    merged = sale.merge(products, on="product_id", suffixes=("", "_cat"), how="left")
    assert merged["price"].notna().all()
    assert (merged["unit_price"] == merged["price"]).all()
    assert (merged["description"] == merged["description_cat"]).all()
    assert (merged["category"] == merged["category_cat"]).all()


def test_tier_preferences_by_type(shop):
    """Premium customers buy mostly Best, bargain customers mostly Good."""
    clean = reference_clean(shop["lines"])
    t = shop["truth"]
    m = clean.merge(t["customers"][["customer_id", "type"]], on="customer_id") \
             .merge(t["products"][["product_id", "tier"]], on="product_id")
    share = pd.crosstab(m["type"], m["tier"], normalize="index")
    assert share.loc["premium", "Best"] > 0.5
    assert share.loc["bargain", "Good"] > 0.5
    assert share.loc["premium", "Best"] > 2 * share.loc["regular", "Best"]


def test_seasonality_only_in_products(shop):
    clean = reference_clean(shop["lines"])
    month = clean["invoice_ts"].dt.month
    gifts = clean["category"].isin(["Gifts", "Party"])
    assert gifts[month.isin([11, 12])].mean() > 1.5 * gifts[month.isin([2, 3, 4, 5, 6])].mean()
    garden = clean["category"] == "Garden"
    assert garden[month.isin([4, 5, 6])].mean() > 2 * garden[month.isin([11, 12, 1])].mean()


# --------------------------------------------------------------------------------------
# bundles
# --------------------------------------------------------------------------------------
def test_planted_bundles_have_high_lift(shop):
    b = baskets(shop["lines"])
    n = len(b)
    support = b.mean()
    rng = np.random.default_rng(0)
    bundle_products = {p for bd in shop["truth"]["bundles"] for p in bd["products"]}
    for bd in shop["truth"]["bundles"]:
        head, *partners = bd["products"]
        assert head in b.columns, bd
        with_head = b[b[head] == 1]
        assert len(with_head) >= 15, f"too few baskets with {bd['descriptions'][0]}"
        for partner in partners:
            both = (b[head] & b[partner]).mean()
            lift = both / (support[head] * support[partner])
            assert lift > 3, (bd["descriptions"], lift)
            # P(partner | head) >= planted prob, up to sampling error (binomial SE, 4 sigma)
            cond = with_head[partner].mean()
            se = np.sqrt(bd["prob"] * (1 - bd["prob"]) / len(with_head))
            assert cond > bd["prob"] - 4 * se, (bd["descriptions"], cond)
            assert cond < bd["prob"] + 4 * se + support[partner] + 0.05, (bd["descriptions"], cond)
    # random pairs of other products are not associated
    others = [p for p in support.index if p not in bundle_products and support[p] > 0.01]
    lifts = []
    for _ in range(300):
        x, y = rng.choice(others, 2, replace=False)
        lifts.append((b[x] & b[y]).mean() / (support[x] * support[y]))
    assert np.median(lifts) < 1.5
    assert n > 1000


# --------------------------------------------------------------------------------------
# dirt
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# BTYD truth
# --------------------------------------------------------------------------------------
def test_cleaned_data_reproduces_truth(shop):
    clean = reference_clean(shop["lines"])
    cust = shop["truth"]["customers"].set_index("customer_id")
    o = orders_of(clean)
    per = o.groupby("customer_id").agg(n=("value", "size"), first=("ts", "min"), last=("ts", "max"),
                                      mean_value=("value", "mean"))
    assert set(per.index) == set(cust.index)
    per = per.join(cust)
    assert (per["n"] == per["n_orders"]).all()
    assert (per["first"] == per["birth_ts"]).all()
    assert (per["last"] == per["last_ts"]).all()
    assert np.allclose(per["mean_value"], per["mean_order_value"], rtol=1e-9)
    assert shop["truth"]["params"]["n_btyd_orders"] == len(o)


def test_no_purchase_outside_life(shop):
    df = shop["lines"]
    cust = shop["truth"]["customers"].set_index("customer_id")
    buys = df[(df["quantity"] > 0) & df["customer_id"].notna()]
    j = buys.join(cust[["birth_ts", "dropout_ts"]], on="customer_id")
    assert (j["invoice_ts"] >= j["birth_ts"]).all()
    dropped = j["dropout_ts"].notna()
    assert (j.loc[dropped, "invoice_ts"] <= j.loc[dropped, "dropout_ts"]).all()


def test_dropout_convention(shop):
    """Dropout only after a repeat purchase: one-order customers are alive; dropout = last purchase."""
    c = shop["truth"]["customers"]
    assert c.loc[c["n_orders"] == 1, "dropout_ts"].isna().all()
    d = c[c["dropout_ts"].notna()]
    assert len(d) > 100
    assert (d["dropout_ts"] == d["last_ts"]).all()
    assert (c["alive_at_end"] == c["dropout_ts"].isna()).all()
    assert (c["n_repeat"] == c["n_orders"] - 1).all()


def test_regular_parameters_match_headline(shop):
    """Empirical means over regulars are within 4 standard errors of the population means."""
    p = shop["truth"]["params"]
    h = p["headline"]
    assert {k: p["types"]["regular"][k] for k in h} == h
    reg = shop["truth"]["customers"].query("type == 'regular'")
    n = len(reg)
    assert 0.6 < n / len(shop["truth"]["customers"]) < 0.8
    # lambda ~ Gamma(r, rate alpha): mean r/alpha, sd sqrt(r)/alpha
    se = np.sqrt(h["r"]) / h["alpha"] / np.sqrt(n)
    assert abs(reg["lambda"].mean() - h["r"] / h["alpha"]) < 4 * se
    # p ~ Beta(a, b): mean a/(a+b), var ab/((a+b)^2 (a+b+1))
    a, b = h["a"], h["b"]
    se = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) / np.sqrt(n)
    assert abs(reg["p"].mean() - a / (a + b)) < 4 * se
    # nu ~ Gamma(q, rate gamma)
    se = np.sqrt(h["q"]) / h["gamma"] / np.sqrt(n)
    assert abs(reg["nu"].mean() - h["q"] / h["gamma"]) < 4 * se
    # types differ as planted
    by = shop["truth"]["customers"].groupby("type")["n_orders"].mean()
    assert by["loyal"] > 2 * by["regular"] and by["gift"] < by["regular"]


def test_realistic_frequency_mix(shop):
    c = shop["truth"]["customers"]
    assert ((c["n_orders"] >= 1) & (c["n_orders"] <= 3)).mean() > 0.6
    assert (c["n_orders"] >= 10).mean() > 0.03


def test_order_values_close_to_target(shop):
    """Single-order customers expose one order's target z and realised value."""
    c = shop["truth"]["customers"].query("n_orders == 1")
    rel = (c["mean_order_value"] - c["mean_target_value"]).abs() / c["mean_target_value"]
    assert rel.median() < 0.05
    assert (rel < 0.15).mean() > 0.85
    ov = shop["truth"]["params"]["order_value_vs_target"]
    assert ov["median_abs_rel_error"] < 0.05 and ov["p90_abs_rel_error"] < 0.2
    assert abs(ov["mean_realised_over_mean_target"] - 1) < 0.02


# --------------------------------------------------------------------------------------
# API behaviour
# --------------------------------------------------------------------------------------
def test_load_truth_roundtrip(shop):
    t = synth.load_truth(shop["dir"])
    assert set(t) == {"params", "customers", "products", "bundles", "tiers"}
    assert t["params"]["generator_version"] == synth.GENERATOR_VERSION
    assert t["params"]["config"] == shop["cfg"].model_dump(mode="json")
    assert t["params"]["n_lines"] == len(shop["lines"])
    assert t["params"]["n_customers"] == len(t["customers"]) == shop["cfg"].customers
    assert set(t["customers"]["type"]) == set(t["params"]["types"])
    assert t["customers"]["customer_id"].is_unique
    for col in ("lambda", "p", "nu", "birth_ts", "dropout_ts", "n_orders", "mean_order_value"):
        assert col in t["customers"], col
    assert str(t["customers"]["birth_ts"].dtype) == "datetime64[us]"
    assert len(t["bundles"]) >= 8 and all(isinstance(b["products"], tuple) for b in t["bundles"])
    assert sum(len(b["products"]) == 3 for b in t["bundles"]) >= 2
    assert all(0 < b["prob"] < 1 for b in t["bundles"])
    # the truth folder itself is accepted too
    assert synth.load_truth(shop["dir"] / "truth")["params"] == t["params"]
    with pytest.raises(FileNotFoundError):
        synth.load_truth(shop["dir"] / "nowhere")


def test_deterministic(tmp_path):
    cfg = SyntheticConfig(customers=300, seed=11)
    a = synth.generate(cfg, tmp_path / "a", progress=False)
    b = synth.generate(cfg, tmp_path / "b", progress=False)
    for rel in ("lines.parquet", "truth/params.json", "truth/customers.parquet", "truth/bundles.json"):
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

    monkeypatch.setattr(synth, "_write_truth", boom)
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


def test_many_chunks_keep_time_order_and_truth(tmp_path, monkeypatch):
    """Small row groups: cancellations carried across chunks still land in time order."""
    monkeypatch.setattr(synth, "_CHUNK_ORDERS", 300)
    monkeypatch.setattr(synth, "_CHUNK_CUSTOMERS", 170)
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
    per = orders_of(reference_clean(lines)).groupby("customer_id")["value"].agg(["size", "mean"])
    cust = truth["customers"].set_index("customer_id").loc[per.index]
    assert len(per) == len(truth["customers"])
    assert (per["size"] == cust["n_orders"]).all()
    assert np.allclose(per["mean"], cust["mean_order_value"], rtol=1e-9)


def test_short_window(tmp_path):
    cfg = SyntheticConfig(customers=200, days=60, start="2024-11-01", seed=9)
    out = synth.generate(cfg, tmp_path / "s", progress=False)
    lines = pd.read_parquet(out / "lines.parquet")
    schema.validate_lines(lines, "short")
    assert lines["invoice_ts"].min() >= pd.Timestamp("2024-11-01")
    assert lines["invoice_ts"].max() < pd.Timestamp("2024-12-31")
    per = orders_of(reference_clean(lines)).groupby("customer_id").size()
    cust = synth.load_truth(out)["customers"].set_index("customer_id")
    assert (per.loc[cust.index] == cust["n_orders"]).all()


# --------------------------------------------------------------------------------------
# model recovery (slow)
# --------------------------------------------------------------------------------------
def _bgnbd_nll(logp, x, tx, T):
    from scipy.special import gammaln

    r, alpha, a, b = np.exp(logp)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + tx),
                      -np.inf)
    return -(a1 + a2 + np.logaddexp(a3, a4)).sum()


def _gg_nll(logp, x, m):
    from scipy.special import gammaln

    p, q, g = np.exp(logp)
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g) + (p * x - 1) * np.log(m)
          + p * x * np.log(x) - (p * x + q) * np.log(g + m * x))
    return -ll.sum()


def _fit(nll, x0, *args):
    """MLE in log-parameters with standard errors from a numerical Hessian."""
    from scipy.optimize import minimize

    res = minimize(nll, np.log(x0), args=args, method="Nelder-Mead",
                   options={"maxiter": 8000, "xatol": 1e-7, "fatol": 1e-7})
    res = minimize(nll, res.x, args=args, method="BFGS")
    k, h = len(x0), 1e-4
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (nll(res.x + e_i + e_j, *args) - nll(res.x + e_i - e_j, *args)
                       - nll(res.x - e_i + e_j, *args) + nll(res.x - e_i - e_j, *args)) / (4 * h * h)
    se_log = np.sqrt(np.diag(np.linalg.inv(H)))
    return np.exp(res.x), se_log


@pytest.mark.slow
def test_bgnbd_and_gamma_gamma_recovered_on_regulars(tmp_path):
    """A BG/NBD fit on the cleaned data of regulars recovers r, alpha, a, b within 4 SE
    (delta method, in log space); Gamma-Gamma on realised order values recovers p, q, gamma."""
    cfg = SyntheticConfig(customers=30_000, seed=21)
    out = synth.generate(cfg, tmp_path / "big", progress=False)
    t = synth.load_truth(out)
    h = t["params"]["headline"]
    clean = reference_clean(pd.read_parquet(out / "lines.parquet"))
    o = orders_of(clean)
    reg = set(t["customers"].query("type == 'regular'")["customer_id"])
    o = o[o["customer_id"].isin(reg)]
    end = pd.Timestamp(t["params"]["window"]["end_exclusive"])
    week = pd.Timedelta(days=7)
    per = o.groupby("customer_id").agg(n=("value", "size"), first=("ts", "min"), last=("ts", "max"),
                                      m=("value", "mean"))
    x = per["n"].to_numpy(float) - 1
    tx = ((per["last"] - per["first"]) / week).to_numpy()
    T = ((end - per["first"]) / week).to_numpy()
    est, se = _fit(_bgnbd_nll, [0.5, 5.0, 1.0, 2.0], x, tx, T)
    for name, e, s in zip(("r", "alpha", "a", "b"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s, (name, e, h[name], s)
    n = per["n"].to_numpy(float)
    target = t["customers"].set_index("customer_id").loc[per.index, "mean_target_value"].to_numpy()
    est, se = _fit(_gg_nll, [3.0, 3.0, 10.0], n, target)
    for name, e, s in zip(("p", "q", "gamma"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s, ("target", name, e, h[name], s)
    est, se = _fit(_gg_nll, [3.0, 3.0, 10.0], n, per["m"].to_numpy())
    # realised values carry rounding noise on top of z (p ~6 % low, gamma ~10 % high): 4 SE + 10 %
    for name, e, s in zip(("p", "q", "gamma"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s + 0.1, (name, e, h[name], s)


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
