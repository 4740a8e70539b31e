"""Labels and formats in the report language (English or Turkish), from one glossary.

The glossary (``helpers/glossary/*.yaml``, merged) holds, for each term key, its English and
Turkish name, a one-line definition in both, the formula where there is one and the notebook
that measures it. Code never types a user-facing label twice: it asks :func:`t`.

    >>> from helpers import i18n
    >>> i18n.set_language("tr")
    >>> i18n.t("churn_rate")
    'kayıp oranı'
    >>> i18n.fmt_number(1234.5, 2)
    '1.234,50'

The notebooks' language is the config's ``language``; :func:`helpers.pipeline.open_run` sets it.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "tr")
GLOSSARY_DIR = Path(__file__).parent / "glossary"
_current = "en"


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
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}' is not supported; choose one of {', '.join(LANGUAGES)}")
    _current = language


def language() -> str:
    return _current


def t(key: str, language: str | None = None, **fmt) -> str:
    """The label of ``key`` in the current (or given) language; ``{name}`` fields filled from ``fmt``."""
    lang = language or _current
    entry = glossary().get(key)
    if entry is None or not entry.get(lang):
        raise MissingLabel(f"no '{lang}' label for glossary key '{key}' (add it to src/helpers/glossary/)")
    text = entry[lang]
    return text.format(**fmt) if fmt else text


def fmt_number(x: float, decimals: int = 0, language: str | None = None) -> str:
    """``1,234.50`` in English, ``1.234,50`` in Turkish."""
    s = f"{float(x):,.{decimals}f}"
    if (language or _current) == "tr":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def fmt_date(d, language: str | None = None) -> str:
    """``2011-12-31`` in English (ISO), ``31.12.2011`` in Turkish."""
    d = d.date() if isinstance(d, dt.datetime) else d
    if not isinstance(d, dt.date):
        import pandas as pd

        d = pd.Timestamp(d).date()
    return d.strftime("%d.%m.%Y") if (language or _current) == "tr" else d.isoformat()
