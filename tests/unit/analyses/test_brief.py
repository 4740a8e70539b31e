"""The brief's content: KPIs with change and trend from the history, the Monday list ranked by expected CLV x risk,
top_n above the list, and findings built from the run's numbers."""
from __future__ import annotations

import math

import pandas as pd

from helpers.analyses import brief
from helpers.analyses import history as hist


def _headlines(customers, retention, stake=None):
    rows = [{"key": "customers", "label": "Customers", "value": customers, "unit": "customers",
             "text": f"{customers:,} customers", "notebook": "01_data_cleaning"},
            {"key": "retention_rate", "label": "Retention", "value": retention, "unit": "%",
             "text": f"{retention * 100:.1f} %", "notebook": "02_lifecycle"},
            {"key": "campaign_response_rate", "label": "Response", "value": float("nan"), "unit": "%",
             "text": "n/a", "notebook": "08_campaigns"}]
    if stake is not None:
        rows.append({"key": "revenue_at_stake", "label": "At stake", "value": stake, "unit": "GBP",
                     "text": f"{stake:,.0f} GBP", "notebook": "90_executive_summary"})
    return pd.DataFrame(rows)


def _history(*runs):
    parts = [hist.headline_rows(_headlines(c, r), config="shop", run=name, analysis_end=end,
                                recorded=pd.Timestamp("2026-01-01").to_pydatetime()) for name, end, c, r in runs]
    return hist.merged(hist.empty(), pd.concat(parts, ignore_index=True))


def test_kpis_take_change_and_trend_from_the_history_and_leave_out_what_is_not_measured():
    history = _history(("a", "2024-06-30", 100, 0.30), ("b", "2024-09-30", 120, 0.25), ("c", "2024-12-31", 150, 0.35))
    kpis = brief.kpis(_headlines(150, 0.35), history, "c")
    assert [k.key for k in kpis] == ["customers", "retention_rate"]            # response is NaN: left out
    customers, retention = kpis
    assert customers.trend == [100, 120, 150] and customers.change == 30 and customers.text == "150 customers"
    assert math.isclose(retention.change, 0.10) and retention.notebook == "02_lifecycle"
    assert brief.change_text(retention.change, "%", "en") == "+10.0 pp"
    assert brief.change_text(-30, "customers", "en").startswith("−30")
    assert brief.change_text(float("nan"), "%", "en") == "no earlier analysis date"


def test_kpis_of_a_first_run_have_no_change_and_a_one_point_trend():
    history = _history(("only", "2024-06-30", 100, 0.30))
    kpis = brief.kpis(_headlines(100, 0.30), history, "only")
    assert all(math.isnan(k.change) for k in kpis) and kpis[0].trend == [100]


def _actions():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "clv": [1000.0, 500.0, 2000.0, 300.0, None, 800.0],
        "churn_risk": [0.2, 0.9, None, 0.5, 0.9, 0.1],
        "p_alive": [0.9, 0.2, 0.25, 0.6, 0.1, 0.95],
        "recommended_action": ["loyalty care", "win-back offer", "retention call", "cross-sell next best offer",
                               "retention call", "no contact"],
        "rfm_segment": ["Champions"] * 6, "next_best_offer": [None] * 6,
    })


def test_the_monday_list_ranks_contact_actions_by_clv_times_risk():
    shown, available = brief.monday_list(_actions(), 3)
    # c: 2000 x (1 - 0.25) = 1500 (no churn risk: 1 - P(alive)); b: 500 x 0.9 = 450; a: 1000 x 0.2 = 200;
    # d: 300 x 0.5 = 150; e has no CLV (last); f is "no contact" (not on the list)
    assert shown["customer_id"].tolist() == ["c", "b", "a"] and available == 5
    assert shown["value_of_acting"].tolist() == [1500.0, 450.0, 200.0]


def test_top_n_larger_than_the_list_shows_every_customer_to_contact():
    shown, available = brief.monday_list(_actions(), 500)
    assert len(shown) == available == 5 and shown["customer_id"].iloc[-1] == "e"
    assert math.isnan(shown["value_of_acting"].iloc[-1])


def test_findings_are_sentences_from_the_numbers_with_the_notebook_that_proves_them():
    history = _history(("a", "2024-06-30", 100, 0.30), ("b", "2024-09-30", 120, 0.25))
    found = brief.findings(_headlines(120, 0.25, stake=4321.0), history, "b", language="en")
    assert found[0] == ("4,321 GBP of expected customer value sits with customers at high risk of leaving.", "90_executive_summary")
    assert found[1] == ("Retention from one period to the next is 25.0 % (−5.0 pp since the previous run).", "02_lifecycle")
    assert len(found) == 2                                                       # response rate is n/a
    tr = brief.findings(_headlines(120, 0.25, stake=4321.0), history, "b", language="tr")
    assert tr[0][0] != found[0][0] and "4,321 GBP" in tr[0][0]


def test_a_run_without_a_clv_model_shows_its_historical_margin_as_such():
    """04 publishes the historical gross margin under its own keys when no CLV model could be fitted: the brief's
    KPI is that total, its finding names the historical margin, and no sentence speaks of a predicted CLV."""
    margin = pd.DataFrame([
        {"key": "margin_total", "label": "Historical gross margin, all customers", "value": 49950.0, "unit": "GBP",
         "text": "49,950 GBP", "notebook": "04_clv"},
        {"key": "margin_top20_share", "label": "Share of gross margin held by the top 20 % of customers",
         "value": 0.564, "unit": "%", "text": "56.4 %", "notebook": "04_clv"}])
    headlines = pd.concat([_headlines(250, 0.0), margin], ignore_index=True)
    history = hist.merged(hist.empty(), hist.headline_rows(headlines, config="shop", run="r", analysis_end="2011-12-06",
                                                           recorded=pd.Timestamp("2026-01-01").to_pydatetime()))
    kpis = {k.key: k for k in brief.kpis(headlines, history, "r")}
    assert kpis["margin_total"].text == "49,950 GBP" and kpis["margin_total"].notebook == "04_clv"
    found = brief.findings(headlines, history, "r", language="en")
    said = [text for text, nb in found if nb == "04_clv"]
    assert said == ["The 20 % most valuable customers so far hold 56.4 % of the historical gross margin "
                    "(no CLV model could be fitted)."]
    assert not any("predicted CLV" in text for text, _nb in found)
    assert all("kurulamadı" in t for t, nb in brief.findings(headlines, history, "r", language="tr") if nb == "04_clv")


def test_read_actions_reads_the_executive_summary_export(tmp_path):
    assert brief.read_actions(tmp_path) is None
    (tmp_path / "90_executive_summary").mkdir()
    _actions().to_parquet(tmp_path / brief.ACTIONS_FILE)
    assert brief.read_actions(tmp_path)["customer_id"].tolist() == list("abcdef")
