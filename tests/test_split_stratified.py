"""Iterative stratification: correctness against a naive reference, quality, API and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning
from tagwise.model_selection import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    RepeatedMultilabelStratifiedKFold,
    stratification_quality,
)
from tagwise.model_selection._stratify import (
    _greedy_picks,
    iterative_stratification,
    label_pairs,
)


def _zipf_labels(n: int, n_labels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = 0.4 / (np.arange(n_labels) + 1) ** 0.8
    return (rng.random((n, n_labels)) < p).astype(np.int64)


def _naive_greedy(primary, secondary, m):
    """The paper's per-example loop (ties broken by lowest index, for comparison of counts)."""
    primary, secondary = primary.astype(float).copy(), secondary.astype(float).copy()
    counts = np.zeros(len(primary), dtype=int)
    for _ in range(m):
        best = max(range(len(primary)), key=lambda j: (primary[j], secondary[j], -j))
        counts[best] += 1
        primary[best] -= 1
        secondary[best] -= 1
    return counts


@pytest.mark.parametrize("seed", range(20))
def test_greedy_picks_match_the_sequential_loop(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    primary = rng.integers(0, 12, k).astype(float) + rng.choice([0, 0.5], k)
    secondary = rng.integers(0, 40, k).astype(float)
    m = int(rng.integers(1, 40))
    picks = _greedy_picks(primary, secondary, m, np.random.default_rng(seed))
    # the same multiset of subsets as the paper's loop (tie order aside, the counts agree
    # whenever the loop had no exact ties; with ties the level sets must still agree)
    counts = np.bincount(picks, minlength=k)
    expected = _naive_greedy(primary, secondary, m)
    final_ours = sorted(zip(primary - counts, secondary - counts, strict=True))
    final_ref = sorted(zip(primary - expected, secondary - expected, strict=True))
    assert final_ours == final_ref


def test_greedy_picks_follow_the_sequence_order():
    # subset 0 desires 3, subset 1 desires 1: the first three picks go to 0 … then ties
    picks = _greedy_picks(np.array([3.0, 1.0]), np.array([10.0, 10.0]), 3, np.random.default_rng(0))
    assert picks[:2].tolist() == [0, 0]


def test_every_sample_lands_in_exactly_one_fold_and_sizes_are_balanced():
    Y = _zipf_labels(503, 12)
    cv = MultilabelStratifiedKFold(n_splits=4, shuffle=True, random_state=1)
    tests = [test for _, test in cv.split(np.zeros((503, 2)), Y)]
    allidx = np.sort(np.concatenate(tests))
    assert np.array_equal(allidx, np.arange(503))
    sizes = [len(t) for t in tests]
    assert max(sizes) - min(sizes) <= 2
    for train, test in cv.split(None, Y):
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == 503


def test_stratification_beats_random_kfold_on_label_distribution():
    Y = _zipf_labels(3000, 30, seed=3)
    ours = MultilabelStratifiedKFold(5, shuffle=True, random_state=0).test_folds(None, Y)
    rand = np.zeros(len(Y), dtype=int)
    for j, (_, te) in enumerate(KFold(5, shuffle=True, random_state=0).split(Y)):
        rand[te] = j
    q_ours, q_rand = stratification_quality(Y, ours), stratification_quality(Y, rand)
    assert q_ours["LD"] < q_rand["LD"] / 3
    assert q_ours["ED"] <= 1.0
    # every fold gets positives of every label with at least 5 positives
    counts = np.array([Y[ours == j].sum(axis=0) for j in range(5)])
    assert (counts[:, Y.sum(axis=0) >= 5] > 0).all()


def test_per_fold_label_counts_are_within_one_of_ideal_for_common_labels():
    Y = _zipf_labels(2000, 8, seed=5)
    folds = MultilabelStratifiedKFold(5, shuffle=True, random_state=2).test_folds(None, Y)
    per_fold = np.array([Y[folds == j].sum(axis=0) for j in range(5)])
    ideal = Y.sum(axis=0) / 5
    assert np.abs(per_fold - ideal).max() <= 3


def test_sparse_and_dense_targets_give_the_same_folds():
    Y = _zipf_labels(400, 10)
    cv = MultilabelStratifiedKFold(3, shuffle=True, random_state=7)
    assert np.array_equal(cv.test_folds(None, Y), cv.test_folds(None, sp.csr_matrix(Y)))


def test_reproducible_with_seed_and_deterministic_without_shuffle():
    Y = _zipf_labels(300, 6)
    a = MultilabelStratifiedKFold(3, shuffle=True, random_state=0).test_folds(None, Y)
    b = MultilabelStratifiedKFold(3, shuffle=True, random_state=0).test_folds(None, Y)
    c = MultilabelStratifiedKFold(3, shuffle=True, random_state=1).test_folds(None, Y)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    d = MultilabelStratifiedKFold(3).test_folds(None, Y)
    assert np.array_equal(d, MultilabelStratifiedKFold(3).test_folds(None, Y))


def test_unlabeled_samples_are_spread_evenly():
    Y = np.zeros((100, 3), dtype=int)
    Y[:10, 0] = 1
    folds = MultilabelStratifiedKFold(5, shuffle=True, random_state=0).test_folds(None, Y)
    assert np.bincount(folds).tolist() == [20] * 5
    assert np.bincount(folds[:10], minlength=5).tolist() == [2] * 5


def test_second_order_balances_pairs_better():
    rng = np.random.default_rng(0)
    base = _zipf_labels(2000, 10, seed=1)
    base[:, 1] |= base[:, 0] & (rng.random(2000) < 0.7)  # correlated pair
    pairs = label_pairs(sp.csr_matrix(base))
    first = MultilabelStratifiedKFold(5, shuffle=True, random_state=0).test_folds(None, base)
    second = MultilabelStratifiedKFold(5, shuffle=True, random_state=0, order=2).test_folds(
        None, base
    )
    assert stratification_quality(pairs, second)["LD"] < stratification_quality(pairs, first)["LD"]


def test_label_pairs_matches_a_loop():
    Y = _zipf_labels(60, 7, seed=2)
    Z = label_pairs(sp.csr_matrix(Y)).toarray()
    expected = {
        (a, b) for row in Y for a in np.flatnonzero(row) for b in np.flatnonzero(row) if a < b
    }
    assert Z.shape[1] == len(expected)
    assert Z.sum() == sum(len(np.flatnonzero(r)) * (len(np.flatnonzero(r)) - 1) // 2 for r in Y)


def test_label_pairs_of_single_label_rows_is_empty():
    assert label_pairs(sp.csr_matrix(np.eye(4, dtype=int))).shape == (4, 0)


def test_repeated_kfold_gives_different_partitions_per_repeat():
    Y = _zipf_labels(200, 5)
    cv = RepeatedMultilabelStratifiedKFold(4, n_repeats=3, random_state=0)
    splits = list(cv.split(None, Y))
    assert len(splits) == cv.get_n_splits() == 12
    first = np.sort(splits[0][1])
    assert not np.array_equal(first, np.sort(splits[4][1]))
    again = list(RepeatedMultilabelStratifiedKFold(4, n_repeats=3, random_state=0).split(None, Y))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again, strict=True))


def test_shuffle_split_sizes_and_stratification():
    Y = _zipf_labels(1000, 10)
    cv = MultilabelStratifiedShuffleSplit(3, test_size=0.2, random_state=0)
    for train, test in cv.split(None, Y):
        assert abs(len(test) - 200) <= 2 and len(train) + len(test) == 1000
        ratio = Y[test].sum(axis=0) / Y.sum(axis=0)
        assert np.all(np.abs(ratio - 0.2) < 0.05)
    cv = MultilabelStratifiedShuffleSplit(1, test_size=100, train_size=300, random_state=0)
    train, test = next(cv.split(None, Y))
    assert abs(len(test) - 100) <= 2 and abs(len(train) - 300) <= 2


def test_works_as_sklearn_cv():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    Y = _zipf_labels(120, 3)
    scores = cross_val_score(KNeighborsClassifier(3), X, Y, cv=MultilabelStratifiedKFold(3))
    assert len(scores) == 3


def test_quality_of_perfect_and_degenerate_partitions():
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    q = stratification_quality(Y, np.array([0, 1, 0, 1]))
    assert q["LD"] == 0 and q["ED"] == 0 and q["FZ"] == 0
    q = stratification_quality(Y, np.array([0, 0, 1, 1]))
    assert q["FZ"] == 2 and q["FLZ"] == 2


# ---- bad input -------------------------------------------------------------------------------


def test_more_folds_than_samples():
    with pytest.raises(DataFormatError, match=r"n_splits=5 folds from 3 samples"):
        list(MultilabelStratifiedKFold(5).split(None, np.eye(3, dtype=int)))


def test_rare_label_warns_and_still_splits():
    Y = _zipf_labels(100, 3)
    Y[:, 2] = 0
    Y[:2, 2] = 1
    with pytest.warns(LabelWarning, match=r"fewer positive samples than the 5 folds.*2 \(2\)"):
        splits = list(MultilabelStratifiedKFold(5).split(None, Y))
    assert len(splits) == 5


@pytest.mark.parametrize("bad", [1, 0, 2.5, "3", True])
def test_bad_n_splits(bad):
    with pytest.raises(ConfigError, match=r"n_splits must be an integer ≥ 2"):
        list(MultilabelStratifiedKFold(bad).split(None, np.eye(4, dtype=int)))


def test_bad_n_repeats_and_order_and_seed():
    Y = np.eye(4, dtype=int)
    with pytest.raises(ConfigError, match=r"n_repeats must be an integer ≥ 1, got 0"):
        list(RepeatedMultilabelStratifiedKFold(2, n_repeats=0).split(None, Y))
    with pytest.raises(ConfigError, match=r"order must be 1 .* got 3"):
        list(MultilabelStratifiedKFold(2, order=3).split(None, Y))
    with pytest.raises(ConfigError, match=r"random_state must be .* got 'x'"):
        list(MultilabelStratifiedKFold(2, shuffle=True, random_state="x").split(None, Y))


def test_missing_or_mismatched_targets():
    with pytest.raises(DataFormatError, match=r"needs the label matrix"):
        list(MultilabelStratifiedKFold(2).split(np.zeros((4, 2))))
    with pytest.raises(DataFormatError, match=r"X has 5 samples but Y has 4"):
        list(MultilabelStratifiedKFold(2).split(np.zeros((5, 2)), np.eye(4, dtype=int)))
    with pytest.raises(DataFormatError, match=r"X has 3 samples but Y has 4"):
        list(MultilabelStratifiedKFold(2).split([[0], [1], [2]], np.eye(4, dtype=int)))
    with pytest.raises(DataFormatError, match=r"only 0/1"):
        list(MultilabelStratifiedKFold(2).split(None, np.full((4, 2), 2)))


def test_shuffle_split_bad_sizes():
    Y = _zipf_labels(50, 3)
    with pytest.raises(ConfigError, match=r"test_size must be a fraction .* got 1.5"):
        list(MultilabelStratifiedShuffleSplit(test_size=1.5).split(None, Y))
    with pytest.raises(ConfigError, match=r"test_size=80 must be between 1 and 49"):
        list(MultilabelStratifiedShuffleSplit(test_size=80).split(None, Y))
    with pytest.raises(ConfigError, match=r"give 40 training and 20 test samples out of 50"):
        list(MultilabelStratifiedShuffleSplit(test_size=20, train_size=40).split(None, Y))
    with pytest.raises(DataFormatError, match=r"cannot split 1 sample"):
        list(MultilabelStratifiedShuffleSplit().split(None, np.ones((1, 2), dtype=int)))


def test_iterative_stratification_respects_unequal_proportions():
    Y = _zipf_labels(1000, 6)
    part = iterative_stratification(
        Y, np.array([0.7, 0.3]), shuffle=True, rng=np.random.default_rng(0)
    )
    assert abs(np.mean(part == 0) - 0.7) < 0.01
