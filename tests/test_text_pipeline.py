"""TextClassifier: texts in, tags out, with any zoo model; save/load through tagwise.io."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from tagwise.exceptions import ConfigError, DataFormatError, ModelFormatError
from tagwise.io import load_model, save_model
from tagwise.metrics import micro_f1
from tagwise.models import LinearOneVsRest
from tagwise.text import CombinedFeaturizer, TextClassifier, TfidfFeaturizer
from tagwise.thresholds import ThresholdedClassifier, out_of_fold_scores

TOPICS = {
    "oil": ["oil", "crude", "opec", "barrel", "refinery", "petroleum"],
    "money": ["bank", "interest", "rates", "currency", "dollar", "lending"],
    "grain": ["wheat", "corn", "grain", "harvest", "farm", "soybean"],
}
FILLER = ["the", "said", "in", "a", "report", "on", "week", "market", "officials", "today"]


def make_corpus(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Short documents whose words come from the vocabularies of 1–2 topics plus filler."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    texts, labels = [], []
    for _ in range(n):
        k = 1 + int(rng.random() < 0.3)
        tags = sorted(rng.choice(names, size=k, replace=False).tolist())
        words = [w for t in tags for w in rng.choice(TOPICS[t], size=4).tolist()]
        words += rng.choice(FILLER, size=6).tolist()
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        labels.append(tags)
    return texts, labels


TRAIN = make_corpus(90, 0)
TEST = make_corpus(30, 1)


def indicator(labels: list[list[str]], classes: np.ndarray) -> np.ndarray:
    return np.array([[c in row for c in classes] for row in labels], dtype=np.int64)


def fitted(**kwargs) -> TextClassifier:
    model = kwargs.pop("model", LinearOneVsRest(C=20.0))
    return TextClassifier(TfidfFeaturizer(**kwargs), model).fit(*TRAIN)


def test_learns_topics_from_text() -> None:
    clf = fitted()
    assert list(clf.classes_) == ["grain", "money", "oil"]
    Y = indicator(TEST[1], clf.classes_)
    P = clf.predict(TEST[0])
    assert P.shape == Y.shape and P.dtype == np.int64
    assert (P == Y).mean() > 0.9
    labels = clf.predict_labels(["Crude oil and OPEC barrel prices."])[0]
    assert labels[0][0] == "oil"
    assert clf.transform(TEST[0]).shape == (30, clf.n_features_in_)


def test_empty_and_whitespace_texts_predict_like_any_text() -> None:
    clf = fitted()
    proba = clf.predict_proba(["", "   ", "\n"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba[0], proba[1])  # no terms: the model's prior only
    assert clf.predict(["", "wheat"]).shape == (2, 3)


def test_defaults_and_matrix_targets() -> None:
    Y = sp.csr_matrix(indicator(TRAIN[1], np.array(["grain", "money", "oil"])))
    clf = TextClassifier().fit(TRAIN[0], Y)  # TfidfFeaturizer + make_model("linear")
    assert isinstance(clf.featurizer_, TfidfFeaturizer)
    assert isinstance(clf.model_, LinearOneVsRest)
    assert clf.predict_proba(TEST[0]).shape == (30, 3)
    assert clf.featurizer is None and clf.model is None  # params untouched by fit
    assert clone(clf).get_params()["featurizer"] is None


def test_thresholds_override_and_reset_on_refit() -> None:
    clf = fitted()
    clf.thresholds_ = np.array([1.1, 1.1, 0.0])  # never grain/money, always oil
    P = clf.predict(TEST[0])
    assert P[:, :2].sum() == 0 and P[:, 2].all()
    rows, proba = clf.predict_labels(TEST[0][:3]), clf.predict_proba(TEST[0][:3])
    for row, p in zip(rows, proba[:, 2], strict=True):
        assert row == [("oil", pytest.approx(p))]
    clf.fit(*TRAIN)
    assert not hasattr(clf, "thresholds_")


def test_tuned_thresholds_with_validation_texts() -> None:
    inner = ThresholdedClassifier(LinearOneVsRest(C=20.0), strategy="per_label")
    clf = TextClassifier(TfidfFeaturizer(), inner).fit(
        *TRAIN, X_val=TEST[0], Y_val=indicator(TEST[1], np.array(["grain", "money", "oil"]))
    )
    assert clf.model_.thresholds_.shape == (3,)
    assert clf.predict(TEST[0]).shape == (30, 3)
    assert len(clf.predict_labels(TEST[0][:2])) == 2


def test_out_of_fold_scores_take_a_list_of_texts() -> None:
    texts, labels = TRAIN
    Y = indicator(labels, np.array(sorted(TOPICS)))
    pipeline = TextClassifier(TfidfFeaturizer(), LinearOneVsRest(C=20.0))
    oof = out_of_fold_scores(pipeline, texts, Y, cv=3, random_state=0)
    assert oof.shape == Y.shape and np.isfinite(oof).all()
    assert micro_f1(Y, (oof >= 0.5).astype(int)) > 0.8  # each row scored by a fold without it


def test_save_load_round_trip(tmp_path) -> None:
    inner = ThresholdedClassifier(LinearOneVsRest(C=20.0), strategy="per_label", cv=3)
    clf = TextClassifier(TfidfFeaturizer(min_df=1), inner).fit(*TRAIN)
    clf.thresholds_ = np.full(3, 0.4)
    save_model(clf, tmp_path / "m")
    back = load_model(tmp_path / "m")
    assert isinstance(back, TextClassifier)
    assert isinstance(back.featurizer, TfidfFeaturizer) and back.featurizer.min_df == 1
    texts = [*TEST[0], "", "naïve café 東京 🙂"]
    np.testing.assert_array_equal(back.predict_proba(texts), clf.predict_proba(texts))
    np.testing.assert_array_equal(back.predict(texts), clf.predict(texts))
    np.testing.assert_array_equal(back.thresholds_, clf.thresholds_)
    assert list(back.classes_) == list(clf.classes_)


def test_combined_featurizer_stacks_blocks() -> None:
    word = TfidfFeaturizer(char_ngram_range=None)
    char = TfidfFeaturizer(word_ngram_range=None)
    comb = CombinedFeaturizer([word, char], weights=[1.0, 0.5])
    X = comb.fit_transform(TRAIN[0])
    nw = clone(word).fit(TRAIN[0]).n_features_out_
    assert sp.isspmatrix_csr(X) and X.shape == (90, comb.n_features_out_)
    np.testing.assert_allclose(sp.linalg.norm(X[:, :nw], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(sp.linalg.norm(X[:, nw:], axis=1), 0.5, rtol=1e-5)
    assert len(comb.get_feature_names_out()) == X.shape[1]
    assert comb.featurizers[0] is word and not hasattr(word, "vectorizers_")  # templates cloned


def test_combined_featurizer_round_trip(tmp_path) -> None:
    comb = CombinedFeaturizer(
        [TfidfFeaturizer(char_ngram_range=None), TfidfFeaturizer(word_ngram_range=None)], [1, 2]
    )
    clf = TextClassifier(comb, LinearOneVsRest(C=20.0)).fit(*TRAIN)
    save_model(clf, tmp_path / "m")
    back = load_model(tmp_path / "m")
    np.testing.assert_array_equal(back.predict_proba(TEST[0]), clf.predict_proba(TEST[0]))


def test_combined_featurizer_errors() -> None:
    with pytest.raises(ConfigError, match="at least one featurizer"):
        CombinedFeaturizer([]).fit(TRAIN[0])
    with pytest.raises(ConfigError, match="2 featurizers but 1 weights"):
        CombinedFeaturizer([TfidfFeaturizer(), TfidfFeaturizer()], [1.0]).fit(TRAIN[0])
    with pytest.raises(ConfigError, match="finite and >= 0"):
        CombinedFeaturizer([TfidfFeaturizer()], [-1.0]).fit(TRAIN[0])
    with pytest.raises(ModelFormatError, match="combined featurizer state is damaged"):
        CombinedFeaturizer()._restore_artifact({"featurizers": [], "weights": [1.0]}, {})


def test_dense_blocks_stay_dense() -> None:
    class Dense(TfidfFeaturizer):
        def transform(self, X):  # type: ignore[no-untyped-def]
            return super().transform(X).toarray()

        def fit_transform(self, X, y=None, **kw):  # type: ignore[no-untyped-def]
            return super().fit_transform(X).toarray()

    X = CombinedFeaturizer([Dense(), Dense()]).fit_transform(TRAIN[0])
    assert isinstance(X, np.ndarray) and X.dtype == np.float32


def test_pipeline_errors() -> None:
    with pytest.raises(DataFormatError, match="needs targets"):
        TextClassifier().fit(TRAIN[0], None)
    with pytest.raises(DataFormatError, match="90 texts but 3 rows of labels"):
        TextClassifier().fit(TRAIN[0], TRAIN[1][:3])
    with pytest.raises(ConfigError, match=r"threshold must be in \[0, 1\]"):
        TextClassifier(threshold=2.0).fit(*TRAIN)
    with pytest.raises(DataFormatError, match="single string"):
        fitted().predict("one text, not a list")
    clf = fitted()
    with pytest.raises(ModelFormatError, match="lacks its featurizer or model"):
        clf._restore_artifact({"featurizer": None, "model": None}, {})
    with pytest.raises(ModelFormatError, match="2 thresholds for 3 labels"):
        clf._restore_artifact(
            {"featurizer": clf.featurizer_, "model": clf.model_}, {"thresholds": np.ones(2)}
        )
