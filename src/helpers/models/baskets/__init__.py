"""Market baskets, association rules and next best offers (cross-sell, *çapraz satış*).

A **basket** is one invoice; its **items** are the distinct products (or categories) on it.
Guests' invoices are baskets too (they show what goes together), but only customers with an
id get offers. For a rule A -> C over N baskets, with n(X) the number of baskets holding
every item of X:

=============  =========================================  =====================================
metric         formula                                    reads as
=============  =========================================  =====================================
support        n(A+C) / N                                 share of baskets with A and C
confidence     n(A+C) / n(A)                              P(C in basket | A in basket)
lift           confidence / (n(C) / N)                    how many times likelier C is with A
leverage       support(A+C) - support(A) x support(C)     co-occurrence above independence
conviction     (1 - support(C)) / (1 - confidence)        inf when confidence is 1
=============  =========================================  =====================================

Two ways to mine rules:

* :func:`frequent_itemsets` + :func:`association_rules`: mlxtend's FP-growth on a one-hot
  basket matrix (itemsets of 2..``max_len`` items). The matrix is sized before it is built;
  when it would exceed ``max_cells`` the support threshold is raised with a warning.
* :func:`pair_rules`: one-item -> one-item rules from co-occurrence counts computed in the
  engine (a self-join on the invoice in Ibis: DuckDB or Spark), for data too large for a
  matrix. The metrics equal mlxtend's pair rules (a test checks this).

Next best offer (*bir sonraki en iyi teklif*): :func:`next_best_offers` scores every product a
customer has not bought by the pair rules whose antecedent the customer has bought, and falls
back to popularity within the customer's group (country, segment) when fewer than ``k`` rules
fire. :func:`offline_evaluation` holds out each customer's last basket, mines rules without the
held-out baskets, recommends from the history before it and compares hit rate, precision@k and
recall@k with a popularity baseline. :func:`expected_value` ranks offers by probability x margin.

Modules
-------
:mod:`~helpers.models.baskets.items` (baskets and the item catalogue),
:mod:`~helpers.models.baskets.rules` (FP-growth, pair rules, rule tables),
:mod:`~helpers.models.baskets.offers` (next best offers, expected value, export) and
:mod:`~helpers.models.baskets.evaluation` (offline evaluation). Every public name is importable
from this package: ``from helpers.models import baskets as bk; bk.pair_rules(...)``.
"""
from __future__ import annotations

from helpers.models.baskets.evaluation import (
    EVAL_COLUMNS, PROTOCOLS, HoldoutSplit, evaluate_offers, holdout_last_basket, offline_evaluation,
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
    "offline_evaluation", "one_hot", "pair_rules", "pairs_from_rules", "planted_bundle_ranks", "popularity",
    "popularity_offers",
]
