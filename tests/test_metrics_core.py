"""Set metrics against scikit-learn and naive reference loops; empty-set conventions; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm

from tagwise.exceptions import ConfigError, DataFormatError
from tagwise.metrics import (
    DEFAULT_METRICS,
    check_scores,
    example_f1,
    f1_score,
    hamming_loss,
    jaccard_score,
    macro_f1,
    micro_f1,
    per_label_f1,
    precision_score,
    recall_score,
    score_all,
    subset_accuracy,
    weighted_f1,
)


def _data(seed=0, n=80, n_labels=7, density=0.3):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < density).astype(int)
    S = np.clip(Y * 0.4 + rng.random((n, n_labels)) * 0.6, 0, 1)
    return Y, (S > 0.5).astype(int), S


def _naive_example(Y, P, what):
    vals = []
    for y, p in zip(Y, P, strict=True):
        t, z = set(np.flatnonzero(y)), set(np.flatnonzero(p))
        inter, union = len(t & z), len(t | z)
        if what == "precision":
            vals.append(inter / len(z) if z else float(not t))
        elif what == "recall":
            vals.append(inter / len(t) if t else float(not z))
        elif what == "f1":
            vals.append(2 * inter / (len(t) + len(z)) if t or z else 1.0)
        else:
            vals.append(inter / union if union else 1.0)
    return float(np.mean(vals))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("what", ["precision", "recall", "f1", "jaccard"])
def test_example_based_match_a_naive_loop(seed, what):
    Y, P, _ = _data(seed, density=0.15)
    P[:5] = 0  # empty predictions for (probably) non-empty truths
    Y[5:8] = 0
    P[5:7] = 0  # empty vs empty
    fn = {"precision": precision_score, "recall": recall_score, "f1": f1_score}.get(
        what, jaccard_score
    )
    assert fn(Y, P, average="samples") == pytest.approx(_naive_example(Y, P, what))


def test_empty_prediction_for_nonempty_truth_is_a_miss():
    Y = np.array([[1, 0], [0, 0]])
    P = np.array([[0, 0], [0, 0]])
    assert precision_score(Y, P, average="samples") == 0.5  # sklearn zero_division=1 says 1.0
    assert f1_score(Y, P, average="samples") == 0.5


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@pytest.mark.parametrize("what", ["precision", "recall", "f1", "jaccard"])
def test_label_based_match_sklearn(what, average):
    Y, P, _ = _data(3)
    ours = {
        "precision": precision_score,
        "recall": recall_score,
        "f1": f1_score,
        "jaccard": jaccard_score,
    }[what](Y, P, average=average)
    ref = getattr(skm, f"{what}_score")(Y, P, average=average, zero_division=0)
    np.testing.assert_allclose(ours, ref)


def test_named_shortcuts_and_sparse_inputs_agree_with_sklearn():
    Y, P, _ = _data(4)
    Ys, Ps = sp.csr_matrix(Y), sp.csr_matrix(P)
    assert micro_f1(Ys, Ps) == pytest.approx(skm.f1_score(Y, P, average="micro"))
    assert macro_f1(Ys, P) == pytest.approx(skm.f1_score(Y, P, average="macro"))
    assert weighted_f1(Y, Ps) == pytest.approx(skm.f1_score(Y, P, average="weighted"))
    assert example_f1(Ys, Ps) == pytest.approx(
        skm.f1_score(Y, P, average="samples", zero_division=1)
    )
    assert hamming_loss(Ys, Ps) == pytest.approx(skm.hamming_loss(Y, P))
    assert subset_accuracy(Ys, Ps) == pytest.approx(skm.accuracy_score(Y, P))
    np.testing.assert_allclose(per_label_f1(Ys, Ps), skm.f1_score(Y, P, average=None))
    for what in ("precision", "recall", "jaccard"):
        fn = {"precision": precision_score, "recall": recall_score, "jaccard": jaccard_score}
        assert fn[what](Ys, Ps, average="samples") == pytest.approx(
            fn[what](Y, P, average="samples")
        )


def test_score_all_covers_default_metrics_and_skips_score_metrics_without_scores():
    Y, P, S = _data(5)
    full = score_all(Y, P, S)
    assert set(full) == set(DEFAULT_METRICS)
    assert full["lrap"] == pytest.approx(skm.label_ranking_average_precision_score(Y, S))
    assert full["ranking_loss"] == pytest.approx(skm.label_ranking_loss(Y, S))
    assert full["macro_auc"] == pytest.approx(skm.roc_auc_score(Y, S, average="macro"))
    no_scores = score_all(Y, P)
    assert "lrap" not in no_scores and "micro_f1" in no_scores
    for name, (_, _, higher) in DEFAULT_METRICS.items():
        assert isinstance(higher, bool), name


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(DataFormatError, match=r"Y_true has shape \(3, 2\) but Y_pred has shape"):
        micro_f1(np.zeros((3, 2), int), np.zeros((3, 3), int))


def test_non_binary_truth_names_value_and_place():
    Y = np.zeros((3, 2))
    Y[1, 1] = 2
    with pytest.raises(DataFormatError, match=r"found .*2\.0.* at row 1, column 1"):
        f1_score(Y, np.zeros((3, 2), int))


def test_bad_average():
    with pytest.raises(ConfigError, match=r"average must be one of .* got 'binary'"):
        f1_score(np.eye(2, dtype=int), np.eye(2, dtype=int), average="binary")


def test_check_scores():
    with pytest.raises(DataFormatError, match=r"probabilities in \[0, 1\]; found 1.5"):
        check_scores(np.array([[0.2, 1.5]]), probabilities=True)
    with pytest.raises(DataFormatError, match=r"probabilities in \[0, 1\]; found -0.1"):
        check_scores(sp.csr_matrix(np.array([[-0.1, 0.5]])), probabilities=True)
    with pytest.raises(DataFormatError, match=r"NaN or infinity"):
        check_scores(np.array([[np.nan, 0.5]]))
    with pytest.raises(DataFormatError, match=r"must be 2-D .* got shape \(2,\)"):
        check_scores(np.array([0.1, 0.5]))
    with pytest.raises(DataFormatError, match=r"not a numeric matrix"):
        check_scores([["a", "b"]])
    with pytest.raises(DataFormatError, match=r"Y_true has shape \(1, 3\) but Y_score has shape"):
        check_scores(np.zeros((1, 2)), (1, 3))
    out = check_scores(sp.csr_matrix(np.eye(2)), allow_sparse=True)
    assert sp.issparse(out)
