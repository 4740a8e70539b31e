"""The notebooks' context and export helper: files written, ids masked once, nothing written for None."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from helpers import notebook
from helpers.io import privacy
from tests.fixtures import TINY


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    return notebook.notebook_context(TINY, [], str(out), progress=False)


def _with_mask(ctx, on: bool):
    config = ctx.config.model_copy(update={"output": ctx.config.output.model_copy(update={"mask_customer_ids": on})})
    return notebook.NotebookContext(dataclasses.replace(ctx.prep, config=config), ctx.output_dir)


def test_context_opens_the_run_and_its_lines(ctx):
    assert ctx.config.name == "tiny"
    assert ctx.currency == ctx.prep.meta["currency"]
    n_lines = ctx.lines().count().execute()
    assert n_lines == ctx.prep.meta["n_clean_lines"]
    assert ctx.con is ctx.con  # one connection per notebook


def test_export_writes_each_table_and_skips_none(ctx):
    kpis = pd.DataFrame({"period": ["2023-01", "2023-02"], "customers": [3, 5]})
    written = ctx.export(lifecycle_kpis=kpis, nothing_here=None, parquet=("lifecycle_kpis",))
    assert written == ["lifecycle_kpis.csv", "lifecycle_kpis.parquet"]
    back = pd.read_csv(ctx.out / "lifecycle_kpis.csv")
    pd.testing.assert_frame_equal(back, kpis)
    assert not (ctx.out / "nothing_here.csv").exists()


def test_export_keeps_the_index_only_when_asked(ctx):
    moves = pd.DataFrame({"to": [1, 2]}, index=pd.Index(["a", "b"], name="from"))
    ctx.export({"with index": moves, "without": moves}, index=("with index",))
    assert list(pd.read_csv(ctx.out / "with index.csv").columns) == ["from", "to"]
    assert list(pd.read_csv(ctx.out / "without.csv").columns) == ["to"]


def test_export_masks_ids_once_when_the_config_asks(ctx):
    masked_ctx = _with_mask(ctx, True)
    table = pd.DataFrame({"customer_id": ["A1", "B2", None], "value": [1.0, 2.0, 3.0]})
    masked_ctx.export(scores=table)
    written = pd.read_csv(masked_ctx.out / "scores.csv")
    expected = privacy.mask_ids(table["customer_id"])
    assert written["customer_id"].iloc[:2].tolist() == expected.iloc[:2].tolist()
    assert written["customer_id"].iloc[:2].str.fullmatch(privacy.MASKED_PATTERN).all()
    assert pd.isna(written["customer_id"].iloc[2])
    # a table built from already-masked columns is written as it is, not hashed again
    masked_ctx.export(again=masked_ctx.shown(table))
    assert pd.read_csv(masked_ctx.out / "again.csv")["customer_id"].iloc[:2].tolist() == expected.iloc[:2].tolist()
    # the input frame is not changed
    assert table["customer_id"].iloc[0] == "A1"


def test_shown_leaves_ids_alone_without_masking(ctx):
    plain = _with_mask(ctx, False)
    table = pd.DataFrame({"customer_id": ["A1"], "value": [1.0]})
    assert plain.shown(table) is table


def test_already_masked_needs_every_id_masked():
    one = privacy.mask_ids(pd.Series(["A1"])).iloc[0]
    assert privacy.already_masked(pd.Series([one, None]))
    assert not privacy.already_masked(pd.Series([one, "A2"]))
    assert not privacy.already_masked(pd.Series([None, None]))
