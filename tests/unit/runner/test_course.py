"""The course pack: finding the exercise notebooks, the student and solution versions, reading the checks,
the concept map, the glossary page and the pack's files.

Every test here runs without a kernel: notebooks are made by hand, and the pack is built with papermill
replaced by a stand-in that writes what an executed notebook holds (the real pack on the tiny config is
tested in ``tests/notebooks/test_exercises.py``).
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import papermill
import pytest

from helpers import exercises, i18n, pipeline
from helpers.exercises.core import MIME
from helpers.runner import course, pages
from tests.fixtures import TINY


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _source(folder: Path, stem: str, keys: list[str]) -> Path:
    """A source exercise notebook: an intro in both languages, the parameters cell, task -> solution ->
    check for each key (the answer is ``len("<key>")``), and a Turkish-only closing cell."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md("# Intro", metadata={"tags": ["lang-en"]}), md("# Giriş", metadata={"tags": ["lang-tr"]}),
             code('config_path = "../../configs/default.yaml"\nconfig_overrides = []', metadata={"tags": ["parameters"]})]
    for key in keys:
        cells += [code(f'ex.show_task("{key}")', metadata={"tags": ["task"]}),
                  code(f'answer = len("{key}")', metadata={"tags": ["solution"]}),
                  code(f'ex.check("{key}", answer)', metadata={"tags": ["check"]})]
    cells.append(md("Son", metadata={"tags": ["lang-tr"]}))
    cells[3].outputs = [nbformat.v4.new_output("stream", text="a committed output\n")]
    cells[3].execution_count = 7
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_source_notebooks_are_the_numbered_exercise_notebooks_in_order(tmp_path, monkeypatch):
    for stem in ("ex02_b", "ex01_a", "ex10_c", "notes", "exa1_x", "ex3_short"):
        (tmp_path / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(course, "SOURCE_DIR", tmp_path)
    assert [p.name for p in course.source_notebooks()] == ["ex01_a.ipynb", "ex02_b.ipynb", "ex10_c.ipynb"]
    assert [p.stem for p in course.source_notebooks(["ex02", "ex10_c", "ex99"])] == ["ex02_b", "ex10_c"]
    assert course.source_notebooks(["ex9"]) == []


def test_cell_key_reads_the_key_of_a_task_or_check_cell():
    code = nbformat.v4.new_code_cell
    assert course.cell_key(code('ex.show_task( "ex01.raw_lines" )')) == "ex01.raw_lines"
    assert course.cell_key(code("ex.check('ex02.aov', answer)")) == "ex02.aov"
    assert course.cell_key({"source": ["x = 1\n", 'ex.show_task("ex03.champions")']}) == "ex03.champions"
    assert course.cell_key(code("answer = 3")) is None


def test_the_placeholder_sets_no_answer_and_names_the_task_in_the_language():
    assert course.placeholder_source("en") == "# YOUR CODE HERE\nanswer = None"
    assert course.placeholder_source("tr") == f"# YOUR CODE HERE  ({i18n._('YOUR CODE HERE', 'tr')})\nanswer = None"
    namespace = {}
    exec(course.placeholder_source("tr"), namespace)
    assert namespace["answer"] is None


def test_the_student_version_hides_the_answers_and_keeps_one_language(tmp_path):
    nb = nbformat.read(str(_source(tmp_path, "ex01_a", ["ex01.raw_lines", "ex01.customers"])), as_version=4)
    student = course.make_version(nb, "student", language="tr")
    sources = [c.source for c in student.cells]
    assert sources[0] == "# Giriş" and sources[-1] == "Son" and "# Intro" not in sources
    assert [c.cell_type for c in student.cells if "task" in _tags(c)] == ["markdown", "markdown"]
    assert student.cells[2].source == exercises.task_markdown("ex01.raw_lines", language="tr")
    answers = [c for c in student.cells if "answer" in _tags(c)]
    assert [c.source for c in answers] == [course.placeholder_source("tr")] * 2
    assert not any("len(" in s for s in sources)
    assert all(not c.outputs and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert nb.cells[3].outputs and "len(" in nb.cells[4].source                   # the source is not changed


def test_the_solution_version_keeps_the_answers_unless_the_data_lacks_a_column(tmp_path):
    nb = nbformat.read(str(_source(tmp_path, "ex07_a", ["ex07.baskets"])), as_version=4)
    solution = course.make_version(nb, "solution", language="en")
    assert [c.source for c in solution.cells if "solution" in _tags(c)] == ['answer = len("ex07.baskets")']
    assert [c.source for c in solution.cells][:2] == ["# Intro", solution.cells[1].source]
    assert "Son" not in [c.source for c in solution.cells]
    lacking = course.make_version(nb, "solution", language="en", has={"product_id": False})
    (answer,) = [c for c in lacking.cells if "answer" in _tags(c)]
    assert answer.source == "answer = None  # skipped: the data has no product_id column"
    assert "`product_id`" in next(c.source for c in lacking.cells if "task" in _tags(c))   # the skip note


def test_a_badly_tagged_source_notebook_is_refused(tmp_path):
    nb = nbformat.read(str(_source(tmp_path, "ex01_a", ["ex01.raw_lines"])), as_version=4)
    with pytest.raises(ValueError, match="'student' or 'solution'"):
        course.make_version(nb, "teacher", language="en")
    early = nbformat.read(str(tmp_path / "ex01_a.ipynb"), as_version=4)
    early.cells = [c for c in early.cells if "task" not in _tags(c)]
    with pytest.raises(ValueError, match="before any 'task'"):
        course.make_version(early, "solution", language="en")
    early.cells.insert(0, nbformat.v4.new_code_cell("print('no key')", metadata={"tags": ["task"]}))
    with pytest.raises(ValueError, match="show_task"):
        course.make_version(early, "student", language="en")


def _check_output(key: str, status: str, mistake: str | None = None):
    return nbformat.v4.new_output("display_data", data={"text/plain": f"[{key}] {status}",
                                                        MIME: {"key": key, "status": status, "mistake": mistake}})


def test_check_results_reads_every_check_output_in_order():
    nb = nbformat.v4.new_notebook()
    a, b, c = (nbformat.v4.new_code_cell(s) for s in ("check a", "print", "check b and c"))
    a.outputs = [_check_output("ex01.a", "right")]
    b.outputs = [nbformat.v4.new_output("stream", text="right\n")]
    c.outputs = [_check_output("ex01.b", "wrong", "gross_revenue"), _check_output("ex01.c", "skipped")]
    nb.cells = [nbformat.v4.new_markdown_cell("ex.check('x', 1)"), a, b, c]
    assert course.check_results(nb) == [{"key": "ex01.a", "status": "right", "mistake": None},
                                        {"key": "ex01.b", "status": "wrong", "mistake": "gross_revenue"},
                                        {"key": "ex01.c", "status": "skipped", "mistake": None}]


def test_the_concept_map_links_the_exercises_and_reports_there_are():
    md = course.concept_map("en", {"ex01": "ex01_cleaning", "ex02": "ex02_lifecycle"}, "md",
                            {"01_data_cleaning": "../../latest/01_data_cleaning.business.html"})
    rows = {line.split(" | ")[0].lstrip("| "): line for line in md.splitlines() if line.startswith("| ")}
    assert rows["Data you can trust"] == ("| Data you can trust | Güvenilir veri | cleaning audit: what each rule removes, "
                                          "kept revenue and customers | [01_data_cleaning](../../latest/"
                                          "01_data_cleaning.business.html) | [ex01](solutions/ex01_cleaning.html) |")
    assert rows["Customer selection"].endswith("| 03_segmentation, 04_clv | – |")          # no exercise of these here
    assert rows["Reach"].endswith("| – | – |")
    assert md.splitlines()[0] == "# CRM concept map"
    assert md.rstrip().endswith(f"ex01 · {exercises.STAGES['ex01'][1]} → ex02 · {exercises.STAGES['ex02'][1]}")
    assert len([r for r in rows.values() if not r.startswith("| concept") and not r.startswith("| stage")]) == \
        len(course.CONCEPTS) + len(course.LIFE_CYCLE)


def test_the_concept_map_page_is_in_the_language():
    page = course.concept_map("tr", {"ex03": "ex03_rfm"}, "html")
    assert page.startswith('<!doctype html>\n<html lang="tr">')
    assert "<h1>CRM kavram haritası</h1>" in page and "Müşteri seçimi" in page
    assert '<a href="solutions/ex03_rfm.html">ex03</a> (<a href="student/ex03_rfm.ipynb">ipynb</a>)' in page
    assert page.count("<tr><td>") == len(course.CONCEPTS) + len(course.LIFE_CYCLE)


def test_the_glossary_page_falls_back_to_a_plain_table(monkeypatch):
    assert course.glossary_page("tr") == pages.glossary_html("tr")

    def broken(language):
        raise RuntimeError("no template")

    monkeypatch.setattr(pages, "glossary_html", broken)
    page = course.glossary_page("tr")
    assert page.startswith('<!doctype html><html lang="tr">')
    assert page.count("<tr>") == len(i18n.glossary())


def test_a_solution_page_falls_back_to_plain_nbconvert(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Solution & answer")]
    nbformat.write(nb, str(tmp_path / "s.ipynb"))

    def broken(*args, **kwargs):
        raise RuntimeError("no template")

    monkeypatch.setattr(pages, "export_html", broken)
    course.solution_html(tmp_path / "s.ipynb", tmp_path / "s.html", "en")
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "Solution &amp; answer" in page and "crm-glossary-link" not in page


@pytest.fixture
def offline_pack(tmp_path, monkeypatch):
    """Two source notebooks, prepared data that has no products, and papermill replaced: a student
    notebook is copied, a solution "executed" by writing each check's status from ``statuses``."""
    src = tmp_path / "exercises"
    src.mkdir()
    _source(src, "ex01_cleaning", ["ex01.raw_lines", "ex01.customers"])
    _source(src, "ex07_baskets", ["ex07.baskets"])
    monkeypatch.setattr(course, "SOURCE_DIR", src)
    monkeypatch.setattr(pipeline, "prepare", lambda cfg, **kw: SimpleNamespace(
        has={"customer_id": True, "product_id": False}, fingerprint="fp-1"))
    statuses, calls = {}, []

    def execute_notebook(input_path, output_path, parameters=None, prepare_only=False, **kw):
        calls.append((Path(input_path).name, prepare_only, dict(parameters), kw.get("cwd")))
        nb = nbformat.read(str(input_path), as_version=4)
        nb.metadata["language_info"] = {"name": "python"}
        if not prepare_only:
            for cell in nb.cells:
                key = course.cell_key(cell) if "check" in _tags(cell) else None
                if key:
                    cell.outputs = [_check_output(key, statuses.get(key, "right"))]
        nbformat.write(nb, str(output_path))

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return SimpleNamespace(reports=tmp_path / "reports", statuses=statuses, calls=calls)


def test_the_course_pack_writes_the_files_it_lists(offline_pack):
    pack = course.build(TINY, reports_dir=offline_pack.reports, progress=False)
    assert pack.parent.parent == offline_pack.reports.resolve() and pack.name == "course"
    assert pack.parent.name.startswith("tiny-course-")
    assert sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()) == [
        "concept_map.html", "concept_map.md", "course.json", "glossary.html", "index.html",
        "solutions/ex01_cleaning.html", "solutions/ex01_cleaning.ipynb", "solutions/ex07_baskets.html",
        "solutions/ex07_baskets.ipynb", "student/ex01_cleaning.ipynb", "student/ex07_baskets.ipynb"]
    assert [p.name for p in offline_pack.reports.iterdir()] == [pack.parent.name]          # no temporary folder left
    meta = json.loads((pack / "course.json").read_text(encoding="utf-8"))
    assert (meta["config"], meta["config_name"], meta["fingerprint"], meta["ok"], meta["problems"]) == (
        str(TINY.resolve()), "tiny", "fp-1", True, [])
    assert [(s["stem"], s["checks"], s["right"], s["exercises"]) for s in meta["stages"]] == [
        ("ex01_cleaning", 2, 2, len(exercises.stage_exercises("ex01"))),
        ("ex07_baskets", 1, 1, len(exercises.stage_exercises("ex07")))]
    assert meta["has"] == {"customer_id": True, "product_id": False}
    solution = nbformat.read(str(pack / "solutions" / "ex07_baskets.ipynb"), as_version=4)
    assert "answer = None  # skipped: the data has no product_id column" in [c.source for c in solution.cells]
    student = nbformat.read(str(pack / "student" / "ex01_cleaning.ipynb"), as_version=4)
    assert not any("len(" in c.source for c in student.cells)
    params = {"config_path": str(TINY.resolve()), "config_overrides": []}
    assert offline_pack.calls[:2] == [("ex01_cleaning.student.ipynb", True, params, None),
                                      ("ex01_cleaning.solution.ipynb", False, params, str(course.SOURCE_DIR))]
    index = (pack / "index.html").read_text(encoding="utf-8")
    for f in ("student/ex01_cleaning.ipynb", "solutions/ex07_baskets.html", "glossary.html", "concept_map.html"):
        assert f'href="{f}"' in index
    assert '<td class="good">2 / 2</td>' in index and '<td class="good">1 / 1</td>' in index


def test_a_wrong_solution_check_makes_the_pack_fail(offline_pack, capsys):
    offline_pack.statuses["ex01.customers"] = "wrong"
    code = course.main(["--config", str(TINY), "--reports-dir", str(offline_pack.reports), "--only", "ex01",
                        "--quiet"])
    assert code == 1
    out, err = capsys.readouterr()
    assert "1 notebooks, 1 / 2 solution checks right or skipped" in out
    assert "problem: ex01_cleaning: ex01.customers is wrong" in err
    (pack,) = offline_pack.reports.glob("*/course")
    assert '<td class="bad">1 / 2</td>' in (pack / "index.html").read_text(encoding="utf-8")
