"""Olist (the Brazilian e-commerce public data set): its csv files as canonical tables.

:func:`olist_lines` gives the sales lines (``data.source: olist``, read by
:func:`helpers.io.read.read_source`), :func:`olist_attributes` and :func:`olist_feedback` the
optional tables (``adapter: olist`` in a config's ``tables:`` section, read by
:func:`helpers.io.tables.read_tables`). :data:`OLIST_FILES` lists the files each one reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.io.parsing import check_headers, parse_numbers, parse_texts
from helpers.io.rawfile import RawTable, read_text
from helpers.io.table_schema import Audit, ColumnParser, check_scale, conform

#: Olist files each adapter reads.
OLIST_FILES: dict[str, tuple[str, ...]] = {
    "lines": ("olist_orders_dataset.csv", "olist_customers_dataset.csv", "olist_order_items_dataset.csv",
              "olist_products_dataset.csv", "product_category_name_translation.csv"),
    "attributes": ("olist_customers_dataset.csv", "olist_orders_dataset.csv"),
    "feedback": ("olist_order_reviews_dataset.csv", "olist_orders_dataset.csv", "olist_customers_dataset.csv",
                 "olist_order_items_dataset.csv", "olist_products_dataset.csv",
                 "product_category_name_translation.csv"),
}


#: Bumped when :func:`olist_lines` changes what it returns; part of the read cache key.
OLIST_LINES_VERSION = 2
#: Order statuses that are not sales: the order never went through.
OLIST_DROPPED_STATUSES = ("canceled", "unavailable")


def _olist_csv(folder: Path, name: str, columns: list[str]) -> RawTable:
    p = Path(folder) / name
    raw = read_text(p, fmt="csv", separator=",", encoding="utf-8")
    check_headers(raw, {c: c for c in columns}, what=f"the Olist layout ({name})")
    return raw


@dataclass(frozen=True)
class _IsoOptions:
    """Reading options of the Olist csv files: ISO dates, decimal point."""

    dayfirst: bool = False
    date_format: str | None = None
    decimal: str = "."
    thousands: str | None = None


def _olist_dates(raw: RawTable, col: str, *, required: bool) -> pd.Series:
    return ColumnParser("olist", raw, _IsoOptions(), Audit()).dates(col, col, required=required)


def _olist_categories(folder: Path) -> pd.DataFrame:
    """product_id -> English category (the Portuguese name when it has no translation)."""
    prod = _olist_csv(folder, "olist_products_dataset.csv", ["product_id", "product_category_name"]).frame
    tr = _olist_csv(folder, "product_category_name_translation.csv",
                    ["product_category_name", "product_category_name_english"]).frame
    m = prod[["product_id", "product_category_name"]].merge(tr, on="product_category_name", how="left")
    cat = m["product_category_name_english"].fillna(m["product_category_name"])
    return pd.DataFrame({"product_id": m["product_id"].astype("string"), "category": parse_texts(cat, strip=True)})


def _olist_orders(folder: Path) -> pd.DataFrame:
    """Orders with the person (customer_unique_id), state and timestamps."""
    raw = _olist_csv(folder, "olist_orders_dataset.csv",
                     ["order_id", "customer_id", "order_status", "order_purchase_timestamp",
                      "order_delivered_customer_date", "order_estimated_delivery_date"])
    cust = _olist_csv(folder, "olist_customers_dataset.csv",
                      ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
                       "customer_state"]).frame
    o = pd.DataFrame({
        "order_id": raw.frame["order_id"].astype("string"),
        "order_customer": raw.frame["customer_id"].astype("string"),
        "status": raw.frame["order_status"].astype("string"),
        "purchase_ts": _olist_dates(raw, "order_purchase_timestamp", required=True),
        "delivered_ts": _olist_dates(raw, "order_delivered_customer_date", required=False),
        "estimated_ts": _olist_dates(raw, "order_estimated_delivery_date", required=False),
    })
    c = cust.rename(columns={"customer_id": "order_customer"}).astype("string")
    o = o.merge(c, on="order_customer", how="left")
    miss = o["customer_unique_id"].isna()
    if miss.any():
        raise DataError(Path(folder) / "olist_customers_dataset.csv", "missing-key",
                        f"{int(miss.sum()):,} order(s) have a customer_id that is not in this file, e.g. "
                        f"{o.loc[miss, 'order_customer'].iloc[0]!r}", column="customer_id")
    return o


def olist_lines(folder: str | Path) -> pd.DataFrame:
    """Canonical sales lines from the Olist tables: one line per order, product and price.

    ``invoice`` = order_id, ``invoice_ts`` = order_purchase_timestamp, ``customer_id`` =
    customer_unique_id (the person; Olist's ``customer_id`` is per order), ``product_id``,
    ``category`` = English category name (Portuguese when untranslated), ``quantity`` = the
    number of identical items (Olist lists each unit as its own item row; kept apart they
    would look like duplicated lines), ``unit_price`` = price (freight excluded),
    ``amount`` = quantity x price,
    ``country`` = the customer's state (every customer is in Brazil), ``currency`` = BRL.
    Orders whose status is ``canceled`` or ``unavailable`` (:data:`OLIST_DROPPED_STATUSES`)
    are left out: no sale took place. Orders still on their way (shipped, invoiced,
    processing, approved) are sales and are kept.
    """
    folder = Path(folder)
    orders = _olist_orders(folder)
    items = _olist_csv(folder, "olist_order_items_dataset.csv", ["order_id", "order_item_id", "product_id",
                                                                  "price"])
    price = parse_numbers(items, "price", "price", ".", None)
    it = pd.DataFrame({"order_id": items.frame["order_id"].astype("string"),
                       "item": pd.to_numeric(items.frame["order_item_id"]).astype("int64"),
                       "product_id": items.frame["product_id"].astype("string"), "price": price})
    # identical items of one order (same product and price) become one line with their count as
    # quantity; as separate rows they would look like duplicated lines to the cleaning
    it = (it.groupby(["order_id", "product_id", "price"], sort=False, dropna=False)
          .agg(item=("item", "min"), quantity=("item", "size")).reset_index())
    it = it.merge(_olist_categories(folder), on="product_id", how="left")
    m = it.merge(orders, on="order_id", how="inner")
    m = m[~m["status"].isin(OLIST_DROPPED_STATUSES)].sort_values(["purchase_ts", "order_id", "item"])
    qty = m["quantity"].to_numpy(dtype="float64")
    df = pd.DataFrame({
        "line_id": np.arange(len(m), dtype="int64"),
        "invoice": m["order_id"].to_numpy(),
        "invoice_ts": m["purchase_ts"].to_numpy(),
        "customer_id": m["customer_unique_id"].to_numpy(),
        "product_id": m["product_id"].to_numpy(),
        "category": m["category"].to_numpy(),
        "quantity": qty,
        "unit_price": m["price"].to_numpy(),
        "amount": qty * m["price"].to_numpy(),
        "country": m["customer_state"].to_numpy(),
        "currency": "BRL",
    })
    from helpers.io.schema import conform as conform_lines, validate_lines

    return validate_lines(conform_lines(df), str(folder / "olist_order_items_dataset.csv"))


def olist_attributes(folder: str | Path, *, audit: Audit | None = None) -> pd.DataFrame:
    """One row per person (customer_unique_id): ``city``, ``region`` (state), ``zip_code_prefix``
    (5 digits, leading zeros restored), ``n_orders`` and ``first_order_ts``.

    A person with orders from several addresses gets the address of their latest order
    (counted in the audit as ``several-addresses``).
    """
    folder = Path(folder)
    audit = audit if audit is not None else Audit()
    o = _olist_orders(folder).sort_values(["purchase_ts", "order_id"])
    g = o.groupby("customer_unique_id", sort=True)
    last = g.tail(1).set_index("customer_unique_id")
    several = int((g[["customer_city", "customer_state", "customer_zip_code_prefix"]].nunique().max(axis=1) > 1).sum())
    audit.add("attributes", folder / "olist_customers_dataset.csv", "customer_unique_id", "several-addresses",
              several, "address of the latest order kept", "people who ordered from more than one address")
    idx = g.size().index
    zip_ = last.loc[idx, "customer_zip_code_prefix"].astype("string").str.replace(r"\.0$", "", regex=True)
    df = pd.DataFrame({
        "customer_id": idx.astype("string"),
        "region": last.loc[idx, "customer_state"].to_numpy(),
        "city": last.loc[idx, "customer_city"].to_numpy(),
        "zip_code_prefix": zip_.str.zfill(5).to_numpy(),
        "n_orders": g["order_id"].nunique().loc[idx].astype("float64").to_numpy(),
        "first_order_ts": g["purchase_ts"].min().loc[idx].to_numpy(),
    })
    return conform("attributes", df, folder / "olist_customers_dataset.csv")


def olist_feedback(folder: str | Path, *, audit: Audit | None = None, language: str = "pt") -> pd.DataFrame:
    """Olist reviews as canonical feedback, with their order's context.

    One row per review and order: ``feedback_id`` = review_id (Olist reuses a review_id
    for the orders of one purchase; those rows get ``review_id/order_id``, counted as
    ``shared-review-id``), ``invoice`` = order_id, ``customer_id`` = the person,
    ``feedback_ts`` = review_creation_date, ``score`` on [1, 5], ``title`` / ``text`` =
    the comment title and message (Portuguese), ``answered_ts``, ``delivered_ts``,
    ``estimated_ts``, ``delay_days`` = delivered - estimated in days (positive = late; null
    while not delivered), ``seller_id`` and ``product_category`` of the order's first item,
    ``region`` = the customer's state, ``order_status``.
    """
    folder = Path(folder)
    audit = audit if audit is not None else Audit()
    f = folder / "olist_order_reviews_dataset.csv"
    raw = _olist_csv(folder, f.name, ["review_id", "order_id", "review_score", "review_comment_title",
                                      "review_comment_message", "review_creation_date",
                                      "review_answer_timestamp"])
    score = parse_numbers(raw, "review_score", "review_score", ".", None)
    rv = pd.DataFrame({
        "review_id": raw.frame["review_id"].astype("string"),
        "invoice": raw.frame["order_id"].astype("string"),
        "feedback_ts": _olist_dates(raw, "review_creation_date", required=True),
        "answered_ts": _olist_dates(raw, "review_answer_timestamp", required=False),
        "score": score.to_numpy(),
        "title": parse_texts(raw.frame["review_comment_title"], strip=True),
        "text": parse_texts(raw.frame["review_comment_message"], strip=True),
        "_row": raw.row_no,
    })
    shared = rv["review_id"].duplicated(keep=False)
    audit.add("feedback", f, "review_id", "shared-review-id", int(shared.sum()),
              "feedback_id = review_id/order_id", "one review written for several orders of a purchase")
    rv["feedback_id"] = rv["review_id"].where(~shared, rv["review_id"] + "/" + rv["invoice"])
    dup = rv["feedback_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(f, "duplicate-key", f"{int(dup.sum()):,} rows repeat the same review_id and order_id, "
                        f"e.g. {rv.loc[dup, 'feedback_id'].iloc[0]!r}", column="review_id")
    orders = _olist_orders(folder)
    items = _olist_csv(folder, "olist_order_items_dataset.csv", ["order_id", "order_item_id", "product_id",
                                                                  "seller_id"]).frame
    first = items.assign(item=pd.to_numeric(items["order_item_id"])).sort_values(["order_id", "item"])
    first = first.drop_duplicates("order_id")[["order_id", "product_id", "seller_id"]].astype("string")
    first = first.merge(_olist_categories(folder), on="product_id", how="left")
    ctx = orders.merge(first, on="order_id", how="left").rename(columns={"order_id": "invoice"})
    m = rv.merge(ctx, on="invoice", how="left")
    no_order = m["customer_unique_id"].isna()
    audit.add("feedback", f, "order_id", "order-not-found", int(no_order.sum()), "customer left empty",
              "reviews of orders missing from olist_orders_dataset.csv")
    delay = (m["delivered_ts"] - m["estimated_ts"]).dt.total_seconds() / 86400.0
    df = pd.DataFrame({
        "feedback_id": m["feedback_id"], "customer_id": m["customer_unique_id"], "invoice": m["invoice"],
        "feedback_ts": m["feedback_ts"], "score": m["score"], "score_min": 1.0, "score_max": 5.0,
        "title": m["title"], "text": m["text"], "category": pd.Series(pd.NA, index=m.index, dtype="string"),
        "language": language, "answered_ts": m["answered_ts"], "delivered_ts": m["delivered_ts"],
        "estimated_ts": m["estimated_ts"], "delay_days": delay, "seller_id": m["seller_id"],
        "region": m["customer_state"], "product_category": m["category"], "order_status": m["status"],
    })
    out = conform("feedback", df, f)
    check_scale(out, f, "review_score", rows=m["_row"].to_numpy())
    return out
