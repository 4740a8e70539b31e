"""Optional tables beside the sales lines: rules, coverage and prepare(), on hand-written fixtures.

Every expected number below is counted by hand from tests/fixtures/tables/ (see its README.md).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import paths, pipeline

from helpers.io import tables
from helpers.config import config_from_dict, load_config
from helpers.errors import ConfigError, DataError
from tests.fixtures import FIXTURES

FX = FIXTURES / "tables"

LINES = {"source": "file", "path": str(FX / "lines.csv"), "currency": "EUR",
         "columns": {"invoice": "order", "invoice_ts": "date", "customer_id": "cust", "product_id": "product",
                     "quantity": "qty", "unit_price": "price"}}
ATTRIBUTES = {"path": str(FX / "attributes.csv"), "keep": "all", "fill_blank": {"total_charges": 0.0},
              "columns": {"customer_id": "cust", "region": "Region", "age_band": "Age Band",
                          "household_size": "Household Size", "churned": "Churn", "total_charges": "Total Charges",
                          "contract": "Contract"}}
EXPOSURES = {"path": str(FX / "exposures.csv"),
             "columns": {"customer_id": "cust", "campaign_id": "campaign", "channel": "channel"},
             "campaigns": {"path": str(FX / "campaigns.csv"),
                           "columns": {"campaign_id": "campaign", "campaign_type": "kind", "start": "from",
                                       "end": "to"}}}
RESPONSES = {"path": str(FX / "responses.csv"), "constants": {"response_type": "coupon"},
             "columns": {"customer_id": "cust", "campaign_id": "campaign", "response_ts": "when", "value": "worth"}}
FEEDBACK = {"path": str(FX / "feedback.csv"), "scale": [1, 5], "language": "en",
            "columns": {"feedback_id": "id", "invoice": "order", "feedback_ts": "written", "score": "stars",
                        "title": "headline", "text": "comment", "category": "topic"}}
ALL_TABLES = {"attributes": ATTRIBUTES, "exposures": EXPOSURES, "responses": RESPONSES, "feedback": FEEDBACK}


def cfg_with(tables: dict, data: dict | None = None, name: str = "fx"):
    return config_from_dict({"name": name, "data": data or LINES, "tables": tables}, "fx.yaml")


def read(tables_cfg: dict, data: dict | None = None):
    return tables.read_tables(cfg_with(tables_cfg, data))


def audit_count(audit: tables.Audit, table: str, rule: str) -> int:
    df = audit.frame()
    return int(df.loc[(df["table"] == table) & (df["rule"] == rule), "count"].sum())


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Prepared folders and read caches under tmp_path."""
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "processed")
    monkeypatch.setattr(paths, "INTERIM", tmp_path / "interim")
    return tmp_path


# --------------------------------------------------------------------------------------
# config
# --------------------------------------------------------------------------------------
class TestConfig:
    def test_unknown_key_lists_the_allowed_ones(self):
        # the reading options every file shares (config.FileOptions) first, then the table's own keys
        with pytest.raises(ConfigError, match=r"unknown key 'tables\.attributes\.colums'.*allowed keys here: path, "
                                              r"format, sheets, .*, date_format, adapter, columns, constants"):
            cfg_with({"attributes": {"path": "a.csv", "colums": {"customer_id": "x"}}})

    def test_required_columns_and_scale(self):
        with pytest.raises(ConfigError, match=r"tables\.attributes needs columns: map at least customer_id"):
            cfg_with({"attributes": {"path": "a.csv"}})
        with pytest.raises(ConfigError, match=r"tables\.responses\.columns lacks response_ts"):
            cfg_with({"responses": {"path": "r.csv", "columns": {"customer_id": "c", "campaign_id": "k"}}})
        with pytest.raises(ConfigError, match=r"tables\.exposures: unknown column 'sent'; allowed: customer_id"):
            cfg_with({"exposures": {"path": "e.csv", "columns": {"customer_id": "c", "campaign_id": "k", "sent": "s"}}})
        with pytest.raises(ConfigError, match=r"tables\.exposures needs a start date"):
            cfg_with({"exposures": {"path": "e.csv", "columns": {"customer_id": "c", "campaign_id": "k"}}})
        with pytest.raises(ConfigError, match=r"tables\.feedback needs scale"):
            cfg_with({"feedback": {**FEEDBACK, "scale": None}})
        with pytest.raises(ConfigError, match=r"scale \[5\.0, 1\.0\] must be \[lowest, highest\]"):
            cfg_with({"feedback": {**FEEDBACK, "scale": [5, 1]}})
        with pytest.raises(ConfigError, match=r"needs customer_id or invoice"):
            cfg_with({"feedback": {**FEEDBACK, "columns": {"feedback_ts": "written", "score": "stars"}}})
        with pytest.raises(ConfigError, match=r"either adapter or columns, not both"):
            cfg_with({"attributes": {"adapter": "olist", "path": "x", "columns": {"customer_id": "c"}}})
        with pytest.raises(ConfigError, match=r"'Region' must be snake_case"):
            cfg_with({"attributes": {"path": "a.csv", "columns": {"customer_id": "c", "Region": "r"}}})

    def test_source_none_needs_a_table(self):
        with pytest.raises(ConfigError, match=r"data\.source 'none' \(no sales lines\) needs a tables: section"):
            config_from_dict({"name": "x", "data": {"source": "none"}})
        cfg = config_from_dict({"name": "x", "data": {"source": "none"}, "tables": {"attributes": ATTRIBUTES}})
        assert cfg.data.source == "none"

    def test_skip_notebooks_and_fingerprint(self):
        from helpers.batch import NOTEBOOKS

        cfg = config_from_dict({"name": "x", "output": {"skip_notebooks": ["06"]}})
        assert "06_cross_up_sell" not in cfg.output.notebooks
        assert len(cfg.output.notebooks) == len(NOTEBOOKS) - 1
        with pytest.raises(ConfigError, match=r"skip_notebooks names unknown notebook\(s\) \['77'\]"):
            config_from_dict({"name": "x", "output": {"skip_notebooks": ["77"]}})
        plain = config_from_dict({"name": "x"})
        assert "tables" not in plain.fingerprint_payload()       # configs without tables keep their fingerprint
        assert cfg_with({"attributes": ATTRIBUTES}).fingerprint_payload()["tables"]["attributes"]["path"]

    @pytest.mark.parametrize("name", ["telco", "olist", "dunnhumby"])
    def test_shipped_configs_are_valid(self, name):
        cfg = load_config(paths.CONFIGS / f"{name}.yaml")
        assert cfg.name == name and cfg.tables is not None
        if name == "dunnhumby":
            assert not any(nb.startswith("06") for nb in cfg.output.notebooks)
            assert "01_data_cleaning" in cfg.output.notebooks


# --------------------------------------------------------------------------------------
# rules on one table at a time
# --------------------------------------------------------------------------------------
class TestAttributes:
    def test_columns_types_and_counted_rules(self):
        frames, audit = read({"attributes": ATTRIBUTES})
        a = frames["attributes"]
        assert list(a["customer_id"]) == ["C1", "C2", "C3", "X9"]
        assert list(a.columns[:1]) == ["customer_id"]
        assert {"senior_citizen", "note"} <= set(a.columns)            # kept under snake_case names
        assert a["household_size"].tolist() == [2.0, 5.0, 1.0, 3.0]    # "5+" -> 5, "3+" -> 3
        assert audit_count(audit, "attributes", "open-band") == 2
        assert a["total_charges"].tolist() == [120.5, 0.0, 80.0, 0.0]  # blank (one is a space) -> fill_blank 0
        assert audit_count(audit, "attributes", "blank-number") == 2
        assert a["churned"].tolist() == [False, True, False, True]
        assert str(a["churned"].dtype) == "boolean" and str(a["customer_id"].dtype) == "string"
        assert a["senior_citizen"].tolist() == [0.0, 1.0, 0.0, 1.0]    # a kept all-number column is a number
        assert a["note"].isna().tolist() == [False, True, False, False]

    def test_blank_numbers_left_null_without_a_rule(self):
        frames, audit = read({"attributes": {**ATTRIBUTES, "fill_blank": {}}})
        assert frames["attributes"]["total_charges"].isna().sum() == 2
        row = audit.frame().query("rule == 'blank-number'").iloc[0]
        assert row["column"] == "Total Charges" and row["count"] == 2 and "left empty" in row["action"]
        assert row["file"].endswith("attributes.csv")

    def test_duplicate_keys_stop(self):
        t = {"path": str(FX / "attributes_dup.csv"), "columns": {"customer_id": "cust", "region": "Region"}}
        with pytest.raises(DataError, match=r"attributes_dup\.csv: column 'cust': 2 customer_id value\(s\) appear "
                                            r"more than once \(4 rows\), e.g. 'C1' \(rows 2, 4\)"
                                            r".*\[rule: duplicate-key\]"):
            read({"attributes": t})

    def test_missing_column_names_file_and_suggests(self):
        t = {**ATTRIBUTES, "columns": {**ATTRIBUTES["columns"], "region": "region "}}
        t["columns"]["contract"] = "Contrat"
        with pytest.raises(DataError, match=r"attributes\.csv: column 'region': is not in the file \(wanted as "
                                            r"region by tables\.attributes\.columns\); did you mean 'Region'\?.*"
                                            r"also missing: 'Contrat' \(contract\) \[rule: missing-column\]"):
            read({"attributes": t})

    def test_not_a_boolean_stops_with_the_row(self):
        t = {"path": str(FX / "attributes_badbool.csv"), "columns": {"customer_id": "cust", "churned": "Churn"}}
        with pytest.raises(DataError, match=r"column 'Churn': 1 value\(s\) are not yes/no values.*'maybe' \(row 3\)"):
            read({"attributes": t})


class TestExposuresAndResponses:
    def test_campaign_table_gives_type_and_window(self):
        frames, audit = read({"exposures": EXPOSURES})
        e = frames["exposures"]
        assert list(e.columns) == list(tables.CORE_COLUMNS["exposures"])
        assert len(e) == 5                                              # the row without customer is dropped
        assert audit_count(audit, "exposures", "missing-key") == 1
        c1k1 = e[(e.customer_id == "C1") & (e.campaign_id == "K1")].iloc[0]
        assert c1k1["campaign_type"] == "Type A" and c1k1["channel"] == "email"
        assert c1k1["start"] == pd.Timestamp("2023-01-01") and c1k1["end"] == pd.Timestamp("2023-01-31")
        assert str(e["start"].dtype) == "datetime64[us]"
        row = audit.frame().query("rule == 'campaign-without-exposures'").iloc[0]
        assert row["count"] == 1 and "K3" in row["note"] and row["file"].endswith("campaigns.csv")

    def test_own_dates_blank_end_is_start_and_bad_date_stops(self, tmp_path):
        t = {"path": str(FX / "exposures_dates.csv"),
             "columns": {"customer_id": "cust", "campaign_id": "campaign", "start": "sent", "end": "until"}}
        with pytest.raises(DataError, match=r"column 'sent': 1 value\(s\) are not dates.*'2023-02-30' \(row 4\)"
                                            r".*unreadable-date"):
            read({"exposures": t})
        good = tmp_path / "exp.csv"
        good.write_text("\n".join((FX / "exposures_dates.csv").read_text().splitlines()[:3]) + "\n")
        frames, audit = read({"exposures": {**t, "path": str(good)}})
        e = frames["exposures"]
        assert e["end"].tolist() == [pd.Timestamp("2023-01-10"), pd.Timestamp("2023-01-03")]
        assert audit_count(audit, "exposures", "blank-date") == 1

    def test_a_control_group_column_is_read_as_the_arms(self, tmp_path):
        """A user's exposures with a treatment/control column (mapped to ``group``): the column is read as
        text and the campaign models split the arms by it (helpers.models.campaigns.load_inputs)."""
        f = tmp_path / "e.csv"
        f.write_text("cust,campaign,sent,arm\nC1,K1,2023-01-10,treatment\nC2,K1,2023-01-10,control\n"
                     "C3,K1,2023-01-10,Control\n")
        t = {"path": str(f), "columns": {"customer_id": "cust", "campaign_id": "campaign", "start": "sent",
                                         "group": "arm"}}
        e = read({"exposures": t})[0]["exposures"]
        assert e["group"].tolist() == ["treatment", "control", "Control"] and str(e["group"].dtype) == "string"

    def test_end_before_start_stops(self, tmp_path):
        f = tmp_path / "e.csv"
        f.write_text("cust,campaign,sent,until\nC1,K1,2023-01-10,2023-01-03\nC2,K1,2023-01-01,2023-01-02\n")
        t = {"path": str(f), "columns": {"customer_id": "cust", "campaign_id": "campaign", "start": "sent",
                                         "end": "until"}}
        with pytest.raises(DataError, match=r"1 exposure window\(s\) end before they start, e.g. row 2"):
            read({"exposures": t})

    def test_responses_checked_against_exposures(self):
        frames, audit = read({"exposures": EXPOSURES, "responses": RESPONSES})
        r = frames["responses"]
        assert list(r.columns) == list(tables.CORE_COLUMNS["responses"])
        assert len(r) == 4 and set(r["response_type"]) == {"coupon"}
        assert r["value"].isna().sum() == 1 and audit_count(audit, "responses", "blank-number") == 1
        assert audit_count(audit, "responses", "response-without-exposure") == 2    # C2/K2 and C4/K4
        row = audit.frame().query("table == 'responses' and rule == 'campaign-without-exposures'").iloc[0]
        assert row["count"] == 1 and "K4" in row["note"]


class TestFeedback:
    def test_scale_language_and_blank_score(self):
        frames, audit = read({"feedback": FEEDBACK})
        f = frames["feedback"]
        assert list(f.columns) == list(tables.CORE_COLUMNS["feedback"])
        assert f["score_min"].eq(1).all() and f["score_max"].eq(5).all() and f["language"].eq("en").all()
        assert f["customer_id"].isna().all()                 # filled only once the sales lines are known
        assert f["score"].isna().sum() == 1 and audit_count(audit, "feedback", "blank-number") == 1
        assert f.loc[f.feedback_id == "F2", "title"].isna().all() and f.loc[f.feedback_id == "F2", "text"].item() \
            == "Broken on arrival"

    def test_score_outside_the_scale_stops(self):
        t = {"path": str(FX / "feedback_scale.csv"), "scale": [1, 5],
             "columns": {"feedback_id": "id", "customer_id": "cust", "feedback_ts": "written", "score": "stars"}}
        with pytest.raises(DataError, match=r"feedback_scale\.csv: column 'stars': 2 score\(s\) lie outside the "
                                            r"declared scale \[1, 5\], e.g. 7 in row 3.*score-out-of-scale"):
            read({"feedback": t})
        frames, _ = read({"feedback": {**t, "scale": [0, 10]}})  # the same scores on a 0-10 scale are fine
        assert frames["feedback"]["score"].tolist() == [5, 7, 0, 3]

    def test_generated_ids_when_none_mapped(self):
        cols = {k: v for k, v in FEEDBACK["columns"].items() if k != "feedback_id"}
        frames, audit = read({"feedback": {**FEEDBACK, "columns": cols}})
        assert frames["feedback"]["feedback_id"].tolist() == ["2", "3", "4", "5"]   # file rows, header = 1
        assert audit_count(audit, "feedback", "generated-id") == 4


# --------------------------------------------------------------------------------------
# joins and coverage
# --------------------------------------------------------------------------------------
class TestJoin:
    LINE_CUSTOMERS = pd.Series(["C1", "C2", "C3", "C4"], dtype="string")
    INVOICES = pd.DataFrame({"invoice": ["I1", "I2", "I3", "I4", "I5", "I6"],
                             "customer_id": ["C1", "C1", "C2", "C3", "C4", "C4"]}, dtype="string")

    def test_coverage_by_hand_and_feedback_customers(self):
        frames, audit = read(ALL_TABLES)
        cov = tables.join_to_lines(frames, audit, line_customers=self.LINE_CUSTOMERS,
                                   invoice_customers=self.INVOICES).set_index(["table", "key"])
        # attributes: C1 C2 C3 X9 -> 3 of 4 in the lines; 3 of the lines' 4 customers described
        assert cov.loc[("attributes", "customer_id"), ["rows", "keys", "matched"]].tolist() == [4, 4, 3]
        assert cov.loc[("attributes", "customer_id"), "share_table_in_lines"] == pytest.approx(0.75)
        assert cov.loc[("attributes", "customer_id"), "share_lines_in_table"] == pytest.approx(0.75)
        # exposures: 5 rows, C1 C2 C3 X9
        assert cov.loc[("exposures", "customer_id"), ["rows", "keys", "matched"]].tolist() == [5, 4, 3]
        # responses: C1 C3 C2 C4, all buyers
        assert cov.loc[("responses", "customer_id"), "share_table_in_lines"] == pytest.approx(1.0)
        assert cov.loc[("responses", "customer_id"), "share_lines_in_table"] == pytest.approx(1.0)
        # feedback: I1->C1, I3->C2, I4->C3 filled; I9 is not in the lines
        fb = frames["feedback"].set_index("feedback_id")
        assert fb.loc[["F1", "F2", "F4"], "customer_id"].tolist() == ["C1", "C2", "C3"]
        assert pd.isna(fb.loc["F3", "customer_id"])
        assert audit_count(audit, "feedback", "customer-from-invoice") == 3
        assert audit_count(audit, "feedback", "invoice-not-in-lines") == 1
        assert cov.loc[("feedback", "customer_id"), ["keys", "matched", "rows_without_key"]].tolist() == [3, 3, 1]
        assert cov.loc[("feedback", "customer_id"), "share_lines_in_table"] == pytest.approx(0.75)
        assert cov.loc[("feedback", "invoice"), ["keys", "matched"]].tolist() == [4, 3]
        assert cov.loc[("feedback", "invoice"), "share_lines_in_table"] == pytest.approx(0.5)   # 3 of 6 orders
        assert audit_count(audit, "attributes", "key-not-in-lines") == 1

    def test_no_matching_customer_stops(self):
        frames, audit = read({"attributes": {"path": str(FX / "attributes_nomatch.csv"),
                                             "columns": {"customer_id": "cust", "region": "Region"}}})
        with pytest.raises(DataError, match=r"none of the 2 customer_id values of the attributes table is in the "
                                            r"sales lines \(table: 'Z1', 'Z2'; lines: 'C1', 'C2', 'C3'\).*"
                                            r"no-matching-customer"):
            tables.join_to_lines(frames, audit, line_customers=self.LINE_CUSTOMERS, files={"attributes": "a.csv"})

    def test_without_lines_the_shares_are_empty(self):
        frames, audit = read({"attributes": ATTRIBUTES})
        cov = tables.join_to_lines(frames, audit, line_customers=None)
        assert cov["matched"].isna().all() and cov["share_table_in_lines"].isna().all()
        assert cov["keys"].tolist() == [4]


# --------------------------------------------------------------------------------------
# prepare()
# --------------------------------------------------------------------------------------
class TestPrepare:
    def test_file_source_with_all_four_tables(self, isolated):
        prep = pipeline.prepare(cfg_with(ALL_TABLES), progress=False)
        assert prep.tables == ["lines", "attributes", "exposures", "responses", "feedback"]
        assert len(prep.lines()) == 6
        for name in tables.TABLES:
            assert prep.path(name).exists()
        assert (prep.folder / "coverage.csv").exists() and (prep.folder / "tables_audit.csv").exists()
        cov = prep.read("coverage").set_index(["table", "key"])
        assert cov.loc[("attributes", "customer_id"), "matched"] == 3
        assert cov.loc[("feedback", "invoice"), "share_lines_in_table"] == pytest.approx(0.5)
        fb = prep.read("feedback")
        assert fb["customer_id"].notna().sum() == 3
        assert prep.meta["table_rows"] == {"attributes": 4, "exposures": 5, "responses": 4, "feedback": 4}
        audit = pd.read_csv(prep.folder / "tables_audit.csv")
        expected = {"open-band", "blank-number", "campaign-without-exposures", "customer-from-invoice"}
        assert expected <= set(audit["rule"])

    def test_fingerprint_covers_the_table_files(self, isolated):
        copy = isolated / "attrs.csv"
        shutil.copy(FX / "attributes.csv", copy)
        cfg = cfg_with({"attributes": {**ATTRIBUTES, "path": str(copy)}})
        first = pipeline.prepare(cfg, progress=False)
        assert pipeline.prepare(cfg, progress=False).folder == first.folder      # reused while unchanged
        copy.write_text(copy.read_text().replace("North,25-34", "East,25-34"))
        second = pipeline.prepare(cfg, progress=False)
        assert second.folder != first.folder
        assert second.read("attributes").loc[0, "region"] == "East"

    def test_a_bad_table_writes_nothing(self, isolated):
        bad = {"attributes": {"path": str(FX / "attributes_dup.csv"), "columns": {"customer_id": "cust"}}}
        with pytest.raises(DataError, match="duplicate-key"):
            pipeline.prepare(cfg_with(bad), progress=False)
        assert not list((isolated / "processed").glob("*fx-*"))      # no folder, not even a temporary one

    def test_source_none(self, isolated):
        cfg = config_from_dict({"name": "contracts", "data": {"source": "none", "currency": "USD"},
                                "tables": {"attributes": ATTRIBUTES, "feedback": FEEDBACK}})
        prep = pipeline.prepare(cfg, progress=False)
        assert prep.tables == ["attributes", "feedback"]
        assert not prep.path("lines_clean").exists() and not prep.path("customers_rfm").exists()
        assert prep.meta["n_clean_lines"] == 0 and prep.start is None and prep.currency == "USD"
        assert len(prep.read("attributes")) == 4
        assert prep.read("coverage")["matched"].isna().all()
        with pytest.raises(DataError, match="no-sales-lines"):
            prep.lines()
        with pytest.raises(DataError, match=r"no exposures table \(set tables.exposures"):
            prep.read("exposures")
        meta = json.loads((prep.folder / "meta.json").read_text())
        assert meta["tables"] == ["attributes", "feedback"] and meta["source"] == "none"

    def test_synthetic_folder_tables_are_picked_up(self, isolated, monkeypatch):
        from helpers.io import read as rd, synth

        folder = isolated / "synthetic-x"
        folder.mkdir()
        lines = rd.read_file(FX / "lines.csv", config_from_dict({"name": "x", "data": LINES}).data)
        lines.to_parquet(folder / "lines.parquet", index=False)
        pd.DataFrame({"customer_id": ["C1", "C2", "C9"], "region": ["N", "S", "W"],
                      "churned": [False, True, False]}).to_parquet(folder / "attributes.parquet", index=False)
        fb = pd.DataFrame({"feedback_id": ["a", "b"], "customer_id": ["C1", None], "invoice": [None, "I5"],
                           "feedback_ts": pd.to_datetime(["2023-01-09", "2023-03-20"]), "score": [9.0, 3.0],
                           "score_min": [0.0, 0.0], "score_max": [10.0, 10.0]})
        fb.to_parquet(folder / "feedback.parquet", index=False)
        monkeypatch.setattr(synth, "ensure_synthetic", lambda cfg, progress=True: folder)
        cfg = config_from_dict({"name": "synthx"})
        prep = pipeline.prepare(cfg, progress=False)
        assert prep.tables == ["lines", "attributes", "feedback"]
        cov = prep.read("coverage").set_index(["table", "key"])
        assert cov.loc[("attributes", "customer_id"), ["keys", "matched"]].tolist() == [3, 2]
        got = prep.read("feedback").set_index("feedback_id")
        assert got.loc["b", "customer_id"] == "C4"                         # from the lines: I5 -> C4
        assert list(got.reset_index().columns) == list(tables.CORE_COLUMNS["feedback"])
        # a score outside its own declared scale stops, naming the file
        fb.assign(score=[11.0, 3.0]).to_parquet(folder / "feedback.parquet", index=False)
        with pytest.raises(DataError, match=r"feedback\.parquet: column 'score': 1 score\(s\) lie outside the "
                                            r"declared scale \[0, 10\], e.g. 11"):
            pipeline.prepare(cfg, progress=False)


# --------------------------------------------------------------------------------------
# the three real data sets (../shared/data)
# --------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_telco_prepares_without_lines(shared_data):
    prep = pipeline.prepare(load_config(paths.CONFIGS / "telco.yaml"), progress=False)
    raw = pd.read_csv(shared_data / "telco_churn" / "Telco-Customer-Churn.csv", dtype=str, keep_default_na=False)
    a = prep.read("attributes")
    assert prep.tables == ["attributes"] and prep.currency == "USD"
    assert len(a) == len(raw) == 7043 and a["customer_id"].is_unique
    assert int(a["churned"].sum()) == int((raw["Churn"] == "Yes").sum()) == 1869
    blank = raw["TotalCharges"].str.strip() == ""
    assert blank.sum() == 11 and set(raw.loc[blank, "tenure"]) == {"0"}
    audit = prep.read("tables_audit").query("rule == 'blank-number'")
    assert audit[["column", "count"]].values.tolist() == [["TotalCharges", 11]]
    assert (a.set_index("customer_id").loc[raw.loc[blank, "customerID"], "total_charges"] == 0).all()
    assert a["tenure"].sum() == pd.to_numeric(raw["tenure"]).sum()
    assert {"senior_citizen", "payment_method", "internet_service"} <= set(a.columns)


@pytest.mark.shared_data
def test_olist_prepares_lines_attributes_and_feedback(shared_data):
    prep = pipeline.prepare(load_config(paths.CONFIGS / "olist.yaml"), progress=False)
    d = shared_data / "olist_sample"
    orders = pd.read_csv(d / "olist_orders_dataset.csv")
    items = pd.read_csv(d / "olist_order_items_dataset.csv")
    reviews = pd.read_csv(d / "olist_order_reviews_dataset.csv")
    customers = pd.read_csv(d / "olist_customers_dataset.csv")
    sold = items.merge(orders, on="order_id")
    sold = sold[~sold["order_status"].isin(["canceled", "unavailable"])]
    raw = prep.raw_lines()
    # identical items of an order are one line with their count as quantity
    assert raw["quantity"].sum() == len(sold) == 16961
    assert len(raw) == len(sold.groupby(["order_id", "product_id", "price"])) == 15341
    assert raw["amount"].sum() == pytest.approx(sold["price"].sum())
    assert prep.read("audit").set_index("rule").loc["duplicate", "lines"] == 0
    assert prep.currency == "BRL" and prep.tables == ["lines", "attributes", "feedback"]
    fb = prep.read("feedback")
    assert len(fb) == len(reviews) == 14944 and fb["feedback_id"].is_unique
    assert fb["score"].value_counts().to_dict() == reviews["review_score"].value_counts().to_dict()
    late = fb["delay_days"] > 0
    o = orders.set_index("order_id")
    truth = (pd.to_datetime(o["order_delivered_customer_date"]) > pd.to_datetime(o["order_estimated_delivery_date"]))
    assert late.sum() == truth.reindex(fb["invoice"]).sum()
    assert len(prep.read("attributes")) == customers["customer_unique_id"].nunique() == 14904
    cov = prep.read("coverage").set_index(["table", "key"])
    assert cov.loc[("attributes", "customer_id"), "share_lines_in_table"] == pytest.approx(1.0)


@pytest.mark.shared_data
def test_dunnhumby_prepares_campaigns_and_redemptions(shared_data):
    cfg = load_config(paths.CONFIGS / "dunnhumby.yaml")
    prep = pipeline.prepare(cfg, progress=False)
    d = shared_data / "dunnhumby_complete_journey"
    assert prep.tables == ["lines", "attributes", "exposures", "responses"]
    assert prep.meta["n_raw_lines"] == 75000 and prep.currency == "USD"
    e, r, a = prep.read("exposures"), prep.read("responses"), prep.read("attributes")
    desc = pd.read_csv(d / "campaign_descriptions.csv")
    assert len(e) == 6589 and e["campaign_id"].nunique() == len(desc) == 27
    assert e["customer_id"].nunique() == 1559 and set(e["campaign_type"]) == {"Type A", "Type B", "Type C"}
    assert (e["end"] >= e["start"]).all()
    assert len(r) == 2102 and r["customer_id"].nunique() == 410
    assert len(a) == 801 and a["household_size"].max() == 5
    audit = prep.read("tables_audit")
    assert audit.query("rule == 'open-band'")["count"].sum() == 66
    assert audit.query("rule == 'response-without-exposure'").empty      # every redemption was sent its campaign


def test_every_rule_and_column_has_a_label_in_both_languages():
    from helpers import i18n

    frames, audit = read(ALL_TABLES)
    cov = tables.join_to_lines(frames, audit, line_customers=TestJoin.LINE_CUSTOMERS,
                               invoice_customers=TestJoin.INVOICES)
    rules = set(audit.frame()["rule"])
    assert len(rules) >= 8
    for lang in ("en", "tr"):
        for rule in rules:
            assert i18n.lookup("tbl_rule_" + rule.replace("-", "_"), lang)
        for col in list(cov.columns) + list(audit.frame().columns):
            assert i18n.lookup(f"tbl_col_{col}", lang)
        for name in tables.TABLES:
            assert i18n.lookup(f"tbl_{name}", lang)
