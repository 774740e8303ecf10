"""Iterative stratification of multi-label data, vectorised.

The algorithm is Sechidis, Tsoumakas & Vlahavas, "On the Stratification of Multi-Label Data",
ECML-PKDD 2011 (Algorithm 1). It keeps, for every subset ``j``, the number of examples it still
desires (``c_j``) and, for every label ``i``, the number of examples *with that label* it still
desires (``c_j^i``). It repeatedly takes the label with the fewest remaining examples (ties at
random) and hands each of its examples to the subset that desires that label most, ties broken by
the larger ``c_j`` and then at random; desires are decremented as examples are placed. Examples
without labels go last, by ``c_j``.

Why it is fast here: while the examples of one label ``l`` are being placed, every choice depends
only on ``(c^l, c)``, and each placement decrements both for the chosen subset by exactly one.
The ``m`` placements of one label are therefore the ``m`` largest entries of the merged,
decreasing sequences ``(c^l_j - t, c_j - t, u_jt)`` over subsets ``j`` and their ``t``-th pick,
with ``u_jt`` i.i.d. uniform — one lexsort instead of ``m`` Python iterations, and the same
distribution over outcomes as choosing at random among ties at each step. The desires of the
*other* labels are updated once per label from sparse row counts. Total work is
``O(nnz + k·n·log(k·n))`` plus one small step per label.

Second-order stratification (``order=2``) also balances label *pairs* (Szymański & Kajdanowicz,
"A Network Perspective on Stratification of Multi-Label Data", PMLR 74, 2017): every label pair
that co-occurs becomes one more column that the same algorithm stratifies.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["iterative_stratification", "label_pairs", "stratification_quality"]


def label_pairs(Y: sp.csr_matrix) -> sp.csr_matrix:
    """Indicator of the co-occurring label pairs, shape (n_samples, n_pairs).

    Only pairs that occur in at least one row get a column, so memory grows with the data
    (``Σ_rows c_r(c_r-1)/2`` entries), not with ``n_labels²``.
    """
    Y = sp.csr_matrix(Y)
    Y.sort_indices()
    n, n_labels = Y.shape
    row_len = np.diff(Y.indptr)
    row_of = np.repeat(np.arange(n), row_len)
    pos_in_row = np.arange(Y.nnz) - np.repeat(Y.indptr[:-1], row_len)
    partners = np.repeat(row_len, row_len) - 1 - pos_in_row  # later entries in the same row
    total = int(partners.sum())
    if total == 0:
        return sp.csr_matrix((n, 0), dtype=np.int64)
    first = np.repeat(np.arange(Y.nnz), partners)
    offsets = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + offsets
    codes = Y.indices[first].astype(np.int64) * n_labels + Y.indices[second]
    uniq, cols = np.unique(codes, return_inverse=True)
    rows = row_of[first]
    Z = sp.csr_matrix((np.ones(total, dtype=np.int64), (rows, cols.ravel())), shape=(n, len(uniq)))
    return Z


def _greedy_picks(
    primary: np.ndarray, secondary: np.ndarray | None, m: int, rng: np.random.Generator
) -> np.ndarray:
    """Subset of each of ``m`` successive greedy picks, shape (m,).

    Each pick takes the subset with the largest ``primary`` (ties: larger ``secondary``, then
    random) and decrements both of its entries by one.
    """
    k = primary.shape[0]
    # A subset can receive at most (max - min) + m/k + 2 picks before every other subset
    # overtakes it, so the candidate table needs no more columns than that.
    spread = float(primary.max() - primary.min()) if k > 1 else 0.0
    t_max = int(min(m, np.ceil(spread + m / k) + 2))
    t = np.arange(t_max, dtype=np.float64)
    p = (primary[:, None] - t[None, :]).ravel()
    u = rng.random(k * t_max)
    if secondary is None:
        order = np.lexsort((-u, -p))
    else:
        s = (secondary[:, None] - t[None, :]).ravel()
        order = np.lexsort((-u, -s, -p))
    return (order[:m] // t_max).astype(np.int64)


def _row_entries(Z: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``rows``, column) of every stored entry of ``Z[rows]``, without slicing."""
    starts = Z.indptr[rows]
    lengths = Z.indptr[rows + 1] - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    return np.repeat(np.arange(len(rows)), lengths), Z.indices[offsets]


def _subtract_counts(
    desired_cols: np.ndarray, Z: sp.csr_matrix, rows: np.ndarray, folds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract from ``desired_cols`` (k, C) the column counts of ``Z[rows]`` per fold.

    Returns the touched columns and how many of ``rows`` each contains. Work is proportional to
    the entries of these rows, never to the number of columns (second-order stratification can
    have 10⁵ pair columns).
    """
    pos, cols = _row_entries(Z, rows)
    if cols.size == 0:
        return cols, cols
    flat, counts = np.unique(folds[pos] * Z.shape[1] + cols, return_counts=True)
    desired_cols.reshape(-1)[flat] -= counts
    return np.unique(cols, return_counts=True)


def iterative_stratification(
    Y: Any,
    proportions: np.ndarray,
    *,
    order: int = 1,
    shuffle: bool = False,
    rng: np.random.Generator,
) -> np.ndarray:
    """Assign every sample to one of ``k`` subsets with the given proportions.

    Parameters
    ----------
    Y : 0/1 matrix of shape (n_samples, n_labels), dense or sparse (already validated).
    proportions : array of shape (k,) summing to 1, the desired share of each subset.
    order : 1 for labels, 2 to also stratify co-occurring label pairs.
    shuffle : visit samples in a random order (otherwise in index order).
    rng : numpy Generator for tie-breaking and shuffling.

    Returns
    -------
    subset : int64 array of shape (n_samples,), values in ``range(k)``.
    """
    Y = sp.csr_matrix(Y, dtype=np.int64)
    n = Y.shape[0]
    perm = rng.permutation(n) if shuffle else None
    if perm is not None:
        Y = Y[perm]
    Z = sp.hstack([Y, label_pairs(Y)], format="csr") if order == 2 else Y
    Z.sort_indices()
    Zc = Z.tocsc()
    Zc.sort_indices()
    r = np.asarray(proportions, dtype=np.float64)
    k = r.shape[0]
    remaining = np.asarray(Zc.getnnz(axis=0), dtype=np.int64)
    desired_cols = np.outer(r, remaining).astype(np.float64)  # c_j^i
    desired = r * n  # c_j
    placed = np.zeros(n, dtype=bool)
    subset = np.full(n, -1, dtype=np.int64)
    # Columns by fewest remaining examples, ties at random: a heap with lazy deletion. A column
    # gets a fresh entry whenever its count drops; an entry whose count is no longer current is
    # stale and skipped. Finding the next column is O(log C), not O(C).
    cols = np.flatnonzero(remaining)
    heap = list(
        zip(remaining[cols].tolist(), rng.random(len(cols)).tolist(), cols.tolist(), strict=True)
    )
    heapq.heapify(heap)
    while heap:
        count, _, label = heapq.heappop(heap)
        if count != remaining[label]:
            continue
        rows = Zc.indices[Zc.indptr[label] : Zc.indptr[label + 1]]
        rows = rows[~placed[rows]]
        folds = _greedy_picks(desired_cols[:, label], desired, len(rows), rng)
        subset[rows] = folds
        placed[rows] = True
        desired -= np.bincount(folds, minlength=k)
        touched, dec = _subtract_counts(desired_cols, Z, rows, folds)
        remaining[touched] -= dec
        left = touched[remaining[touched] > 0]
        for item in zip(
            remaining[left].tolist(), rng.random(len(left)).tolist(), left.tolist(), strict=True
        ):
            heapq.heappush(heap, item)

    rest = np.flatnonzero(~placed)  # samples without any label
    if len(rest):
        subset[rest] = _greedy_picks(desired, None, len(rest), rng)
    if perm is not None:
        out = np.empty(n, dtype=np.int64)
        out[perm] = subset
        return out
    return subset


def stratification_quality(
    Y: Any, subset: np.ndarray, proportions: np.ndarray | None = None
) -> dict[str, float]:
    """The distribution measures of Sechidis et al. (2011, Sect. 4) for one partition.

    Parameters
    ----------
    Y : 0/1 matrix of shape (n_samples, n_labels), dense or sparse.
    subset : int array of shape (n_samples,), the subset (e.g. test fold) of each sample.
    proportions : desired share of each subset, shape (k,); default equal shares.

    Returns
    -------
    dict with
        ``LD`` — label distribution: mean over labels and subsets of the absolute difference
        between the positive/negative ratio of the label in the subset and in the whole data;
        ``ED`` — example distribution: mean absolute deviation of subset sizes from the desired
        sizes; ``FZ`` — subsets in which at least one label (present in the data) has no positive
        example; ``FLZ`` — (subset, label) pairs without a positive example. Lower is better.
        Subsets made only of positives of a label (ratio undefined) are left out of ``LD``.
    """
    Y = sp.csr_matrix(Y, dtype=np.int64)
    subset = np.asarray(subset, dtype=np.int64)
    k = int(subset.max()) + 1
    r = np.full(k, 1.0 / k) if proportions is None else np.asarray(proportions, dtype=float)
    n = Y.shape[0]
    onehot = sp.csr_matrix((np.ones(n), (subset, np.arange(n))), shape=(k, n))
    pos = np.asarray((onehot @ Y).todense(), dtype=np.float64)  # (k, L) |S_j^i|
    size = np.bincount(subset, minlength=k).astype(np.float64)  # |S_j|
    total_pos = np.asarray(Y.sum(axis=0), dtype=np.float64).ravel()  # |D^i|
    present = total_pos > 0
    neg = size[:, None] - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(neg > 0, pos / neg, np.nan)
        whole = np.where(n - total_pos > 0, total_pos / (n - total_pos), np.nan)
    ld_terms = np.abs(ratio - whole[None, :])[:, present]
    ld = float(np.nanmean(ld_terms)) if np.isfinite(ld_terms).any() else 0.0
    zero = (pos == 0) & present[None, :]
    return {
        "LD": ld,
        "ED": float(np.mean(np.abs(size - r * n))),
        "FZ": float(np.sum(zero.any(axis=1))),
        "FLZ": float(np.sum(zero)),
    }
