"""Reading files as chunks of whole lines, so that parsers work on bounded buffers."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tagwise.exceptions import DataFormatError

__all__ = ["CHUNK_BYTES", "line_chunks", "open_binary"]

#: bytes per parsing chunk: big enough to amortise numpy call overhead, small enough that the
#: per-chunk working arrays (~20 bytes per input byte) stay far below the result's size
CHUNK_BYTES = 1 << 20


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading (gunzipping ``.gz``); a clear error when it is missing."""
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file.")
    if path.suffix.lower() in (".gz", ".gzip"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def line_chunks(
    path: Path, chunk_bytes: int = CHUNK_BYTES, *, offset: int = 0, first_line: int = 1
) -> Iterator[tuple[bytes, int]]:
    """Chunks of whole lines from byte ``offset`` on, each with its first line's number.

    The last chunk gets a newline appended if the file lacks one, so every chunk ends in
    ``\\n``.
    """
    line = first_line
    rest = b""
    try:
        with open_binary(path) as f:
            if offset:
                f.seek(offset)
            while True:
                block = f.read(chunk_bytes)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    rest = block
                    continue
                yield block[:cut], line
                line += block.count(b"\n", 0, cut)
                rest = block[cut:]
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataFormatError(f"{path}: cannot read the file ({exc}).") from None
    if rest:
        yield rest + b"\n", line
