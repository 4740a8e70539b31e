"""Sentences as data: what features and models return where a page needs a sentence about their numbers.

A model knows *what* to say ("retained 40 of the 52 customers active in 2011-10"), the page knows the
language. So a feature or model returns a :class:`Phrase`: the key of an English template in the label tables
of :mod:`helpers.i18n` and the values of its fields, and :func:`helpers.i18n.say` renders the whole sentence
in the report's language, fields formatted by the locale. Turkish word order is then the translator's, never
the result of swapping English words (the layer contract forbids ``models`` to import ``i18n``).

    >>> p = Phrase("kxf_retention_rate", retained=40, previous="2011-10", active=52)
    >>> p.key, p.fields["active"]
    ('kxf_retention_rate', 52)

Field values: ``int`` is written with thousands separators, ``float`` with two decimals, :class:`Share` as a
percentage, :class:`Number` with the decimals it names, :class:`Sig` with significant digits, a date in the
locale's date format, a :class:`Phrase` as its own sentence, a list of them joined by "; ",
:class:`Listing` items joined by its separator; anything else as text
(period labels, product names).
"""
from __future__ import annotations

from dataclasses import dataclass


#: the typographic quotes around a name from the data inside a generated sentence
QUOTED = ("\u201c", "\u201d")


def quote(value) -> str:
    """``value`` in typographic quotes (``“Mug 1.5 L”``): a name from the data inside a generated sentence."""
    return f"{QUOTED[0]}{value}{QUOTED[1]}"


class Phrase:
    """The key of an English template (``helpers.i18n.labels_*``) and its fields."""

    __slots__ = ("key", "fields")

    def __init__(self, key: str, /, **fields):
        self.key = key
        self.fields = fields

    def __eq__(self, other) -> bool:
        return isinstance(other, Phrase) and (self.key, self.fields) == (other.key, other.fields)

    __hash__ = None

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"Phrase({self.key!r}{', ' if inner else ''}{inner})"


@dataclass(frozen=True)
class Number:
    """A number shown with ``decimals`` decimals and the locale's separators."""

    value: float
    decimals: int = 0


@dataclass(frozen=True)
class Share(Number):
    """A share 0..1 shown as a percentage with ``decimals`` decimals (NaN as the missing sign)."""

    decimals: int = 1


@dataclass(frozen=True)
class Sig(Number):
    """A number shown with ``decimals`` significant digits (``7.24e-10``, ``3.1``)."""

    decimals: int = 3


@dataclass(frozen=True)
class Listing:
    """Several values (phrases or names) written one after the other, joined by ``separator``."""

    items: tuple
    separator: str = ", "

    def __post_init__(self):
        object.__setattr__(self, "items", tuple(self.items))
