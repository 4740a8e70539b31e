import numpy as np
import pandas as pd
import pytest

from helpers.models.campaigns import study as us
from tests.fixtures.uplift import planted_table


def days_and_windows():
    days = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
                         "day": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05", "2024-01-02", "2024-02-03"]),
                         "revenue": [10.0, 30.0, 5.0, 8.0, 9.0]})
    windows = pd.DataFrame({"campaign_id": ["K"], "window_start": pd.to_datetime(["2024-02-01"]),
                            "window_end": pd.to_datetime(["2024-02-10"])})
    return days, windows


def test_customer_campaign_features_by_hand():
    days, windows = days_and_windows()
    ex = pd.DataFrame({"customer_id": ["a"], "campaign_id": ["K"]})
    t = us.customer_campaigns(ex, days, windows).set_index("customer_id")
    assert list(t.index) == ["a", "b", "c"]
    assert t.loc["a", "treated"] and not t.loc["b", "treated"]
    assert t.loc["a", "recency"] == 21 and t.loc["a", "tenure"] == 31 and t.loc["a", "frequency"] == 2
    assert t.loc["a", "monetary"] == 20 and t.loc["a", "overdue"] == pytest.approx(21 / 10)
    assert t.loc["b", "overdue"] == pytest.approx(27 / 27)          # one purchase: recency / tenure
    assert t["bought"].tolist() == [0, 0, 1]


def test_group_column_decides_the_arms():
    days, windows = days_and_windows()
    ex = pd.DataFrame({"customer_id": ["a", "b"], "campaign_id": ["K", "K"], "group": ["control", "treatment"]})
    t = us.customer_campaigns(ex, days, windows).set_index("customer_id")
    assert list(t.index) == ["a", "b"] and t["treated"].tolist() == [False, True]


def test_study_finds_planted_uplift_and_the_uplift_rule_wins():
    tab, tau = planted_table(6000, 2)
    n = len(tab)
    r = us.uplift_study(tab, truth=pd.Series(tau), n_boot=50, margin=20, contact_cost=1)
    assert r["correlation"] > 0.5
    q = r["learners"].set_index("learner")["qini"]
    assert q[r["best"]] > q["random"] and q["oracle"] > q["random"]
    assert r["rules"]["rule"].iloc[0] == "uplift"
    assert set(r["curves"]) == {r["best"], "random", "oracle"}
    assert len(r["test"]) + (~tab["customer_id"].isin(r["test"]["customer_id"])).sum() == n


def test_planted_uplift_aligns_on_customer_and_campaign():
    tab = pd.DataFrame({"customer_id": ["a", "b"], "campaign_id": ["K", "K"]}, index=[5, 7])
    truth = {"campaign_uplift": pd.DataFrame({"customer_id": ["b", "a"], "campaign_id": ["K", "K"], "uplift": [-1.0, 0.2]})}
    assert us.planted_uplift(tab, truth).to_dict() == {5: 0.2, 7: -1.0}
    assert us.planted_uplift(tab, None) is None


def test_customer_columns_score_everyone_for_the_action_table():
    days, windows = days_and_windows()

    class Const:
        def predict(self, x):
            return x[:, 0] / 100                      # recency / 100

    cols = us.customer_columns({"model": Const()}, days, pd.Timestamp("2024-02-09"), "uplift").set_index("customer_id")
    assert cols.loc["a", "uplift"] == pytest.approx(0.30)        # last purchase 2024-01-11, scored on 2024-02-10
    assert (cols["targeting_rule"] == "uplift").all() and len(cols) == 3
    j = us.join_customers(pd.DataFrame({"customer_id": ["a", "z"], "campaign_responder": [True, False]}), cols.reset_index())
    assert sorted(j["customer_id"]) == ["a", "b", "c", "z"]
    assert us.join_customers(None, None) is None


def test_churn_risk_is_learnt_from_the_control_arm_only():
    """Control customers buy with a probability falling with recency; every treated customer buys. The risk
    score follows the control arm's P(no purchase) (what happens without contact), not the pooled one."""
    rng = np.random.default_rng(3)
    n = 6000
    x = np.column_stack([rng.uniform(0, 200, n), rng.integers(1, 10, n), rng.gamma(2, 20, n),
                         rng.uniform(200, 600, n), rng.uniform(0, 4, n)])
    p_buy = 1 / (1 + np.exp((x[:, 0] - 100) / 25))
    t = rng.random(n) < 0.5
    y = np.where(t, 1.0, (rng.random(n) < p_buy).astype(float))
    risk = us.churn_risk(x[:4000], y[:4000], t[:4000], x[4000:], seed=0)
    truth = 1 - p_buy[4000:]
    assert np.corrcoef(risk, truth)[0, 1] > 0.95
    assert abs(risk.mean() - truth.mean()) < 0.03          # the pooled arms would put it near half of this


def test_above_the_sample_size_whole_customers_are_studied_and_counted():
    """Two campaigns per customer (the planted table twice): a 5,000-row cap keeps whole customers (both their
    rows), says how many of the rows it studied, and the planted uplift is still found."""
    one, tau = planted_table(6000, 4)
    tab = pd.concat([one, one.assign(campaign_id="L")], ignore_index=True)
    truth = pd.Series(np.concatenate([tau, tau]))
    r = us.uplift_study(tab, truth=truth, n_boot=20, margin=20, contact_cost=1, sample_rows=5000)
    used, given = r["rows"]
    assert given == 12000 and 4990 <= used <= 5000 and used % 2 == 0
    per_customer = r["test"].groupby("customer_id")["campaign_id"].nunique()
    assert (per_customer == 2).all()                     # both campaigns of every studied customer
    assert r["correlation"] > 0.3
    assert us.uplift_study(one, truth=pd.Series(tau), n_boot=20)["rows"] == (6000, 6000)   # below the cap: everyone
