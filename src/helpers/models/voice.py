"""Customer voice: review scores, complaints and what they say (geri bildirim, şikayet).

Input: the prepared ``feedback`` table (``prep.read("feedback")``), one row per review or
complaint:

=================  ==============  ========  =================================================
column             dtype           nullable  meaning
=================  ==============  ========  =================================================
feedback_id        string          no        unique id of the review / complaint
customer_id        string          yes       the customer (joins the sales lines); null = unknown
invoice            string          yes       the order it is about
feedback_ts        datetime        no        when it was written
score              float           no        the score given, on ``score_min`` .. ``score_max``
score_min          float           no        lowest possible score (e.g. 1)
score_max          float           no        highest possible score (e.g. 5)
title, text        string          yes       free text
category           string          yes       "complaint" / "review" or a topic
language           string          yes       ISO code of the text: "pt", "en", "tr" ...
delivered_ts       datetime        yes       (optional column) when the order arrived
estimated_ts       datetime        yes       (optional column) the promised delivery date
delay_days         float           yes       (optional column) days late; positive = late
seller_id, region  string          yes       (optional columns) breakdowns
product_category   string          yes       (optional column) breakdown
=================  ==============  ========  =================================================

Conventions
-----------
* **Scores on one scale.** Every score is rescaled to 1..5 (``score5 = 1 + 4 (score -
  score_min) / (score_max - score_min)``) so means compare across sources. **Low** = score5 <=
  2 (1-2 stars on a 1-5 scale), **high** = score5 >= 4.
* **Late.** (delivered_ts date - estimated_ts date) in whole days when the table has both
  dates (a delivery on the promised day, at any hour, is on time), else ``delay_days`` as given; an order is late when ``delay_days > late_after_days`` (default 0: delivered after the
  promised day). Orders not delivered have no delay and are left out of the late comparison.
* **Complaint.** With ``rule="auto"``: a row whose ``category`` is "complaint" (or
  "şikayet" / "reclamação") when the table has such rows, else a low score.
* **Text.** Words are letters only (2+ characters), lower-cased per language (Turkish
  ``I`` -> ``ı``, ``İ`` -> ``i``); stop words come from the ``stop-words`` package for each
  review's language (the Turkish list re-decoded from cp1254) with accent-free spellings of the
  Portuguese ones added, and without the negations and judgement words in :data:`KEEP_WORDS`
  ("não", "not", "good" ...), which carry the complaint. Stop words are removed before
  2-grams are formed. Counts are the number of reviews that mention a term (not occurrences).
* **Distinctive terms** of low vs high scores: the log odds ratio of mentioning the term,
  ``log((a + k)/(A - a + k)) - log((b + k)/(B - b + k))`` with ``a`` of ``A`` low-score texts
  and ``b`` of ``B`` high-score texts mentioning it and ``k = 0.5``, and its z =
  log odds ratio / sqrt(sum of the four reciprocals); terms mentioned fewer than
  ``min_count`` times in all are left out.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from helpers.errors import DataError
from helpers.i18n import fmt_spec as _f, label, t

FILE = "feedback"
REQUIRED = ("feedback_id", "feedback_ts", "score")
OPTIONAL = ("customer_id", "invoice", "score_min", "score_max", "title", "text", "category", "language",
            "delivered_ts", "estimated_ts", "delay_days", "seller_id", "region", "product_category")
#: low / high on the 1..5 scale
LOW_MAX, HIGH_MIN = 2.0, 4.0
COMPLAINT_LABELS = ("complaint", "complaints", "şikayet", "sikayet", "reclamação", "reclamacao")
#: category values that only say what kind of feedback a row is (not a topic to break scores down by)
KIND_LABELS = (*COMPLAINT_LABELS, "review", "reviews", "değerlendirme", "avaliação", "avaliacao")
#: languages whose stop words are used when a review's language is unknown
DEFAULT_LANGUAGES = ("pt", "en", "tr")
#: negations and judgement words kept although the stop-word lists hold them
KEEP_WORDS = {
    "en": {"not", "no", "never", "nor", "without", "good", "well", "best", "great", "better", "problem"},
    "pt": {"não", "nao", "nem", "nunca", "sem", "bom", "bem", "mal"},
    "tr": {"değil", "yok", "hiç", "hiçbir"},
}
#: breakdown columns, in the order the notebook shows them
BREAKDOWNS = ("product_category", "seller_id", "region", "category")
_TOKEN = r"(?u)\b[^\W\d_]{2,}\b"


# --------------------------------------------------------------------------------------
# checking the table
# --------------------------------------------------------------------------------------
def _bad(file, rule, message, column=None):
    return DataError(file, rule, message, column=column)


def check_feedback(fb: pd.DataFrame, *, file: str = FILE) -> pd.DataFrame:
    """Check the feedback table and add the derived columns every later function uses.

    Parameters
    ----------
    fb : DataFrame
        The feedback table (module docstring); optional columns may be absent.
    file : str
        Name used in error messages.

    Returns
    -------
    DataFrame
        A copy with ``feedback_ts`` as datetime, ``score`` as float and the added columns
        ``score5`` (1..5), ``is_low``, ``is_high``, ``full_text`` (title + text, "" when none),
        ``has_text``, ``language`` (lower-case ISO code or NA) and ``delay_days`` (days late,
        NA when unknown; only when the table has a delay or both delivery dates).

    Raises
    ------
    helpers.errors.DataError
        A required column is missing, a timestamp or score cannot be read, a score lies outside
        its scale, or ``feedback_id`` repeats; the message counts the rows.
    """
    if not isinstance(fb, pd.DataFrame):
        raise _bad(file, "table", f"expected a pandas DataFrame, got {type(fb).__name__}")
    for c in REQUIRED:
        if c not in fb.columns:
            raise _bad(file, "missing-column", f"the feedback table needs a '{c}' column; it has "
                       f"{sorted(map(str, fb.columns))}", column=c)
    out = fb.copy()
    ts = pd.to_datetime(out["feedback_ts"], errors="coerce")
    bad = ts.isna()
    if bad.any():
        raise _bad(file, "datetime", f"{int(bad.sum())} of {len(out):,} rows have a missing or unreadable "
                   "timestamp; every review needs its date", column="feedback_ts")
    out["feedback_ts"] = ts
    score = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    bad = score.isna()
    if bad.any():
        raise _bad(file, "numeric", f"{int(bad.sum())} of {len(out):,} rows have a missing or non-numeric "
                   "score", column="score")
    out["score"] = score
    for c, default in (("score_min", 1.0), ("score_max", 5.0)):
        if c not in out.columns:
            out[c] = default
        v = pd.to_numeric(out[c], errors="coerce").astype("float64")
        if v.isna().any():
            raise _bad(file, "numeric", f"{int(v.isna().sum())} rows have a missing or non-numeric {c}", column=c)
        out[c] = v
    flat = out["score_max"] <= out["score_min"]
    if flat.any():
        raise _bad(file, "score-scale", f"{int(flat.sum())} rows have score_max <= score_min; a scale needs "
                   "a lowest and a higher highest score", column="score_max")
    outside = (out["score"] < out["score_min"]) | (out["score"] > out["score_max"])
    if outside.any():
        raise _bad(file, "score-range", f"{int(outside.sum())} of {len(out):,} scores lie outside their "
                   f"scale score_min .. score_max (e.g. {out.loc[outside, 'score'].iloc[0]:g})", column="score")
    dup = out["feedback_id"].duplicated()
    if dup.any():
        raise _bad(file, "unique", f"{int(dup.sum())} feedback_id values repeat; one row per review is needed",
                   column="feedback_id")
    out["score5"] = 1 + 4 * (out["score"] - out["score_min"]) / (out["score_max"] - out["score_min"])
    out["is_low"] = out["score5"] <= LOW_MAX + 1e-9
    out["is_high"] = out["score5"] >= HIGH_MIN - 1e-9
    parts = [out[c].astype("string").fillna("") for c in ("title", "text") if c in out.columns]
    text = parts[0] if parts else pd.Series("", index=out.index, dtype="string")
    for p in parts[1:]:
        text = (text + " " + p)
    out["full_text"] = text.str.strip().fillna("")
    out["has_text"] = out["full_text"].str.len() > 0
    lang = out["language"] if "language" in out.columns else pd.Series(pd.NA, index=out.index)
    out["language"] = lang.astype("string").str.strip().str.lower().str[:2]
    for c in ("customer_id", "invoice"):
        if c in out.columns:
            out[c] = out[c].astype("string")
    delay = _delay_days(out, file)
    if delay is not None:
        out["delay_days"] = delay
    return out


def _delay_days(fb: pd.DataFrame, file: str) -> pd.Series | None:
    """Calendar days late: from the two dates when the table has them, else its ``delay_days``."""
    if {"delivered_ts", "estimated_ts"} <= set(fb.columns):
        dl = pd.to_datetime(fb["delivered_ts"], errors="coerce").dt.normalize()
        es = pd.to_datetime(fb["estimated_ts"], errors="coerce").dt.normalize()
        if (dl.notna() & es.notna()).any():
            return ((dl - es).dt.days).astype("float64")
    if "delay_days" in fb.columns and fb["delay_days"].notna().any():
        d = pd.to_numeric(fb["delay_days"], errors="coerce")
        bad = d.isna() & fb["delay_days"].notna()
        if bad.any():
            raise _bad(file, "numeric", f"{int(bad.sum())} delay_days values are not numbers", column="delay_days")
        return d.astype("float64")
    return None


def available(fb: pd.DataFrame) -> dict[str, bool]:
    """Which optional columns the table has with at least one value (after :func:`check_feedback`)."""
    has = {c: c in fb.columns and fb[c].notna().any() for c in OPTIONAL}
    has["delay"] = "delay_days" in fb.columns and fb["delay_days"].notna().any()
    has["text"] = bool(fb["has_text"].any()) if "has_text" in fb.columns else has["text"]
    return has


# --------------------------------------------------------------------------------------
# scores: headline, over time, by group
# --------------------------------------------------------------------------------------
def complaint_flags(fb: pd.DataFrame, rule: str = "auto") -> pd.Series:
    """True for the rows that count as a complaint (see the module docstring).

    ``rule``: "auto", "category" (only category labels) or "low_score" (score5 <= 2).
    """
    if rule not in ("auto", "category", "low_score"):
        raise ValueError(f"complaint rule {rule!r} is not one of 'auto', 'category', 'low_score'")
    by_cat = pd.Series(False, index=fb.index)
    if "category" in fb.columns:
        by_cat = fb["category"].astype("string").str.strip().str.lower().isin(COMPLAINT_LABELS).fillna(False)
    if rule == "category" or (rule == "auto" and by_cat.any()):
        return by_cat.astype(bool)
    return fb["is_low"].astype(bool)


def complaint_source(fb: pd.DataFrame, rule: str = "auto") -> str:
    """"category" or "low_score": what :func:`complaint_flags` used."""
    if rule != "auto":
        return rule
    if "category" in fb.columns and fb["category"].astype("string").str.strip().str.lower().isin(COMPLAINT_LABELS).any():
        return "category"
    return "low_score"


def headline(fb: pd.DataFrame, rule: str = "auto") -> dict:
    """The headline numbers: reviews, mean score (1..5), share of low scores, complaints.

    Returns
    -------
    dict
        ``reviews``, ``customers`` (distinct known customers), ``mean_score`` (1..5 scale),
        ``low_share`` and ``high_share`` (0..1), ``complaints``, ``complaint_rate`` (complaints /
        reviews), ``text_share`` (reviews with a comment).
    """
    c = complaint_flags(fb, rule)
    n = len(fb)
    return {
        "reviews": n,
        "customers": int(fb["customer_id"].nunique()) if "customer_id" in fb.columns else 0,
        "mean_score": float(fb["score5"].mean()) if n else math.nan,
        "low_share": float(fb["is_low"].mean()) if n else math.nan,
        "high_share": float(fb["is_high"].mean()) if n else math.nan,
        "complaints": int(c.sum()),
        "complaint_rate": float(c.mean()) if n else math.nan,
        "text_share": float(fb["has_text"].mean()) if n else math.nan,
    }


_PERIODS = {"week": "W", "month": "M", "quarter": "Q"}


def score_over_time(fb: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Reviews per period and score: counts, shares, the mean and the low-score share.

    Returns
    -------
    DataFrame
        One row per period (``period`` start as a Timestamp): ``reviews``, ``mean_score`` (1..5),
        ``low_share``, and ``n_<s>`` / ``share_<s>`` for each rounded score s = 1..5.
    """
    if period not in _PERIODS:
        raise ValueError(f"period {period!r} is not one of {sorted(_PERIODS)}")
    p = fb["feedback_ts"].dt.to_period(_PERIODS[period]).dt.start_time
    s = fb["score5"].round().clip(1, 5).astype(int)
    counts = pd.crosstab(p, s).reindex(columns=range(1, 6), fill_value=0)
    out = pd.DataFrame(index=counts.index)
    out["reviews"] = counts.sum(axis=1)
    g = fb.groupby(p)
    out["mean_score"] = g["score5"].mean()
    out["low_share"] = g["is_low"].mean().astype(float)
    for k in range(1, 6):
        out[f"n_{k}"] = counts[k]
        out[f"share_{k}"] = counts[k] / out["reviews"]
    out.index.name = "period"
    return out.reset_index()


def _t_interval(mean: float, sd: float, n: int, level: float) -> tuple[float, float]:
    if n < 2 or not np.isfinite(sd):
        return math.nan, math.nan
    h = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean - h, mean + h


def score_by(fb: pd.DataFrame, column: str, *, min_reviews: int = 20, top: int | None = 15,
             worst_first: bool = True, level: float = 0.95) -> pd.DataFrame:
    """Mean score, its confidence interval and the low-score share per value of ``column``.

    Parameters
    ----------
    column : str
        A column of the feedback table (product_category, seller_id, region, category, ...).
    min_reviews : int
        Groups with fewer reviews are left out (their count is in ``.attrs``).
    top : int or None
        Keep this many groups: the lowest mean scores first (``worst_first``), else the most reviewed.

    Returns
    -------
    DataFrame
        ``column``, ``reviews``, ``mean_score`` (1..5), ``ci_low``, ``ci_high`` (t interval at
        ``level``), ``low_share``, ``diff_from_all`` (mean score - overall mean).
        ``attrs``: ``groups``, ``groups_kept``, ``reviews_in_small_groups``, ``overall_mean``.
    """
    if column not in fb.columns:
        raise _bad(FILE, "missing-column", f"no '{column}' column to break the scores down by", column=column)
    d = fb[fb[column].notna()]
    g = d.groupby(d[column].astype(str))
    t = g.agg(reviews=("score5", "size"), mean_score=("score5", "mean"), sd=("score5", "std"),
              low_share=("is_low", "mean"))
    ci = [_t_interval(m, s, n, level) for m, s, n in zip(t["mean_score"], t["sd"], t["reviews"])]
    t["ci_low"], t["ci_high"] = [c[0] for c in ci], [c[1] for c in ci]
    t["low_share"] = t["low_share"].astype(float)
    overall = float(fb["score5"].mean())
    t["diff_from_all"] = t["mean_score"] - overall
    small = t["reviews"] < min_reviews
    kept = t[~small]
    kept = kept.sort_values(["mean_score", "reviews"], ascending=[True, False]) if worst_first \
        else kept.sort_values("reviews", ascending=False)
    if top is not None:
        kept = kept.head(top)
    out = kept.drop(columns="sd").reset_index().rename(columns={"index": column})
    out = out[[column, "reviews", "mean_score", "ci_low", "ci_high", "low_share", "diff_from_all"]]
    out.attrs.update(groups=int(len(t)), groups_kept=int((~small).sum()),
                     reviews_in_small_groups=int(t.loc[small, "reviews"].sum()), overall_mean=overall)
    return out


# --------------------------------------------------------------------------------------
# delivery delay
# --------------------------------------------------------------------------------------
def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def diff_proportions(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> dict:
    """p1 - p2 with Newcombe's hybrid score interval (method 10) and the two-sided z-test p-value."""
    if n1 == 0 or n2 == 0:
        return {"diff": math.nan, "low": math.nan, "high": math.nan, "p_value": math.nan}
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, level)
    l2, u2 = wilson_interval(k2, n2, level)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    pv = 2 * stats.norm.sf(abs(d) / se) if se > 0 else (0.0 if d != 0 else 1.0)
    return {"diff": d, "low": low, "high": high, "p_value": float(pv)}


def diff_means(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict:
    """mean(x) - mean(y) with Welch's t interval and p-value."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or len(y) < 2:
        return {"diff": math.nan, "low": math.nan, "high": math.nan, "p_value": math.nan}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # identical scores in a tiny group
        res = stats.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(level)
    return {"diff": float(x.mean() - y.mean()), "low": float(ci.low), "high": float(ci.high),
            "p_value": float(res.pvalue)}


@dataclass
class DelayEffect:
    """Late against on-time orders (see :func:`delay_effect`).

    ``table``: one row per group ("late", "on time"): ``reviews``, ``mean_score`` (1..5),
    ``low`` (1-2 star reviews), ``low_share``. ``mean_gap`` and ``low_share_gap``: late minus
    on time, each a dict of ``diff``, ``low``, ``high`` (interval at ``level``) and ``p_value``.
    ``by_delay``: mean score and low share per delay band. ``unknown``: reviews without a delay.
    """

    table: pd.DataFrame
    mean_gap: dict
    low_share_gap: dict
    by_delay: pd.DataFrame
    unknown: int
    late_after_days: float
    level: float = 0.95

    def sentence(self) -> str:
        g = self.table.set_index("group")
        m, s = self.mean_gap, self.low_share_gap
        return t("voice_sent_delay", n_late=_f(int(g.loc["late", "reviews"]), ","),
                 late=_f(g.loc["late", "mean_score"], ".2f"), on_time=_f(g.loc["on time", "mean_score"], ".2f"),
                 n_on_time=_f(int(g.loc["on time", "reviews"]), ","), gap=_f(m["diff"], "+.2f"),
                 level=_f(self.level, ".0%"), low=_f(m["low"], "+.2f"), high=_f(m["high"], "+.2f"),
                 low_late=_f(g.loc["late", "low_share"], ".1%"), low_on_time=_f(g.loc["on time", "low_share"], ".1%"),
                 share_gap=_f(100 * s["diff"], "+.1f"), share_low=_f(100 * s["low"], "+.1f"),
                 share_high=_f(100 * s["high"], "+.1f"))


DELAY_BANDS = (-np.inf, -14, -7, 0, 3, 7, 14, np.inf)
DELAY_LABELS = ("14+ days early", "8-14 days early", "0-7 days early", "1-3 days late", "4-7 days late",
                "8-14 days late", "15+ days late")


def delay_effect(fb: pd.DataFrame, *, late_after_days: float = 0.0, level: float = 0.95) -> DelayEffect | None:
    """Mean score and share of 1-2 star reviews of late against on-time orders, with intervals.

    Parameters
    ----------
    fb : DataFrame
        After :func:`check_feedback`, which adds ``delay_days`` when the table has a delay or
        both delivery dates.
    late_after_days : float
        Late = ``delay_days > late_after_days`` (default 0: delivered after the promised day).

    Returns
    -------
    DelayEffect or None
        None when the delay is unknown for every review or one of the two groups is empty.
        The mean gap uses Welch's t interval; the low-share gap Newcombe's hybrid score interval.
    """
    if "delay_days" not in fb.columns or fb["delay_days"].notna().sum() == 0:
        return None
    known = fb[fb["delay_days"].notna()]
    is_late = known["delay_days"] > late_after_days
    late, on = known[is_late], known[~is_late]
    if len(late) == 0 or len(on) == 0:
        return None
    rows = []
    for name, d in (("late", late), ("on time", on)):
        rows.append({"group": name, "reviews": len(d), "mean_score": float(d["score5"].mean()),
                     "low": int(d["is_low"].sum()), "low_share": float(d["is_low"].mean())})
    table = pd.DataFrame(rows)
    mean_gap = diff_means(late["score5"].to_numpy(), on["score5"].to_numpy(), level)
    low_gap = diff_proportions(int(late["is_low"].sum()), len(late), int(on["is_low"].sum()), len(on), level)
    band = pd.cut(known["delay_days"], bins=list(DELAY_BANDS), labels=list(DELAY_LABELS), right=True)
    by = known.groupby(band, observed=False).agg(reviews=("score5", "size"), mean_score=("score5", "mean"),
                                                 low_share=("is_low", "mean"))
    by["low_share"] = by["low_share"].astype(float)
    by.index = by.index.astype(str)
    by.index.name = "delay"
    by = by.reset_index()
    return DelayEffect(table, mean_gap, low_gap, by, int(fb["delay_days"].isna().sum()), float(late_after_days), level)


# --------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# customers: complaint features, came back
# --------------------------------------------------------------------------------------
def customer_voice(fb: pd.DataFrame, *, rule: str = "auto", orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per known customer with feedback: the complaint features for churn and CLV models.

    Parameters
    ----------
    orders : DataFrame, optional
        ``customer_id`` and ``orders`` (e.g. ``frequency`` of ``customers_rfm`` renamed): adds
        ``complaints_per_order``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``reviews``, ``complaints`` (count), ``complaint_rate`` (complaints /
        reviews), ``mean_score`` (1..5), ``low_reviews``, ``first_complaint_ts``,
        ``last_feedback_ts`` [, ``orders``, ``complaints_per_order``].
    """
    if "customer_id" not in fb.columns:
        return pd.DataFrame(columns=["customer_id", "reviews", "complaints", "complaint_rate", "mean_score",
                                     "low_reviews", "first_complaint_ts", "last_feedback_ts"])
    d = fb[fb["customer_id"].notna()].assign(_c=complaint_flags(fb, rule))
    d["_cts"] = d["feedback_ts"].where(d["_c"])
    g = d.groupby("customer_id")
    out = g.agg(reviews=("feedback_id", "size"), complaints=("_c", "sum"), mean_score=("score5", "mean"),
                low_reviews=("is_low", "sum"), first_complaint_ts=("_cts", "min"),
                last_feedback_ts=("feedback_ts", "max")).reset_index()
    out["complaints"] = out["complaints"].astype("int64")
    out["low_reviews"] = out["low_reviews"].astype("int64")
    out["complaint_rate"] = out["complaints"] / out["reviews"]
    out = out[["customer_id", "reviews", "complaints", "complaint_rate", "mean_score", "low_reviews",
               "first_complaint_ts", "last_feedback_ts"]]
    if orders is not None:
        o = orders[["customer_id", "orders"]].astype({"customer_id": "string"})
        out = out.merge(o, on="customer_id", how="left")
        out["complaints_per_order"] = out["complaints"] / out["orders"]
    return out


def came_back(fb: pd.DataFrame, lines: pd.DataFrame, *, analysis_date, window_days: int = 180,
              rule: str = "auto", level: float = 0.95) -> pd.DataFrame:
    """Did customers who complained buy again, against customers who gave a good review?

    Each known customer gets one event: the **first complaint** (customers with any complaint),
    or else the **first high-score review** (customers who never complained). Neutral-only
    customers are left out. A customer *came back* when he or she has an order (invoice) dated
    after the event and at most ``window_days`` later. Only events at least ``window_days``
    before ``analysis_date`` count, so every customer had the same time to return.

    Parameters
    ----------
    lines : DataFrame
        Clean sales lines with ``customer_id``, ``invoice``, ``invoice_ts``.

    Returns
    -------
    DataFrame
        One row per group ("complained", "good review"): ``customers``, ``came_back``,
        ``share``, ``ci_low``, ``ci_high`` (Wilson, ``level``). ``attrs``: ``diff`` (complained -
        good review: dict with ``diff``, ``low``, ``high``, ``p_value``), ``too_recent`` (events
        left out for lack of time, per group), ``window_days``.
    """
    for c in ("customer_id", "invoice", "invoice_ts"):
        if c not in lines.columns:
            raise _bad("lines_clean", "missing-column", "came-back analysis needs the sales lines' "
                       f"'{c}' column", column=c)
    end = pd.Timestamp(analysis_date) + pd.Timedelta(days=1)     # the analysis date is inclusive
    d = fb[fb["customer_id"].notna()].assign(_c=complaint_flags(fb, rule))
    comp = d[d["_c"]].groupby("customer_id")["feedback_ts"].min()
    good = d[d["is_high"] & ~d["customer_id"].isin(comp.index)].groupby("customer_id")["feedback_ts"].min()
    ev = pd.concat([comp.rename("event_ts").to_frame().assign(group="complained"),
                    good.rename("event_ts").to_frame().assign(group="good review")]).reset_index()
    ok = ev["event_ts"] + pd.Timedelta(days=window_days) < end
    too_recent = ev.loc[~ok, "group"].value_counts().to_dict()
    ev = ev[ok]
    orders = (lines[lines["customer_id"].notna()][["customer_id", "invoice", "invoice_ts"]]
              .groupby(["customer_id", "invoice"], as_index=False)["invoice_ts"].min())
    orders["customer_id"] = orders["customer_id"].astype("string")
    ev["customer_id"] = ev["customer_id"].astype("string")
    m = ev.merge(orders, on="customer_id", how="left")
    after = (m["invoice_ts"] > m["event_ts"]) & (m["invoice_ts"] <= m["event_ts"] + pd.Timedelta(days=window_days))
    back = m.assign(_b=after).groupby(["customer_id", "group"], as_index=False)["_b"].any()
    rows = []
    for grp in ("complained", "good review"):
        x = back[back["group"] == grp]
        n, k = len(x), int(x["_b"].sum())
        lo, hi = wilson_interval(k, n, level)
        rows.append({"group": grp, "customers": n, "came_back": k, "share": k / n if n else math.nan,
                     "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    out.attrs.update(diff=diff_proportions(rows[0]["came_back"], rows[0]["customers"], rows[1]["came_back"],
                                           rows[1]["customers"], level),
                     too_recent={g: int(too_recent.get(g, 0)) for g in ("complained", "good review")},
                     window_days=window_days, level=level)
    return out


# --------------------------------------------------------------------------------------
# complaints as churn features
# --------------------------------------------------------------------------------------
#: the complaint features of :func:`complaint_features` and what they mean
COMPLAINT_FEATURES = {
    "reviews_before": "reviews and complaints the customer wrote up to the cut-off (count)",
    "complaints_before": "complaints the customer made up to the cut-off (count)",
    "complaint_rate_before": "complaints_before / reviews_before (0..1; 0 without reviews)",
}


def complaint_features(fb: pd.DataFrame, *, cutoff, rule: str = "auto") -> pd.DataFrame:
    """Per customer, from the feedback written on or before ``cutoff`` only: :data:`COMPLAINT_FEATURES`.

    For :func:`helpers.models.churn.add_features` (customers without feedback: 0).
    """
    end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    if "customer_id" not in fb.columns:
        return pd.DataFrame(columns=["customer_id", *COMPLAINT_FEATURES])
    d = fb[fb["customer_id"].notna() & (fb["feedback_ts"] < end)]
    d = d.assign(_c=complaint_flags(d, rule).astype(int), customer_id=d["customer_id"].astype("string"))
    g = d.groupby("customer_id")
    out = g.agg(reviews_before=("_c", "size"), complaints_before=("_c", "sum")).reset_index()
    out["complaint_rate_before"] = out["complaints_before"] / out["reviews_before"]
    return out[["customer_id", *COMPLAINT_FEATURES]]


@dataclass
class ChurnGain:
    """What complaints add to the churn model (see :func:`complaint_churn_gain`).

    ``metrics``: one row per model and feature set (``without`` / ``with complaints``): ROC-AUC
    and PR-AUC on the test cut-off. ``gain``: per model the paired-bootstrap ROC-AUC difference
    (with - without; :func:`helpers.models.churn.auc_difference`). ``importance``: permutation
    importance (ROC-AUC drop on the test set) of every feature of the gradient boosting with
    complaints. ``rates``: churn rate on the test cut-off of customers who had complained before it
    and of the others.
    """

    train_cutoff: object
    test_cutoff: object
    horizon_days: int
    metrics: pd.DataFrame
    gain: pd.DataFrame
    importance: pd.DataFrame
    rates: pd.DataFrame
    level: float
    n_test: int = 0
    n_retained: int = 0

    def sentence(self) -> str:
        parts = [t("voice_sent_gain_part", model=label(r.model, "score_"), before=_f(r.auc_b, ".3f"),
                   after=_f(r.auc_a, ".3f"), diff=_f(r.diff, "+.3f"), level=_f(self.level, ".0%"), low=_f(r.low, "+.3f"),
                   high=_f(r.high, "+.3f")) for r in self.gain.itertuples()]
        out = t("voice_sent_gain", cutoff=self.test_cutoff, days=self.horizon_days, n=_f(self.n_test, ","),
                retained=_f(self.n_retained, ","), parts="; ".join(parts))
        smaller = min(self.n_retained, self.n_test - self.n_retained)
        if smaller < 100:
            out += t("voice_sent_gain_small", n=_f(smaller, ","))
        return out


def complaint_churn_gain(lines, fb: pd.DataFrame, *, train_cutoff, test_cutoff, horizon_days: int,
                         has: dict | None = None, time_unit: str = "W", rule: str = "auto", level: float = 0.95,
                         n_boot: int = 500, random_state: int = 42) -> ChurnGain:
    """Fit the churn models of notebook 05 with and without the complaint features, compare out of time.

    Both feature sets use the same customers, cut-offs and labels (:mod:`helpers.models.churn`;
    without the P(alive) feature, so the comparison is complaints against the purchase history).
    Trained at ``train_cutoff``, evaluated at ``test_cutoff`` on labels the training never saw.

    Raises
    ------
    helpers.errors.DataError
        The training or test set cannot fit a churn model (too few churners or retained customers).
    """
    from helpers.models import churn

    spec = churn.make_spec(lines, cutoff=train_cutoff, has=has, p_alive=False)
    fill = {c: 0.0 for c in COMPLAINT_FEATURES}
    sets = {}
    for name, cut in (("train", train_cutoff), ("test", test_cutoff)):
        ds = churn.churn_dataset(lines, cutoff=cut, horizon_days=horizon_days, spec=spec, time_unit=time_unit)
        sets[name] = (ds, churn.add_features(ds, complaint_features(fb, cutoff=cut, rule=rule), fill=fill))
    for name, (ds, _) in sets.items():
        ok, why = churn.can_fit(ds)
        if not ok:
            raise DataError(FILE, "churn-not-fittable", f"{name} set: {why}")
    (train0, train1), (test0, test1) = sets["train"], sets["test"]
    m0 = churn.fit_models(train0, random_state=random_state)
    m1 = churn.fit_models(train1, random_state=random_state)
    s0, s1 = churn.model_scores(m0, test0), churn.model_scores(m1, test1)
    y = test0.y
    rows, gains = [], []
    for model in s0:
        for features, s in (("without", s0[model]), ("with complaints", s1[model])):
            e = churn.evaluate(y, {model: s})
            rows.append({"model": model, "features": features, "roc_auc": e["roc_auc"].iloc[0],
                         "pr_auc": e["pr_auc"].iloc[0]})
        gains.append({"model": model, **churn.auc_difference(y, s1[model], s0[model], n_boot=n_boot, level=level,
                                                             seed=random_state)})
    imp = churn.importance_table(m1["gbm"], test1, random_state=random_state) if "gbm" in m1 else pd.DataFrame()
    complained = test1.frame["complaints_before"] > 0
    rates = pd.DataFrame({"group": ["complained before the cut-off", "did not"],
                          "customers": [int(complained.sum()), int((~complained).sum())],
                          "churn_rate": [float(y[complained.to_numpy()].mean()) if complained.any() else math.nan,
                                         float(y[~complained.to_numpy()].mean()) if (~complained).any() else math.nan]})
    return ChurnGain(train_cutoff, test_cutoff, horizon_days, pd.DataFrame(rows), pd.DataFrame(gains), imp, rates,
                     level, n_test=int(len(y)), n_retained=int((y == 0).sum()))


# --------------------------------------------------------------------------------------
# the complaint effect on dropout: BG/NBD with a complaint-dependent dropout probability
# --------------------------------------------------------------------------------------
_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def complaint_histories(lines: pd.DataFrame, fb: pd.DataFrame, *, observation_end, time_unit: str = "W",
                        rule: str = "auto") -> pd.DataFrame:
    """Per customer: the BG/NBD summary and the purchase at which the first complaint came.

    Parameters
    ----------
    lines : DataFrame
        Clean sales lines: ``customer_id``, ``invoice``, ``invoice_ts``. A purchase is a distinct
        day with an order (as in :func:`helpers.features.customers.btyd_summary`).
    fb : DataFrame
        Feedback after :func:`check_feedback`. A complaint belongs to the purchase day of its
        ``invoice`` when that order is in the lines, else to the customer's last purchase day on
        or before the complaint.
    observation_end : date
        Last day observed (inclusive).
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``frequency`` (repeat purchase days x), ``recency`` (t_x), ``T``,
        ``complaint_at`` (index 0..x of the purchase day of the first complaint: 0 = the first
        purchase; NaN = no complaint), ``complained`` (bool).
    """
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit {time_unit!r} is not one of {sorted(_UNIT_DAYS)}")
    end = pd.Timestamp(observation_end).normalize()
    d = lines[lines["customer_id"].notna() & (lines["invoice_ts"] < end + pd.Timedelta(days=1))]
    d = d.assign(day=d["invoice_ts"].dt.normalize(), customer_id=d["customer_id"].astype("string"))
    days = d[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    days["j"] = days.groupby("customer_id").cumcount()
    g = days.groupby("customer_id")["day"]
    unit = _UNIT_DAYS[time_unit]
    out = pd.DataFrame({"frequency": g.size() - 1, "first": g.min(), "last": g.max()})
    out["recency"] = (out["last"] - out["first"]).dt.days / unit
    out["T"] = (end - out["first"]).dt.days / unit
    # the first complaint of each customer, at the purchase day of its order (or the last one before it)
    f = fb[fb["customer_id"].notna() & complaint_flags(fb, rule)]
    f = f.assign(customer_id=f["customer_id"].astype("string"))
    at = pd.Series(np.nan, index=out.index)
    if len(f):
        inv_day = d.groupby(["customer_id", "invoice"])["day"].min()
        key = pd.MultiIndex.from_arrays([f["customer_id"], f["invoice"].astype("string")]) \
            if "invoice" in f.columns else None
        day = pd.Series(inv_day.reindex(key).to_numpy(), index=f.index) if key is not None \
            else pd.Series(pd.NaT, index=f.index)
        # no known order: the last purchase day on or before the complaint
        need = day.isna()
        if need.any():
            q = f.loc[need, ["customer_id", "feedback_ts"]].assign(_i=f.index[need]).sort_values("feedback_ts")
            m = pd.merge_asof(q, days.rename(columns={"day": "feedback_ts_day"}).sort_values("feedback_ts_day"),
                              left_on="feedback_ts", right_on="feedback_ts_day", by="customer_id",
                              direction="backward")
            day.loc[m["_i"].to_numpy()] = m["feedback_ts_day"].to_numpy()
        fd = pd.DataFrame({"customer_id": f["customer_id"], "day": day}).dropna()
        fd = fd.merge(days, on=["customer_id", "day"], how="inner")
        at = fd.groupby("customer_id")["j"].min().reindex(out.index)
    out["complaint_at"] = at.astype(float)
    out["complained"] = out["complaint_at"].notna()
    out = out.reset_index().rename(columns={"index": "customer_id"})
    return out[["customer_id", "frequency", "recency", "T", "complaint_at", "complained"]]


def _loglik_terms(theta: np.ndarray, x, tx, T, m, cx) -> np.ndarray:
    """Per-customer log-likelihood of the complaint BG/NBD (see :func:`fit_complaint_hazard`)."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b, k = np.exp(theta)
    n1 = (x - 1 - m) + k * m                        # survival exponents of the repeats before the last one
    kx = np.where(cx, k, 1.0)                       # the dropout decision right after the last purchase
    lg = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    log_gT = lg - (r + x) * np.log(alpha + T)
    log_gt = lg - (r + x) * np.log(alpha + tx)
    base = betaln(a, b)
    lp1 = betaln(a, b + np.maximum(n1, 0)) - base
    lp2 = betaln(a, b + np.maximum(n1, 0) + kx) - base
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dropped = log_gt + lp1 + np.log(-np.expm1(lp2 - lp1))
        ll = np.where(x > 0, np.logaddexp(dropped, log_gT + lp2), log_gT)
    return ll


def _hessian(f, x0: np.ndarray, h: float = 1e-4) -> np.ndarray:
    n = len(x0)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = H[j, i] = (f(x0 + e_i + e_j) - f(x0 + e_i - e_j) - f(x0 - e_i + e_j) + f(x0 - e_i - e_j)) / (4 * h * h)
    return H


@dataclass
class HazardFit:
    """The complaint BG/NBD fit (see :func:`fit_complaint_hazard`).

    ``params``: ``r``, ``alpha``, ``a``, ``b``, ``k`` with ``estimate``, ``se`` (of the log
    parameter) and ``low`` / ``high`` (interval at ``level``, Wald on the log scale). ``k`` is the
    factor on the dropout hazard after a complaint (1 = no effect). ``lr_p_value``: likelihood-ratio
    test of k = 1. ``mean_p`` and ``mean_p_after``: E[p] and E[1 - (1 - p)^k] of the population.
    """

    params: pd.DataFrame
    level: float
    log_likelihood: float
    log_likelihood_k1: float
    lr_p_value: float
    n_customers: int
    n_complained: int
    n_repeat_after: int
    mean_p: float
    mean_p_after: float
    time_unit: str | None = None

    @property
    def k(self) -> float:
        return float(self.params.loc["k", "estimate"])

    @property
    def k_low(self) -> float:
        return float(self.params.loc["k", "low"])

    @property
    def k_high(self) -> float:
        return float(self.params.loc["k", "high"])

    def covers(self, value: float) -> bool:
        return bool(self.k_low <= value <= self.k_high)

    def sentence(self) -> str:
        return t("voice_sent_hazard", k=_f(self.k, ".2f"), level=_f(self.level, ".0%"), low=_f(self.k_low, ".2f"),
                 high=_f(self.k_high, ".2f"), p=_f(self.lr_p_value, ".3g"), p0=_f(self.mean_p, ".3f"),
                 p1=_f(self.mean_p_after, ".3f"), n=_f(self.n_customers, ","), nc=_f(self.n_complained, ","),
                 nr=_f(self.n_repeat_after, ","))


def fit_complaint_hazard(hist: pd.DataFrame, *, level: float = 0.9, time_unit: str | None = None,
                         min_repeat_after: int = 20) -> HazardFit:
    """Fit BG/NBD with a dropout probability that rises after a customer's first complaint.

    The model: purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive, a Poisson
    process with rate lambda ~ Gamma(r, alpha); right after each repeat purchase the customer
    drops out with probability p ~ Beta(a, b). From the purchase complained about onwards the
    dropout probability is ``1 - (1 - p)^k``: the per-purchase dropout hazard ``-log(1 - p)``
    is multiplied by k. With x repeats, the last at t_x, m of the repeats 1..x-1 at or after
    the complaint and c = 1 when the last purchase is at or after it, integrating lambda and p
    gives the likelihood in closed form::

        L = G(t_x) [P(n) - P(n + k_x)] + G(T) P(n + k_x),   n = x - 1 - m + k m,  k_x = k if c else 1
        G(t) = Gamma(r + x) alpha^r / (Gamma(r) (alpha + t)^(r + x)),  P(n) = B(a, b + n) / B(a, b)

    (x = 0: L = G(T)); with k = 1 it is the BG/NBD likelihood. Maximum likelihood on the log
    parameters (L-BFGS-B), standard errors from the numerical Hessian.

    Parameters
    ----------
    hist : DataFrame
        From :func:`complaint_histories`.
    level : float
        Level of the intervals.
    min_repeat_after : int
        Fewest complainers with a repeat purchase at or after the complaint: only they inform k.

    Raises
    ------
    helpers.errors.DataError
        Fewer than 10 customers complained, or fewer than ``min_repeat_after`` of them bought again
        at or after the complaint (k cannot be estimated).
    """
    from scipy.optimize import minimize

    x = hist["frequency"].to_numpy(float)
    tx, T = hist["recency"].to_numpy(float), hist["T"].to_numpy(float)
    J = hist["complaint_at"].to_numpy(float)
    comp = ~np.isnan(J)
    Jc = np.where(comp, np.maximum(J, 1), np.inf)
    m = np.where(comp & (Jc <= x - 1), x - Jc, 0.0)
    cx = comp & (J <= x) & (x > 0)
    n_after = int((comp & (x > 0) & (J <= x)).sum())
    if comp.sum() < 10 or n_after < min_repeat_after:
        raise DataError(FILE, "too-few-complaints", t("voice_err_too_few", n=int(comp.sum()), after=n_after,
                                                      min_after=min_repeat_after), column="score")

    n = len(x)

    def mean_nll(theta):                             # the mean keeps the optimiser's tolerances scale-free
        v = -np.mean(_loglik_terms(theta, x, tx, T, m, cx))
        return v if np.isfinite(v) else 1e10

    def nll(theta):
        return n * mean_nll(theta)

    start = np.log([1.0, max(float(np.mean(T)), 1e-3), 1.0, 3.0])
    # plain BG/NBD first (k = 1), then k from there; the best of L-BFGS-B and a Nelder-Mead polish
    res1 = minimize(lambda t4: mean_nll(np.append(t4, 0.0)), start, method="L-BFGS-B", bounds=[(-12, 12)] * 4)
    res = minimize(mean_nll, np.append(res1.x, 0.0), method="L-BFGS-B", bounds=[(-12, 12)] * 5)
    polish = minimize(mean_nll, res.x, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000})
    if polish.fun < res.fun:
        res = polish
    res.fun, res1.fun = n * res.fun, n * res1.fun
    H = _hessian(nll, res.x)
    try:
        cov = np.linalg.inv(H)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(5, np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    names = ["r", "alpha", "a", "b", "k"]
    params = pd.DataFrame({"estimate": np.exp(res.x), "se": se, "low": np.exp(res.x - z * se),
                           "high": np.exp(res.x + z * se)}, index=names)
    params.index.name = "parameter"
    lr = 2 * (res1.fun - res.fun)
    a, b, k = params.loc["a", "estimate"], params.loc["b", "estimate"], params.loc["k", "estimate"]
    from scipy.special import betaln

    mean_after = 1 - math.exp(betaln(a, b + k) - betaln(a, b))
    return HazardFit(params=params, level=level, log_likelihood=float(-res.fun), log_likelihood_k1=float(-res1.fun),
                     lr_p_value=float(stats.chi2.sf(max(lr, 0.0), 1)), n_customers=len(hist),
                     n_complained=int(comp.sum()), n_repeat_after=n_after, mean_p=float(a / (a + b)),
                     mean_p_after=float(mean_after), time_unit=time_unit)
