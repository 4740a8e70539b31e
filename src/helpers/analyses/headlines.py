"""What each notebook publishes for the executive summary and the customer action table.

Every analytic notebook ends with :func:`publish`: its headline numbers (each with a label,
a unit and the exact text shown) and, optionally, one row per customer with the columns it
computed (life-cycle stage, RFM segment, P(alive), CLV, churn risk, next best offer ...).
The notebook displays the same table it writes, so a number in the executive summary is
the very text shown in the report that computed it.

Files, per notebook: ``headline.json`` and ``customers.parquet`` in the notebook's artefacts
folder (``reports/<run>/artefacts/<notebook>/`` in the batch; run by hand,
``data/processed/<config>-<fingerprint>/exports/<notebook>/``). Customer ids are masked when
the config says so, with the same key in every notebook, so the tables still join.

The batch runner also writes the run's notebook statuses (``run_status.json`` beside those
folders, :func:`write_run_status`) before the executive summary starts, so the summary can say
first which notebooks failed or were skipped (:func:`status_notes`) and which of its columns are
therefore unknown (:func:`gaps`). Paths a report prints go through :func:`shown_path`.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from helpers import fitted, i18n, paths

from helpers.io import privacy
from helpers.batch import NOTEBOOKS

HEADLINE_FILE = "headline.json"
CUSTOMERS_FILE = "customers.parquet"
MODELS_FILE = "models.json"
#: The run's notebook statuses, written by the batch runner into the folder of the published folders.
STATUS_FILE = "run_status.json"


@dataclass
class Headline:
    """One headline number: ``key`` is stable across runs, ``text`` is what a reader sees."""

    key: str
    label: str
    value: float | int | str | None
    unit: str = ""
    text: str = ""
    notebook: str = ""


def format_value(value, unit: str, language: str | None = None) -> str:
    """The one way a headline number is written: ``43.2 %``, ``12,345 GBP``, ``1,204 customers``.

    In Turkish (the current language of :mod:`helpers.i18n`, or ``language``): ``%43,2``,
    ``12.345 GBP``, ``1.204 müşteri``; a unit word with a glossary entry ``unit_<word>`` is translated.
    """
    lang = language or i18n.language()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n._("n/a", lang)
    if isinstance(value, str):
        return value
    if unit == "%":
        return i18n.fmt_percent(float(value), 1, lang)
    whole = float(value).is_integer()
    if unit in ("", "count"):
        return i18n.fmt_number(value, 0 if whole else 2, lang)
    if len(unit) == 3 and unit.isupper():          # a currency code
        return f"{i18n.fmt_number(value, 0, lang)} {unit}"
    key = "unit_" + unit.strip().lower().replace(" ", "_").replace("-", "_")
    word = i18n.lookup(key, lang) if i18n.has(key) else unit
    return f"{i18n.fmt_number(value, 0 if whole else 2, lang)} {word}"


def folder_for(prep, output_dir: str | Path, notebook: str) -> Path:
    """Where ``notebook`` publishes (see the module docstring)."""
    out = Path(output_dir) if output_dir else prep.folder / "exports" / notebook
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_folder(prep, output_dir: str | Path) -> Path:
    """The folder holding every notebook's published folder for this run."""
    return Path(output_dir).parent if output_dir else prep.folder / "exports"


def publish(prep, output_dir: str | Path, notebook: str, headline: list[tuple], customers: pd.DataFrame | None = None):
    """Write a notebook's headline numbers and customer columns; return the table to display (a Styler).

    Parameters
    ----------
    headline : list of (key, label, value, unit)
        ``unit`` is ``"%"`` (value is a share 0..1), a currency code, ``"count"``, or a word
        such as ``"customers"`` or ``"weeks"``.
    customers : DataFrame, optional
        ``customer_id`` plus this notebook's per-customer columns (raw ids; masked here when
        the config asks for it).

    Beside them, ``models.json`` names the artefact of each shared model the notebook read
    (:data:`helpers.fitted.USED`), when it read any.
    """
    out = folder_for(prep, output_dir, notebook)
    items = [Headline(k, label, _plain(v), unit, format_value(v, unit), notebook) for k, label, v, unit in headline]
    (out / HEADLINE_FILE).write_text(json.dumps([asdict(h) for h in items], indent=2, default=str), encoding="utf-8")
    if customers is not None:
        if "customer_id" not in customers.columns:
            raise ValueError(f"{notebook}: the customer table to publish needs a customer_id column")
        masked = privacy.maybe_mask(customers, prep.config.output.mask_customer_ids)
        masked.to_parquet(out / CUSTOMERS_FILE, index=False)
    if fitted.USED:                      # the shared models this notebook read (helpers.fitted), by kind
        (out / MODELS_FILE).write_text(json.dumps(fitted.USED, indent=2, sort_keys=True), encoding="utf-8")
    # a styled table: shown whole (a plain frame cuts long texts at 50 characters) and escaped
    return i18n.style(pd.DataFrame({i18n.pgettext("word", "headline"): [h.label for h in items],
                                    i18n._("value"): [h.text for h in items]})).hide(axis="index")


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    return v


def _published(folder: Path, filename: str) -> list[Path]:
    """Notebook folders under ``folder`` holding ``filename``, in batch order (others after, by name)."""
    found = [p for p in Path(folder).glob(f"*/{filename}")] if Path(folder).is_dir() else []
    order = {nb: i for i, nb in enumerate(NOTEBOOKS)}
    return sorted(found, key=lambda p: (order.get(p.parent.name, len(order)), p.parent.name))


def collect_headlines(folder: Path) -> pd.DataFrame:
    """Every published headline in a run folder, in batch order."""
    rows = []
    for f in _published(folder, HEADLINE_FILE):
        rows += json.loads(f.read_text(encoding="utf-8"))
    return pd.DataFrame(rows, columns=["key", "label", "value", "unit", "text", "notebook"])


def collect_customers(folder: Path) -> dict[str, pd.DataFrame]:
    """Every published customer table in a run folder, keyed by notebook."""
    return {f.parent.name: pd.read_parquet(f) for f in _published(folder, CUSTOMERS_FILE)}


#: The per-customer columns each notebook publishes for the action table (others may follow).
CUSTOMER_COLUMNS: dict[str, list[str]] = {
    "02_lifecycle": ["lifecycle_stage"],
    "03_segmentation": ["rfm_segment", "rfm_score", "cluster"],
    "04_clv": ["p_alive", "expected_purchases", "clv", "clv_low", "clv_high"],
    "05_churn": ["churn_risk"],
    "06_cross_up_sell": ["next_best_offer", "offer_reason"],
    "08_campaigns": ["campaign_responder", "uplift", "targeting_rule"],
    "09_customer_voice": ["complaints", "complaint_rate"],
    "11_contract_churn": ["contract_churn_risk", "expected_remaining_tenure", "tenure_unit"],
}
ACTION_COLUMNS = ["customer_id", *[c for cols in CUSTOMER_COLUMNS.values() for c in cols],
                  "value_tier", "risk_level", "risk_basis", "recommended_action"]
#: What a customer's risk level is computed from (the ``risk_basis`` column); glossary key of each.
RISK_FROM_CHURN_MODEL = "churn model"
RISK_FROM_P_ALIVE = "1 - P(alive)"
RISK_BASIS_KEYS = {RISK_FROM_CHURN_MODEL: "risk_basis_churn_model", RISK_FROM_P_ALIVE: "risk_basis_p_alive"}


def action_table(customers: dict[str, pd.DataFrame], **matrix_options) -> pd.DataFrame:
    """One row per customer: every published column side by side, plus the recommended action.

    Nothing a notebook did not publish is filled in. Value is ``clv`` (expected CLV); a customer
    without one has value tier ``unknown``. Risk is ``churn_risk``; where a customer has none, it
    is 1 - ``p_alive`` of the CLV notebook, and ``risk_basis`` says which of the two was used
    (empty, with risk level ``unknown``, when neither exists). Cross-sell is recommended only to a
    customer with a ``next_best_offer``. See :mod:`helpers.analyses.actions` for the matrix and its rules.
    """
    from helpers.analyses.actions import recommend

    merged = None
    for nb, df in customers.items():
        keep = ["customer_id", *[c for c in CUSTOMER_COLUMNS.get(nb, []) if c in df.columns]]
        part = df[keep].drop_duplicates("customer_id")
        merged = part if merged is None else merged.merge(part, on="customer_id", how="outer")
    if merged is None:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    published = set(merged.columns)
    for col in ACTION_COLUMNS[1:-4]:
        if col not in merged.columns:
            merged[col] = pd.NA
    merged = merged.set_index("customer_id")
    clv = pd.to_numeric(merged["clv"], errors="coerce").astype(float)
    churn_risk = pd.to_numeric(merged["churn_risk"], errors="coerce").astype(float)
    from_p_alive = 1.0 - pd.to_numeric(merged["p_alive"], errors="coerce").astype(float)
    risk = churn_risk.where(churn_risk.notna(), from_p_alive)
    basis = pd.Series(pd.NA, index=merged.index, dtype=object)
    basis[from_p_alive.notna()] = RISK_FROM_P_ALIVE
    basis[churn_risk.notna()] = RISK_FROM_CHURN_MODEL
    rec = recommend(clv, risk, merged["lifecycle_stage"] if "lifecycle_stage" in published else None,
                    offer=merged["next_best_offer"] if "next_best_offer" in published else None, **matrix_options)
    out = merged.join(rec.assign(risk_basis=basis)).reset_index()
    return out[ACTION_COLUMNS].sort_values(["recommended_action", "clv"], ascending=[True, False], ignore_index=True)


def unknown_columns(customers: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Action-table columns no notebook published (so unknown for every customer): column -> its notebook."""
    return {col: nb for nb, cols in CUSTOMER_COLUMNS.items() for col in cols
            if nb not in customers or col not in customers[nb].columns}


# ----------------------------------------------------------------------------- run status
def write_run_status(folder: str | Path, notebooks: list[dict], *, complete: bool) -> Path:
    """Write the run's notebook statuses to ``folder/run_status.json`` (the batch runner does this).

    Each item: ``name``, ``status`` (``ok``, ``failed``, ``skipped`` or ``pending``), ``error``,
    ``blocked_by`` (the notebooks a skipped one needed that did not succeed) and ``missing_tables``
    (the tables the data lacks for it). ``complete``: every notebook has finished.
    """
    out = Path(folder) / STATUS_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{STATUS_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps({"complete": complete, "notebooks": notebooks}, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, out)
    return out


def read_run_status(folder: str | Path) -> list[dict] | None:
    """The statuses :func:`write_run_status` wrote into ``folder``; ``None`` when there are none (run by hand)."""
    f = Path(folder) / STATUS_FILE
    if not f.is_file():
        return None
    return json.loads(f.read_text(encoding="utf-8"))["notebooks"]


def status_notes(statuses: list[dict], *, before: str | None = None, language: str | None = None
                 ) -> list[tuple[str, str]]:
    """What a report page says about the other notebooks of its run, as ``(level, text)`` pairs.

    ``level`` is ``"alert"`` for a notebook that failed or was skipped because a notebook it needs
    did not succeed (one pair each), ``"note"`` for notebooks skipped because the data lacks their
    table (one quiet line per missing table, naming them all). ``before``: only the notebooks listed
    before this one (a page speaks of the notebooks run before it in batch order); notebooks still
    pending are left out.
    """
    lang = language or i18n.language()
    names = [s["name"] for s in statuses]
    upto = names.index(before) if before in names else len(statuses)
    alerts, no_data = [], {}
    for s in statuses[:upto]:
        if s.get("status") == "failed":
            alerts.append(("alert", i18n._("{name} failed ({error}); what it computes is missing from this run.", lang, name=s["name"], error=s.get("error") or "")))
        elif s.get("status") == "skipped" and s.get("blocked_by"):
            alerts.append(("alert", i18n._("{name} was skipped: it needs {needs}, which did not succeed.", lang, name=s["name"], needs=", ".join(s["blocked_by"]))))
        elif s.get("status") == "skipped":
            missing = list(s.get("missing_tables") or [])
            tables = () if "lines" in missing or not missing else tuple(missing)
            no_data.setdefault(tables, []).append(s["name"])
    notes = [("note", i18n._("Skipped because this data has no {tables} table (tables.{table} in the config): {names}.", lang, tables=" / ".join(tables), table=tables[0], names=", ".join(nbs))
              if tables else i18n._("Skipped because this data has no sales lines: {names}.", lang, names=", ".join(nbs))) for tables, nbs in no_data.items()]
    return alerts + notes


def gaps(customers: dict[str, pd.DataFrame], statuses: list[dict] | None) -> pd.DataFrame:
    """Per notebook whose customer columns the action table lacks: its status in this run and the columns
    that are therefore unknown, as shown to a reader (report language). Empty when nothing is missing."""
    by_name = {s["name"]: s for s in statuses or []}
    missing = unknown_columns(customers)
    rows = []
    for nb in CUSTOMER_COLUMNS:
        cols = [c for c, owner in missing.items() if owner == nb]
        if not cols:
            continue
        s = by_name.get(nb)
        if s is None:
            status = i18n._("not known (notebook run by hand)") if statuses is None else i18n._("not in this run")
        elif s.get("status") == "ok":
            status = i18n._("ran, published no customer columns")
        else:
            status = i18n.lookup("rep_status_" + s["status"]) if s.get("status") in ("failed", "skipped") else s["status"]
        rows.append({"notebook": nb, "status": status, "unknown_columns": ", ".join(i18n.column(c) for c in cols)})
    return pd.DataFrame(rows, columns=["notebook", "status", "unknown_columns"])


def usable(published: dict[str, pd.DataFrame] | pd.DataFrame, statuses: list[dict] | None):
    """What the executive summary may use: the published tables (dict by notebook) or headlines (a frame
    with a ``notebook`` column) without those of notebooks that failed in this run (what a failed
    notebook wrote before its error is not a result)."""
    failed = {s["name"] for s in statuses or [] if s.get("status") == "failed"}
    if isinstance(published, dict):
        return {nb: df for nb, df in published.items() if nb not in failed}
    return published[~published["notebook"].isin(failed)].reset_index(drop=True)


def shown_path(path: str | Path, output_dir: str | Path = "") -> str:
    """How a report shows a path it wrote or read: never a path into the runner's temporary folder.

    The batch runner writes a run into ``reports/.tmp-<run>/`` and renames it when the run ends, so
    an absolute path printed while a notebook runs is wrong afterwards. A path inside the run folder
    (the folder above ``output_dir``'s ``artefacts/``, or any ``.tmp-<run>`` folder) is shown relative
    to it (``artefacts/90_executive_summary/customer_actions.csv``); any other path inside the project
    relative to the project root (``data/processed/...``); a path in the shared data folder beside the project
    as the configs write it (``../shared/data/...``); any other path as it is. ``/`` separators.
    """
    p = Path(os.path.abspath(path))
    if output_dir:
        out = Path(os.path.abspath(output_dir))
        if out.parent.name == "artefacts" and p.is_relative_to(out.parent.parent):
            return p.relative_to(out.parent.parent).as_posix()
    for parent in p.parents:
        if parent.name.startswith(".tmp-"):
            return p.relative_to(parent).as_posix()
    root = Path(os.path.abspath(paths.ROOT))
    if p.is_relative_to(root):
        return p.relative_to(root).as_posix()
    shared = Path(os.path.abspath(paths.SHARED_DATA)).parent
    if p.is_relative_to(shared):
        return "../" + p.relative_to(shared.parent).as_posix()
    return p.as_posix()


def at_risk(table: pd.DataFrame) -> dict:
    """The customers at high risk in an action table (:func:`action_table`) and the value at stake.

    Returns ``key`` (``customers_at_risk`` when every known risk comes from the churn model,
    else ``customers_at_risk_p_alive``: a number of another kind, never compared with the first),
    ``customers`` (NaN when no customer has a risk level: not zero), ``stake`` (their expected CLV
    summed, currency; NaN when none of them has a CLV) and ``unvalued`` (of them, without a CLV).
    """
    from helpers.analyses.actions import UNKNOWN

    high = table[table["risk_level"] == "high"]
    known = table["risk_level"] != UNKNOWN
    clv = pd.to_numeric(high["clv"], errors="coerce")
    from_model = known.any() and bool((table.loc[known, "risk_basis"] == RISK_FROM_CHURN_MODEL).all())
    return {"key": "customers_at_risk" if from_model else "customers_at_risk_p_alive",
            "customers": len(high) if known.any() else math.nan,
            "stake": float(clv.sum()) if clv.notna().any() else math.nan,
            "unvalued": int(clv.isna().sum()) if clv.notna().any() else 0}


def headline_table(headlines: pd.DataFrame, link_suffix: str = ".business.html") -> str:
    """HTML table of headline numbers, each linking to the report that computed it."""
    import html as _html

    rows = []
    for _, h in headlines.iterrows():
        href = f"{h['notebook']}{link_suffix}"
        rows.append(f"<tr><td>{_html.escape(str(h['label']))}</td>"
                    f"<td style='text-align:right;font-weight:600'>{_html.escape(str(h['text']))}</td>"
                    f"<td><a href='{_html.escape(href, quote=True)}'>{_html.escape(str(h['notebook']))}</a></td></tr>")
    return (f"<table><thead><tr><th>{_html.escape(i18n.pgettext('word', 'headline'))}</th><th>{_html.escape(i18n._('value'))}</th>"
            f"<th>{_html.escape(i18n._('computed in'))}</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def compare_headlines(now: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Numbers present in both runs (by key): previous, now, change, relative change."""
    a = now[["key", "label", "value", "unit", "text"]].rename(columns={"value": "now", "text": "now_text"})
    b = previous[["key", "value", "text"]].rename(columns={"value": "previous", "text": "previous_text"})
    m = a.merge(b, on="key", how="inner")
    num = pd.to_numeric(m["now"], errors="coerce"), pd.to_numeric(m["previous"], errors="coerce")
    m["change"] = num[0] - num[1]
    m["change_text"] = [format_value(c, u) if pd.notna(c) else "" for c, u in zip(m["change"], m["unit"])]
    m["relative_change"] = (num[0] - num[1]) / num[1].where(num[1] != 0)
    return m[["label", "previous_text", "now_text", "change_text", "relative_change"]]


def migrations(now: pd.DataFrame, previous: pd.DataFrame, column: str) -> pd.DataFrame:
    """Crosstab of ``column`` (e.g. rfm_segment) for customers in both runs: rows previous, columns now."""
    m = previous[["customer_id", column]].merge(now[["customer_id", column]], on="customer_id",
                                                suffixes=(" (previous run)", " (this run)"))
    return pd.crosstab(m[f"{column} (previous run)"], m[f"{column} (this run)"])


def new_at_risk(now: pd.DataFrame, previous: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """Customers at risk now (churn_risk >= threshold) who were not at risk, or not scored, before."""
    at_risk = now[pd.to_numeric(now["churn_risk"], errors="coerce") >= threshold]
    before = previous.set_index("customer_id")["churn_risk"] if "churn_risk" in previous else pd.Series(dtype=float)
    was = pd.to_numeric(at_risk["customer_id"].map(before), errors="coerce")
    return at_risk[~(was >= threshold)].reset_index(drop=True)
