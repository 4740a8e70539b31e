"""Returns: which lines are returns, and the sale each one reverses.

A line is a return when its invoice starts with one of ``cleaning.return_prefixes`` (default
``["C"]``), its quantity or amount is negative, or the export flags it (``is_return``). A
return is matched to its sale, each sale reversed at most once, in this order of preference:

1. by reference: the return's ``original_invoice`` (when the export has that column), else its
   invoice without the return prefix, equals the sale's invoice; same product, or without
   products the same unit price;
2. with products: the latest earlier sale of the same customer and product with at least as
   many units (the same number of units first);
3. without products: the latest sale of the same customer with the same amount (to the cent)
   within ``cleaning.return_window_days`` before the return.

Used by :func:`helpers.clean.flag_lines` (the ``cancellation`` rules) and the audit notes.
"""
from __future__ import annotations

import ibis

from helpers.config import CleaningConfig


def prefix_match(t, rules: CleaningConfig):
    """Ibis: whether the invoice starts with one of ``cleaning.return_prefixes`` (False when none is set)."""
    cond = ibis.literal(False)
    for p in rules.return_prefixes:
        cond = cond | t.invoice.startswith(p)
    return cond


def is_return(t, rules: CleaningConfig):
    """A return line: return prefix, negative quantity or amount, or the export's return flag."""
    return prefix_match(t, rules) | (t.quantity < 0) | (t.amount < 0) | t.is_return.fill_null(False)


def return_ref(t, rules: CleaningConfig):
    """The invoice a return refers to: ``original_invoice``, else the invoice without its return prefix."""
    stripped = ibis.null(str)
    for p in sorted(rules.return_prefixes, key=len, reverse=True):
        stripped = ibis.ifelse(stripped.isnull() & t.invoice.startswith(p), t.invoice.substr(len(p)), stripped)
    return t.original_invoice.fill_null(stripped)


def cancel_matches(t, rules: CleaningConfig, has_products: bool):
    """One row per matched (return line, sale line): line ids, whether in full, and how it was matched.

    ``t`` is the raw table with the bookkeeping columns :func:`helpers.clean.flag_lines` adds
    first: ``_ret`` (:func:`is_return`), ``_ref`` (:func:`return_ref`) and ``_pre`` (the status
    of the rules applied before matching; null when none removes the line). Returns an Ibis
    table ``c_id`` (return line), ``s_id`` (sale line), ``method`` (``reference``,
    ``customer_product`` or ``customer_amount``) and ``full`` (the return reverses the sale in
    full). Amounts and prices are compared in cents.
    """
    live = t.filter(t._pre.isnull())
    c = live.filter(live._ret).select(
        c_id=live.line_id, c_ref=live._ref, c_cust=live.customer_id, c_prod=live.product_id,
        c_qty=live.quantity.abs(), c_amt=(live.amount.abs() * 100).round().cast("int64"),
        c_price=(live.unit_price.abs() * 100).round().cast("int64"), c_ts=live.invoice_ts)
    s = live.filter(~live._ret).select(
        s_id=live.line_id, s_inv=live.invoice, s_cust=live.customer_id, s_prod=live.product_id,
        s_qty=live.quantity, s_amt=(live.amount * 100).round().cast("int64"),
        s_price=(live.unit_price * 100).round().cast("int64"), s_ts=live.invoice_ts)
    if has_products:
        by_ref = c.join(s, [c.c_ref == s.s_inv, c.c_prod == s.s_prod])
        by_key = c.join(s, [c.c_cust == s.s_cust, c.c_prod == s.s_prod])
        key_method = "customer_product"
    else:
        by_ref = c.join(s, [c.c_ref == s.s_inv, c.c_price == s.s_price])
        by_key = c.join(s, [c.c_cust == s.s_cust, c.c_amt == s.s_amt])
        window = ibis.interval(days=int(rules.return_window_days))
        by_key = by_key.filter(lambda x: x.s_ts >= x.c_ts - window)
        key_method = "customer_amount"
    cols = ["c_id", "s_id", "c_qty", "s_qty", "s_ts", "prio", "method"]
    by_ref = by_ref.filter(lambda x: (x.s_ts <= x.c_ts) & (x.s_qty >= x.c_qty - 1e-9)).mutate(
        prio=ibis.literal(2), method=ibis.literal("reference"))
    by_key = by_key.filter(lambda x: (x.s_ts <= x.c_ts) & (x.s_qty >= x.c_qty - 1e-9)).mutate(
        prio=ibis.literal(1), method=ibis.literal(key_method))
    cand = by_ref.select(*cols).union(by_key.select(*cols), distinct=True)
    exact = ((cand.c_qty - cand.s_qty).abs() < 1e-9).cast("int8")
    w1 = ibis.window(group_by=cand.c_id, order_by=[ibis.desc(cand.prio), ibis.desc(exact), ibis.desc(cand.s_ts),
                                                   ibis.desc(cand.s_id)])
    best = cand.mutate(_r=ibis.row_number().over(w1)).filter(lambda x: x._r == 0)
    # a sale is reversed in full at most once; partial returns leave it in place, so several may share it
    best = best.mutate(full=(best.c_qty - best.s_qty).abs() < 1e-9)
    w2 = ibis.window(group_by=best.s_id, order_by=[ibis.desc(best.full.cast("int8")), ibis.desc(best.prio), best.c_id])
    w3 = ibis.window(group_by=best.s_id)
    ranked = best.mutate(_r2=ibis.row_number().over(w2), _any_full=best.full.cast("int8").max().over(w3))
    uniq = ranked.filter(lambda x: (x._r2 == 0) | (~x.full & (x._any_full == 0)))
    return uniq.select("c_id", "s_id", "method", "full")
