"""A csv / tsv / txt sales file read by Spark into the canonical lines, for ``engine.backend: spark``.

The same rules as the Python reader (:mod:`helpers.io.batches`, :mod:`helpers.io.parsing`), written
as Spark column expressions, so the executors read and parse the file and the driver never holds
it: ``spark.read.csv`` with every column as text (the separator guessed from the header line as
:func:`helpers.io.rawfile.read_text` does, ``data.encoding``, ``"`` quotes doubled inside quoted
fields), then numbers with ``data.decimal`` / ``data.thousands``, dates in the format of
``data.date_format`` or the one recognised from the file's first date (``data.dayfirst``, the other
day/month order when only it reads every date), identifiers, texts, missing-value tokens, return
flags and currencies. Bad values raise the same :class:`~helpers.errors.DataError` as the Python
reader (the file, the column as spelt in the file, the rule, the count and the first rows); Spark
counts them over the whole file at once. The executors write the lines as parquet parts into this
process's scratch folder (:func:`helpers.io.engine.scratch_dir`, which must be on storage every
node sees); the driver joins the parts into the one cache file, a row group at a time, checking
each with :func:`helpers.io.schema.validate_lines` and writing the notes of reading into its
metadata as the Python reader does, so everything downstream reads the same file.

What Spark's reader cannot do raises a :class:`~helpers.errors.ConfigError` saying so (never a
silent read on the driver): splitting on runs of whitespace (a ``txt`` file without a separator
character), encodings of two or more bytes per character (UTF-16, UTF-32) or unknown to Java, date
formats with a time-zone offset or directives Spark's date patterns lack. Row numbers in messages
count the file's records, header = row 1; Spark skips blank lines, so when the file has any the
message says that they are not counted. A quoted value spanning several lines is not supported
(Spark reads the file line by line so that it can split it between executors).
"""
from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import pandas as pd

from helpers.config import DEFAULT_SALE_VALUES
from helpers.errors import ConfigError, DataError
from helpers.io.batches import CURRENCY_ALIASES, LineSpec, LinesWriter, na_tokens
from helpers.io.rawfile import (
    RawTable,
    clean_header,
    encoding_error,
    guess_separator,
    head_bytes,
    warn_if_utf8_as_single_byte,
)
from helpers.io.schema import MIN_LINES, conform, validate_lines

ROW_NOTE = "rows counted as in the file, header = row 1"
ROW_NOTE_BLANKS = "rows counted as in the file, header = row 1, blank lines not counted"

#: Python codec names (``codecs.lookup(...).name``) and the charset Spark's csv reader knows them by.
_JAVA_CHARSETS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "latin-1": "ISO-8859-1", "ascii": "US-ASCII"}
#: strftime directives and the Spark datetime pattern letters that read the same text.
_DIRECTIVES = {"%Y": "yyyy", "%y": "yy", "%m": "M", "%d": "d", "%H": "H", "%I": "h", "%M": "m", "%S": "s",
               "%f": "SSSSSS", "%p": "a", "%b": "MMM", "%B": "MMMM", "%a": "EEE", "%A": "EEEE", "%j": "D"}
#: the same, when the field has no separator after it (``%Y%m%d``): fixed widths
_FIXED = {"%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh", "%M": "mm", "%S": "ss", "%j": "DDD"}
_SWAP = {"%d": "%m", "%m": "%d"}
_STRIP = r"(?U)^\s+|\s+$"   # Python's str.strip: Unicode white space too


def spark_charset(path, encoding: str) -> str:
    """The charset name Spark's csv reader takes for the Python ``encoding``; a ConfigError when it has none."""
    name = codecs.lookup(encoding).name
    if name.startswith(("utf-16", "utf-32")):
        raise ConfigError(f"{path}: data.encoding {encoding} has two or more bytes per character; Spark's csv "
                          "reader reads such files only whole, not split between executors. Save the file as "
                          "UTF-8, or read it with engine.backend: duckdb")
    if name in _JAVA_CHARSETS:
        return _JAVA_CHARSETS[name]
    m = re.fullmatch(r"cp(125\d)", name)
    if m:
        return f"windows-{m.group(1)}"
    m = re.fullmatch(r"iso8859-(\d+)", name)
    if m:
        return f"ISO-8859-{m.group(1)}"
    return name


def spark_pattern(fmt: str, path, column: str) -> str:
    """A strftime format (``%d.%m.%Y %H:%M``) as a Spark datetime pattern (``d.M.yyyy H:m``)."""
    out, i = [], 0
    literal = ""
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            d = fmt[i:i + 2]
            if d == "%%":
                literal += "%"
                i += 2
                continue
            if d not in _DIRECTIVES:
                why = ("a time-zone offset" if d in ("%z", "%Z") else f"the directive {d}")
                raise ConfigError(f"{path}: column '{column}': the date format {fmt!r} has {why}, which the "
                                  "Spark reader does not read; set data.date_format to the dates' layout without it, "
                                  "or read the file with engine.backend: duckdb")
            if literal:
                out.append(_quote(literal))
                literal = ""
            adjacent = i + 2 < len(fmt) and fmt[i + 2] == "%" and fmt[i + 2:i + 4] != "%%"
            out.append(_FIXED.get(d, _DIRECTIVES[d]) if adjacent else _DIRECTIVES[d])
            i += 2
        else:
            literal += fmt[i]
            i += 1
    if literal:
        out.append(_quote(literal))
    return "".join(out)


def _quote(text: str) -> str:
    """Literal text of a Spark datetime pattern: letters quoted, a quote doubled."""
    if re.search(r"[A-Za-z']", text):
        return "'" + text.replace("'", "''") + "'"
    return text


def _mixed_patterns(dayfirst: bool) -> list[str]:
    """Layouts tried one after the other where one format does not read every date (pandas reads
    them one by one then): ISO dates, then day/month or month/day with ``.``, ``/`` or ``-``, the
    preferred order first, with or without a time."""
    times = [" H:m:s.SSSSSS", " H:m:s", " H:m", ""]
    out = [f"yyyy-M-d{t}" for t in times] + [f"yyyy-M-d'T'{t.strip()}" for t in times[:3]]
    out += [f"yyyy/M/d{t}" for t in times]
    orders = ["d{s}M{s}yyyy", "M{s}d{s}yyyy"] if dayfirst else ["M{s}d{s}yyyy", "d{s}M{s}yyyy"]
    for order in orders:
        for s in (".", "/", "-"):
            out += [order.format(s=s) + t for t in times]
    return out


def _pandas_names(headers: list[str]) -> list[str]:
    """Header cells named as pandas' csv reader names them: blanks ``Unnamed: i``, repeats ``X.1``."""
    names, seen = [], {}
    for i, h in enumerate(headers):
        h = h if h != "" else f"Unnamed: {i}"
        base, k = h, seen.get(h, 0)
        while h in seen:
            k += 1
            h = f"{base}.{k}"
        seen[base] = k
        seen[h] = 0
        names.append(h)
    return names


def write_text_lines(spark, p: Path, *, fmt: str, separator: str | None, encoding: str,
                     select: Callable[[RawTable], dict[str, str]], spec: LineSpec, target: Path,
                     scratch: Path) -> tuple[int, dict]:
    """Read the text file ``p`` with Spark and write its canonical lines to the parquet file ``target``;
    return (lines, notes of reading) as :func:`helpers.io.batches.write_lines` does.

    ``select`` gets the file's headers (a :class:`RawTable` without rows), checks them and returns the
    canonical names -> headers to read; ``spec.cols`` / ``spec.spelled`` are then taken from it.
    The executors write their parts under ``scratch`` (removed afterwards).
    """
    conf = spark.conf
    legacy = conf.get("spark.sql.legacy.javaCharsets", "false")
    conf.set("spark.sql.legacy.javaCharsets", "true")   # Spark 4 knows only the UTF and ISO-8859-1 charsets otherwise
    try:
        return _write_text_lines(spark, p, fmt=fmt, separator=separator, encoding=encoding, select=select, spec=spec,
                                 target=target, scratch=scratch)
    finally:
        conf.set("spark.sql.legacy.javaCharsets", legacy)


def _write_text_lines(spark, p: Path, *, fmt: str, separator: str | None, encoding: str,
                      select: Callable[[RawTable], dict[str, str]], spec: LineSpec, target: Path,
                      scratch: Path) -> tuple[int, dict]:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    head = head_bytes(p)
    enc = encoding
    if codecs.lookup(encoding).name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    charset = spark_charset(p, encoding)
    if not _java_knows(spark, charset):
        raise ConfigError(f"{p}: data.encoding {encoding} ({charset}) is not a charset Spark's csv reader (Java) knows; "
                          "save the file as UTF-8, or read it with engine.backend: duckdb")
    text = head.decode(enc, errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    sep = guess_separator(fmt, separator, first)
    if sep == r"\s+":
        raise ConfigError(f"{p}: the header line has none of ';', tab, ',' or '|', so the file would be split on "
                          "runs of white space, which Spark's csv reader cannot do; set data.separator (e.g. ' ') "
                          "or read the file with engine.backend: duckdb")
    if not first.strip():
        raise DataError(p, "empty-file", "has no header and no data")
    if "\ufffd" in first:
        try:
            head[:head.find(b"\n") if b"\n" in head else len(head)].decode(enc)
        except UnicodeDecodeError as exc:
            raise encoding_error(p, encoding, sep, exc) from None
    cells = (next(csv.reader([first], delimiter=sep, quotechar='"')) if len(sep) == 1 else first.split(sep))
    names = _pandas_names([clean_header(c) for c in cells])
    header = RawTable.single(pd.DataFrame(columns=names), p, first_row=2)
    header.sep = sep
    mapping = select(header)
    cols = {k: k for k in mapping}
    spelled = {k: spec.spelled.get(k, v) for k, v in mapping.items()}
    warn_if_utf8_as_single_byte(p, head, encoding)

    schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(names))])
    raw = spark.read.csv(str(p), schema=schema, sep=sep, encoding=charset, header=True, quote='"',
                         escape='"', mode="PERMISSIVE", multiLine=False, ignoreLeadingWhiteSpace=False,
                         ignoreTrailingWhiteSpace=False, enforceSchema=True)
    used = list(dict.fromkeys(mapping.values()))
    src = {h: f"c{names.index(h)}" for h in used}
    # "" (a quoted empty cell) is missing, as in the Python reader
    undecoded = F.lit(False)   # Spark puts U+FFFD where a byte is not in the encoding; Python's reader stops there
    for i in range(len(names)):
        undecoded = undecoded | F.coalesce(F.col(f"c{i}").contains("\ufffd"), F.lit(False))
    df0 = raw.select(*[F.when(F.col(src[h]) != "", F.col(src[h])).alias(src[h]) for h in used],
                     F.spark_partition_id().alias("_p"), F.monotonically_increasing_id().alias("_m0"),
                     undecoded.alias("_undecoded"))
    keep = F.lit(False)
    for h in used:
        keep = keep | F.col(src[h]).isNotNull()
    df1 = df0.filter(keep).withColumn("_m1", F.monotonically_increasing_id())

    # rows per partition: record numbers and line ids run on from one partition to the next
    got = df0.groupBy("_p").agg(F.count(F.lit(1)).alias("n"), F.sum(keep.cast("long")).alias("k"),
                                F.max("_undecoded").alias("u")).collect()
    if any(r["u"] for r in got):
        _check_encoding(p, encoding, enc, sep)
    counts = {r["_p"]: (r["n"], r["k"]) for r in got}
    n_records = sum(n for n, _k in counts.values())
    n_lines = sum(k for _n, k in counts.values())
    if n_records == 0:
        raise DataError(p, "empty-file", "has a header line but no data rows")
    if n_lines == 0:
        raise DataError(p, "empty-file", "has no data rows")
    if n_lines < MIN_LINES:
        raise DataError(p, "too-few-lines", f"has {n_lines} data row(s); at least {MIN_LINES} sales lines are "
                        "needed for an analysis")
    rec_off, line_off, r, k = [], [], 0, 0
    for part in range(max(counts) + 1):
        rec_off.append(r)
        line_off.append(k)
        n, kk = counts.get(part, (0, 0))
        r, k = r + n, k + kk
    local0 = F.col("_m0") - F.shiftleft(F.col("_p").cast("long"), 33)
    local1 = F.col("_m1") - F.shiftleft(F.col("_p").cast("long"), 33)
    df = df1.select(*[F.col(src[h]) for h in used],
                    (F.element_at(F.array(*[F.lit(x) for x in rec_off]), F.col("_p") + 1) + local0 + 2).alias("_row"),
                    (F.element_at(F.array(*[F.lit(x) for x in line_off]), F.col("_p") + 1) + local1).alias("line_id"))

    reader = _Reader(spark, p, df, n_records, spelled)
    c = {k: F.col(src[mapping[k]]) for k in cols}

    def name(k):
        return spelled.get(k, k)

    # dates
    ts, ts_checks = reader.dates(c["invoice_ts"], name("invoice_ts"), spec)
    checks = ts_checks
    nums = {}
    for k in ("quantity", "unit_price", "amount"):
        if k in cols:
            nums[k], more = _numbers(c[k], name(k), spec)
            checks += more
    qty = nums.get("quantity", F.lit(1.0))
    price = nums.get("unit_price")
    amount = nums.get("amount")
    if price is None:
        price = F.when(qty == 0, F.lit(0.0)).otherwise(amount / qty)
    if amount is None:
        amount = qty * price

    tokens = na_tokens(spec.na_values)
    out = {"line_id": F.col("line_id")}
    masked: list[tuple[str, object, object]] = []   # (column, value before masking, hit)

    def mask(k, s):
        wanted = tokens.get(k)
        if not wanted:
            return s
        hit = F.lower(F.regexp_replace(s, _STRIP, "")).isin(sorted(wanted))
        masked.append((k, s, hit))
        return F.when(~hit | s.isNull(), s)

    flipped = F.lit(0)
    if "return_flag" in cols:
        flag_text = F.lower(_text(c["return_flag"], strip=True))
        yes = sorted({str(v).strip().casefold() for v in spec.return_values or []})
        no = sorted({v.casefold() for v in DEFAULT_SALE_VALUES} - set(yes))
        bad = flag_text.isNotNull() & ~flag_text.isin(yes) & ~flag_text.isin(no)
        checks.append(("bad", c["return_flag"], name("return_flag"), bad, "bad-return-flag",
                       "are neither a return mark nor a sale mark",
                       f"; list the values that mark a return in data.return_flag_values (now {', '.join(yes)}); "
                       f"{', '.join(no)} and blanks mark a sale"))
        flag = F.when(flag_text.isNull(), F.lit(None).cast("boolean")).otherwise(flag_text.isin(yes))
        turn = F.coalesce(flag, F.lit(False))
        flipped = (turn & ((qty > 0) | (amount > 0))).cast("long")
        qty, amount = F.when(turn, -F.abs(qty)).otherwise(qty), F.when(turn, -F.abs(amount)).otherwise(amount)
    customer = (mask("customer_id", F.regexp_replace(_key(c["customer_id"]), r"^(\d+)\.0+$", "$1"))
                if "customer_id" in cols else F.lit(None).cast("string"))
    if "invoice" in cols:
        inv = mask("invoice", _key(c["invoice"]))
        checks.append(("missing", None, name("invoice"), inv.isNull(), "missing-value", None, None))
    else:
        inv = F.concat(F.date_format(ts, "yyyyMMdd-HHmmss"), F.lit("-"), F.coalesce(customer, F.lit("guest")))
    out["invoice"] = inv
    out["invoice_ts"] = ts
    out["customer_id"] = customer
    for k in ("product_id", "line_no", "original_invoice"):
        if k in cols:
            out[k] = mask(k, _key(c[k]))
    for k in ("description", "category", "country", "channel"):
        if k in cols:
            out[k] = mask(k, _text(c[k], strip=(k != "description")))
    if "return_flag" in cols:
        out["is_return"] = flag
    out["quantity"], out["unit_price"], out["amount"] = qty, price, amount
    if "currency" in cols:
        cur = F.upper(_text(c["currency"], strip=True))
        alias = None
        for a, iso in CURRENCY_ALIASES.items():
            alias = (F.when(cur == a, F.lit(iso)) if alias is None else alias.when(cur == a, F.lit(iso)))
        cur = alias.otherwise(cur)
        checks.append(("bad", c["currency"], name("currency"), cur.isNotNull() & ~cur.rlike(r"^[A-Z]{3}$"),
                       "bad-currency", "are not 3-letter ISO currency codes (e.g. TRY, EUR, USD)", ""))
        out["currency"] = F.coalesce(cur, F.lit(spec.currency))
    else:
        out["currency"] = F.lit(spec.currency)
    for k in ("quantity", "unit_price", "amount"):
        if k in cols:
            v = out[k]
            checks.append(("bad", c[k], name(k), F.isnan(v) | (F.abs(v) == float("inf")), "finite-number",
                           "are not finite numbers", ""))

    # every rule counted in one pass over the file; the first that fails (in the Python reader's order) is raised
    aggs = [F.sum(ch[3].cast("long")).alias(f"r{i}") for i, ch in enumerate(checks)]
    aggs.append(F.sum(flipped).alias("flipped"))
    aggs += [F.sum(s.isNull().cast("long")).alias(f"blank_{k}") for k, s, _hit in masked]
    totals = df.agg(*aggs).collect()[0]
    for i, (kind, values, column, cond, rule, what, hint) in enumerate(checks):
        if totals[f"r{i}"]:
            reader.fail(kind, values, column, cond, rule, what, hint, int(totals[f"r{i}"]))

    found = []
    if masked:
        hits = F.array(*[F.when(hit, F.struct(F.lit(k).alias("c"), F.regexp_replace(s, _STRIP, "").alias("t")))
                         for k, s, hit in masked])
        rows = (df.select(F.explode(F.filter(hits, lambda x: x.isNotNull())).alias("h"), "line_id")
                .groupBy(F.col("h.c").alias("c"), F.col("h.t").alias("t"))
                .agg(F.count(F.lit(1)).alias("n"), F.min("line_id").alias("first")).collect())
        for k, _s, _hit in masked:
            blank = int(totals[f"blank_{k}"] or 0)
            if blank:
                found.append({"column": k, "token": "(blank)", "count": blank})
            mine = sorted((r for r in rows if r["c"] == k), key=lambda r: (-r["n"], r["first"]))
            found += [{"column": k, "token": str(r["t"]), "count": int(r["n"])} for r in mine]
    notes = {"na_tokens": found, "return_sign_flipped": int(totals["flipped"] or 0),
             "quantity_given": "quantity" in cols}

    parts = Path(tempfile.mkdtemp(prefix="crm-spark-read-", dir=scratch))
    try:
        (df.select(*[v.alias(k) for k, v in out.items()])
         .write.mode("overwrite").parquet(str(parts / "lines")))
        n = _join_parts(sorted((parts / "lines").glob("part-*.parquet")), p, target, notes)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return n, notes


def _java_knows(spark, charset: str) -> bool:
    """Whether the JVM of ``spark`` has the charset (True when that cannot be asked, as over Spark Connect)."""
    try:
        return bool(spark._jvm.java.nio.charset.Charset.isSupported(charset))
    except Exception:  # no JVM gateway (Spark Connect) or an illegal name: Spark's reader then says so itself
        return True


def _check_encoding(p: Path, encoding: str, enc: str, sep: str) -> None:
    """Raise the Python reader's ``encoding`` error at the file's first line that is not ``encoding``
    (Spark only shows U+FFFD in its place; a file that holds U+FFFD itself passes)."""
    with open(p, "rb") as f:
        for i, line in enumerate(f, 1):
            try:
                line.decode(enc)
            except UnicodeDecodeError as exc:
                raise encoding_error(p, encoding, sep, exc) from None


def _show(v) -> str:
    """A cell as :func:`helpers.io.parsing.raise_bad` shows it: quoted, cut after 40 characters."""
    s = repr(v if isinstance(v, str) else str(v))
    return s if len(s) <= 42 else s[:39] + "...'"


def _key(col):
    """Identifiers as :func:`helpers.io.parsing.parse_keys` reads text: trimmed, blanks missing."""
    from pyspark.sql import functions as F

    s = F.regexp_replace(col, _STRIP, "")
    return F.when(s != "", s)


def _text(col, *, strip: bool):
    """Free text as :func:`helpers.io.parsing.parse_texts` reads it: blank (white space only) missing."""
    from pyspark.sql import functions as F

    s = F.regexp_replace(col, _STRIP, "")
    return F.when(s != "", s if strip else col)


def _numbers(col, column: str, spec: LineSpec):
    """(numbers, checks) for a text column as :func:`helpers.io.parsing.parse_numbers` reads it."""
    from pyspark.sql import functions as F

    txt = F.regexp_replace(F.regexp_replace(col, _STRIP, ""), "[\u00a0\u202f]", "")
    if spec.thousands:
        txt = F.replace(txt, F.lit(spec.thousands), F.lit(""))
    elif spec.decimal == ",":
        grouped = txt.rlike(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
        txt = F.when(grouped, F.replace(txt, F.lit("."), F.lit(""))).otherwise(txt)
    if spec.decimal == ",":
        txt = F.replace(txt, F.lit(","), F.lit("."))
    ok = txt.rlike(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^(?i)[+-]?inf(inity)?$")
    value = F.when(ok, txt.try_cast("double"))
    present = col.isNotNull() & (txt != "")
    marks = f"data.decimal {spec.decimal!r}" + (f" and data.thousands {spec.thousands!r}" if spec.thousands else "")
    checks = [("bad", col, column, present & value.isNull(), "not-a-number", f"are not numbers (read with {marks})",
               ("number-hint", spec.decimal)),
              ("missing", None, column, ~present, "missing-value", None, None)]
    return value, checks


class _Reader:
    """The file read by Spark (``df``: text cells, ``_row``, ``line_id``) and how its errors are told."""

    def __init__(self, spark, p: Path, df, n_records: int, spelled: dict):
        self.spark, self.p, self.df, self.n_records, self.spelled = spark, p, df, n_records, spelled
        self._note = None

    def note(self) -> str:
        """The row note: whether Spark's record numbers are the file's rows (no blank lines skipped)."""
        if self._note is None:
            from pyspark.sql import functions as F

            lines = self.spark.read.text(str(self.p))
            blank = lines.filter(F.regexp_replace("value", r"[\s\u0000]", "") == "").count()
            self._note = ROW_NOTE if blank == 0 else ROW_NOTE_BLANKS
        return self._note

    def first_rows(self, cond, values, n: int = 3) -> list[tuple]:
        from pyspark.sql import functions as F

        cols = [F.col("_row")] + ([values.alias("_v")] if values is not None else [])
        return [tuple(r) for r in self.df.filter(cond).orderBy("_row").select(*cols).limit(n).collect()]

    def fail(self, kind, values, column, cond, rule, what, hint, count: int):
        if kind == "missing":
            rows = ", ".join(f"row {r[0]}" for r in self.first_rows(cond, None))
            raise DataError(self.p, "missing-value",
                            f"{count:,} row(s) have no value, e.g. {rows} ({self.note()}); fill them in or remove "
                            "those rows", column=column)
        found = self.first_rows(cond, values, 20 if isinstance(hint, tuple) else 3)
        if isinstance(hint, tuple):   # numbers: a hint about the decimal mark, from the first bad values
            decimal, sample = hint[1], [v for _r, v in found if isinstance(v, str)]
            hint = ""
            if decimal == "." and any(re.search(r"\d,\d", v) for v in sample):
                hint = "; numbers with a decimal comma need data.decimal: ',' (and data.thousands: '.')"
            elif decimal == "," and any(re.fullmatch(r"[+-]?\d+\.\d+", v.strip()) for v in sample):
                hint = "; these use a decimal point: check data.decimal"
        ex = ", ".join(f"{_show(v)} (row {r})" for r, v in found[:3])
        raise DataError(self.p, rule, f"{count:,} value(s) {what}: {ex} ({self.note()}){hint or ''}", column=column)

    def dates(self, col, column: str, spec: LineSpec):
        """(timestamps, checks) for a text column as :func:`helpers.io.parsing.parse_dates` reads it."""
        from pandas.tseries.api import guess_datetime_format
        from pyspark.sql import functions as F

        txt = F.regexp_replace(col, _STRIP, "")
        present = col.isNotNull() & (txt != "")

        def parse(pattern):
            return F.try_to_timestamp(txt, F.lit(pattern)).cast("timestamp_ntz")

        if spec.date_format:
            ts = parse(spark_pattern(spec.date_format, self.p, column))
            how = f"data.date_format {spec.date_format!r}"
            hint = ("; check these values, or fix data.date_format (codes as in Python's strftime, "
                    "e.g. '%d.%m.%Y %H:%M' for 31.12.2023 14:05)")
        else:
            how = f"data.dayfirst {str(spec.dayfirst).lower()}"
            hint = ("; check these values, or give data.date_format, e.g. '%d.%m.%Y %H:%M' for "
                    "31.12.2023 14:05" + ("" if spec.dayfirst else ", or set data.dayfirst: true for "
                                          "day-first dates"))
            head = self.df.filter(present).select(txt.alias("t")).head(1)
            first = head[0]["t"] if head else None
            fmt = None
            if first is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fmt = guess_datetime_format(first, dayfirst=spec.dayfirst)
            mixed = [parse(x) for x in _mixed_patterns(spec.dayfirst)]
            if fmt is None:
                ts = F.coalesce(*mixed)
            else:
                ts = parse(spark_pattern(fmt, self.p, column))
                swapped = re.sub(r"%[dm]", lambda m: _SWAP[m.group(0)], fmt) if "%d" in fmt and "%m" in fmt else None
                alt = parse(spark_pattern(swapped, self.p, column)) if swapped else None
                bad = present & ts.isNull()
                aggs = [F.sum(bad.cast("long")).alias("bad")]
                if alt is not None:
                    aggs += [F.sum((present & alt.isNull()).cast("long")).alias("alt_bad"),
                             F.sum((bad & alt.isNotNull()).cast("long")).alias("alt_ok")]
                got = self.df.agg(*aggs).collect()[0]
                if got["bad"]:
                    if alt is not None and not got["alt_bad"]:
                        warnings.warn(f"{self.p}: column '{column}': dates read as {swapped!r} (the only order "
                                      f"that reads them all); set data.dayfirst or data.date_format to say so",
                                      stacklevel=5)
                        ts = alt
                    elif alt is not None and got["alt_ok"]:
                        order = "day-first" if swapped.index("%d") < swapped.index("%m") else "month-first"
                        self.fail("bad", col, column, bad & alt.isNotNull(), "unreadable-date",
                                  f"only read {order} while the first date {first!r} reads as {fmt!r}",
                                  "; the file mixes day/month orders or data.dayfirst is wrong: set "
                                  "data.date_format, e.g. '%d.%m.%Y %H:%M'", int(got["alt_ok"]))
                    else:
                        ts = F.coalesce(ts, *mixed)
        checks = [("bad", col, column, present & ts.isNull(), "unreadable-date", f"are not dates (read with {how})",
                   hint),
                  ("missing", None, column, ~present, "missing-value", None, None)]
        return ts, checks


def _join_parts(parts: list[Path], p: Path, target: Path, notes: dict) -> int:
    """The parquet parts the executors wrote, in order, as one file ``target`` with the Python reader's
    schema and the notes of reading in its metadata; each row group checked by :func:`validate_lines`."""
    import pyarrow.parquet as pq

    with LinesWriter(target) as out:
        for part in parts:
            pf = pq.ParquetFile(part)
            for g in range(pf.num_row_groups):
                df = pf.read_row_group(g).to_pandas()
                if len(df):
                    out.write(validate_lines(conform(df), str(p), min_lines=0))
        if out.n == 0:
            raise DataError(p, "empty-file", "has no data rows")
        out.finish(notes)
    return out.n
