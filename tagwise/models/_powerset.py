"""Label powerset and RAkEL (Tsoumakas, Katakis & Vlahavas, IEEE TKDE 2011), one joint solve.

Label powerset (LP) turns every distinct label *set* seen in training into one class of a
multi-class problem. RAkEL does the same on small random label subsets (k-labelsets) — or, with
``mode="cooccurrence"``, on groups of labels that occur together — and lets the subsets vote.
Each (k-)labelset is a softmax regression; all of them share X, so RAkEL here fits every
labelset's softmax at once as one "block-softmax" model — a single weight matrix whose column
blocks are the labelsets' classes — with one L-BFGS run, not one model per labelset (see
``_block_softmax``). LP is the special case of one block holding all labels.

**Combinations never seen in training.** LP can only predict a label set that occurred in the
training data: an unseen combination has probability 0 and is never output. RAkEL relaxes this:
each k-labelset is limited to combinations seen *within that subset*, but the votes of several
subsets can assemble a full label set never seen as a whole — unless ``decision="labelset"``,
which, like LP, only outputs label sets seen in training. ``predict_proba`` returns
per-label marginals: for LP the total probability of the label sets containing the label, for
RAkEL the mean of those marginals over the labelsets that contain the label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError
from tagwise.models._block_softmax import block_softmax, fit_block_softmax
from tagwise.models._common import (
    MultiLabelClassifier,
    check_choice,
    check_number,
    dense_targets,
    expected_failures,
    to_float64,
)
from tagwise.models._linear import standardizer

__all__ = ["LabelPowerset", "RakelClassifier"]


def _unique_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(A, axis=0, return_index, return_inverse, return_counts)`` for a 0/1 matrix.

    Each row is packed into bits (first column in the highest bit, so the order is the same as
    numpy's) and compared as one short byte string: bibtex's 79 RAkEL blocks take 0.03 s instead
    of 0.44 s. Returns the distinct rows, the first index of each, the inverse (n,), the counts.
    """
    packed = np.ascontiguousarray(np.packbits(A != 0, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    return A[first], first, inverse.ravel(), counts


def _encode_blocks(
    Yd: np.ndarray, labelsets: list[np.ndarray], min_count: int = 1
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Class index per sample and block, the table of each block's classes, block offsets.

    A table row is the label vector (over the block's labels) of its class, int8. Combinations
    seen fewer than ``min_count`` times share one last class, whose row is their count-weighted
    mean label vector (what the class stands for in marginals and votes); that block's table
    is float32.
    """
    codes, tables, sizes = [], [], []
    for labels in labelsets:
        combos, _, inverse, counts = _unique_rows(Yd[:, labels])
        table = combos.astype(np.int8)  # 0/1 rows: stored small
        rare = counts < min_count
        if rare.sum() > 1:  # pooling a single combination would change nothing
            keep = ~rare
            new_index = np.full(len(combos), keep.sum())
            new_index[keep] = np.arange(keep.sum())
            inverse = new_index[inverse]
            pooled = counts[rare] @ combos[rare] / counts[rare].sum()
            table = np.vstack([table[keep], pooled[None, :]]).astype(np.float32)
        codes.append(inverse)
        tables.append(table)
        sizes.append(len(table))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return np.stack(codes, axis=1), tables, offsets


def _row_index(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Index in ``table`` (distinct rows) of each row of ``rows``, all of which occur in it."""
    _, inverse = np.unique(np.vstack([table, rows]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    position = np.empty(len(table), dtype=np.int64)
    position[inverse[: len(table)]] = np.arange(len(table))
    return position[inverse[len(table) :]]


def cooccurrence_groups(Yd: np.ndarray, k: int) -> list[np.ndarray]:
    """Disjoint groups of at most ``k`` labels that occur together, from Yd (n_samples, n_labels).

    Label pairs are merged greedily, most related first (cosine of their 0/1 columns), whenever
    the two groups together hold at most ``k`` labels; a label that co-occurs with no other stays
    alone. Deterministic; only co-occurring pairs are ranked, so it scales with the data's
    sparsity rather than n_labels².
    """
    Ys = sp.csc_matrix(Yd, dtype=np.float64)
    counts = np.asarray(Ys.sum(axis=0)).ravel()
    pairs = sp.triu(Ys.T @ Ys, k=1).tocoo()
    similarity = pairs.data / np.sqrt(counts[pairs.row] * counts[pairs.col])
    parent = np.arange(Yd.shape[1])
    size = np.ones(Yd.shape[1], dtype=np.int64)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for t in np.argsort(-similarity, kind="stable"):
        a, b = root(int(pairs.row[t])), root(int(pairs.col[t]))
        if a != b and size[a] + size[b] <= k:
            parent[b], size[a] = a, size[a] + size[b]
    roots = np.array([root(i) for i in range(Yd.shape[1])])
    return [np.flatnonzero(roots == r) for r in np.unique(roots)]


class _PowersetBase(MultiLabelClassifier):
    """Shared fit/predict of LP and RAkEL over a list of labelsets."""

    def _labelsets(self, Yd: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def _check_common(self) -> None:
        check_number("C", self.C, low=0.0, low_open=True)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("tol", self.tol, low=0.0, low_open=True)
        check_number("decision_tol", self.decision_tol, low=0.0, high=1.0)
        check_number("threshold", self.threshold, low=0.0, high=1.0)

    def fit(self, X: Any, Y: Any) -> Any:
        """Fit one softmax per labelset on X (n_samples, n_features), Y (n_samples, n_labels)."""
        self._check_common()
        X, Y = validate_fit_data(self, X, Y)
        X = to_float64(X)
        Yd = dense_targets(Y)
        rng = np.random.default_rng(getattr(self, "random_state", None))
        self.labelsets_ = [np.asarray(s, dtype=np.int64) for s in self._labelsets(Yd, rng)]
        codes, self.tables_, self.offsets_ = _encode_blocks(
            Yd, self.labelsets_, int(getattr(self, "min_count", 1))
        )
        stats = standardizer(X, self.standardize)
        Xs = X
        if stats is not None:
            mean, scale = stats
            Xs = X.multiply(1.0 / scale).tocsr() if hasattr(X, "multiply") else (X - mean) / scale
        W, b, self.n_iter_ = fit_block_softmax(
            Xs,
            codes,
            self.offsets_,
            float(self.C),
            int(self.max_iter),
            float(self.tol),
            float(self.decision_tol),
        )
        if stats is not None:  # fold the standardisation into the weights
            W = W / scale[:, None]
            b = b - mean @ W
        self.coef_, self.intercept_ = W, b
        self.thresholds_ = fitted_thresholds(self.threshold, Yd)
        self._remember_label_sets(Yd, codes)
        return self

    def _remember_label_sets(self, Yd: np.ndarray, codes: np.ndarray) -> None:
        """Keep what prediction needs of the training label sets (RAkEL); LP needs nothing."""

    def _block_probas(self, X: Any) -> np.ndarray:
        X = to_float64(self._check_predict_input(X))
        return block_softmax(np.asarray(X @ self.coef_) + self.intercept_, self.offsets_)

    def _combine(self, P: np.ndarray, *, votes: bool) -> np.ndarray:
        """Mean over the labelsets containing each label of its marginal probability (or, with
        ``votes``, of the 0/1 vote of the labelset's most probable combination): (n, n_labels).
        ``P`` holds every labelset's class probabilities, (n, n_classes).
        """
        L = len(self.classes_)
        total = np.zeros((P.shape[0], L))
        count = np.zeros(L)
        for labels, table, a, b in self._blocks():
            if votes:
                total[:, labels] += table[np.argmax(P[:, a:b], axis=1)]
            else:
                total[:, labels] += P[:, a:b] @ table
            count[labels] += 1
        return total / np.maximum(count, 1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-label marginal probabilities, shape (n_samples, n_labels)."""
        return self._combine(self._block_probas(X), votes=False)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels from each labelset's most probable combination, voted per label.

        With ``at_least_one`` (RAkEL), a sample that no label reaches the vote threshold for gets
        its label of highest marginal probability (``predict_proba``).
        """
        P = self._block_probas(X)
        pred = self._combine(P, votes=True) >= self.thresholds_
        empty = np.flatnonzero(~pred.any(axis=1))
        if getattr(self, "at_least_one", False) and len(empty):
            proba = self._combine(P[empty], votes=False)
            proba[:, np.isinf(self.thresholds_)] = -1.0  # a label unseen in training: never
            pred[empty, np.argmax(proba, axis=1)] = True
        return pred.astype(np.int64)

    def _blocks(self) -> Any:
        offsets = self.offsets_
        for i, labels in enumerate(self.labelsets_):
            yield labels, self.tables_[i].astype(np.float64), offsets[i], offsets[i + 1]

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "offsets": np.asarray(self.offsets_, dtype=np.int64),
            "thresholds": self.thresholds_,
        }
        for i, (labels, table) in enumerate(zip(self.labelsets_, self.tables_, strict=True)):
            arrays[f"labels_{i}"] = labels
            arrays[f"table_{i}"] = table
        return {"n_labelsets": len(self.labelsets_), "n_iter": int(self.n_iter_)}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.n_iter_ = int(state.get("n_iter", 1))
        self.coef_ = np.asarray(arrays["coef"])
        self.intercept_ = np.asarray(arrays["intercept"])
        self.offsets_ = np.asarray(arrays["offsets"], dtype=np.int64)
        self.thresholds_ = np.asarray(arrays["thresholds"])
        m = int(state["n_labelsets"])
        self.labelsets_ = [np.asarray(arrays[f"labels_{i}"], dtype=np.int64) for i in range(m)]
        self.tables_ = [np.asarray(arrays[f"table_{i}"]) for i in range(m)]  # int8 or float32


class LabelPowerset(_PowersetBase):
    """Label powerset: one softmax class per label set seen in training.

    ``predict`` returns the most probable *seen* label set (never an unseen combination);
    ``predict_proba`` the marginal probability of each label.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularisation of the softmax regression.
    standardize : {"auto", True, False}, default="auto"
    max_iter : int, default=100
        L-BFGS iterations.
    tol : float, default=1e-4
        L-BFGS gradient tolerance.
    decision_tol : float, default=0.005
        Stop early once, three iterations in a row, fewer than this fraction of the training
        samples change their predicted label set (the argmax settles long before the loss);
        0 runs to ``tol`` / ``max_iter``.
    threshold : float, default=0.5
        Only used by RAkEL-style voting; with one labelset every vote is 0 or 1.
    """

    _artifact_kind = "lp"

    def __init__(
        self,
        C: float = 1.0,
        standardize: Any = "auto",
        max_iter: int = 100,
        tol: float = 1e-4,
        decision_tol: float = 0.005,
        threshold: float = 0.5,
    ) -> None:
        self.C = C
        self.standardize = standardize
        self.max_iter = max_iter
        self.tol = tol
        self.decision_tol = decision_tol
        self.threshold = threshold

    def _labelsets(self, Yd: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return [np.arange(Yd.shape[1])]


class RakelClassifier(_PowersetBase):
    """RAkEL: label powerset on random k-labelsets, disjoint (RAkELd) or overlapping (RAkELo).

    Parameters
    ----------
    k : int or sequence of int, default=3
        Labels per labelset (1 <= k <= n_labels; with k = n_labels and one labelset this is LP).
        With ``mode="cooccurrence"`` a sequence such as ``(3, 8)`` builds one partition per size
        and uses all of their groups together: coarse and fine views of the same correlations.
        A size of n_labels there adds one group per connected set of co-occurring labels: on
        bibtex one group of all 159, a label-powerset block beside the small groups.
    mode : {"disjoint", "overlapping", "cooccurrence"}, default="disjoint"
        "disjoint" partitions the labels at random; "overlapping" starts from such a partition
        (so every label is covered) and adds distinct random k-subsets up to ``n_labelsets``;
        "cooccurrence" partitions them by the training data instead, into groups of at most k
        labels that occur together (greedy merging, most related pairs first: see
        :func:`cooccurrence_groups`), so each labelset models the correlations that matter.
    n_labelsets : int or None, default=None
        Overlapping mode only; default ``2 * n_labels // k`` (the paper's 2L/k).
    threshold : float, default=0.5
        Fraction of the labelsets containing a label that must vote for it.
    at_least_one : bool, default=False
        A sample for which no label reaches ``threshold`` gets its label of highest marginal
        probability instead of the empty set (useful when every sample carries a label: small
        labelsets each tend to vote "none of mine", so plain RAkEL often predicts nothing).
        With ``decision="labelset"`` the empty set is not a candidate.
    decision : {"vote", "labelset"}, default="vote"
        "vote" is the paper's per-label vote, which can assemble label sets never seen in
        training. "labelset" predicts, like LP, a label set seen in training: the one of highest
        ``log prior(S) + evidence_weight * sum_b log[p_b(S_b|x) / prior_b(S_b)]`` over the
        labelsets b (their parts S_b of S judged as independent evidence). Aims at subset
        accuracy; ``threshold`` is then unused. Prediction costs n_samples x n_seen_label_sets
        x n_labelsets (delicious, 3,185 x 12,714 x 458: 15 s on 2 cores).
    evidence_weight : float, default=0.5
        Weight of the labelsets' evidence against the label-set prior for ``decision="labelset"``
        (> 0; smaller trusts the training frequencies more).
    min_count : int, default=1
        Within each labelset, label combinations seen fewer than ``min_count`` times in training
        share one class, which stands for their count-weighted mean label vector in votes and
        marginals (``decision="labelset"`` still tells the full label sets apart by their
        frequency and the other labelsets). Fewer classes make a faster fit: on bibtex a group of
        all 159 labels has 2,058 combinations, 282 of them seen at least 3 times.
    C, standardize, max_iter, tol, decision_tol : as in :class:`LabelPowerset`.
    random_state : int or None, default=None
    """

    _artifact_kind = "rakel"

    def __init__(
        self,
        k: int | tuple[int, ...] = 3,
        mode: str = "disjoint",
        n_labelsets: int | None = None,
        C: float = 1.0,
        standardize: Any = "auto",
        max_iter: int = 100,
        tol: float = 1e-4,
        decision_tol: float = 0.005,
        threshold: float = 0.5,
        at_least_one: bool = False,
        decision: str = "vote",
        evidence_weight: float = 0.5,
        min_count: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.k = k
        self.mode = mode
        self.n_labelsets = n_labelsets
        self.C = C
        self.standardize = standardize
        self.max_iter = max_iter
        self.tol = tol
        self.decision_tol = decision_tol
        self.threshold = threshold
        self.at_least_one = at_least_one
        self.decision = decision
        self.evidence_weight = evidence_weight
        self.min_count = min_count
        self.random_state = random_state

    def _labelsets(self, Yd: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        check_choice("mode", self.mode, ("disjoint", "overlapping", "cooccurrence"))
        check_choice("decision", self.decision, ("vote", "labelset"))
        check_number("evidence_weight", self.evidence_weight, low=0.0, low_open=True)
        check_number("min_count", self.min_count, low=1, integer=True)
        n_labels = Yd.shape[1]
        sizes = self._sizes()
        for k in sizes:
            check_number("k", k, low=1, integer=True)
            if k > n_labels:
                raise ConfigError(
                    f"k={k} is larger than the number of labels ({n_labels}); use k <= {n_labels}."
                )
        if self.mode == "cooccurrence":
            groups = {tuple(g): g for k in sizes for g in cooccurrence_groups(Yd, int(k))}
            return list(groups.values())  # a group found at two sizes is one labelset
        if len(sizes) > 1:
            raise ConfigError(
                f"k={self.k!r}: several labelset sizes need mode='cooccurrence'; "
                f"give one k for mode={self.mode!r}."
            )
        k = int(sizes[0])
        partition = [
            np.sort(p) for p in np.array_split(rng.permutation(n_labels), -(-n_labels // k))
        ]
        if self.mode == "disjoint":
            return partition
        m = 2 * n_labels // k if self.n_labelsets is None else self.n_labelsets
        check_number("n_labelsets", m, low=1, integer=True)
        sets = list(partition)  # every label covered, even when m < len(partition)
        seen = {tuple(s) for s in sets}
        attempts = 0
        while len(sets) < m and attempts < 50 * m:
            attempts += 1
            candidate = np.sort(rng.choice(n_labels, k, replace=False))
            if tuple(candidate) not in seen:
                seen.add(tuple(candidate))
                sets.append(candidate)
        return sets

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels (n_samples, n_labels): the labelsets' vote, or with
        ``decision="labelset"`` the best label set seen in training."""
        check_choice("decision", self.decision, ("vote", "labelset"))
        if self.decision == "vote":
            return super().predict(X)
        return self._labelset_decision(self._block_probas(X))

    def _remember_label_sets(self, Yd: np.ndarray, codes: np.ndarray) -> None:
        labelsets, first, _, counts = _unique_rows(Yd)
        self.seen_labelsets_ = labelsets.astype(np.int8)
        self.seen_counts_ = counts.astype(np.int64)
        # (n_seen, n_labelsets): the class (column of the block softmax) of each seen label set
        self.seen_classes_ = codes[first] + self.offsets_[:-1]

    def _labelset_decision(self, P: np.ndarray) -> np.ndarray:
        """The seen label set S of highest ``log prior(S) + w Σ_b log[p_b(S_b|x) / prior_b(S_b)]``.

        Each labelset b is an expert on its part S_b of S; dividing out the training frequency
        of S_b and adding the log frequency of S as a whole combines the experts as independent
        evidence about S (w = ``evidence_weight`` discounts their overlap and over-confidence).
        ``P``: (n, n_classes) class probabilities of every block; returns (n, n_labels) 0/1.
        """
        candidates, counts, classes = self.seen_labelsets_, self.seen_counts_, self.seen_classes_
        if len(candidates) == 0:
            raise ConfigError(
                "This model was saved without its training label sets; "
                'refit it to use decision="labelset".'
            )
        if self.at_least_one and len(candidates) > 1:
            keep = candidates.any(axis=1)
            candidates, counts, classes = candidates[keep], counts[keep], classes[keep]
        n_candidates, n_blocks = classes.shape
        # training frequency of every block's classes among the candidates
        seen = np.bincount(
            classes.ravel(), weights=np.repeat(counts, n_blocks), minlength=P.shape[1]
        )
        block_log_prior = np.log(np.maximum(seen, 1.0) / counts.sum())
        # (n_classes, n_candidates) 0/1: which class of each block a candidate falls into
        member = sp.csr_matrix(
            (
                np.ones(classes.size),
                (classes.T.ravel(), np.tile(np.arange(n_candidates), n_blocks)),
            ),
            shape=(P.shape[1], n_candidates),
        )
        w = float(self.evidence_weight)
        prior = np.log(counts / counts.sum()) - w * (member.T @ block_log_prior)
        best = np.empty(len(P), dtype=np.int64)
        rows = max(1, 2**22 // n_candidates)  # a (rows, n_candidates) score block: <= 32 MiB
        for start in range(0, len(P), rows):
            logP = np.log(np.maximum(P[start : start + rows], 1e-12))
            best[start : start + rows] = np.argmax(w * (member.T @ logP.T).T + prior, axis=1)
        return candidates[best].astype(np.int64)

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = super()._artifact_state()
        arrays["seen_labelsets"] = self.seen_labelsets_
        arrays["seen_counts"] = self.seen_counts_
        if self.min_count > 1:  # pooled classes: not found again from the tables on load
            arrays["seen_classes"] = self.seen_classes_
        return state, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super()._restore_artifact(state, arrays)
        # absent from models saved before decision="labelset" existed: only "vote" works there
        n_labels = len(self.thresholds_)
        seen = arrays.get("seen_labelsets", np.zeros((0, n_labels)))
        self.seen_labelsets_ = np.asarray(seen, dtype=np.int8).reshape(-1, n_labels)
        self.seen_counts_ = np.asarray(arrays.get("seen_counts", []), dtype=np.int64)
        if "seen_classes" in arrays:
            self.seen_classes_ = np.asarray(arrays["seen_classes"], dtype=np.int64)
            return
        # stored only for pooled classes (min_count > 1): otherwise found in the tables
        self.seen_classes_ = np.zeros((len(self.seen_labelsets_), len(self.labelsets_)), np.int64)
        if len(self.seen_labelsets_):
            for i, (labels, table) in enumerate(zip(self.labelsets_, self.tables_, strict=True)):
                index = _row_index(table, self.seen_labelsets_[:, labels])
                self.seen_classes_[:, i] = self.offsets_[i] + index

    def _sizes(self) -> tuple[Any, ...]:
        """``k`` as a tuple of sizes (one for an int)."""
        if isinstance(self.k, (list, tuple)) and len(self.k) > 0:
            return tuple(self.k)
        return (self.k,)


LabelPowerset._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
RakelClassifier._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
