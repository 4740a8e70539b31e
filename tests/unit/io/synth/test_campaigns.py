"""Tests for helpers.io.synth.campaigns: randomised targeting, responses inside the windows, the
truth per campaign, and the uplift recovered from the tables alone."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.io import synth
from helpers.io.synth.campaigns import simulate_campaigns
from tests.fixtures.synth import clean_orders, uplift_estimates


def test_responses_only_from_targeted_customers_inside_the_window(shop, extra):
    e, r = extra["exposures"], extra["responses"]
    m = r.merge(e, on=["customer_id", "campaign_id"], how="left", indicator=True)
    assert (m["_merge"] == "both").all(), "a response from a customer the campaign did not target"
    assert ((m["response_ts"] >= m["start"]) & (m["response_ts"] < m["end"])).all()
    assert not r.duplicated(["customer_id", "campaign_id"]).any()
    # each response is a clean order of that customer at that time, with that value
    o = clean_orders(shop["lines"])
    j = r.merge(o, left_on=["customer_id", "response_ts"], right_on=["customer_id", "ts"], how="left")
    assert len(j) == len(r) and j["invoice"].notna().all()
    assert np.allclose(j["value_x"], j["value_y"], rtol=1e-9)
    assert set(j["invoice"]) == set(shop["truth"]["campaign_orders"]["invoice"])
    # targeted customers were born (first purchase) before the campaign started
    first = o.groupby("customer_id")["ts"].min()
    assert (e["customer_id"].map(first) < e["start"]).all()


def test_campaign_design_and_truth_counts(shop, extra):
    camps = shop["truth"]["campaigns"]
    days = shop["cfg"].days
    assert len(camps) == round(days / 91) and {c["campaign_type"] for c in camps} == set(synth.CAMPAIGN_TYPES)
    e, r = extra["exposures"], extra["responses"]
    win = e.groupby("campaign_id").agg(start=("start", "first"), end=("end", "first"), n=("customer_id", "size"),
                                       types=("campaign_type", "nunique"), starts=("start", "nunique"))
    assert (win["types"] == 1).all() and (win["starts"] == 1).all()
    assert (win["start"].iloc[1:].to_numpy() >= win["end"].iloc[:-1].to_numpy()).all()   # no overlap
    first = clean_orders(shop["lines"]).groupby("customer_id")["ts"].min()
    for c in camps:
        assert win.loc[c["campaign_id"], "n"] == c["n_targeted"]
        assert (r["campaign_id"] == c["campaign_id"]).sum() == c["n_responders"]
        start = pd.Timestamp(c["start"])
        assert (first < start).sum() == c["n_eligible"] == c["n_targeted"] + c["n_not_targeted"]
        # randomised: the targeted share is the planted one within 4 binomial SE
        q = c["target_share"]
        assert abs(c["n_targeted"] / c["n_eligible"] - q) < 4 * np.sqrt(q * (1 - q) / c["n_eligible"])
        assert c["true_uplift"] == pytest.approx(c["p_purchase_if_targeted"] - c["p_purchase_if_not_targeted"])


def test_campaign_truth_matches_the_tables(shop, extra):
    """The truth's realised shares buying in each window are what the tables show."""
    est = uplift_estimates(shop["lines"], extra)
    for c in shop["truth"]["campaigns"]:
        row = est.loc[c["campaign_id"]]
        assert row["n1"] == c["n_targeted"] and row["n0"] == c["n_not_targeted"]
        assert row["p1"] == pytest.approx(c["share_buying_targeted"])
        assert row["p0"] == pytest.approx(c["share_buying_not_targeted"])
        assert c["response_rate"] == pytest.approx(c["n_responders"] / c["n_targeted"])


@pytest.mark.slow
def test_uplift_recovered_per_campaign(mid):
    """Targeting is randomised among customers born before the start, so the difference in the share
    buying in the window (targeted - not targeted) estimates each campaign's true uplift (the
    simulation's own counterfactual, averaged over the eligible customers). Tolerance: 4 standard
    errors of the difference (Neyman: sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0), 0.008-0.018 here
    against true uplifts of 0.05-0.12). The effect is real: every campaign's estimate is above 0,
    pooled over campaigns by more than 10 SE (measured: about 20)."""
    est = uplift_estimates(mid["lines"], mid["extra"])
    camps = {c["campaign_id"]: c for c in mid["truth"]["campaigns"]}
    assert set(est.index) == set(camps) and len(camps) == 8
    for cid, row in est.iterrows():
        true = camps[cid]["true_uplift"]
        assert abs(row["uplift"] - true) < 4 * row["se"], (cid, row.to_dict(), true)
        assert row["uplift"] > 0, (cid, row.to_dict())
    pooled = est["uplift"].mean()
    pooled_se = np.sqrt((est["se"] ** 2).sum()) / len(est)
    true = np.mean([c["true_uplift"] for c in camps.values()])
    assert abs(pooled - true) < 4 * pooled_se and pooled > 10 * pooled_se, (pooled, pooled_se, true)
    # per type the uplift follows the planted response probability (discount > bundle > reactivation)
    by_type = est.groupby(est.index.map(lambda c: camps[c]["campaign_type"]))["uplift"].mean()
    assert by_type["discount"] > by_type["reactivation"]


# --------------------------------------------------------------------------------------
# the simulation, directly
# --------------------------------------------------------------------------------------
def hand_customers(birth, drop):
    return {"birth_t": np.asarray(birth, dtype=float), "drop_t": np.asarray(drop, dtype=float)}


def test_schedule_and_eligibility_of_a_one_year_window():
    # 365 days: round(365 / 91) = 4 campaigns; the first starts at int(0.25 x 365) = 91, slots of
    # (365 - 7 - 91) / 4 = 66.75 days; windows 14, 21, 28, 14 days (discount, bundle, reactivation, ...)
    cust = hand_customers([0, 0, 0, 0, 0, 200], [np.nan, 10, np.nan, np.nan, np.nan, np.nan])
    oc, ot = np.array([2, 3]), np.array([95.0, 160.0])                  # purchases inside windows 1 and 2
    sched, exposures, responses, _planted = simulate_campaigns(np.random.default_rng(0), cust, oc, ot, 365)
    assert [(c["campaign_id"], c["campaign_type"], c["start_day"], c["end_day"]) for c in sched] == [
        ("CMP01", "discount", 91, 105), ("CMP02", "bundle", 157, 178),
        ("CMP03", "reactivation", 224, 252), ("CMP04", "discount", 291, 305)]
    assert [c["n_eligible"] for c in sched] == [5, 5, 6, 6]              # customer 5 is born on day 200
    assert [c["n_targeted"] + c["n_not_targeted"] for c in sched] == [5, 5, 6, 6]
    assert sched[0]["p_purchase_if_not_targeted"] == pytest.approx(1 / 5)      # customer 2 bought on day 95
    assert sched[0]["share_alive_at_start"] == pytest.approx(4 / 5)            # customer 1 left on day 10
    assert 1 not in responses["cust"]                                            # nobody buys after dropout
    assert exposures["cust"].size == sum(c["n_targeted"] for c in sched)


def test_targeting_and_responses_at_the_planted_rates():
    n = 20_000
    cust = hand_customers(np.zeros(n), np.full(n, np.nan))
    sched, exposures, responses, _planted = simulate_campaigns(np.random.default_rng(1), cust, np.zeros(0, np.int64),
                                                     np.zeros(0), 730)
    assert len(sched) == 8
    for k, c in enumerate(sched):
        m = c["n_eligible"]
        q = c["target_share"]
        assert m == n and abs(c["n_targeted"] / m - q) < 4 * np.sqrt(q * (1 - q) / m)
        r = c["response_prob"]
        assert abs(c["response_rate"] - r) < 4 * np.sqrt(r * (1 - r) / c["n_targeted"])
        # nobody buys otherwise, so the uplift is the share who would respond
        assert c["p_purchase_if_not_targeted"] == 0 and abs(c["true_uplift"] - r) < 4 * np.sqrt(r * (1 - r) / m)
        t = responses["t"][responses["campaign"] == k]
        assert ((t >= c["start_day"]) & (t < c["end_day"])).all()
        targeted = set(exposures["cust"][exposures["campaign"] == k])
        assert set(responses["cust"][responses["campaign"] == k]) <= targeted
    starts = [c["start_day"] for c in sched]
    assert all(c["end_day"] <= s for c, s in zip(sched, starts[1:]))    # windows never overlap


def test_planted_uplift_segments_and_sleeping_dogs(shop):
    """Persuadables gain, sleeping dogs lose, the frequent buyers hold most dogs, and the planted
    per-customer uplift averages to each campaign's true uplift (expected vs realised: within 4 SE)."""
    u = shop["truth"]["campaign_uplift"]
    camps = {c["campaign_id"]: c for c in shop["truth"]["campaigns"]}
    assert set(u["campaign_id"]) == set(camps)
    assert (u.loc[u["segment"] == "sleeping_dog", "uplift"] <= 0).all()
    assert (u.loc[u["segment"] != "sleeping_dog", "uplift"] >= 0).all()
    assert (u.loc[u["segment"] == "sleeping_dog", "uplift"] < 0).any()
    assert (u.loc[u["y0"], "uplift"].where(u.loc[u["y0"], "segment"] != "sleeping_dog", 0) == 0).all()
    for cid, g in u.groupby("campaign_id"):
        assert len(g) == camps[cid]["n_eligible"]
        se = g["uplift"].std() / np.sqrt(len(g)) + 0.5 / len(g)
        assert abs(g["uplift"].mean() - camps[cid]["true_uplift"]) < 4 * se + 0.01, cid
    seg = u.drop_duplicates("customer_id").merge(shop["truth"]["customers"][["customer_id", "lambda"]], on="customer_id")
    frequent = seg["lambda"] > seg["lambda"].median()
    assert (seg.loc[frequent, "segment"] == "sleeping_dog").mean() > 2 * (seg.loc[~frequent, "segment"] == "sleeping_dog").mean()


def test_segments_do_not_move_the_campaign_draws():
    """The segments come from a stream of their own: who is targeted is what the campaign draws alone give."""
    n = 3000
    cust = hand_customers(np.zeros(n), np.full(n, np.nan))
    a = simulate_campaigns(np.random.default_rng(4), cust, np.zeros(0, np.int64), np.zeros(0), 365)[1]
    b = simulate_campaigns(np.random.default_rng(4), cust | {"lam": np.linspace(0, 1, n)}, np.zeros(0, np.int64),
                           np.zeros(0), 365)[1]
    assert np.array_equal(a["cust"], b["cust"]) and np.array_equal(a["email"], b["email"])
