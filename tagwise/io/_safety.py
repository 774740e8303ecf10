"""The defensive layer under save/load: capped reads, plain files only, durable writes.

Everything a model directory holds is treated as hostile until checked:

* names are plain file names (no ``/``, no ``..``, no leading dot) and every file is a regular
  file opened with ``O_NOFOLLOW``, so neither a ``../`` entry nor a symlink can make the loader
  read outside the directory;
* sizes are checked with ``lstat``/``fstat`` *before* a byte is read, against per-file and
  per-model caps;
* a safetensors header is parsed by hand first: its declared length, dtypes, shapes and offsets
  must agree with the file's real size before the safetensors library sees it;
* ``.npz`` members are checked in the zip directory (names, uncompressed sizes) and loaded with
  ``allow_pickle=False``: object arrays are refused, not executed.

Writes go to a temporary directory, every file and the directory itself are fsync'ed, then one
``rename`` puts the directory in place and the parent directory is fsync'ed (the rename is only
durable once the parent's entry is on disk).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tagwise.exceptions import ModelFormatError

__all__ = [
    "LIMITS",
    "check_plain_file",
    "fsync_dir",
    "load_npz_bytes",
    "load_safetensors_bytes",
    "read_capped",
    "replace_dir",
    "write_synced",
]


class _Limits:
    """Caps applied before reading a model; raise them through the environment for huge models.

    ``TAGWISE_MAX_MODEL_BYTES`` sets the per-model (and per-file) byte cap.
    """

    manifest_bytes = 16 * 1024 * 1024
    json_bytes = 64 * 1024 * 1024
    safetensors_header_bytes = 16 * 1024 * 1024
    max_depth = 4
    max_children = 64
    max_files = 16

    @property
    def model_bytes(self) -> int:
        raw = os.environ.get("TAGWISE_MAX_MODEL_BYTES", "")
        return int(raw) if raw.isdigit() else 8 * 1024**3


LIMITS = _Limits()

# A file name inside a model directory: no separators, no "..", no hidden files.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

# dtypes we write and accept (safetensors code → numpy); no objects, no structured records.
_ST_DTYPES = {
    "BOOL": np.dtype(bool),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "F16": np.dtype(np.float16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "F32": np.dtype(np.float32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F64": np.dtype(np.float64),
}
_NPZ_KINDS = set("biufU")


def check_name(name: object, where: Path) -> str:
    """Refuse a file name that could leave the directory or hide in it."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        raise ModelFormatError(
            f"{where}: the manifest names the file {name!r}, which is not a plain file name inside "
            "the model directory (path escape?); refusing to load it."
        )
    return name


def check_plain_file(root: Path, name: str, cap: int) -> int:
    """``lstat`` ``root/name``: a regular file (not a symlink) of at most ``cap`` bytes."""
    path = root / check_name(name, root / "manifest.json")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: missing; the model directory is incomplete.") from None
    if stat.S_ISLNK(info.st_mode):
        raise ModelFormatError(
            f"{path}: is a symbolic link; a model directory holds plain files only."
        )
    if not stat.S_ISREG(info.st_mode):
        raise ModelFormatError(
            f"{path}: not a regular file; a model directory holds plain files only."
        )
    if info.st_size > cap:
        raise ModelFormatError(
            f"{path}: {info.st_size} bytes exceeds the cap of {cap} bytes; refusing to read it "
            "(set TAGWISE_MAX_MODEL_BYTES to allow bigger models)."
        )
    return int(info.st_size)


def read_capped(path: Path, cap: int) -> bytes:
    """Read a whole file without following symlinks, refusing more than ``cap`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: missing; the model directory is incomplete.") from None
    except OSError as exc:  # ELOOP: a symlink swapped in after the lstat
        raise ModelFormatError(
            f"{path}: cannot open it as a plain file ({exc.strerror})."
        ) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ModelFormatError(f"{path}: not a regular file.")
        if info.st_size > cap:
            raise ModelFormatError(f"{path}: {info.st_size} bytes exceeds the cap of {cap} bytes.")
        data = fh.read(cap + 1)
    if len(data) > cap:  # the file grew while we read it
        raise ModelFormatError(f"{path}: more than {cap} bytes; refusing to read it.")
    return data


def load_json_bytes(data: bytes, where: Path) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"{where}: not valid JSON ({exc}); the model is damaged.") from None


def _check_safetensors_header(data: bytes, where: Path) -> None:
    """Validate the header of a safetensors blob against its real size before parsing it."""
    if len(data) < 8:
        raise ModelFormatError(f"{where}: {len(data)} bytes is too short for a safetensors file.")
    declared = int.from_bytes(data[:8], "little")
    body = len(data) - 8
    if declared > LIMITS.safetensors_header_bytes or declared > body:
        raise ModelFormatError(
            f"{where}: the safetensors header declares {declared} bytes but the file holds {body} "
            "after the length field; the file is damaged or hostile."
        )
    header = load_json_bytes(data[8 : 8 + declared], where)
    if not isinstance(header, dict):
        raise ModelFormatError(f"{where}: the safetensors header is not a JSON object.")
    payload = body - declared
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        entry = entry if isinstance(entry, dict) else {}
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (
            entry.get("dtype") in _ST_DTYPES
            and isinstance(shape, list)
            and all(isinstance(d, int) and d >= 0 for d in shape)
            and isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise ModelFormatError(
                f"{where}: tensor {key!r} has a malformed header entry {entry!r}."
            )
        need = _ST_DTYPES[entry["dtype"]].itemsize
        for dim in shape:  # Python ints: no overflow however large the declared shape
            need *= dim
        if offsets[1] > payload or offsets[1] - offsets[0] != need:
            raise ModelFormatError(
                f"{where}: tensor {key!r} declares {need} bytes at offsets {offsets}, but the file "
                f"has {payload} bytes of data; the file is damaged or hostile."
            )


def load_safetensors_bytes(data: bytes, where: Path) -> dict[str, np.ndarray]:
    """Parse a safetensors blob (already read and hash-checked) into numpy arrays."""
    from safetensors.numpy import load

    try:  # the exception's name changed across safetensors releases
        from safetensors import SafetensorError as _StError
    except ImportError:  # pragma: no cover
        _StError = ValueError  # type: ignore[misc,assignment]

    _check_safetensors_header(data, where)
    try:
        return dict(load(data))
    except (_StError, ValueError, TypeError) as exc:
        raise ModelFormatError(f"{where}: unreadable safetensors data ({exc}).") from None


def load_npz_bytes(data: bytes, where: Path, cap: int) -> dict[str, np.ndarray]:
    """Load an ``.npz`` blob with ``allow_pickle=False`` after checking its zip directory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ModelFormatError(
            f"{where}: not an npz archive ({exc}); the file is damaged."
        ) from None
    if sum(m.file_size for m in members) > cap:
        raise ModelFormatError(
            f"{where}: its arrays unpack to more than {cap} bytes; refusing them."
        )
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                array = npz[key]
                if array.dtype.kind not in _NPZ_KINDS:
                    raise ModelFormatError(
                        f"{where}: array {key!r} has unsupported dtype {array.dtype}."
                    )
                out[key] = array
    except ModelFormatError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        # "Object arrays cannot be loaded when allow_pickle=False" lands here: refused, never run.
        raise ModelFormatError(f"{where}: refused ({exc}).") from None
    return out


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file and fsync it before returning."""
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """fsync a directory so that the entries created or renamed in it survive a crash."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (and Windows) cannot fsync a directory; best effort
        pass
    finally:
        os.close(fd)


def replace_dir(tmp: Path, target: Path) -> None:
    """Move the finished directory ``tmp`` to ``target``, replacing an existing model.

    A directory cannot be renamed over a non-empty one, so the old model first moves aside to a
    hidden ``.NAME.old``; a crash between the two renames leaves that backup (the previous model,
    intact) and no torn model at ``target``.
    """
    fsync_dir(tmp)
    if target.is_symlink() or target.exists():
        backup = target.with_name(f".{target.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(target, backup)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(tmp, target)
    fsync_dir(target.parent)
