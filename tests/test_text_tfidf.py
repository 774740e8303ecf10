"""TF-IDF featurizer, text input checks and the embedding cache (no model weights needed)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from tagwise.exceptions import ConfigError, DataFormatError, ModelFormatError
from tagwise.text import EmbeddingCache, TfidfFeaturizer, check_texts
from tagwise.text._cache import shared_cache, text_keys
from tagwise.text._tfidf import pack_terms, unpack_terms

DOCS = [
    "Oil prices rose sharply after the OPEC meeting.",
    "Crude oil exports fell; OPEC output unchanged.",
    "The central bank cut interest rates again.",
    "Interest rates and bank lending rose in March.",
    "Wheat and corn harvests were strong this year.",
    "Grain exports: wheat shipments up, corn flat.",
]


def test_shapes_and_blocks() -> None:
    f = TfidfFeaturizer()
    X = f.fit_transform(DOCS)
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32
    assert X.shape == (len(DOCS), f.n_features_out_)
    names = f.get_feature_names_out()
    assert len(names) == X.shape[1]
    assert any(n.startswith("word:") for n in names) and any(n.startswith("char:") for n in names)
    word_only = TfidfFeaturizer(char_ngram_range=None, min_df=1).fit(DOCS)
    assert all(n.startswith("word:") for n in word_only.get_feature_names_out())
    # each block has unit L2 norm, so a row of the two-block matrix has norm sqrt(2)
    np.testing.assert_allclose(sp.linalg.norm(X, axis=1), np.sqrt(2), rtol=1e-5)


def test_sublinear_tf_dampens_repeats() -> None:
    docs = ["oil oil oil oil oil oil oil oil bank", "bank oil"]
    lin = TfidfFeaturizer(sublinear_tf=False, char_ngram_range=None, min_df=1).fit(docs)
    sub = TfidfFeaturizer(sublinear_tf=True, char_ngram_range=None, min_df=1).fit(docs)
    names = list(lin.get_feature_names_out())
    oil, bank = names.index("word:oil"), names.index("word:bank")
    x_sub = sub.transform(docs[:1]).toarray()[0]
    x_lin = lin.transform(docs[:1]).toarray()[0]
    # both words occur in both documents (equal idf): the ratio is the tf ratio, 8 vs 1 + ln 8
    assert x_lin[oil] / x_lin[bank] == pytest.approx(8.0, rel=1e-5)
    assert x_sub[oil] / x_sub[bank] == pytest.approx(1 + np.log(8), rel=1e-5)


def test_empty_whitespace_and_unseen_texts_are_valid() -> None:
    f = TfidfFeaturizer().fit(DOCS)
    X = f.transform(["", "   \n\t", "zzzzqqqq xxxyyy"])
    assert X.shape == (3, f.n_features_out_)
    assert X[0].nnz == 0 and X[1].nnz == 0


def test_artifact_round_trip_with_unicode_terms() -> None:
    docs = [*DOCS, "naïve café — 東京 🙂 emoji", "café 東京 again 🙂"]
    f = TfidfFeaturizer(strip_accents=None, min_df=1).fit(docs)
    state, arrays = f._artifact_state()
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    g = TfidfFeaturizer(strip_accents=None, min_df=1)
    g._restore_artifact(state, arrays)
    new = ["café 東京 🙂 oil", "bank rates"]
    assert (f.transform(new) != g.transform(new)).nnz == 0
    assert list(g.get_feature_names_out()) == list(f.get_feature_names_out())


def test_pack_terms_round_trip() -> None:
    terms = ["", "a", "東京", "🙂x", "two words"]
    packed = pack_terms(terms)
    assert packed["bytes"].dtype == np.uint8
    assert unpack_terms(packed["bytes"], packed["ends"]) == terms
    empty = pack_terms([])
    assert unpack_terms(empty["bytes"], empty["ends"]) == []


def test_restore_rejects_damage() -> None:
    f = TfidfFeaturizer().fit(DOCS)
    state, arrays = f._artifact_state()
    with pytest.raises(ModelFormatError, match="unknown TF-IDF block 'bogus'"):
        TfidfFeaturizer()._restore_artifact({"blocks": ["bogus"]}, arrays)
    broken = dict(arrays)
    broken["word.idf"] = broken["word.idf"][:-1]
    with pytest.raises(ModelFormatError, match=r"terms but .* idf weights"):
        TfidfFeaturizer()._restore_artifact(state, broken)
    missing = {k: v for k, v in arrays.items() if not k.startswith("char.")}
    with pytest.raises(ModelFormatError, match="char vocabulary is missing"):
        TfidfFeaturizer()._restore_artifact(state, missing)


def test_bad_params() -> None:
    with pytest.raises(ConfigError, match="both are None"):
        TfidfFeaturizer(word_ngram_range=None, char_ngram_range=None).fit(DOCS)
    with pytest.raises(ConfigError, match=r"char_ngram_range must be .* got \(3, 2\)"):
        TfidfFeaturizer(char_ngram_range=(3, 2)).fit(DOCS)
    with pytest.raises(ConfigError, match="char_weight must be >= 0"):
        TfidfFeaturizer(char_weight=-1).fit(DOCS)


def test_no_vocabulary_is_a_clear_error() -> None:
    with pytest.raises(DataFormatError, match="found no word terms in 2 training texts"):
        TfidfFeaturizer(char_ngram_range=None).fit(["", "  "])


def test_clone_keeps_params() -> None:
    f = TfidfFeaturizer(min_df=3, char_weight=0.5)
    assert clone(f).get_params() == f.get_params()


def test_check_texts_accepts_and_rejects() -> None:
    import pandas as pd

    assert check_texts(("a", "b")) == ["a", "b"]
    assert check_texts(np.array(["a", "b"])) == ["a", "b"]
    assert check_texts(np.array([["a"], ["b"]])) == ["a", "b"]
    assert check_texts(pd.Series(["x", ""])) == ["x", ""]
    assert check_texts([b"caf\xc3\xa9"]) == ["café"]
    with pytest.raises(DataFormatError, match="single string"):
        check_texts("just one text")
    with pytest.raises(DataFormatError, match=r"X\[1\] is not valid UTF-8 \(byte 2"):
        check_texts([b"ok", b"ab\xff"])
    with pytest.raises(DataFormatError, match=r"X\[1\] is NoneType"):
        check_texts(["fine", None])
    with pytest.raises(DataFormatError, match="0 texts"):
        check_texts([])
    with pytest.raises(DataFormatError, match="shape"):
        check_texts(np.zeros((2, 2, 2), dtype=str))
    with pytest.raises(DataFormatError, match="is not a sequence of texts"):
        check_texts(42)


def test_embedding_cache_memory_disk_and_eviction(tmp_path) -> None:
    keys = text_keys(["a", "b", "c"])
    assert len(set(keys)) == 3 and all(len(k) == 16 for k in keys)
    vectors = np.arange(9, dtype=np.float32).reshape(3, 3)
    cache = EmbeddingCache("model-x", tmp_path)
    found, _ = cache.lookup(keys)
    assert not found.any() and cache.misses == 3
    cache.store(keys, vectors)
    found, got = cache.lookup(keys[::-1])
    assert found.all() and cache.hits == 3
    np.testing.assert_array_equal(np.vstack(got), vectors[::-1])
    # a new process (here: a new cache object) finds them on disk; another model does not
    again = EmbeddingCache("model-x", tmp_path)
    assert len(again) == 3
    assert len(EmbeddingCache("model-y", tmp_path)) == 0
    small = EmbeddingCache("model-x", tmp_path, max_items=2)
    assert len(small) == 2
    # a damaged shard costs only its entries
    shard_dir = next(tmp_path.iterdir())
    (shard_dir / "shard-broken.npz").write_bytes(b"not a zip file")
    assert len(EmbeddingCache("model-x", tmp_path)) == 3


def test_shared_cache_is_per_fingerprint() -> None:
    assert shared_cache("fp-1", None) is shared_cache("fp-1", None)
    assert shared_cache("fp-1", None) is not shared_cache("fp-2", None)
