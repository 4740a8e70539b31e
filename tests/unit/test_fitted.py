"""One run, one model of each kind (helpers.fitted): fitted once per data and settings, read back after, refitted
only when its own settings change; the runner fits them once and every notebook names the artefact it read."""
from __future__ import annotations

import ast
import json
import logging
import shutil
import threading

import numpy as np
import pandas as pd
import pytest

from helpers import fitted, pipeline
from helpers.config import load_config, parse_override
from helpers.models import clv
from helpers.runner import execute
from helpers.runner import run as report
from tests.fixtures import TINY

pytestmark = pytest.mark.slow


def _private(prep: pipeline.Prepared, tmp_path, *, models: bool = False) -> pipeline.Prepared:
    """``prep`` with its tables copied into ``tmp_path``: its ``models`` folder belongs to this test alone (empty,
    or with ``models=True`` a copy of ``prep``'s)."""
    folder = tmp_path / prep.folder.name
    shutil.copytree(prep.folder, folder, ignore=shutil.ignore_patterns(*(() if models else ("models",)), "exports"))
    return pipeline.Prepared(prep.config, folder, prep.meta)


@pytest.fixture(scope="module")
def tiny():
    return pipeline.open_run(TINY, progress=False)


@pytest.fixture
def prep(tiny, tmp_path):
    """The tiny shop with no model fitted yet."""
    return _private(tiny, tmp_path)


@pytest.fixture(scope="module")
def run_models(tiny, tmp_path_factory):
    """The tiny shop with the run's shared models fitted (once per module: the CLV tournament takes seconds)."""
    prep = _private(tiny, tmp_path_factory.mktemp("run_models"))
    fitted.fit_run_models(prep)
    return prep


@pytest.fixture
def fitted_prep(run_models, tmp_path):
    """:func:`run_models` copied with its models into this test's folder, for tests that start from a fitted run."""
    return _private(run_models, tmp_path, models=True)


def _fitted_since(n: int) -> list[str]:
    return [kind for kind, _folder in fitted.FITTED[n:]]


def test_a_model_is_fitted_once_and_read_back_with_the_same_numbers(prep):
    n = len(fitted.FITTED)
    first = fitted.clv_fits(prep)
    again = fitted.clv_fits(prep)
    # model "auto" reads the tournament (with its calibration/holdout fit) first; the CLV model itself is fitted once
    assert [k for k in _fitted_since(n) if k == "clv"] == ["clv"]
    assert set(_fitted_since(n)) <= {"clv", "clv_holdout", "clv_tournament"}
    assert first.purchase.values == again.purchase.values and first.spend.values == again.spend.values
    # the same estimates as fitting the prepared customer summary directly (an independent call of the model)
    model = fitted.chosen_clv(prep)[0]                  # what "auto" resolved to on this data
    direct = clv.fit_models(prep.read("customers_btyd"), model=model, time_unit=prep.meta["time_unit"])
    for k, v in direct.purchase.values.items():
        assert again.purchase.values[k] == pytest.approx(v, rel=1e-9)
    art = fitted.artefact(prep, "clv", fitted.clv_settings(model=model, time_unit=prep.meta["time_unit"]))
    meta = json.loads((art.folder / "meta.json").read_text())
    assert meta["fingerprint"] == prep.fingerprint and meta["kind"] == "clv"
    params = pd.read_csv(art.folder / "params.csv", index_col=0)
    assert params.loc["r", "estimate"] == pytest.approx(again.purchase.values["r"])


def test_the_stored_scores_are_the_models_customer_values(fitted_prep):
    scores = fitted.clv_scores(fitted_prep, horizon_months=6, discount_rate=0.05)
    fits = fitted.clv_fits(fitted_prep)
    direct = clv.customer_value(fits.purchase, fits.spend, fitted_prep.read("customers_btyd"), horizon_months=6,
                                discount_rate=0.05, time_unit=fitted_prep.meta["time_unit"])
    np.testing.assert_allclose(scores["clv"].to_numpy(), direct["clv"].to_numpy(), rtol=1e-12)
    settings = fitted.clv_settings(model=fitted.chosen_clv(fitted_prep)[0], time_unit=fitted_prep.meta["time_unit"])
    stored = pd.read_parquet(fitted.artefact(fitted_prep, "clv_scores", {
        **settings, "horizon_months": 6.0, "discount_rate": 0.05}).folder / "scores.parquet")
    assert stored["customer_id"].tolist() == scores["customer_id"].tolist()
    np.testing.assert_allclose(stored["p_alive"].to_numpy(), direct["p_alive"].to_numpy(), rtol=1e-12)
    assert scores.attrs["purchase_source"].step == fits.purchase.step


def test_changing_one_setting_refits_that_model_only(fitted_prep):
    prep = fitted_prep
    for folder in (prep.folder / "models").glob("rfm-*"):   # RFM is fitted below, once though asked twice
        shutil.rmtree(folder)
    fitted.clv_scores(prep)
    fitted.clv_holdout(prep)
    clv_pickle = next((prep.folder / "models").glob("clv-*")) / "fit.pkl"
    mtime = clv_pickle.stat().st_mtime_ns
    n = len(fitted.FITTED)
    fitted.clv_scores(prep, horizon_months=3)          # another horizon: new scores, the same fit
    fitted.clv_holdout(prep, holdout_months=3)         # another holdout: a new calibration fit only
    fitted.rfm_segments(prep)
    fitted.rfm_segments(prep)
    assert _fitted_since(n) == ["clv_scores", "clv_holdout", "rfm"]
    assert clv_pickle.stat().st_mtime_ns == mtime
    kinds = sorted(p.name.split("-")[0] for p in (prep.folder / "models").iterdir())
    # model "auto": the tournament and its 6-month BG/NBD holdout fit, and the chosen model's own 6-month holdout
    # fit when the tournament chose another model
    holdouts = 2 + (fitted.chosen_clv(prep)[0] != "bgnbd")
    assert kinds == ["clv", *["clv_holdout"] * holdouts, "clv_scores", "clv_scores", "clv_tournament", "rfm"]


def test_the_run_settings_come_from_notebook_04s_parameters(tiny, tmp_path):
    """A setting not given is the run's: the config's ``notebooks.04_clv`` values, else 04's defaults."""
    defaults = execute.parameters(report.notebook_path("04_clv"))
    assert {k: ast.literal_eval(defaults[k]["default"]) for k in fitted.CLV_PARAMETERS} == fitted.CLV_PARAMETERS
    cfg = load_config(TINY, [parse_override("notebooks.04_clv.time_unit=D"),
                             parse_override("notebooks.04_clv.horizon_months=6")])
    prep = _private(pipeline.Prepared(cfg, tiny.folder, tiny.meta), tmp_path)
    assert prep.meta["time_unit"] != "D"
    fits = fitted.clv_fits(prep)
    assert fits.purchase.time_unit == "D"
    scores = fitted.clv_scores(prep)
    assert scores.attrs["horizon_months"] == 6 and scores.attrs["time_unit"] == "D"
    assert fitted.USED["clv"].startswith("clv-") and (prep.folder / "models" / fitted.USED["clv"]).is_dir()


def test_an_unreadable_artefact_is_fitted_again_with_a_warning(prep, caplog):
    first = fitted.rfm_segments(prep)
    pickle = next((prep.folder / "models").glob("rfm-*")) / "fit.pkl"
    pickle.write_bytes(pickle.read_bytes()[:20])        # truncated, as by a full disk
    n = len(fitted.FITTED)
    with caplog.at_level(logging.WARNING, logger="helpers.fitted"):
        again = fitted.rfm_segments(prep)
    assert _fitted_since(n) == ["rfm"]
    assert "cannot be read back" in caplog.text and "rfm" in caplog.text
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True))


def test_two_processes_fitting_the_same_model_leave_one_artefact(prep):
    results = []
    threads = [threading.Thread(target=lambda: results.append(fitted.clv_fits(prep).purchase.values)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    # no temporary folder left; model "auto" stored the tournament and its holdout fit beside the CLV fit
    assert sorted(p.name.split("-")[0] for p in (prep.folder / "models").iterdir()) == ["clv", "clv_holdout",
                                                                                        "clv_tournament"]


def test_bad_settings_are_a_message_not_a_default(fitted_prep):
    scores, why = fitted.attempt(fitted.clv_scores, fitted_prep, horizon_months=0)
    assert scores is None and "horizon_months = 0" in why and "ClvInputError" in why
    with pytest.raises(ValueError, match="unknown model kind 'kmeans'"):
        fitted.artefact(fitted_prep, "kmeans", {})


def test_the_runner_fits_once_and_every_notebook_names_what_it_read(tmp_path):
    """Two runs of 04 and 12 on the tiny shop: the runner fits the shared models beside the first notebooks, both
    notebooks name the same CLV holdout artefact as run.json; a second run that changes a display parameter and
    the holdout length reads the CLV fit again and refits the holdout fit only."""
    out = tmp_path / "reports"
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress",
                        "--notebooks", "04", "12", "--set", "notebooks.04_clv.model=bgnbd"]) == 0
    run1 = json.loads((out / "latest" / "run.json").read_text())
    models1 = {m["kind"]: m for m in run1["models"]}
    assert set(models1) == {"clv", "clv_scores", "clv_holdout", "clv_tournament", "rfm"}
    used = {nb: json.loads((out / "latest" / "artefacts" / nb / "models.json").read_text())
            for nb in ("04_clv", "12_validation")}
    assert used["04_clv"]["clv"] == models1["clv"]["artefact"]
    assert used["04_clv"]["clv_holdout"] == used["12_validation"]["clv_holdout"] == models1["clv_holdout"]["artefact"]
    prep = pipeline.open_run(TINY, progress=False)
    three = fitted.artefact(prep, "clv_holdout", {"holdout_months": 3.0, "model": "bgnbd",
                                                  "time_unit": prep.meta["time_unit"], "seed": 42})
    shutil.rmtree(three.folder, ignore_errors=True)       # an earlier session may have left it
    # the model is pinned: with "auto" another holdout may change the tournament's choice, and so the CLV fit
    assert report.main(["--config", str(TINY), "--reports-dir", str(out), "--no-progress", "--notebooks", "04",
                        "--set", "notebooks.04_clv.model=bgnbd", "--set", "notebooks.04_clv.action_list_size=50",
                        "--set", "notebooks.04_clv.holdout_months=3"]) == 0
    run2 = json.loads((out / "latest" / "run.json").read_text())
    models2 = {m["kind"]: m for m in run2["models"]}
    assert run2["notebooks"][0]["reused_from"] is None
    assert models2["clv"] == {**models1["clv"], "fitted": False, "seconds": models2["clv"]["seconds"]}
    assert models2["clv_holdout"]["fitted"] and models2["clv_holdout"]["artefact"] == three.folder.name
    assert json.loads((out / "latest" / "artefacts" / "04_clv" / "models.json").read_text())["clv_holdout"] == three.folder.name


def test_the_run_stage_checks_stored_models_without_reading_them(fitted_prep, monkeypatch):
    first = fitted.fit_run_models(fitted_prep)
    assert {r["kind"] for r in first} == {"clv", "clv_scores", "clv_holdout", "clv_tournament", "rfm"}
    import cloudpickle

    real = cloudpickle.loads

    def only_the_choice(data):
        read = real(data)
        # model "auto" needs the tournament's choice (tables only, no pymc); a CLV fit would import pymc-marketing
        assert type(read).__name__ == "Tournament", "a stored fit was read back"
        return read

    monkeypatch.setattr(cloudpickle, "loads", only_the_choice)
    again = fitted.fit_run_models(fitted_prep)
    assert [(r["kind"], r["artefact"], r["fitted"]) for r in again] == [(r["kind"], r["artefact"], False) for r in first]


def test_stored_scores_are_read_without_the_fit_behind_them(fitted_prep):
    scores = fitted.clv_scores(fitted_prep)
    clv_folder = fitted_prep.folder / "models" / fitted.USED["clv"]
    (clv_folder / "fit.pkl").unlink()                      # the fit is not needed to read the scores
    n = len(fitted.FITTED)
    again = fitted.clv_scores(fitted_prep)
    assert _fitted_since(n) == []
    pd.testing.assert_frame_equal(again, scores)
    assert fitted.USED["clv"] == clv_folder.name
    # a new horizon needs the fit: it is fitted again (its fit.pkl is gone), then the new scores
    fitted.clv_scores(fitted_prep, horizon_months=3)
    assert _fitted_since(n) == ["clv", "clv_scores"]
