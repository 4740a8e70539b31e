"""Market baskets, association rules and next best offers (cross-sell, *çapraz satış*).

A **basket** is one invoice; its **items** are the distinct products (or categories) on it.
Guests' invoices are baskets too (they show what goes together), but only customers with an
id get offers.

* :mod:`~helpers.models.baskets.items`: baskets from the clean lines, their summary and the
  item catalogue (names, prices, value per line).
* :mod:`~helpers.models.baskets.rules`: association rules A -> C with support, confidence,
  lift, leverage and conviction (the formulas are in that module), mined by mlxtend's FP-growth
  on a one-hot basket matrix or, for data too large for a matrix, as pair rules from
  co-occurrence counts computed in the engine; the tables that show them.
* :mod:`~helpers.models.baskets.offers`: next best offers (*bir sonraki en iyi teklif*) from the
  pair rules, filled up from popularity in the customer's group; expected value and the export.
* :mod:`~helpers.models.baskets.evaluation`: offline evaluation on each customer's held-out last
  basket, rules against a popularity baseline.

Every public name is importable from this package: ``from helpers.models import baskets as bk;
bk.pair_rules(...)``.
"""
from __future__ import annotations

from helpers.models.baskets.evaluation import (
    EVAL_COLUMNS, MAX_EVALUATED, PROTOCOLS, HoldoutSplit, evaluate_offers, holdout_last_basket, offline_evaluation,
    sample_split,
)
from helpers.models.baskets.items import basket_items, basket_summary, catalogue_names, item_catalogue
from helpers.models.baskets.offers import (
    customer_groups_from_lines, customer_history, expected_value, next_best_offers, offer_table, popularity,
    popularity_offers,
)
from helpers.models.baskets.rules import (
    DEFAULT_MAX_CELLS, MAX_LEN_CAP, METRICS, PAIR_COLUMNS, RULE_COLUMNS, SupportRaisedWarning, association_rules,
    cooccurrence_matrix, filter_rules, frequent_itemsets, label_rules, one_hot, pair_rules, pairs_from_rules,
    planted_bundle_ranks,
)

__all__ = [
    "DEFAULT_MAX_CELLS", "EVAL_COLUMNS", "MAX_LEN_CAP", "METRICS", "PAIR_COLUMNS", "PROTOCOLS", "RULE_COLUMNS",
    "HoldoutSplit", "SupportRaisedWarning",
    "association_rules", "basket_items", "basket_summary", "catalogue_names", "cooccurrence_matrix",
    "customer_groups_from_lines", "customer_history", "evaluate_offers", "expected_value", "filter_rules",
    "frequent_itemsets", "holdout_last_basket", "item_catalogue", "label_rules", "next_best_offers", "offer_table",
    "offline_evaluation", "one_hot", "sample_split", "MAX_EVALUATED", "pair_rules", "pairs_from_rules", "planted_bundle_ranks", "popularity",
    "popularity_offers",
]
