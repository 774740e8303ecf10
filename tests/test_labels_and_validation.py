"""LabelSpace, Dataset and the input checks every estimator relies on."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from tagwise import DataFormatError, Dataset, LabelSpace, make_multilabel
from tagwise._validation import check_features, check_same_length, check_targets


def test_label_space_encodes_lists_strings_and_matrices():
    space = LabelSpace(["cat", "dog", "bird"])
    expected = np.array([[0, 1, 0], [1, 0, 1], [0, 0, 0]])
    assert np.array_equal(space.encode([["dog"], ["cat", "bird"], []]), expected)
    assert np.array_equal(space.encode(["dog", "cat|bird", ""]), expected)
    assert np.array_equal(space.encode(["dog", "cat; bird", None], sep=";"), expected)
    assert np.array_equal(space.encode(expected), expected)
    Ys = space.encode([["dog"], ["cat", "bird"], []], sparse=True)
    assert sp.issparse(Ys) and np.array_equal(Ys.toarray(), expected)
    assert space.decode(expected) == [["dog"], ["cat", "bird"], []]
    assert space.decode(Ys) == [["dog"], ["cat", "bird"], []]


def test_label_space_repeated_label_in_a_row_counts_once():
    assert LabelSpace(["a", "b"]).encode([["a", "a"]]).tolist() == [[1, 0]]


def test_label_space_from_label_lists_is_sorted_and_unique():
    space = LabelSpace.from_label_lists([["b", "a"], ["c"], []])
    assert space.names == ("a", "b", "c")
    assert LabelSpace.from_delimited(["x|y", "y"]).names == ("x", "y")


def test_label_space_errors():
    with pytest.raises(DataFormatError, match="duplicate label name 'a'"):
        LabelSpace(["a", "b", "a"])
    with pytest.raises(DataFormatError, match="empty name"):
        LabelSpace(["a", ""])
    with pytest.raises(DataFormatError, match=r"unknown label 'dgo'.*Did you mean 'dog'"):
        LabelSpace(["cat", "dog"]).encode([["dgo"]])
    with pytest.raises(DataFormatError, match="3 columns but the label space has 2"):
        LabelSpace(["a", "b"]).encode(np.zeros((2, 3), dtype=int))
    with pytest.raises(DataFormatError, match="expected an indicator matrix with 2 columns"):
        LabelSpace(["a", "b"]).decode(np.zeros((2, 3), dtype=int))


def test_int8_targets_with_many_labels_are_converted_not_scrambled():
    # scikit-learn 1.9 scrambles int8 indicators with > 128 labels (LabelBinarizer overflow).
    rng = np.random.default_rng(0)
    Y = (rng.random((80, 140)) < 0.3).astype(np.int8)
    X = Y[:, :20].astype(float) + rng.random((80, 20))
    checked = check_targets(Y)
    assert checked.dtype == np.int64 and np.array_equal(checked, Y)
    model = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(X, checked)
    # the first 20 labels are (almost) copies of the features: a scrambled fit would miss them
    assert (model.predict(X)[:, :20] == Y[:, :20]).mean() > 0.95


def test_check_targets_accepts_bool_and_sparse_and_rejects_other_values():
    assert check_targets(np.array([[True, False]])).tolist() == [[1, 0]]
    Ys = check_targets(sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=np.int8)))
    assert sp.issparse(Ys) and Ys.dtype == np.int64
    with pytest.raises(DataFormatError, match=r"only 0/1.*found 2 at row 1, column 0"):
        check_targets(np.array([[0, 1], [2, 0]]))
    with pytest.raises(DataFormatError, match=r"only 0/1.*found 0.5"):
        check_targets(sp.csr_matrix(np.array([[0, 0.5]])))
    with pytest.raises(DataFormatError, match="NaN"):
        check_targets(np.array([[np.nan, 1.0]]))
    with pytest.raises(DataFormatError, match="1-D"):
        check_targets(np.array([0, 1]))
    with pytest.raises(DataFormatError, match="0 label columns"):
        check_targets(np.zeros((3, 0)))


def test_check_targets_leaves_the_callers_sparse_matrix_alone():
    # an explicit zero is dropped from the result, never from the caller's matrix (it used to
    # share the index arrays, so dropping it rewrote the caller's rows)
    data, indices, indptr = np.array([1, 0, 1, 1]), np.array([0, 1, 1, 0]), np.array([0, 2, 3, 4])
    Y = sp.csr_matrix((data, indices, indptr), shape=(3, 2))
    out = check_targets(Y)
    assert out.nnz == 3 and out.toarray().tolist() == [[1, 0], [0, 1], [1, 0]]
    assert Y.nnz == 4 and Y.toarray().tolist() == [[1, 0], [0, 1], [1, 0]]
    # a cell given twice holds the sum of its entries: 2 is not a label value
    twice = sp.csr_matrix((np.array([1, 1]), np.array([0, 0]), np.array([0, 2, 2])), shape=(2, 2))
    with pytest.raises(DataFormatError, match=r"found 2 at row 0, column 0"):
        check_targets(twice)


def test_check_features_errors_name_the_cell():
    X = np.ones((4, 3))
    X[2, 1] = np.inf
    with pytest.raises(DataFormatError, match=r"NaN or infinity \(first at row 2, column 1\)"):
        check_features(X)
    Xs = sp.csr_matrix(np.array([[0, 1.0], [np.nan, 0]]))
    with pytest.raises(DataFormatError, match=r"row 1, column 0"):
        check_features(Xs)
    with pytest.raises(DataFormatError, match="1-D"):
        check_features(np.ones(3))
    with pytest.raises(DataFormatError, match="non-numeric"):
        check_features(np.array([["a", "b"]]))
    with pytest.raises(DataFormatError, match=r"0 sample\(s\)"):
        check_features(np.ones((0, 3)))
    with pytest.raises(DataFormatError, match="X has 3 samples but Y has 2"):
        check_same_length(np.ones((3, 1)), np.ones((2, 1)))


def test_dataset_checks_and_summarises():
    ds = make_multilabel(50, 4, 3, random_state=0)
    assert ds.n_samples == 50 and ds.n_features == 4 and ds.n_labels == 3
    assert ds.summary()["n_labels"] == 3
    sub = ds.subset(np.arange(10))
    assert sub.n_samples == 10 and sub.label_names == ds.label_names
    assert len(ds.labels()) == 50
    with pytest.raises(DataFormatError, match="2 label names for 3 label columns"):
        Dataset(X=ds.X, Y=ds.Y, label_names=["a", "b"])
    with pytest.raises(DataFormatError, match="X has 50 samples but Y has 10"):
        Dataset(X=ds.X, Y=ds.Y[:10], label_names=ds.label_names)
    with pytest.raises(DataFormatError, match="duplicate label name"):
        Dataset(X=ds.X, Y=ds.Y, label_names=["a", "a", "b"])


def test_reference_problem_is_sklearns_generator_output():
    from sklearn.datasets import make_multilabel_classification

    from tagwise import reference_problem

    X, Y = make_multilabel_classification(
        n_samples=1000, n_features=10, n_classes=3, n_labels=2, random_state=1
    )
    ds = reference_problem()
    assert np.array_equal(ds.X, X) and np.array_equal(ds.Y, Y)


def test_describe_labels_names_columns_only_of_a_matrix_as_wide_as_the_names():
    from tagwise.exceptions import describe_labels, naming_labels

    assert describe_labels([2], 3) == "column 2"
    assert describe_labels([0, 2], 3, counts=[1, 9, 2]) == "columns 0 (1), 2 (2)"
    assert describe_labels(list(range(12)), 12, limit=2) == "columns 0, 1 and 10 more"
    with naming_labels(["acq", "corn", "wheat"]):
        assert describe_labels([0, 2], 3, counts=[1, 9, 2]) == "acq (1), wheat (2)"
        # a subset of the labels (e.g. inside RAkEL) keeps numbers: no name on the wrong column
        assert describe_labels([1], 2) == "column 1"
        assert describe_labels([1], 2, names=["x", "y"]) == "y"  # a fit's own names win
    assert describe_labels([1], 3) == "column 1"  # the names end with the block


def test_a_label_without_positives_is_named_in_the_warning():
    import pandas as pd

    from tagwise import LabelWarning
    from tagwise.models import LinearOneVsRest

    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = pd.DataFrame({"cat": np.arange(20) % 2, "dog": np.zeros(20, dtype=int)})
    with pytest.warns(LabelWarning, match=r"never occur in training \(dog\)"):
        LinearOneVsRest().fit(X, Y)
