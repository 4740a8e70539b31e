"""The course pack: student and solution notebooks of the exercises, the glossary and the concept map.

Usage::

    python -m helpers.runner.course --config configs/default.yaml
    python -m helpers.runner.course --config configs/default.yaml --language tr --reports-dir reports
    python -m helpers.runner.course --config tests/fixtures/configs/tiny.yaml --only ex01 ex03

For each source notebook ``notebooks/exercises/exNN_<stage>.ipynb`` (cells tagged ``solution``
hold the answer code, ``task`` cells show a task, ``check`` cells check ``answer``) it writes

* a **student** notebook: only the run language's narrative cells, every task rendered as a
  markdown cell (task, folded hint, and a skip note when the data lacks a column the task
  needs), every ``solution`` cell replaced by a ``# YOUR CODE HERE`` cell that sets
  ``answer = None``; the config is injected (papermill) so it runs from the pack as it is;
* a **solution** notebook, the same with the answer code, executed on the config's data with
  papermill, and its HTML page (:func:`helpers.runner.pages.export_html`); exercises the data cannot
  serve (CDNOW has no products) keep a placeholder and their check says "skipped".

Beside them: ``glossary.html`` (the glossary in the run's language), ``concept_map.html`` and
``concept_map.md`` (the CRM concepts, what measures each and the notebooks and exercises that
show it), ``index.html`` and ``course.json`` (every check's status in the executed solutions,
and the seconds taken). What the notebooks' kernels write (start-up warnings) and the package's
messages go to ``reports/<run>/course.log``, not to the console. Everything is written into
``reports/.course-tmp-<run>/`` and moved to ``reports/<run>/`` when done, with the pack in ``reports/<run>/course/``.

Exit codes: 0 every solution check right (or skipped), 1 a solution notebook failed or a check
was not right, 2 bad config or data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path

from helpers import i18n, paths
from helpers.errors import CRMInputError

SOURCE_DIR = paths.NOTEBOOKS / "exercises"
LANG_TAGS = {"lang-en", "lang-tr"}
PLACEHOLDER = "# YOUR CODE HERE"
_TASK_RE = re.compile(r"""show_task\(\s*["']([^"']+)["']\s*\)""")
_CHECK_RE = re.compile(r"""check\(\s*["']([^"']+)["']""")


def source_notebooks(only: list[str] | None = None) -> list[Path]:
    """The exercise source notebooks in order; ``only`` keeps stages like ``"ex03"`` or full stems."""
    nbs = sorted(SOURCE_DIR.glob("ex[0-9][0-9]_*.ipynb"))
    if only:
        nbs = [p for p in nbs if p.stem in only or p.stem[:4] in only]
    return nbs


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def cell_key(cell) -> str | None:
    """The exercise key a ``task`` or ``check`` cell names (``ex.show_task("ex01.x")`` / ``ex.check("ex01.x", ...)``)."""
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    m = _TASK_RE.search(src) or _CHECK_RE.search(src)
    return m.group(1) if m else None


def placeholder_source(language: str) -> str:
    """The code of a student's answer cell."""
    extra = "" if language == "en" else f"  ({i18n._('YOUR CODE HERE', language)})"
    return f"{PLACEHOLDER}{extra}\nanswer = None"


def make_version(nb, version: str, *, language: str, has: dict[str, bool] | None = None):
    """The student or solution version of a source notebook (a new notebook; outputs cleared).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A source notebook of ``notebooks/exercises``.
    version : {"student", "solution"}
    language : {"en", "tr"}
        Narrative cells of the other language are dropped; tasks are rendered in this one.
    has : dict, optional
        ``prep.has`` of the data; an exercise needing a column the data lacks keeps a
        placeholder in the solution too, and its task shows a skip note.
    """
    import copy

    import nbformat

    from helpers import exercises

    if version not in ("student", "solution"):
        raise ValueError(f"version must be 'student' or 'solution', not {version!r}")
    out = copy.deepcopy(nb)
    cells = []
    key = None
    for cell in out.cells:
        tags = _tags(cell)
        if tags & LANG_TAGS and f"lang-{language}" not in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "task" in tags:
            key = cell_key(cell)
            if key is None:
                raise ValueError(f"a cell tagged 'task' does not call show_task(\"exNN.name\"): {cell.source[:80]!r}")
            text = exercises.task_markdown(key, language=language, has=has)
            cells.append(nbformat.v4.new_markdown_cell(text, metadata={"tags": ["task"]}))
            continue
        if "solution" in tags:
            if key is None:
                raise ValueError("a 'solution' cell comes before any 'task' cell")
            missing = [c for c in exercises.exercise(key).requires if has is not None and not has.get(c, False)]
            if version == "student" or missing:
                src = placeholder_source(language)
                if missing and version == "solution":
                    src = f"answer = None  # skipped: the data has no {', '.join(missing)} column"
                cells.append(nbformat.v4.new_code_cell(src, metadata={"tags": ["answer"]}))
                continue
        cells.append(cell)
    out.cells = cells
    return out


def check_results(nb) -> list[dict]:
    """Every check's result in an executed notebook: ``key``, ``status``, ``mistake`` (from the
    checker's own output type, so it does not depend on the language of the message)."""
    from helpers.exercises.core import MIME

    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if MIME in data:
                found.append(dict(data[MIME]))
    return found


# ----------------------------------------------------------------------------------- concept map
#: CRM concepts: (English, Turkish, measured by (en, tr), batch notebooks, exercise stages)
CONCEPTS = [
    ("Data you can trust", "Güvenilir veri", ("cleaning audit: what each rule removes, kept revenue and customers",
                                              "temizleme denetimi: her kuralın çıkardığı, korunan ciro ve müşteriler"),
     ["01_data_cleaning"], ["ex01"]),
    ("Customer selection", "Müşteri seçimi", ("RFM segments with an action each, clusters, CLV tiers: which customers are worth a special offer",
                                              "her birine bir eylem düşen RFM bölümleri, kümeler, CLV dilimleri: hangi müşteriler özel teklife değer"),
     ["03_segmentation", "04_clv"], ["ex03", "ex04", "ex05"]),
    ("Customer acquisition", "Müşteri edinme / kazanma", ("new customers per period, first-order value, cohort quality",
                                                          "dönem başına yeni müşteri, ilk sipariş değeri, kohort kalitesi"),
     ["02_lifecycle", "04_clv"], ["ex02"]),
    ("Customer retention", "Müşteri koruma / elde tutma", ("retention and churn rate per period, cohort retention, P(alive), churn risk, survival curves",
                                                           "dönem başına elde tutma ve kayıp oranı, kohort elde tutma, P(hayatta), kayıp riski, hayatta kalma eğrileri"),
     ["02_lifecycle", "04_clv", "05_churn"], ["ex02", "ex05", "ex06"]),
    ("Deepening and loyalty", "Müşteri derinleştirme, sadakat", ("repeat rate, loyal segment and its revenue share, cross-sell and up-sell",
                                                                 "tekrar oranı, sadık bölüm ve ciro payı, çapraz satış ve yukarı satış"),
     ["03_segmentation", "06_cross_up_sell"], ["ex03", "ex07", "ex08"]),
]
#: life-cycle stages: (English, Turkish, measurable from transactions (en, tr), notebooks, stages)
LIFE_CYCLE = [
    ("Reach", "Erişim", ("no: needs campaign or impression data", "hayır: kampanya ya da gösterim verisi gerekir"), [], []),
    ("Acquisition", "Kazanma", ("partly: the first purchase date", "kısmen: ilk satın alma tarihi"), ["02_lifecycle"], ["ex02"]),
    ("Conversion", "Dönüşüm", ("yes: first purchase, first-to-second purchase conversion", "evet: ilk satın alma, ilkten ikinciye dönüşüm"),
     ["02_lifecycle"], ["ex02"]),
    ("Retention", "Elde tutma", ("yes: active again in the next period", "evet: sonraki dönemde yeniden aktif"), ["02_lifecycle", "05_churn"],
     ["ex02", "ex06"]),
    ("Loyalty", "Sadakat", ("yes: high frequency and tenure, the loyal segment", "evet: yüksek sıklık ve süre, sadık bölüm"),
     ["02_lifecycle", "03_segmentation"], ["ex03"]),
    ("Lost-customer analysis", "Kayıp müşteri analizi", ("yes: what lost customers looked like before they left",
                                                         "evet: kaybedilen müşterilerin ayrılmadan önceki görünümü"),
     ["02_lifecycle"], ["ex02"]),
    ("Abandonment", "Terk etme", ("partly: one-time buyers who never return; sessions need web or cart data",
                                  "kısmen: hiç dönmeyen tek seferlik alıcılar; oturumlar web ya da sepet verisi ister"),
     ["02_lifecycle"], ["ex03"]),
    ("Loss", "Kaybetme", ("yes: a lapse beyond a threshold, low P(alive)", "evet: eşiği aşan sessizlik, düşük P(hayatta)"),
     ["02_lifecycle", "05_churn"], ["ex02", "ex05", "ex06"]),
    ("Customer taken by a competitor", "Kaptırılan müşteri", ("partly: falling frequency and spend before the loss",
                                                              "kısmen: kayıptan önce düşen sıklık ve harcama"),
     ["02_lifecycle", "05_churn"], ["ex06"]),
]
_HEAD = {"en": ("concept", "Turkish", "measured by", "notebooks", "exercises", "stage", "from transactions?"),
         "tr": ("kavram", "İngilizce", "ölçüldüğü yer", "defterler", "alıştırmalar", "aşama", "satış verisinden mi?")}
_INTRO = {"en": ("The CRM activities and the customer life cycle, what measures each from sales data, and where the "
                 "batch notebooks and these exercises show it. Segmentation comes first: a CRM effort without segments "
                 "and a goal per segment is the classic failure.",
                 "The four CRM activities", "The customer life cycle", "The chain of the exercises"),
          "tr": ("CRM faaliyetleri ve müşterinin hayat seyri, her birini satış verisinden neyin ölçtüğü ve raporlama "
                 "defterlerinin ve bu alıştırmaların onu nerede gösterdiği. Önce bölümlendirme gelir: bölümleri ve "
                 "bölüm başına bir hedefi olmayan bir CRM çabası klasik başarısızlıktır.",
                 "Dört CRM faaliyeti (müşteri yöntemleri)", "Müşterinin hayat seyri", "Alıştırmaların zinciri")}


def _stage_links(stages: list[str], stems: dict[str, str], fmt: str) -> list[str]:
    out = []
    for s in stages:
        stem = stems.get(s)
        if stem is None:
            continue
        if fmt == "html":
            out.append(f'<a href="solutions/{stem}.html">{s}</a> (<a href="student/{stem}.ipynb">ipynb</a>)')
        else:
            out.append(f"[{s}](solutions/{stem}.html)")
    return out


def concept_map(language: str, stems: dict[str, str], fmt: str = "html", batch_links: dict[str, str] | None = None) -> str:
    """The CRM concept map in ``language`` as markdown or HTML, linking the exercise notebooks of ``stems``
    (stage -> notebook stem) and the batch notebooks' reports of ``batch_links`` (stem -> href; others by name)."""
    from helpers.exercises import stage_title

    h = _HEAD[language]
    intro, t1, t2, t3 = _INTRO[language]
    other = 1 if language == "en" else 0
    name = 0 if language == "en" else 1
    li = 0 if language == "en" else 1

    links = batch_links or {}

    def nb_link(stem: str) -> str:
        if stem not in links:
            return stem if fmt == "md" else html.escape(stem)
        return f"[{stem}]({links[stem]})" if fmt == "md" else f'<a href="{html.escape(links[stem])}">{html.escape(stem)}</a>'

    def row(c) -> list[str]:
        nbs = ", ".join(nb_link(s) for s in c[3]) or "–"
        ex = ", ".join(_stage_links(c[4], stems, fmt)) or "–"
        return [c[name], c[other], c[2][li], nbs, ex]

    chain = [f"{s} · {stage_title(s, language)}" for s in stems]
    if fmt == "md":
        lines = [f"# {i18n._('CRM concept map', language)}", "", intro, "", f"## {t1}", "",
                 "| " + " | ".join(h[:5]) + " |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row(c)) + " |" for c in CONCEPTS]
        lines += ["", f"## {t2}", "", f"| {h[5]} | {h[1]} | {h[6]} | {h[3]} | {h[4]} |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row(c)) + " |" for c in LIFE_CYCLE]
        lines += ["", f"## {t3}", "", " → ".join(chain), ""]
        return "\n".join(lines)

    def table(rows, heads) -> str:
        th = "".join(f"<th>{html.escape(x)}</th>" for x in heads)
        body = "".join("<tr>" + "".join(f"<td>{x if i >= 3 else html.escape(x)}</td>" for i, x in enumerate(r)) + "</tr>"
                       for r in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{html.escape(i18n._('CRM concept map', language))}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(i18n._('CRM concept map', language))}</h1>
<p class="muted"><a href="index.html">{html.escape(i18n._('CRM analytics course pack', language))}</a></p>
<p>{html.escape(intro)}</p>
<h2>{html.escape(t1)}</h2>{table([row(c) for c in CONCEPTS], h[:5])}
<h2>{html.escape(t2)}</h2>{table([row(c) for c in LIFE_CYCLE], [h[5], h[1], h[6], h[3], h[4]])}
<h2>{html.escape(t3)}</h2><p>{' → '.join(html.escape(c) for c in chain)}</p>
</body></html>
"""


_CSS = """body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45rem;text-align:left;vertical-align:top}
.muted{color:#777}.bad{color:#d62728;font-weight:600}.good{color:#2ca02c;font-weight:600}"""


def glossary_page(language: str) -> str:
    """The glossary page: :func:`helpers.runner.pages.glossary_html` when the runner provides it, else a plain table."""
    from helpers.runner import pages

    render = getattr(pages, "glossary_html", None)
    if render is not None:
        try:
            return render(language)
        except Exception as exc:  # a separate module: fall back to the plain table below
            logging.getLogger("helpers.runner.course").warning("glossary_html failed (%s); plain glossary table", exc)
    other = "tr" if language == "en" else "en"
    rows = "".join(
        f"<tr><td><strong>{html.escape(str(e.get(language, '')))}</strong><div class='muted'>"
        f"{html.escape(str(e.get(other, '')))}</div></td><td>{html.escape(str(e.get('def_' + language, '')))}</td>"
        f"<td>{html.escape(str(e.get('formula', '')))}</td><td>{html.escape(str(e.get('notebook', '')))}</td></tr>"
        for _, e in sorted(i18n.glossary().items(), key=lambda ke: str(ke[1].get(language, "")).casefold()))
    title = html.escape(i18n._("Glossary", language))
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body><h1>{title}</h1><table><tbody>{rows}</tbody></table></body></html>")


def _index_html(language: str, cfg_name: str, stages: list[dict], seconds: float) -> str:
    from helpers.exercises import stage_title

    T = lambda k: html.escape(i18n.lookup(k, language)[:1].upper() + i18n.lookup(k, language)[1:])  # noqa: E731
    rows = []
    for s in stages:
        title = stage_title(s["stage"], language)
        ok = s["right"] + s["skipped"]
        cls = "good" if ok == s["checks"] and s["checks"] else "bad"
        rows.append(f"<tr><td>{html.escape(s['stage'])} · {html.escape(title)}</td>"
                    f"<td><a href=\"student/{s['stem']}.ipynb\">{html.escape(s['stem'])}.ipynb</a></td>"
                    f"<td><a href=\"solutions/{s['stem']}.html\">{html.escape(s['stem'])}.html</a></td>"
                    f"<td>{s['exercises']}</td><td class=\"{cls}\">{ok} / {s['checks']}</td></tr>")
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{T('course_title')}</title><style>{_CSS}</style></head>
<body><h1>{T('course_title')}</h1>
<p class="muted">{html.escape(cfg_name)} · {i18n.fmt_number(seconds, 0, language)} s ·
<a href="glossary.html">{T('course_glossary')}</a> · <a href="concept_map.html">{T('course_concept_map')}</a></p>
<table><thead><tr><th>{T('course_stage')}</th><th>{T('course_student_notebooks')}</th><th>{T('course_solutions')}</th>
<th>{T('course_exercises')}</th><th>{T('course_checks_right')}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
</body></html>
"""


# ------------------------------------------------------------------------------------------ build
def solution_html(ipynb: Path, out: Path, language: str) -> None:
    """An executed solution notebook as one HTML page: :func:`helpers.runner.pages.export_html` (the runner's
    template), or nbconvert's plain template when that cannot render it."""
    from helpers.runner import pages

    try:
        pages.export_html(ipynb, out, language=language)
    except Exception as exc:  # the runner's template is a separate module; the pack must not depend on it
        import nbformat
        from nbconvert import HTMLExporter

        logging.getLogger("helpers.runner.course").warning("export_html failed (%s); plain nbconvert HTML for %s", exc,
                                                    ipynb.name)
        nb = nbformat.read(str(ipynb), as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
        out.write_text(body, encoding="utf-8")


def build(config_path: str | Path, *, language: str | None = None, reports_dir: str | Path | None = None,
          overrides: list[str] | None = None, only: list[str] | None = None, progress: bool = True) -> Path:
    """Write the course pack of a config; returns ``reports/<run>/course``. See the module docstring.

    Raises
    ------
    helpers.errors.CRMInputError
        Bad config or data (nothing is written).
    """
    import nbformat
    import papermill as pm
    from tqdm.auto import tqdm

    from helpers import exercises
    from helpers.config import load_config, parse_override
    from helpers.pipeline import prepare
    from helpers.runner.execute import detach, log_to, piped_kernel

    t0 = time.time()
    config_path = Path(config_path) if Path(config_path).exists() else paths.resolve(config_path)
    config_path = config_path.resolve()
    overrides = list(overrides or [])
    if language:
        overrides.append(f"language={language}")
    cfg = load_config(config_path, [parse_override(o) for o in overrides])
    lang = cfg.language
    i18n.set_language(lang)
    sources = source_notebooks(only)
    if not sources:
        raise CRMInputError(f"{SOURCE_DIR}: no exercise notebook matches {only}")
    steps = tqdm(total=len(sources) + 2, desc="course", unit="step", disable=None if progress else True)
    steps.set_postfix_str("preparing the data")
    prep = prepare(cfg, progress=False)
    steps.update(1)

    reports_dir = Path(reports_dir).resolve() if reports_dir else paths.resolve(cfg.output.reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    run = f"{cfg.name}{'-' + lang if lang != 'en' else ''}-course-{dt.datetime.now():%Y%m%d-%H%M%S}"
    tmp = reports_dir / f".course-tmp-{run}-{os.getpid()}"
    pack = tmp / "course"
    (pack / "student").mkdir(parents=True)
    (pack / "solutions").mkdir()
    work = tmp / ".work"
    work.mkdir()
    params = {"config_path": str(config_path), "config_overrides": overrides}
    stages, stems, failed = [], {}, []
    log = log_to(tmp / "course.log")      # the kernels' lines and the package's messages, as a run's run.log
    try:
        for src in sources:
            steps.set_postfix_str(src.stem)
            nb = nbformat.read(str(src), as_version=4)
            stage = src.stem[:4]
            stems[stage] = src.stem
            for version in ("student", "solution"):
                nbformat.write(make_version(nb, version, language=lang, has=prep.has), str(work / f"{src.stem}.{version}.ipynb"))
            pm.execute_notebook(str(work / f"{src.stem}.student.ipynb"), str(pack / "student" / f"{src.stem}.ipynb"),
                                parameters=params, prepare_only=True, kernel_name="python3", progress_bar=False)
            out_nb = pack / "solutions" / f"{src.stem}.ipynb"
            t1 = time.time()
            error = None
            try:
                with piped_kernel(src.stem) as manager:
                    pm.execute_notebook(str(work / f"{src.stem}.solution.ipynb"), str(out_nb), parameters=params,
                                        kernel_name="python3", cwd=str(SOURCE_DIR), progress_bar=False,
                                        kernel_manager_class=manager)
            except pm.PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}"
                failed.append(f"{src.stem}: {error}")
            solution_html(out_nb, pack / "solutions" / f"{src.stem}.html", lang)
            results = check_results(nbformat.read(str(out_nb), as_version=4))
            counts = {s: sum(r["status"] == s for r in results) for s in ("right", "wrong", "not_answered", "skipped",
                                                                          "unavailable")}
            stages.append({"stage": stage, "stem": src.stem, "exercises": len(exercises.stage_exercises(stage)),
                           "checks": len(results), **counts, "seconds": round(time.time() - t1, 1), "error": error,
                           "results": results})
            not_right = [r for r in results if r["status"] not in ("right", "skipped")]
            failed += [f"{src.stem}: {r['key']} is {r['status']}" for r in not_right]
            steps.update(1)
        steps.set_postfix_str("glossary and concept map")
        (pack / "glossary.html").write_text(glossary_page(lang), encoding="utf-8")
        batch = {stem: f"../../latest/{stem}.business.html" for c in CONCEPTS + LIFE_CYCLE for stem in c[3]
                 if (reports_dir / "latest" / f"{stem}.business.html").exists()}
        (pack / "concept_map.html").write_text(concept_map(lang, stems, "html", batch), encoding="utf-8")
        (pack / "concept_map.md").write_text(concept_map(lang, stems, "md", batch), encoding="utf-8")
        seconds = round(time.time() - t0, 1)
        (pack / "index.html").write_text(_index_html(lang, cfg.name, stages, seconds), encoding="utf-8")
        (pack / "course.json").write_text(json.dumps({
            "config": str(config_path), "config_name": cfg.name, "overrides": overrides, "language": lang,
            "fingerprint": prep.fingerprint, "has": prep.has, "created": dt.datetime.now().isoformat(timespec="seconds"),
            "seconds": seconds, "ok": not failed, "problems": failed, "stages": stages}, indent=2, default=str),
            encoding="utf-8")
        shutil.rmtree(work)
        steps.update(1)
        final = reports_dir / run
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        detach(log)
        steps.close()
    return final / "course"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m helpers.runner.course", description=__doc__.split("\n")[0])
    p.add_argument("--config", "-c", default=str(paths.CONFIGS / "default.yaml"), help="config file (default configs/default.yaml)")
    p.add_argument("--language", choices=i18n.LANGUAGES, help="language of the pack (default: the config's)")
    p.add_argument("--reports-dir", help="where reports/<run>/course goes (default: the config's output.reports_dir)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change a config key, e.g. --set analysis.end=2024-06-30 (repeatable)")
    p.add_argument("--only", nargs="+", metavar="STAGE", help="only these exercise notebooks, e.g. ex01 ex03")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.time()
    try:
        pack = build(args.config, language=args.language, reports_dir=args.reports_dir, overrides=args.overrides,
                     only=args.only, progress=not args.quiet)
    except CRMInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta = json.loads((pack / "course.json").read_text(encoding="utf-8"))
    total = sum(s["checks"] for s in meta["stages"])
    good = sum(s["right"] + s["skipped"] for s in meta["stages"])
    print(f"course pack: {pack}")
    print(f"{len(meta['stages'])} notebooks, {good} / {total} solution checks right or skipped, "
          f"{time.time() - t0:.0f} s")
    for problem in meta["problems"]:
        print(f"  problem: {problem}", file=sys.stderr)
    return 0 if meta["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
