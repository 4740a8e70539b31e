"""Cleaning with an audit: named rules that turn raw sales lines into clean ones.

Every raw line gets exactly one status: the first rule below that removes it, or ``kept``.
So the audit reconciles by construction: raw = kept + removed, for lines and for revenue.

=========================  ===================================================================
rule                       what it removes (rules are checked in this order)
=========================  ===================================================================
overlap                    a repeated copy of a whole invoice: the invoice's lines appear as two
                           or more identical blocks in separate places of the file (two sheets
                           or two exports that cover the same days, a re-run export appended);
                           the first copy stays
duplicate                  exact duplicates: every column but ``line_id`` equal; the first stays.
                           Applied only when the **line key** is complete (the export has a
                           product or a line-number column): without one, two identical rows are
                           usually two real lines (two products at the same price and quantity),
                           so they are kept and counted (``cleaning.duplicates: auto``)
outside_window             lines before ``analysis.start`` or after ``analysis.end`` (inclusive days)
non_product                postage, fees, manual adjustments, bank charges: ``product_id`` in
                           ``cleaning.non_product_codes`` (case-insensitive) or matching
                           ``cleaning.non_product_pattern``
cancellation               a return (cancellation, credit note) matched to the sale it reverses
                           in full
cancellation_partial       a return matched to a sale of more units; the sale is kept unchanged
                           (its revenue is not netted: see the audit's revenue column)
cancellation_unmatched     a return with no sale found to reverse (e.g. the sale predates the data)
cancelled_original         the sale a full return reverses
zero_price                 zero-value lines, only with ``cleaning.zero_price: remove``; by default
                           they are purchases (free items, promotions, samples) and stay
extreme_quantity           sale lines with quantity > ``multiplier`` x the ``quantile`` of sale
                           quantities (default 10 x the 99th percentile), or > ``max_quantity``
                           when set; with ``action: flag`` they are kept and flagged instead
=========================  ===================================================================

**Returns** (a return prefix, a negative quantity or amount, or the export's flag) are
matched to the sale they reverse by :mod:`helpers.clean_returns`, each sale reversed at most once.

**Zero-value lines** (amount 0: free items, promotions) are purchases by default: they count
for frequency, recency and first-purchase dates and add nothing to revenue (``is_free``).

**Catch-all ids.** A customer id that holds an implausible share of the orders or lines
(a till, a cash account, ``0``, ``9999``, a store's walk-in id) is reported; it becomes a
guest when listed in ``cleaning.catch_all_ids``, or when ``cleaning.catch_all_action`` is
``guest``, or (default ``auto``) when it also looks like a placeholder
(``cleaning.catch_all_pattern``). See :func:`catch_all_table`.

Guests (lines without a customer) are kept: they count for revenue and baskets but are left
out of customer-level tables; the audit shows them as an information row.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import ibis
import pandas as pd

from helpers.clean_returns import cancel_matches, is_return, prefix_match, return_ref
from helpers.config import CleaningConfig

#: Rule names in the order they are applied, with the one-line description shown in the audit.
RULES: dict[str, str] = {
    "overlap": "repeated copy of a whole invoice (exports that overlap)",
    "duplicate": "exact duplicate of an earlier line (all columns but line_id equal; only with a complete line key)",
    "outside_window": "invoice date outside the analysis window",
    "non_product": "postage, fee or adjustment code, not a product",
    "cancellation": "return or cancellation matched to the sale it reverses in full",
    "cancellation_partial": "return of part of a sale (sale kept)",
    "cancellation_unmatched": "return or cancellation with no matching earlier sale",
    "cancelled_original": "sale reversed in full by a later return",
    "zero_price": "zero-value line (removed only with cleaning.zero_price: remove)",
    "extreme_quantity": "quantity above the extreme-quantity threshold",
}
KEPT = "kept"
#: Information rows of the audit: kept lines worth knowing about (not part of the reconciliation).
INFO_ROWS: dict[str, str] = {
    "guests (kept)": "kept lines without a customer id: in revenue and baskets, not in customer tables",
    "identical rows (kept)": "kept rows identical to an earlier row: without a product or line-number column "
                             "they are usually two real lines",
    "free lines (kept)": "kept zero-value lines: purchases for frequency, recency and first purchase, no revenue",
    "catch-all ids (guests)": "kept lines of catch-all customer ids, counted as guests",
}
#: What to write in the config to change each rule (shown beside it in the audit).
CONFIG_KEYS: dict[str, str] = {
    "overlap": "cleaning.overlap: false",
    "duplicate": "cleaning.duplicates: false",
    "outside_window": "analysis.start / analysis.end, or cleaning.outside_window: false",
    "non_product": "cleaning.non_product: false (or cleaning.non_product_codes)",
    "cancellation": "cleaning.cancellations: false",
    "cancellation_partial": "cleaning.cancellations: false",
    "cancellation_unmatched": "cleaning.return_prefixes, cleaning.return_window_days",
    "cancelled_original": "cleaning.cancellations: false",
    "zero_price": "cleaning.zero_price: remove",
    "extreme_quantity": "cleaning.extreme_quantity.enabled: false | cleaning.extreme_quantity.action: flag",
    "kept": "",
    "raw total": "",
    "guests (kept)": "",
    "identical rows (kept)": "cleaning.duplicates: true",
    "free lines (kept)": "cleaning.zero_price: remove",
    "catch-all ids (guests)": "cleaning.catch_all_ids, cleaning.catch_all_action",
}
CLEAN_VERSION = "2"
#: Every data column of a line (all but ``line_id``): what "identical rows" compares.
DATA_COLUMNS = ("invoice", "invoice_ts", "customer_id", "product_id", "description", "category",
                "quantity", "unit_price", "amount", "country", "channel", "currency", "line_no",
                "original_invoice", "is_return")
#: The rules whose lines are returns (their revenue is negative; ``cancelled_original`` holds the sales).
RETURN_LINE_RULES = ("cancellation", "cancellation_partial", "cancellation_unmatched")
#: A catch-all id must hold at least this many times an average customer's share (besides catch_all_share).
CATCH_ALL_TIMES_AVERAGE = 10
#: primes between 2**31 and 2**33 for multiset signatures of hashed rows (above int32, so SQL engines that hash
#: to 32 bits, as Spark does, still compute them in 64 bits)
_P1, _P2 = 4294967291, 4294967311


# --------------------------------------------------------------------------------------
# line identity
# --------------------------------------------------------------------------------------
def columns_present(raw) -> dict[str, bool]:
    """Whether ``product_id`` and ``line_no`` hold any value (what the line key can use)."""
    got = raw.aggregate(p=raw.product_id.count(), n=raw.line_no.count()).execute().iloc[0]
    return {"product_id": bool(got["p"]), "line_no": bool(got["n"])}


def line_key(has: dict) -> list[str]:
    """The columns that identify a line in this export: invoice + product (+ line number) when present."""
    return ["invoice"] + [c for c in ("product_id", "line_no") if has.get(c)]


def line_key_complete(has: dict) -> bool:
    """True when the export can tell two lines of one invoice apart.

    With a line-number column, always. With a product column, when the export also has a
    quantity column: an export without quantities (every line one unit, as marketplace order
    items are) writes two units of a product as two identical rows. ``has["quantity"]`` is
    False for such an export (:attr:`helpers.io.read.Source.notes` ``quantity_given``).
    """
    return bool(has.get("line_no") or (has.get("product_id") and has.get("quantity", True)))


def removes_duplicates(rules: CleaningConfig, has: dict) -> bool:
    """Whether the duplicate rule removes lines: always with ``true``, with ``auto`` only given a complete key."""
    return rules.duplicates is True or (rules.duplicates == "auto" and line_key_complete(has))


# --------------------------------------------------------------------------------------
# overlapping exports
# --------------------------------------------------------------------------------------
def _row_hash(t):
    parts = [t[c].cast("string").fill_null("\x00") for c in DATA_COLUMNS]
    h = ibis.literal("\x1f").join(parts).hash()
    return h


def _overlap_copies(hashed):
    """Line ids of the repeated copies of whole invoices (all but the first copy).

    An invoice's lines form runs of consecutive line ids (its block in the file). When an
    invoice has two or more runs and every run holds the same multiset of rows (all columns
    but ``line_id``), the file repeats the invoice as a block: the later runs are copies.
    Runs are compared by their row count and two sums of hashed rows. ``hashed``: ``line_id``,
    ``invoice`` and ``_h`` (:func:`_row_hash`), so the windows sort three narrow columns, not whole lines.
    """
    t = hashed
    w = ibis.window(group_by=t.invoice, order_by=t.line_id)
    prev = t.line_id.lag().over(w)
    t1 = t.mutate(_new=ibis.ifelse(prev.isnull() | ((t.line_id - prev) > 1), 1, 0))
    t2 = t1.mutate(_run=t1._new.cumsum(group_by=t1.invoice, order_by=t1.line_id))
    p1, p2 = ibis.literal(_P1, type="int64"), ibis.literal(_P2, type="int64")
    runs = t2.group_by(["invoice", "_run"]).aggregate(
        n=t2.count(), s1=(((t2._h % p1) + p1) % p1).sum(), s2=(((t2._h % p2) + p2) % p2).sum())
    first = runs.filter(runs._run == 1).select(f_inv=runs.invoice, f_n=runs.n, f_s1=runs.s1, f_s2=runs.s2)
    j = runs.join(first, runs.invoice == first.f_inv)
    same = ((j.n == j.f_n) & (j.s1 == j.f_s1) & (j.s2 == j.f_s2)).cast("int64")
    jm = j.mutate(_same=same)
    per_inv = jm.group_by("invoice").aggregate(runs=jm.count(), same=jm._same.sum())
    repeated = per_inv.filter((per_inv.runs >= 2) & (per_inv.runs == per_inv.same)).select(r_inv=per_inv.invoice)
    copies = t2.join(repeated, t2.invoice == repeated.r_inv).filter(lambda x: x._run > 1)
    return copies.select(_ov_id=copies.line_id)


def _later_copies(t, hashed):
    """Line ids of the rows identical to an earlier row (smaller ``line_id``) in every data column.

    Exact, and cheap when duplicates are few: only the rows whose hash (``hashed._h``) another
    row shares can be identical, so only they are compared column by column (a window over
    every data column). Returns ``_dup_id`` and ``_dup_rank`` (1 for the first repeat, 2 for the
    next ...).
    """
    counts = hashed.group_by("_h").aggregate(_n=hashed.count())
    shared = counts.filter(counts._n > 1).select(_sh=counts._h)
    cand_ids = hashed.join(shared, hashed._h == shared._sh).select(_cid=hashed.line_id)
    cand = t.join(cand_ids, t.line_id == cand_ids._cid)
    w = ibis.window(group_by=[cand[c] for c in DATA_COLUMNS], order_by=[cand.line_id])
    ranked = cand.select(_dup_id=cand.line_id, _dup_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._dup_rank > 0)


def overlap_windows(flagged) -> pd.DataFrame:
    """The date windows in which whole invoices repeat (lines with status ``overlap``).

    A window is a run of consecutive invoice days (days with any line, in order) each holding
    at least one repeated invoice. Columns: ``start``, ``end`` (dates), ``invoices`` (repeated
    invoices in the window), ``invoices_in_window`` (all invoices of those days), ``lines``
    and ``revenue`` (of the removed copies).
    """
    ov = flagged.filter(flagged.status == "overlap")
    per_inv = ov.group_by("invoice").aggregate(day=ov.invoice_ts.min().date(), lines=ov.count(),
                                               revenue=ov.amount.sum()).execute()
    cols = ["start", "end", "invoices", "invoices_in_window", "lines", "revenue"]
    if per_inv.empty:
        return pd.DataFrame(columns=cols)
    days = flagged.group_by(day=flagged.invoice_ts.date()).aggregate(
        invoices=flagged.invoice.nunique()).order_by("day").execute()
    days["day"] = pd.to_datetime(days["day"]).dt.date
    per_inv["day"] = pd.to_datetime(per_inv["day"]).dt.date
    hit = set(per_inv["day"])
    days["hit"] = days["day"].isin(hit)
    days["window"] = (days["hit"] != days["hit"].shift()).cumsum()
    rows = []
    for _, g in days[days["hit"]].groupby("window"):
        lo, hi = g["day"].min(), g["day"].max()
        inside = per_inv[(per_inv["day"] >= lo) & (per_inv["day"] <= hi)]
        rows.append({"start": lo, "end": hi, "invoices": len(inside), "invoices_in_window": int(g["invoices"].sum()),
                     "lines": int(inside["lines"].sum()), "revenue": float(inside["revenue"].sum())})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------
# catch-all customer ids
# --------------------------------------------------------------------------------------
def catch_all_table(raw, rules: CleaningConfig) -> pd.DataFrame:
    """Customer ids that hold an implausible share of the sale orders or lines, and what is done with them.

    An id is reported when it holds at least ``cleaning.catch_all_share`` (default 5 %) of the
    orders or of the lines of customers with an id, and at least :data:`CATCH_ALL_TIMES_AVERAGE`
    times an average customer's share (so a shop with a handful of customers is not flagged
    for being small). Ids listed in ``cleaning.catch_all_ids`` are always in the table.

    ``action`` is ``guest`` (its lines are kept as guests' lines: in revenue and baskets, not in
    customer tables) or ``flag`` (only reported). Default (``catch_all_action: auto``): guest
    when the id is listed or also looks like a placeholder (``cleaning.catch_all_pattern``:
    0, 9999, -1, WALKIN, CASH, GUEST, MISAFIR, PERAKENDE ...), else flag. A big real account
    (a wholesaler) and a till look alike by share alone, and turning a real customer into a
    guest removes them from every customer table, so share alone only flags.

    Returns
    -------
    DataFrame
        ``customer_id``, ``orders``, ``lines``, ``revenue`` (sale lines, currency),
        ``share_orders``, ``share_lines``, ``share_revenue`` (of customers with an id),
        ``looks_placeholder``, ``listed``, ``action``; largest share first.
    """
    cols = ["customer_id", "orders", "lines", "revenue", "share_orders", "share_lines", "share_revenue",
            "looks_placeholder", "listed", "action"]
    sales = raw.filter(raw.customer_id.notnull() & ~is_return(raw, rules))
    tot = sales.aggregate(orders=sales.invoice.nunique(), lines=sales.count(), revenue=sales.amount.sum(),
                          customers=sales.customer_id.nunique()).execute().iloc[0]
    if not int(tot["lines"]):
        return pd.DataFrame(columns=cols)
    g = sales.group_by("customer_id").aggregate(orders=sales.invoice.nunique(), lines=sales.count(),
                                                revenue=sales.amount.sum())
    floor = max(float(rules.catch_all_share), CATCH_ALL_TIMES_AVERAGE / max(int(tot["customers"]), 1))
    listed = [str(x) for x in rules.catch_all_ids]
    big = g.filter((g.orders >= floor * float(tot["orders"])) | (g.lines >= floor * float(tot["lines"]))
                   | g.customer_id.isin(listed or ["\x00"])).execute()
    if big.empty:
        return pd.DataFrame(columns=cols)
    big["share_orders"] = big["orders"] / float(tot["orders"])
    big["share_lines"] = big["lines"] / float(tot["lines"])
    rev = float(tot["revenue"] or 0.0)
    big["share_revenue"] = big["revenue"] / rev if rev else float("nan")
    pattern = re.compile(rules.catch_all_pattern, re.IGNORECASE) if rules.catch_all_pattern else None
    big["looks_placeholder"] = [bool(pattern and pattern.fullmatch(str(c).strip())) for c in big["customer_id"]]
    big["listed"] = big["customer_id"].astype(str).isin(listed)
    guest = big["listed"] | (rules.catch_all_action == "guest") | (
        (rules.catch_all_action == "auto") & big["looks_placeholder"])
    big["action"] = guest.map({True: "guest", False: "flag"})
    return big.sort_values(["share_orders", "share_lines"], ascending=False, ignore_index=True)[cols]


# --------------------------------------------------------------------------------------
# the rules
# --------------------------------------------------------------------------------------
def _pre_status(t, rules: CleaningConfig, start: dt.date | None, end: dt.date | None, remove_dups: bool,
                stage=None):
    """Status from the rules that need no matching: overlap, duplicate, outside_window, non_product."""
    conds = []
    hashed = t.select("line_id", "invoice", _h=_row_hash(t))     # the narrow table both rules work on
    if stage is not None:
        hashed = stage(hashed, "scratch_hashes")
    dups = _later_copies(t.select(*DATA_COLUMNS, "line_id"), hashed)
    if rules.overlap:
        copies = _overlap_copies(hashed)
        t = t.left_join(copies, t.line_id == copies._ov_id)
    t = t.left_join(dups, t.line_id == dups._dup_id)
    if rules.overlap:
        conds.append((t._ov_id.notnull(), "overlap"))
    t = t.mutate(is_identical=t._dup_id.notnull())
    if remove_dups:
        conds.append((t.is_identical, "duplicate"))
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
    return t.drop(*[c for c in ("_dup_id", "_dup_rank", "_ov_id") if c in t.columns])


def flag_lines(raw, rules: CleaningConfig, *, start: dt.date | None = None, end: dt.date | None = None,
               extreme_threshold: float | None = None, has: dict | None = None, guest_ids=(), stage=None):
    """Give every raw line its cleaning status.

    Parameters
    ----------
    raw : ibis.Table
        Canonical sales lines (:mod:`helpers.io.schema`).
    rules : CleaningConfig
        Which rules are on and their settings.
    start, end : date, optional
        Analysis window, inclusive days.
    extreme_threshold : float, optional
        Quantity above which a sale line is extreme; see :func:`extreme_threshold`.
    has : dict, optional
        Whether ``product_id`` / ``line_no`` hold values (:func:`columns_present`; read from the
        table when not given): decides the line key and how returns are matched.
    guest_ids : sequence of str
        Customer ids whose lines become guests' lines (catch-all ids, :func:`catch_all_table`).
    stage : callable, optional
        ``stage(expr, name)`` computes an intermediate table once and returns it as a table, e.g.
        written to a scratch parquet file named ``name`` (:func:`helpers.io.engine.materialize`):
        the rows' hashes (read by the overlap and duplicate rules) and the lines with the
        matching-free rules applied (read five times by the return matching). Without it the
        engine recomputes them for each read.

    Returns
    -------
    ibis.Table
        The canonical columns (catch-all ids replaced by null) plus ``status`` (a key of
        :data:`RULES` or ``"kept"``), ``is_guest`` (no customer id), ``is_extreme`` (quantity
        above the threshold), ``is_free`` (a zero-value sale line), ``is_identical`` (identical
        to an earlier row), ``catch_all`` (a catch-all id made a guest), ``return_line`` (a return
        by the rules above) and ``return_match`` (how a matched return was matched:
        ``reference``, ``customer_product`` or ``customer_amount``; null otherwise).
    """
    has = has if has is not None else columns_present(raw)
    remove_dups = removes_duplicates(rules, has)
    t = raw
    guest_ids = [str(g) for g in guest_ids]
    if guest_ids:
        t = t.mutate(catch_all=t.customer_id.isin(guest_ids).fill_null(False))
        t = t.mutate(customer_id=ibis.ifelse(t.catch_all, ibis.null(str), t.customer_id))
    else:
        t = t.mutate(catch_all=ibis.literal(False))
    t = t.mutate(_ret=is_return(t, rules), _ref=return_ref(t, rules))
    t = _pre_status(t, rules, start, end, remove_dups, stage)
    if stage is not None:
        t = stage(t, "scratch_rules")
    if rules.cancellations:
        m = cancel_matches(t, rules, bool(has.get("product_id")))
        as_cancel = m.select(_lid=m.c_id, _st=ibis.ifelse(m.full, "cancellation", "cancellation_partial"),
                             _how=m.method)
        as_orig = m.filter(m.full).select(_lid=m.s_id, _st=ibis.literal("cancelled_original"), _how=ibis.null(str))
        mapping = as_cancel.union(as_orig)
        t = t.left_join(mapping, t.line_id == mapping._lid).drop("_lid")
        status = ibis.cases((t._pre.notnull(), t._pre), (t._st.notnull(), t._st),
                            (t._ret, "cancellation_unmatched"), else_=ibis.null(str))
        how = ibis.ifelse(t._pre.isnull() & t._ret, t._how, ibis.null(str))
        t = t.mutate(_pre=status, return_match=how).drop("_st", "_how")
    else:
        # with matching off, returns still are not sales: they go unmatched
        t = t.mutate(_pre=ibis.cases((t._pre.notnull(), t._pre), (t._ret, "cancellation_unmatched"),
                                     else_=ibis.null(str)), return_match=ibis.null(str))
    is_extreme = (t.quantity > extreme_threshold) if extreme_threshold is not None else ibis.literal(False)
    remove_extreme = rules.extreme_quantity.enabled and rules.extreme_quantity.action == "remove"
    is_free = (t.amount == 0) & ~t._ret
    cases = [(t._pre.notnull(), t._pre)]
    if rules.zero_price == "remove":
        cases.append((is_free, "zero_price"))
    if remove_extreme and extreme_threshold is not None:
        cases.append((is_extreme, "extreme_quantity"))
    status = ibis.cases(*cases, else_=KEPT)
    out = t.mutate(status=status, is_guest=t.customer_id.isnull(),
                   is_extreme=is_extreme & ibis.literal(rules.extreme_quantity.enabled), is_free=is_free,
                   return_line=t._ret)
    return out.drop("_pre", "_ret", "_ref")


def extreme_threshold(raw, rules: CleaningConfig) -> float | None:
    """The quantity above which a sale line counts as extreme (``None`` when the rule is off).

    ``max_quantity`` when set; else ``multiplier`` x the ``quantile`` of quantities of sale
    lines (quantity > 0, not returns). Computed on all sale lines before other rules, so the
    threshold does not depend on rule order.
    """
    rule = rules.extreme_quantity
    if not rule.enabled:
        return None
    if rule.max_quantity is not None:
        return float(rule.max_quantity)
    sales = raw.filter((raw.quantity > 0) & ~is_return(raw, rules))
    # the quantile from the count of each distinct quantity: the engine's own quantile holds every
    # value in memory (not out of core), the counts are few rows whatever the number of lines
    counts = sales.group_by("quantity").aggregate(n=sales.count()).execute()
    q = quantile_from_counts(counts["quantity"].to_numpy(dtype="float64"), counts["n"].to_numpy(dtype="int64"),
                             rule.quantile)
    if q is None:
        return None
    return float(rule.multiplier) * q


def quantile_from_counts(values, counts, q: float) -> float | None:
    """The ``q`` quantile of ``values`` each repeated ``counts`` times, interpolated as DuckDB's
    ``quantile_cont`` does (position ``(n - 1) * q`` in the sorted values); None when empty."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    values, cum = np.asarray(values, dtype="float64")[order], np.cumsum(np.asarray(counts)[order])
    n = int(cum[-1]) if len(cum) else 0
    if n == 0:
        return None
    pos = (n - 1) * float(q)
    lo, hi = np.floor(pos), np.ceil(pos)
    v_lo = values[np.searchsorted(cum, lo, side="right")]
    if lo == hi:
        return float(v_lo)
    v_hi = values[np.searchsorted(cum, hi, side="right")]
    return float(v_lo + (pos - lo) * (v_hi - v_lo))


#: Columns of the flagged table that are bookkeeping, not line data.
FLAG_COLUMNS = ("status", "is_identical", "catch_all", "return_line", "return_match")


def clean_lines(flagged):
    """Kept lines only: canonical columns plus ``is_guest``, ``is_extreme`` and ``is_free``."""
    kept = flagged.filter(flagged.status == KEPT)
    return kept.drop(*FLAG_COLUMNS)


# --------------------------------------------------------------------------------------
# the audit
# --------------------------------------------------------------------------------------
def audit_table(flagged, rules: CleaningConfig | None = None, *, has: dict | None = None) -> pd.DataFrame:
    """Per rule: lines, revenue and customers affected; reconciles to the raw totals.

    Returns
    -------
    pandas.DataFrame
        One row per rule in :data:`RULES` order, then ``kept`` and ``raw total``, then the
        information rows of :data:`INFO_ROWS`. Columns: ``rule``, ``description``,
        ``enabled``, ``config_key`` (what to write in the config to change the rule),
        ``lines``, ``revenue`` (sum of line amounts, currency; returns are negative),
        ``customers`` (distinct customer ids among the lines), ``share_lines`` and
        ``share_revenue`` (of the raw totals). ``lines`` and ``revenue`` of all rules plus
        ``kept`` add up to ``raw total``.
    """
    g = flagged.group_by("status").aggregate(
        lines=flagged.count(), revenue=flagged.amount.sum(), customers=flagged.customer_id.nunique())
    per = g.execute().set_index("status")
    raw_tot = flagged.aggregate(lines=flagged.count(), revenue=flagged.amount.sum(),
                                customers=flagged.customer_id.nunique()).execute().iloc[0]
    kept = flagged.filter(flagged.status == KEPT)
    info = kept.aggregate(
        g_lines=kept.is_guest.cast("int64").sum(), g_rev=kept.amount.sum(where=kept.is_guest),
        i_lines=kept.is_identical.cast("int64").sum(), i_rev=kept.amount.sum(where=kept.is_identical),
        i_cust=kept.customer_id.nunique(where=kept.is_identical),
        f_lines=kept.is_free.cast("int64").sum(), f_cust=kept.customer_id.nunique(where=kept.is_free),
        c_lines=kept.catch_all.cast("int64").sum(), c_rev=kept.amount.sum(where=kept.catch_all),
    ).execute().iloc[0]
    enabled = _enabled(rules, has) if rules is not None else {}
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

    def num(v):
        return 0.0 if v is None or pd.isna(v) else float(v)

    for name, lines, rev, cust in (("guests (kept)", info["g_lines"], info["g_rev"], 0),
                                   ("identical rows (kept)", info["i_lines"], info["i_rev"], info["i_cust"]),
                                   ("free lines (kept)", info["f_lines"], 0.0, info["f_cust"]),
                                   ("catch-all ids (guests)", info["c_lines"], info["c_rev"], 0)):
        rows.append({"rule": name, "description": INFO_ROWS[name], "enabled": True, "lines": int(num(lines)),
                     "revenue": num(rev), "customers": int(num(cust))})
    out = pd.DataFrame(rows)
    out.insert(3, "config_key", out["rule"].map(CONFIG_KEYS).fillna(""))
    out["share_lines"] = out["lines"] / max(int(raw_tot["lines"]), 1)
    tot_rev = float(raw_tot["revenue"] or 0.0)
    out["share_revenue"] = out["revenue"] / tot_rev if tot_rev else 0.0
    return out


def _enabled(rules: CleaningConfig, has: dict | None = None) -> dict[str, bool]:
    return {
        "overlap": rules.overlap,
        "duplicate": removes_duplicates(rules, has) if has is not None else rules.duplicates is not False,
        "outside_window": rules.outside_window,
        "non_product": rules.non_product,
        "cancellation": rules.cancellations,
        "cancellation_partial": rules.cancellations,
        "cancellation_unmatched": True,
        "cancelled_original": rules.cancellations,
        "zero_price": rules.zero_price == "remove",
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


def gross_sales(flagged) -> float:
    """Revenue of the raw sale lines (all lines that are not returns): what "share removed" is taken of."""
    s = flagged.filter(~flagged.return_line)
    v = s.amount.sum().execute()
    return 0.0 if v is None or pd.isna(v) else float(v)


def sales_removed_share(audit: pd.DataFrame, gross: float) -> float:
    """Share of the raw sale lines' revenue that cleaning removed: 1 - clean revenue / gross sales (0..1).

    Returns are not sales, so removing them (matched or not) does not count here; the removed
    returns are in the audit's rows. Never negative: see :func:`check_revenue`.
    """
    kept = float(audit.set_index("rule").loc[KEPT, "revenue"])
    return 1.0 - kept / gross if gross else float("nan")


def check_revenue(audit: pd.DataFrame, gross: float, source: str = "") -> None:
    """Stop when clean revenue exceeds the raw sale lines' revenue: no rule may add revenue.

    Clean revenue may exceed the raw total (returns whose sale is not in the data are removed,
    the documented reason, shown in the audit's ``cancellation_unmatched`` and
    ``cancellation_partial`` rows), but never the gross sales: kept lines are sale lines.
    """
    from helpers.errors import DataError

    kept = float(audit.set_index("rule").loc[KEPT, "revenue"])
    if kept > gross + 1e-6 * max(1.0, abs(gross)) + 0.005:
        raise DataError(source or "<lines>", "clean-above-raw",
                        f"clean revenue {kept:,.2f} exceeds the revenue of the raw sale lines {gross:,.2f}; "
                        "a cleaning rule added revenue. The audit:\n"
                        + audit[["rule", "lines", "revenue"]].to_string(index=False))


# --------------------------------------------------------------------------------------
# audit notes: what an export cannot tell, and what the rules found
# --------------------------------------------------------------------------------------
#: Note keys, in display order, with their severity.
NOTES = {
    "line_key": "info",
    "identical_rows_kept": "warning",
    "duplicates_without_line_key": "warning",
    "non_product_without_products": "warning",
    "overlap": "warning",
    "missing_token": "info",
    "catch_all": "warning",
    "returns_matched": "info",
    "returns_unmatched": "warning",
    "return_prefix_unused": "warning",
    "return_positive_quantity": "warning",
    "return_sign_flipped": "info",
    "free_lines_kept": "info",
    "clean_above_raw_total": "info",
}


def audit_notes(flagged, audit: pd.DataFrame, rules: CleaningConfig, *, has: dict, gross: float,
                read_notes: dict | None = None, catch_all: pd.DataFrame | None = None,
                windows: pd.DataFrame | None = None, explicit: set[str] = frozenset()) -> pd.DataFrame:
    """What the audit must say beside its rows: the line key, warnings and counts a reader needs.

    Parameters
    ----------
    flagged : ibis.Table
        :func:`flag_lines` output.
    audit : DataFrame
        :func:`audit_table` output.
    has : dict
        :func:`columns_present`.
    gross : float
        :func:`gross_sales`.
    read_notes : dict
        :attr:`helpers.io.read.Source.notes` (missing-value tokens, return signs made negative).
    catch_all, windows : DataFrame
        :func:`catch_all_table` and :func:`overlap_windows`.
    explicit : set of str
        Cleaning keys the config sets explicitly (a warning names them when the data cannot
        support what they ask).

    Returns
    -------
    DataFrame
        One row per note: ``note`` (a key of :data:`NOTES`), ``severity`` (warning / info),
        ``config_key``, ``lines``, ``revenue`` (currency), ``share_lines``, ``share_revenue``
        (of the raw totals) and ``params`` (JSON: the numbers and names the note's sentence uses).
    """
    a = audit.set_index("rule")
    raw_lines, raw_rev = int(a.loc["raw total", "lines"]), float(a.loc["raw total", "revenue"])
    rows: list[dict] = []

    def add(note, config_key="", lines=0, revenue=0.0, **params):
        rows.append({"note": note, "severity": NOTES[note], "config_key": config_key, "lines": int(lines),
                     "revenue": float(revenue), "params": json.dumps(params, default=str, ensure_ascii=False)})

    key = line_key(has)
    complete = line_key_complete(has)
    add("line_key", "data.columns.product_id / data.columns.line_no", columns=" + ".join(key), complete=complete,
        quantities=bool(has.get("quantity", True)))
    ident = a.loc["identical rows (kept)"]
    if not complete and rules.duplicates == "auto" and int(ident["lines"]):
        add("identical_rows_kept", "cleaning.duplicates: true", ident["lines"], ident["revenue"])
    if not complete and rules.duplicates is True:
        d = a.loc["duplicate"]
        add("duplicates_without_line_key", "cleaning.duplicates", d["lines"], d["revenue"])
    if rules.non_product and not has.get("product_id"):
        add("non_product_without_products", "data.columns.product_id")
    if windows is not None and len(windows):
        for w in windows.itertuples():
            add("overlap", "cleaning.overlap: false", w.lines, w.revenue, start=str(w.start), end=str(w.end),
                invoices=int(w.invoices), invoices_in_window=int(w.invoices_in_window))
    for tok in (read_notes or {}).get("na_tokens", []):
        add("missing_token", "data.na_values", tok["count"], 0.0, column=tok["column"], token=tok["token"])
    if catch_all is not None:
        for c in catch_all.itertuples():
            add("catch_all", "cleaning.catch_all_ids, cleaning.catch_all_action", c.lines, c.revenue,
                customer_id=str(c.customer_id), share_orders=float(c.share_orders), share_lines=float(c.share_lines),
                share_revenue=float(c.share_revenue), action=c.action, looks_placeholder=bool(c.looks_placeholder))
    ret = flagged.filter(flagged.return_line)
    by = ret.group_by(["status", "return_match"]).aggregate(lines=ret.count(), revenue=ret.amount.sum()).execute()
    matched = by[by["status"].isin(["cancellation", "cancellation_partial"])]
    if len(matched):
        per = matched.groupby("return_match")["lines"].sum()
        add("returns_matched", "cleaning.cancellations", matched["lines"].sum(), matched["revenue"].sum(),
            reference=int(per.get("reference", 0)), customer_product=int(per.get("customer_product", 0)),
            customer_amount=int(per.get("customer_amount", 0)))
    un = a.loc["cancellation_unmatched"]
    if int(un["lines"]):
        add("returns_unmatched", "cleaning.return_prefixes, cleaning.return_window_days", un["lines"], un["revenue"],
            products=bool(has.get("product_id")))
    prefixes = ret.aggregate(
        pos=(ret.quantity > 0).cast("int64").sum(where=prefix_match(ret, rules)),
        **{f"p{i}": ret.invoice.startswith(p).cast("int64").sum() for i, p in enumerate(rules.return_prefixes)}
    ).execute().iloc[0] if rules.return_prefixes else None
    if prefixes is not None:
        if "return_prefixes" in explicit:
            for i, p in enumerate(rules.return_prefixes):
                if not int(prefixes.get(f"p{i}") or 0):
                    add("return_prefix_unused", "cleaning.return_prefixes", prefix=p)
        pos = int(prefixes.get("pos") or 0)
        if pos:
            add("return_positive_quantity", "cleaning.return_prefixes", pos, 0.0,
                prefixes=", ".join(rules.return_prefixes))
    flipped = int((read_notes or {}).get("return_sign_flipped", 0))
    if flipped:
        add("return_sign_flipped", "data.columns.return_flag", flipped)
    free = a.loc["free lines (kept)"]
    if int(free["lines"]):
        add("free_lines_kept", "cleaning.zero_price: remove", free["lines"], 0.0, customers=int(free["customers"]))
    kept_rev = float(a.loc[KEPT, "revenue"])
    if kept_rev > raw_rev + 0.005:
        add("clean_above_raw_total", "", 0, kept_rev - raw_rev, unmatched=float(un["revenue"]),
            partial=float(a.loc["cancellation_partial", "revenue"]), gross=gross)
    out = pd.DataFrame(rows, columns=["note", "severity", "config_key", "lines", "revenue", "params"])
    out["share_lines"] = out["lines"] / max(raw_lines, 1)
    out["share_revenue"] = out["revenue"] / raw_rev if raw_rev else 0.0
    return out[["note", "severity", "config_key", "lines", "revenue", "share_lines", "share_revenue", "params"]]
