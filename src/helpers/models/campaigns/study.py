"""Per-customer uplift on a randomised campaign: the customer-campaign table, the learners fitted
on one half of the customers and scored on the other, and the four targeting rules at one budget.

Arms: an exposures ``group`` column (treatment/control, cleaned by
:func:`~helpers.models.campaigns.arms.clean_arms`) when present; otherwise, when targeting was
randomised among the eligible customers (the synthetic shop), the eligible customers a campaign
reached are the treatment and the eligible customers it did not reach the control.

Features (known at the window start, from the purchase days before it): recency (days since
the last purchase), frequency (purchase days), monetary (mean revenue per purchase day,
currency), tenure (days since the first purchase) and overdue (recency / mean gap between
purchase days). Outcome: a purchase in the window (0/1).

Rules scored on the held-out half: ``random`` (seeded), ``risk`` (churn risk at the window start:
P(no purchase in the window without contact), a gradient-boosting classifier on the same features
fitted to the training half's control customers, so it predicts what happens when nobody is
contacted), ``risk_clv`` (that risk x the customer's value: past spend per day of tenure, the naive
CLV of the tournament in 04b) and ``uplift`` (the learner with the higher Qini coefficient on the
held-out half; the other learner and the rules are judged on the same half).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from helpers.models.campaigns.learners import TLearner, XLearner, auuc, qini_coefficient, uplift_curves
from helpers.models.campaigns.targeting import compare_rules
from helpers.models.campaigns.tables import days_in_window

FEATURES = ("recency", "frequency", "monetary", "tenure", "overdue")
#: above this many customer-campaign rows the study runs on a seeded sample of whole customers (all their campaigns)
#: holding about this many rows; the model fitted on it scores every customer for the action table
SAMPLE_ROWS = 100_000


def features_at(days: pd.DataFrame, start) -> pd.DataFrame:
    """The :data:`FEATURES` per customer (index customer_id) from the purchase days before ``start``."""
    g = days[days["day"] < start].groupby("customer_id")
    f = pd.DataFrame({"last": g["day"].max(), "first": g["day"].min(), "frequency": g.size().astype(float),
                      "monetary": g["revenue"].mean()})
    f["recency"] = (start - f["last"]).dt.days.astype(float)
    f["tenure"] = (start - f["first"]).dt.days.astype(float)
    gap = (f["tenure"] - f["recency"]) / (f["frequency"] - 1).where(f["frequency"] > 1)
    f["overdue"] = f["recency"] / gap.fillna(f["tenure"].clip(lower=1)).clip(lower=1)
    return f[list(FEATURES)]


def customer_columns(study: dict, days: pd.DataFrame, as_of, rule: str) -> pd.DataFrame:
    """For the action table: customer_id, uplift (the study's model on the features the day after
    ``as_of``: the change in the chance of buying in a campaign window that contact would cause)
    and targeting_rule (the rule that wins on the evidence)."""
    f = features_at(days, pd.Timestamp(as_of) + pd.Timedelta(days=1))
    up = study["model"].predict(f.to_numpy(float)) if len(f) else []
    return pd.DataFrame({"customer_id": f.index.astype("string"), "uplift": up, "targeting_rule": rule})


def customer_campaigns(exposures: pd.DataFrame, days: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """One row per eligible customer and campaign: campaign_id, customer_id, treated (bool),
    bought (0/1 in the window), and the :data:`FEATURES` at the window start."""
    out = []
    grouped = "group" in exposures.columns
    for w in windows.itertuples(index=False):
        f = features_at(days, w.window_start)
        ex = exposures[exposures["campaign_id"] == w.campaign_id]
        if grouped:
            arm = ex.set_index("customer_id")["group"]
            f = f[f.index.isin(arm.index)]
            treated = arm.reindex(f.index).eq("treatment")
        else:
            treated = pd.Series(f.index.isin(ex["customer_id"]), index=f.index)
        buyers = set(days_in_window(days, w.window_start, w.window_end)["customer_id"])
        f["bought"] = f.index.isin(list(buyers)).astype(float)
        f["treated"] = treated.to_numpy()
        f["campaign_id"] = w.campaign_id
        out.append(f.reset_index()[["campaign_id", "customer_id", "treated", "bought", *FEATURES]])
    cols = ["campaign_id", "customer_id", "treated", "bought", *FEATURES]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def _learners(seed: int) -> dict:
    clf = GradientBoostingClassifier(max_depth=2, n_estimators=100, learning_rate=0.05, random_state=seed)
    reg = GradientBoostingRegressor(max_depth=2, n_estimators=100, learning_rate=0.05, random_state=seed)
    return {"T-learner": TLearner(clf), "X-learner": XLearner(clf, reg)}


def churn_risk(x_train, y_train, t_train, x_score, seed: int) -> np.ndarray:
    """P(no purchase in the window without contact) for ``x_score``: a classifier fitted to the control
    customers of the training rows (what happens to a customer nobody contacts)."""
    control = ~np.asarray(t_train, bool)
    clf = GradientBoostingClassifier(max_depth=2, n_estimators=100, learning_rate=0.05, random_state=seed)
    clf.fit(x_train[control], y_train[control])
    return 1.0 - clf.predict_proba(x_score)[:, 1]


def uplift_study(table: pd.DataFrame, *, truth: pd.Series | None = None, budget: float = 0.2,
                 margin: float = 10.0, contact_cost: float = 1.0, seed: int = 0, n_boot: int = 200,
                 sample_rows: int = SAMPLE_ROWS) -> dict:
    """Fit the learners on a random half of the customers, judge them and the rules on the other half.

    ``truth``: the planted uplift per row of ``table`` (same index), or None. Returns a dict:
    learners (learner, qini, auuc on the held-out half; plus ``oracle`` (the planted truth as
    the score) when ``truth`` is given and ``random``), best (the learner used by the uplift rule),
    rules (:func:`~helpers.models.campaigns.targeting.compare_rules`), correlation (estimate vs
    planted truth on the held-out half, or None), test (the held-out rows with ``uplift``),
    model (the best learner refitted on all rows, for scoring customers now), curves (Qini and
    uplift curves of the best learner, random and oracle on the held-out half), budget, rows (rows studied,
    rows given: above ``sample_rows`` a seeded sample of whole customers) and sample_rows.
    """
    rng = np.random.default_rng([seed, 0x5917])     # a stream of its own for the split and the random rule
    rows_in = len(table)
    if rows_in > sample_rows:                        # whole customers, in a seeded order, up to about sample_rows
        counts = table["customer_id"].value_counts(sort=False)
        order = counts.sample(frac=1.0, random_state=seed)
        keep = order.index[order.cumsum().to_numpy() <= sample_rows]
        picked = table["customer_id"].isin(keep).to_numpy()
        table = table[picked]
        truth = truth[picked] if truth is not None else None
    cust = table["customer_id"].unique()
    held = set(cust[rng.random(cust.size) < 0.5])
    is_test = table["customer_id"].isin(held).to_numpy()
    x = table[list(FEATURES)].to_numpy(float)
    y, t = table["bought"].to_numpy(float), table["treated"].to_numpy(bool)
    xt, yt, tt = x[is_test], y[is_test], t[is_test]
    rows, preds = [], {}
    for name, m in _learners(seed).items():
        preds[name] = m.fit(x[~is_test], y[~is_test], t[~is_test]).predict(xt)
        rows.append({"learner": name, "qini": qini_coefficient(preds[name], yt, tt), "auuc": auuc(preds[name], yt, tt)})
    rand = rng.random(int(is_test.sum()))
    tr = None if truth is None else truth.to_numpy(float)[is_test]
    extra = [("random", rand)] + ([("oracle", tr)] if tr is not None else [])
    rows += [{"learner": k, "qini": qini_coefficient(s, yt, tt), "auuc": auuc(s, yt, tt)} for k, s in extra]
    learners = pd.DataFrame(rows)
    fitted = learners[learners["learner"].isin(preds)]
    best = str(fitted.sort_values("qini", ascending=False)["learner"].iloc[0])
    test = table[is_test].assign(uplift=preds[best])
    risk = churn_risk(x[~is_test], y[~is_test], t[~is_test], xt, seed)
    value = (test["monetary"] * test["frequency"] / test["tenure"].clip(lower=1)).to_numpy()
    scores = {"random": rand, "risk": risk, "risk_clv": risk * value, "uplift": preds[best]}
    rules = compare_rules(scores, yt, tt, budget=budget, margin=margin, contact_cost=contact_cost,
                          truth=tr, n_boot=n_boot, seed=seed)
    corr = None if tr is None or np.std(tr) == 0 else float(np.corrcoef(preds[best], tr)[0, 1])
    model = _learners(seed)[best].fit(x, y, t)
    curves = {best: uplift_curves(preds[best], yt, tt)} | {k: uplift_curves(s, yt, tt) for k, s in extra}
    return {"learners": learners, "best": best, "rules": rules, "correlation": corr, "test": test, "model": model,
            "curves": curves, "budget": budget, "rows": (len(table), rows_in),
            "sample_rows": sample_rows}


def planted_uplift(table: pd.DataFrame, truth: dict | None) -> pd.Series | None:
    """The synthetic shop's planted uplift per row of :func:`customer_campaigns` (truth
    ``campaign_uplift``), aligned on the table's index; None without that truth."""
    if not truth or "campaign_uplift" not in truth:
        return None
    u = truth["campaign_uplift"].astype({"customer_id": "string", "campaign_id": "string"})
    keys = table[["customer_id", "campaign_id"]].astype("string")
    m = keys.merge(u, on=["customer_id", "campaign_id"], how="left")
    return pd.Series(m["uplift"].to_numpy(float), index=table.index).fillna(0.0)


def join_customers(*parts: pd.DataFrame | None) -> pd.DataFrame | None:
    """Outer join on customer_id of the per-customer frames that exist (None when none does)."""
    have = [p for p in parts if p is not None]
    if not have:
        return None
    out = have[0]
    for p in have[1:]:
        out = out.merge(p, on="customer_id", how="outer")
    return out
