"""What reviews say: words and 2-grams per language, stop words, and terms typical of low against high scores.

Words are letters only (2+ characters), lower-cased per language (Turkish ``I`` -> ``ı``);
stop words come from the ``stop-words`` package without :data:`KEEP_WORDS`. Counts are the
number of reviews that mention a term. Distinctive terms: the smoothed log odds ratio of
mentioning a term in a low- against a high-score text, and its z.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd


#: languages whose stop words are used when a review's language is unknown
DEFAULT_LANGUAGES = ("pt", "en", "tr")
#: negations and judgement words kept although the stop-word lists hold them
KEEP_WORDS = {
    "en": {"not", "no", "never", "nor", "without", "good", "well", "best", "great", "better", "problem"},
    "pt": {"não", "nao", "nem", "nunca", "sem", "bom", "bem", "mal"},
    "tr": {"değil", "yok", "hiç", "hiçbir"},
}


_TOKEN = r"(?u)\b[^\W\d_]{2,}\b"


def strip_accents(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def lower(text: str, language: str | None = None) -> str:
    """Lower-case ``text``; Turkish maps ``I`` -> ``ı`` and ``İ`` -> ``i`` first."""
    if language == "tr":
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


@lru_cache(maxsize=None)
def stop_words(language: str) -> frozenset[str]:
    """Stop words of one language from the ``stop-words`` package, minus :data:`KEEP_WORDS`.

    Turkish words are re-decoded (the package's list is cp1254 text read as latin-1);
    Portuguese gets the accent-free spelling of each word too ("não" and "nao"). Unknown
    languages get an empty set.
    """
    from stop_words import StopWordError, get_stop_words

    try:
        words = get_stop_words(language)
    except StopWordError:
        return frozenset()
    if language == "tr":
        fixed = []
        for w in words:
            try:
                fixed.append(w.encode("latin-1").decode("cp1254"))
            except (UnicodeEncodeError, UnicodeDecodeError):
                fixed.append(w)
        words = fixed
    out = {lower(w, language) for w in words}
    if language == "pt":
        out |= {strip_accents(w) for w in out}
    keep = KEEP_WORDS.get(language, set())
    return frozenset(w for w in out if re.fullmatch(_TOKEN, w) and w not in keep)


def _vectorizer(language: str | None, ngram_range, binary: bool, languages=DEFAULT_LANGUAGES):
    from sklearn.feature_extraction.text import CountVectorizer

    if language:
        sw = stop_words(language)
    else:
        sw = frozenset().union(*(stop_words(lang) for lang in languages))
    return CountVectorizer(token_pattern=_TOKEN, preprocessor=lambda s: lower(s, language), stop_words=sorted(sw),
                           ngram_range=tuple(ngram_range), binary=binary, dtype=np.int64)


def term_counts(texts: pd.Series, languages: pd.Series | str | None = None, *, ngram_range=(1, 2),
                binary: bool = True, default_languages=DEFAULT_LANGUAGES) -> pd.Series:
    """How many texts mention each word and 2-gram, stop words of each text's language removed.

    Parameters
    ----------
    texts : Series of str
    languages : Series (aligned with ``texts``), a single code, or None
        The language of each text; texts of unknown language use the union of the stop words
        of ``default_languages``.
    binary : bool
        True: count texts mentioning the term; False: count occurrences.

    Returns
    -------
    Series
        term -> count, most frequent first (ties by term).
    """
    texts = pd.Series(texts).fillna("").astype(str)
    if isinstance(languages, str) or languages is None:
        langs = pd.Series([languages] * len(texts), index=texts.index, dtype="object")
    else:
        langs = pd.Series(languages, index=texts.index).astype("object").where(lambda s: s.notna(), None)
    total: dict[str, int] = {}
    for lang, part in texts.groupby(langs.fillna("").astype(str)):
        part = part[part.str.strip().str.len() > 0]
        if part.empty:
            continue
        vec = _vectorizer(lang or None, ngram_range, binary, default_languages)
        try:
            m = vec.fit_transform(part.to_list())
        except ValueError:         # only stop words / no tokens
            continue
        sums = np.asarray(m.sum(axis=0)).ravel()
        for term, n in zip(vec.get_feature_names_out(), sums):
            total[term] = total.get(term, 0) + int(n)
    s = pd.Series(total, dtype="int64", name="count")
    if s.empty:
        return s
    s.index.name = "term"
    return s.sort_index().sort_values(ascending=False, kind="stable")


def distinctive_terms(fb: pd.DataFrame, *, min_count: int = 5, top: int = 15, ngram_range=(1, 2),
                      smoothing: float = 0.5) -> pd.DataFrame:
    """Words and 2-grams typical of low-score comments against high-score ones.

    Only reviews with text count: ``A`` low-score and ``B`` high-score texts. For each term
    mentioned ``a`` times in low and ``b`` in high texts (reviews mentioning it) with ``a + b >=
    min_count``: ``log_odds`` = log odds ratio of mentioning it in a low against a high text
    (smoothed by ``smoothing``), ``z`` = log_odds / its standard error.

    Returns
    -------
    DataFrame
        ``side`` ("low" or "high"), ``term``, ``low`` (a), ``high`` (b), ``low_share`` (a / A),
        ``high_share`` (b / B), ``log_odds``, ``z``; the ``top`` terms with the largest z for
        "low" and the smallest for "high". ``attrs``: ``low_texts`` (A), ``high_texts`` (B).
    """
    d = fb[fb["has_text"]]
    low, high = d[d["is_low"]], d[d["is_high"]]
    A, B = len(low), len(high)
    cols = ["side", "term", "low", "high", "low_share", "high_share", "log_odds", "z"]
    if A == 0 or B == 0:
        out = pd.DataFrame(columns=cols)
        out.attrs.update(low_texts=A, high_texts=B)
        return out
    lang = "language" if "language" in d.columns else None
    a = term_counts(low["full_text"], low[lang] if lang else None, ngram_range=ngram_range)
    b = term_counts(high["full_text"], high[lang] if lang else None, ngram_range=ngram_range)
    t = pd.DataFrame({"low": a, "high": b}).fillna(0).astype(int)
    t = t[(t["low"] + t["high"]) >= min_count]
    k = smoothing
    t["low_share"] = t["low"] / A
    t["high_share"] = t["high"] / B
    t["log_odds"] = (np.log((t["low"] + k) / (A - t["low"] + k)) - np.log((t["high"] + k) / (B - t["high"] + k)))
    se = np.sqrt(1 / (t["low"] + k) + 1 / (A - t["low"] + k) + 1 / (t["high"] + k) + 1 / (B - t["high"] + k))
    t["z"] = t["log_odds"] / se
    t.index.name = "term"
    t = t.reset_index()
    lo = t[t["z"] > 0].sort_values(["z", "term"], ascending=[False, True]).head(top).assign(side="low")
    hi = t[t["z"] < 0].sort_values(["z", "term"], ascending=[True, True]).head(top).assign(side="high")
    out = pd.concat([lo, hi], ignore_index=True)[cols]
    out.attrs.update(low_texts=A, high_texts=B)
    return out


def top_terms(fb: pd.DataFrame, group: str, *, top: int = 15, ngram_range=(1, 2)) -> pd.DataFrame:
    """The most mentioned terms of the low-score (``group="low"``) or high-score texts.

    Returns ``term``, ``reviews`` (texts mentioning it), ``share`` (of the group's texts).
    """
    if group not in ("low", "high"):
        raise ValueError("group must be 'low' or 'high'")
    d = fb[fb["has_text"] & fb["is_low" if group == "low" else "is_high"]]
    c = term_counts(d["full_text"], d["language"] if "language" in d.columns else None, ngram_range=ngram_range)
    out = c.head(top).rename("reviews").reset_index()
    out["share"] = out["reviews"] / max(len(d), 1)
    out.attrs["texts"] = len(d)
    return out
