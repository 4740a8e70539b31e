"""Checks shared by the plot tests: every text of a figure, its title and axis titles, escaped labels.

A figure is read the way plotly.js receives it (its JSON), so a test sees exactly the texts that
would be drawn. :data:`EVIL` is a label that plotly would draw bold if it reached the figure as
markup; :data:`SHOWN` is how it must arrive instead (:func:`helpers.plots.base.plain`).
"""
from __future__ import annotations

import json

import plotly.io as pio

#: a label from the data that plotly would read as markup
EVIL = "<b>Bold</b> & Co"
#: the same label escaped: plotly shows it as the characters written
SHOWN = "&lt;b&gt;Bold&lt;/b&gt; &amp; Co"


def drawn(fig) -> str:
    """The whole of ``fig`` as plotly.js receives it, one JSON text with every character written out
    (``<`` rather than ``\\u003c``): a label from the data is found in it as it will be drawn."""
    return json.dumps(json.loads(pio.to_json(fig)), ensure_ascii=False)


def title(fig) -> str:
    """The figure's title text ('' when there is none)."""
    return fig.layout.title.text or ""


def axis_title(fig, axis: str = "xaxis") -> str:
    """The title of one axis (``xaxis``, ``yaxis``, ``yaxis2`` ...); '' when it has none."""
    ax = getattr(fig.layout, axis)
    return (ax.title.text or "") if ax is not None else ""


def assert_labelled(fig, *, x: str | None = None, y: str | None = None, axes=("xaxis", "yaxis")) -> None:
    """The figure has a title and every axis of ``axes`` a title; ``x`` / ``y`` (e.g. a unit) appear in them."""
    assert title(fig).strip(), "figure without a title"
    for a in axes:
        assert axis_title(fig, a).strip(), f"{a} without a title in '{title(fig)}'"
    if x is not None:
        assert x in axis_title(fig, "xaxis"), (x, axis_title(fig, "xaxis"))
    if y is not None:
        assert y in axis_title(fig, "yaxis"), (y, axis_title(fig, "yaxis"))


def assert_escaped(fig_or_html) -> None:
    """:data:`EVIL` reached the figure (or the HTML of a table) as text, never as markup."""
    found = fig_or_html if isinstance(fig_or_html, str) else drawn(fig_or_html)
    assert SHOWN in found, "the label from the data is missing"
    assert "<b>Bold</b>" not in found, "the label from the data reached the figure as markup"
