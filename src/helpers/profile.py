"""A first look at a line table: what period it covers, how lines spread, what is missing.

Functions take an Ibis table of canonical lines (raw or clean) and return small pandas
frames, so they stay cheap on 10M lines.
"""
from __future__ import annotations

import pandas as pd

from .schema import LINE_COLUMNS

PERIOD_UNITS = {"week": "W", "month": "M", "quarter": "Q"}


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


def period_start(ts, period: str):
    """Ibis expression: the first day of the week (Monday), month or quarter of ``ts``."""
    return ts.truncate(PERIOD_UNITS[period]).cast("date")


def lines_per_period(lines, period: str = "month") -> pd.DataFrame:
    """Lines, invoices, customers and revenue per period (``period_start`` = first day)."""
    t = lines.mutate(period_start=period_start(lines.invoice_ts, period))
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


