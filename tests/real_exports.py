"""A corpus of messy real exports: the shared real data sets rewritten in the shapes users bring.

Each variant is named after the export it imitates and is written to a folder the way a user
would have it on disk (csv, xlsx), with the config a user would write for it. The frame that
was written travels with it, so a test can compute what the audit must say with plain pandas,
independently of the project's cleaning code.

Nothing here is committed data: every variant is built at test time from ``../shared/data``.

=================================  ==========================================================
variant                            imitates
=================================  ==========================================================
uci_two_sheet_workbook             the UCI Online Retail II workbook as published: two sheets
                                   that both hold 2010-12-01..09
uci_csv_export                     the same lines as one csv (a BI tool's export of the table)
erp_five_columns                   an ERP/BI export with only invoice, date, quantity, price and
                                   customer: no product, no line number
r_write_csv_na_ids                 a table written by R's ``write.csv``: missing ids are ``NA``
credit_notes_other_prefix          an ERP whose credit notes are numbered ``IADE-...``
returns_without_prefix             returns booked on ordinary invoice numbers, negative quantity only
returns_flag_column                returns as positive quantities with a return flag column and a
                                   reference to the original invoice
pos_walk_in_account                a till export booking anonymous sales on customer ``0``
pos_store_account                  the same, booked on the store's own account ``STORE01``
monthly_exports_appended           two monthly exports appended that overlap by two weeks
cdnow_master                       the CDNOW master file as published (whitespace text)
cdnow_free_first_orders            CDNOW with a promotion: some customers' first order free
grocery_till_export                dunnhumby's transaction lines as a loyalty-card till export
marketplace_items_line_numbers     Olist order items with the item number as line number
marketplace_items_no_quantity      Olist order items without item numbers: each row one unit
=================================  ==========================================================

Contract tenure in years (a yearly-renewal business) is covered by the contract-churn tests
(Fader & Hardie's yearly retention data).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

UCI = "online_retail_ii/online_retail_II_sample.xlsx"
UCI_COLUMNS = {"invoice": "Invoice", "product_id": "StockCode", "description": "Description",
               "quantity": "Quantity", "invoice_ts": "InvoiceDate", "unit_price": "Price",
               "customer_id": "Customer ID", "country": "Country"}
SEED = 20261204


@dataclass
class Variant:
    """One export: the file(s) written, the config a user writes for it, and the frame written."""

    name: str
    path: Path
    config: dict
    frame: pd.DataFrame
    extra: dict = field(default_factory=dict)

    def write_config(self, folder: Path) -> Path:
        p = folder / f"{self.name}.yaml"
        p.write_text(json.dumps(self.config, default=str), encoding="utf-8")   # JSON is YAML
        return p


def _file_config(name: str, path: Path, columns: dict, **data) -> dict:
    return {"name": name, "data": {"source": "file", "path": str(path), "currency": data.pop("currency", "GBP"),
                                   "columns": columns, **data},
            "analysis": {"period": "month", "time_unit": "W"}}


@functools.lru_cache(maxsize=2)
def _uci_sheets(shared: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(shared / UCI, sheet_name=None)


def uci_sheets(shared: Path) -> dict[str, pd.DataFrame]:
    """The two sheets of the shared Online Retail II sample, as pandas reads them (fresh copies)."""
    return {k: v.copy() for k, v in _uci_sheets(Path(shared)).items()}


def uci_lines(shared: Path) -> pd.DataFrame:
    """Both sheets one after the other (the order the project reads them in), with the sheet name."""
    return pd.concat([df.assign(sheet=name) for name, df in uci_sheets(shared).items()], ignore_index=True)


def _csv(df: pd.DataFrame, path: Path, **kw) -> Path:
    df.to_csv(path, index=False, **kw)
    return path


# ------------------------------------------------------------------------- Online Retail II
def uci_two_sheet_workbook(shared: Path, folder: Path) -> Variant:
    cfg = {"name": "uci_two_sheet_workbook", "data": {"source": "online_retail_ii", "path": str(shared / UCI)},
           "analysis": {"period": "month", "time_unit": "W"}}
    return Variant("uci_two_sheet_workbook", shared / UCI, cfg, uci_lines(shared))


def uci_csv_export(shared: Path, folder: Path) -> Variant:
    df = uci_lines(shared).drop(columns="sheet")
    p = _csv(df, folder / "uci_csv_export.csv")
    return Variant("uci_csv_export", p, _file_config("uci_csv_export", p, UCI_COLUMNS), df)


def erp_five_columns(shared: Path, folder: Path) -> Variant:
    df = uci_lines(shared)[["Invoice", "InvoiceDate", "Quantity", "Price", "Customer ID"]]
    p = _csv(df, folder / "erp_five_columns.csv")
    cols = {k: v for k, v in UCI_COLUMNS.items() if v in df.columns}
    return Variant("erp_five_columns", p, _file_config("erp_five_columns", p, cols), df)


def r_write_csv_na_ids(shared: Path, folder: Path) -> Variant:
    df = uci_lines(shared).drop(columns="sheet")
    df["Customer ID"] = df["Customer ID"].map(lambda v: "NA" if pd.isna(v) else str(int(v)))
    p = _csv(df, folder / "r_write_csv_na_ids.csv")
    return Variant("r_write_csv_na_ids", p, _file_config("r_write_csv_na_ids", p, UCI_COLUMNS), df)


def credit_notes_other_prefix(shared: Path, folder: Path) -> Variant:
    df = uci_lines(shared).drop(columns="sheet")
    inv = df["Invoice"].astype(str)
    df["Invoice"] = inv.where(~inv.str.startswith("C"), "IADE-" + inv.str[1:])
    p = _csv(df, folder / "credit_notes_other_prefix.csv")
    cfg = _file_config("credit_notes_other_prefix", p, UCI_COLUMNS)
    cfg["cleaning"] = {"return_prefixes": ["IADE-"]}
    return Variant("credit_notes_other_prefix", p, cfg, df)


def returns_without_prefix(shared: Path, folder: Path) -> Variant:
    df = uci_lines(shared).drop(columns="sheet")
    inv = df["Invoice"].astype(str)
    df["Invoice"] = inv.str.removeprefix("C")   # the numbers do not collide with sale invoices
    p = _csv(df, folder / "returns_without_prefix.csv")
    return Variant("returns_without_prefix", p, _file_config("returns_without_prefix", p, UCI_COLUMNS), df)


def returns_flag_column(shared: Path, folder: Path) -> Variant:
    """Returns written with positive quantities, a flag column ("Iade": E/H) and the sale they reverse.

    The reference is the invoice of the latest earlier sale of the same customer and product
    (so matching by reference finds what matching by customer and product would).
    """
    df = uci_lines(shared).drop(columns="sheet")
    ret = df["Invoice"].astype(str).str.startswith("C")
    sales = df[~ret & df["Customer ID"].notna()].reset_index().sort_values("InvoiceDate")
    r = df[ret & df["Customer ID"].notna()].reset_index().sort_values("InvoiceDate")
    ref = pd.merge_asof(r, sales[["InvoiceDate", "Customer ID", "StockCode", "Invoice"]], on="InvoiceDate",
                        by=["Customer ID", "StockCode"], suffixes=("", "_sale"), allow_exact_matches=True)
    df["Ref"] = pd.Series(ref["Invoice_sale"].to_numpy(), index=ref["index"]).reindex(df.index)
    df["Iade"] = np.where(ret, "E", "H")
    df["Quantity"] = df["Quantity"].abs()
    df["Invoice"] = df["Invoice"].astype(str).str.removeprefix("C")
    p = _csv(df, folder / "returns_flag_column.csv")
    cols = {**UCI_COLUMNS, "return_flag": "Iade", "original_invoice": "Ref"}
    return Variant("returns_flag_column", p, _file_config("returns_flag_column", p, cols), df,
                   extra={"returns": int(ret.sum())})


def _walk_in(shared: Path, folder: Path, name: str, account: str) -> Variant:
    """Guests and a quarter of the invoices (drawn at random) booked on one till account."""
    df = uci_lines(shared).drop(columns="sheet")
    invoices = df["Invoice"].astype(str)
    rng = np.random.default_rng(SEED)
    chosen = set(rng.choice(invoices.unique(), size=invoices.nunique() // 4, replace=False))
    till = df["Customer ID"].isna() | invoices.isin(chosen)
    ids = df["Customer ID"].map(lambda v: None if pd.isna(v) else str(int(v)))
    df["Customer ID"] = ids.where(~till, account)
    p = _csv(df, folder / f"{name}.csv")
    return Variant(name, p, _file_config(name, p, UCI_COLUMNS), df, extra={"account": account})


def pos_walk_in_account(shared: Path, folder: Path) -> Variant:
    return _walk_in(shared, folder, "pos_walk_in_account", "0")


def pos_store_account(shared: Path, folder: Path) -> Variant:
    return _walk_in(shared, folder, "pos_store_account", "STORE01")


def monthly_exports_appended(shared: Path, folder: Path) -> Variant:
    """The 2010-2011 sheet as two exports, to 2011-03-14 and from 2011-03-01, appended in one file."""
    df = uci_sheets(shared)["Year 2010-2011"]
    first = df[df["InvoiceDate"] < "2011-03-15"]
    second = df[df["InvoiceDate"] >= "2011-03-01"]
    both = pd.concat([first, second], ignore_index=True)
    p = _csv(both, folder / "monthly_exports_appended.csv")
    return Variant("monthly_exports_appended", p, _file_config("monthly_exports_appended", p, UCI_COLUMNS), both,
                   extra={"sheet": df, "repeated": second[second["InvoiceDate"] < "2011-03-15"]})


# ------------------------------------------------------------------------------------ CDNOW
def cdnow_frame(shared: Path) -> pd.DataFrame:
    return pd.read_csv(shared / "cdnow" / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})


def cdnow_master(shared: Path, folder: Path) -> Variant:
    p = shared / "cdnow" / "CDNOW_master.txt"
    cfg = {"name": "cdnow_master", "data": {"source": "cdnow", "path": str(p)},
           "analysis": {"period": "month", "time_unit": "W"}}
    return Variant("cdnow_master", p, cfg, cdnow_frame(shared))


def cdnow_free_first_orders(shared: Path, folder: Path) -> Variant:
    """A promotion gave one customer in ten their first order free (dollar value 0)."""
    df = cdnow_frame(shared)
    rng = np.random.default_rng(SEED)
    customers = df["customer_id"].unique()
    lucky = set(rng.choice(customers, size=len(customers) // 10, replace=False))
    first_day = df.groupby("customer_id")["date"].transform("min")
    free = df["customer_id"].isin(lucky) & (df["date"] == first_day)
    df.loc[free, "dollar_value"] = 0.0
    df["invoice"] = df["customer_id"] + "-" + df["date"] + "-" + df.groupby(["customer_id", "date"]).cumcount().astype(str)
    p = _csv(df, folder / "cdnow_free_first_orders.csv")
    cols = {"invoice": "invoice", "customer_id": "customer_id", "invoice_ts": "date", "quantity": "number_of_cds",
            "amount": "dollar_value"}
    cfg = _file_config("cdnow_free_first_orders", p, cols, currency="USD", date_format="%Y%m%d")
    cfg["cleaning"] = {"extreme_quantity": {"enabled": False}}
    return Variant("cdnow_free_first_orders", p, cfg, df, extra={"free": free})


# -------------------------------------------------------------------------------- dunnhumby
def grocery_till_export(shared: Path, folder: Path) -> Variant:
    src = shared / "dunnhumby_complete_journey" / "transactions_sample.csv"
    df = pd.read_csv(src, dtype={"household_id": str, "basket_id": str, "product_id": str})
    cols = {"invoice": "basket_id", "invoice_ts": "transaction_timestamp", "customer_id": "household_id",
            "product_id": "product_id", "quantity": "quantity", "amount": "sales_value"}
    cfg = _file_config("grocery_till_export", src, cols, currency="USD")
    # fuel lines count gallons; the test judges zero-value lines, so the quantity rule stays out of the way
    cfg["cleaning"] = {"extreme_quantity": {"enabled": False}}
    return Variant("grocery_till_export", src, cfg, df)


# ------------------------------------------------------------------------------------ Olist
def _olist_items(shared: Path) -> pd.DataFrame:
    d = shared / "olist_sample"
    items = pd.read_csv(d / "olist_order_items_dataset.csv")
    orders = pd.read_csv(d / "olist_orders_dataset.csv", usecols=["order_id", "customer_id", "order_purchase_timestamp"])
    people = pd.read_csv(d / "olist_customers_dataset.csv", usecols=["customer_id", "customer_unique_id"])
    out = items.merge(orders, on="order_id").merge(people, on="customer_id")
    return out[["order_id", "order_item_id", "product_id", "price", "order_purchase_timestamp", "customer_unique_id"]]


def marketplace_items_line_numbers(shared: Path, folder: Path) -> Variant:
    df = _olist_items(shared)
    p = _csv(df, folder / "marketplace_items_line_numbers.csv")
    cols = {"invoice": "order_id", "line_no": "order_item_id", "product_id": "product_id", "amount": "price",
            "invoice_ts": "order_purchase_timestamp", "customer_id": "customer_unique_id"}
    return Variant("marketplace_items_line_numbers", p,
                   _file_config("marketplace_items_line_numbers", p, cols, currency="BRL"), df)


def marketplace_items_no_quantity(shared: Path, folder: Path) -> Variant:
    df = _olist_items(shared).drop(columns="order_item_id")
    p = _csv(df, folder / "marketplace_items_no_quantity.csv")
    cols = {"invoice": "order_id", "product_id": "product_id", "amount": "price",
            "invoice_ts": "order_purchase_timestamp", "customer_id": "customer_unique_id"}
    return Variant("marketplace_items_no_quantity", p,
                   _file_config("marketplace_items_no_quantity", p, cols, currency="BRL"), df)


VARIANTS = {f.__name__: f for f in (
    uci_two_sheet_workbook, uci_csv_export, erp_five_columns, r_write_csv_na_ids, credit_notes_other_prefix,
    returns_without_prefix, returns_flag_column, pos_walk_in_account, pos_store_account, monthly_exports_appended,
    cdnow_master, cdnow_free_first_orders, grocery_till_export, marketplace_items_line_numbers,
    marketplace_items_no_quantity)}
