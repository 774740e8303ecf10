"""Opening tabular files: format detection, pandas/pyarrow loading, and ``path:line`` locations.

pandas does not report the file line of a parsed row, so :class:`Table` maps a row index to a
line number lazily, only when an error needs it (CSV rows may span lines inside quotes; JSONL
may contain blank lines), keeping the happy path at the speed of pandas' C parser.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tagwise.exceptions import DataFormatError, located

__all__ = ["Table", "detect_format", "load_table", "open_text"]

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".arff": "arff",
    ".svm": "libsvm",
    ".libsvm": "libsvm",
    ".svmlight": "libsvm",
    ".xmc": "libsvm",
}
FORMATS = ("arff", "csv", "jsonl", "libsvm", "parquet", "tsv")


def detect_format(path: str | Path, format: str | None = None) -> str:
    """The format of ``path``: ``format`` if given, else from the extension (``.gz`` ignored)."""
    if format is not None:
        fmt = format.lower().lstrip(".")
        fmt = {"txt": "libsvm", "svmlight": "libsvm", "xmc": "libsvm", "ndjson": "jsonl"}.get(
            fmt, fmt
        )
        if fmt not in FORMATS:
            raise DataFormatError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    if suffixes and suffixes[-1] == ".txt":
        return "libsvm"  # the Extreme Classification Repository ships its files as .txt
    raise DataFormatError(
        f"{path}: cannot tell the format from the extension {''.join(suffixes) or '(none)'!r}; "
        f"pass format= (one of {', '.join(FORMATS)})."
    )


def open_text(path: str | Path) -> bytes:
    """All bytes of ``path`` (gunzipped for ``.gz``), with clear errors for a missing/empty file."""
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file.")
    try:
        raw = p.read_bytes()
        if p.suffix.lower() in (".gz", ".gzip"):
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataFormatError(f"{p}: cannot read the file ({exc}).") from None
    if not raw.strip():
        raise DataFormatError(located(p, 1, "the file is empty; expected a header row and data."))
    return raw


@dataclass
class Table:
    """A loaded table, its path, and the way to name the line of a row in errors."""

    path: Path
    frame: pd.DataFrame
    fmt: str
    header: bool = True
    sep: str = ","
    raw: bytes | None = None
    row_offset: int = 0  # rows before this table in the file (for batches)
    _lines: list[int] | None = field(default=None, repr=False)

    def where(self, row: int) -> str:
        """``path:line`` of data row ``row`` (0-based), or ``path: row N`` without the text."""
        line = self.line_of(row)
        if line:
            return located(self.path, line, "")[:-2]
        return f"{self.path}: row {row + self.row_offset + 1}"

    def line_of(self, row: int) -> int | None:
        if self.fmt == "parquet" or self.raw is None:
            return None
        if self._lines is None:
            try:
                self._lines = self._line_numbers()
            except csv.Error:  # the row is still named, by its number
                self._lines = []
        return self._lines[row] if row < len(self._lines) else None

    def _line_numbers(self) -> list[int]:
        text = (self.raw or b"").decode("utf-8-sig", errors="replace")
        if self.fmt == "jsonl":
            return [i for i, line in enumerate(text.splitlines(), 1) if line.strip()]
        quoting: Any = csv.QUOTE_NONE if self.sep == "\t" else csv.QUOTE_MINIMAL
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.sep, quoting=quoting)
        lines, start = [], 1
        for record in reader:
            if record and any(field.strip() for field in record):
                lines.append(start)
            start = reader.line_num + 1
        return lines[1:] if self.header else lines


def load_table(
    path: str | Path, *, format: str | None = None, sep: str | None = None, header: bool = True
) -> Table:
    """Load a CSV/TSV/Parquet/JSONL file as a DataFrame with string column names."""
    p = Path(path)
    fmt = detect_format(p, format)
    if fmt not in ("csv", "tsv", "parquet", "jsonl"):
        raise DataFormatError(f"{p}: {fmt} is not a tabular format.")
    if fmt == "parquet":
        frame = _read_parquet(p)
        table = Table(p, frame, fmt)
    else:
        raw = open_text(p)
        if fmt == "jsonl":
            frame = _read_jsonl(p, raw)
            table = Table(p, frame, fmt, raw=raw)
        else:
            sep = sep or ("\t" if fmt == "tsv" else ",")
            try:
                frame = _read_csv(p, raw, sep, header)
            except csv.Error as exc:
                raise DataFormatError(f"{p}: cannot parse as CSV/TSV ({exc}).") from None
            table = Table(p, frame, fmt, header=header, sep=sep, raw=raw)
    if len(table.frame) == 0:
        raise DataFormatError(located(p, 2, "no data rows after the header."))
    table.frame.columns = [str(c).strip() for c in table.frame.columns]
    dupes = table.frame.columns[table.frame.columns.duplicated()].tolist()
    if dupes:
        raise DataFormatError(
            f"{p}: duplicate column name(s) {dupes}; column names must be unique."
        )
    return table


def _read_csv(path: Path, raw: bytes, sep: str, header: bool) -> pd.DataFrame:
    try:
        text = raw.decode("utf-8-sig")  # utf-8-sig drops a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataFormatError(
            located(path, line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8.")
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataFormatError(located(path, line, "NUL byte: this is not a text table."))
    quoting: Any = csv.QUOTE_NONE if sep == "\t" else csv.QUOTE_MINIMAL
    kind = "TSV" if sep == "\t" else "CSV"
    if header:
        names = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quoting=quoting), [])
        names = [n.strip() for n in names]
        dupes = sorted({n for n in names if n and names.count(n) > 1})
        if dupes:
            raise DataFormatError(
                located(path, 1, f"duplicate column name(s) {dupes}; column names must be unique.")
            )
    try:
        with warnings.catch_warnings():
            # pandas only *warns* when a row has more fields than the header, then drops data.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                header=0 if header else None,
                quoting=quoting,
                skipinitialspace=True,
                low_memory=False,
                index_col=False,
            )
    except pd.errors.EmptyDataError:
        raise DataFormatError(
            located(path, 1, "the file is empty; expected a header row.")
        ) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, OverflowError) as exc:
        bad = _wrong_field_count(text, sep, quoting)
        if bad is not None:
            raise DataFormatError(located(path, bad[0], bad[1])) from None
        raise DataFormatError(f"{path}: cannot parse as {kind}: {exc}") from None
    if header:
        unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
        if unnamed:
            raise DataFormatError(
                located(
                    path,
                    1,
                    f"the header has {len(unnamed)} empty column name(s); name every column.",
                )
            )
    return frame


def _wrong_field_count(text: str, sep: str, quoting: Any) -> tuple[int, str] | None:
    """The first line whose field count differs from the first row's, for the error message."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quoting=quoting)
    expected = None
    start = 1
    for record in reader:
        if record:
            if expected is None:
                expected = len(record)
            elif len(record) != expected:
                return (
                    start,
                    f"expected {expected} fields (as in the first row), found {len(record)}.",
                )
        start = reader.line_num + 1
    return None


def _read_jsonl(path: Path, raw: bytes) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataFormatError(located(path, lineno, f"invalid JSON ({exc}).")) from None
        except RecursionError:
            raise DataFormatError(located(path, lineno, "JSON nested too deeply.")) from None
        if not isinstance(obj, dict):
            raise DataFormatError(
                located(
                    path, lineno, f"expected a JSON object per line, found {type(obj).__name__}."
                )
            )
        records.append(obj)
    return pd.DataFrame.from_records(records)


def _read_parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file.")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError family
        raise DataFormatError(
            f"{path}: cannot read as Parquet ({type(exc).__name__}: {exc})."
        ) from None
