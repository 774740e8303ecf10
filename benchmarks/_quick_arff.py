"""Stand-in MULAN ARFF reader for the zoo benchmark until tagwise.data.load_dataset lands.

Labels are the last ``n_labels`` attributes (MULAN convention for these six datasets; the count
comes from ../shared/datasets/MANIFEST.tsv).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import scipy.sparse as sp

FILES = {
    "yeast": ("yeast-train.arff", "yeast-test.arff"),
    "scene": ("scene-train.arff", "scene-test.arff"),
    "emotions": ("emotions-train.arff", "emotions-test.arff"),
    "bibtex": ("bibtex-train.arff", "bibtex-test.arff"),
    "delicious": ("delicious-train.arff", "delicious-test.arff"),
    "corel5k": ("Corel5k-train-sparse.arff", "Corel5k-test-sparse.arff"),
}


def n_labels(root: Path, name: str) -> int:
    with open(root / "MANIFEST.tsv", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["name"] == name:
                return int(row["n_labels"])
    raise KeyError(name)


def read_arff(path: Path, n_lab: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    n_attr, rows, cols, vals = 0, [], [], []
    r = 0
    in_data = False
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("%"):
                continue
            if not in_data:
                low = line.lower()
                if low.startswith("@attribute"):
                    n_attr += 1
                elif low.startswith("@data"):
                    in_data = True
                continue
            if line.startswith("{"):
                for item in line[1:-1].split(","):
                    item = item.strip()
                    if not item:
                        continue
                    i, v = item.split()
                    rows.append(r)
                    cols.append(int(i))
                    vals.append(float(v))
            else:
                values = np.asarray(line.split(","), dtype=np.float64)
                nz = np.flatnonzero(values)
                rows.extend([r] * len(nz))
                cols.extend(nz.tolist())
                vals.extend(values[nz].tolist())
            r += 1
    M = sp.csr_matrix((vals, (rows, cols)), shape=(r, n_attr))
    n_feat = n_attr - n_lab
    return M[:, :n_feat].tocsr(), M[:, n_feat:].tocsr().astype(np.int64)


def load(root: Path, name: str, cache: Path | None = None):
    """(X_train, Y_train, X_test, Y_test); X dense for dense datasets, CSR for sparse ones."""
    if cache is not None:
        f = cache / f"{name}.npz"
        if f.exists():
            z = np.load(f, allow_pickle=False)
            out = []
            for part in ("Xtr", "Ytr", "Xte", "Yte"):
                if part + "_data" in z:
                    out.append(
                        sp.csr_matrix(
                            (z[part + "_data"], z[part + "_indices"], z[part + "_indptr"]),
                            shape=tuple(z[part + "_shape"]),
                        )
                    )
                else:
                    out.append(z[part])
            return tuple(out)
    k = n_labels(root, name)
    tr, te = FILES[name]
    Xtr, Ytr = read_arff(root / name / tr, k)
    Xte, Yte = read_arff(root / name / te, k)
    dense = name in ("yeast", "scene", "emotions")
    if dense:
        Xtr, Xte = Xtr.toarray(), Xte.toarray()
    Ytr, Yte = Ytr.toarray(), Yte.toarray()
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        payload = {}
        for part, M in zip(("Xtr", "Ytr", "Xte", "Yte"), (Xtr, Ytr, Xte, Yte)):
            if sp.issparse(M):
                payload.update(
                    {
                        part + "_data": M.data,
                        part + "_indices": M.indices,
                        part + "_indptr": M.indptr,
                        part + "_shape": np.asarray(M.shape),
                    }
                )
            else:
                payload[part] = M
        np.savez(cache / f"{name}.npz", **payload)
    return Xtr, Ytr, Xte, Yte
