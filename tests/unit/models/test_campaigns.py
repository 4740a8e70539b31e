"""Tests of helpers.models.campaigns: hand-checked numbers on a ten-customer fixture, a planted uplift
recovered from simulated randomised campaigns, and readable errors for bad tables."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.models import campaigns as cp
from tests.fixtures import TINY, FIXTURES

FIX = FIXTURES / "campaigns"
END = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def fx():
    ex = cp.check_exposures(pd.read_csv(FIX / "exposures.csv"))
    rs = cp.check_responses(pd.read_csv(FIX / "responses.csv"))
    days = cp.customer_days(pd.read_csv(FIX / "lines.csv"))
    windows = cp.campaign_windows(ex)
    pairs = cp.response_pairs(ex, rs, windows)
    return {"ex": ex, "rs": rs, "days": days, "windows": windows, "pairs": pairs}


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
class TestChecks:
    def test_end_defaults_to_start_and_duplicates_collapse(self):
        raw = pd.DataFrame({"customer_id": [1, 1, 2], "campaign_id": [7, 7, 7],
                            "start": ["2024-01-02", "2024-01-01", "2024-01-01"], "end": [None, "2024-01-05", None]})
        ex = cp.check_exposures(raw)
        assert list(ex.columns) == list(cp.EXPOSURE_COLUMNS)
        assert len(ex) == 2  # (1, 7) twice -> once, earliest start, latest end
        one = ex[ex.customer_id == "1"].iloc[0]
        assert one.start == pd.Timestamp("2024-01-01") and one.end == pd.Timestamp("2024-01-05")
        two = ex[ex.customer_id == "2"].iloc[0]
        assert two.end == two.start

    def test_missing_column_is_named(self):
        with pytest.raises(DataError, match=r"exposures: column 'start'.*missing-column"):
            cp.check_exposures(pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"]}))

    def test_null_customer_counted(self):
        raw = pd.DataFrame({"customer_id": ["a", None, None], "campaign_id": ["x"] * 3, "start": ["2024-01-01"] * 3})
        with pytest.raises(DataError, match=r"column 'customer_id': has 2 missing value.*not-null"):
            cp.check_exposures(raw)

    def test_end_before_start(self):
        raw = pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"], "start": ["2024-01-05"], "end": ["2024-01-01"]})
        with pytest.raises(DataError, match=r"column 'end': has 1 row.*end-after-start"):
            cp.check_exposures(raw)

    def test_two_types_for_one_campaign(self):
        raw = pd.DataFrame({"customer_id": ["a", "b"], "campaign_id": ["x", "x"], "campaign_type": ["A", "B"],
                            "start": ["2024-01-01"] * 2})
        with pytest.raises(DataError, match="one-type-per-campaign"):
            cp.check_exposures(raw)

    def test_unreadable_response_date(self):
        raw = pd.DataFrame({"customer_id": ["a"], "campaign_id": ["x"], "response_ts": ["not a date"]})
        with pytest.raises(DataError, match=r"responses: column 'response_ts'.*timestamp"):
            cp.check_responses(raw)

    def test_lines_without_amount(self):
        with pytest.raises(DataError, match=r"lines_clean: column 'amount'"):
            cp.customer_days(pd.DataFrame({"customer_id": ["a"], "invoice_ts": ["2024-01-01"]}))

    def test_guests_and_same_day_lines(self, fx):
        d = fx["days"]
        assert d["customer_id"].notna().all() and 99 not in d["revenue"].tolist()  # the guest line is gone
        # c2's two lines on 2024-03-05 (40 + 10) are one purchase day of 50
        assert d[(d.customer_id == "c2") & (d.day == "2024-03-05")]["revenue"].tolist() == [50]


# --------------------------------------------------------------------------------------
# reach and response, counted by hand
# --------------------------------------------------------------------------------------
class TestCampaignSummary:
    def test_hand_checked(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"]).set_index("campaign_id")
        a, b = s.loc["A"], s.loc["B"]
        # A reached c1..c4; c1 and c2 responded (c2 twice counts once); c7 responded without being reached
        assert (a.reached, a.responders, a.unreached_responders) == (4, 2, 1)
        assert a.response_rate == pytest.approx(0.5)
        # B reached c1, c5, c6; c5 responded, on 05-03, outside B's one-day window (end = start)
        assert (b.reached, b.responders, b.responders_outside_window) == (3, 1, 1)
        assert b.response_rate == pytest.approx(1 / 3)
        assert (a.window_days, b.window_days) == (10, 1)
        # days to respond: c1 03-03 12:00 - 03-01 = 2.5, c2 03-05 - 03-01 = 4.0 -> median 3.25; c5: 2.0
        assert a.median_days_to_respond == pytest.approx(3.25) and b.median_days_to_respond == pytest.approx(2.0)
        # responders' revenue in A's window: c1 50 (03-04) + c2 40 + 10 (03-05); c1's 03-20 line is after it
        assert a.responder_revenue == pytest.approx(100.0)
        assert b.responder_revenue == pytest.approx(0.0)
        # reached customers buying in A's window: c1, c2, c4
        assert a.reached_buyers_in_window == 3

    def test_wilson_interval_brackets_rate(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        assert (s.rate_low < s.response_rate).all() and (s.response_rate < s.rate_high).all()
        # Wilson 95 % interval of 2/4 (Newcombe 1998, Table I style): 0.150 .. 0.850
        a = s.set_index("campaign_id").loc["A"]
        assert (round(a.rate_low, 3), round(a.rate_high, 3)) == (0.150, 0.850)

    def test_extend_days_takes_late_response_into_window(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"], extend_days=3).set_index("campaign_id")
        assert s.loc["B", "responders_outside_window"] == 0
        assert s.loc["B", "responder_revenue"] == pytest.approx(60.0)  # c5 bought 60 on 05-03

    def test_without_responses_only_reach(self, fx):
        s = cp.campaign_summary(fx["ex"], None, fx["days"])
        assert "response_rate" not in s.columns and s["reached"].tolist() == [4, 3]

    def test_types_pooled(self, fx):
        s = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        t = cp.type_summary(s).set_index("campaign_type")
        assert t.loc["email", "response_rate"] == pytest.approx(2 / 4)
        assert t.loc["sms", "response_rate"] == pytest.approx(1 / 3)
        assert list(t.index) == ["email", "sms"]  # highest rate first

    def test_pairs(self, fx):
        p = fx["pairs"].set_index(["customer_id", "campaign_id"])
        assert p.loc[("c2", "A"), "responses"] == 2
        assert p.loc[("c1", "A"), "days_to_respond"] == pytest.approx(2.5)
        assert not p.loc[("c5", "B"), "response_in_window"]
        assert p["responded"].sum() == 3


class TestFunnel:
    def test_hand_checked(self, fx):
        f = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=END)
        f = f.set_index("campaign_id")
        # A: follow-up 03-11 .. 04-09; responder c1 bought 03-20, c2 did not; non-responder c3 bought 04-05
        assert (f.loc["A", "responded"], f.loc["A", "repeat"], f.loc["A", "non_responder_repeat"]) == (2, 1, 1)
        # B: follow-up 05-02 .. 05-31; responder c5 bought 05-03
        assert (f.loc["B", "repeat"], f.loc["B", "non_responder_repeat"]) == (1, 0)
        assert f.loc["A", "repeat_rate"] == pytest.approx(0.5)
        assert f.loc["A", "non_responder_repeat_rate"] == pytest.approx(0.5)
        total = cp.funnel_total(f.reset_index())
        assert total["pairs"].tolist() == [7, 3, 2]
        assert total["share_of_previous"].tolist() == pytest.approx([1.0, 3 / 7, 2 / 3])

    def test_incomplete_follow_up_is_not_counted(self, fx):
        f = cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=30, analysis_date=dt.date(2024, 5, 15))
        b = f.set_index("campaign_id").loc["B"]
        assert not b["follow_up_complete"] and pd.isna(b["repeat"])
        assert cp.funnel_total(f)["pairs"].tolist() == [4, 2, 1]  # A only

    def test_repeat_days_must_be_positive(self, fx):
        with pytest.raises(ValueError, match="repeat_days"):
            cp.funnel(fx["pairs"], fx["windows"], fx["days"], repeat_days=0, analysis_date=END)


class TestTargetingComparison:
    def test_hand_checked(self, fx):
        c = cp.targeting_comparison(fx["ex"], fx["days"]).set_index("campaign_id")
        a = c.loc["A"]
        # eligible for A (a purchase before 03-01): c1 c2 c3 c5 c7 c8 c9; c4's first purchase is 03-08
        assert (a.eligible, a.targeted, a.not_targeted, a.reached_not_eligible) == (7, 3, 4, 1)
        # buying in the window: targeted c1, c2 of 3; not targeted c8 of c5 c7 c8 c9
        assert (a.targeted_buyers, a.not_targeted_buyers) == (2, 1)
        assert a.difference == pytest.approx(2 / 3 - 1 / 4)
        assert a.se == pytest.approx(math.sqrt((2 / 3) * (1 / 3) / 3 + 0.25 * 0.75 / 4))
        # revenue per customer in the window: (50 + 50 + 0) / 3 vs (20 + 0 + 0 + 0) / 4
        assert a.revenue_targeted == pytest.approx(100 / 3) and a.revenue_not_targeted == pytest.approx(5.0)
        assert a.diff_low < a.difference < a.diff_high
        b = c.loc["B"]
        assert (b.eligible, b.targeted, b.targeted_buyers) == (9, 3, 0)

    def test_lookback_and_overlap_rules(self, fx):
        c = cp.targeting_comparison(fx["ex"], fx["days"], lookback_days=30).set_index("campaign_id")
        # purchases in 01-31 .. 02-29: c2 (02-01), c3, c7, c9 -> c1 (01-10) and c5, c8 drop out
        assert (c.loc["A", "eligible"], c.loc["A", "targeted"]) == (4, 2)
        ex = pd.concat([fx["ex"], cp.check_exposures(pd.DataFrame(
            {"customer_id": ["c8"], "campaign_id": ["C"], "start": ["2024-03-05"], "end": ["2024-03-20"]}))])
        clean = cp.targeting_comparison(ex, fx["days"], exclude_other_campaigns=True).set_index("campaign_id")
        assert clean.loc["A", "not_targeted"] == 3  # c8, reached by the overlapping C, leaves A's control
        assert clean.loc["A", "not_targeted_buyers"] == 0

    def test_newcombe_published_example(self):
        # Newcombe (1998), example (a): 56/70 - 48/80, method 10 interval 0.0524 .. 0.3339
        r = cp.diff_proportions(56, 70, 48, 80)
        assert r.diff == pytest.approx(0.2)
        assert (round(r.low, 4), round(r.high, 4)) == (0.0524, 0.3339)
        # example (b) 9/10 - 3/10: 0.1705 .. 0.8090
        r = cp.diff_proportions(9, 10, 3, 10)
        assert (round(r.low, 4), round(r.high, 4)) == (0.1705, 0.8090)

    def test_newcombe_coverage(self):
        rng = np.random.default_rng(3)
        p1, p2, n1, n2 = 0.15, 0.08, 120, 150
        hits = 0
        for _ in range(400):
            r = cp.diff_proportions(int(rng.binomial(n1, p1)), n1, int(rng.binomial(n2, p2)), n2)
            hits += r.low <= p1 - p2 <= r.high
        assert 0.91 <= hits / 400 <= 0.99  # nominal 95 %; 400 draws give +/- 2.2 points


# --------------------------------------------------------------------------------------
# known truth: a planted uplift under randomised targeting
# --------------------------------------------------------------------------------------
def simulate(n=6000, uplifts=(0.0, 0.05, 0.12), base=0.2, target_share=0.4, seed=11, biased=False):
    """Customers who all bought before; each campaign targets a random share (or, biased, the heavy buyers).

    In a campaign window a customer buys with probability base_i (+ uplift if targeted), base_i
    depending on the customer's past spend; the planted uplift is exactly the difference of the two
    probabilities averaged over the eligible customers, as in the generator's truth.
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"k{i}" for i in range(n)])
    heavy = rng.random(n) < 0.5
    p0 = np.where(heavy, base + 0.1, base - 0.1)
    lines = [pd.DataFrame({"customer_id": ids, "invoice_ts": pd.Timestamp("2024-01-15"),
                           "amount": np.where(heavy, 80.0, 20.0)})]
    ex, truth = [], []
    for k, u in enumerate(uplifts):
        start = pd.Timestamp("2024-03-01") + pd.Timedelta(days=30 * k)
        if biased:
            targeted = rng.random(n) < np.where(heavy, 0.7, 0.1)
        else:
            targeted = rng.random(n) < target_share
        bought = rng.random(n) < p0 + u * targeted
        ex.append(pd.DataFrame({"customer_id": ids[targeted], "campaign_id": f"cmp{k}", "campaign_type": "T",
                                "start": start, "end": start + pd.Timedelta(days=9)}))
        lines.append(pd.DataFrame({"customer_id": ids[bought], "invoice_ts": start + pd.Timedelta(days=3),
                                   "amount": 10.0}))
        truth.append({"campaign_id": f"cmp{k}", "uplift": u, "response_rate": 0.1})
    return cp.check_exposures(pd.concat(ex)), cp.customer_days(pd.concat(lines)), truth


class TestPlantedUplift:
    def test_randomised_targeting_recovers_the_planted_uplift(self):
        ex, days, truth = simulate()
        comp = cp.targeting_comparison(ex, days)
        check = cp.truth_check(comp, truth)
        assert check["uplift_ok"].all(), check
        # and not by a loose tolerance: about 3.2 standard errors of about 1.3 points
        assert (check["tolerance"] < 0.05).all()
        assert check.attrs["z"] == pytest.approx(cp.family_z(3))
        # the Newcombe interval covers each planted value
        assert ((comp.diff_low <= comp.difference) & (comp.diff_high >= comp.difference)).all()

    def test_biased_targeting_fails_the_check(self):
        # targeting the heavy buyers makes targeted customers buy more anyway: the observational
        # difference then overstates the uplift by far more than sampling error, and the check says so
        ex, days, truth = simulate(biased=True)
        check = cp.truth_check(cp.targeting_comparison(ex, days), truth)
        assert not check["uplift_ok"].any()
        assert (check["uplift_error"] > 0.1).all()

    def test_truth_as_dict_and_response_rate(self, fx):
        comp = cp.targeting_comparison(fx["ex"], fx["days"])
        summ = cp.campaign_summary(fx["ex"], fx["rs"], fx["days"])
        check = cp.truth_check(comp, {"A": {"uplift": 0.4, "response_rate": 0.5}, "B": {"uplift": 0.9,
                                                                                        "response_rate": 0.3}},
                               summary=summ).set_index("campaign_id")
        assert check.loc["A", "uplift_ok"] and check.loc["A", "rate_ok"]
        assert not check.loc["B", "uplift_ok"]  # B's estimate is 0 with se 0
        with pytest.raises(DataError, match="no uplift column"):
            cp.truth_check(comp, [{"campaign_id": "A", "lift": 0.1}])

    def test_family_z(self):
        assert cp.family_z(1) == 3.0
        assert cp.family_z(20) == pytest.approx(3.48, abs=0.01)  # Phi^-1(1 - 0.01 / 40)


# --------------------------------------------------------------------------------------
# who responds
# --------------------------------------------------------------------------------------
class TestProfile:
    def test_flags(self, fx):
        f = cp.customer_flags(fx["pairs"]).set_index("customer_id")
        assert f.loc["c1", "campaigns_reached"] == 2 and f.loc["c1", "campaigns_responded"] == 1
        assert sorted(f.index[f.campaign_responder]) == ["c1", "c2", "c5"]

    def test_hand_checked_chi_square(self, fx):
        flags = cp.customer_flags(fx["pairs"])
        prof = cp.responder_profile(flags, pd.read_csv(FIX / "attributes.csv"))
        reg = prof[prof.variable == "region"].set_index("value")
        # North: c1, c2 responded, c6 not; South: c5 responded, c3, c4 not
        assert reg.loc["North", ["responders", "non_responders"]].tolist() == [2, 1]
        assert reg.loc["North", "response_rate"] == pytest.approx(2 / 3)
        # expected 1.5 in each cell: chi2 = 4 x 0.5^2 / 1.5 = 2/3, 1 dof -> p = 0.4142
        assert reg["p_value"].iloc[0] == pytest.approx(0.4142, abs=1e-4)
        assert not reg["significant"].any()
        age = prof[prof.variable == "age_band"].set_index("value")
        assert age.loc[cp.MISSING, "non_responders"] == 1  # c4

    def test_planted_difference_is_flagged(self):
        rng = np.random.default_rng(0)
        n = 2000
        region = rng.choice(["N", "S"], n)
        noise = rng.choice(["x", "y", "z"], n)
        resp = rng.random(n) < np.where(region == "N", 0.3, 0.1)
        flags = pd.DataFrame({"customer_id": [str(i) for i in range(n)], "campaign_responder": resp})
        prof = cp.responder_profile(flags, pd.DataFrame({"customer_id": flags.customer_id, "region": region,
                                                         "noise": noise}))
        sig = prof.groupby("variable")["significant"].first()
        assert sig["region"] and not sig["noise"]
        assert prof.attrs["level"] == pytest.approx(0.025)

    def test_missing_values_are_shown_but_not_tested(self):
        # 200 customers without a value all responded, the 400 with a value respond at 20 % whatever it is
        rng = np.random.default_rng(1)
        value = np.array([None] * 200 + list(rng.choice(["a", "b"], 400)), dtype=object)
        resp = np.r_[np.ones(200, bool), rng.random(400) < 0.2]
        ids = [str(i) for i in range(600)]
        prof = cp.responder_profile(pd.DataFrame({"customer_id": ids, "campaign_responder": resp}),
                                    pd.DataFrame({"customer_id": ids, "v": value}), missing_label="(none given)")
        assert prof.set_index("value").loc["(none given)", "responders"] == 200
        assert (prof["customers_tested"] == 400).all()
        assert not prof["significant"].any()

    def test_spend_tier(self):
        rfm = pd.DataFrame({"customer_id": list("abcdef"), "monetary": [1, 2, 3, 4, 5, 6.0]})
        t = cp.spend_tier(rfm).set_index("customer_id")["spend_tier"]
        assert t.astype(str).tolist() == ["low", "low", "mid", "mid", "high", "high"]

    def test_profile_groups_use_the_clv_tier_when_given(self):
        # six customers; the CLV tier ranks them the other way round from their spend
        rfm = pd.DataFrame({"customer_id": list("abcdef"), "recency_days": [5, 10, 20, 40, 80, 160],
                            "frequency": [6, 5, 4, 3, 2, 1], "monetary": [1, 2, 3, 4, 5, 6.0]})
        spend = cp.profile_groups(rfm).set_index("customer_id")
        assert "spend_tier" in spend.columns and "clv_tier" not in spend.columns
        assert spend["spend_tier"].astype(str).tolist() == ["low", "low", "mid", "mid", "high", "high"]
        # an empty table (the CLV fit failed) keeps the spend tier
        empty = pd.DataFrame({"customer_id": pd.Series(dtype="string"), "clv_tier": pd.Series(dtype="string")})
        assert "spend_tier" in cp.profile_groups(rfm, clv_tiers=empty).columns

        tiers = pd.DataFrame({"customer_id": list("abcde"),      # f has no tier (not in customers_btyd)
                              "clv_tier": ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %", "rest 80 %"]})
        g = cp.profile_groups(rfm, clv_tiers=tiers).set_index("customer_id")
        assert "clv_tier" in g.columns and "spend_tier" not in g.columns
        assert g.loc["a", "clv_tier"] == "top 1 %" and g.loc["e", "clv_tier"] == "rest 80 %"
        assert pd.isna(g.loc["f", "clv_tier"])
        # ordered best tier first (the order of clv.value_tiers), whatever order the values come in
        assert list(g["clv_tier"].cat.categories) == ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %"]
        assert g["clv_tier"].cat.ordered

        # the profile: a, b responded, c, d, e, f did not; f is (missing) and left out of the test
        flags = pd.DataFrame({"customer_id": list("abcdef"), "campaign_responder": [True, True] + [False] * 4})
        prof = cp.responder_profile(flags, g.reset_index()[["customer_id", "clv_tier"]])
        tier = prof.set_index("value")
        assert tier.index.tolist() == ["top 1 %", "top 1-5 %", "top 5-20 %", "rest 80 %", cp.MISSING]
        assert tier.loc["top 1 %", ["responders", "non_responders"]].tolist() == [1, 0]
        assert tier.loc["rest 80 %", ["responders", "non_responders"]].tolist() == [0, 2]
        assert (prof["customers_tested"] == 5).all()

    def test_clv_tier_names_in_turkish(self):
        rfm = pd.DataFrame({"customer_id": ["a", "b"], "recency_days": [5, 9], "frequency": [3, 1],
                            "monetary": [10.0, 2.0]})
        tiers = pd.DataFrame({"customer_id": ["a", "b"], "clv_tier": ["top 1 %", "rest 80 %"]})
        g = cp.profile_groups(rfm, clv_tiers=tiers, segment_language="tr")
        assert list(g["clv_tier"].cat.categories)[0].startswith("en üst")
        assert g.set_index("customer_id").loc["b", "clv_tier"].startswith("kalan")

    def test_clv_tier_table_without_data_says_why(self):
        from helpers.models import clv

        table, reason = clv.value_tier_table(None)
        assert table is None and "customers_btyd" in reason


# --------------------------------------------------------------------------------------
# the synthetic shop (once its generator plants campaigns)
# --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_synthetic_shop_recovers_planted_uplift(tmp_path):
    from helpers import pipeline

    prep = pipeline.open_run(TINY,
                             ["data.synthetic.customers=4000", "data.synthetic.days=730", "name=campaigns_mid"],
                             progress=False)
    truth = prep.synthetic_truth() or {}
    if "exposures" not in prep.tables or "campaigns" not in truth:
        pytest.skip("the synthetic generator does not plant campaigns yet (no 'exposures' table or campaigns truth)")
    ex = cp.check_exposures(prep.read("exposures"))
    days = cp.customer_days(prep.lines(columns=["customer_id", "invoice_ts", "amount"]))
    comp = cp.targeting_comparison(ex, days, end_inclusive=cp.end_inclusive_for(truth))
    check = cp.truth_check(comp, truth["campaigns"])
    assert len(check) > 0 and check["uplift_ok"].all(), check


class TestEndConvention:
    def test_exclusive_end(self, fx):
        w = cp.campaign_windows(fx["ex"], end_inclusive=False).set_index("campaign_id")
        # A: 03-01 .. 03-10 read as exclusive ends on 03-09; B (end = start) keeps its one day
        assert w.loc["A", "window_end"] == pd.Timestamp("2024-03-09") and w.loc["A", "window_days"] == 9
        assert w.loc["B", "window_days"] == 1

    def test_read_from_truth(self):
        assert cp.end_inclusive_for(None) is True
        assert cp.end_inclusive_for({"campaigns": [{"campaign_id": "X", "end_exclusive": "2024-01-02"}]}) is False
        assert cp.end_inclusive_for({"params": {}}) is True


# --------------------------------------------------------------------------------------
# dunnhumby "The Complete Journey": counts published with the data
# --------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_dunnhumby_reach_and_responders_match_the_published_counts(shared_data):
    d = shared_data / "dunnhumby_complete_journey"
    sent = pd.read_csv(d / "campaigns.csv").merge(pd.read_csv(d / "campaign_descriptions.csv"), on="campaign_id")
    ex = cp.check_exposures(sent.rename(columns={"household_id": "customer_id", "start_date": "start",
                                                 "end_date": "end"}), "campaigns.csv")
    red = pd.read_csv(d / "coupon_redemptions.csv")
    rs = cp.check_responses(red.rename(columns={"household_id": "customer_id", "redemption_date": "response_ts"}),
                            "coupon_redemptions.csv")
    tx = pd.read_csv(d / "transactions_sample.csv", usecols=["household_id", "transaction_timestamp", "sales_value"])
    days = cp.customer_days(tx.rename(columns={"household_id": "customer_id", "transaction_timestamp": "invoice_ts",
                                               "sales_value": "amount"}))
    s = cp.campaign_summary(ex, rs, days)
    # ../shared/data/README.md: 27 campaigns sent to 1,559 households; 2,102 redemptions by 410 households
    assert len(s) == 27 and ex["customer_id"].nunique() == 1559 and len(ex) == 6589
    flags = cp.customer_flags(cp.response_pairs(ex, rs, cp.campaign_windows(ex)))
    assert int(flags["campaign_responder"].sum()) == 410
    assert (s["unreached_responders"] == 0).all()     # every redemption is by a household the campaign reached
    types = cp.type_summary(s).set_index("campaign_type")
    listed = pd.read_csv(d / "campaign_descriptions.csv")["campaign_type"].value_counts()
    assert types["campaigns"].to_dict() == listed.to_dict()
    assert types["response_rate"].is_monotonic_decreasing   # best type first
    assert int(types["responders"].sum()) == int(s["responders"].sum())
