"""Published headlines and customer columns, the action table, and run-to-run comparisons."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers.analyses import headlines as summary


def _prep(tmp_path, mask=False):
    cfg = SimpleNamespace(output=SimpleNamespace(mask_customer_ids=mask))
    return SimpleNamespace(config=cfg, folder=tmp_path / "processed")


class TestPublish:
    def test_writes_what_it_shows(self, tmp_path):
        prep = _prep(tmp_path)
        out = tmp_path / "run" / "artefacts" / "02_lifecycle"
        shown = summary.publish(prep, out, "02_lifecycle",
                                [("retention", "Retention rate, last month", 0.4321, "%"),
                                 ("revenue", "Revenue, last month", 12345.6, "GBP")],
                                pd.DataFrame({"customer_id": ["a", "b"], "lifecycle_stage": ["new", "lost"]}))
        saved = json.loads((out / "headline.json").read_text())
        assert [h["text"] for h in saved] == list(shown.data["value"]) == ["43.2 %", "12,346 GBP"]
        long = "BG/NBD (maximum likelihood) + Gamma-Gamma (maximum likelihood)"
        page = summary.publish(prep, tmp_path / "other" / "04_clv", "04_clv",
                               [("clv_model", "Model", long, "")]).to_html()
        assert long in page                      # shown whole, not cut at pandas' 50 characters
        assert saved[0]["notebook"] == "02_lifecycle"
        assert list(pd.read_parquet(out / "customers.parquet")["customer_id"]) == ["a", "b"]
        got = summary.collect_headlines(out.parent)
        assert list(got["key"]) == ["retention", "revenue"]

    def test_masks_ids_when_asked(self, tmp_path):
        prep = _prep(tmp_path, mask=True)
        out = tmp_path / "a"
        summary.publish(prep, out, "05_churn", [], pd.DataFrame({"customer_id": ["12345"], "churn_risk": [0.3]}))
        ids = pd.read_parquet(out / "customers.parquet")["customer_id"]
        assert ids.iloc[0] != "12345" and ids.iloc[0].startswith("C-")

    def test_needs_customer_id(self, tmp_path):
        with pytest.raises(ValueError, match="needs a customer_id column"):
            summary.publish(_prep(tmp_path), tmp_path / "b", "05_churn", [], pd.DataFrame({"x": [1]}))

    def test_by_hand_location(self, tmp_path):
        prep = _prep(tmp_path)
        summary.publish(prep, "", "04_clv", [("k", "K", 1, "count")])
        assert (tmp_path / "processed" / "exports" / "04_clv" / "headline.json").exists()
        assert summary.run_folder(prep, "") == tmp_path / "processed" / "exports"


def test_format_value():
    assert summary.format_value(0.5, "%") == "50.0 %"
    assert summary.format_value(1204, "customers") == "1,204 customers"
    assert summary.format_value(2.5, "weeks") == "2.50 weeks"
    assert summary.format_value(float("nan"), "GBP") == "n/a"


def test_action_table_joins_and_falls_back_to_p_alive_with_a_label():
    customers = {
        "02_lifecycle": pd.DataFrame({"customer_id": ["a", "b", "c"], "lifecycle_stage": ["active", "new", "lost"]}),
        "04_clv": pd.DataFrame({"customer_id": ["a", "b", "c"], "p_alive": [0.1, 0.9, 0.95],
                                "clv": [500.0, 10.0, 1.0], "clv_low": [400.0, 5.0, 0.5], "clv_high": [600.0, 20.0, 2.0]}),
    }
    t = summary.action_table(customers).set_index("customer_id")
    assert t.loc["a", "risk_level"] == "high"            # 1 - p_alive = 0.9 without a churn model ...
    assert t.loc["a", "risk_basis"] == summary.RISK_FROM_P_ALIVE      # ... and the table says so
    assert t.loc["a", "recommended_action"] == "retention call"
    assert t.loc["b", "recommended_action"].startswith("onboarding")
    assert t["churn_risk"].isna().all()                  # 05 did not publish: nothing filled in
    assert pd.isna(t.loc["a", "next_best_offer"])        # 06 did not publish
    assert list(t.reset_index().columns) == summary.ACTION_COLUMNS


def _failed_churn_run():
    """What a run publishes when 05_churn failed and 06 found offers for one customer only."""
    ids = [f"k{i}" for i in range(10)]
    stages = ["active"] * 6 + ["lost", "lost", "new", "active"]
    return {
        "02_lifecycle": pd.DataFrame({"customer_id": ids, "lifecycle_stage": stages}),
        "04_clv": pd.DataFrame({"customer_id": ids[:9], "p_alive": [0.95] * 9, "clv": [float(v) for v in range(1, 10)]}),
        "06_cross_up_sell": pd.DataFrame({"customer_id": ["k4"], "next_best_offer": ["mug"], "offer_reason": ["bought with"]}),
    }


def test_no_default_for_a_missing_clv_or_churn_risk():
    t = summary.action_table(_failed_churn_run()).set_index("customer_id")
    assert t["churn_risk"].isna().all()
    assert (t["risk_basis"].dropna() == summary.RISK_FROM_P_ALIVE).all()          # never silently derived
    assert t.loc["k9", "value_tier"] == "unknown"                                 # no CLV: no tier
    assert t.loc["k9", "risk_level"] == "unknown"                                 # neither churn risk nor P(alive)
    assert t.loc["k9", "recommended_action"] == "unknown: needs CLV and churn risk"
    assert set(t["value_tier"]) == {"high", "medium", "low", "unknown"}           # not everyone "high"
    lost = t["lifecycle_stage"].eq("lost")
    assert not t.loc[lost, "recommended_action"].isin(["loyalty care", "cross-sell next best offer"]).any()
    cross = t["recommended_action"].eq("cross-sell next best offer")
    assert list(t.index[cross]) == ["k4"] and t.loc[cross, "next_best_offer"].notna().all()


def test_without_any_risk_the_level_is_unknown():
    customers = {"04_clv": pd.DataFrame({"customer_id": ["a", "b"], "clv": [5.0, 50.0]})}
    t = summary.action_table(customers).set_index("customer_id")
    assert set(t["risk_level"]) == {"unknown"} and t["risk_basis"].isna().all()
    assert set(t["recommended_action"]) == {"unknown: needs churn risk"}
    assert summary.unknown_columns(customers)["churn_risk"] == "05_churn"
    assert "clv" not in summary.unknown_columns(customers)


STATUSES = [
    {"name": "01_data_cleaning", "status": "ok", "error": None, "blocked_by": [], "missing_tables": []},
    {"name": "05_churn", "status": "failed", "error": "RuntimeError: planted", "blocked_by": [], "missing_tables": []},
    {"name": "06_cross_up_sell", "status": "skipped", "error": "needs 05_churn", "blocked_by": ["05_churn"],
     "missing_tables": []},
    {"name": "08_campaigns", "status": "skipped", "error": "no exposures", "blocked_by": [], "missing_tables": ["exposures"]},
    {"name": "09_customer_voice", "status": "skipped", "error": "no feedback", "blocked_by": [], "missing_tables": ["feedback"]},
    {"name": "10_customer_profiles", "status": "skipped", "error": "no attributes", "blocked_by": [],
     "missing_tables": ["lines", "attributes"]},
    {"name": "12_validation", "status": "skipped", "error": "no lines", "blocked_by": [], "missing_tables": ["lines"]},
    {"name": "90_executive_summary", "status": "pending", "error": None, "blocked_by": [], "missing_tables": []},
]


def test_run_status_round_trip_and_notes(tmp_path):
    summary.write_run_status(tmp_path, STATUSES, complete=False)
    back = summary.read_run_status(tmp_path)
    assert back == STATUSES
    assert summary.read_run_status(tmp_path / "nothing") is None
    notes = summary.status_notes(back, before="90_executive_summary", language="en")
    assert [level for level, _ in notes] == ["alert", "alert", "note", "note", "note"]
    assert "05_churn failed (RuntimeError: planted)" in notes[0][1]
    assert "06_cross_up_sell was skipped: it needs 05_churn" in notes[1][1]
    assert notes[2][1] == "Skipped because this data has no exposures table (tables.exposures in the config): 08_campaigns."
    assert "no feedback table" in notes[3][1] and notes[3][1].endswith(": 09_customer_voice.")
    # one quiet line per missing table, however many notebooks it stopped
    assert notes[4][1] == "Skipped because this data has no sales lines: 10_customer_profiles, 12_validation."
    assert summary.status_notes(back, before="05_churn") == []        # a page speaks of those before it only
    assert len(summary.status_notes(back, before="06_cross_up_sell")) == 1
    tr = summary.status_notes(back, language="tr")
    assert "başarısız" in tr[0][1] and "atlandı" in tr[2][1]


def test_gaps_name_the_notebook_and_its_status():
    customers = {nb: df for nb, df in _failed_churn_run().items() if nb != "06_cross_up_sell"}
    g = summary.gaps(customers, STATUSES).set_index("notebook")
    assert g.loc["05_churn", "status"] == "failed" and g.loc["05_churn", "unknown_columns"] == "churn risk"
    assert g.loc["06_cross_up_sell", "status"] == "skipped"
    assert g.loc["03_segmentation", "status"] == "not in this run"
    assert "02_lifecycle" not in g.index
    assert summary.gaps(customers, None).set_index("notebook").loc["05_churn", "status"].startswith("not known")


def test_what_a_failed_notebook_published_is_not_used():
    published = {"04_clv": pd.DataFrame({"customer_id": ["a"]}), "05_churn": pd.DataFrame({"customer_id": ["a"]})}
    assert list(summary.usable(published, STATUSES)) == ["04_clv"]
    heads = pd.DataFrame({"notebook": ["04_clv", "05_churn"], "key": ["x", "y"]})
    assert list(summary.usable(heads, STATUSES)["notebook"]) == ["04_clv"]
    assert list(summary.usable(published, None)) == ["04_clv", "05_churn"]          # run by hand: all of it


def test_shown_path_never_points_into_the_temporary_run_folder(tmp_path):
    from helpers import paths

    out = tmp_path / "reports" / ".tmp-shop-20260101-101010" / "artefacts" / "90_executive_summary"
    assert summary.shown_path(out / "customer_actions.csv", out) == "artefacts/90_executive_summary/customer_actions.csv"
    assert summary.shown_path(out / "customer_actions.csv") == "artefacts/90_executive_summary/customer_actions.csv"
    final = tmp_path / "reports" / "shop-20260101-101010" / "artefacts" / "03_segmentation"
    assert summary.shown_path(final, final) == "artefacts/03_segmentation"
    assert summary.shown_path(final / "x.csv", str(final)) == "artefacts/03_segmentation/x.csv"
    inside = paths.PROCESSED / "shop-abc" / "exports" / "04_clv" / "clv.csv"
    assert summary.shown_path(inside) == "data/processed/shop-abc/exports/04_clv/clv.csv"
    assert summary.shown_path(inside, "") == "data/processed/shop-abc/exports/04_clv/clv.csv"
    beside = paths.SHARED_DATA / "cdnow" / "CDNOW_sample.txt"                # the folder configs name ../shared/data
    assert summary.shown_path(beside) == "../shared/data/cdnow/CDNOW_sample.txt"
    elsewhere = tmp_path / "exports" / "a.csv"
    assert summary.shown_path(elsewhere, tmp_path / "exports") == elsewhere.as_posix()   # no artefacts/ above it


def test_comparisons():
    now = pd.DataFrame({"key": ["r", "n"], "label": ["Retention", "New"], "value": [0.5, 120], "unit": ["%", "customers"],
                        "text": ["50.0 %", "120 customers"], "notebook": ["02", "02"]})
    prev = now.assign(value=[0.4, 100], text=["40.0 %", "100 customers"])
    d = summary.compare_headlines(now, prev).set_index("label")
    assert d.loc["Retention", "change_text"] == "10.0 %" and d.loc["New", "relative_change"] == pytest.approx(0.2)
    a = pd.DataFrame({"customer_id": ["x", "y", "z"], "rfm_segment": ["champions", "at risk", "new"],
                      "churn_risk": [0.1, 0.8, 0.9]})
    b = pd.DataFrame({"customer_id": ["x", "y"], "rfm_segment": ["loyal", "at risk"], "churn_risk": [0.2, 0.7]})
    m = summary.migrations(a, b, "rfm_segment")
    assert m.loc["loyal", "champions"] == 1 and m.values.sum() == 2
    assert list(summary.new_at_risk(a, b)["customer_id"]) == ["z"]    # y was already at risk


class TestAtRisk:
    def _table(self, levels, basis, clv):
        return pd.DataFrame({"risk_level": levels, "risk_basis": basis, "clv": clv})

    def test_churn_model_risks_count_under_their_own_key(self):
        got = summary.at_risk(self._table(["high", "low", "high"], [summary.RISK_FROM_CHURN_MODEL] * 3,
                                          [10.0, 5.0, float("nan")]))
        assert got == {"key": "customers_at_risk", "customers": 2, "stake": 10.0, "unvalued": 1}

    def test_p_alive_risks_are_another_number_and_no_risk_is_not_zero(self):
        got = summary.at_risk(self._table(["high", "low"], [summary.RISK_FROM_CHURN_MODEL, summary.RISK_FROM_P_ALIVE],
                                          [3.0, 4.0]))
        assert got["key"] == "customers_at_risk_p_alive" and got["customers"] == 1 and got["stake"] == 3.0
        none = summary.at_risk(self._table(["unknown", "unknown"], [None, None], [3.0, 4.0]))
        assert math.isnan(none["customers"]) and math.isnan(none["stake"])
