"""The corpus of messy real exports (:mod:`tests.fixtures.real_exports`) through prepare(), judged by plain pandas.

For every variant the audit must reconcile to the cent with figures computed here, from the
frame that was written, without the project's cleaning code: the raw totals, and the rule
each variant is about (overlapping sheets, identical rows without a line key, missing-value
text, return conventions, a walk-in account, free orders, line numbers). Where a variant only
changes how the same lines are written (another return prefix, returns without a prefix,
``NA`` for blanks), its audit must equal the audit of the plain csv export.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import clean, paths, pipeline
from helpers.config import load_config
from tests.fixtures import real_exports as rx

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]
RULE_ROWS = [*clean.RULES, clean.KEPT, "raw total", *clean.INFO_ROWS]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """prepare() of a variant by name, each read and cleaned once, in folders of this module."""
    if not paths.SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {paths.SHARED_DATA} is absent (it sits beside the project in CI)")
    folder = tmp_path_factory.mktemp("exports")
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "INTERIM", folder / "interim")
    mp.setattr(paths, "PROCESSED", folder / "processed")
    done: dict = {}

    def get(name: str, **cleaning):
        key = (name, json.dumps(cleaning, sort_keys=True))
        if key not in done:
            v = rx.VARIANTS[name](paths.SHARED_DATA, folder)
            if cleaning:
                v.config = {**v.config, "cleaning": {**v.config.get("cleaning", {}), **cleaning}}
            prep = pipeline.prepare(load_config(v.write_config(folder)), progress=False)
            done[key] = (v, prep, prep.read("audit").set_index("rule"))
        return done[key]

    yield get
    mp.undo()


def notes(prep, note: str) -> list[dict]:
    n = prep.read("audit_notes")
    return [{**json.loads(r.params), "lines": r.lines, "revenue": r.revenue} for r in n[n["note"] == note].itertuples()]


def cents(x) -> int:
    return int(round(float(x) * 100))


# ------------------------------------------------------------------- raw totals, every variant
def _uci_revenue(df):
    return (df["Quantity"] * df["Price"]).sum()


RAW_REVENUE = {
    "uci_two_sheet_workbook": _uci_revenue, "uci_csv_export": _uci_revenue, "erp_five_columns": _uci_revenue,
    "r_write_csv_na_ids": _uci_revenue, "credit_notes_other_prefix": _uci_revenue,
    "returns_without_prefix": _uci_revenue, "pos_walk_in_account": _uci_revenue, "pos_store_account": _uci_revenue,
    "monthly_exports_appended": _uci_revenue,
    # returns are written with positive quantities and a flag; as lines they are negative
    "returns_flag_column": lambda df: (np.where(df["Iade"] == "E", -1, 1) * df["Quantity"] * df["Price"]).sum(),
    "cdnow_master": lambda df: df["dollar_value"].sum(), "cdnow_free_first_orders": lambda df: df["dollar_value"].sum(),
    "grocery_till_export": lambda df: df["sales_value"].sum(),
    "marketplace_items_line_numbers": lambda df: df["price"].sum(),
    "marketplace_items_no_quantity": lambda df: df["price"].sum(),
}


@pytest.mark.parametrize("name", list(rx.VARIANTS))
def test_audit_reconciles_to_the_cent_with_the_file(corpus, name):
    v, prep, a = corpus(name)
    assert int(a.loc["raw total", "lines"]) == len(v.frame)
    assert cents(a.loc["raw total", "revenue"]) == cents(RAW_REVENUE[name](v.frame))
    parts = a.loc[[*clean.RULES, clean.KEPT]]
    assert int(parts["lines"].sum()) == len(v.frame)
    assert cents(parts["revenue"].sum()) == cents(RAW_REVENUE[name](v.frame))
    # clean revenue is never above the raw sale lines, and the headline share is never negative
    assert 0.0 <= clean.sales_removed_share(prep.read("audit"), prep.meta["gross_sales"]) <= 1.0
    assert prep.meta["n_clean_lines"] == int(a.loc[clean.KEPT, "lines"]) == len(prep.lines())


# ------------------------------------------------------------------------- overlapping exports
def _sheet_overlap(sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows of the second sheet whose invoice the first sheet already holds (plain pandas)."""
    first, second = sheets["Year 2009-2010"], sheets["Year 2010-2011"]
    return second[second["Invoice"].isin(set(first["Invoice"]))]


def test_two_sheet_workbook_shows_its_overlap_as_441_rows(corpus):
    v, prep, a = corpus("uci_two_sheet_workbook")
    sheets = rx.uci_sheets(paths.SHARED_DATA)
    rep = _sheet_overlap(sheets)
    assert len(rep) == 441
    assert int(a.loc["overlap", "lines"]) == 441
    assert cents(a.loc["overlap", "revenue"]) == cents(_uci_revenue(rep))
    w = prep.read("overlap")
    assert len(w) == 1 and str(w.loc[0, "start"]) == "2010-12-01" and str(w.loc[0, "end"]) == "2010-12-09"
    assert int(w.loc[0, "invoices"]) == rep["Invoice"].nunique() == int(w.loc[0, "invoices_in_window"])
    # with the repeated sheet gone, exact duplicates are those pandas finds (the line key is complete)
    second = v.frame[v.frame["sheet"] == "Year 2010-2011"]
    rest = v.frame.drop(index=second.index[second["Invoice"].isin(set(sheets["Year 2009-2010"]["Invoice"]))])
    dup = rest.drop(columns="sheet").duplicated()
    assert int(a.loc["duplicate", "lines"]) == int(dup.sum()) == 74
    assert cents(a.loc["duplicate", "revenue"]) == cents(_uci_revenue(rest[dup]))
    assert prep.meta["line_key"] == ["invoice", "product_id"] and prep.meta["line_key_complete"]


def test_monthly_exports_appended_name_their_overlap_window(corpus):
    v, prep, a = corpus("monthly_exports_appended")
    rep = v.extra["repeated"]
    assert int(a.loc["overlap", "lines"]) == len(rep) > 0
    assert cents(a.loc["overlap", "revenue"]) == cents(_uci_revenue(rep))
    w = prep.read("overlap")
    days = pd.to_datetime(rep["InvoiceDate"]).dt.date
    assert len(w) == 1 and w.loc[0, "start"] == days.min() and w.loc[0, "end"] == days.max()
    assert int(w.loc[0, "invoices"]) == rep["Invoice"].nunique()
    assert int(a.loc["duplicate", "lines"]) == int(v.extra["sheet"].duplicated().sum())
    [note] = notes(prep, "overlap")
    assert note["start"] == str(days.min()) and note["lines"] == len(rep)


# ------------------------------------------------------------------ no product, no line number
def _match_returns_by_amount(live: pd.DataFrame, window_days: int = 90) -> pd.DataFrame:
    """Plain pandas: which returns find their sale in an export without products.

    A return (invoice "C...", negative quantity) takes, by preference, a sale of the invoice its
    number names with the same unit price, else the latest sale of the same customer with the
    same amount within ``window_days`` before it, at least as many units either way (same units
    first). A sale is reversed in full once; partial returns may share a sale no full one took.
    """
    live = live.assign(cents=(live["Quantity"].abs() * live["Price"] * 100).round().astype("int64"),
                       pcents=(live["Price"] * 100).round().astype("int64"),
                       inv=live["Invoice"].astype(str), cust=live["Customer ID"])
    ret = live[live["inv"].str.startswith("C") | (live["Quantity"] < 0)]
    sale = live.drop(index=ret.index)
    best = []
    for rid, r in ret.iterrows():
        qty, ts = -r["Quantity"], r["InvoiceDate"]
        ok = sale[(sale["InvoiceDate"] <= ts) & (sale["Quantity"] >= qty - 1e-9)]
        ref = ok[(ok["inv"] == r["inv"][1:]) & (ok["pcents"] == r["pcents"])].assign(prio=2)
        key = ok[(ok["cust"] == r["cust"]) & (ok["cents"] == r["cents"])
                 & (ok["InvoiceDate"] >= ts - pd.Timedelta(days=window_days))].assign(prio=1) \
            if pd.notna(r["cust"]) else ok.iloc[:0].assign(prio=1)
        cand = pd.concat([ref, key])
        if cand.empty:
            continue
        cand = cand.assign(exact=(cand["Quantity"] - qty).abs() < 1e-9, sid=cand.index)
        top = cand.sort_values(["prio", "exact", "InvoiceDate", "sid"], ascending=False).iloc[0]
        best.append({"c_id": rid, "s_id": top["sid"], "full": bool(top["exact"]), "prio": top["prio"]})
    m = pd.DataFrame(best, columns=["c_id", "s_id", "full", "prio"])
    m = m.sort_values(["s_id", "full", "prio", "c_id"], ascending=[True, False, False, True])
    first_full = m.groupby("s_id")["full"].transform("first")
    keep = ~m.duplicated("s_id") | (~m["full"] & ~first_full)
    return m[keep]


def test_five_column_export_keeps_identical_rows_and_matches_returns_by_amount(corpus):
    v, prep, a = corpus("erp_five_columns")
    sheets = rx.uci_sheets(paths.SHARED_DATA)
    n1 = len(sheets["Year 2009-2010"])
    df = v.frame
    # the repeated sheet is still found without products: whole invoices repeat as blocks
    rep_idx = df.index[n1:][df.iloc[n1:]["Invoice"].isin(set(sheets["Year 2009-2010"]["Invoice"]))]
    assert int(a.loc["overlap", "lines"]) == len(rep_idx) == 441
    # no line key: identical rows are kept, counted and warned about, never removed
    assert prep.meta["line_key"] == ["invoice"] and not prep.meta["line_key_complete"]
    assert int(a.loc["duplicate", "lines"]) == 0 and not bool(a.loc["duplicate", "enabled"])
    status = prep.read("line_status")
    assert int(status["is_identical"].sum()) == int(df.duplicated().sum())
    [warn] = notes(prep, "identical_rows_kept")
    assert warn["lines"] == int(a.loc["identical rows (kept)", "lines"]) > 10_000
    assert notes(prep, "non_product_without_products")
    # returns: matched by customer and amount, as plain pandas matches them
    live = df.drop(index=rep_idx)
    m = _match_returns_by_amount(live)
    full, part = m[m["full"]], m[~m["full"]]
    assert int(a.loc["cancellation", "lines"]) == len(full)
    assert int(a.loc["cancelled_original", "lines"]) == len(full)
    assert int(a.loc["cancellation_partial", "lines"]) == len(part)
    ret = live[live["Invoice"].astype(str).str.startswith("C") | (live["Quantity"] < 0)]
    unmatched = ret.drop(index=m["c_id"])
    assert int(a.loc["cancellation_unmatched", "lines"]) == len(unmatched)
    assert cents(a.loc["cancellation_unmatched", "revenue"]) == cents(_uci_revenue(unmatched))
    assert cents(a.loc["cancelled_original", "revenue"]) == cents(_uci_revenue(live.loc[full["s_id"]]))
    kept = live.drop(index=ret.index).drop(index=full["s_id"])
    assert int(a.loc[clean.KEPT, "lines"]) == len(kept)
    assert cents(a.loc[clean.KEPT, "revenue"]) == cents(_uci_revenue(kept))


# -------------------------------------------------------- the same lines, written differently
def _same_audit(a, b, rows=RULE_ROWS):
    pd.testing.assert_frame_equal(a.loc[rows, ["lines", "revenue", "customers"]],
                                  b.loc[rows, ["lines", "revenue", "customers"]], check_exact=False, rtol=1e-12)


def test_na_text_is_a_missing_customer_not_a_customer(corpus):
    v, prep, a = corpus("r_write_csv_na_ids")
    _, base, b = corpus("uci_csv_export")
    found = {(n["column"], n["token"]): n["lines"] for n in notes(prep, "missing_token")}
    assert found[("customer_id", "NA")] == int((v.frame["Customer ID"] == "NA").sum()) == 601
    assert "NA" not in set(prep.read("customers_rfm")["customer_id"])
    assert not prep.read("catch_all")["customer_id"].eq("NA").any()
    _same_audit(a, b)
    assert len(prep.read("customers_rfm")) == len(base.read("customers_rfm"))


@pytest.mark.parametrize("name", ["credit_notes_other_prefix", "returns_without_prefix"])
def test_other_return_conventions_give_the_same_audit(corpus, name):
    v, prep, a = corpus(name)
    _, base, b = corpus("uci_csv_export")
    _same_audit(a, b)
    assert int(a.loc["cancellation", "lines"]) > 200       # the returns really are matched to their sales
    assert notes(prep, "returns_matched")[0]["customer_product"] == notes(base, "returns_matched")[0]["customer_product"]


def test_return_flag_and_reference_columns(corpus):
    v, prep, a = corpus("returns_flag_column")
    _, base, b = corpus("uci_csv_export")
    [flipped] = notes(prep, "return_sign_flipped")
    assert flipped["lines"] == v.extra["returns"] == int((v.frame["Iade"] == "E").sum())
    lines = pd.read_parquet(prep.raw_path)
    assert (lines.loc[lines["is_return"].fillna(False).astype(bool), "amount"] <= 0).all()
    assert cents(a.loc["raw total", "revenue"]) == cents(b.loc["raw total", "revenue"])
    [m] = notes(prep, "returns_matched")
    assert m["reference"] >= 0.9 * m["lines"] and m["reference"] > 200


# ----------------------------------------------------------------------- catch-all accounts
def test_walk_in_account_zero_becomes_guests(corpus):
    v, prep, a = corpus("pos_walk_in_account")
    df = v.frame
    sales = df[~df["Invoice"].astype(str).str.startswith("C") & df["Customer ID"].notna()]
    till = sales[sales["Customer ID"] == "0"]
    ca = prep.read("catch_all").set_index("customer_id")
    assert ca.loc["0", "action"] == "guest" and bool(ca.loc["0", "looks_placeholder"])
    assert ca.loc["0", "share_orders"] == pytest.approx(till["Invoice"].nunique() / sales["Invoice"].nunique())
    assert ca.loc["0", "share_lines"] == pytest.approx(len(till) / len(sales))
    assert "0" not in set(prep.read("customers_rfm")["customer_id"])
    kept_till = prep.read("line_status").query("status == 'kept' and catch_all")
    assert int(a.loc["catch-all ids (guests)", "lines"]) == len(kept_till) > 0
    assert len(kept_till) <= int((df["Customer ID"] == "0").sum())
    [note] = [n for n in notes(prep, "catch_all") if n["customer_id"] == "0"]
    assert note["action"] == "guest" and note["lines"] == len(till)


def test_store_account_is_flagged_and_listed_ids_become_guests(corpus):
    v, prep, a = corpus("pos_store_account")
    ca = prep.read("catch_all").set_index("customer_id")
    assert ca.loc["STORE01", "action"] == "flag" and not bool(ca.loc["STORE01", "looks_placeholder"])
    assert "STORE01" in set(prep.read("customers_rfm")["customer_id"])     # flagged only: still a customer
    _, listed, b = corpus("pos_store_account", catch_all_ids=["STORE01"])
    assert listed.read("catch_all").set_index("customer_id").loc["STORE01", "action"] == "guest"
    assert "STORE01" not in set(listed.read("customers_rfm")["customer_id"])
    assert int(b.loc["catch-all ids (guests)", "lines"]) > 0
    assert len(listed.read("customers_rfm")) == len(prep.read("customers_rfm")) - 1


# ------------------------------------------------------------------------------ free orders
def test_cdnow_master_keeps_every_purchaser(corpus):
    v, prep, a = corpus("cdnow_master")
    rfm = prep.read("customers_rfm")
    assert len(rfm) == v.frame["customer_id"].nunique() == 23_570
    assert int(a.loc["free lines (kept)", "lines"]) == int((v.frame["dollar_value"] == 0).sum())


def test_free_first_orders_move_no_first_purchase(corpus):
    v, prep, a = corpus("cdnow_free_first_orders")
    df = v.frame
    rfm = prep.read("customers_rfm").set_index("customer_id")
    assert len(rfm) == df["customer_id"].nunique() == 23_570
    first = pd.to_datetime(df.groupby("customer_id")["date"].min(), format="%Y%m%d").dt.date
    got = pd.to_datetime(rfm["first_purchase"]).dt.date
    assert (got.reindex(first.index) == first).all()
    assert int(a.loc["free lines (kept)", "lines"]) == int((df["dollar_value"] == 0).sum())
    assert int(a.loc["zero_price", "lines"]) == 0
    only_free = df.groupby("customer_id")["dollar_value"].sum().eq(0)
    assert only_free.sum() > 0 and set(only_free[only_free].index) <= set(rfm.index)
    assert cents(rfm["monetary"].sum()) == cents(df["dollar_value"].sum())
    # orders of free first-order customers are counted, and the free one does not lower the average order
    orders = df.groupby("customer_id")["invoice"].nunique()
    assert (rfm["frequency"].reindex(orders.index) == orders).all()


def test_grocery_till_export_keeps_households_with_free_lines(corpus):
    v, prep, a = corpus("grocery_till_export")
    df = v.frame
    assert len(prep.read("customers_rfm")) == df["household_id"].nunique()
    cols = ["basket_id", "transaction_timestamp", "household_id", "product_id", "quantity", "sales_value"]
    dup = df[cols].duplicated()
    assert int(a.loc["duplicate", "lines"]) == int(dup.sum())
    assert int(a.loc["overlap", "lines"]) == 0
    free = (df["sales_value"] == 0) & ~dup
    assert int(a.loc["free lines (kept)", "lines"]) == int(free.sum()) > 0


# ------------------------------------------------------------------------------ line numbers
def test_marketplace_items_with_line_numbers_lose_nothing(corpus):
    v, prep, a = corpus("marketplace_items_line_numbers")
    assert prep.meta["line_key"] == ["invoice", "product_id", "line_no"]
    assert int(a.loc["duplicate", "lines"]) == 0 and int(a.loc["identical rows (kept)", "lines"]) == 0
    assert int(a.loc[clean.KEPT, "lines"]) == len(v.frame)


def test_marketplace_items_without_quantities_keep_repeated_items(corpus):
    v, prep, a = corpus("marketplace_items_no_quantity")
    same = v.frame.duplicated()
    assert same.sum() > 100                       # two units of one product are two identical rows
    assert not prep.meta["line_key_complete"]
    assert int(a.loc["duplicate", "lines"]) == 0
    assert int(prep.read("line_status")["is_identical"].sum()) == int(same.sum())
    assert int(a.loc[clean.KEPT, "lines"]) == len(v.frame)
    assert notes(prep, "line_key")[0]["quantities"] is False
