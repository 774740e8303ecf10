"""Installing benchmark datasets into the data home (checksummed) and loading them by name."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tagwise.data._dataset import Dataset
from tagwise.data._registry import DatasetInfo, data_home, get_info
from tagwise.exceptions import DataFormatError, TagwiseError, located

__all__ = ["ChecksumError", "fetch", "installed", "load_dataset", "sha256"]


class ChecksumError(DataFormatError):
    """A dataset file's sha256 is not the registered one: it was not installed or loaded."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, expected: str, what: str) -> None:
    got = sha256(path)
    if got != expected:
        raise ChecksumError(
            f"{what}: sha256 mismatch (expected {expected}, got {got}); the file is corrupt or "
            "another version. It was not installed/loaded; fetch it again (with --force)."
        )


def installed(name: str, home: str | Path | None = None) -> bool:
    """Whether every file of ``name`` is in the data home (checksums are checked on load)."""
    info = get_info(name)
    folder = data_home(home) / info.name
    return all((folder / f).is_file() for f in info.files)


def fetch(
    name: str,
    *,
    source: str | Path | None = None,
    home: str | Path | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Install dataset ``name`` into the data home and return its folder.

    Files come from ``source`` (a mirror directory holding ``NAME/FILE`` or ``FILE``) or, when
    it is None, are downloaded from the dataset's canonical URL. Every file is verified against
    its registered sha256 before it is moved into place; a mismatch raises
    :class:`ChecksumError` and leaves the data home without that file.
    """
    info = get_info(name)
    folder = data_home(home) / info.name
    folder.mkdir(parents=True, exist_ok=True)
    for fname, digest in info.files.items():
        target = folder / fname
        if target.is_file() and not force and sha256(target) == digest:
            continue
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            part = Path(tmp) / fname
            if source is not None:
                src = _find_in_mirror(Path(source), info, fname)
                if progress:
                    progress(f"copying {src}")
                shutil.copyfile(src, part)
            else:
                _download(info, fname, part, progress)
            _check(part, digest, f"{info.name}/{fname}")
            part.replace(target)
    return folder


def _find_in_mirror(source: Path, info: DatasetInfo, fname: str) -> Path:
    for candidate in (source / info.name / fname, source / fname):
        if candidate.is_file():
            return candidate
    raise DataFormatError(
        f"{fname} of {info.name} is not in the mirror {source} (looked for "
        f"{source / info.name / fname} and {source / fname})."
    )


def _download(
    info: DatasetInfo, fname: str, part: Path, progress: Callable[[str], None] | None
) -> None:
    url = info.urls.get(fname)
    if url is None:
        raise TagwiseError(
            f"{info.name}/{fname} has no public download location ({info.source}); install it "
            "from a local copy: tagwise datasets fetch --from DIR."
        )
    if progress:
        progress(f"downloading {url}")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TagwiseError(
            f"cannot download {url} ({exc}); offline? Install from a local copy with "
            "tagwise datasets fetch NAME --from DIR."
        ) from None


def load_dataset(name: str, split: str = "train", *, home: str | Path | None = None) -> Dataset:
    """Load split ``split`` of registered dataset ``name`` from the data home.

    ARFF datasets give X (dense or CSR) and Y; reuters21578 and goemotions are raw text:
    ``X=None``, ``text`` and ``ids`` set. Checksums of the files read are verified first.
    """
    info = get_info(name)
    if split not in info.splits:
        raise DataFormatError(
            f"{info.name} has no split {split!r}; its splits are {', '.join(info.splits)}."
        )
    folder = data_home(home) / info.name
    needed = [info.splits[split]] + [
        f for f in info.files if not f.endswith((".arff", ".tsv")) and "jsonl" not in f
    ]
    for fname in needed:
        path = folder / fname
        if not path.is_file():
            raise DataFormatError(
                f"{info.name} is not installed in {folder.parent} ({fname} is missing); run "
                f"`tagwise datasets fetch {info.name}` (add --from DIR for a local mirror)."
            )
        _check(path, info.files[fname], str(path))
    path = folder / info.splits[split]
    if info.kind == "arff":
        from tagwise.data._arff import read_arff

        ds = read_arff(path, xml=folder / info.xml if info.xml else None)
    elif info.kind == "goemotions":
        ds = _goemotions(path, folder / "emotions.txt")
    else:
        ds = _reuters(path, folder / "modapte90_categories.txt")
    ds.name = f"{info.name}/{split}"
    return ds


def _goemotions(path: Path, names_file: Path) -> Dataset:
    names = names_file.read_text(encoding="utf-8").split()
    text, ids, rows = [], [], []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line:
            continue
        parts = line.split("\t")  # plain split: the texts hold CSV-style quotes
        if len(parts) != 3:
            raise DataFormatError(
                located(path, lineno, f"expected 3 tab-separated fields, found {len(parts)}.")
            )
        try:
            labels = [int(x) for x in parts[1].split(",")]
        except ValueError:
            raise DataFormatError(located(path, lineno, f"bad label ids {parts[1]!r}.")) from None
        if any(not 0 <= k < len(names) for k in labels):
            raise DataFormatError(located(path, lineno, f"label id out of range in {parts[1]!r}."))
        text.append(parts[0])
        rows.append(labels)
        ids.append(parts[2])
    Y = np.zeros((len(rows), len(names)), dtype=np.int64)
    for i, labels in enumerate(rows):
        Y[i, labels] = 1
    return Dataset(X=None, Y=Y, label_names=names, text=text, ids=ids)


def _reuters(path: Path, categories: Path) -> Dataset:
    names = categories.read_text(encoding="utf-8").split()
    index = {n: i for i, n in enumerate(names)}
    text, ids, rows = [], [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                doc = json.loads(line)
                topics = [index[t] for t in doc["topics"] if t in index]
                body = f"{doc.get('title') or ''}\n{doc.get('body') or ''}".strip()
                newid = str(doc["newid"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataFormatError(located(path, lineno, f"bad record ({exc}).")) from None
            if topics:  # R90: documents without any of the 90 categories are dropped
                rows.append(sorted(set(topics)))
                text.append(body)
                ids.append(newid)
    Y = np.zeros((len(rows), len(names)), dtype=np.int64)
    for i, labels in enumerate(rows):
        Y[i, labels] = 1
    return Dataset(X=None, Y=Y, label_names=names, text=text, ids=ids)
