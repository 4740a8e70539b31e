"""A first look at a line table: what period it covers, how lines spread, what is missing.

Functions take an Ibis table of canonical lines (raw or clean) and return small pandas
frames, so they stay cheap on 10M lines.
"""
from __future__ import annotations

import pandas as pd

from helpers.features.periods import truncate_to_period
from helpers.io.schema import LINE_COLUMNS


def overview(lines) -> pd.DataFrame:
    """One-column table: date range, lines, invoices, customers, guests' share, products, revenue."""
    t = lines
    r = t.aggregate(
        first=t.invoice_ts.min(), last=t.invoice_ts.max(), lines=t.count(),
        invoices=t.invoice.nunique(), customers=t.customer_id.nunique(),
        guest_lines=t.customer_id.isnull().sum(), products=t.product_id.nunique(),
        countries=t.country.nunique(), channels=t.channel.nunique(), revenue=t.amount.sum(),
    ).execute().iloc[0]
    rows = {
        "first invoice": pd.Timestamp(r["first"]).strftime("%Y-%m-%d %H:%M"),
        "last invoice": pd.Timestamp(r["last"]).strftime("%Y-%m-%d %H:%M"),
        "days covered": (pd.Timestamp(r["last"]).normalize() - pd.Timestamp(r["first"]).normalize()).days + 1,
        "lines": int(r["lines"]),
        "invoices": int(r["invoices"]),
        "customers (with an id)": int(r["customers"]),
        "lines without a customer (guests)": f"{int(r['guest_lines']):,} ({r['guest_lines'] / max(r['lines'], 1):.1%})",
        "products": int(r["products"]),
        "countries": int(r["countries"]),
        "channels": int(r["channels"]),
        "revenue (sum of line amounts)": f"{float(r['revenue'] or 0):,.2f}",
    }
    return pd.DataFrame({"value": pd.Series(rows, dtype="object")})


def lines_per_period(lines, period: str = "month") -> pd.DataFrame:
    """Lines, invoices, customers and revenue per period (``period_start`` = first day)."""
    t = lines.mutate(period_start=truncate_to_period(lines.invoice_ts, period))
    g = t.group_by("period_start").aggregate(
        lines=t.count(), invoices=t.invoice.nunique(), customers=t.customer_id.nunique(), revenue=t.amount.sum())
    out = g.order_by("period_start").execute()
    out["period_start"] = pd.to_datetime(out["period_start"])
    return out


def breakdown(lines, column: str, top: int = 15) -> pd.DataFrame:
    """Lines, customers and revenue by ``column`` (country, channel, category), largest first;
    the rest summed as "other", missing values as "(missing)"."""
    t = lines.mutate(_k=lines[column].fill_null("(missing)"))
    g = t.group_by("_k").aggregate(lines=t.count(), customers=t.customer_id.nunique(), revenue=t.amount.sum())
    df = g.execute().rename(columns={"_k": column}).sort_values("revenue", ascending=False, ignore_index=True)
    if len(df) > top:
        rest = df.iloc[top - 1:]
        other = pd.DataFrame([{column: f"other ({len(rest)})", "lines": rest["lines"].sum(),
                               "customers": rest["customers"].sum(), "revenue": rest["revenue"].sum()}])
        df = pd.concat([df.iloc[: top - 1], other], ignore_index=True)
    df["share_revenue"] = df["revenue"] / df["revenue"].sum()
    return df


def missing_values(lines) -> pd.DataFrame:
    """Per canonical column: number and share of missing values."""
    t = lines
    cols = [c for c in LINE_COLUMNS if c in t.columns]
    r = t.aggregate(_n=t.count(), **{c: t[c].isnull().sum() for c in cols}).execute().iloc[0]
    n = int(r["_n"])
    out = pd.DataFrame({"column": cols, "missing": [int(r[c]) for c in cols]})
    out["share"] = out["missing"] / max(n, 1)
    return out


def examples_by_status(flagged_lines: pd.DataFrame, status: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Up to ``n`` example raw lines per cleaning status other than kept (for the audit drill-down)."""
    merged = flagged_lines.merge(status, on="line_id")
    merged = merged[merged["status"] != "kept"]
    return (merged.sort_values("line_id").groupby("status", sort=False).head(n)
            .sort_values(["status", "line_id"]).reset_index(drop=True))




def note_sentences(notes: pd.DataFrame, currency: str, *, mask_ids: bool = False) -> pd.DataFrame:
    """The cleaning audit's notes (:func:`helpers.clean.audit_notes`) as sentences in the report language.

    Returns
    -------
    DataFrame
        ``severity`` (warning / info, as stored), ``finding`` (one sentence built from the
        note's numbers), ``config_key`` (what to write in the config to change it), warnings first.
    """
    import json

    from helpers import i18n

    from helpers.io import privacy
    from helpers.i18n import _, lookup, fmt_number, fmt_percent

    def money(v):
        return f"{fmt_number(v, 2)} {currency}"

    rows = []
    for r in notes.itertuples():
        p = json.loads(r.params)
        lines, share_l, share_r = fmt_number(r.lines), fmt_percent(r.share_lines), fmt_percent(r.share_revenue)
        note = r.note
        if note == "line_key":
            key = ("note_line_key_complete" if p["complete"] else
                   "note_line_key_no_quantity" if not p.get("quantities", True) else "note_line_key_incomplete")
            text = lookup(key, columns=p["columns"])
        elif note == "missing_token":
            col = i18n.column(p["column"])
            text = (_("Column {column}: {lines} blank cells.", column=col, lines=lines) if p["token"] == "(blank)" else
                    _("Column {column}: {lines} cells hold '{token}', read as missing (data.na_values).", column=col, lines=lines, token=p["token"]))
        elif note == "catch_all":
            cid = p["customer_id"]
            if mask_ids:
                cid = str(privacy.maybe_mask(pd.DataFrame({"customer_id": [cid]}), True)["customer_id"].iloc[0])
            text = lookup("note_catch_all_" + p["action"], customer_id=cid, share_orders=fmt_percent(p["share_orders"]),
                     share_lines=fmt_percent(p["share_lines"]), share_revenue=fmt_percent(p["share_revenue"]))
        elif note == "overlap":
            start, end = i18n.fmt_date(p["start"]), i18n.fmt_date(p["end"])
            when = _("on {start}", start=start) if start == end else _("between {start} and {end}", start=start, end=end)
            text = _("Whole invoices repeat {when} (two sheets or two exports that overlap): {invoices} of the {invoices_in_window} invoices of those days appear a second time. One copy is kept; the overlap rule removes the repeated copy: {lines} line(s), {revenue}.", when=when, invoices=fmt_number(p["invoices"]),
                     invoices_in_window=fmt_number(p["invoices_in_window"]), lines=lines, revenue=money(r.revenue))
        elif note == "returns_matched":
            text = _("{lines} returns were matched to the sale they reverse: {reference} by the invoice they refer to, {customer_product} by customer and product, {customer_amount} by customer and amount.", lines=lines, reference=fmt_number(p["reference"]),
                     customer_product=fmt_number(p["customer_product"]),
                     customer_amount=fmt_number(p["customer_amount"]))
        elif note == "returns_unmatched":
            text = _("{lines} returns ({revenue}) found no sale to reverse (the sale may predate the data): they are removed, and clean revenue does not net them.", lines=lines, revenue=money(r.revenue))
            if not p.get("products", True):
                text += " " + _("Without a product column, returns are matched by customer and amount within cleaning.return_window_days before the return.")
        elif note == "return_prefix_unused":
            text = _("No invoice starts with the return prefix '{prefix}' given in cleaning.return_prefixes.", prefix=p["prefix"])
        elif note == "return_positive_quantity":
            text = _("{lines} lines on invoices starting with {prefixes} have positive quantities and are treated as returns. If that prefix does not mark returns in your system, change cleaning.return_prefixes.", lines=lines, prefixes=p["prefixes"])
        elif note == "free_lines_kept":
            text = _("{lines} zero-value lines ({customers} customers) are kept as purchases: free items and promotions count for frequency, recency and the first purchase. cleaning.zero_price: remove drops them.", lines=lines, customers=fmt_number(p["customers"]))
        elif note == "clean_above_raw_total":
            text = _("Clean revenue is {revenue} above the raw total because returns whose sale is not in the data ({unmatched}) and partial returns ({partial}) are removed without netting. The share removed is therefore taken of the raw sale lines ({gross}).", revenue=money(r.revenue), unmatched=money(p["unmatched"]),
                     partial=money(p["partial"]), gross=money(p["gross"]))
        else:  # identical_rows_kept, duplicates_without_line_key, non_product_without_products, return_sign_flipped
            text = lookup("note_" + note, lines=lines, share_lines=share_l, share_revenue=share_r, revenue=money(r.revenue))
        rows.append({"severity": r.severity, "finding": text, "config_key": r.config_key})
    out = pd.DataFrame(rows, columns=["severity", "finding", "config_key"])
    order = {"warning": 0, "info": 1}
    return out.sort_values("severity", key=lambda s: s.map(order), kind="stable", ignore_index=True)
