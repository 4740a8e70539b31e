"""One run, one model of each kind: the models several notebooks share, fitted once and stored beside the prepared data.

The batch's notebooks used to fit the same BG/NBD + Gamma-Gamma model again and again (04, 05's value
at stake, 08's CLV tiers, 12's holdout check, 13's retention curve), so one run could show different
numbers for one quantity. Here each shared model is fitted once per data fingerprint and model
settings, written as an artefact, and read back by every notebook that asks for it with the same
settings:

=====================  ==========================================================================
kind                   what it is, who reads it
=====================  ==========================================================================
``clv``                BG/NBD (or Pareto/NBD) + Gamma-Gamma on the whole window (``customers_btyd``),
                       through the CLV recovery chains (:func:`helpers.models.clv.fit_models`): 04, 05,
                       08, 12, 13
``clv_scores``         per customer: P(alive), expected purchases and spend, CLV over a horizon at a
                       discount rate (margin 1: revenue), from the ``clv`` fit: 04, 05, 08, 90 (via 04)
``clv_holdout``        the calibration/holdout fit and its comparison with what happened
                       (:func:`helpers.models.clv.validate`): 04, 12
``clv_tournament``     the CLV model tournament on the ``clv_holdout`` split (:func:`helpers.models.clv.tournament.run`):
                       its table and the chosen model, which sets the CLV of the action table: 04b, 90
``rfm``                RFM scores and segments (:func:`helpers.models.segments.rfm_scores`): 03, 08, 10
``complaint_hazard``   BG/NBD with a complaint factor on the dropout hazard
                       (:func:`helpers.models.voice.fit_complaint_hazard`): 09, and 12's check against the
                       planted factor; fitted by whichever notebook asks first, not by the runner
=====================  ==========================================================================

An artefact lives in ``<prepared folder>/models/<kind>-<key>/``: ``fit.pkl`` (the fitted object,
cloudpickle: read back only from this folder, which the project wrote), ``meta.json`` (kind, settings,
data fingerprint, code version, seconds taken, when), and, where the kind has them, ``params.csv``
(the parameter table) and ``scores.parquet`` (one row per customer). The key hashes the data
fingerprint, the kind, its settings and the code of the model package, so changing a notebook's
display refits nothing, and changing one model's setting refits that model only. Writes are atomic
(a temporary folder renamed into place); when two processes fit the same artefact at once, the first
rename wins and both read the same files after. An artefact that cannot be read back (a truncated
file) is fitted again, with a warning in the log: never a default value.

The batch runner fits them all before the notebooks that read them start (:func:`fit_run_models`,
with the settings of notebook 04's parameters); a notebook run by hand fits what it asks for on first
use and stores it the same way. The runner only checks that a stored artefact is there
(:class:`Unread`): reading a CLV fit back imports pymc-marketing, about 7 s of CPU, which only the
notebooks that use the fit pay. For the same reason the per-customer ``clv_scores`` read the ``clv`` fit
only when they have to be computed.
"""
from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import paths
from helpers.pipeline import Prepared

LOG = logging.getLogger("helpers.fitted")
#: Bumped when what an artefact holds changes shape.
STORE_VERSION = "1"
#: The artefact kinds, in the order :func:`fit_run_models` fits them.
KINDS = ("clv", "clv_scores", "clv_holdout", "clv_tournament", "rfm", "complaint_hazard")
#: Notebook 04's parameters that set the shared CLV models, with the defaults a run uses when 04 has none.
CLV_PARAMETERS = {"model": "auto", "fit_method": "map", "mcmc_draws": 1000, "time_unit": "",
                  "horizon_months": 12, "discount_rate": 0.10, "holdout_months": 6}


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code a fitted model depends on: the model and feature packages and this module."""
    h = hashlib.sha256(STORE_VERSION.encode())
    files = [*sorted((paths.PACKAGE / "models").rglob("*.py")), *sorted((paths.PACKAGE / "features").rglob("*.py")),
             Path(__file__)]
    for p in files:
        h.update(p.relative_to(paths.PACKAGE).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def artefact_key(fingerprint: str, kind: str, settings: dict) -> str:
    """What an artefact depends on: the data fingerprint, the kind, its settings and :func:`code_version`."""
    payload = json.dumps({"fingerprint": fingerprint, "kind": kind, "settings": settings, "code": code_version()},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Artefact:
    """Where one fitted model lives and what it was fitted with."""

    kind: str
    settings: dict
    folder: Path

    @property
    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    def exists(self) -> bool:
        return (self.folder / "meta.json").is_file()


def artefact(prep: Prepared, kind: str, settings: dict) -> Artefact:
    """The artefact of ``kind`` with ``settings`` for the prepared data ``prep`` (it may not exist yet)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; the kinds are {', '.join(KINDS)}")
    return Artefact(kind, dict(settings), prep.folder / "models" / f"{kind}-{artefact_key(prep.fingerprint, kind, settings)}")


#: (kind, folder name) of every artefact this process fitted (not read back): the runner's log and the tests read it.
FITTED: list[tuple[str, str]] = []
#: True while :func:`fit_run_models` runs: :func:`stored` then hands back an :class:`Unread` for an artefact that exists.
CHECK_ONLY = contextvars.ContextVar("fitted_check_only", default=False)
#: The artefact folder of each kind this process fitted or read: a notebook publishes it beside its headline
#: numbers (``models.json``, :func:`helpers.analyses.headlines.publish`), so a run shows which model each page used.
USED: dict[str, str] = {}


def _write(art: Artefact, obj, seconds: float, params: pd.DataFrame | None, scores: pd.DataFrame | None,
           fingerprint: str) -> None:
    import cloudpickle

    art.folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{art.folder.name}-", dir=art.folder.parent))
    try:
        (tmp / "fit.pkl").write_bytes(cloudpickle.dumps(obj))
        if params is not None:
            params.to_csv(tmp / "params.csv")
        if scores is not None:
            plain = scores.copy()
            plain.attrs = {}               # the fits' sources stay in fit.pkl: parquet metadata holds JSON only
            plain.to_parquet(tmp / "scores.parquet", index=False)
        (tmp / "meta.json").write_text(json.dumps({
            "kind": art.kind, "settings": art.settings, "fingerprint": fingerprint, "code": code_version(),
            "seconds": round(seconds, 3), "fitted": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2, default=str),
            encoding="utf-8")
        try:
            tmp.rename(art.folder)
        except OSError:                      # another process stored the same artefact first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read(art: Artefact):
    import warnings

    import cloudpickle

    # reading a fit imports pymc-marketing, pymc and tqdm, whose import-time warnings are no reader's business
    # (the fit itself imports them quietly: helpers.models.pymc_tools.pymc_clv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cloudpickle.loads((art.folder / "fit.pkl").read_bytes())


class Unread:
    """A stored artefact that :func:`fit_run_models` found and did not read: the object is read from ``fit.pkl``
    on the first attribute asked for (when a model that depends on it has to be fitted)."""

    def __init__(self, art: Artefact):
        self.artefact = art

    @functools.cached_property
    def stored_object(self):
        return _read(self.artefact)

    def __getattr__(self, name: str):
        return getattr(self.stored_object, name)


def stored(prep: Prepared, kind: str, settings: dict, fit: Callable[[], object], *,
           params: Callable[[object], pd.DataFrame | None] = lambda obj: None,
           scores: Callable[[object], pd.DataFrame | None] = lambda obj: None):
    """The object of ``kind`` with ``settings``: read from its artefact, or made by ``fit()`` and stored.

    ``params`` and ``scores`` turn the object into the artefact's ``params.csv`` and ``scores.parquet``.
    An artefact that cannot be read back is fitted again (logged as a warning).
    """
    art = artefact(prep, kind, settings)
    USED[kind] = art.folder.name
    if art.exists() and CHECK_ONLY.get() and (art.folder / "fit.pkl").is_file():
        return Unread(art)
    if art.exists():
        try:
            return _read(art)
        except Exception as exc:            # a truncated or foreign file: fit again, never a default
            LOG.warning("%s: the stored %s model cannot be read back (%s: %s); fitting it again",
                        art.folder, kind, type(exc).__name__, exc)
            shutil.rmtree(art.folder, ignore_errors=True)
    t0 = time.time()
    obj = fit()
    seconds = time.time() - t0
    _write(art, obj, seconds, params(obj), scores(obj), prep.fingerprint)
    FITTED.append((kind, art.folder.name))
    LOG.info("fitted %s in %.1f s: %s", kind, seconds, art.folder)
    return obj


# --------------------------------------------------------------------------------------------------
# the shared models
# --------------------------------------------------------------------------------------------------
def _unit(prep: Prepared, time_unit: str | None) -> str:
    return time_unit or prep.meta["time_unit"]


def btyd_summary(prep: Prepared, time_unit: str | None = None) -> pd.DataFrame:
    """The customers' frequency, recency, T and mean spend in ``time_unit`` (the prepared table when it is
    the run's unit)."""
    unit = _unit(prep, time_unit)
    if unit == prep.meta["time_unit"]:
        return prep.read("customers_btyd")
    from helpers.features import customers
    from helpers.io import engine

    con = engine.connect(prep.config.engine)
    return customers.btyd_summary(prep.table(con), observation_end=prep.end, time_unit=unit).execute()


def clv_settings(*, model: str = "bgnbd", method: str = "map", draws: int = 1000, time_unit: str = "",
                 seed: int = 42) -> dict:
    """The settings of the ``clv`` fit (MCMC draws count only for ``method="mcmc"``)."""
    return {"model": model, "method": method, "draws": int(draws) if method == "mcmc" else None,
            "time_unit": time_unit, "seed": seed}


def run_settings(parameters: dict) -> dict:
    """:data:`CLV_PARAMETERS` updated with notebook 04's ``parameters`` (the config's ``notebooks.04_clv``)."""
    return {k: parameters.get(k, v) for k, v in CLV_PARAMETERS.items()}


def run_clv_settings(prep: Prepared) -> dict:
    """The run's CLV settings: :data:`CLV_PARAMETERS` with the config's ``notebooks.04_clv`` values."""
    return run_settings(prep.config.notebooks.get("04_clv", {}))


def _resolve(prep: Prepared, model, method, draws, time_unit) -> tuple:
    """Each CLV setting given, or the run's (:func:`run_clv_settings`); model ``"auto"`` is the tournament's
    choice (:func:`chosen_clv`)."""
    s = run_clv_settings(prep)
    model = model or s["model"]
    if model == "auto":
        model = chosen_clv(prep)[0]
    return (model, method or s["fit_method"], int(draws or s["mcmc_draws"]),
            _unit(prep, time_unit or s["time_unit"]))


def clv_fits(prep: Prepared, *, model: str | None = None, method: str | None = None, draws: int | None = None,
             time_unit: str | None = None, seed: int = 42):
    """The purchase and spend models on the whole window (:func:`helpers.models.clv.fit_models` on
    :func:`btyd_summary`), fitted once per data and settings; a setting not given is the run's (notebook
    04's, :func:`run_clv_settings`). Returns a ``clv.ClvFits``."""
    from helpers.models import clv

    model, method, draws, unit = _resolve(prep, model, method, draws, time_unit)
    settings = clv_settings(model=model, method=method, draws=draws, time_unit=unit, seed=seed)

    def fit():
        extra = {"draws": draws, "tune": draws} if method == "mcmc" else {}
        return clv.fit_models(btyd_summary(prep, unit), model=model, method=method, time_unit=unit,
                              random_seed=seed, **extra)

    return stored(prep, "clv", settings, fit, params=lambda f: pd.concat(
        [x.params.assign(step=x.step) for x in (f.purchase, f.spend) if x is not None]))


def clv_scores(prep: Prepared, *, horizon_months: float | None = None, discount_rate: float | None = None,
               model: str | None = None, method: str | None = None, draws: int | None = None,
               time_unit: str | None = None, seed: int = 42) -> pd.DataFrame:
    """Per customer, from :func:`clv_fits`: P(alive), expected purchases and spend, and the CLV over
    ``horizon_months`` at the yearly ``discount_rate``, margin 1 (revenue: a notebook multiplies by its
    margin). Columns as :func:`helpers.models.clv.customer_value`; ``attrs`` hold ``purchase_source`` and
    ``spend_source``. A setting not given is the run's."""
    from helpers.models import clv

    model, method, draws, unit = _resolve(prep, model, method, draws, time_unit)
    run = run_clv_settings(prep)
    horizon = run["horizon_months"] if horizon_months is None else horizon_months
    rate = run["discount_rate"] if discount_rate is None else discount_rate
    fit_settings = clv_settings(model=model, method=method, draws=draws, time_unit=unit, seed=seed)
    settings = {**fit_settings, "horizon_months": float(horizon), "discount_rate": float(rate)}

    def fit():
        fits = clv_fits(prep, model=model, method=method, draws=draws, time_unit=unit, seed=seed)
        value = clv.customer_value(fits.purchase, fits.spend, btyd_summary(prep, unit), horizon_months=horizon,
                                   discount_rate=rate, time_unit=unit)
        value["customer_id"] = value["customer_id"].astype("string")
        value.attrs.update(purchase_source=fits.purchase.source, spend_source=fits.spend.source)
        return value

    value = stored(prep, "clv_scores", settings, fit, scores=lambda v: v)
    USED.setdefault("clv", artefact(prep, "clv", fit_settings).folder.name)     # the fit behind the scores
    return value


def clv_holdout(prep: Prepared, *, holdout_months: float | None = None, model: str | None = None,
                time_unit: str | None = None, seed: int = 42):
    """The calibration/holdout validation (:func:`helpers.models.clv.validate`, MAP), fitted once per data and
    settings; a setting not given is the run's. Returns a ``clv.Validation``."""
    from helpers.io import engine
    from helpers.models import clv

    model, _method, _draws, unit = _resolve(prep, model, "map", None, time_unit)
    months = run_clv_settings(prep)["holdout_months"] if holdout_months is None else holdout_months
    settings = {"holdout_months": float(months), "model": model, "time_unit": unit, "seed": seed}

    def fit():
        con = engine.connect(prep.config.engine)
        return clv.validate(prep.table(con), start=prep.start, end=prep.end, holdout_months=months,
                            time_unit=unit, model=model, method="map", random_seed=seed)

    return stored(prep, "clv_holdout", settings, fit)


def clv_tournament(prep: Prepared, *, holdout_months: float | None = None, time_unit: str | None = None,
                   seed: int = 42):
    """The CLV model tournament on the calibration/holdout split of :func:`clv_holdout` (same holdout, unit and
    calibration table), the two-part model trained one holdout length earlier. Returns a ``Tournament``."""
    import datetime as dt

    from helpers.features.customers import calendar_features, calibration_holdout, purchase_grid
    from helpers.io import engine
    from helpers.models.clv import tournament

    _model, _method, _draws, unit = _resolve(prep, "bgnbd", "map", None, time_unit)
    months = run_clv_settings(prep)["holdout_months"] if holdout_months is None else holdout_months
    settings = {"holdout_months": float(months), "time_unit": unit, "seed": seed,
                "sample_size": tournament.SAMPLE_SIZE}

    def fit():
        v = clv_holdout(prep, holdout_months=months, model="bgnbd", time_unit=unit, seed=seed)
        if v.calhold is None:
            return tournament.unavailable(v.notes or "no calibration/holdout split")
        try:
            tournament.check_size(v.calhold)
        except tournament.ClvInputError as exc:     # stored as such: every reader says why, none refits
            return tournament.unavailable(str(exc))
        con = engine.connect(prep.config.engine)
        lines = prep.table(con)
        obs_end = v.calibration_end + dt.timedelta(days=v.holdout_days)
        train_end = v.calibration_end - dt.timedelta(days=v.holdout_days)

        def with_calendar(table, cutoff):     # the two-part model's calendar features at the table's cut-off
            cal = calendar_features(lines, cutoff=cutoff, horizon_days=v.holdout_days).execute()
            return table.merge(cal, on="customer_id", how="left").fillna({c: 0.0 for c in tournament.CALENDAR})

        train = None
        if (train_end - prep.start).days >= 56:
            train = with_calendar(calibration_holdout(lines, calibration_end=train_end, observation_end=v.calibration_end,
                                                      time_unit=unit).execute(), train_end)
        grid = purchase_grid(lines, observation_end=v.calibration_end)
        grid.update(calibration_end=v.calibration_end, observation_end=obs_end)
        return tournament.run(with_calendar(v.calhold, v.calibration_end), train, time_unit=unit, seed=seed, grid=grid)

    return stored(prep, "clv_tournament", settings, fit, params=lambda t: t.table)


#: the tournament's candidates that give a CLV over any horizon (the two-part model and the naive rate predict
#: the holdout length only)
CLV_CANDIDATES = ("bgnbd", "mbgnbd", "pareto_nbd")     # BG/BB: discrete time, not in the CLV pages' fit chain


def chosen_clv(prep: Prepared) -> tuple[str, object]:
    """The purchase model behind the run's CLV when notebook 04's ``model`` is ``"auto"``, and the tournament it
    comes from (:func:`clv_tournament`): its choice, or the best-ranking BG/NBD-family model when the choice
    cannot give a CLV over a horizon (the two-part model and the naive rate predict the holdout length only; BG/BB's
    discrete-time fit is not in the CLV pages' recovery chain);
    BG/NBD when the tournament cannot run on the data (``result.chosen`` is empty and ``result.reason`` says why)."""
    result = clv_tournament(prep)
    if not result.chosen:
        return "bgnbd", result
    if result.chosen in CLV_CANDIDATES:
        return result.chosen, result
    return result.table.loc[[m for m in CLV_CANDIDATES if m in result.table.index], "gini"].idxmax(), result


def attempt(fit: Callable, *args, **kwargs) -> tuple:
    """``(fit(*args, **kwargs), None)``, or ``(None, the message)`` when the input cannot be used
    (:class:`helpers.errors.CRMInputError`): for a notebook that says why and shows another measure instead."""
    from helpers.errors import CRMInputError

    try:
        return fit(*args, **kwargs), None
    except CRMInputError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def rfm_segments(prep: Prepared) -> pd.DataFrame:
    """RFM scores and segments of the prepared ``customers_rfm`` (:func:`helpers.models.segments.rfm_scores`)."""
    from helpers.models import segments

    return stored(prep, "rfm", {}, lambda: segments.rfm_scores(prep.read("customers_rfm").astype({"customer_id": "string"})),
                  scores=lambda t: t.assign(segment=t["segment"].astype(str)))


def complaint_hazard(prep: Prepared, *, rule: str = "auto", level: float = 0.9):
    """The complaint effect on dropout (:func:`helpers.models.voice.try_complaint_hazard`) on the prepared clean
    lines and feedback, stored once per run: notebook 09 shows it and notebook 12 checks it against the planted
    factor, so both pages show the same fit. ``(fit, None)``, or ``(None, the DataError)`` when the data cannot
    give it (nothing is stored then, and every caller gets the same reason)."""
    from helpers.errors import DataError
    from helpers.models import voice

    unit = prep.meta["time_unit"]

    def fit():
        lines = prep.lines(["customer_id", "invoice", "invoice_ts"])
        fb = voice.check_feedback(prep.read("feedback"))
        hist = voice.complaint_histories(lines, fb, observation_end=prep.end, time_unit=unit, rule=rule)
        return voice.fit_complaint_hazard(hist, level=level, time_unit=unit)

    try:
        return stored(prep, "complaint_hazard", {"observation_end": str(prep.end), "time_unit": unit, "rule": rule,
                                                 "level": float(level)}, fit), None
    except DataError as err:
        return None, err


def fit_run_models(prep: Prepared, kinds: tuple[str, ...] = KINDS) -> list[dict]:
    """Fit (or read) the shared models of a run among ``kinds``, with the run's settings (:func:`run_clv_settings`).

    Returns one row per kind: kind, its artefact folder's name, whether it was fitted now (else read), seconds. A model that cannot be
    fitted raises; the runner logs it and lets the notebooks report it on their pages.
    """
    if "lines" not in prep.tables:
        return []
    steps = {"clv": lambda: clv_fits(prep), "clv_scores": lambda: clv_scores(prep),
             "clv_holdout": lambda: clv_holdout(prep), "clv_tournament": lambda: clv_tournament(prep),
             "rfm": lambda: rfm_segments(prep)}
    if run_clv_settings(prep)["holdout_months"] <= 0:
        steps.pop("clv_holdout")
        steps.pop("clv_tournament")
    out = []
    for kind in (k for k in KINDS if k in kinds and k in steps):
        before, t0 = len(FITTED), time.time()
        token = CHECK_ONLY.set(True)
        try:
            steps[kind]()
        finally:
            CHECK_ONLY.reset(token)
        out.append({"kind": kind, "artefact": USED[kind], "fitted": len(FITTED) > before,
                    "seconds": round(time.time() - t0, 2)})
    return out
