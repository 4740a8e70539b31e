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
    from helpers.i18n import fmt_number, fmt_percent, t

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
            text = t(key, columns=p["columns"])
        elif note == "missing_token":
            col = i18n.column(p["column"])
            text = (t("note_missing_blank", column=col, lines=lines) if p["token"] == "(blank)" else
                    t("note_missing_token", column=col, lines=lines, token=p["token"]))
        elif note == "catch_all":
            cid = p["customer_id"]
            if mask_ids:
                cid = str(privacy.maybe_mask(pd.DataFrame({"customer_id": [cid]}), True)["customer_id"].iloc[0])
            text = t("note_catch_all_" + p["action"], customer_id=cid, share_orders=fmt_percent(p["share_orders"]),
                     share_lines=fmt_percent(p["share_lines"]), share_revenue=fmt_percent(p["share_revenue"]))
        elif note == "overlap":
            start, end = i18n.fmt_date(p["start"]), i18n.fmt_date(p["end"])
            when = t("note_overlap_on", start=start) if start == end else t("note_overlap_between", start=start, end=end)
            text = t("note_overlap", when=when, invoices=fmt_number(p["invoices"]),
                     invoices_in_window=fmt_number(p["invoices_in_window"]), lines=lines, revenue=money(r.revenue))
        elif note == "returns_matched":
            text = t("note_returns_matched", lines=lines, reference=fmt_number(p["reference"]),
                     customer_product=fmt_number(p["customer_product"]),
                     customer_amount=fmt_number(p["customer_amount"]))
        elif note == "returns_unmatched":
            text = t("note_returns_unmatched", lines=lines, revenue=money(r.revenue))
            if not p.get("products", True):
                text += " " + t("note_returns_by_amount")
        elif note == "return_prefix_unused":
            text = t("note_return_prefix_unused", prefix=p["prefix"])
        elif note == "return_positive_quantity":
            text = t("note_return_positive_quantity", lines=lines, prefixes=p["prefixes"])
        elif note == "free_lines_kept":
            text = t("note_free_lines_kept", lines=lines, customers=fmt_number(p["customers"]))
        elif note == "clean_above_raw_total":
            text = t("note_clean_above_raw_total", revenue=money(r.revenue), unmatched=money(p["unmatched"]),
                     partial=money(p["partial"]), gross=money(p["gross"]))
        else:  # identical_rows_kept, duplicates_without_line_key, non_product_without_products, return_sign_flipped
            text = t("note_" + note, lines=lines, share_lines=share_l, share_revenue=share_r, revenue=money(r.revenue))
        rows.append({"severity": r.severity, "finding": text, "config_key": r.config_key})
    out = pd.DataFrame(rows, columns=["severity", "finding", "config_key"])
    order = {"warning": 0, "info": 1}
    return out.sort_values("severity", key=lambda s: s.map(order), kind="stable", ignore_index=True)
