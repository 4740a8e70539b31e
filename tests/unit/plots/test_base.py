"""Tests of helpers.plots.base: escaping data text, the markup guard, money, revenue bars and histograms."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from helpers import i18n
from helpers.plots import base
from tests.unit.plots import EVIL, SHOWN, assert_escaped, assert_labelled


class TestPlain:
    def test_one_value_and_sequences(self):
        assert base.plain(EVIL) == SHOWN
        assert base.plain([EVIL, "ok"]) == [SHOWN, "ok"]
        assert base.plain(np.array([EVIL])) == [SHOWN]
        assert base.plain(pd.Index([EVIL])) == [SHOWN]

    def test_series_keeps_index_and_leaves_numbers_and_missing(self):
        s = base.plain(pd.Series([EVIL, None, 3], index=[7, 8, 9], dtype=object))
        assert list(s.index) == [7, 8, 9]
        assert s.iloc[0] == SHOWN and s.iloc[1] is None and s.iloc[2] == 3
        assert base.plain(2.5) == 2.5


class TestMarkupGuard:
    def test_project_tags_stay_other_tags_become_text(self):
        fig = {"layout": {"title": {"text": "Title<br><sup>sub</sup>"}, "separators": "<>",
                          "xaxis": {"tickformat": "<%"}},
               "data": [{"name": '<a href="x">y</a>', "text": np.array(["<img src=x>", "<i>ok</i>"], dtype=object)}]}
        out = base.markup_guard(fig)
        assert out["layout"]["title"]["text"] == "Title<br><sup>sub</sup>"
        assert out["data"][0]["name"] == '&lt;a href="x">y&lt;/a>'
        assert list(out["data"][0]["text"]) == ["&lt;img src=x>", "<i>ok</i>"]
        assert out["layout"]["separators"] == "<>" and out["layout"]["xaxis"]["tickformat"] == "<%"
        assert fig["data"][0]["name"] == '<a href="x">y</a>'        # the input is left as it was


def test_fmt_money():
    assert base.fmt_money(1234.4, "GBP") == "1,234 GBP"
    assert base.fmt_money(-0.2, "GBP") == "0 GBP"
    i18n.set_language("tr")
    assert base.fmt_money(1234.4, "TRY") == "1.234 TRY"


class TestShareBars:
    def table(self):
        return pd.DataFrame({"country": ["UK", EVIL, "France"], "revenue": [300.0, 100.0, 50.0]}).assign(
            share_revenue=lambda d: d["revenue"] / d["revenue"].sum())

    def test_bars_carry_the_revenue_sorted_ascending(self):
        tb = self.table()
        fig = base.share_bars(tb, "country", "GBP")
        assert list(fig.data[0].x) == sorted(tb["revenue"])
        assert list(fig.data[0].y) == ["France", SHOWN, "UK"]
        assert list(fig.data[0].text) == [i18n.fmt_percent(s) for s in tb.sort_values("revenue")["share_revenue"]]
        assert_labelled(fig, x="GBP")
        assert_escaped(fig)

    def test_given_title_wins(self):
        assert base.share_bars(self.table(), "country", "GBP", title="Mine").layout.title.text == "Mine"


class TestHistogram:
    def test_values_title_and_axes(self):
        v = pd.Series([1.0, 2.0, 2.0, 5.0])
        fig = base.histogram(v, title="Orders", x_label="orders (count)", bins=5)
        assert list(fig.data[0].x) == list(v) and fig.data[0].nbinsx == 5
        assert_labelled(fig, x="(count)")
        assert fig.layout.yaxis.type is None

    def test_log_y(self):
        fig = base.histogram(pd.Series([1.0, 10.0]), title="t", x_label="x", log_y=True)
        assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == i18n._("customers (count, log scale)")

    def test_empty_values_give_an_empty_figure(self):
        fig = base.histogram(pd.Series([], dtype=float), title="t", x_label="x")
        assert len(fig.data[0].x) == 0 and fig.layout.title.text == "t"


def test_setup_notebook_registers_the_offline_renderer():
    renderer, template = pio.renderers.default, pio.templates.default
    try:
        base.setup_notebook()
        assert pio.renderers.default == "crm_offline" and pio.templates.default == base.TEMPLATE
    finally:
        i18n.escape_every_styler(False)
        pio.renderers.default, pio.templates.default = renderer, template


@pytest.mark.parametrize("setup_first", [True, False])
def test_a_notebook_imports_matplotlib_only_when_its_own_code_does_and_then_gets_the_unicode_font(tmp_path,
                                                                                                  setup_first):
    """In a fresh process whose matplotlibrc asks for a serif font (Liberation Serif, then Arial for sans-serif):
    setting up a notebook leaves matplotlib unimported, and importing seaborn afterwards (as a user's cell does)
    switches to sans-serif with DejaVu Sans, which has every Turkish letter, first; so does setting up a notebook
    after matplotlib was imported."""
    import os
    import subprocess
    import sys

    rc = tmp_path / "matplotlibrc"
    rc.write_text("font.family: serif\nfont.serif: Liberation Serif\nfont.sans-serif: Arial\n")
    setup = "from helpers.plots import base\nbase.setup_notebook()\n"
    code = ("import sys\n" + (setup if setup_first else "") + "print('matplotlib' in sys.modules)\n"
            "import seaborn, matplotlib\n" + ("" if setup_first else setup) +
            "print(matplotlib.rcParams['font.family'], matplotlib.rcParams['font.sans-serif'][:2])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "MATPLOTLIBRC": str(rc)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["False", "['sans-serif'] ['DejaVu Sans', 'Arial']"]


def test_the_escape_check_can_fail():
    """A label that reaches a figure as markup is caught by the check the plot tests use."""
    with pytest.raises(AssertionError, match="as markup"):
        assert_escaped(go.Figure(go.Bar(x=[1], y=[2], name=EVIL + SHOWN)))
    assert_escaped(go.Figure(go.Bar(x=[1], y=[2], name=base.plain(EVIL))))


def test_show_prints_texts_displays_the_rest_in_order(capsys):
    base.show("first", None, ["second", (pd.DataFrame({"a": [7]}),)], "last")
    out = capsys.readouterr().out
    assert out.startswith("first\nsecond\n") and out.endswith("last\n")
    assert "7" in out.split("second\n")[1]        # the frame displayed between the two texts
    assert "None" not in out


def test_show_displays_a_displayed_text_instead_of_printing_it(capsys, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    base.show(base.Displayed("no terms"), "printed")
    assert shown == ["no terms"] and capsys.readouterr().out == "printed\n"
