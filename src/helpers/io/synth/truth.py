"""The ground truth of a run (``truth/``): per customer, per campaign, the review and
demographic effects, the run's parameters and dirt counts; written by :func:`write_truth`
and read back by :func:`load_truth`."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.config import SyntheticConfig
from helpers.io.synth.catalogue import shop_catalogue
from helpers.io.synth.clock import to_ts_us
from helpers.io.synth.campaigns import UPLIFT_SEGMENTS
from helpers.io.synth.customers import is_complaint
from helpers.io.synth.extra_tables import campaign_bounds, customer_ids, timestamps
from helpers.io.synth.lines import Stats
from helpers.io.synth.params import (
    ACQ_RISE,
    AGE_BANDS,
    CATEGORIES,
    CHANNELS,
    COUNTRIES,
    CURRENCY,
    DAY_US,
    DIRT_RATES,
    FEEDBACK_RULES,
    FEES,
    GENERATOR_VERSION,
    HEADLINE,
    HOUSEHOLD_SIZES,
    INCOME_BANDS,
    INCOME_FACTOR,
    INCOME_SHARES,
    REGIONS_UK,
    REGION_ABROAD,
    SEASON,
    TYPES,
    TYPE_NAMES,
)
from helpers.io.synth.plan import KIND_BTYD, KIND_CAMPAIGN, Plan


def customers_truth(plan: Plan, stats: Stats) -> pd.DataFrame:
    """``truth/customers.parquet``: one row per customer with the planted parameters and the realised BTYD history."""
    c = plan.cust
    n = plan.n_customers
    o = plan.orders
    btyd = o["kind"] == KIND_BTYD
    oc = o["cust"][btyd]
    ots = o["ts"][btyd]
    n_orders = np.bincount(oc, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, oc, ots)
    birth_ts = to_ts_us(c["birth_t"], plan.start_us)
    dropped = ~np.isnan(c["drop_t"])
    drop_ts = np.where(dropped, to_ts_us(np.nan_to_num(c["drop_t"]), plan.start_us), 0)
    end_us = plan.start_us + plan.days * DAY_US
    # reviews and complaints (BTYD orders only)
    sc = o["score"][btyd]
    comp = is_complaint(sc)
    n_reviews = np.bincount(oc, sc > 0, minlength=n).astype(np.int64)
    n_complaints = np.bincount(oc, comp, minlength=n).astype(np.int64)
    first_c = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_c, oc[comp], ots[comp])
    complained = n_complaints > 0
    camp = o["kind"] == KIND_CAMPAIGN
    n_camp = np.bincount(o["cust"][camp], minlength=n).astype(np.int64)
    k_c = FEEDBACK_RULES["complaint_hazard_factor"]
    income = np.array(INCOME_BANDS)[c["income"]]
    df = pd.DataFrame({
        "customer_id": customer_ids(np.arange(n)),
        "type": pd.array(np.array(TYPE_NAMES)[c["type"]], dtype="string"),
        "lambda": c["lam"],
        "p": c["p"],
        "nu": c["nu"],
        "birth_ts": timestamps(birth_ts),
        "dropout_ts": pd.Series(timestamps(drop_ts)).where(dropped),
        "alive_at_end": ~dropped,
        "n_orders": n_orders.astype(np.int64),
        "n_repeat": (n_orders - 1).astype(np.int64),
        "last_ts": timestamps(last),
        "T_weeks": (end_us - birth_ts) / (7 * DAY_US),
        "t_x_weeks": (last - birth_ts) / (7 * DAY_US),
        "mean_target_value": stats.target_sum / n_orders,
        "mean_order_value": stats.value_sum / n_orders,
        "country": pd.array(np.array([x[0] for x in COUNTRIES])[c["country"]], dtype="string"),
        "channel": pd.array(np.array(CHANNELS)[c["channel"]], dtype="string"),
        "lambda_base": c["lam_base"],
        "income_band": pd.array(income, dtype="string"),
        "income_factor": np.array([INCOME_FACTOR[b] for b in INCOME_BANDS])[c["income"]],
        "p_after_complaint": 1.0 - (1.0 - c["p"]) ** k_c,
        "n_reviews": n_reviews,
        "n_complaints": n_complaints,
        "complained": complained,
        "first_complaint_ts": pd.Series(timestamps(np.where(complained, first_c, 0))).where(complained),
        "complained_before_dropout": complained & dropped,
        "n_campaign_orders": n_camp,
    })
    for col in ("dropout_ts", "first_complaint_ts"):
        df[col] = df[col].astype("datetime64[us]")
    return df


def campaigns_truth(plan: Plan) -> list[dict]:
    """``truth/campaigns.json``: per campaign its window, type, planted rates, counts and true uplift."""
    s_us, e_us = campaign_bounds(plan)
    out = []
    for c, s0, e0 in zip(plan.campaigns, s_us, e_us):
        d = {"campaign_id": c["campaign_id"], "campaign_type": c["campaign_type"],
             "start": str(timestamps(np.array([s0]))[0]), "end_exclusive": str(timestamps(np.array([e0]))[0])}
        d.update({k: v for k, v in c.items() if k not in d})
        out.append(d)
    return out


def uplift_truth(plan: Plan) -> pd.DataFrame:
    """``truth/campaign_uplift.parquet``: per eligible customer and campaign the planted segment,
    ``y0`` (bought in the window without contact) and ``uplift`` (expected effect of contact)."""
    u = plan.uplift
    if not u or u["cust"].size == 0:
        return pd.DataFrame({"customer_id": pd.Series(dtype="string"), "campaign_id": pd.Series(dtype="string"),
                             "segment": pd.Series(dtype="string"), "y0": pd.Series(dtype=bool),
                             "uplift": pd.Series(dtype=float)})
    names = np.array(list(UPLIFT_SEGMENTS))
    ids = np.array([c["campaign_id"] for c in plan.campaigns])
    return pd.DataFrame({"customer_id": customer_ids(u["cust"]),
                         "campaign_id": pd.array(ids[u["campaign"]], dtype="string"),
                         "segment": pd.array(names[u["segment"][u["cust"]]], dtype="string"),
                         "y0": u["y0"], "uplift": u["uplift"]})


def feedback_truth(plan: Plan, customers: pd.DataFrame) -> dict:
    """``truth/feedback.json``: the review rules, the complaint effect and the realised counts."""
    o = plan.orders
    btyd = o["kind"] == KIND_BTYD
    sc = o["score"][btyd]
    dropped = customers["dropout_ts"].notna()
    comp = customers["complained"]
    return {
        "rules": {k: (list(v) if isinstance(v, tuple) else v) for k, v in FEEDBACK_RULES.items()},
        "complaint_hazard_factor": FEEDBACK_RULES["complaint_hazard_factor"],
        "effect": "after a complaint about an order, every later dropout decision of the customer (the one "
                  "right after a repeat purchase, including the purchase complained about) uses "
                  "p' = 1 - (1 - p)**k instead of p: the dropout hazard (-log(1 - p) per repeat purchase) "
                  "is multiplied by k; p' ~ k p for small p",
        "reviewed": "BTYD orders only (not campaign, guest or cancelled orders); score independent of the "
                    "customer and the order",
        "n_btyd_orders": int(btyd.sum()),
        "n_reviews": int((sc > 0).sum()),
        "n_complaints": int(is_complaint(sc).sum()),
        "score_counts": {str(k): int((sc == k).sum()) for k in range(1, 6)},
        "n_customers_complained": int(comp.sum()),
        "n_dropouts": int(dropped.sum()),
        "n_complained_before_dropout": int((comp & dropped).sum()),
        "dropout_share_complained": float(dropped[comp].mean()) if comp.any() else None,
        "dropout_share_not_complained": float(dropped[~comp].mean()) if (~comp).any() else None,
        "mean_p": float(customers["p"].mean()),
        "mean_p_after_complaint": float(customers["p_after_complaint"].mean()),
    }


def demographics_truth(customers: pd.DataFrame) -> dict:
    """``truth/demographics.json``: income bands, their shares and factors, and the realised lambda ratios."""
    by = customers.groupby("income_band", observed=True)
    mean_lam = by["lambda"].mean()
    base = mean_lam.get("middle", np.nan)
    return {
        "income_bands": list(INCOME_BANDS),
        "income_shares": dict(zip(INCOME_BANDS, INCOME_SHARES)),
        "income_factor": dict(INCOME_FACTOR),
        "effect": "lambda = lambda_base x income_factor[income_band] (lambda_base ~ Gamma(r, alpha) of the "
                  "type; band independent of type); the share-weighted mean factor is 1",
        "no_effect": ["region", "age_band", "household_size"],
        "regions": list(REGIONS_UK) + [REGION_ABROAD],
        "age_bands": list(AGE_BANDS),
        "household_sizes": list(HOUSEHOLD_SIZES),
        "n_customers_by_income": {k: int(v) for k, v in by.size().items()},
        "realised_mean_lambda_ratio": {k: float(v / base) for k, v in mean_lam.items()},
    }


def run_params(cfg: SyntheticConfig, plan: Plan, stats: Stats, seconds: float) -> dict:
    """``truth/params.json``: config, counts, types, conventions, dirt counts and order-value accuracy."""
    err = np.abs(np.concatenate(stats.rel_err)) if stats.rel_err else np.zeros(1)
    ratio = (stats.value_sum.sum() / stats.target_sum.sum()) if stats.target_sum.sum() else 1.0
    o = plan.orders
    end = plan.cfg_start + dt.timedelta(days=plan.days)
    types = {}
    for k, t in TYPES.items():
        types[k] = {kk: v for kk, v in t.items()}
        types[k]["n_customers"] = int((plan.cust["type"] == TYPE_NAMES.index(k)).sum())
    return {
        "generator_version": GENERATOR_VERSION,
        "config": cfg.model_dump(mode="json"),
        "n_customers": plan.n_customers,
        "n_lines": stats.lines,
        "n_invoices": int(o["z"].size),
        "n_btyd_orders": int((o["kind"] == KIND_BTYD).sum()),
        "n_btyd_lines": stats.btyd_lines,
        "n_campaign_orders": int((o["kind"] == KIND_CAMPAIGN).sum()),
        "n_campaign_lines": stats.campaign_lines,
        "window": {"start": plan.cfg_start.isoformat(), "end_exclusive": end.isoformat(),
                   "days": plan.days, "weeks": plan.days / 7.0},
        "time_unit": "week (lambda = purchases per week; T and t_x in weeks)",
        "currency": CURRENCY,
        "headline": dict(HEADLINE),
        "types": types,
        "conventions": {
            "dropout": "after each REPEAT purchase with probability p (never right after the first "
                       "purchase), as in the BG/NBD likelihood; dropout_ts = time of that repeat purchase; "
                       "null = alive at the end of the window",
            "time_of_day": "calendar day exact; time of day = monotone warp of the day fraction onto shop hours",
            "seasonality": "none in timing; product choice by calendar month (see seasonality); "
                           "acquisition (birth) rises over the window and peaks in Nov-Dec",
            "cancellations": "only on extra orders that are not BTYD purchases; every line of such an order "
                             "is cancelled by invoice 'C'+number (some partially)",
            "cleaning_for_truth": "drop exact duplicates, every C line and the lines of the invoice it "
                                  "cancels (whole lines), zero prices, POST/M/BANK CHARGES, quantity >= 1000, "
                                  "null customers; what remains is the BTYD history plus the campaign orders "
                                  "(truth/campaign_orders.parquet), which carry no dirt",
            "income": "lambda = lambda_base x income factor (see demographics.json)",
            "complaints": "a complaint (review score 1-2) multiplies the dropout hazard by k: "
                          "p -> 1 - (1 - p)**k for every later dropout decision (see feedback.json)",
            "campaigns": "randomised targeting of customers born before the start; responses are extra "
                         "orders, not BTYD purchases (no dropout decision after them); see campaigns.json",
        },
        "seasonality": {"category_multiplier_by_month": SEASON,
                        "acquisition_rise": ACQ_RISE},
        "dirt": dict(stats.dirt),
        "dirt_rates": dict(DIRT_RATES),
        "fee_codes": [c for c, _ in FEES],
        "extreme_quantity_min": 1000,
        "max_btyd_quantity": stats.max_btyd_quantity,
        "order_value_vs_target": {
            "median_abs_rel_error": float(np.median(err)),
            "p90_abs_rel_error": float(np.quantile(err, 0.9)),
            "p99_abs_rel_error": float(np.quantile(err, 0.99)),
            "mean_realised_over_mean_target": float(ratio),
        },
        "n_products": int(shop_catalogue().price.size),
        "n_categories": len(CATEGORIES),
        "bundles": shop_catalogue().bundles,
        "seconds": round(seconds, 2),
    }


def write_truth(tdir: Path, params: dict, customers: pd.DataFrame, extra: dict | None = None) -> None:
    """Write the ``truth/`` folder: catalogue, tiers, customers, bundles, params and the ``extra`` parts."""
    cat = shop_catalogue()
    tdir.mkdir(parents=True, exist_ok=True)
    prod = cat.products[["product_id", "description", "category", "base_item", "tier", "price",
                         "popularity"]].copy()
    for c in ("product_id", "description", "category", "base_item", "tier"):
        prod[c] = prod[c].astype("string")
    prod["in_bundle"] = cat.in_bundle
    prod.to_parquet(tdir / "products.parquet", index=False)
    tiers = prod[["category", "base_item", "tier", "product_id", "price"]]
    tiers.to_parquet(tdir / "tiers.parquet", index=False)
    customers.to_parquet(tdir / "customers.parquet", index=False)
    (tdir / "bundles.json").write_text(json.dumps(cat.bundles, indent=2) + "\n", encoding="utf-8")
    (tdir / "params.json").write_text(json.dumps(params, indent=2, default=str) + "\n", encoding="utf-8")
    for name, obj in (extra or {}).items():
        if isinstance(obj, pd.DataFrame):
            obj.to_parquet(tdir / f"{name}.parquet", index=False)
        else:
            (tdir / f"{name}.json").write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")


def load_truth(folder: Path) -> dict:
    """Read the ground truth written by :func:`generate`.

    ``folder`` is the synthetic folder (holding ``truth/``) or the ``truth`` folder itself.
    Returns ``{'params': dict, 'customers': DataFrame, 'products': DataFrame,
    'bundles': list of {'products': tuple of product ids, 'prob': float, ...},
    'tiers': DataFrame}`` and, for folders written by version 1.3 or later,
    ``'campaigns'`` (list of dicts, one per campaign), ``'campaign_orders'`` (DataFrame),
    ``'feedback'`` and ``'demographics'`` (dicts).
    """
    folder = Path(folder)
    tdir = folder / "truth" if (folder / "truth").is_dir() else folder
    if not (tdir / "params.json").exists():
        raise FileNotFoundError(f"{tdir}: no synthetic truth here (params.json missing)")
    params = json.loads((tdir / "params.json").read_text(encoding="utf-8"))
    bundles = json.loads((tdir / "bundles.json").read_text(encoding="utf-8"))
    for b in bundles:
        b["products"] = tuple(b["products"])
    return {
        "params": params,
        "customers": pd.read_parquet(tdir / "customers.parquet"),
        "products": pd.read_parquet(tdir / "products.parquet"),
        "bundles": bundles,
        "tiers": pd.read_parquet(tdir / "tiers.parquet"),
    } | _optional_truth(tdir)


def _optional_truth(tdir: Path) -> dict:
    out = {}
    for name in ("campaigns", "feedback", "demographics"):
        if (tdir / f"{name}.json").exists():
            out[name] = json.loads((tdir / f"{name}.json").read_text(encoding="utf-8"))
    if (tdir / "campaign_uplift.parquet").exists():
        out["campaign_uplift"] = pd.read_parquet(tdir / "campaign_uplift.parquet")
    if (tdir / "campaign_orders.parquet").exists():
        out["campaign_orders"] = pd.read_parquet(tdir / "campaign_orders.parquet")
    return out
