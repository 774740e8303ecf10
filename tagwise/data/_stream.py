"""Reading files as chunks of whole lines, so that parsers work on bounded buffers."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tagwise.exceptions import DataFormatError

__all__ = ["CHUNK_BYTES", "chunk_size", "line_chunks", "open_binary"]

#: bytes per parsing chunk; 0 means "from the file size": 1/8 of the file, between 256 KiB and
#: 1 MiB. Big enough to amortise the per-chunk calls, small enough that the per-chunk working
#: arrays (~20-40 bytes per input byte) stay well below the size of the result.
CHUNK_BYTES = 0
_MIN_CHUNK, _MAX_CHUNK = 1 << 18, 1 << 20


def chunk_size(path: Path, chunk_bytes: int = CHUNK_BYTES) -> int:
    """``chunk_bytes``, or when it is 0 the size chosen from the file's size."""
    if chunk_bytes > 0:
        return chunk_bytes
    try:
        size = path.stat().st_size
    except OSError:
        size = _MAX_CHUNK
    return min(_MAX_CHUNK, max(_MIN_CHUNK, size // 8))


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
    chunk_bytes = chunk_size(path, chunk_bytes)
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
