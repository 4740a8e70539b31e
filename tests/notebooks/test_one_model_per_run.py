"""One run, one model of each kind: every page of a batch shows the same CLV total, the same customers at risk and
the same segment sizes, because every notebook read the models the runner fitted once (helpers.fitted).

Reads the session's English batch (``english_batch``, tests/notebooks/conftest.py): no batch of its own.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


pytestmark = pytest.mark.slow

#: The notebooks that read the run's CLV model, and the model kinds each must name in its ``models.json``.
READERS = {"03_segmentation": {"rfm"}, "04_clv": {"clv", "clv_holdout"}, "05_churn": {"clv"},
           "08_campaigns": {"clv", "clv_scores"}, "10_customer_profiles": {"clv", "clv_scores"},
           "12_validation": {"clv_holdout"}}


def _artefacts(run: Path, stem: str) -> Path:
    return run / "artefacts" / stem


def _headline(run: Path, stem: str) -> dict:
    return {h["key"]: h for h in json.loads((_artefacts(run, stem) / "headline.json").read_text(encoding="utf-8"))}


def check_one_model_per_run(run: Path) -> dict:
    """The assertions, on a finished run folder; returns the numbers compared (for the failure messages)."""
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert meta["ok"], [(n["name"], n["status"], n.get("error")) for n in meta["notebooks"]]
    shared = {m["kind"]: m["artefact"] for m in meta["models"]}
    assert set(shared) >= {"clv", "clv_scores", "clv_holdout", "rfm"}, meta["models"]
    # every notebook read the artefact the runner fitted, none fitted a model of its own with other settings
    for stem, kinds in READERS.items():
        used = json.loads((_artefacts(run, stem) / "models.json").read_text(encoding="utf-8"))
        assert kinds <= set(used), (stem, used)
        assert {k: used[k] for k in kinds} == {k: shared[k] for k in kinds}, (stem, used, shared)

    # the CLV total: 04's headline, 04's customer table, the action table behind the executive summary
    clv04 = pd.read_csv(_artefacts(run, "04_clv") / "customer_clv.csv", dtype={"customer_id": str})
    actions = pd.read_csv(_artefacts(run, "90_executive_summary") / "customer_actions.csv", dtype={"customer_id": str})
    total = _headline(run, "04_clv")["clv_total"]
    assert total["value"] == pytest.approx(clv04["clv"].sum(), rel=1e-9)
    assert actions["clv"].sum() == pytest.approx(total["value"], rel=1e-9)
    pages = {stem: (run / f"{stem}.business.html").read_text(encoding="utf-8") for stem in ("04_clv", "90_executive_summary")}
    for stem, page in pages.items():
        assert total["text"] in page, (stem, total["text"])
    # 05's value at stake is the same model's CLV if kept: CLV / P(alive), P(alive) floored at 0.01
    scores05 = pd.read_csv(_artefacts(run, "05_churn") / "churn_scores.csv", dtype={"customer_id": str})
    both = scores05.merge(clv04, on="customer_id", suffixes=("", "_04"))
    assert len(both) == len(scores05) > 0
    np.testing.assert_allclose(both["value"], both["clv"] / both["p_alive"].clip(lower=0.01), rtol=1e-9)

    # customers at risk: 05's count of active customers at 50 % churn risk or more is the action table's
    high05 = _headline(run, "05_churn")["high_risk_customers"]["value"]
    risk = pd.to_numeric(actions["churn_risk"], errors="coerce")
    assert int((risk >= 0.5).sum()) == high05

    # segment sizes: 03's profile, 03's customer table and the action table
    profile = pd.read_csv(_artefacts(run, "03_segmentation") / "segments_profile.csv").set_index("segment")["customers"]
    counts = actions["rfm_segment"].value_counts()
    assert {s: int(n) for s, n in profile.items() if n} == {s: int(n) for s, n in counts.items()}
    return {"clv_total": total["value"], "at_risk": high05, "segments": profile.to_dict()}


def test_every_page_shows_the_same_clv_total_at_risk_count_and_segment_sizes(english_batch):
    check_one_model_per_run(english_batch.run)
