"""The feedback table checked, with the derived columns every voice analysis uses, and which rows are complaints.

Scores are rescaled to 1..5 (``score5``); low = score5 <= 2, high = score5 >= 4; ``delay_days``
(days late, positive = late) comes from the two delivery dates when the table has both. A
complaint is a row whose ``category`` says so, else (``rule="auto"``) a low score.
"""
from __future__ import annotations

import pandas as pd

from helpers.errors import DataError


FILE = "feedback"
REQUIRED = ("feedback_id", "feedback_ts", "score")
OPTIONAL = ("customer_id", "invoice", "score_min", "score_max", "title", "text", "category", "language",
            "delivered_ts", "estimated_ts", "delay_days", "seller_id", "region", "product_category")
#: low / high on the 1..5 scale
LOW_MAX, HIGH_MIN = 2.0, 4.0
COMPLAINT_LABELS = ("complaint", "complaints", "şikayet", "sikayet", "reclamação", "reclamacao")
#: category values that only say what kind of feedback a row is (not a topic to break scores down by)
KIND_LABELS = (*COMPLAINT_LABELS, "review", "reviews", "değerlendirme", "avaliação", "avaliacao")


#: breakdown columns, in the order the notebook shows them
BREAKDOWNS = ("product_category", "seller_id", "region", "category")


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
        raise DataError(file, "table", f"expected a pandas DataFrame, got {type(fb).__name__}")
    for c in REQUIRED:
        if c not in fb.columns:
            raise DataError(file, "missing-column", f"the feedback table needs a '{c}' column; it has "
                            f"{sorted(map(str, fb.columns))}", column=c)
    out = fb.copy()
    ts = pd.to_datetime(out["feedback_ts"], errors="coerce")
    bad = ts.isna()
    if bad.any():
        raise DataError(file, "datetime", f"{int(bad.sum())} of {len(out):,} rows have a missing or unreadable "
                        "timestamp; every review needs its date", column="feedback_ts")
    out["feedback_ts"] = ts
    score = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    bad = score.isna()
    if bad.any():
        raise DataError(file, "numeric", f"{int(bad.sum())} of {len(out):,} rows have a missing or non-numeric "
                        "score", column="score")
    out["score"] = score
    for c, default in (("score_min", 1.0), ("score_max", 5.0)):
        if c not in out.columns:
            out[c] = default
        v = pd.to_numeric(out[c], errors="coerce").astype("float64")
        if v.isna().any():
            raise DataError(file, "numeric", f"{int(v.isna().sum())} rows have a missing or non-numeric {c}", column=c)
        out[c] = v
    flat = out["score_max"] <= out["score_min"]
    if flat.any():
        raise DataError(file, "score-scale", f"{int(flat.sum())} rows have score_max <= score_min; a scale needs "
                        "a lowest and a higher highest score", column="score_max")
    outside = (out["score"] < out["score_min"]) | (out["score"] > out["score_max"])
    if outside.any():
        raise DataError(file, "score-range", f"{int(outside.sum())} of {len(out):,} scores lie outside their "
                        f"scale score_min .. score_max (e.g. {out.loc[outside, 'score'].iloc[0]:g})", column="score")
    dup = out["feedback_id"].duplicated()
    if dup.any():
        raise DataError(file, "unique", f"{int(dup.sum())} feedback_id values repeat; one row per review is needed",
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
            raise DataError(file, "numeric", f"{int(bad.sum())} delay_days values are not numbers", column="delay_days")
        return d.astype("float64")
    return None


def available(fb: pd.DataFrame) -> dict[str, bool]:
    """Which optional columns the table has with at least one value (after :func:`check_feedback`)."""
    has = {c: c in fb.columns and fb[c].notna().any() for c in OPTIONAL}
    has["delay"] = "delay_days" in fb.columns and fb["delay_days"].notna().any()
    has["text"] = bool(fb["has_text"].any()) if "has_text" in fb.columns else has["text"]
    return has


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
