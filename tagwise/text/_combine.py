"""Several text featurizers side by side: e.g. sparse TF-IDF next to a dense sentence embedding.

Lexical TF-IDF features and semantic embeddings make different errors — the first sees exact
words and rare names, the second paraphrase and sentiment — so stacking them helps a linear
model (the "NBSVM + embeddings" style of hybrid; see e.g. Wang & Manning, ACL 2012, for the
lexical side). Each block is scaled by its weight; since TF-IDF rows and normalised embeddings
both have unit L2 norm, weights directly trade one block against the other.

The result is a CSR matrix whenever any block is sparse (the dense block becomes CSR columns),
so the linear and neural models of the zoo accept it unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from tagwise.exceptions import ConfigError, ModelFormatError
from tagwise.text._input import check_texts

__all__ = ["CombinedFeaturizer"]


class CombinedFeaturizer(TransformerMixin, BaseEstimator):
    """Texts → the weighted column-wise concatenation of several featurizers' outputs.

    Parameters
    ----------
    featurizers : list of text featurizers, or None
        Each maps texts to (n_samples, n_i) features; ``None`` means
        ``[TfidfFeaturizer(), SentenceEmbedder()]``.
    weights : list of float, or None
        One weight per featurizer (default all 1.0).

    Attributes
    ----------
    featurizers_ : list of fitted featurizers (clones of ``featurizers``)
    n_features_out_ : int, the sum of the blocks' widths
    """

    _artifact_kind = "combined_features"

    def __init__(
        self, featurizers: list[Any] | None = None, weights: list[float] | None = None
    ) -> None:
        self.featurizers = featurizers
        self.weights = weights

    def _templates(self) -> tuple[list[Any], list[float]]:
        if self.featurizers is None:
            from tagwise.text._embed import SentenceEmbedder
            from tagwise.text._tfidf import TfidfFeaturizer

            templates: list[Any] = [TfidfFeaturizer(), SentenceEmbedder()]
        else:
            templates = list(self.featurizers)
        if not templates:
            raise ConfigError(
                "CombinedFeaturizer needs at least one featurizer, got an empty list."
            )
        weights = (
            [1.0] * len(templates) if self.weights is None else [float(w) for w in self.weights]
        )
        if len(weights) != len(templates):
            raise ConfigError(
                f"CombinedFeaturizer has {len(templates)} featurizers but {len(weights)} weights."
            )
        if any(not np.isfinite(w) or w < 0 for w in weights):
            raise ConfigError(f"CombinedFeaturizer weights must be finite and >= 0, got {weights}.")
        return templates, weights

    def fit(self, X: Any, y: Any = None) -> CombinedFeaturizer:
        """Fit every featurizer on the texts."""
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        texts = check_texts(X)
        templates, weights = self._templates()
        self.featurizers_ = [clone(t) for t in templates]
        parts = [f.fit_transform(texts) for f in self.featurizers_]
        self.weights_ = weights
        self.n_features_out_ = int(sum(p.shape[1] for p in parts))
        return self._stack(parts)

    def transform(self, X: Any) -> Any:
        """Features of shape (n_samples, n_features_out_): CSR if any block is sparse."""
        check_is_fitted(self, "featurizers_")
        texts = check_texts(X)
        return self._stack([f.transform(texts) for f in self.featurizers_])

    def _stack(self, parts: list[Any]) -> Any:
        scaled = [p * w if w != 1.0 else p for p, w in zip(parts, self.weights_, strict=True)]
        if any(sp.issparse(p) for p in scaled):
            out = sp.hstack([sp.csr_matrix(p) for p in scaled], format="csr")
            return out.astype(np.float32, copy=False)
        return np.hstack([np.asarray(p, dtype=np.float32) for p in scaled])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "featurizers_")
        names = [
            f"f{i}:{n}" for i, f in enumerate(self.featurizers_) for n in f.get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)

    # artifact protocol: the fitted featurizers are nested artifacts (tagwise.io saves each one)
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        check_is_fitted(self, "featurizers_")
        return {"featurizers": list(self.featurizers_), "weights": list(self.weights_)}, {}

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        featurizers, weights = state.get("featurizers"), state.get("weights")
        if (
            not isinstance(featurizers, list)
            or not isinstance(weights, list)
            or len(featurizers) != len(weights)
        ):
            raise ModelFormatError("combined featurizer state is damaged (featurizers/weights).")
        self.featurizers_ = featurizers
        self.weights_ = [float(w) for w in weights]
        self.n_features_out_ = int(sum(f.n_features_out_ for f in featurizers))
