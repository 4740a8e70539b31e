"""How well notebook 09 recovers the planted complaint effect: one fit per generated shop.

Generates the synthetic shop for each seed (all five customer types, campaigns and dirt, as
``make reports`` does), prepares it like the batch, and fits the complaint BG/NBD of
:func:`helpers.models.voice.fit_complaint_hazard` on every customer. Prints, per seed, the
estimate of k, its interval, its distance from the planted k in standard errors (z) and whether
the interval covers it, then the spread over the seeds; writes the table to
``reports/studies/complaint_coverage.csv``.

Usage::

    .venv/bin/python scripts/complaint_coverage.py                          # seeds 1-12, 5,000 customers
    .venv/bin/python scripts/complaint_coverage.py --seeds 42 --customers 5000   # the default shop alone
    .venv/bin/python scripts/complaint_coverage.py --seeds 13 --customers 30000

Each seed's data is generated and prepared once into ``data/`` (git-ignored) and reused.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from helpers import paths, pipeline  # noqa: E402
from helpers.config import SyntheticConfig  # noqa: E402
from helpers.models import voice  # noqa: E402


def seeds_arg(text: str) -> list[int]:
    """"1-12", "42" or "1,5,9" -> list of seeds."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return out


def one(seed: int, customers: int, level: float) -> dict:
    prep = pipeline.open_run(paths.CONFIGS / "default.yaml",
                             [f"data.synthetic.customers={customers}", f"data.synthetic.seed={seed}"], progress=False)
    lines = prep.lines(["customer_id", "invoice", "invoice_ts"])
    fb = voice.check_feedback(prep.read("feedback"))
    hist = voice.complaint_histories(lines, fb, observation_end=prep.end, time_unit=prep.meta["time_unit"])
    fit = voice.fit_complaint_hazard(hist, level=level)
    planted = float(prep.synthetic_truth()["feedback"]["complaint_hazard_factor"])
    se = float(fit.params.loc["k", "se"])
    return {"seed": seed, "customers": customers, "complainers": fit.n_complained, "k": fit.k, "low": fit.k_low,
            "high": fit.k_high, "se_log_k": se, "z": (math.log(fit.k) - math.log(planted)) / se,
            "covered": fit.covers(planted), "planted": planted}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=seeds_arg, default=seeds_arg("1-12"), help="e.g. 1-12, 42 or 1,5,9")
    ap.add_argument("--customers", type=int, default=SyntheticConfig().customers)
    ap.add_argument("--level", type=float, default=0.9, help="level of the interval (notebook 09: 0.9)")
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        r = one(seed, args.customers, args.level)
        rows.append(r)
        print(f"seed {seed:>4}: k = {r['k']:.2f} ({args.level:.0%} CI {r['low']:.2f} .. {r['high']:.2f}), "
              f"z = {r['z']:+.2f}, {r['complainers']:,} complainers, {'covers' if r['covered'] else 'misses'} "
              f"the planted {r['planted']:g}", flush=True)
    t = pd.DataFrame(rows)
    out = paths.REPORTS / "studies"
    out.mkdir(parents=True, exist_ok=True)
    t.to_csv(out / "complaint_coverage.csv", index=False)
    print(f"{len(t)} shops of {args.customers:,} customers: mean k {t['k'].mean():.2f} (geometric "
          f"{np.exp(np.log(t['k']).mean()):.2f}), range {t['k'].min():.2f} .. {t['k'].max():.2f}; "
          f"{int(t['covered'].sum())} of {len(t)} {args.level:.0%} intervals cover the planted k; "
          f"|z| ≤ 3 in {int((t['z'].abs() <= 3).sum())} of {len(t)}; table: {out / 'complaint_coverage.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
