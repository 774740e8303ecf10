"""Score-based metrics against scikit-learn and naive loops; degenerate labels warn, not crash."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm

from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning
from tagwise.metrics import (
    average_precision_score,
    coverage_error,
    evaluate_predictions,
    label_ranking_average_precision,
    label_ranking_loss,
    label_report,
    ndcg_at_k,
    one_error,
    per_label_average_precision,
    per_label_metrics,
    per_label_roc_auc,
    precision_at_k,
    recall_at_k,
    roc_auc_score,
    top_k_indices,
)


def _data(seed=0, n=60, n_labels=8):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < 0.3).astype(int)
    Y[:, 0] = 0
    Y[:3, 0] = 1  # a rare label
    S = Y * 0.3 + rng.random((n, n_labels))
    return Y, S


def _naive_at_k(Y, S, k):
    p, r, nd = [], [], []
    for y, s in zip(Y, S, strict=True):
        top = sorted(range(len(s)), key=lambda j: (-s[j], j))[:k]
        hits = [y[j] for j in top]
        p.append(sum(hits) / k)
        n_true = int(y.sum())
        if n_true:
            r.append(sum(hits) / n_true)
            dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
            ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_true)))
            nd.append(dcg / ideal)
    return np.mean(p), np.mean(r), np.mean(nd)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_precision_recall_ndcg_at_k_match_a_naive_loop(k):
    Y, S = _data(k)
    Y[5] = 0  # a sample without labels: counted by P@k, left out of R@k and nDCG@k
    p, r, nd = _naive_at_k(Y, S, k)
    assert precision_at_k(Y, S, k) == pytest.approx(p)
    assert recall_at_k(Y, S, k) == pytest.approx(r)
    assert ndcg_at_k(Y, S, k) == pytest.approx(nd)
    assert precision_at_k(sp.csr_matrix(Y), sp.csr_matrix(S), k) == pytest.approx(p)
    assert ndcg_at_k(sp.csr_matrix(Y), S, k) == pytest.approx(nd)


def test_ndcg_with_all_true_labels_ranked_first_is_one():
    Y = np.array([[1, 1, 0, 0], [0, 0, 0, 1]])
    S = np.array([[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]])
    assert ndcg_at_k(Y, S, 3) == pytest.approx(1.0)
    assert precision_at_k(Y, S, 1) == 1.0 and one_error(Y, S) == 0.0


def test_sparse_scores_with_missing_entries_count_as_misses():
    Y = np.array([[1, 0, 1, 0], [0, 1, 0, 0]])
    S = sp.csr_matrix(np.array([[0.9, 0.0, 0.0, 0.0], [0.0, 0.8, 0.0, 0.7]]))
    idx, valid = top_k_indices(S, 2)
    assert idx[0, 0] == 0 and valid.tolist() == [[True, False], [True, True]]
    assert precision_at_k(Y, S, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)


def test_top_k_ties_go_to_the_lower_index():
    idx, _ = top_k_indices(np.array([[0.5, 0.5, 0.5, 0.1]]), 2)
    assert idx.tolist() == [[0, 1]]


def test_one_error_matches_naive_loop():
    Y, S = _data(9)
    Y[2] = 0
    rows = [i for i in range(len(Y)) if Y[i].sum()]
    ref = np.mean([1 - Y[i, int(np.argmax(S[i]))] for i in rows])
    assert one_error(Y, S) == pytest.approx(ref)


def test_ranking_metrics_match_sklearn():
    Y, S = _data(1)
    assert label_ranking_loss(Y, S) == pytest.approx(skm.label_ranking_loss(Y, S))
    assert coverage_error(sp.csr_matrix(Y), S) == pytest.approx(skm.coverage_error(Y, S))
    assert label_ranking_average_precision(Y, S) == pytest.approx(
        skm.label_ranking_average_precision_score(Y, S)
    )


def test_lrap_matches_sklearn_with_ties_and_degenerate_rows():
    Y, S = _data(6)
    S = np.round(S, 1)  # many ties
    Y[0] = 0
    Y[1] = 1
    assert label_ranking_average_precision(Y, S) == pytest.approx(
        skm.label_ranking_average_precision_score(Y, S)
    )
    assert label_ranking_average_precision(sp.csr_matrix(Y), S) == pytest.approx(
        skm.label_ranking_average_precision_score(Y, S)
    )


def test_auc_and_ap_match_sklearn_on_well_defined_labels():
    Y, S = _data(2)
    np.testing.assert_allclose(per_label_roc_auc(Y, S), skm.roc_auc_score(Y, S, average=None))
    for avg in ("micro", "macro", "weighted"):
        assert roc_auc_score(Y, S, average=avg) == pytest.approx(
            skm.roc_auc_score(Y, S, average=avg)
        )
        assert average_precision_score(Y, S, average=avg) == pytest.approx(
            skm.average_precision_score(Y, S, average=avg)
        )


def test_degenerate_labels_are_nan_with_a_warning_and_left_out_of_macro():
    Y, S = _data(3)
    Y[:, 2] = 0  # no positives
    Y[:, 3] = 1  # no negatives
    with pytest.warns(LabelWarning, match=r"ROC-AUC is undefined for 2 label\(s\).*2, 3"):
        per = per_label_roc_auc(Y, S)
    assert np.isnan(per[[2, 3]]).all() and np.isfinite(np.delete(per, [2, 3])).all()
    with pytest.warns(LabelWarning):
        macro = roc_auc_score(Y, S, average="macro")
    keep = [j for j in range(Y.shape[1]) if j not in (2, 3)]
    assert macro == pytest.approx(skm.roc_auc_score(Y[:, keep], S[:, keep], average="macro"))
    with pytest.warns(LabelWarning, match=r"average precision is undefined for 1 label"):
        ap = per_label_average_precision(Y, S)
    assert np.isnan(ap[2]) and ap[3] == pytest.approx(1.0)


def test_all_undefined_gives_nan():
    Y = np.zeros((4, 2), int)
    with pytest.warns(LabelWarning, match=r"micro ROC-AUC is undefined"):
        assert math.isnan(roc_auc_score(Y, np.ones((4, 2)), average="micro"))
    with pytest.warns(LabelWarning):
        assert math.isnan(roc_auc_score(Y, np.zeros((4, 2))))
    with pytest.warns(LabelWarning, match=r"micro average precision is undefined"):
        assert math.isnan(average_precision_score(Y, np.zeros((4, 2)), average="micro"))
    with pytest.warns(LabelWarning, match=r"R@1 is undefined: no sample has a true label"):
        assert math.isnan(recall_at_k(Y, np.zeros((4, 2)), 1))


def test_k_errors():
    Y, S = _data(0, n_labels=4)
    with pytest.raises(ConfigError, match=r"k=5 is larger than the number of labels \(4\)"):
        precision_at_k(Y, S, 5)
    with pytest.raises(ConfigError, match=r"k must be a positive integer, got 0"):
        ndcg_at_k(Y, S, 0)
    with pytest.raises(ConfigError, match=r"k=9 is larger"):
        evaluate_predictions(Y, Y_score=S, k=[1, 9])
    with pytest.raises(ConfigError, match=r"average must be 'micro', 'macro'"):
        roc_auc_score(Y, S, average="samples")


def test_scores_shape_mismatch():
    with pytest.raises(DataFormatError, match=r"Y_true has shape \(2, 2\) but Y_score has shape"):
        precision_at_k(np.eye(2, dtype=int), np.zeros((2, 3)), 1)


def test_evaluate_predictions_is_complete_and_consistent():
    Y, S = _data(4)
    out = evaluate_predictions(Y, Y_score=S, threshold=0.6)
    P = (S >= 0.6).astype(int)
    assert out["micro_f1"] == pytest.approx(skm.f1_score(Y, P, average="micro"))
    assert out["precision@3"] == pytest.approx(precision_at_k(Y, S, 3))
    for key in ("hamming_loss", "jaccard", "coverage_error", "one_error", "ndcg@5", "lrap"):
        assert key in out
    only_sets = evaluate_predictions(Y, P)
    assert "lrap" not in only_sets and only_sets["micro_f1"] == out["micro_f1"]
    with pytest.raises(DataFormatError, match=r"give Y_pred .* or Y_score"):
        evaluate_predictions(Y)


def test_label_report_formats():
    Y, S = _data(5)
    Y[:, 4] = 0
    names = [f"tag{j}" for j in range(Y.shape[1])]
    with pytest.warns(LabelWarning):
        text = label_report(Y, Y_score=S, label_names=names)
    assert "tag4" in text and "n/a" in text and "macro avg" in text
    with pytest.warns(LabelWarning):
        d = label_report(Y, Y_score=S, label_names=names, output="dict")
    assert [r["label"] for r in d["labels"]] == names
    assert d["averages"]["macro"]["f1"] == pytest.approx(
        skm.f1_score(Y, (S >= 0.5).astype(int), average="macro", zero_division=0)
    )
    with pytest.warns(LabelWarning):
        parsed = json.loads(label_report(Y, Y_score=S, output="json"))
    assert parsed["labels"][4]["roc_auc"] is None
    with pytest.warns(LabelWarning):
        frame = label_report(Y, Y_score=S, label_names=names, output="frame")
    assert frame.loc["tag1", "support"] == Y[:, 1].sum()
    assert "weighted avg" in frame.index
    with pytest.raises(ConfigError, match=r"output must be .* got 'html'"):
        label_report(Y, Y_score=S, output="html")
    with pytest.raises(DataFormatError, match=r"label_names has 2 names but .* 8 columns"):
        per_label_metrics(Y, Y_score=S, label_names=["a", "b"])
