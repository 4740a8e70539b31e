"""Cleaning with an audit: named rules that turn raw sales lines into clean ones.

Every raw line gets exactly one status: the first rule below that removes it, or ``kept``.
So the audit reconciles by construction: raw = kept + removed, for lines and for revenue.

=========================  ===================================================================
rule                       what it removes (rules are checked in this order)
=========================  ===================================================================
duplicate                  exact duplicates: every column but ``line_id`` equal; the first stays
outside_window             lines before ``analysis.start`` or after ``analysis.end`` (inclusive days)
non_product                postage, fees, manual adjustments, bank charges: ``product_id`` in
                           ``cleaning.non_product_codes`` (case-insensitive) or matching
                           ``cleaning.non_product_pattern``
cancellation               a cancellation line (invoice starting with "C" or quantity < 0)
                           matched to the sale it cancels in full
cancellation_partial       a cancellation matched to a sale of more units; the sale is kept
                           unchanged (its revenue is not netted: see the audit's revenue column)
cancellation_unmatched     a cancellation with no sale found to cancel (e.g. the sale predates
                           the data)
cancelled_original         the sale a full cancellation cancels
zero_price                 sale lines with unit price <= 0 (free samples, write-offs)
extreme_quantity           sale lines with quantity > ``multiplier`` x the ``quantile`` of sale
                           quantities (default 10 x the 99th percentile), or > ``max_quantity``
                           when set; with ``action: flag`` they are kept and flagged instead
=========================  ===================================================================

Matching a cancellation to its sale: first by reference (the cancellation's invoice without
its leading "C" equals the sale's invoice, same product), else the latest earlier sale of the
same customer and product with the same number of units. Each sale is cancelled at most once.

Guests (lines without a customer) are kept: they count for revenue and baskets but are left
out of customer-level tables; the audit shows them as an information row.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from .config import CleaningConfig

#: Rule names in the order they are applied, with the one-line description shown in the audit.
RULES: dict[str, str] = {
    "duplicate": "exact duplicate of an earlier line (all columns but line_id equal)",
    "outside_window": "invoice date outside the analysis window",
    "non_product": "postage, fee or adjustment code, not a product",
    "cancellation": "cancellation matched to the sale it cancels in full",
    "cancellation_partial": "cancellation of part of a sale (sale kept)",
    "cancellation_unmatched": "cancellation with no matching earlier sale",
    "cancelled_original": "sale cancelled in full by a later cancellation",
    "zero_price": "sale line with unit price <= 0",
    "extreme_quantity": "quantity above the extreme-quantity threshold",
}
KEPT = "kept"
CLEAN_VERSION = "1"
_DATA_COLUMNS = ("invoice", "invoice_ts", "customer_id", "product_id", "description", "category",
                 "quantity", "unit_price", "amount", "country", "channel", "currency")


def _is_cancel(t):
    return t.invoice.startswith("C") | (t.quantity < 0)


def _pre_status(t, rules: CleaningConfig, start: dt.date | None, end: dt.date | None):
    """Status from the rules that need no matching: duplicate, outside_window, non_product."""
    conds = []
    if rules.duplicates:
        w = ibis.window(group_by=[t[c] for c in _DATA_COLUMNS], order_by=[t.line_id])
        t = t.mutate(_dup_rank=ibis.row_number().over(w))
        conds.append((t._dup_rank > 0, "duplicate"))
    if rules.outside_window and (start or end):
        day = t.invoice_ts.date()
        out = ibis.literal(False)
        if start:
            out = out | (day < ibis.date(start))
        if end:
            out = out | (day > ibis.date(end))
        conds.append((out, "outside_window"))
    if rules.non_product:
        codes = [c.upper() for c in rules.non_product_codes]
        np_cond = t.product_id.upper().strip().isin(codes) if codes else ibis.literal(False)
        if rules.non_product_pattern:
            np_cond = np_cond | t.product_id.re_search(rules.non_product_pattern)
        conds.append((np_cond.fill_null(False), "non_product"))
    pre = ibis.cases(*conds, else_=ibis.null(str)) if conds else ibis.null(str)
    t = t.mutate(_pre=pre)
    return t.drop("_dup_rank") if "_dup_rank" in t.columns else t


def _cancel_matches(t):
    """One row per matched (cancellation line, sale line): line ids and whether in full."""
    live = t.filter(t._pre.isnull())
    c = live.filter(_is_cancel(live)).select(
        c_id=live.line_id, c_ref=live.invoice.substr(1), c_cust=live.customer_id,
        c_prod=live.product_id, c_qty=-live.quantity, c_ts=live.invoice_ts)
    s = live.filter(~_is_cancel(live)).select(
        s_id=live.line_id, s_inv=live.invoice, s_cust=live.customer_id, s_prod=live.product_id,
        s_qty=live.quantity, s_ts=live.invoice_ts)
    by_ref = c.join(s, [c.c_ref == s.s_inv, c.c_prod == s.s_prod]).filter(
        lambda x: x.s_ts <= x.c_ts).mutate(by_ref=ibis.literal(1))
    by_key = c.join(s, [c.c_cust == s.s_cust, c.c_prod == s.s_prod, c.c_qty == s.s_qty]).filter(
        lambda x: x.s_ts <= x.c_ts).mutate(by_ref=ibis.literal(0))
    cols = ["c_id", "s_id", "c_qty", "s_qty", "s_ts", "by_ref"]
    cand = by_ref.select(*cols).union(by_key.select(*cols), distinct=True)
    w1 = ibis.window(group_by=cand.c_id, order_by=[ibis.desc(cand.by_ref), ibis.desc(cand.s_ts), ibis.desc(cand.s_id)])
    best = cand.mutate(_r=ibis.row_number().over(w1)).filter(lambda x: x._r == 0)
    w2 = ibis.window(group_by=best.s_id, order_by=best.c_id)
    uniq = best.mutate(_r2=ibis.row_number().over(w2)).filter(lambda x: x._r2 == 0)
    return uniq.select("c_id", "s_id", full=(uniq.c_qty - uniq.s_qty).abs() < 1e-9)


def flag_lines(raw, rules: CleaningConfig, *, start: dt.date | None = None, end: dt.date | None = None,
               extreme_threshold: float | None = None):
    """Give every raw line its cleaning status.

    Parameters
    ----------
    raw : ibis.Table
        Canonical sales lines (:mod:`helpers.schema`).
    rules : CleaningConfig
        Which rules are on, the non-product codes and the extreme-quantity rule.
    start, end : date, optional
        Analysis window, inclusive days.
    extreme_threshold : float, optional
        Quantity above which a sale line is extreme; see :func:`extreme_threshold`.

    Returns
    -------
    ibis.Table
        The canonical columns plus ``status`` (a key of :data:`RULES` or ``"kept"``),
        ``is_guest`` (no customer id) and ``is_extreme`` (quantity above the threshold).
    """
    t = _pre_status(raw, rules, start, end)
    is_cancel = _is_cancel(t)
    if rules.cancellations:
        m = _cancel_matches(t)
        as_cancel = m.select(_lid=m.c_id, _st=ibis.ifelse(m.full, "cancellation", "cancellation_partial"))
        as_orig = m.filter(m.full).select(_lid=m.s_id, _st=ibis.literal("cancelled_original"))
        mapping = as_cancel.union(as_orig)
        t = t.left_join(mapping, t.line_id == mapping._lid).drop("_lid")
        cancel_status = ibis.cases((t._pre.notnull(), t._pre), (t._st.notnull(), t._st),
                                   (is_cancel, "cancellation_unmatched"), else_=ibis.null(str))
        t = t.mutate(_pre=cancel_status).drop("_st")
    else:
        # with cancellation matching off, cancellation lines still are not sales: drop them unmatched
        t = t.mutate(_pre=ibis.cases((t._pre.notnull(), t._pre), (_is_cancel(t), "cancellation_unmatched"),
                                     else_=ibis.null(str)))
    is_extreme = (t.quantity > extreme_threshold) if extreme_threshold is not None else ibis.literal(False)
    remove_extreme = rules.extreme_quantity.enabled and rules.extreme_quantity.action == "remove"
    cases = [(t._pre.notnull(), t._pre)]
    if rules.zero_price:
        cases.append((t.unit_price <= 0, "zero_price"))
    if remove_extreme and extreme_threshold is not None:
        cases.append((is_extreme, "extreme_quantity"))
    status = ibis.cases(*cases, else_=KEPT)
    return t.mutate(status=status, is_guest=t.customer_id.isnull(),
                    is_extreme=is_extreme & ibis.literal(rules.extreme_quantity.enabled)).drop("_pre")


def extreme_threshold(raw, rules: CleaningConfig) -> float | None:
    """The quantity above which a sale line counts as extreme (``None`` when the rule is off).

    ``max_quantity`` when set; else ``multiplier`` x the ``quantile`` of quantities of sale
    lines (quantity > 0, not cancellations). Computed on all sale lines before other rules,
    so the threshold does not depend on rule order.
    """
    rule = rules.extreme_quantity
    if not rule.enabled:
        return None
    if rule.max_quantity is not None:
        return float(rule.max_quantity)
    sales = raw.filter((raw.quantity > 0) & ~raw.invoice.startswith("C"))
    q = sales.quantity.quantile(rule.quantile).execute()
    if q is None or pd.isna(q):
        return None
    return float(rule.multiplier) * float(q)


def clean_lines(flagged):
    """Kept lines only: canonical columns plus ``is_guest`` and ``is_extreme``."""
    return flagged.filter(flagged.status == KEPT).drop("status")


def audit_table(flagged, rules: CleaningConfig | None = None) -> pd.DataFrame:
    """Per rule: lines, revenue and customers affected; reconciles to the raw totals.

    Returns
    -------
    pandas.DataFrame
        One row per rule in :data:`RULES` order, then ``kept`` and ``raw total``, plus the
        information row ``guests (kept)``. Columns: ``rule``, ``description``, ``enabled``,
        ``lines``, ``revenue`` (sum of line amounts, currency; cancellations are negative),
        ``customers`` (distinct customer ids among the lines), ``share_lines`` and
        ``share_revenue`` (of the raw totals). ``lines`` and ``revenue`` of all rules plus
        ``kept`` add up to ``raw total``.
    """
    g = flagged.group_by("status").aggregate(
        lines=flagged.count(), revenue=flagged.amount.sum(), customers=flagged.customer_id.nunique())
    per = g.execute().set_index("status")
    raw_tot = flagged.aggregate(lines=flagged.count(), revenue=flagged.amount.sum(),
                                customers=flagged.customer_id.nunique()).execute().iloc[0]
    guest_lines = flagged.filter((flagged.status == KEPT) & flagged.is_guest)
    guests = guest_lines.aggregate(lines=guest_lines.count(), revenue=guest_lines.amount.sum()).execute().iloc[0]
    enabled = _enabled(rules) if rules is not None else {}
    rows = []
    for name in [*RULES, KEPT]:
        r = per.loc[name] if name in per.index else None
        rows.append({
            "rule": name,
            "description": RULES.get(name, "lines kept for analysis"),
            "enabled": enabled.get(name, True),
            "lines": int(r["lines"]) if r is not None else 0,
            "revenue": float(r["revenue"]) if r is not None and pd.notna(r["revenue"]) else 0.0,
            "customers": int(r["customers"]) if r is not None else 0,
        })
    rows.append({"rule": "raw total", "description": "all lines read from the source", "enabled": True,
                 "lines": int(raw_tot["lines"]), "revenue": float(raw_tot["revenue"] or 0.0),
                 "customers": int(raw_tot["customers"])})
    rows.append({"rule": "guests (kept)", "description": "kept lines without a customer id: in revenue "
                 "and baskets, not in customer tables", "enabled": True, "lines": int(guests["lines"]),
                 "revenue": float(guests["revenue"] or 0.0), "customers": 0})
    out = pd.DataFrame(rows)
    out["share_lines"] = out["lines"] / max(int(raw_tot["lines"]), 1)
    tot_rev = float(raw_tot["revenue"] or 0.0)
    out["share_revenue"] = out["revenue"] / tot_rev if tot_rev else 0.0
    return out


def _enabled(rules: CleaningConfig) -> dict[str, bool]:
    return {
        "duplicate": rules.duplicates,
        "outside_window": rules.outside_window,
        "non_product": rules.non_product,
        "cancellation": rules.cancellations,
        "cancellation_partial": rules.cancellations,
        "cancellation_unmatched": True,
        "cancelled_original": rules.cancellations,
        "zero_price": rules.zero_price,
        "extreme_quantity": rules.extreme_quantity.enabled and rules.extreme_quantity.action == "remove",
    }


def check_reconciles(audit: pd.DataFrame, *, rel_tol: float = 1e-9) -> None:
    """Raise AssertionError unless rules + kept add up to the raw totals (lines exactly, revenue to rounding)."""
    parts = audit[audit["rule"].isin([*RULES, KEPT])]
    raw = audit.set_index("rule").loc["raw total"]
    if int(parts["lines"].sum()) != int(raw["lines"]):
        raise AssertionError(f"audit lines do not reconcile: {int(parts['lines'].sum())} != {int(raw['lines'])}")
    diff = abs(float(parts["revenue"].sum()) - float(raw["revenue"]))
    if diff > rel_tol * max(1.0, abs(float(raw["revenue"]))) + 1e-6:
        raise AssertionError(f"audit revenue does not reconcile: off by {diff}")
