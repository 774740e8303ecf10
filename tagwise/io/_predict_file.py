"""Batch prediction over files of any size: read a chunk, score it, append it, repeat.

Memory stays at about one chunk whatever the file's length: the input is read ``chunk_size``
rows at a time (JSONL line by line, CSV/TSV through pandas' chunked reader, Parquet by record
batch) and each chunk's predictions are appended to the output (a Parquet row group, or lines of
JSONL/CSV) before the next chunk is read. The output is written under a temporary name beside
the target, fsync'ed and renamed into place, so an interrupted run leaves no partial file.

Input rows: for text models a ``text`` column (``text_field``); for feature models either a
``features`` column holding a list of numbers or one numeric column per feature (the model's
feature names when it has them, else every column but the id). An ``id`` column (``id_field``)
is copied to the output; without one the output carries the 0-based ``row`` number.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from tagwise.exceptions import DataFormatError, located
from tagwise.io._safety import fsync_dir

__all__ = ["PredictSummary", "predict_file", "rich_progress"]

Progress = Callable[[int, int], None]  # (done, total) in bytes or rows


@dataclass
class PredictSummary:
    """What :func:`predict_file` did: rows scored, chunks, and the file written."""

    n_rows: int
    n_chunks: int
    out_path: Path


def _fmt(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    formats = {
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".csv": "csv",
        ".tsv": "tsv",
    }
    if ext in (".parquet", ".pq"):
        return "parquet"
    if ext not in formats:
        raise DataFormatError(
            f"{path}: unknown file type {ext!r}; use .jsonl, .csv, .tsv or .parquet."
        )
    return formats[ext]


def _chunks(path: Path, chunk_size: int) -> Iterator[tuple[pd.DataFrame, int, int, int]]:
    """(rows, first line number, bytes or rows done, total) for each chunk of the input."""
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file.")
    fmt = _fmt(path)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            source = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise DataFormatError(f"{path}: not a readable Parquet file ({exc}).") from None
        total, done = source.metadata.num_rows, 0
        for batch in source.iter_batches(batch_size=chunk_size):
            frame = batch.to_pandas()
            yield frame, done + 1, done + len(frame), total
            done += len(frame)
        return
    total = path.stat().st_size
    with open(path, "rb") as fh:
        if fmt == "jsonl":
            yield from _jsonl_chunks(path, fh, chunk_size, total)
            return
        sep = "\t" if fmt == "tsv" else ","
        line = 2  # after the header
        try:
            for frame in pd.read_csv(fh, sep=sep, chunksize=chunk_size):
                yield frame, line, fh.tell(), total
                line += len(frame)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise DataFormatError(
                located(path, line, f"cannot parse the {fmt.upper()} ({exc}).")
            ) from None


def _jsonl_chunks(
    path: Path, fh: IO[bytes], chunk_size: int, total: int
) -> Iterator[tuple[pd.DataFrame, int, int, int]]:
    records: list[Any] = []
    first = 1
    for number, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataFormatError(located(path, number, f"not valid JSON ({exc}).")) from None
        if not isinstance(record, dict):
            raise DataFormatError(located(path, number, "each line must be a JSON object."))
        if not records:
            first = number
        records.append(record)
        if len(records) == chunk_size:
            yield pd.DataFrame.from_records(records), first, fh.tell(), total
            records = []
    if records:
        yield pd.DataFrame.from_records(records), first, total, total


def _inputs(
    model: Any, frame: pd.DataFrame, where: tuple[Path, int], fields: dict[str, str]
) -> Any:
    path, line = where
    if getattr(model, "_artifact_input", "features") == "text":
        if fields["text"] not in frame.columns:
            raise DataFormatError(
                located(path, line, f"no {fields['text']!r} field for the text model.")
            )
        texts = frame[fields["text"]].tolist()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataFormatError(located(path, line + i, f"text is {text!r}, not a string."))
        return texts
    n_features = int(model.n_features_in_)
    if "features" in frame.columns:
        rows = frame["features"].tolist()
        for i, row in enumerate(rows):
            if not hasattr(row, "__len__") or len(row) != n_features:
                size = len(row) if hasattr(row, "__len__") else "no"
                raise DataFormatError(
                    located(path, line + i, f"expected {n_features} feature values, found {size}.")
                )
        try:
            return np.asarray([np.asarray(r, dtype=np.float32) for r in rows])
        except (TypeError, ValueError) as exc:
            raise DataFormatError(
                located(path, line, f"non-numeric feature values ({exc}).")
            ) from None
    names = getattr(model, "feature_names_in_", None)
    columns = (
        [str(c) for c in names]
        if names is not None
        else [c for c in frame.columns if c != fields["id"]]
    )
    missing = [c for c in columns if c not in frame.columns]
    if missing or len(columns) != n_features:
        raise DataFormatError(
            located(
                path,
                line,
                f"expected {n_features} feature columns (or a 'features' list), "
                f"found {len(columns)}" + (f"; missing {missing[:5]}" if missing else "") + ".",
            )
        )
    try:
        return frame[columns].to_numpy(dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(located(path, line, f"non-numeric feature values ({exc}).")) from None


class _Writer:
    """Appends chunks of predictions to a temporary file; ``commit`` renames it into place."""

    def __init__(self, target: Path) -> None:
        self.target, self.fmt = target, _fmt(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self.tmp, self.fh = Path(name), os.fdopen(fd, "wb")
        self.parquet: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            key = frame.columns[0]
            table = pa.table(
                {
                    key: pa.array(frame[key].to_numpy()),
                    # explicit types: a first chunk of empty lists must not fix a null type
                    "labels": pa.array(frame["labels"].tolist(), type=pa.list_(pa.string())),
                    "scores": pa.array(frame["scores"].tolist(), type=pa.list_(pa.float32())),
                }
            )
            if self.parquet is not None and table.schema != self.parquet.schema:
                table = table.cast(self.parquet.schema)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.fh, table.schema)
            self.parquet.write_table(table)
        elif self.fmt == "jsonl":
            self.fh.write(frame.to_json(orient="records", lines=True, force_ascii=False).encode())
        else:
            flat = frame.assign(
                labels=frame["labels"].map("|".join),
                scores=frame["scores"].map(lambda s: "|".join(f"{v:.6g}" for v in s)),
            )
            sep = "\t" if self.fmt == "tsv" else ","
            flat.to_csv(self.fh, sep=sep, index=False, header=self.fh.tell() == 0)

    def commit(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.target)
        fsync_dir(self.target.parent)

    def abort(self) -> None:
        if self.parquet is not None:
            try:
                self.parquet.close()
            except (OSError, ValueError):  # the file is discarded anyway
                pass
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


@contextmanager
def rich_progress(description: str) -> Iterator[Progress]:
    """A progress bar on stderr (stdout stays data) as a ``progress(done, total)`` callback."""
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def predict_file(
    model: Any,
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    chunk_size: int = 10_000,
    threshold: float | None = None,
    top_k: int | None = None,
    text_field: str = "text",
    id_field: str = "id",
    progress: Progress | None = None,
) -> PredictSummary:
    """Predict labels for every row of ``in_path`` and write them to ``out_path`` in chunks.

    Parameters
    ----------
    model : a fitted tagwise model (``predict_labels``)
    in_path : ``.jsonl`` / ``.csv`` / ``.tsv`` / ``.parquet`` input
    out_path : ``.parquet`` / ``.jsonl`` / ``.csv`` / ``.tsv`` output with columns ``id`` (or
        ``row``), ``labels`` (list of str) and ``scores`` (list of float, same order)
    chunk_size : rows per chunk; memory grows with it, not with the file
    threshold, top_k : as in ``predict_labels``
    progress : called as ``progress(done, total)`` after each chunk
    """
    if chunk_size < 1:
        raise DataFormatError(f"chunk_size must be at least 1, got {chunk_size}.")
    src, writer = Path(in_path), _Writer(Path(out_path))
    fields = {"text": text_field, "id": id_field}
    n_rows = n_chunks = 0
    try:
        for frame, line, done, total in _chunks(src, chunk_size):
            X = _inputs(model, frame, (src, line), fields)
            predictions = model.predict_labels(X, threshold=threshold, top_k=top_k)
            ids = frame[id_field] if id_field in frame.columns else None
            out = pd.DataFrame(
                {
                    (id_field if ids is not None else "row"): (
                        ids.to_numpy()
                        if ids is not None
                        else np.arange(n_rows, n_rows + len(frame))
                    ),
                    "labels": [[name for name, _ in p] for p in predictions],
                    "scores": [[float(s) for _, s in p] for p in predictions],
                }
            )
            writer.write(out)
            n_rows, n_chunks = n_rows + len(frame), n_chunks + 1
            if progress is not None:
                progress(done, total)
        if n_chunks == 0:
            writer.write(pd.DataFrame({"row": np.zeros(0, np.int64), "labels": [], "scores": []}))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return PredictSummary(n_rows=n_rows, n_chunks=n_chunks, out_path=Path(out_path))
