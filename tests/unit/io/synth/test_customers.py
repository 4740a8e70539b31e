"""Tests for helpers.io.synth.customers: BG/NBD customers (lifetimes, dropout convention,
parameters per type), reviews and the recovery of the planted effects."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.io import synth
from helpers.config import SyntheticConfig
from helpers.io.synth.customers import is_complaint, simulate_customers, type_arrays
from helpers.io.synth.params import CHANNELS, INCOME_BANDS, INCOME_FACTOR, REGIONS_UK, TYPE_NAMES, TYPES
from tests.fixtures.synth import btyd_only, clean_orders, fit_mle, orders_of, reference_clean


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


def test_review_and_complaint_rates(shop, extra):
    rules = synth.FEEDBACK_RULES
    f, p = extra["feedback"], shop["truth"]["params"]
    n = p["n_btyd_orders"]
    q = rules["review_share"]
    assert abs(len(f) / n - q) < 4 * np.sqrt(q * (1 - q) / n)
    q = sum(rules["score_probs"][:2])
    assert abs((f["category"] == "complaint").mean() - q) < 4 * np.sqrt(q * (1 - q) / len(f))


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


@pytest.mark.slow
def test_bgnbd_and_gamma_gamma_recovered_on_regulars(tmp_path):
    """A BG/NBD fit on the cleaned data of regulars recovers r, alpha, a, b within 4 SE
    (delta method, in log space); Gamma-Gamma on realised order values recovers p, q, gamma."""
    cfg = SyntheticConfig(customers=30_000, seed=21)
    out = synth.generate(cfg, tmp_path / "big", progress=False)
    t = synth.load_truth(out)
    h = t["params"]["headline"]
    clean = btyd_only(reference_clean(pd.read_parquet(out / "lines.parquet")), t)
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
    est, se = fit_mle(_bgnbd_nll, [0.5, 5.0, 1.0, 2.0], x, tx, T)
    for name, e, s in zip(("r", "alpha", "a", "b"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s, (name, e, h[name], s)
    n = per["n"].to_numpy(float)
    target = t["customers"].set_index("customer_id").loc[per.index, "mean_target_value"].to_numpy()
    est, se = fit_mle(_gg_nll, [3.0, 3.0, 10.0], n, target)
    for name, e, s in zip(("p", "q", "gamma"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s, ("target", name, e, h[name], s)
    est, se = fit_mle(_gg_nll, [3.0, 3.0, 10.0], n, per["m"].to_numpy())
    # realised values carry rounding noise on top of z (p ~6 % low, gamma ~10 % high): 4 SE + 10 %
    for name, e, s in zip(("p", "q", "gamma"), est, se):
        assert abs(np.log(e) - np.log(h[name])) < 4 * s + 0.1, (name, e, h[name], s)


def _effects_nll(theta, d):
    """Minus the log-likelihood of BG/NBD with a complaint hazard factor k and lambda factors:
    lambda ~ Gamma(r, alpha / f_i) with log f_i = Z_i . log(f), p ~ Beta(a, b); the dropout decision
    after repeat j has survival (1 - p)**k when the customer has complained about order 0..j, else
    (1 - p). Integrating p out, E[(1 - p)**S] = B(a, b + S) / B(a, b) for any real S >= 0, so the
    likelihood stays closed-form; with k = 1 and f = 1 it is the usual BG/NBD likelihood."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b, k = np.exp(theta[:5])
    al = alpha / np.exp(d["Z"] @ theta[5:])
    x = d["x"]

    def logG(t):
        return gammaln(r + x) - gammaln(r) + r * np.log(al) - (r + x) * np.log(al + t)

    S = d["m0"] + k * d["m1"]
    sx = np.where(x > 0, np.where(d["cx"], k, 1.0), 0.0)
    lb_all = betaln(a, b + S + sx) - betaln(a, b)
    lb_prev = betaln(a, b + S) - betaln(a, b)
    rep = x > 0
    ll = logG(d["T"]) + lb_all                      # alive at T (for x = 0: lb_all = 0)
    drop = lb_prev[rep] + np.log(-np.expm1(lb_all[rep] - lb_prev[rep])) + logG(d["tx"])[rep]
    ll[rep] = np.logaddexp(ll[rep], drop)           # or dropped out right after the last purchase
    return -ll.sum()


def effects_data(lines: pd.DataFrame, extra: dict, customers) -> dict:
    """Per customer x, t_x, T (weeks) and the complaint history, from the tables alone: the clean
    orders without the campaign responses (matched on customer and time), the complaints of the
    feedback table joined on the invoice. m0 / m1: dropout decisions before the last purchase
    without / with an earlier complaint (about this or an earlier order); cx: the same for the
    decision after the last purchase."""
    o = clean_orders(lines)
    r = extra["responses"]
    resp = set(zip(r["customer_id"], r["response_ts"]))
    o = o[[k not in resp for k in zip(o["customer_id"], o["ts"])]]
    o = o[o["customer_id"].isin(set(customers))].sort_values(["customer_id", "ts"])
    comp = set(extra["feedback"].loc[extra["feedback"]["category"] == "complaint", "invoice"])
    o["c"] = o["invoice"].isin(comp).astype(int)
    g = o.groupby("customer_id", sort=True)
    o["j"] = g.cumcount()                              # 0 = first purchase
    o["cum"] = g["c"].cummax()
    last = g["j"].transform("max")
    dec = o[(o["j"] >= 1) & (o["j"] < last)]
    per = g.agg(n=("ts", "size"), first=("ts", "min"), last=("ts", "max"), cx=("cum", "last"))
    per["m1"] = dec.groupby("customer_id")["cum"].sum().reindex(per.index, fill_value=0)
    per["m0"] = (per["n"] - 2).clip(lower=0) - per["m1"]
    end = extra["end"]
    week = pd.Timedelta(days=7)
    return {"id": per.index, "x": per["n"].to_numpy(float) - 1,
            "tx": ((per["last"] - per["first"]) / week).to_numpy(), "T": ((end - per["first"]) / week).to_numpy(),
            "m0": per["m0"].to_numpy(float), "m1": per["m1"].to_numpy(float), "cx": per["cx"].to_numpy(bool)}


@pytest.fixture(scope="module")
def effects_fit(mid):
    """Joint MLE on the regulars (selected with the truth's type, like the headline test) of r,
    alpha, a, b, the complaint hazard factor k, and lambda factors for the low and high income
    bands (relative to middle) and for the age band 65+ (relative to the rest; planted: none)."""
    t = mid["truth"]
    reg = t["customers"].loc[t["customers"]["type"] == "regular", "customer_id"]
    extra = dict(mid["extra"], end=pd.Timestamp(t["params"]["window"]["end_exclusive"]))
    d = effects_data(mid["lines"], extra, reg)
    a = mid["extra"]["attributes"].set_index("customer_id").loc[d["id"]]
    d["Z"] = np.column_stack([a["income_band"] == "low", a["income_band"] == "high",
                              a["age_band"] == "65+"]).astype(float)
    est, se = fit_mle(_effects_nll, [0.5, 5.0, 1.0, 2.0, 1.5, 1.0, 1.0, 1.0], d, simplex=False)
    names = ("r", "alpha", "a", "b", "k", "f_low", "f_high", "f_65")
    return {n: (e, s) for n, e, s in zip(names, est, se)}


@pytest.mark.slow
def test_complaint_hazard_factor_recovered(effects_fit):
    """The complaint factor k (dropout hazard -log(1 - p) per repeat purchase multiplied by k after a
    complaint; planted 2.0) from the joint fit: within 4 standard errors of the log-estimate (its SE
    is about 0.08 on 21,000 regulars), and k = 1 (no effect) is more than 3 SE away (measured: 8-10
    SE on seeds 13 and 5). The BG/NBD population parameters come out too (4 SE)."""
    h = synth.HEADLINE
    k, se = effects_fit["k"]
    k_true = synth.FEEDBACK_RULES["complaint_hazard_factor"]
    assert abs(np.log(k) - np.log(k_true)) < 4 * se, (k, se)
    assert np.log(k) > 3 * se, (k, se)
    for name in ("r", "alpha", "a", "b"):
        e, s = effects_fit[name]
        assert abs(np.log(e) - np.log(h[name])) < 4 * s, (name, e, h[name], s)


@pytest.mark.slow
def test_income_factors_recovered(effects_fit):
    """Income multiplies lambda (planted: low 0.8, high 1.3, relative to middle): the fitted factors
    are within 4 SE (SE of log f about 0.03) and each differs from 1 by more than 3 SE (measured:
    6-8 SE); the age band 65+, planted without effect, comes out within 4 SE of 1."""
    for band in ("low", "high"):
        f, se = effects_fit[f"f_{band}"]
        assert abs(np.log(f) - np.log(synth.INCOME_FACTOR[band])) < 4 * se, (band, f, se)
        assert abs(np.log(f)) > 3 * se, (band, f, se)
    f, se = effects_fit["f_65"]
    assert abs(np.log(f)) < 4 * se, (f, se)


# --------------------------------------------------------------------------------------
# the simulation, directly
# --------------------------------------------------------------------------------------
def test_type_arrays_follow_type_names():
    ta = type_arrays()
    assert set(ta) == {"share", "r", "alpha", "a", "b", "p", "q", "gamma"}
    for k, arr in ta.items():
        assert arr.tolist() == [TYPES[t][k] for t in TYPE_NAMES], k


def test_is_complaint_means_a_review_scored_one_or_two():
    assert is_complaint(np.array([0, 1, 2, 3, 4, 5])).tolist() == [False, True, True, False, False, False]


@pytest.fixture(scope="module")
def simulated():
    import datetime as dt

    return simulate_customers(np.random.default_rng(8), 4000, dt.date(2023, 1, 1), 365)


def test_simulated_orders_follow_the_dropout_convention(simulated):
    cust, oc, ot, osc = simulated
    n = cust["birth_t"].size
    assert oc[:n].tolist() == list(range(n)) and np.array_equal(ot[:n], cust["birth_t"])   # births first
    assert ((ot >= cust["birth_t"][oc]) & (ot < 365)).all()
    n_orders = np.bincount(oc, minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, oc, ot)
    dropped = ~np.isnan(cust["drop_t"])
    assert np.allclose(last[dropped], cust["drop_t"][dropped])        # dropout = the last (repeat) purchase
    assert (n_orders[dropped] >= 2).all()                               # never right after the first
    assert set(np.unique(osc)) <= {0, 1, 2, 3, 4, 5}


def test_simulated_demographics(simulated):
    cust = simulated[0]
    factor = np.array([INCOME_FACTOR[b] for b in INCOME_BANDS])[cust["income"]]
    assert np.allclose(cust["lam"], cust["lam_base"] * factor)
    abroad = cust["country"] != 0
    assert ((cust["region"] == len(REGIONS_UK)) == abroad).all()       # "International" outside the UK
    assert not (cust["channel"][abroad] == CHANNELS.index("store")).any()
    n = abroad.size
    assert abs((cust["income"] == 0).mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)   # low band: 30 %
