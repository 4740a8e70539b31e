"""The comparisons of `make bench`: for each step, the project's path and the tools analysts use today.

Each :class:`Case` has the project's side first and one or more peers. A side is two plain
functions: ``setup(inputs)`` (untimed: imports, a Spark session) returning a state, and
``run(inputs, state)`` (timed) returning a dict of results: pandas frames, or small dicts of
numbers. ``compare(project, peer)`` checks that the results are equal before any time is
reported; it returns ``(ok, detail)``.

``inputs`` (built by :mod:`bench.run` per data size): ``lines`` (clean lines parquet),
``btyd`` (customer summary parquet), ``end`` (analysis date, ISO), ``time_unit``, ``period``,
``min_support``, ``config`` (config path), ``overrides`` (list of ``key=value``), ``tmp``
(a scratch folder), ``fit_sample`` (customers the CLV-prediction step fits on), ``mcmc``
(draws/tune/chains).

Every peer is written the way its documentation and the common tutorials write it, with
only what is needed to make its output comparable (the same columns, units and filters).
"""
from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

#: tolerance of "equal" for floating-point results (relative and absolute)
RTOL = 1e-9
ATOL = 1e-9
#: tolerance for two fits of the same likelihood by different optimisers (relative): both stop
#: on a gradient / objective tolerance on a flat ridge (Gamma-Gamma p and v trade off), so they
#: agree to about 1e-5 on CDNOW; 1e-3 still tells a different optimum apart
FIT_RTOL = 1e-3


@dataclass
class Side:
    label: str
    run: Callable[[dict, Any], dict]
    setup: Callable[[dict], Any] | None = None
    note: str = ""
    max_lines: int | None = None      # not run on more clean lines than this (budget), said so in the table
    max_repeats: int | None = None    # at most this many timed runs (slow sides)


@dataclass
class Case:
    name: str
    title: str
    sides: dict[str, Side]
    compare: Callable[[dict, dict], tuple[bool, str]] | None = None
    needs: tuple[str, ...] = ()        # optional columns the data must have (Prepared.has)
    note: str = ""
    target: bool = False               # a speed-up target stands on it: --repeats timed runs at every size

    @property
    def project(self) -> str:
        return next(iter(self.sides))

    @property
    def peers(self) -> list[str]:
        return list(self.sides)[1:]


def _date(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def _engine_setup(inputs):
    """Import the helpers and open the DuckDB connection once (untimed, like the peers' imports and
    the Spark session): a notebook or ``prepare`` opens one connection and runs every query on it.
    Each timed run still reads the parquet file afresh."""
    from helpers.features import customers, lifecycle  # noqa: F401
    from helpers.io import engine
    from helpers.models import baskets  # noqa: F401

    return engine.connect()


# --------------------------------------------------------------------------------------
# equality checks
# --------------------------------------------------------------------------------------
def close(a, b, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """Elementwise |a - b| <= atol + rtol * |b|, with inf == inf and NaN == NaN."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        near = np.abs(a - b) <= atol + rtol * np.abs(b)
    return same | near


def frames_equal(a: pd.DataFrame, b: pd.DataFrame, *, key: list[str], exact: list[str], approx: list[str],
                 what: str = "rows", rtol: float = RTOL, atol: float = ATOL) -> tuple[bool, str]:
    """Same key set, ``exact`` columns equal, ``approx`` columns within tolerance. Says what differs."""
    a = a[key + exact + approx].copy()
    b = b[key + exact + approx].copy()
    for k in key:
        a[k] = a[k].astype("string")
        b[k] = b[k].astype("string")
    if a.duplicated(key).any() or b.duplicated(key).any():
        return False, f"duplicate {what} in a result"
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    only_a = int((m["_merge"] == "left_only").sum())
    only_b = int((m["_merge"] == "right_only").sum())
    if only_a or only_b:
        return False, f"{what} differ: {only_a:,} only in the project's result, {only_b:,} only in the peer's"
    bad = []
    for c in exact:
        x, y = m[f"{c}_a"], m[f"{c}_b"]
        n = int((x.astype("float64").to_numpy() != y.astype("float64").to_numpy()).sum())
        if n:
            bad.append(f"{c}: {n:,} differ")
    for c in approx:
        ok = close(m[f"{c}_a"].astype("float64"), m[f"{c}_b"].astype("float64"), rtol, atol)
        n = int((~ok).sum())
        if n:
            err = np.nanmax(np.abs(m[f"{c}_a"].astype("float64") - m[f"{c}_b"].astype("float64")))
            bad.append(f"{c}: {n:,} differ by more than {rtol:g} (max abs diff {err:.3g})")
    if bad:
        return False, "; ".join(bad)
    return True, f"identical ({len(m):,} {what})"


# --------------------------------------------------------------------------------------
# 1. clean lines -> BTYD customer summary
# --------------------------------------------------------------------------------------
def _lifetimes_setup(inputs):
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data


def summary_engine(inputs, state):
    from helpers.features import customers
    from helpers.io import engine

    con = state
    lines = engine.table(con, inputs["lines"])
    s = customers.btyd_summary(lines, observation_end=_date(inputs["end"]), time_unit=inputs["time_unit"])
    return {"summary": s.execute()}


def summary_lifetimes(inputs, summary_data_from_transaction_data):
    """pandas read + lifetimes' summary, the tutorials' path.

    ``freq="D"`` counts distinct purchase days like the project; lifetimes' ``freq="W"`` would
    count calendar weeks instead, so recency and T are divided by the unit's days afterwards
    (the project's convention: days / 7 for weeks).
    """
    from helpers.features.customers import UNIT_DAYS

    df = pd.read_parquet(inputs["lines"], columns=["customer_id", "invoice_ts", "amount"])
    df = df[df["customer_id"].notna()]
    s = summary_data_from_transaction_data(df, "customer_id", "invoice_ts", monetary_value_col="amount",
                                           observation_period_end=pd.Timestamp(inputs["end"]), freq="D")
    unit = UNIT_DAYS[inputs["time_unit"]]
    s["recency"] = s["recency"] / unit
    s["T"] = s["T"] / unit
    return {"summary": s.reset_index()}


def compare_summary(a: dict, b: dict) -> tuple[bool, str]:
    return frames_equal(a["summary"], b["summary"], key=["customer_id"], exact=["frequency"],
                        approx=["recency", "T", "monetary_value"], what="customers")


SUMMARY = Case(
    "summary", "Clean lines -> BTYD customer summary",
    {"engine": Side("engine (Ibis on DuckDB)", summary_engine, _engine_setup),
     "lifetimes": Side("pandas + lifetimes", summary_lifetimes, _lifetimes_setup,
                       note="pd.read_parquet + lifetimes.utils.summary_data_from_transaction_data(freq='D')")},
    compare_summary, target=True)


# --------------------------------------------------------------------------------------
# 2. RFM table
# --------------------------------------------------------------------------------------
def rfm_engine(inputs, state):
    from helpers.features import customers
    from helpers.io import engine

    con = state
    lines = engine.table(con, inputs["lines"])
    return {"rfm": customers.rfm_table(lines, analysis_date=_date(inputs["end"])).execute()}


def rfm_pandas(inputs, state):
    """The idiomatic pandas groupby (named aggregation), same definitions as customers.rfm_table."""
    end = pd.Timestamp(inputs["end"])
    df = pd.read_parquet(inputs["lines"], columns=["customer_id", "invoice", "invoice_ts", "amount", "quantity"])
    df = df[df["customer_id"].notna() & (df["invoice_ts"].dt.normalize() <= end)]
    g = df.groupby("customer_id").agg(first_ts=("invoice_ts", "min"), last_ts=("invoice_ts", "max"),
                                      frequency=("invoice", "nunique"), monetary=("amount", "sum"),
                                      lines=("invoice", "size"), units=("quantity", "sum"))
    g["recency_days"] = (end - g["last_ts"].dt.normalize()).dt.days
    g["tenure_days"] = (end - g["first_ts"].dt.normalize()).dt.days
    g["avg_order_value"] = g["monetary"] / g["frequency"]
    return {"rfm": g.reset_index()}


def compare_rfm(a: dict, b: dict) -> tuple[bool, str]:
    return frames_equal(a["rfm"], b["rfm"], key=["customer_id"],
                        exact=["recency_days", "tenure_days", "frequency", "lines"],
                        approx=["monetary", "avg_order_value", "units"], what="customers")


RFM = Case(
    "rfm", "RFM table",
    {"engine": Side("engine (Ibis on DuckDB)", rfm_engine, _engine_setup),
     "pandas": Side("pandas groupby", rfm_pandas, note="pd.read_parquet + groupby('customer_id').agg(...)")},
    compare_rfm)


# --------------------------------------------------------------------------------------
# 3. cohort retention matrix
# --------------------------------------------------------------------------------------
PANDAS_PERIOD = {"month": "M", "quarter": "Q", "week": "W-SUN"}


def cohort_engine(inputs, state):
    from helpers.io import engine
    from helpers.features import lifecycle

    con = state
    lines = engine.table(con, inputs["lines"])
    t = lifecycle.cohort_table(lines, period=inputs["period"], analysis_date=_date(inputs["end"]))
    return {"cohorts": t[t["active"] > 0][["cohort_start", "age", "cohort_size", "active", "revenue",
                                           "retention"]].reset_index(drop=True)}


def cohort_pandas(inputs, state):
    """Cohort by first-order period, age in periods, active customers and revenue per cell (pandas)."""
    end = pd.Timestamp(inputs["end"])
    df = pd.read_parquet(inputs["lines"], columns=["customer_id", "invoice_ts", "amount"])
    df = df[df["customer_id"].notna() & (df["invoice_ts"].dt.normalize() <= end)]
    per = df["invoice_ts"].dt.to_period(PANDAS_PERIOD[inputs["period"]])
    df = df.assign(period=per.array.asi8)
    df["cohort"] = df.groupby("customer_id")["period"].transform("min")
    df["age"] = df["period"] - df["cohort"]
    g = df.groupby(["cohort", "age"]).agg(active=("customer_id", "nunique"), revenue=("amount", "sum")).reset_index()
    sizes = g[g["age"] == 0].set_index("cohort")["active"]
    g["cohort_size"] = g["cohort"].map(sizes)
    g["retention"] = g["active"] / g["cohort_size"]
    freq = PANDAS_PERIOD[inputs["period"]]
    g["cohort_start"] = pd.PeriodIndex.from_ordinals(g["cohort"].to_numpy(), freq=freq).start_time
    return {"cohorts": g}


def compare_cohorts(a: dict, b: dict) -> tuple[bool, str]:
    x, y = a["cohorts"].copy(), b["cohorts"].copy()
    for f in (x, y):
        f["cohort_start"] = pd.to_datetime(f["cohort_start"]).dt.strftime("%Y-%m-%d")
    return frames_equal(x, y, key=["cohort_start", "age"], exact=["cohort_size", "active"],
                        approx=["revenue", "retention"], what="cohort cells")


COHORT = Case(
    "cohort", "Cohort retention matrix",
    {"engine": Side("engine (helpers.features.lifecycle.cohort_table)", cohort_engine, _engine_setup),
     "pandas": Side("pandas groupby", cohort_pandas,
                    note="to_period + groupby(customer).transform('min') + groupby([cohort, age]).nunique()")},
    compare_cohorts)


# --------------------------------------------------------------------------------------
# 4. pair association rules
# --------------------------------------------------------------------------------------
def _threshold(n_baskets: int, min_support: float) -> int:
    return max(1, math.ceil(min_support * n_baskets - 1e-9))


def pairs_engine(inputs, state):
    from helpers.io import engine
    from helpers.models import baskets

    con = state
    lines = engine.table(con, inputs["lines"])
    items = baskets.basket_items(lines, item="product_id")
    rules = baskets.pair_rules(items, min_count=1, min_support=float(inputs["min_support"]), con=con)
    return {"pairs": rules}


def _mlxtend_setup(inputs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
    return {"fpgrowth": fpgrowth, "apriori": apriori, "association_rules": association_rules}


def _pairs_mlxtend(inputs, fns, algorithm: str):
    """The tutorials' basket matrix (groupby + unstack, > 0) and mlxtend, pairs only (max_len=2)."""
    df = pd.read_parquet(inputs["lines"], columns=["invoice", "product_id", "quantity"])
    df = df[df["product_id"].notna()]
    basket = df.groupby(["invoice", "product_id"])["quantity"].sum().unstack(fill_value=0) > 0
    n = len(basket)
    thr = _threshold(n, float(inputs["min_support"]))
    fi = fns[algorithm](basket, min_support=thr / n, use_colnames=True, max_len=2)
    r = fns["association_rules"](fi, num_itemsets=n, metric="confidence", min_threshold=0.0)
    r = r[(r["antecedents"].map(len) == 1) & (r["consequents"].map(len) == 1)]
    out = pd.DataFrame({
        "antecedent": [next(iter(s)) for s in r["antecedents"]],
        "consequent": [next(iter(s)) for s in r["consequents"]],
        "count_a": np.rint(r["antecedent support"].to_numpy() * n).astype("int64"),
        "count_c": np.rint(r["consequent support"].to_numpy() * n).astype("int64"),
        "count": np.rint(r["support"].to_numpy() * n).astype("int64"),
        "n_baskets": n,
        **{m: r[m].to_numpy() for m in ("support", "confidence", "lift", "leverage", "conviction")},
    })
    return {"pairs": out}


def pairs_fpgrowth(inputs, fns):
    return _pairs_mlxtend(inputs, fns, "fpgrowth")


def pairs_apriori(inputs, fns):
    return _pairs_mlxtend(inputs, fns, "apriori")


def compare_pairs(a: dict, b: dict) -> tuple[bool, str]:
    x, y = a["pairs"], b["pairs"]
    if len(x) and len(y) and int(x["n_baskets"].iloc[0]) != int(y["n_baskets"].iloc[0]):
        return False, f"baskets differ: {int(x['n_baskets'].iloc[0]):,} vs {int(y['n_baskets'].iloc[0]):,}"
    return frames_equal(x, y, key=["antecedent", "consequent"], exact=["count_a", "count_c", "count"],
                        approx=["support", "confidence", "lift", "leverage", "conviction"], what="pair rules")


PAIRS = Case(
    "pairs", "Pair association rules",
    {"engine": Side("engine co-occurrence (helpers.models.baskets.pair_rules)", pairs_engine, _engine_setup),
     "fpgrowth": Side("pandas one-hot + mlxtend fpgrowth", pairs_fpgrowth, _mlxtend_setup,
                      note="groupby([invoice, product]).sum().unstack() > 0; fpgrowth(max_len=2); association_rules"),
     "apriori": Side("pandas one-hot + mlxtend apriori", pairs_apriori, _mlxtend_setup,
                     note="as fpgrowth, with apriori(max_len=2); one run per figure", max_lines=100_000,
                     max_repeats=1)},
    compare_pairs, needs=("product_id",))


# --------------------------------------------------------------------------------------
# 5. BG/NBD + Gamma-Gamma fits
# --------------------------------------------------------------------------------------
PARAMS = ("r", "alpha", "a", "b", "p", "q", "v")


def _pmc_setup(inputs):
    from helpers.models import clv, pymc_tools

    pymc_tools.pymc_clv()    # pymc-marketing's import (seconds) is not part of the fit
    return clv


def _clv_fit(inputs, clv, optimizer: str) -> dict:
    s = pd.read_parquet(inputs["btyd"])
    p = clv.fit_purchase_model(s, model="bgnbd", method="map", time_unit=inputs["time_unit"], optimizer=optimizer)
    g = clv.fit_spend_model(s, method="map", optimizer=optimizer)
    return {"params": {**p.values, **g.values}, "seconds": {"bgnbd": p.seconds, "gamma_gamma": g.seconds},
            "log_likelihood": {"bgnbd": p.log_likelihood, "gamma_gamma": g.log_likelihood}}


def fit_fast(inputs, clv):
    """The default path: maximum likelihood by numpy / scipy (helpers.models.clv.mle), handed to pymc-marketing."""
    return _clv_fit(inputs, clv, "scipy")


def fit_pmc_map(inputs, clv):
    """pymc-marketing's own MAP (flat priors = maximum likelihood): ``optimizer="pymc"``."""
    return _clv_fit(inputs, clv, "pymc")


def _warm(setup, run):
    """A set-up that also runs the fit once (untimed), so the timed runs are warm: imports, first calls and
    pymc's compiling (cached across processes in data/pytensor) are not part of them, for every side alike."""
    def warmed(inputs):
        state = setup(inputs)
        run(inputs, state)
        return state
    return warmed


def _lifetimes_fitters(inputs):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    return BetaGeoFitter, GammaGammaFitter


def fit_lifetimes(inputs, fitters):
    """lifetimes' maximum likelihood: BetaGeoFitter on everyone, GammaGammaFitter on repeat buyers."""
    BetaGeoFitter, GammaGammaFitter = fitters
    s = pd.read_parquet(inputs["btyd"])
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    return {"params": {**{k: float(v) for k, v in bg.params_.items()},
                       **{k: float(v) for k, v in gg.params_.items()}}}


def compare_fits(a: dict, b: dict) -> tuple[bool, str]:
    pa, pb = a["params"], b["params"]
    diffs = {k: abs(pa[k] - pb[k]) / abs(pb[k]) for k in PARAMS if k in pa and k in pb}
    worst = max(diffs, key=diffs.get)
    shown = ", ".join(f"{k} {pa[k]:.4g}/{pb[k]:.4g}" for k in PARAMS)
    if diffs[worst] > FIT_RTOL:
        return False, f"estimates differ: {worst} by {diffs[worst]:.2%} (project/peer: {shown})"
    return True, f"estimates agree within {diffs[worst]:.1e} relative (table below)"


CLV_FIT = Case(
    "clv_fit", "BG/NBD + Gamma-Gamma fit (warm)",
    {"fast": Side("numpy/scipy MLE, handed to pymc-marketing", fit_fast, _warm(_pmc_setup, fit_fast),
                  note="helpers.models.clv.fit_purchase_model + fit_spend_model (default optimizer='scipy': "
                       "helpers.models.clv.mle, analytic gradient and Hessian), with standard errors; the "
                       "pymc-marketing models built and holding the estimates for predictions"),
     "pmc_map": Side("pymc-marketing MAP (flat priors = MLE)", fit_pmc_map, _warm(_pmc_setup, fit_pmc_map),
                     note="the same functions with optimizer='pymc': pymc-marketing's fit(method='map'), "
                          "with standard errors"),
     "lifetimes": Side("lifetimes MLE", fit_lifetimes, _warm(_lifetimes_fitters, fit_lifetimes),
                       note="BetaGeoFitter + GammaGammaFitter, default settings")},
    compare_fits,
    note="warm: each side's set-up runs the fit once, untimed")


def fit_pmc_mcmc(inputs, clv):
    s = pd.read_parquet(inputs["btyd"])
    m = inputs["mcmc"]
    p = clv.fit_purchase_model(s, model="bgnbd", method="mcmc", time_unit=inputs["time_unit"], **m)
    g = clv.fit_spend_model(s, method="mcmc", **m)
    return {"params": {**p.values, **g.values}, "warnings": p.warnings + g.warnings}


CLV_MCMC = Case(
    "clv_mcmc", "BG/NBD + Gamma-Gamma MCMC (small)",
    {"pmc_mcmc": Side("pymc-marketing NUTS", fit_pmc_mcmc, _pmc_setup,
                      note="default priors; draws/tune/chains as in the table; one run per figure", max_repeats=1)})


# --------------------------------------------------------------------------------------
# 6. CLV for every customer (chunked prediction)
# --------------------------------------------------------------------------------------
def _clv_predict_setup(inputs):
    """Fit MAP on a random sample of customers (untimed); prediction for all is the timed step."""
    clv = _pmc_setup(inputs)
    s = pd.read_parquet(inputs["btyd"])
    n = min(len(s), int(inputs["fit_sample"]))
    sample = s.sample(n=n, random_state=0) if n < len(s) else s
    p = clv.fit_purchase_model(sample, method="map", time_unit=inputs["time_unit"], standard_errors=False)
    g = clv.fit_spend_model(sample, method="map")
    return clv, p, g, s


def clv_predict(inputs, state):
    clv, p, g, s = state
    v = clv.customer_value(p, g, s, horizon_months=12)
    return {"stats": {"customers": int(len(v)), "clv_total": float(v["clv"].sum()),
                      "all_finite": bool(np.isfinite(v["clv"]).all()), "draws": int(p.n_draws),
                      "chunk_elements": int(clv.CHUNK_ELEMENTS)}}


CLV_PREDICT = Case(
    "clv_predict", "CLV for every customer (12 months)",
    {"pmc_map": Side("helpers.models.clv.customer_value (MAP fit, chunked)", clv_predict, _clv_predict_setup,
                     note="fitted on a random sample of customers first (untimed); predicts P(alive), "
                          "expected purchases for 12 monthly steps, spend and discounted CLV for all")})


# --------------------------------------------------------------------------------------
# 7. DuckDB vs local Spark: customer tables from clean lines
# --------------------------------------------------------------------------------------
def _tables(inputs, con, tag: str) -> dict:
    from helpers.features import customers
    from helpers.io import engine

    lines = engine.table(con, inputs["lines"])
    end = _date(inputs["end"])
    out = Path(inputs["tmp"]) / f"tables-{tag}-{time.monotonic_ns()}"
    engine.write_parquet(con, customers.rfm_table(lines, analysis_date=end), out / "rfm.parquet")
    engine.write_parquet(con, customers.btyd_summary(lines, observation_end=end, time_unit=inputs["time_unit"]),
                         out / "btyd.parquet")
    res = {"rfm": pd.read_parquet(out / "rfm.parquet"), "summary": pd.read_parquet(out / "btyd.parquet")}
    for f in out.iterdir():
        f.unlink()
    out.rmdir()
    return res


def tables_duckdb(inputs, state):
    from helpers.io import engine

    return _tables(inputs, engine.connect(), "duckdb")


def _spark_setup(inputs):
    """Start the local Spark session (JVM); its time is reported apart as start-up."""
    from helpers.io import engine
    from helpers.config import EngineConfig

    return engine.connect(EngineConfig(backend="spark", spark_master=inputs.get("spark_master", "local[2]")))


def tables_spark(inputs, con):
    return _tables(inputs, con, "spark")


def compare_tables(a: dict, b: dict) -> tuple[bool, str]:
    ok1, d1 = compare_rfm({"rfm": a["rfm"]}, {"rfm": b["rfm"]})
    ok2, d2 = frames_equal(a["summary"], b["summary"], key=["customer_id"], exact=["frequency"],
                           approx=["recency", "T", "monetary_value", "first_value"], what="customers")
    return ok1 and ok2, f"RFM {d1}; BTYD {d2}"


ENGINES = Case(
    "engines", "Customer tables (RFM + BTYD) on DuckDB vs local Spark",
    {"duckdb": Side("DuckDB", tables_duckdb, _engine_setup),
     "spark": Side("PySpark local[2]", tables_spark, _spark_setup,
                   note="same Ibis expressions; Spark start-up (JVM + session) timed apart")},
    compare_tables)


# --------------------------------------------------------------------------------------
# 8. cleaning + customer tables (helpers.pipeline.prepare)
# --------------------------------------------------------------------------------------
def prepare_run(inputs, state):
    from helpers import pipeline
    from helpers.config import load_config, parse_override

    cfg = load_config(inputs["config"], [parse_override(o) for o in inputs.get("overrides", [])])
    if inputs.get("fresh_read"):
        # a file source is read again every run: its read cache goes to a new, empty folder
        import tempfile

        from helpers import paths

        paths.INTERIM.mkdir(parents=True, exist_ok=True)
        paths.INTERIM = Path(tempfile.mkdtemp(prefix="bench-", dir=paths.INTERIM))
    try:
        p = pipeline.prepare(cfg, force=True, progress=False)
    finally:
        if inputs.get("fresh_read"):
            import shutil

            shutil.rmtree(paths.INTERIM, ignore_errors=True)
    import pyarrow.parquet as pq

    return {"meta": {"n_raw_lines": p.meta["n_raw_lines"], "n_clean_lines": p.meta["n_clean_lines"],
                     "folder": str(p.folder), "seconds": p.meta["seconds"],
                     "analysis_start": p.meta["analysis_start"], "analysis_end": p.meta["analysis_end"],
                     "customers": int(pq.ParquetFile(p.path("customers_btyd")).metadata.num_rows)}}


def prepare_memlimit(inputs, state):
    limit = inputs.get("duckdb_memory_limit", "512MB")
    return prepare_run({**inputs, "overrides": [*inputs.get("overrides", []),
                                                f"engine.duckdb_memory_limit={limit}"]}, state)


PREPARE = Case(
    "prepare", "Read + clean + customer tables (helpers.pipeline.prepare)",
    {"duckdb": Side("DuckDB, default settings", prepare_run, _engine_setup),
     "duckdb_limit": Side("DuckDB, engine.duckdb_memory_limit set", prepare_memlimit, _engine_setup,
                          note="the config knob that caps DuckDB's buffer memory (it spills to disk)")})


CASES: dict[str, Case] = {c.name: c for c in (PREPARE, SUMMARY, RFM, COHORT, PAIRS, CLV_FIT, CLV_MCMC,
                                               CLV_PREDICT, ENGINES)}
