"""Arrays of a model artifact ↔ file contents: numbers in safetensors, strings in a pickle-free npz.

safetensors holds numeric tensors only; vocabularies and other string arrays go to ``arrays.npz``,
written as fixed-width unicode (``<U``) arrays, which numpy reads back with
``allow_pickle=False``. SciPy sparse matrices (CSR/CSC; other formats are stored as CSR) travel
as their component arrays under ``NAME::csr::data`` / ``indices`` / ``indptr`` / ``shape``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.exceptions import ModelFormatError
from tagwise.io._safety import LIMITS, load_npz_bytes, load_safetensors_bytes

__all__ = ["NPZ_FILE", "SAFETENSORS_FILE", "decode", "encode"]

SAFETENSORS_FILE = "arrays.safetensors"
NPZ_FILE = "arrays.npz"
_SEP = "::"
_PARTS = ("data", "indices", "indptr", "shape")


def _flatten(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    flat: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or _SEP in name or "/" in name or "\\" in name:
            raise ModelFormatError(f"array name {name!r} is not allowed (no '/', '\\' or '::').")
        if sp.issparse(value):
            fmt = "csc" if value.format == "csc" else "csr"
            matrix = value.tocsc() if fmt == "csc" else value.tocsr()
            flat[f"{name}{_SEP}{fmt}{_SEP}data"] = np.asarray(matrix.data)
            flat[f"{name}{_SEP}{fmt}{_SEP}indices"] = np.asarray(matrix.indices, dtype=np.int64)
            flat[f"{name}{_SEP}{fmt}{_SEP}indptr"] = np.asarray(matrix.indptr, dtype=np.int64)
            flat[f"{name}{_SEP}{fmt}{_SEP}shape"] = np.asarray(matrix.shape, dtype=np.int64)
        else:
            flat[name] = np.asarray(value)
    return flat


def encode(arrays: dict[str, Any]) -> dict[str, bytes]:
    """Serialise a model's arrays to ``{file name: bytes}`` (safetensors and/or npz)."""
    from safetensors.numpy import save

    numeric: dict[str, np.ndarray] = {}
    strings: dict[str, np.ndarray] = {}
    for name, array in _flatten(arrays).items():
        if array.dtype.kind in "biuf" and array.dtype.itemsize <= 8:
            numeric[name] = np.ascontiguousarray(array)
        elif array.dtype.kind == "U" or (
            array.dtype.kind == "O" and all(isinstance(v, str) for v in array.ravel())
        ):
            strings[name] = array.astype(str) if array.size else array.astype("<U1")
        else:
            raise ModelFormatError(
                f"array {name!r} has dtype {array.dtype}; a model can store numbers and "
                "strings only."
            )
    out: dict[str, bytes] = {}
    if numeric or not strings:
        out[SAFETENSORS_FILE] = save(numeric)
    if strings:
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **strings)
        out[NPZ_FILE] = buffer.getvalue()
    return out


def decode(blobs: dict[str, bytes], root: Path) -> dict[str, Any]:
    """The inverse of :func:`encode` on hash-checked file contents; sparse matrices reassembled."""
    flat: dict[str, np.ndarray] = {}
    if SAFETENSORS_FILE in blobs:
        flat.update(load_safetensors_bytes(blobs[SAFETENSORS_FILE], root / SAFETENSORS_FILE))
    if NPZ_FILE in blobs:
        flat.update(load_npz_bytes(blobs[NPZ_FILE], root / NPZ_FILE, LIMITS.model_bytes))
    arrays: dict[str, Any] = {}
    groups: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for key, array in flat.items():
        if _SEP in key:
            base, fmt, part = [*key.split(_SEP), "", ""][:3]
            if fmt not in ("csr", "csc") or part not in _PARTS:
                raise ModelFormatError(f"{root}: array {key!r} is not a known sparse component.")
            groups.setdefault((base, fmt), {})[part] = array
        else:
            arrays[key] = array
    for (base, fmt), parts in groups.items():
        try:
            cls = sp.csc_matrix if fmt == "csc" else sp.csr_matrix
            shape = tuple(int(s) for s in parts["shape"])
            matrix = cls((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
            matrix.check_format(full_check=True)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ModelFormatError(f"{root}: sparse array {base!r} is malformed ({exc}).") from None
        arrays[base] = matrix
    return arrays
