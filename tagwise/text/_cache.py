"""An embedding cache keyed by a hash of (model fingerprint, text).

Cross-validation, threshold tuning and repeated benchmark runs featurize the same texts again and
again; a transformer forward pass is by far the most expensive step of a text pipeline on CPU.
The cache keeps every embedding it has seen in memory (bounded) and, when given a directory, in
append-only shard files on disk so a later process re-uses them too.

Disk layout: ``DIR/<model fingerprint hash>/shard-<random>.npz`` with two arrays, ``keys``
(uint8, shape (n, 16): the first 16 bytes of sha256 of the text) and ``vectors`` (float32, shape
(n, dim)). Shards are written to a temporary name and renamed, so a crash never leaves a torn
shard, and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "text_keys"]

KEY_BYTES = 16


def text_keys(texts: Sequence[str]) -> list[bytes]:
    """The cache key of every text: the first 16 bytes of its sha256 (UTF-8, surrogates escaped)."""
    return [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()[:KEY_BYTES] for t in texts]


def _fingerprint_dir(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:24]


class EmbeddingCache:
    """Embeddings of texts for one model fingerprint, in memory and optionally on disk.

    Parameters
    ----------
    fingerprint : str
        Identifies the model *and* every setting that changes its output (weights, maximum
        sequence length, normalisation); two embedders share cache entries only when equal.
    directory : str or path, optional
        Where shards are stored; ``None`` keeps the cache in memory only.
    max_items : int
        Most embeddings held in memory; the oldest are dropped first (disk shards stay).
    """

    def __init__(
        self,
        fingerprint: str,
        directory: str | os.PathLike[str] | None = None,
        max_items: int = 500_000,
    ) -> None:
        self.fingerprint = fingerprint
        self.max_items = int(max_items)
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._dir = None if directory is None else Path(directory) / _fingerprint_dir(fingerprint)
        self._loaded = False
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        self._load_disk()
        return len(self._memory)

    def _load_disk(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._dir is None or not self._dir.is_dir():
            return
        for shard in sorted(self._dir.glob("shard-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # an unreadable shard is only a lost cache entry, never an error
            if keys.ndim != 2 or keys.shape[1] != KEY_BYTES or len(keys) != len(vectors):
                continue
            for key, vec in zip(keys, vectors.astype(np.float32, copy=False), strict=True):
                self._memory[key.tobytes()] = vec
        self._evict()

    def _evict(self) -> None:
        while len(self._memory) > self.max_items:
            self._memory.popitem(last=False)

    def lookup(self, keys: Sequence[bytes]) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Found mask of shape (n,) and the cached vector (or None) of every key."""
        self._load_disk()
        found = [self._memory.get(k) for k in keys]
        mask = np.array([v is not None for v in found], dtype=bool)
        self.hits += int(mask.sum())
        self.misses += int((~mask).sum())
        return mask, found

    def store(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Add embeddings of shape (n, dim) for ``keys``; writes one shard when on disk."""
        if len(keys) == 0:
            return
        self._load_disk()
        vectors = np.asarray(vectors, dtype=np.float32)
        for key, vec in zip(keys, vectors, strict=True):
            self._memory[key] = vec
        self._evict()
        if self._dir is not None:
            self._write_shard(keys, vectors)

    def _write_shard(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        assert self._dir is not None
        self._dir.mkdir(parents=True, exist_ok=True)
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        fd, tmp = tempfile.mkstemp(prefix=".shard-", suffix=".npz", dir=self._dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=key_array, vectors=vectors)
            final = self._dir / f"shard-{Path(tmp).stem.removeprefix('.shard-')}.npz"
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# One in-memory cache per fingerprint and directory for the whole process: refitting a pipeline
# in CV folds, or a fresh clone of an embedder, finds the embeddings of earlier fits.
_CACHES: dict[tuple[str, str | None], EmbeddingCache] = {}


def shared_cache(fingerprint: str, directory: str | os.PathLike[str] | None) -> EmbeddingCache:
    """The process-wide cache for ``fingerprint`` (and ``directory``), created on first use."""
    key = (fingerprint, None if directory is None else str(Path(directory).resolve()))
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = EmbeddingCache(fingerprint, directory)
    return cache
