"""Offline evaluation of next best offers: each customer's last basket held out, rules against a popularity baseline.

:func:`offline_evaluation` holds out each customer's last basket, mines rules without the
held-out baskets, recommends from the history before it and compares hit rate, precision@k and
recall@k with a popularity baseline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.models.baskets.offers import customer_history, next_best_offers, popularity, popularity_offers
from helpers.models.baskets.rules import pair_rules


@dataclass
class HoldoutSplit:
    """Each evaluated customer's last basket, held out from everything the recommender learns from.

    ``history``: basket items of the evaluated customers' earlier baskets (what next-basket
    offers are made from); ``holdout``: the items of each evaluated customer's last basket;
    ``trigger``: per evaluated customer, the first item put in the held-out basket (lowest
    line_id; used only by the basket-completion protocol); ``mining``: every basket except
    the held-out ones (guests' and one-basket customers' baskets included), for mining rules
    and popularity.
    """

    history: pd.DataFrame
    holdout: pd.DataFrame
    trigger: pd.DataFrame
    mining: pd.DataFrame

    @property
    def customers(self) -> pd.Index:
        return pd.Index(self.holdout["customer_id"].unique())


def holdout_last_basket(items: pd.DataFrame) -> HoldoutSplit:
    """Split basket items for the offline evaluation (see :class:`HoldoutSplit`).

    The last basket is the customer's latest invoice by time (ties: the larger invoice
    number); customers with a single basket have no history and are not evaluated.
    """
    it = items.copy()
    inv = (it.loc[it["customer_id"].notna(), ["customer_id", "invoice", "invoice_ts"]]
           .drop_duplicates("invoice").sort_values(["customer_id", "invoice_ts", "invoice"]))
    n_baskets = inv.groupby("customer_id")["invoice"].transform("size")
    last = inv[(n_baskets >= 2)].groupby("customer_id").tail(1)
    is_held = it["invoice"].isin(set(last["invoice"]))
    holdout = it[is_held]
    order = "first_line" if "first_line" in holdout.columns else "item"
    trigger = holdout.sort_values(["customer_id", order, "item"]).groupby("customer_id").head(1)
    history = it[~is_held & it["customer_id"].isin(set(last["customer_id"]))]
    return HoldoutSplit(history=history.reset_index(drop=True), holdout=holdout.reset_index(drop=True),
                        trigger=trigger[["customer_id", "invoice", "item"]].reset_index(drop=True),
                        mining=it[~is_held].reset_index(drop=True))


def evaluate_offers(offers: pd.DataFrame, holdout: pd.DataFrame, *, k: int) -> dict:
    """Hit rate, precision@k and recall@k of ``offers`` against the held-out baskets.

    Per evaluated customer (each customer in ``holdout``): hits = offered items (rank <= k)
    found in the held-out basket; hit = at least one hit; precision@k = hits / k;
    recall@k = hits / items in the held-out basket. Each is averaged over the customers (a
    customer without offers counts as zero). hit_rate_se = sqrt(h (1 - h) / customers), the
    binomial standard error of the hit rate h.
    """
    truth = holdout[["customer_id", "item"]].drop_duplicates().astype("string")
    size = truth.groupby("customer_id").size()
    o = offers.loc[offers["rank"] <= k, ["customer_id", "item"]].astype("string")
    hits = o.merge(truth, on=["customer_id", "item"]).groupby("customer_id").size().reindex(size.index, fill_value=0)
    n = len(size)
    hr = float((hits > 0).mean()) if n else np.nan
    return {"customers": n, "k": k, "hit_rate": hr,
            "hit_rate_se": math.sqrt(hr * (1 - hr) / n) if n else np.nan,
            "precision_at_k": float((hits / k).mean()) if n else np.nan,
            "recall_at_k": float((hits / size).mean()) if n else np.nan,
            "hits": int(hits.sum())}


PROTOCOLS = {
    "next_basket": "offers made from the earlier baskets only; scored against the whole held-out basket",
    "basket_completion": "offers made when the first item of the held-out basket is in the cart; "
                         "scored against the rest of that basket",
}
EVAL_COLUMNS = ["protocol", "method", "customers", "k", "hit_rate", "hit_rate_se", "precision_at_k", "recall_at_k",
                "hits"]


#: Above this many customers with a held-out basket, the offers are made and scored for a seeded random sample of
#: this many (rules and popularity still come from every basket that is not held out): the hit rate's standard
#: error at 20,000 customers is at most 0.4 points, and scoring everyone dominated a large batch.
MAX_EVALUATED = 20_000


def sample_split(split: HoldoutSplit, max_customers: int | None, *, random_state: int = 0) -> HoldoutSplit:
    """``split`` with its evaluated customers cut to a seeded random sample of ``max_customers`` (history,
    holdout and trigger; ``mining`` unchanged, so no held-out basket enters it); ``split`` itself when smaller."""
    who = split.customers
    if not max_customers or len(who) <= max_customers:
        return split
    keep = set(np.random.default_rng(random_state).choice(np.asarray(who, dtype=object), size=max_customers,
                                                           replace=False))
    return HoldoutSplit(*(t[t["customer_id"].isin(keep)].reset_index(drop=True)
                          for t in (split.history, split.holdout, split.trigger)), mining=split.mining)


def offline_evaluation(items: pd.DataFrame, *, k: int = 5, min_count: int = 3, exclude_bought: bool = True,
                       min_lift: float = 1.0, customer_groups: pd.DataFrame | None = None,
                       protocols=("next_basket", "basket_completion"), con=None,
                       max_customers: int | None = MAX_EVALUATED, random_state: int = 0) -> pd.DataFrame:
    """Next-best-offer rules against a popularity baseline, on each customer's held-out last basket.

    Protocols (:data:`PROTOCOLS`):

    * ``next_basket``: rules fire on the items of the customer's earlier baskets (the offer
      one makes between visits, e.g. by e-mail); targets = the held-out basket.
    * ``basket_completion``: rules fire on the first item of the held-out basket (the offer
      one makes at checkout); targets = the other items of that basket (baskets of one item
      are not scored). The popularity baseline knows the same first item (never offers it).

    Leakage-free: rules and popularity come from :attr:`HoldoutSplit.mining` (no held-out
    basket in it); offers from the history (and, for completion, the first item only).

    With more than ``max_customers`` customers to evaluate, a seeded random sample of that many is
    evaluated (:func:`sample_split`; None evaluates everyone); ``attrs["evaluable"]`` counts them all.

    Returns
    -------
    pandas.DataFrame
        One row per protocol and method ("rules", "popularity"): customers (evaluated), k,
        hit_rate, precision_at_k, recall_at_k, hits. ``attrs``: split, rules (the pair rules
        used), rule_share (per protocol: share of the rule method's offers backed by a rule),
        evaluable (customers with a held-out basket, before sampling).
    """
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown:
        raise ValueError(f"offline_evaluation: unknown protocol(s) {unknown}; choose from {list(PROTOCOLS)}")
    split = holdout_last_basket(items)
    evaluable = len(split.customers)
    split = sample_split(split, max_customers, random_state=random_state)
    rows, rule_share = [], {}
    rules = pair_rules(split.mining, min_count=min_count, con=con) if len(split.holdout) else None
    popular = popularity(customer_history(split.mining), customer_groups=customer_groups)
    hist = customer_history(split.history)
    for protocol in protocols:
        if split.holdout.empty:
            continue
        if protocol == "next_basket":
            seeds, exclude, targets = hist, None, split.holdout
        else:
            trig = split.trigger[["customer_id", "item"]].astype("string")
            targets = split.holdout.merge(split.trigger[["customer_id", "item"]].assign(_t=True),
                                          on=["customer_id", "item"], how="left")
            targets = targets[targets["_t"].isna()].drop(columns="_t")
            seeds = trig[trig["customer_id"].isin(set(targets["customer_id"]))]
            exclude = pd.concat([trig, hist], ignore_index=True) if exclude_bought else trig
        who = pd.Index(targets["customer_id"].unique())
        if not len(who):
            continue
        common = dict(k=k, exclude_bought=exclude_bought, popular=popular, customer_groups=customer_groups,
                      customers=who)
        if protocol == "basket_completion":
            common.update(exclude=exclude, exclude_bought=False)
            # customers with a trigger but no earlier history still need a row to fill up from popularity
        by_rules = next_best_offers(seeds, rules, min_lift=min_lift, **common)
        by_pop = popularity_offers(seeds, **common)
        rule_share[protocol] = float((by_rules["source"] == "rule").mean()) if len(by_rules) else np.nan
        rows.append({"protocol": protocol, "method": "rules", **evaluate_offers(by_rules, targets, k=k)})
        rows.append({"protocol": protocol, "method": "popularity", **evaluate_offers(by_pop, targets, k=k)})
    out = pd.DataFrame(rows, columns=EVAL_COLUMNS)
    out.attrs.update(split=split, rules=rules, rule_share=rule_share, evaluable=evaluable)
    return out
