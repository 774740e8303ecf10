"""``iter_batches``: feature rows of a file in bounded pieces, for prediction over big files.

CSV/TSV go through pandas' chunked reader, Parquet through pyarrow record batches, JSONL line
by line, LIBSVM and ARFF (dense or sparse) through their chunked parsers; memory stays at about
one batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tagwise.data._tabsource import Table, detect_format
from tagwise.exceptions import DataFormatError, located

__all__ = ["iter_batches"]


def iter_batches(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    batch_size: int = 10_000,
    format: str | None = None,
    n_features: int | None = None,
    zero_based: bool = True,
    **options: Any,
) -> Iterator[tuple[Any, list[str] | None]]:
    """Yield ``(X, ids)`` for consecutive batches of at most ``batch_size`` rows.

    Same column rules as :func:`tagwise.data.read_features`. LIBSVM needs the width
    (``feature_names`` or ``n_features``) and the index base (``zero_based``, default True)
    up front, since no batch can see the whole file.
    """
    if batch_size < 1:
        raise DataFormatError(f"batch_size must be at least 1, got {batch_size}.")
    p = Path(path)
    fmt = detect_format(p, format)
    if fmt == "libsvm":
        yield from _libsvm(p, feature_names, n_features, zero_based, batch_size, options)
    elif fmt == "arff":
        from tagwise.data._arff import iter_arff_features

        yield from iter_arff_features(p, feature_names, batch_size=batch_size, **options)
    else:
        yield from _tabular(p, fmt, feature_names, batch_size, options)


def _libsvm(
    p: Path,
    feature_names: Sequence[str] | None,
    n_features: int | None,
    zero_based: bool,
    batch_size: int,
    options: dict[str, Any],
) -> Iterator[tuple[Any, None]]:
    from tagwise.data._libsvm import iter_libsvm_chunks

    if feature_names is not None:
        n_features = len(feature_names)
    if n_features is None:
        raise DataFormatError("streaming a LIBSVM file needs feature_names or n_features.")
    dtype = options.get("dtype", np.float32)
    for chunk, _ in iter_libsvm_chunks(p):
        idx = chunk.idx - (0 if zero_based else 1)
        bad = np.flatnonzero((idx < 0) | (idx >= n_features))
        if bad.size:
            k = int(bad[0])
            raise DataFormatError(
                located(
                    p,
                    int(chunk.idx_line[k]),
                    f"feature index "
                    f"{int(chunk.idx[k])} is out of range for {n_features} "
                    f"features ({'0' if zero_based else '1'}-based).",
                )
            )
        if not options.get("allow_nan") and not np.isfinite(chunk.val).all():
            k = int(np.flatnonzero(~np.isfinite(chunk.val))[0])
            raise DataFormatError(
                located(
                    p,
                    int(chunk.idx_line[k]),
                    "a feature value is not finite; pass allow_nan=True to keep NaN/inf.",
                )
            )
        indptr = np.r_[0, np.cumsum(chunk.row_nnz)]
        X = sp.csr_matrix((chunk.val.astype(dtype), idx, indptr), shape=(chunk.n_rows, n_features))
        for start in range(0, chunk.n_rows, batch_size):
            yield X[start : start + batch_size], None


def _tabular(
    p: Path, fmt: str, feature_names: Sequence[str] | None, batch_size: int, options: dict[str, Any]
) -> Iterator[tuple[Any, list[str] | None]]:
    from tagwise.data._tabular import features_from_table

    offset = 0
    for frame in _frames(p, fmt, batch_size):
        frame.columns = [str(c).strip() for c in frame.columns]
        table = Table(p, frame, fmt, row_offset=offset)
        yield features_from_table(table, feature_names, **options)
        offset += len(frame)


def _frames(p: Path, fmt: str, batch_size: int) -> Iterator[pd.DataFrame]:
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file.")
    try:
        if fmt in ("csv", "tsv"):
            sep = "\t" if fmt == "tsv" else ","
            quoting = csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL
            yield from pd.read_csv(
                p,
                sep=sep,
                chunksize=batch_size,
                quoting=quoting,
                skipinitialspace=True,
                index_col=False,
                encoding="utf-8-sig",
            )
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(p).iter_batches(batch_size=batch_size):
                yield batch.to_pandas()
        else:
            rows: list[dict[str, Any]] = []
            with open(p, encoding="utf-8-sig") as f:
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise DataFormatError(
                            located(p, lineno, "expected a JSON object per line.")
                        )
                    rows.append(obj)
                    if len(rows) == batch_size:
                        yield pd.DataFrame.from_records(rows)
                        rows = []
            if rows:
                yield pd.DataFrame.from_records(rows)
    except DataFormatError:
        raise
    except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"{p}: cannot read a batch ({type(exc).__name__}: {exc}).") from None
    except Exception as exc:  # pyarrow's own error types
        raise DataFormatError(f"{p}: cannot read a batch ({type(exc).__name__}: {exc}).") from None
