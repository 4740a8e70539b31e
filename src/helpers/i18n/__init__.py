"""The report language (English or Turkish): words and sentences, glossary terms, numbers and dates.

Three sources, one for each kind of text:

* **What the reports say** is English in the code, wrapped for GNU gettext (:mod:`helpers.i18n.catalog`):
  ``_("{n} customers complained", n=…)``, ``ngettext(...)`` for counts, ``pgettext(context, ...)`` where the
  same English means two things. The Turkish is in ``helpers/locale/tr/LC_MESSAGES/messages.po``, kept in
  step by ``make catalog`` (Babel's ``pybabel extract`` / ``update``). Whole sentences are translated, with
  their ``{fields}``, so Turkish word order is free.
* **Labels of data values** (a column name, an audit rule, a stage) are looked up by the value:
  :func:`label`, :func:`column`, :func:`lookup`, from the tables ``labels_tables``, ``labels_models`` and
  ``labels_reports`` (English, marked with :func:`N_`; translated through the same catalogue).
* **Domain terms** (KPIs, life-cycle stages, segments, actions, methods: about a hundred) are the
  glossary (``helpers/glossary/glossary.yaml``): EN/TR names, definitions, formulas and the notebook
  that measures each, rendered as ``glossary.html``; :func:`term` gives a term's name.

Numbers, percentages, money and dates are written by Babel from the CLDR data of the language's locale
(:data:`LOCALES`): separators, sign and percent-sign placement, month names; the few places where the
reports keep their own style are listed at :data:`PERCENT_PATTERNS`. A missing value is :data:`MISSING`.

    >>> from helpers import i18n
    >>> i18n.set_language("tr")
    >>> i18n.term("churn_rate")
    'kayıp oranı'
    >>> i18n._("at risk")
    'risk altında'
    >>> i18n.fmt_number(1234.5, 2)
    '1.234,50'
    >>> i18n.set_language("en")

The notebooks' language is the config's ``language``; :func:`helpers.pipeline.open_run` sets it.

Each glossary entry has a ``group``: ``activity`` (the four CRM activities), ``stage`` (the customer
life cycle), ``kpi``, ``segment`` (RFM segments), ``action`` (recommended actions) or ``method``
(analytic tools); the glossary page groups terms by it.

User text is data, never markup. Product names, customer ids, regions and comments come from
exports that many people can edit, and the reports are HTML pages. Tables are built by
:func:`table` / :func:`style`, which return an :class:`EscapedStyler`: every cell, index and
column label and the caption are written as text (``<`` as ``&lt;``). Where a label built from
data goes into a place that reads markup (plotly titles, hover texts, tick labels), it passes
through :func:`escape_markup` first; glossary text stays as written (plotly's ``<br>`` in it works).
"""
from __future__ import annotations

import datetime as dt
import html
import numbers
import sys
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LANGUAGES = ("en", "tr")
GLOSSARY_DIR = Path(__file__).parent.parent / "glossary"
#: Fields every glossary entry must have (``formula`` is optional); ``group`` is one of :data:`GROUPS`.
REQUIRED_FIELDS = ("en", "tr", "def_en", "def_tr", "notebook", "group")
#: The glossary page's sections, in order: group -> glossary key of the section heading.
GROUPS = {
    "activity": "group_activity", "stage": "group_stage", "kpi": "group_kpi", "segment": "group_segment",
    "action": "group_action", "method": "group_method",
}
_current = "en"

from helpers.i18n import catalog, labels_models, labels_reports, labels_tables  # noqa: E402
from helpers.i18n.catalog import N_, NP_  # noqa: E402,F401
from helpers.phrase import QUOTED, Listing, Number, Phrase, Share, Sig, quote  # noqa: E402,F401


class MissingLabel(KeyError):
    """A label key with no glossary entry (or no text in the asked language)."""


@lru_cache(maxsize=1)
def glossary() -> dict[str, dict]:
    """Every entry of every ``glossary/*.yaml`` file, by key; a key defined twice is an error."""
    merged: dict[str, dict] = {}
    for path in sorted(GLOSSARY_DIR.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, entry in entries.items():
            if key in merged:
                raise ValueError(f"glossary key '{key}' is defined twice (again in {path.name})")
            merged[key] = {**entry, "file": path.name}
    return merged


def set_language(language: str) -> None:
    """Set the report language (``en`` or ``tr``) for :func:`t` and the number and date formats."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}' is not supported; choose one of {', '.join(LANGUAGES)}")
    _current = language
    if "matplotlib" in sys.modules:        # Turkish letters need a font that has them
        use_unicode_font()


def language() -> str:
    """The current report language."""
    return _current


def term(key: str, language: str | None = None) -> str:
    """The name of the glossary term ``key`` (a KPI, a life-cycle stage, a method ...) in the language."""
    lang = language or _current
    entry = glossary().get(key)
    if entry is None or not entry.get(lang):
        raise MissingLabel(f"no '{lang}' name for glossary term '{key}' (add it to src/helpers/glossary/glossary.yaml)")
    return entry[lang]


def _(message: str, language: str | None = None, /, **fields) -> str:
    """``message`` (English, as the code writes it) in the current (or given) language, ``{name}`` fields
    filled after translating (:mod:`helpers.i18n.catalog`)."""
    return catalog.translate(language or _current, message, **fields)


gettext = _


def ngettext(singular: str, plural: str, n, language: str | None = None, /, **fields) -> str:
    """The form of ``singular`` / ``plural`` for ``n`` in the language; ``{n}`` and ``fields`` filled."""
    return catalog.translate_plural(language or _current, singular, plural, n, **fields)


def pgettext(context: str, message: str, language: str | None = None, /, **fields) -> str:
    """``message`` with the meaning ``context`` (``pgettext("answer", "yes")``) in the language."""
    return catalog.translate_in_context(language or _current, context, message, **fields)


def show(marked, language: str | None = None, /, **fields) -> str:
    """A label marked with :func:`N_` (a string) or :func:`NP_` (context, string), in the language."""
    if isinstance(marked, tuple):
        return pgettext(marked[0], marked[1], language, **fields)
    return _(marked, language, **fields)


@lru_cache(maxsize=1)
def labels() -> dict:
    """Every label the code looks up by a key (a column name, a rule, a stage, often with a family prefix
    such as ``col_``): key -> English text marked for the catalogue (:mod:`helpers.i18n.labels_tables`,
    :mod:`~helpers.i18n.labels_models`, :mod:`~helpers.i18n.labels_reports`)."""
    merged: dict = {}
    for table in (labels_tables.LABELS, labels_models.LABELS, labels_reports.LABELS):
        if set(merged) & set(table):
            raise ValueError(f"label keys defined twice: {sorted(set(merged) & set(table))[:5]}")
        merged.update(table)
    return merged


def lookup(key: str, language: str | None = None, /, **fields) -> str:
    """The text of ``key``: a label of :func:`labels` (translated), else a glossary term's name."""
    marked = labels().get(key)
    if marked is not None:
        return show(marked, language, **fields)
    lang = language or _current
    if key in glossary() and glossary()[key].get(lang):
        text = glossary()[key][lang]
        return text.format(**fields) if fields else text
    raise MissingLabel(f"no label or glossary term '{key}' (labels: src/helpers/i18n/labels_*.py)")


def say(phrase, language: str | None = None, /) -> str:
    """A :class:`helpers.phrase.Phrase` (or a list of them, joined by "; ") as one sentence in the language:
    its template (:func:`lookup`) with the fields formatted by the locale (:mod:`helpers.phrase` says how)."""
    if isinstance(phrase, (list, tuple)):
        return "; ".join(say(p, language) for p in phrase)
    return lookup(phrase.key, language, **{k: say_value(v, language) for k, v in phrase.fields.items()})


def say_each(phrases, language: str | None = None, /) -> list[str]:
    """:func:`say` of every phrase of a long column, each distinct phrase written once (an offers table of a
    million customers repeats a few thousand sentences). Distinct = a different ``repr``: the key and every field."""
    written: dict[str, str] = {}
    by_object: dict[int, str] = {}     # a column often holds one phrase object many times: no repr for those
    out = []
    for p in phrases:
        text = by_object.get(id(p))
        if text is None:
            key = repr(p)
            text = written.get(key)
            if text is None:
                text = written[key] = say(p, language)
            by_object[id(p)] = text
        out.append(text)
    return out


def say_value(value, language: str | None = None, /) -> str:
    """One field of a :class:`~helpers.phrase.Phrase` (or a table cell of such values) as text in the language."""
    if isinstance(value, Listing):
        return value.separator.join(say_value(v, language) for v in value.items)
    if isinstance(value, (Phrase, list, tuple)):
        return say(value, language)
    if isinstance(getattr(value, "phrase", None), Phrase):      # a fit result or its source
        return say(value.phrase, language)
    if isinstance(value, Share):
        return fmt_percent(value.value, value.decimals, language)
    if isinstance(value, Sig):
        return fmt_spec(float(value.value), f".{value.decimals}g", language)
    if isinstance(value, Number):
        return fmt_number(value.value, value.decimals, language)
    if isinstance(value, dt.date):
        return fmt_date(value, language)
    if isinstance(value, (bool, str)) or value is None:
        return str(value)
    if isinstance(value, numbers.Integral):
        return fmt_number(value, 0, language)
    if isinstance(value, numbers.Real):
        return fmt_number(value, 2, language)
    return str(value)


def has(key: str) -> bool:
    """Whether ``key`` is a label or a glossary term."""
    return key in labels() or key in glossary()


def label(value, prefix: str = "") -> str:
    """A data value (a column name, a stage, a segment key) shown in the report language.

    ``prefix + value`` (spaces and dashes as ``_``, lower case) is looked up (:func:`lookup`), then the value
    alone (a plain word such as ``description``); a value with no label is shown as it is (customer ids,
    product names, dates ...).
    """
    for key in (_key(value, prefix), _key(value)) if prefix else (_key(value),):
        if has(key):
            return lookup(key)
    return str(value)


def headers(df, prefix: str = ""):
    """``df`` with each column renamed by :func:`label` (a copy); index name likewise."""
    out = df.rename(columns={c: label(c, prefix) for c in df.columns})
    if getattr(out.index, "name", None):
        out.index = out.index.rename(label(out.index.name, prefix))
    return out


#: A period's name in the singular and plural (the Turkish plural is the singular: "3 ay", "aylar" is not used).
PERIOD_NAMES = {"day": (N_("day"), N_("days")), "week": (N_("week"), N_("weeks")),
                "month": (N_("month"), N_("months")), "quarter": (N_("quarter"), N_("quarters")),
                "year": (N_("year"), N_("years"))}


def period_name(period: str, plural: bool = False) -> str:
    """``month`` -> ``month`` / ``ay``; plural ``months`` / ``ay``."""
    if period not in PERIOD_NAMES:
        return f"{period}s" if plural else period
    return _(PERIOD_NAMES[period][1 if plural else 0])


#: The CLDR locale (Unicode Common Locale Data Repository, read through Babel) of each report language.
#: English is written the British way (the example data is a UK shop); the two write numbers alike.
LOCALES = {"en": "en_GB", "tr": "tr_TR"}
#: What the formatters write for a missing value (``None``, NaN, ``NaT``), in both languages.
MISSING = "–"
#: Where the reports keep their own style instead of CLDR's, as their tests and readers know it (Babel
#: patterns; :func:`with_decimals` sets the fraction digits each call asks for). English percentages are
#: ``12.5 %`` (CLDR: ``12.5%``); dates are ISO ``2011-12-31`` in English (CLDR en_GB: ``31/12/2011``) and
#: ``05.01.2011`` in Turkish (CLDR tr_TR short: ``5.01.2011``). Money is a number and the ISO currency code
#: (``1,234 GBP``; CLDR: ``£1,234.00``).
PERCENT_PATTERNS = {"en": "#,##0 %"}
DATE_PATTERNS = {"en": "yyyy-MM-dd", "tr": "dd.MM.y"}
MONEY_PATTERN = "#,##0 ¤¤"


def locale(language: str | None = None) -> str:
    """The CLDR locale of the language (default: the current one): ``en_GB`` or ``tr_TR``."""
    return LOCALES[language or _current]


def babel_locale(language: str | None = None) -> Locale:
    """The Babel :class:`~babel.Locale` of the language (default: the current one), parsed once."""
    return _parsed_locale(locale(language))


@lru_cache(maxsize=None)
def _parsed_locale(name: str) -> Locale:
    """Babel parses a locale name on every call; the formatters run once per table cell."""
    return Locale.parse(name)


def is_missing(x) -> bool:
    """Whether ``x`` is a missing scalar: ``None``, NaN, ``pandas.NA`` or ``NaT``."""
    if x is None:
        return True
    import pandas as pd

    return bool(pd.api.types.is_scalar(x) and pd.isna(x))


def with_decimals(pattern: str, decimals: int) -> str:
    """A CLDR number pattern with exactly ``decimals`` fraction digits: ``%#,##0`` -> ``%#,##0.0``."""
    import re

    return re.sub(r"0(\.[0#]+)?", "0" + ("." + "0" * decimals if decimals > 0 else ""), pattern)


@lru_cache(maxsize=None)
def number_pattern(kind: str, language: str, decimals: int):
    """The Babel number pattern of ``kind`` (``decimal``, ``percent`` or ``money``) for ``language``, with
    ``decimals`` fraction digits: CLDR's, or the reports' own (:data:`PERCENT_PATTERNS`, :data:`MONEY_PATTERN`).
    Cached: the formatters run once per table cell."""
    cldr = babel_locale(language)
    pattern = {"decimal": cldr.decimal_formats[None].pattern, "money": MONEY_PATTERN,
               "percent": PERCENT_PATTERNS.get(language) or cldr.percent_formats[None].pattern}[kind]
    return babel_numbers.parse_pattern(with_decimals(pattern, decimals))


def localize_separators(s: str, language: str | None = None) -> str:
    """A number written the English way (``1,234.5``) with the language's CLDR separators (``1.234,5``)."""
    loc = babel_locale(language)
    group, decimal = babel_numbers.get_group_symbol(loc), babel_numbers.get_decimal_symbol(loc)
    return s.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def fmt_number(x: float, decimals: int = 0, language: str | None = None) -> str:
    """``1,234.50`` in English, ``1.234,50`` in Turkish (CLDR separators; ``-1,234.50`` when negative).

    Rounded half to even on the float's exact value, as Python's ``format`` does; :data:`MISSING` for a
    missing value.
    """
    if is_missing(x):
        return MISSING
    lang = language or _current
    pattern = number_pattern("decimal", lang, decimals)
    return babel_numbers.format_decimal(Decimal(float(x)), pattern, locale=babel_locale(lang))


def fmt_spec(x, spec: str = "", language: str | None = None) -> str:
    """``format(x, spec)`` in English; in Turkish the separators swapped (``1.234,5``) and a percent sign
    first (``%12,3``, ``+%4,0``), so generated sentences read naturally in both languages."""
    s = format(x, spec)
    if (language or _current) == "en":
        return s
    s = localize_separators(s, language)
    if s.endswith("%") and percent_sign_first(language):
        sign = s[0] if s[0] in "+-" else ""
        s = f"{sign}%{s[len(sign):-1]}"
    return s


def percent_sign_first(language: str | None = None) -> bool:
    """Whether the language's CLDR percent pattern puts the sign before the number (Turkish ``%12``)."""
    return babel_locale(language).percent_formats[None].pattern.startswith("%")


def fmt_percent(share: float, decimals: int = 1, language: str | None = None) -> str:
    """A share 0..1 as ``12.5 %`` in English, ``%12,5`` in Turkish (the sign goes first; CLDR writes a
    negative one ``-%12,5``); :data:`MISSING` for a missing value."""
    if is_missing(share):
        return MISSING
    lang = language or _current
    # the percentage as ``100 * share`` in floats, as before; Babel multiplies by 100 again
    value = Decimal(100 * float(share)).scaleb(-2)
    return babel_numbers.format_percent(value, number_pattern("percent", lang, decimals), locale=babel_locale(lang))


def fmt_money(x: float, currency: str, decimals: int = 0, language: str | None = None) -> str:
    """An amount and its ISO currency code: ``1,234 GBP`` in English, ``1.234 GBP`` in Turkish; never
    ``-0 GBP``; :data:`MISSING` for a missing value."""
    if is_missing(x):
        return MISSING
    lang = language or _current
    value = round(float(x), decimals) + 0.0          # + 0.0: no negative zero
    return babel_numbers.format_currency(Decimal(value), currency, number_pattern("money", lang, decimals),
                                         locale=babel_locale(lang), currency_digits=False)


def fmt_date(d, language: str | None = None) -> str:
    """``2011-12-31`` in English (ISO), ``31.12.2011`` in Turkish; :data:`MISSING` for a missing date."""
    if is_missing(d):
        return MISSING
    d = d.date() if isinstance(d, dt.datetime) else d
    if not isinstance(d, dt.date):
        import pandas as pd

        d = pd.Timestamp(d).date()
    lang = language or _current
    return babel_dates.format_date(d, DATE_PATTERNS[lang], locale=babel_locale(lang))


def number_format(language: str | None = None) -> dict:
    """Keyword arguments for pandas ``Styler.format`` that write numbers the language's way."""
    if (language or _current) == "en":
        return {}
    loc = babel_locale(language)
    return {"decimal": babel_numbers.get_decimal_symbol(loc), "thousands": babel_numbers.get_group_symbol(loc)}


def plotly_separators(language: str | None = None) -> str:
    """plotly's ``layout.separators`` (decimal, then thousands) for the language."""
    loc = babel_locale(language)
    return babel_numbers.get_decimal_symbol(loc) + babel_numbers.get_group_symbol(loc)


def use_unicode_font() -> None:
    """Make matplotlib / seaborn draw with DejaVu Sans, which has every Turkish letter (ç ğ ı İ ö ş ü)."""
    import matplotlib

    fonts = list(matplotlib.rcParams.get("font.sans-serif", []))
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans", *[f for f in fonts if f != "DejaVu Sans"]]


def missing_keys(keys, languages=LANGUAGES) -> list[str]:
    """Of ``keys``, those with no text in one of ``languages``: neither a label translated in the catalogue
    nor a glossary term named in the language (for tests and checks)."""
    g, lab = glossary(), labels()

    def missing(k):
        if k in lab:
            return not all(catalog.is_translated(lang, lab[k]) for lang in languages)
        return k not in g or any(not g[k].get(lang) for lang in languages)
    return sorted(k for k in set(keys) if missing(k))


def incomplete_entries() -> dict[str, list[str]]:
    """Glossary entries lacking a required field (:data:`REQUIRED_FIELDS`), with the fields they lack."""
    return {k: miss for k, e in glossary().items() if (miss := [f for f in REQUIRED_FIELDS if not e.get(f)])}


def _key(value, prefix: str = "") -> str:
    return prefix + str(value).strip().lower().replace(" ", "_").replace("-", "_").replace("'", "")


def column(name, prefix: str = "") -> str:
    """A table column name in the report language.

    Looks up ``prefix + name`` (when ``prefix``), then ``col_<name>``, then ``<name>`` (normalised as in
    :func:`label`); a name with no entry is shown as it is. ``column("share_lines")`` -> ``share of lines``.
    """
    for key in ([_key(name, prefix)] if prefix else []) + [_key(name, "col_"), _key(name)]:
        if has(key):
            return lookup(key)
    return str(name)


def columns(df, prefix: str = ""):
    """``df`` (a copy) with its column names, index names and column-axis name shown by :func:`column`.

    Two columns that would get the same label keep their original names (a Styler needs unique labels).
    """
    new = {c: column(c, prefix) for c in df.columns}
    seen: dict[str, int] = {}
    for v in new.values():
        seen[v] = seen.get(v, 0) + 1
    out = df.rename(columns={c: (v if seen[v] == 1 else c) for c, v in new.items()})
    names = [column(n, prefix) if n else n for n in out.index.names]
    out.index = out.index.set_names(names)
    if out.columns.name:
        out.columns = out.columns.rename(column(out.columns.name, prefix))
    return out


def values(df, cols: dict[str, str]):
    """``df`` (a copy) with the text cells of each column in ``cols`` shown by :func:`label` with its prefix.

    ``values(audit, {"rule": "rule_"})``: ``raw total`` -> ``ham toplam`` in Turkish. The stored values are unchanged.
    """
    out = df.copy()
    for col, prefix in cols.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v: label(v, prefix) if isinstance(v, str) else v)
    return out


def table(df, formats=None, *, prefix: str = "", cells: dict[str, str] | None = None, **format_kw):
    """``df`` as a pandas Styler in the report language: column names by :func:`columns`, the text cells of
    ``cells`` (column -> glossary prefix) by :func:`label`, numbers with the language's separators.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as computed (English column names and values; it is not changed).
    formats : str, callable or dict, optional
        As for ``Styler.format``; a dict is keyed by the ORIGINAL column names.
    prefix : str
        Glossary prefix tried first for the column names.
    cells : dict, optional
        Columns whose text values are translated, with the glossary prefix of their keys.
    **format_kw
        Passed to ``Styler.format`` (``na_rep``, ``precision`` ...).

    Returns
    -------
    EscapedStyler
        A pandas Styler that writes every text as text (see :class:`EscapedStyler`). Chain
        ``.hide(axis="index")``, ``.set_caption(t(...))`` etc. as usual; a ``subset`` must name the
        shown columns, i.e. ``column(name)``.
    """
    shown = columns(values(df, cells or {}), prefix)
    rename = dict(zip(df.columns, shown.columns))
    if isinstance(formats, dict):
        formats = {rename[k]: v for k, v in formats.items() if k in rename}
    return style(shown, formats, **format_kw)


def style(df, formats=None, **format_kw):
    """``df`` as it is (no renaming) as an :class:`EscapedStyler`, numbers with the language's separators.

    The table helpers of :mod:`helpers.plots` and the notebooks use it where :func:`table`'s renaming is not
    wanted (the columns are already named). ``formats`` and ``format_kw`` as for ``Styler.format``.
    """
    return _escaped_styler_class()(df).format(formats, **{**number_format(), **format_kw})


def escape_markup(value):
    """A text from the data as text in a place that reads markup: ``&``, ``<`` and ``>`` as ``&amp;``,
    ``&lt;`` and ``&gt;``; anything that is not a string (numbers, dates, missing values) unchanged.

    For plotly (titles, annotations, hover and tick labels render ``<b>``, ``<a href>``, ``<br>`` ...;
    plotly turns the three entities back into the characters, so the text shows as it is) and for HTML
    written by hand. Quotes are kept: plotly does not read ``&quot;``, and text between tags needs none.
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _escaped_styler_class():
    """:class:`EscapedStyler`, made on first use (pandas' Styler is imported only then)."""
    global _EscapedStyler
    if _EscapedStyler is not None:
        return _EscapedStyler
    from markupsafe import escape
    from pandas.io.formats.style import Styler

    def text(label):
        # markupsafe's Markup: its .format() escapes what it is given (relabel_index formats labels
        # with the original value)
        if isinstance(label, tuple):
            return tuple(text(v) for v in label)
        return escape(label) if isinstance(label, str) else label

    class EscapedStyler(Styler):
        """A pandas Styler whose cells, index and column labels, their names and its caption are text.

        pandas' Styler writes them into the HTML as they are, so a product called ``<b>x</b>`` would be
        bold and a ``<script>`` would run. This one formats with ``escape="html"`` unless told otherwise:
        at creation, and in every later ``format`` / ``format_index`` / ``format_index_names`` call
        (``escape=None`` turns it off for HTML the project writes itself). ``relabel_index`` labels and
        the caption are escaped too. A formatter callable gets the escaped text, so one that builds its
        output from other data must escape that itself.
        """

        def __init__(self, data, *args, **kwargs):
            kwargs.setdefault("escape", "html")
            caption = kwargs.pop("caption", None)
            super().__init__(data, *args, **kwargs)
            self._escape_labels()
            if caption is not None:
                self.set_caption(caption)

        def _escape_labels(self):
            for axis in (0, 1):
                self.format_index(axis=axis)
                self.format_index_names(axis=axis)

        def format(self, formatter=None, subset=None, na_rep=None, precision=None, decimal=".", thousands=None,
                   escape="html", hyperlinks=None):
            return super().format(formatter, subset, na_rep, precision, decimal, thousands, escape, hyperlinks)

        def format_index(self, formatter=None, axis=0, level=None, na_rep=None, precision=None, decimal=".",
                         thousands=None, escape="html", hyperlinks=None):
            return super().format_index(formatter, axis, level, na_rep, precision, decimal, thousands, escape,
                                        hyperlinks)

        def format_index_names(self, formatter=None, axis=0, level=None, na_rep=None, precision=None,
                               decimal=".", thousands=None, escape="html", hyperlinks=None):
            return super().format_index_names(formatter, axis, level, na_rep, precision, decimal, thousands,
                                              escape, hyperlinks)

        def relabel_index(self, labels, axis=0, level=None):
            return super().relabel_index([text(v) for v in labels], axis, level)

        def set_caption(self, caption):
            return super().set_caption(str(escape(caption)) if isinstance(caption, str) else caption)

        def clear(self):
            super().clear()
            self.format()
            self._escape_labels()

    EscapedStyler.__module__ = __name__
    _EscapedStyler = EscapedStyler
    return EscapedStyler


_EscapedStyler = None
_pandas_style = None


def escape_every_styler(enabled: bool = True) -> None:
    """Make ``DataFrame.style`` give an :class:`EscapedStyler` in this process (``enabled=False`` restores
    pandas' own), and set pandas' ``styler.format.escape`` option to ``"html"`` for Stylers made directly.

    :func:`helpers.plots.setup_notebook` turns it on, so that a notebook's ``df.style...`` tables show the
    data as text like :func:`table` does, without every notebook having to remember it.
    """
    global _pandas_style
    import pandas as pd

    if _pandas_style is None:
        _pandas_style = pd.DataFrame.__dict__["style"]
    if enabled:
        cls = _escaped_styler_class()
        pd.DataFrame.style = property(lambda df: cls(df), doc="The frame as an i18n.EscapedStyler (text is escaped).")
        pd.set_option("styler.format.escape", "html")
    else:
        pd.DataFrame.style = _pandas_style
        pd.reset_option("styler.format.escape")


def __getattr__(name):
    if name == "EscapedStyler":
        return _escaped_styler_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Row names of ``DataFrame.describe()`` -> glossary keys.
_DESCRIBE = {"count": "stat_count", "mean": "stat_mean", "std": "stat_std", "min": "stat_min", "25%": "stat_q25",
             "50%": "stat_median", "75%": "stat_q75", "max": "stat_max"}


def describe(df):
    """``df.describe().T`` with the statistics and the described columns named in the report language."""
    d = df.describe().T
    d.columns = [lookup(_DESCRIBE[c]) if c in _DESCRIBE else str(c) for c in d.columns]
    d.index = [column(i) for i in d.index]
    return d


def _outside_quotes(text: str, change) -> str:
    """``change`` applied to the parts of ``text`` outside :func:`quote`'s quotes."""
    import re

    parts = re.split("(" + QUOTED[0] + "[^" + QUOTED[1] + "]*" + QUOTED[1] + ")", text)
    return "".join(p if i % 2 else change(p) for i, p in enumerate(parts))


def localize_numbers(text: str, language: str | None = None) -> str:
    """Numbers already written the English way inside ``text`` (``1,234.50``, ``12.5%``) rewritten for the
    language (``1.234,50``, ``%12,5`` in Turkish); other text, ISO dates and quoted names (:func:`quote`)
    included, is left alone."""
    import re

    if (language or _current) != "tr" or not isinstance(text, str):
        return text

    def swap(m):
        s = localize_separators(m.group(1), language)
        return f"%{s}" if m.group(2) else s

    pattern = re.compile(r"(?<![\d\-:.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+)( ?%)?(?![\d\-:])")
    return _outside_quotes(text, lambda part: pattern.sub(swap, part))
