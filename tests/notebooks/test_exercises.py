"""The exercise notebooks and the course pack.

Fast: the shape of every source notebook and the student / solution split. Slow: the course pack on
the tiny config (every solution notebook executed, every check right), every student notebook
executed (runs to the end, every check "not yet answered"), and a Turkish pack.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from helpers.runner import course

from helpers import exercises, i18n, pipeline
from helpers.exercises.core import MIME
from tests.fixtures import TINY
from tests.fixtures.batches import build_once

SOURCES = course.source_notebooks()


def _read(p: Path):
    return nbformat.read(str(p), as_version=4)


def _tags(c) -> set[str]:
    return set(c.get("metadata", {}).get("tags", []))


def test_one_source_notebook_per_stage():
    assert [p.stem[:4] for p in SOURCES] == sorted(exercises.STAGES)
    assert [p.stem for p in SOURCES] == [exercises.STAGES[s][0] for s in sorted(exercises.STAGES)]


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_source_notebook_shape(src):
    """Intro in both languages, one parameters cell, task -> solution -> check per exercise, no outputs."""
    nb = _read(src)
    cells = nb.cells
    assert _tags(cells[0]) == {"lang-en"} and _tags(cells[1]) == {"lang-tr"}
    for word in ("**Question.**", "**CRM concept.**", "**Inputs.**", "**Outputs.**"):
        assert word in cells[0].source
    for word in ("**Soru.**", "**CRM kavramı.**", "**Girdiler.**", "**Çıktılar.**"):
        assert word in cells[1].source
    params = [c for c in cells if "parameters" in _tags(c)]
    assert len(params) == 1
    assert 'config_path = "../../configs/default.yaml"' in params[0].source
    assert all(line.count("=") == 1 for line in params[0].source.splitlines())
    keys = []
    for i, c in enumerate(cells):
        if c.cell_type == "code":
            assert not c.outputs and c.execution_count is None, f"{src.stem}: committed outputs"
        if "lang-en" in _tags(c):
            assert "lang-tr" in _tags(cells[i + 1]), f"{src.stem}: an English cell without its Turkish twin"
        if "task" in _tags(c):
            key = course.cell_key(c)
            assert "solution" in _tags(cells[i + 1]) and "answer" in cells[i + 1].source
            assert "check" in _tags(cells[i + 2]) and course.cell_key(cells[i + 2]) == key
            keys.append(key)
    assert keys == [e.key for e in exercises.stage_exercises(src.stem[:4])]


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_student_version_has_placeholders_and_no_solution_code(src):
    nb = _read(src)
    solutions = [c.source for c in nb.cells if "solution" in _tags(c)]
    student = course.make_version(nb, "student", language="en")
    text = "\n".join(c.source for c in student.cells)
    for s in solutions:
        assert s not in text
    answers = [c for c in student.cells if "answer" in _tags(c)]
    assert len(answers) == len(solutions)
    assert all(c.source.startswith(course.PLACEHOLDER) and "answer = None" in c.source for c in answers)
    tasks = [c for c in student.cells if "task" in _tags(c)]
    assert all(c.cell_type == "markdown" for c in tasks) and len(tasks) == len(solutions)
    assert not any("lang-tr" in _tags(c) for c in student.cells)
    solution = course.make_version(nb, "solution", language="en")
    assert [c.source for c in solution.cells if "solution" in _tags(c)] == solutions


def test_turkish_student_version():
    nb = _read(SOURCES[0])
    student = course.make_version(nb, "student", language="tr")
    assert not any("lang-en" in _tags(c) for c in student.cells)
    assert "Soru" in student.cells[0].source
    first_task = next(c for c in student.cells if "task" in _tags(c))
    key = course.cell_key(next(c for c in nb.cells if "task" in _tags(c)))
    assert exercises.exercise(key).text(exercises.exercise(key).task, "tr") in first_task.source and "İpucu" in first_task.source
    assert "KODUNUZ BURAYA" in next(c for c in student.cells if "answer" in _tags(c)).source


def test_solution_version_keeps_a_placeholder_where_the_data_lacks_products():
    src = next(p for p in SOURCES if p.stem.startswith("ex07"))
    has = {"customer_id": True, "product_id": False}
    sol = course.make_version(_read(src), "solution", language="en", has=has)
    assert not any("solution" in _tags(c) for c in sol.cells)
    assert all("skipped" in c.source for c in sol.cells if "answer" in _tags(c))
    assert all("Skipped" in c.source for c in sol.cells if "task" in _tags(c))


def test_concept_map_links_every_stage():
    stems = {p.stem[:4]: p.stem for p in SOURCES}
    page = course.concept_map("en", stems, "html")
    for stem in stems.values():
        assert f"solutions/{stem}.html" in page
    md = course.concept_map("tr", stems, "md")
    assert "Müşteri seçimi" in md and "Kaptırılan müşteri" in md


# ------------------------------------------------------------------------------ the pack (slow)
@pytest.fixture(scope="session")
def pack(tmp_path_factory):
    """The course pack of the tiny config, built once per test session (whichever xdist worker asks first)."""
    r = build_once(tmp_path_factory, "course_pack",
                   lambda out: {"pack": str(course.build(TINY, reports_dir=out, progress=False))})
    return Path(r["pack"])


def _results(nb_path: Path) -> list[dict]:
    return course.check_results(_read(nb_path))


@pytest.mark.slow
def test_course_pack_contents(pack):
    assert pack.name == "course" and not list(pack.parent.parent.glob(".course-tmp-*"))
    for src in SOURCES:
        assert (pack / "student" / f"{src.stem}.ipynb").exists()
        html = (pack / "solutions" / f"{src.stem}.html").read_text(encoding="utf-8")
        assert "<html" in html.lower() and exercises.stage_exercises(src.stem[:4])[0].key in html
    glossary = (pack / "glossary.html").read_text(encoding="utf-8")
    assert i18n.glossary()["churn_rate"]["en"] in glossary
    cmap = (pack / "concept_map.html").read_text(encoding="utf-8")
    assert all(f"solutions/{p.stem}.html" in cmap for p in SOURCES)
    meta = json.loads((pack / "course.json").read_text(encoding="utf-8"))
    assert meta["ok"], meta["problems"]
    assert [s["stem"] for s in meta["stages"]] == [p.stem for p in SOURCES]


@pytest.mark.slow
def test_every_solution_check_is_right(pack):
    seen = []
    for src in SOURCES:
        results = _results(pack / "solutions" / f"{src.stem}.ipynb")
        assert [r["key"] for r in results] == [e.key for e in exercises.stage_exercises(src.stem[:4])]
        assert all(r["status"] == "right" for r in results), results
        seen += [r["key"] for r in results]
    assert sorted(seen) == sorted(exercises.REGISTRY)


@pytest.mark.slow
@pytest.mark.parametrize("stem", [p.stem for p in SOURCES])
def test_every_student_notebook_runs_and_says_not_yet_answered(pack, stem, tmp_path):
    out = tmp_path / f"{stem}.ipynb"
    pm.execute_notebook(str(pack / "student" / f"{stem}.ipynb"), str(out), kernel_name="python3",
                        cwd=str(tmp_path), progress_bar=False)
    results = _results(out)
    assert [r["key"] for r in results] == [e.key for e in exercises.stage_exercises(stem[:4])]
    assert {r["status"] for r in results} == {"not_answered"}
    board = _read(out).cells[-1].outputs
    assert board and "not yet answered" in json.dumps(board[0]["data"])


@pytest.mark.slow
def test_turkish_pack(tmp_path):
    pack = course.build(TINY, language="tr", reports_dir=tmp_path, only=["ex01"], progress=False)
    results = _results(pack / "solutions" / "ex01_cleaning.ipynb")
    assert results and all(r["status"] == "right" for r in results)
    html = (pack / "solutions" / "ex01_cleaning.html").read_text(encoding="utf-8")
    assert "doğru" in html and "Soru" in html
    assert "Öğrenci defterleri" in (pack / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_course_console_shows_progress_and_result_and_the_kernels_lines_go_to_the_log(tmp_path, capfd):
    """``make course`` is as quiet as ``make reports``: the kernel's own start-up warning reaches neither stdout nor
    stderr (the kernel writes it to its file descriptors, hence ``capfd``), it is in the run's course.log."""
    assert course.main(["--config", str(TINY), "--reports-dir", str(tmp_path), "--only", "ex01", "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert "course pack:" in out and "1 notebooks" in out
    assert "IPKernelApp" not in out + err and "without encryption" not in out + err
    (log,) = tmp_path.glob("*/course.log")
    assert "ex01_cleaning kernel: [IPKernelApp] WARNING | Kernel is running over TCP" in log.read_text(encoding="utf-8")


def test_course_cli_rejects_a_bad_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nanalysis: {period: fortnight}\n", encoding="utf-8")
    assert course.main(["--config", str(bad), "--reports-dir", str(tmp_path / "r"), "--quiet"]) == 2
    assert "period" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_skip_note_on_cdnow_like_data():
    """The pack of a data set without products: the prepared run says so, and the ex07/ex08 tasks carry the note."""
    prep = pipeline.open_run(TINY, progress=False)
    has = {**prep.has, "product_id": False}
    md = exercises.task_markdown("ex08.tier_up_gain", language="en", has=has)
    assert "Skipped" in md and "`product_id`" in md


@pytest.mark.slow
@pytest.mark.shared_data
def test_cdnow_pack_skips_the_product_exercises_with_a_note(shared_data, tmp_path):
    """CDNOW has no products: the basket and up-sell exercises are skipped, visibly, and pass."""
    from helpers import paths

    pack = course.build(paths.CONFIGS / "cdnow.yaml", reports_dir=tmp_path, only=["ex07", "ex08"], progress=False,
                        overrides=[f"data.path={shared_data / 'cdnow' / 'CDNOW_sample.txt'}"])
    meta = json.loads((pack / "course.json").read_text(encoding="utf-8"))
    assert meta["ok"] and meta["has"]["product_id"] is False
    for stem in ("ex07_baskets", "ex08_upsell"):
        results = _results(pack / "solutions" / f"{stem}.ipynb")
        assert results and {r["status"] for r in results} == {"skipped"}
        student = (pack / "student" / f"{stem}.ipynb").read_text(encoding="utf-8")
        assert "Skipped" in student and "product_id" in student
