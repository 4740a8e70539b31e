"""Running the generator: :func:`generate` writes a run atomically, :func:`ensure_synthetic`
reuses it by config hash, :func:`main` is the command line (``python -m helpers.io.synth``)."""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from helpers import paths
from helpers.config import SyntheticConfig
from helpers.io.cache import replace_folder
from helpers.io.synth.extra_tables import (
    attributes_table,
    campaign_orders_frame,
    exposures_table,
    feedback_table,
    responses_table,
)
from helpers.io.synth.lines import Stats, arrow_schema, iter_tables
from helpers.io.synth.params import GENERATOR_VERSION
from helpers.io.synth.plan import make_plan
from helpers.io.synth.truth import (
    campaigns_truth,
    customers_truth,
    demographics_truth,
    feedback_truth,
    run_params,
    uplift_truth,
    write_truth,
)


_PILOT_CUSTOMERS = 10_000      # pilot size used to scale customers to target_lines


def _rngs(seed: int):
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5EED, 0xC4A])
    plan_ss, lines_ss, pilot_ss = ss.spawn(3)
    return np.random.default_rng(plan_ss), np.random.default_rng(lines_ss), pilot_ss


def _n_customers(cfg: SyntheticConfig) -> int:
    if cfg.target_lines is None:
        return int(cfg.customers)
    _, _, pilot_ss = _rngs(cfg.seed)
    a, b = pilot_ss.spawn(2)
    plan = make_plan(np.random.default_rng(a), _PILOT_CUSTOMERS, cfg.start, cfg.days)
    stats = Stats(_PILOT_CUSTOMERS)
    for _ in iter_tables(np.random.default_rng(b), plan, stats):
        pass
    per_customer = stats.lines / _PILOT_CUSTOMERS
    return int(min(20_000_000, max(20, round(cfg.target_lines / per_customer))))


def folder_for(cfg: SyntheticConfig, root: Path | None = None) -> Path:
    """The folder :func:`ensure_synthetic` uses for ``cfg``: ``root/synthetic-<hash12>``."""
    payload = json.dumps(cfg.model_dump(mode="json"), sort_keys=True) + GENERATOR_VERSION
    h = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
    return Path(paths.RAW if root is None else root) / f"synthetic-{h}"


def generate(cfg: SyntheticConfig, out_dir: Path, *, progress: bool = True) -> Path:
    """Generate the synthetic shop for ``cfg`` into ``out_dir`` and return ``out_dir``.

    Writes ``lines.parquet``, ``attributes.parquet``, ``exposures.parquet``,
    ``responses.parquet``, ``feedback.parquet`` and ``truth/`` (see the package docstring). Everything is written
    into a temporary sibling folder first and renamed into place at the end, so an
    interrupted run leaves no half-written ``out_dir``; an existing ``out_dir`` is replaced.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        n_customers = _n_customers(cfg)
        plan_rng, lines_rng, _ = _rngs(cfg.seed)
        plan = make_plan(plan_rng, n_customers, cfg.start, cfg.days)
        stats = Stats(n_customers)
        with pq.ParquetWriter(tmp / "lines.parquet", arrow_schema(), compression="zstd") as w:
            for table in iter_tables(lines_rng, plan, stats, progress=progress):
                w.write_table(table, row_group_size=max(1, table.num_rows))
        customers = customers_truth(plan, stats)
        camp_orders = campaign_orders_frame(plan, stats)
        tables = {"attributes": attributes_table(plan), "exposures": exposures_table(plan),
                  "responses": responses_table(camp_orders), "feedback": feedback_table(plan, cfg.seed)}
        for name, table in tables.items():
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
        params = run_params(cfg, plan, stats, time.perf_counter() - t0)
        params.pop("seconds")  # keep params.json deterministic
        params["extra_tables"] = {name: table.num_rows for name, table in tables.items()}
        write_truth(tmp / "truth", params, customers, {
            "campaign_orders": camp_orders, "campaigns": campaigns_truth(plan), "campaign_uplift": uplift_truth(plan),
            "feedback": feedback_truth(plan, customers), "demographics": demographics_truth(customers)})
        replace_folder(tmp, out_dir, "lines.parquet")  # keeps a complete folder another process wrote meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def ensure_synthetic(cfg: SyntheticConfig, *, root: Path = paths.RAW, progress: bool = True) -> Path:
    """Return ``root/synthetic-<hash12>`` for ``cfg``, generating it when ``lines.parquet`` is missing.

    ``hash12`` is the first 12 hex digits of the SHA-256 of the config (``model_dump(mode='json')``,
    keys sorted) followed by :data:`GENERATOR_VERSION`.
    """
    folder = folder_for(cfg, root)
    if not (folder / "lines.parquet").exists():
        generate(cfg, folder, progress=progress)
    return folder


def main(argv=None) -> int:
    """Command line: generate a synthetic shop and say where it went."""
    ap = argparse.ArgumentParser(
        prog="python -m helpers.io.synth",
        description="Generate the seeded synthetic shop (BG/NBD + Gamma-Gamma customers, planted "
                    "bundles, price tiers and dirt, demographics, campaigns, reviews and complaints) as "
                    "lines.parquet, attributes/exposures/responses/feedback.parquet plus truth/.")
    d = SyntheticConfig()
    ap.add_argument("--customers", type=int, default=d.customers, help=f"number of customers (default {d.customers})")
    ap.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=d.start,
                    help=f"first day of the window, YYYY-MM-DD (default {d.start})")
    ap.add_argument("--days", type=int, default=d.days, help=f"length of the window in days (default {d.days})")
    ap.add_argument("--target-lines", type=int, default=None,
                    help="scale the number of customers to reach about this many lines (overrides --customers)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default: data/raw/synthetic-<hash>, reused when it exists)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    from pydantic import ValidationError

    try:
        cfg = SyntheticConfig(customers=args.customers, seed=args.seed, start=args.start,
                              days=args.days, target_lines=args.target_lines)
    except ValidationError as exc:
        ap.error(str(exc))
    t0 = time.perf_counter()
    if args.out is not None:
        folder = generate(cfg, args.out, progress=not args.no_progress)
    else:
        folder = ensure_synthetic(cfg, progress=not args.no_progress)
    params = json.loads((folder / "truth" / "params.json").read_text(encoding="utf-8"))
    print(f"synthetic shop in {folder}")
    print(f"  {params['n_lines']:,} lines, {params['n_invoices']:,} invoices, "
          f"{params['n_customers']:,} customers ({time.perf_counter() - t0:.1f} s)")
    extra = params.get("extra_tables", {})
    if extra:
        print("  " + ", ".join(f"{name} {k:,} rows" for name, k in extra.items()))
    return 0
