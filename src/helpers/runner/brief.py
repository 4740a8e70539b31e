"""The run's one-page brief (``brief.html``, and ``brief.pdf`` where headless Chromium is installed) and its KPI history.

Once the notebooks of a run have finished, :func:`write_brief` records the run's headline numbers in the
config's KPI history (:mod:`helpers.analyses.history`: ``reports/.history/<config>.parquet``) and writes the
brief from what the run published (:mod:`helpers.analyses.brief`): five to seven KPIs with their change
since the previous run and a trend over the last twelve runs (inline SVG), the Monday list (the customers to
contact first, with the action, a reason built from their numbers and the expected value of acting),
three to five findings linking to the page that proves each, and a line for every notebook that failed or
was skipped. One A4 page when printed, no script, nothing loaded from the network, in the run's language.

Nothing here stops a run: a history file that cannot be read is moved aside (the brief and ``run.log``
say so), a missing Chromium or a failed print leaves ``brief.pdf`` out with a line in ``run.log``.
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from helpers import i18n
from helpers.analyses import brief as content
from helpers.analyses import history as hist
from helpers.analyses.headlines import collect_headlines, usable
from helpers.config import RunConfig
from helpers.i18n import _
from helpers.io import privacy
from helpers.plots.summary import action_label, segment_label
from helpers.runner.pages import skip_reason, write_page
from helpers.runner.results import RunResult, statuses

LOG = logging.getLogger("helpers.runner.brief")
BRIEF_FILE = "brief.html"
PDF_FILE = "brief.pdf"
#: Browsers tried for ``brief.pdf``, first found wins (as ``/work/shared/tools/look-at-report`` finds Chromium).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222;font-size:14px}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.05rem;margin:1rem 0 .4rem 0;border-bottom:1px solid #ddd}
.muted{color:#666}.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.5rem}
.kpi{border:1px solid #ddd;border-radius:4px;padding:.4rem .6rem}.kpi .v{font-size:1.25rem;font-weight:600}
.kpi .l{font-size:.8rem;color:#444;min-height:2em}.up{color:#2ca02c}.down{color:#d62728}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .35rem;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}.note{border-left:4px solid #d62728;background:#fdecea;padding:.3rem .6rem;margin:.3rem 0}
ul{margin:.2rem 0;padding-left:1.2rem}li{margin:.15rem 0}
@page{size:A4;margin:10mm}
@media print{body{margin:0;max-width:none;font-size:9px}a{color:#222;text-decoration:none}.kpi .v{font-size:1rem}
.kpi{padding:.2rem .4rem}.kpi .l{min-height:0}.kpis{gap:.3rem}h1{font-size:1.2rem}
h2{margin:.4rem 0 .2rem 0}table{font-size:8px}td,th{padding:.08rem .2rem;line-height:1.2}}"""


def sparkline(values: list[float], title: str, *, width: int = 120, height: int = 28) -> str:
    """A trend as an inline SVG line (no script, no network), its ``<title>`` naming what it shows."""
    pts = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    head = (f'<svg class="spark" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{html.escape(title)}</title>')
    if not pts:
        return head + "</svg>"
    lo, hi = min(pts), max(pts)
    span = (hi - lo) or 1.0
    step = (width - 6) / max(len(pts) - 1, 1)
    xy = [(3 + i * step, height - 3 - (v - lo) / span * (height - 6)) for i, v in enumerate(pts)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    x, y = xy[-1]
    return (head + f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{line}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="#1f77b4"/></svg>')


def sparkline_points(svg: str) -> list[tuple[float, float]]:
    """The points of a :func:`sparkline` (tests read back what the chart draws)."""
    import re

    m = re.search(r'points="([^"]*)"', svg)
    return [tuple(float(c) for c in p.split(",")) for p in m.group(1).split()] if m else []


def _reason(row: pd.Series, currency: str, lang: str) -> str:
    """One sentence from a customer's numbers: segment, P(alive), risk, expected CLV and offer, as far as known."""
    parts = []
    if isinstance(row.get("rfm_segment"), str):
        parts.append(segment_label(row["rfm_segment"]))
    if pd.notna(row.get("p_alive")):
        parts.append(_("P(alive) {p}", lang, p=i18n.fmt_percent(float(row["p_alive"]), 0, lang)))
    if pd.notna(row.get("churn_risk")):
        parts.append(_("churn risk {r}", lang, r=i18n.fmt_percent(float(row["churn_risk"]), 0, lang)))
    if pd.notna(row.get("clv")):
        parts.append(_("expected CLV {v}", lang, v=i18n.fmt_money(float(row["clv"]), currency, 0, lang)))
    if isinstance(row.get("next_best_offer"), str) and row["next_best_offer"]:
        parts.append(_("offer: {offer}", lang, offer=row["next_best_offer"]))
    text = ", ".join(parts) or _("no numbers published for this customer", lang)
    return text[:1].upper() + text[1:] + "."


def monday_rows(actions: pd.DataFrame | None, cfg: RunConfig) -> tuple[str, list[str]]:
    """The Monday list's table rows (HTML) and its notes (``top_n`` above the list, no action table)."""
    lang, top_n = cfg.language, cfg.brief.top_n
    if actions is None:
        return "", [_("No Monday list: the executive summary did not write its action table in this run.", lang)]
    shown, available = content.monday_list(actions, top_n)
    if cfg.output.mask_customer_ids and len(shown) and not privacy.already_masked(shown["customer_id"].astype(str)):
        shown = privacy.maybe_mask(shown, True)
    notes = []
    if available == 0:
        notes.append(_("No customer has a contact action in this run (the action table lacks the CLV or the risk they need).", lang))
    elif top_n > available:
        notes.append(_("brief.top_n is {n}, but only {m} customers have a contact action: all of them are listed.", lang,
                       n=i18n.fmt_number(top_n, 0, lang), m=i18n.fmt_number(available, 0, lang)))
    rows = []
    for i, r in shown.iterrows():
        value = (i18n.fmt_money(float(r["value_of_acting"]), cfg.data.currency, 0, lang)
                 if pd.notna(r["value_of_acting"]) else _("n/a", lang))
        rows.append(f'<tr><td class="n">{i + 1}</td><td>{html.escape(str(r["customer_id"]))}</td>'
                    f'<td>{html.escape(action_label(r["recommended_action"]))}</td>'
                    f'<td>{html.escape(_reason(r, cfg.data.currency, lang))}</td><td class="n">{html.escape(value)}</td></tr>')
    return "".join(rows), notes


def _kpi_cards(kpis: list[content.Kpi], lang: str) -> str:
    cards = []
    for k in kpis:
        cls = "" if math.isnan(k.change) or k.change == 0 else ("up" if k.change > 0 else "down")
        title = _("{label}: the last {n} runs of this config", lang, label=k.label, n=len(k.trend))
        cards.append(f'<div class="kpi" data-key="{html.escape(k.key)}"><div class="l">{html.escape(k.label)}</div>'
                     f'<div class="v">{html.escape(k.text)}</div><div class="{cls}">{html.escape(content.change_text(k.change, k.unit, lang))}</div>'
                     f'{sparkline(k.trend, title)}</div>')
    return "".join(cards)


def status_lines(run: RunResult, lang: str) -> list[str]:
    """One line per notebook of the run that failed or was skipped."""
    out = []
    for nb in run.notebooks:
        if nb.status == "failed":
            out.append(_("{name} failed: {error}", lang, name=nb.name, error=nb.error or ""))
        elif nb.status == "skipped":
            out.append(_("{name} was skipped: {reason}", lang, name=nb.name, reason=skip_reason(nb, lang)))
    return out


def brief_html(cfg: RunConfig, run: RunResult, headlines: pd.DataFrame, actions: pd.DataFrame | None,
               history: pd.DataFrame, notes: list[str], meta: dict) -> str:
    """The brief's page (see the module docstring); ``notes``: what reading the history said."""
    lang = cfg.language
    e = html.escape
    kpis = content.kpis(headlines, history, run.name)
    rows, list_notes = monday_rows(actions, cfg)
    pages = {nb.name for nb in run.notebooks if nb.business_html}
    found = "".join(f'<li>{e(text)}' + (f' <a href="{e(nb)}.business.html">{e(nb)}</a>' if nb in pages else "") + "</li>"
                    for text, nb in content.findings(headlines, history, run.name, language=lang))
    problems = "".join(f'<div class="note">{e(t)}</div>' for t in [*status_lines(run, lang), *notes])
    end = meta.get("analysis_end")
    when = i18n.fmt_date(end, lang) if end else ""
    head = _("Value of acting = expected CLV × risk (churn risk, or 1 − P(alive)): what is lost if nobody acts.", lang)
    table = (f'<table><thead><tr><th>#</th><th>{e(_("customer", lang))}</th><th>{e(_("action", lang))}</th>'
             f'<th>{e(_("why", lang))}</th><th>{e(_("value of acting", lang))}</th></tr></thead><tbody>{rows}</tbody></table>'
             if rows else "")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(_("Brief", lang))}: {e(run.name)}</title><style>{_CSS}</style></head>
<body><h1>{e(_("Brief", lang))}: {e(cfg.name)}</h1>
<p class="muted">{e(_("Analysis date {date}; run {run}.", lang, date=when, run=run.name))} <a href="index.html">{e(_("All pages of this run", lang))}</a></p>
{problems}
<h2>{e(_("Key numbers", lang))}</h2>
<div class="kpis">{_kpi_cards(kpis, lang) or e(_("No notebook of this run published these numbers.", lang))}</div>
<h2>{e(_("The Monday list: who to contact first", lang))}</h2>
<p class="muted">{e(head)}</p>
{"".join(f'<p class="muted">{e(n)}</p>' for n in list_notes)}
{table}
<h2>{e(_("Findings", lang))}</h2>
<ul>{found or f"<li>{e(_('No finding: the notebooks behind them did not publish in this run.', lang))}</li>"}</ul>
</body></html>
"""


def browser() -> str | None:
    """The first of :data:`BROWSERS` on the PATH."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def write_pdf(page: Path, pdf: Path, *, timeout: float = 120) -> bool:
    """Print ``page`` to ``pdf`` with headless Chromium; ``False`` (and a line in run.log) when it cannot."""
    exe = browser()
    if exe is None:
        LOG.info("brief.pdf not written: no Chromium on the PATH (README, 'The brief')")
        return False
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--print-to-pdf={pdf}", page.resolve().as_uri()]
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        LOG.warning("brief.pdf not written: %s", exc)
        return False
    if not pdf.is_file():
        LOG.warning("brief.pdf not written: %s printed nothing", exe)
    return pdf.is_file()


def write_brief(folder: Path, cfg: RunConfig, run: RunResult, *, reports_dir: Path, meta: dict,
                now: dt.datetime | None = None) -> Path:
    """Record the run in the KPI history, then write ``brief.html`` (and ``brief.pdf``) into the run's ``folder``."""
    now = now or dt.datetime.now()
    artefacts = Path(folder) / "artefacts"
    headlines = usable(collect_headlines(artefacts), statuses(run.notebooks))
    new = hist.headline_rows(headlines, config=cfg.name, run=run.name, analysis_end=meta.get("analysis_end"), recorded=now)
    recorded = hist.record_run(hist.history_path(reports_dir, cfg.name), new, now=now, language=cfg.language)
    for note in recorded.notes:
        LOG.warning("%s", note)
    before = i18n.language()
    i18n.set_language(cfg.language)      # segment and action names come from lookups in the current language
    try:
        page = write_page(Path(folder) / BRIEF_FILE, brief_html(cfg, run, headlines, content.read_actions(artefacts),
                                                                recorded.rows, recorded.notes, meta))
    finally:
        i18n.set_language(before)
    if cfg.brief.pdf:
        write_pdf(page, Path(folder) / PDF_FILE)
    return page

