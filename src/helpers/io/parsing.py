"""Cells of a raw table parsed into typed columns, with errors that point at the bad cells.

Numbers (with the file's decimal and thousands marks), dates (one format guessed from the
first date, the day/month order, Excel serial days, YYYYMMDD integers), identifiers and free
text are read from a :class:`~helpers.io.rawfile.RawTable`; :func:`check_headers` checks a
column map against the file's headers. Every problem raises a
:class:`~helpers.errors.DataError` naming the file, the column as spelt in the file, the rule
and the first offending values with their row numbers. Shared by the sales-line readers
(:mod:`helpers.io.read`) and the optional tables (:mod:`helpers.io.tables`).
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import warnings

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.io.rawfile import RawTable


def check_headers(raw: RawTable, mapping: dict[str, str], *, what: str) -> None:
    """Raise a :class:`DataError` unless every header in ``mapping`` (canonical name -> header) is in ``raw``.

    The message names the first missing header, the canonical column it was wanted as and by
    ``what`` (e.g. "data.columns"), a close match, the file's headers and, when the header line
    did not split, the separator it looks split by.
    """
    headers = list(raw.frame.columns)
    missing = [(k, v) for k, v in mapping.items() if v not in headers]
    if not missing:
        return
    canon, col = missing[0]
    shown = ", ".join(repr(h) for h in headers[:40]) + (" ..." if len(headers) > 40 else "")
    folded = {h.casefold(): h for h in headers}
    close = [folded[col.casefold()]] if col.casefold() in folded else \
        difflib.get_close_matches(col, headers, n=1, cutoff=0.6)
    msg = f"is not in the file (wanted as {canon} by {what})"
    if raw.sheet is not None:
        msg += f" in sheet '{raw.sheet[0]}'"
    msg += f"; did you mean '{close[0]}'?" if close else "."
    msg += f" The file's headers are: {shown}"
    if len(missing) > 1:
        msg += "; also missing: " + ", ".join(f"'{v}' ({k})" for k, v in missing[1:])
    sep = raw.sep
    if len(headers) == 1:
        for s in (";", "\t", ",", "|"):
            if s in headers[0] and s != sep:
                msg += f". The header line looks split by {s!r}: set data.separator: {s!r}"
                break
    raise DataError(raw.file, "missing-column", msg, column=col)


def raise_missing(raw: RawTable, mask: np.ndarray, column: str) -> None:
    """Raise a ``missing-value`` :class:`DataError` for ``column`` when ``mask`` marks any row, with the first rows."""
    if mask.any():
        idx = np.flatnonzero(mask)
        rows = ", ".join(raw.where(i) for i in idx[:3])
        raise DataError(raw.file, "missing-value",
                        f"{len(idx):,} row(s) have no value, e.g. {rows} ({raw.row_note}); fill them "
                        "in or remove those rows", column=column)


def raise_bad(raw: RawTable, mask: np.ndarray, values: pd.Series, column: str, rule: str, what: str,
              hint: str = "") -> None:
    """Raise a :class:`DataError` (``rule``) for the rows ``mask`` marks: their count, the first three
    values of ``values`` with their rows, ``what`` is wrong with them and a ``hint``."""
    idx = np.flatnonzero(mask)
    vals = values.to_numpy(dtype=object)
    ex = ", ".join(f"{_show(vals[i])} ({raw.where(i)})" for i in idx[:3])
    raise DataError(raw.file, rule, f"{len(idx):,} value(s) {what}: {ex} ({raw.row_note}){hint}",
                    column=column)


def _show(v) -> str:
    s = repr(v if isinstance(v, str) else str(v))
    return s if len(s) <= 42 else s[:39] + "...'"


def _is_text_dtype(dtype) -> bool:
    """A pandas string dtype (every non-null value is a str), not object."""
    return isinstance(dtype, pd.StringDtype)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def parse_numbers(raw: RawTable, col: str, column: str, decimal: str, thousands: str | None) -> pd.Series:
    """Numbers from a column of numbers and/or text, with the file's decimal and thousands marks."""
    s = raw.frame[col]
    notnull = s.notna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s.astype("float64")
    else:
        obj = s.astype(object)
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        num = (np.zeros(len(s), dtype=bool) if _is_text_dtype(s.dtype)
               else obj.map(_is_number).to_numpy(dtype=bool))
        if num.any():
            out[num] = obj[num].astype("float64")
        txt_mask = notnull & ~num
        if txt_mask.any():
            txt = obj[txt_mask].astype(str).str.strip()
            txt = txt.str.replace("\u00a0", "", regex=False).str.replace("\u202f", "", regex=False)
            if thousands:
                txt = txt.str.replace(thousands, "", regex=False)
                if thousands == " ":
                    txt = txt.str.replace("\u00a0", "", regex=False)
            elif decimal == ",":
                grouped = txt.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?").fillna(False).astype(bool)
                txt = txt.where(~grouped, txt.str.replace(".", "", regex=False))
            if decimal == ",":
                txt = txt.str.replace(",", ".", regex=False)
            blank = (txt == "").to_numpy()
            parsed = pd.to_numeric(txt.where(~blank, None), errors="coerce")
            # the only strings pandas turns into NaN on purpose; treat them as unreadable
            out[txt_mask] = parsed.astype("float64").to_numpy()
            notnull = notnull.copy()
            notnull[np.flatnonzero(txt_mask)[blank]] = False
    bad = notnull & out.isna().to_numpy()
    if bad.any():
        hint = ""
        sample = [v for v in s.to_numpy(dtype=object)[bad][:20] if isinstance(v, str)]
        if decimal == "." and any(re.search(r"\d,\d", v) for v in sample):
            hint = "; numbers with a decimal comma need data.decimal: ',' (and data.thousands: '.')"
        elif decimal == "," and any(re.fullmatch(r"[+-]?\d+\.\d+", v.strip()) for v in sample):
            hint = "; these use a decimal point: check data.decimal"
        marks = f"data.decimal {decimal!r}" + (f" and data.thousands {thousands!r}" if thousands else "")
        raise_bad(raw, bad, s, column, "not-a-number", f"are not numbers (read with {marks})", hint)
    raise_missing(raw, ~notnull, column)
    return out


_SWAP = {"%d": "%m", "%m": "%d"}


class DateOrderSwitch(Exception):
    """A later batch of a file reads only in the other day/month order ``fmt`` while every earlier
    date reads in it too: read as a whole, the file's dates are in that order, so its reading starts
    again with ``plan[column] = {"fmt": fmt, ...}`` (see :func:`parse_dates`)."""

    def __init__(self, file, column: str, fmt: str):
        super().__init__(f"{file}: column {column!r}: dates read as {fmt!r}")
        self.file, self.column, self.fmt = file, column, fmt


def parse_dates(raw: RawTable, col: str, column: str, *, dayfirst: bool, date_format: str | None,
                plan: dict | None = None) -> pd.Series:
    """Timestamps (naive) from datetimes, YYYYMMDD integers or text.

    ``plan`` carries the text date format chosen for ``column`` from one batch of a file to the
    next (:mod:`helpers.io.batches`), so a file read in batches gets the dates it gets read whole:
    the format is guessed from the file's first date, and a later batch readable only in the
    other day/month order raises :class:`DateOrderSwitch` when every earlier date reads in it too.
    """
    s = raw.frame[col]
    notnull = s.notna().to_numpy()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_localize(None).astype("datetime64[us]")
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("datetime64[us]")
    else:
        obj = s.astype(object)
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        if _is_text_dtype(s.dtype):
            kind = np.full(len(s), "s")
        else:
            kind = obj.map(lambda v: "d" if isinstance(v, (dt.date, np.datetime64)) else
                           "n" if _is_number(v) else "s").to_numpy()
        d = notnull & (kind == "d")
        if d.any():
            out[d] = naive_timestamps(pd.to_datetime(pd.Series(list(obj[d]), dtype=object), errors="coerce")).to_numpy()
        nm = notnull & (kind == "n")
        if nm.any():  # YYYYMMDD stored as a number, or an Excel serial day number
            vals = pd.to_numeric(obj[nm], errors="coerce").astype("float64")
            ok = (vals == vals.round()) & vals.between(10000101, 29991231)
            txt = vals.where(ok).astype("Int64").astype("string")
            got = pd.to_datetime(txt, format="%Y%m%d", errors="coerce")
            if raw.excel:  # 1954 .. 2119 as Excel day numbers (days since 1899-12-30)
                serial = vals.between(20000, 80000)
                got = got.where(~serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(
                    vals.where(serial, 0) * 86400, unit="s").dt.round("s"))
            out[nm] = naive_timestamps(got).to_numpy()
        st = notnull & (kind == "s")
        if st.any():
            txt = obj[st].astype(str).str.strip()
            blank = (txt == "").to_numpy()
            out[st] = _dates_from_text(raw, txt.where(~blank, None), s, column, dayfirst,
                                       date_format, plan).to_numpy()
            notnull = notnull.copy()
            notnull[np.flatnonzero(st)[blank]] = False
    bad = notnull & out.isna().to_numpy()
    if bad.any():
        if date_format:
            how = f"data.date_format {date_format!r}"
            hint = ("; check these values, or fix data.date_format (codes as in Python's strftime, "
                    "e.g. '%d.%m.%Y %H:%M' for 31.12.2023 14:05)")
        else:
            how = f"data.dayfirst {str(dayfirst).lower()}"
            hint = ("; check these values, or give data.date_format, e.g. '%d.%m.%Y %H:%M' for "
                    "31.12.2023 14:05" + ("" if dayfirst else ", or set data.dayfirst: true for "
                                          "day-first dates"))
        raise_bad(raw, bad, s, column, "unreadable-date", f"are not dates (read with {how})", hint)
    raise_missing(raw, ~notnull, column)
    return out


def naive_timestamps(ts: pd.Series) -> pd.Series:
    """Timestamps without time zone (the wall-clock time kept), as ``datetime64[us]``."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_localize(None)
    return ts.astype("datetime64[us]")


def _to_dt(txt: pd.Series, **kw) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = pd.to_datetime(txt, errors="coerce", **kw)
        except (ValueError, TypeError):  # e.g. mixed time zones
            res = pd.to_datetime(txt, errors="coerce", utc=True, **kw).dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(res.dtype):  # all failed -> object
        res = pd.to_datetime(res, errors="coerce")
    return naive_timestamps(res)


def _dates_from_text(raw: RawTable, txt: pd.Series, full: pd.Series, column: str, dayfirst: bool,
                     date_format: str | None, plan: dict | None = None) -> pd.Series:
    """Parse date strings ``txt`` (indexed by row position in ``raw``; ``full`` is the whole
    column, for messages): one format for all when possible, as pandas does."""
    from pandas.tseries.api import guess_datetime_format

    present = txt.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
    if date_format:
        return _to_dt(txt, format=date_format)
    first = txt[present].iloc[0]
    known = None if plan is None else plan.get(column)
    if known is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = guess_datetime_format(first, dayfirst=dayfirst)
    else:
        fmt = known["fmt"]
    if not fmt:
        _remember(plan, column, None, None, first)
        return _to_dt(txt, format="mixed", dayfirst=dayfirst)
    out = _to_dt(txt, format=fmt)
    bad = present & out.isna()
    if not bad.any():
        _remember(plan, column, fmt, out, first)
        return out
    if "%d" in fmt and "%m" in fmt:
        swapped = re.sub(r"%[dm]", lambda m: _SWAP[m.group(0)], fmt)
        alt = _to_dt(txt, format=swapped)
        if alt[present].notna().all():
            if known is not None and known["max_day"] <= 12 and not known.get("locked"):
                # every earlier date reads in the other order too: the whole file is in that order
                raise DateOrderSwitch(raw.file, column, swapped)
            if known is None:
                # only the other day/month order reads every date: that is the file's order
                warnings.warn(f"{raw.file}: column '{column}': dates read as {swapped!r} (the only order "
                              f"that reads them all); set data.dayfirst or data.date_format to say so",
                              stacklevel=6)
                _remember(plan, column, swapped, alt, first)
                return alt
        if alt[bad].notna().any():
            mask = np.zeros(len(raw), dtype=bool)
            mask[np.asarray(txt.index)[(bad & alt.notna()).to_numpy()]] = True
            order = "day-first" if swapped.index("%d") < swapped.index("%m") else "month-first"
            shown = first if known is None else known["first"]
            raise_bad(raw, mask, full, column, "unreadable-date",
                      f"only read {order} while the first date {shown!r} reads as {fmt!r}",
                      "; the file mixes day/month orders or data.dayfirst is wrong: set "
                      "data.date_format, e.g. '%d.%m.%Y %H:%M'")
    # mixed layouts (e.g. some dates without a time): read the rest one by one
    rest = _to_dt(txt[bad], format="mixed", dayfirst=dayfirst)
    out[bad] = rest.to_numpy()
    _remember(plan, column, fmt, out, first)
    return out


def _remember(plan: dict | None, column: str, fmt: str | None, out: pd.Series | None, first: str) -> None:
    """Keep in ``plan`` the format read, the file's first date and the largest day of the month read
    so far (an earlier date also reads in the other day/month order only when that day is at most 12)."""
    if plan is None:
        return
    known = plan.setdefault(column, {"fmt": fmt, "max_day": 0, "first": first})
    day = 0 if out is None or not out.notna().any() else int(out.dt.day.max())
    known.update(fmt=fmt, max_day=max(known["max_day"], day))


def parse_keys(s: pd.Series, *, strip_float_suffix: bool = False) -> pd.Series:
    """Identifiers as trimmed text; numbers without a spurious '.0'; blanks -> null."""
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype="float64")
        out = np.full(len(s), None, dtype=object)
        ok = ~np.isnan(vals)
        integral = ok & (vals == np.round(vals))
        out[integral] = vals[integral].astype("int64").astype(str)
        rest = ok & ~integral
        out[rest] = [repr(float(v)) for v in vals[rest]]
        res = pd.Series(out, index=s.index, dtype="string")
    elif pd.api.types.is_integer_dtype(s.dtype):
        res = s.astype("Int64").astype("string")
    elif pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        res = s.astype("string").str.strip()
    else:
        def one(v):
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                return str(int(v))
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                return str(int(v))
            return str(v).strip()
        res = pd.Series(s.map(one).to_numpy(dtype=object), index=s.index, dtype="string")
    if strip_float_suffix:
        res = res.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return res.mask(res == "")


def parse_texts(s: pd.Series, *, strip: bool) -> pd.Series:
    """Free text as strings; blank cells -> null (text itself kept as written unless strip)."""
    def one(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v)
    if _is_text_dtype(s.dtype):
        res = s.astype("string")
    else:
        res = pd.Series(s.astype(object).map(one).to_numpy(dtype=object), index=s.index, dtype="string")
    if strip:
        res = res.str.strip()
    return res.mask(res.str.strip() == "")

