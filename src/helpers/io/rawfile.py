"""Raw tables read from a sales or table file, before any column is parsed.

:class:`RawTable` holds a file's cells (text, or the types a workbook or parquet file gave
them) under its cleaned headers, with each row's place in the file (row number, sheet) so
that messages can point at it. The readers per format (:func:`read_text` for csv / tsv / txt,
:func:`read_parquet`, :func:`read_xlsx`) guess the separator, decode the text encoding and
raise a :class:`~helpers.errors.DataError` naming the file (for an undecodable byte also the
line and column) when it is missing, empty, unreadable or in another encoding.
Used by :mod:`helpers.io.read` (sales lines) and :mod:`helpers.io.tables` (optional tables).
"""
from __future__ import annotations

import codecs
import difflib
import re
import time
import unicodedata
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from helpers import paths
from helpers.errors import DataError

#: File formats read as text (the separator is guessed from the header line unless given).
TEXT_FORMATS = ("csv", "tsv", "txt")
#: File format by extension (lower case), for ``format: auto``.
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_TURKISH_HINT = ("Turkish files are usually cp1254 (Windows export) or iso-8859-9; "
                 "Western European ones latin-1")


# --------------------------------------------------------------------------------------
# raw frames with row numbers
# --------------------------------------------------------------------------------------
@dataclass
class RawTable:
    """File headers as columns, plus where each row sits in the file (for messages)."""

    frame: pd.DataFrame
    file: Path
    row_no: np.ndarray                  # 1-based row number in the file / sheet
    sheet: np.ndarray | None = None     # sheet name per row (workbooks) or None
    row_note: str = "rows counted as in the file, header = row 1"
    sep: str | None = None              # separator of a text file (for hints)
    excel: bool = False                 # from a workbook: numbers in a date column are serials

    @classmethod
    def single(cls, frame, file, *, first_row: int, sheet: str | None = None,
               row_note: str = "rows counted as in the file, header = row 1") -> "RawTable":
        """One table read from ``file``: its first data row is row ``first_row`` of the file (or of ``sheet``)."""
        frame = frame.reset_index(drop=True)
        frame.columns = [clean_header(c) for c in frame.columns]
        rows = np.arange(first_row, first_row + len(frame), dtype="int64")
        sheets = None if sheet is None else np.full(len(frame), sheet, dtype=object)
        return cls(frame, Path(file), rows, sheets, row_note)

    @classmethod
    def concat(cls, parts: list["RawTable"]) -> "RawTable":
        """The rows of ``parts`` one after the other (e.g. the sheets of a workbook), each keeping its place."""
        if len(parts) == 1:
            return parts[0]
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        rows = np.concatenate([p.row_no for p in parts])
        sheets = None
        if any(p.sheet is not None for p in parts):
            sheets = np.concatenate([p.sheet if p.sheet is not None else np.full(len(p.frame), None)
                                     for p in parts])
        return replace(parts[0], frame=frame, row_no=rows, sheet=sheets)

    def __len__(self) -> int:
        return len(self.frame)

    def parts(self):
        """(sheet, RawTable) per sheet; one part for single-table files."""
        if self.sheet is None:
            yield None, self
            return
        for name in pd.unique(self.sheet):
            m = self.sheet == name
            yield name, replace(self, frame=self.frame[m].reset_index(drop=True),
                                row_no=self.row_no[m], sheet=self.sheet[m])

    def dropna_rows(self) -> "RawTable":
        """Drop rows with no value at all (blank lines), keeping the others' row numbers."""
        keep = self.frame.notna().any(axis=1).to_numpy()
        if keep.all():
            return self
        return replace(self, frame=self.frame[keep].reset_index(drop=True), row_no=self.row_no[keep],
                       sheet=None if self.sheet is None else self.sheet[keep])

    def where(self, i: int) -> str:
        """Where row ``i`` (0-based position in :attr:`frame`) sits in the file: "row 12", "sheet 'S' row 12"."""
        row = f"row {int(self.row_no[i])}"
        if self.sheet is not None and self.sheet[i] is not None:
            return f"sheet '{self.sheet[i]}' {row}"
        return row


def clean_header(c) -> str:
    """A header cell as the readers name the column: Unicode NFC, no byte-order mark, no surrounding spaces."""
    return nfc(str(c)).replace("\ufeff", "").strip()


def nfc(s: str) -> str:
    """``s`` in Unicode normal form C (composed letters), so headers compare as they look."""
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------------------
# readers per format
# --------------------------------------------------------------------------------------
def check_exists(p: Path) -> None:
    """Raise a :class:`DataError` unless ``p`` is a non-empty file; suggests close file names."""
    if p.is_file():
        if p.stat().st_size == 0:
            raise DataError(p, "empty-file", "is empty (0 bytes)")
        return
    if p.is_dir():
        raise DataError(p, "file-not-found", "is a folder, not a file; data.path must name the file")
    hint = ""
    if p.parent.is_dir():
        siblings = [x.name for x in p.parent.iterdir() if x.is_file()]
        close = difflib.get_close_matches(p.name, siblings, n=3, cutoff=0.5)
        if close:
            hint = "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        elif siblings:
            hint = f"; {p.parent} holds: " + ", ".join(sorted(siblings)[:10])
    else:
        hint = f"; the folder {p.parent} does not exist either"
    raise DataError(p, "file-not-found", f"does not exist (a relative data.path starts at the project "
                    f"root {paths.ROOT}){hint}")


def format_of(p: Path, fmt: str) -> str:
    """The file format: ``fmt`` itself, or from the extension when ``fmt`` is "auto" (:data:`EXTENSIONS`)."""
    if fmt != "auto":
        return fmt
    ext = p.suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if ext == ".xls":
        raise DataError(p, "unsupported-format", "is an old Excel 97-2003 workbook (.xls); save it as "
                        ".xlsx or .csv, or set data.format")
    known = ", ".join(sorted(EXTENSIONS))
    raise DataError(p, "unsupported-format", f"has extension '{ext or '(none)'}' which is not one of "
                    f"{known}; rename the file or set data.format (csv, tsv, txt, parquet, xlsx)")


def read_text(p: Path, *, fmt: str, separator: str | None, encoding: str) -> RawTable:
    """A csv / tsv / txt file as text cells; blank lines dropped, rows numbered as in the file.

    Without ``separator``: tab for tsv; for csv "," unless the header line has none but has ";"
    or a tab; for txt whichever of ";", tab, ",", "|" the header line uses most, else whitespace.
    A UTF-8 byte-order mark is skipped. Bytes that are not ``encoding`` raise a
    :class:`DataError` naming the line and column of the first one. The whole file at once:
    :func:`iter_text` reads it in batches.
    """
    return RawTable.concat(list(iter_text(p, fmt=fmt, separator=separator, encoding=encoding)))


def iter_text(p: Path, *, fmt: str, separator: str | None, encoding: str,
              batch_rows: int | None = None) -> Iterator[RawTable]:
    """A csv / tsv / txt file as :func:`read_text` reads it, in batches of ``batch_rows`` rows of the
    file (all at once when None), so memory does not grow with the file.

    Each batch keeps its rows' numbers in the file (blank lines count, then are dropped); an
    error in a late batch (a row that does not split, an undecodable byte) raises the same
    :class:`DataError` as reading the file whole.
    """
    head = head_bytes(p)
    enc = encoding
    if codecs.lookup(encoding).name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    first = head.decode(enc, errors="replace").lstrip("\ufeff").splitlines()[0] if head else ""
    sep = guess_separator(fmt, separator, first)
    kw: dict[str, Any] = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                              skip_blank_lines=False, encoding=enc, index_col=False)
    if len(sep) > 1 and sep != r"\s+":
        kw["engine"] = "python"

    def fail(exc: Exception) -> DataError:
        if isinstance(exc, UnicodeDecodeError):
            return encoding_error(p, encoding, sep, exc)
        if isinstance(exc, pd.errors.EmptyDataError):
            return DataError(p, "empty-file", "has no header and no data")
        hint = ""
        if sep == "," and re.search(r"\d,\d", first + head.decode(enc, errors="replace")[:2000]):
            hint = ("; numbers with a decimal comma in a comma-separated file must be quoted, or use "
                    "';' as separator (data.separator)")
        return DataError(p, "malformed-row", f"cannot be split into columns with separator {sep!r}: "
                         f"{first_line(exc)}{hint}")

    def read(step):
        """One step of pandas' reader, its errors as DataErrors and its extra-field warning once."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                out = step()
            except (UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
                raise fail(exc) from None
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught) and not warned:
            warned.append(True)
            warnings.warn(f"{p}: some rows have more fields than the header line; the extra fields "
                          f"are ignored (separator {sep!r})", stacklevel=4)
        return out

    warned: list[bool] = []
    if batch_rows is None:
        frames: Iterator[pd.DataFrame] = iter([read(lambda: pd.read_csv(p, **kw))])
    else:
        reader = read(lambda: pd.read_csv(p, chunksize=max(int(batch_rows), 1), **kw))
        frames = _chunks(reader, read)
    warn_if_utf8_as_single_byte(p, head, encoding)
    rows = 0
    for frame in frames:
        if len(frame) == 0 and rows == 0:
            break
        raw = replace(RawTable.single(frame, p, first_row=2 + rows), sep=sep)
        rows += len(frame)
        yield raw.dropna_rows()
    if rows == 0:
        raise DataError(p, "empty-file", "has a header line but no data rows")


def _chunks(reader, read) -> Iterator[pd.DataFrame]:
    with reader:
        while True:
            try:
                frame = read(lambda: next(reader))
            except StopIteration:
                return
            yield frame


def guess_separator(fmt: str, separator: str | None, first: str) -> str:
    """The separator given, or the one guessed from the header line ``first`` (see :func:`read_text`)."""
    if separator is not None:
        return separator
    if fmt == "tsv":
        return "\t"
    if fmt == "csv":
        if "," not in first:
            return ";" if ";" in first else ("\t" if "\t" in first else ",")
        return ","
    counts = {s: first.count(s) for s in (";", "\t", ",", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else r"\s+"


def head_bytes(p: Path, n: int = 1 << 20) -> bytes:
    """The first ``n`` bytes of the file ``p`` (1 MiB: enough for the header line and the encoding checks)."""
    with open(p, "rb") as f:
        return f.read(n)


def warn_if_utf8_as_single_byte(p: Path, head: bytes, encoding: str) -> None:
    """Warn when ``encoding`` is a one-byte encoding but the file's first bytes ``head`` read as UTF-8 text."""
    name = codecs.lookup(encoding).name
    if name.startswith("utf") or head.isascii():
        return
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 or len(head) < 1 << 20:  # a real error, not a cut character
            return
    warnings.warn(f"{p}: data.encoding is {encoding} but the file looks like UTF-8 text; letters "
                  f"such as ü or ş may come out garbled (set data.encoding: utf-8)", stacklevel=3)


def encoding_error(p: Path, encoding: str, sep: str, exc: UnicodeDecodeError) -> DataError:
    """Find the first undecodable byte's line and column for the message."""
    line_no, col, byte = None, None, exc.object[exc.start:exc.start + 1] if exc.object else b""
    try:
        with open(p, "rb") as f:
            header = None
            for i, line in enumerate(f, 1):
                if header is None:
                    header = line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as e:
                    line_no, byte = i, line[e.start:e.start + 1]
                    if i == 1:
                        break
                    text = line.decode(encoding, errors="replace")
                    fields = re.split(sep, text) if sep == r"\s+" else text.split(sep)
                    names = re.split(sep, header) if sep == r"\s+" else header.split(sep)
                    for j, fld in enumerate(fields):
                        if "\ufffd" in fld and j < len(names):
                            col = names[j].strip().strip('"')
                            break
                    break
    except Exception:  # best effort only
        pass
    where = " in the header line" if line_no == 1 else f" on line {line_no}" if line_no else ""
    fix = f"set data.encoding to the file's encoding ({_TURKISH_HINT})"
    if codecs.lookup(encoding).name != "utf-8" and _looks_utf8(p):
        fix = "the file looks like UTF-8: set data.encoding: utf-8"
    return DataError(p, "encoding",
                     f"cannot be decoded as {encoding}: byte 0x{byte.hex().upper() or '??'}{where} is not "
                     f"valid {encoding}; {fix}", column=col)


def _looks_utf8(p: Path) -> bool:
    head = head_bytes(p)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4 and len(head) == 1 << 20  # cut inside a character
    return True


def read_parquet(p: Path) -> RawTable:
    """A parquet file with its own column types; rows counted from 1, blank rows dropped."""
    return RawTable.concat(list(iter_parquet(p)))


def iter_parquet(p: Path, batch_rows: int | None = None) -> Iterator[RawTable]:
    """A parquet file as :func:`read_parquet` reads it, in batches of ``batch_rows`` rows (all at
    once when None), each keeping its rows' numbers."""
    import pyarrow.parquet as pq

    def unreadable(exc: Exception) -> DataError:
        return DataError(p, "unreadable-file", f"is not a readable parquet file ({first_line(exc)})")

    try:
        if batch_rows is None:
            frames: Iterator[pd.DataFrame] = iter([pd.read_parquet(p)])
        else:
            frames = (b.to_pandas() for b in
                      pq.ParquetFile(p).iter_batches(batch_size=max(int(batch_rows), 1)))
    except Exception as exc:  # pyarrow raises several kinds
        raise unreadable(exc) from None
    rows = 0
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            break
        except Exception as exc:
            raise unreadable(exc) from None
        if len(frame) == 0:
            continue
        yield RawTable.single(frame, p, first_row=1 + rows, row_note="rows counted from 1").dropna_rows()
        rows += len(frame)
    if rows == 0:
        raise DataError(p, "empty-file", "has columns but no rows")


def read_xlsx(p: Path, *, sheets, all_sheets: bool, progress: bool) -> RawTable:
    """The sheets ``sheets`` of a workbook one after the other (else every sheet when
    ``all_sheets``, or the first); cells keep Excel's types, rows are numbered as in the sheet."""
    return RawTable.concat(list(iter_xlsx(p, sheets=sheets, all_sheets=all_sheets, progress=progress)))


def iter_xlsx(p: Path, *, sheets, all_sheets: bool, progress: bool,
              batch_rows: int | None = None) -> Iterator[RawTable]:
    """The sheets of a workbook as :func:`read_xlsx` reads them, in batches of about ``batch_rows``
    rows (consecutive small sheets together; all in one when None), streamed from the file by
    openpyxl's read-only reader.

    Cells become what ``pandas.read_excel(..., dtype=object)`` makes of them: whole numbers as
    int, dates as datetime, blank cells and pandas' missing-value texts ("NA", "#N/A", ...) as
    missing; headers as pandas names them ("Unnamed: 3", "Price.1" for a repeated one).
    """
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise DataError(p, "unreadable-file", f"is not a readable .xlsx workbook ({first_line(exc)}); "
                        "save it again from Excel as .xlsx, or as .csv") from None
    rows, held = 0, []
    try:
        names = list(wb.sheetnames)
        if sheets:
            missing = [s for s in sheets if s not in names]
            if missing:
                close = difflib.get_close_matches(missing[0], names, n=1, cutoff=0.5)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise DataError(p, "missing-sheet",
                                f"has no sheet {', '.join(repr(m) for m in missing)} (data.sheets); its "
                                f"sheets are: {', '.join(repr(n) for n in names)}{hint}")
            wanted = list(sheets)
        else:
            wanted = names if all_sheets else names[:1]
        for s in wanted:
            t0, n_sheet = time.perf_counter(), 0
            for frame, first_row in _sheet_frames(p, wb[s], s, batch_rows):
                part = RawTable.single(frame, p, first_row=first_row, sheet=s if len(wanted) > 1 else None,
                                       row_note="rows counted as in the sheet, header = row 1")
                n_sheet += len(frame)
                part = replace(part, excel=True).dropna_rows()
                rows += len(part)
                held.append(part)
                if batch_rows is not None and sum(len(h) for h in held) >= batch_rows:
                    yield RawTable.concat(held)   # small sheets go together, as read whole
                    held = []
            if progress:
                print(f"  sheet '{s}': {n_sheet:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        if held and rows:
            yield RawTable.concat(held)
    finally:
        wb.close()
    if rows == 0:
        which = ", ".join(repr(s) for s in wanted)
        raise DataError(p, "empty-file", f"has no data rows in sheet(s) {which}")


def _excel_cell(cell):
    """A cell as pandas' openpyxl reader gives it: blank "", error NaN, whole numbers int."""
    from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC

    v = cell.value
    if v is None:
        return ""
    if cell.data_type == TYPE_ERROR:
        return np.nan
    if cell.data_type == TYPE_NUMERIC and not isinstance(v, bool):
        return int(v) if int(v) == v else float(v)
    return v


def _sheet_frames(p: Path, ws, name: str, batch_rows: int | None) -> Iterator[tuple[pd.DataFrame, int]]:
    """(frame, first row in the sheet) per ``batch_rows`` rows of sheet ``ws``; the first row is the header."""
    from pandas.io.parsers import TextParser

    try:
        ws.reset_dimensions()
        it = ws.iter_rows()
        header = _trimmed([_excel_cell(c) for c in next(it, ())])
        step = batch_rows or (1 << 62)
        chunk: list[list] = []
        first_row = 2
        while True:
            row = next(it, None)
            if row is not None:
                chunk.append(_trimmed([_excel_cell(c) for c in row]))
            if chunk and (row is None or len(chunk) >= step):
                while chunk and not chunk[-1] and row is None:   # trailing blank rows of the sheet
                    chunk.pop()
                if chunk:
                    width = max(len(header), *(len(r) for r in chunk))
                    data = [r + [""] * (width - len(r)) for r in [header, *chunk]]
                    yield TextParser(data, header=0, dtype=object).read(), first_row
                    first_row += len(chunk)
                chunk = []
            if row is None:
                break
    except Exception as exc:
        raise DataError(p, "unreadable-file", f"sheet '{name}' cannot be read ({first_line(exc)})") from None


def _trimmed(row: list) -> list:
    while row and isinstance(row[-1], str) and row[-1] == "":
        row.pop()
    return row


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
