"""TextClassifier: raw texts in, label sets out — a featurizer and a zoo model, one artifact."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from tagwise.base import MultiLabelMixin, ranked_labels
from tagwise.exceptions import ConfigError, DataFormatError, ModelFormatError, did_you_mean
from tagwise.text._input import check_texts

__all__ = ["FEATURIZERS", "TextClassifier", "make_featurizer", "text_pipeline"]

FEATURIZERS = ("tfidf", "embedding", "combined")


def _default_model() -> Any:
    from tagwise.models import make_model

    return make_model("linear")


def make_featurizer(name: str = "tfidf", **params: Any) -> Any:
    """A text featurizer by name: ``"tfidf"`` (sparse word + char n-grams), ``"embedding"``
    (all-MiniLM-L6-v2 sentence embeddings) or ``"combined"`` (both side by side), with
    ``params`` for it (``combined``: each goes to the part that has it; ``weights`` to the
    combination). Lists become tuples (``char_ngram_range=[2, 4]`` from a config file)."""
    from tagwise.text._combine import CombinedFeaturizer
    from tagwise.text._embed import SentenceEmbedder
    from tagwise.text._tfidf import TfidfFeaturizer

    if name not in FEATURIZERS:
        raise ConfigError(
            f"unknown text featurizer {name!r}; choose one of {', '.join(FEATURIZERS)}."
            + did_you_mean(name, FEATURIZERS)
        )
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    weights = params.pop("weights", None) if name == "combined" else None
    layout: dict[str, list[type]] = {
        "tfidf": [TfidfFeaturizer],
        "embedding": [SentenceEmbedder],
        "combined": [TfidfFeaturizer, SentenceEmbedder],
    }
    parts = layout[name]
    accepted = [set(part().get_params()) for part in parts]
    unknown = sorted(set(params) - set().union(*accepted))
    if unknown:
        choices = sorted(set().union(*accepted)) + (["weights"] if name == "combined" else [])
        raise ConfigError(
            f"featurizer {name!r} has no parameter {unknown[0]!r}; it has "
            f"{', '.join(choices)}." + did_you_mean(unknown[0], choices)
        )
    built = [
        part(**{k: v for k, v in params.items() if k in keys})
        for part, keys in zip(parts, accepted, strict=True)
    ]
    return CombinedFeaturizer(built, weights) if name == "combined" else built[0]


def text_pipeline(model: Any = None, featurizer: Any = "tfidf") -> TextClassifier:
    """``TextClassifier(featurizer, model)``; ``featurizer`` may be a name (see make_featurizer)."""
    if isinstance(featurizer, str):
        featurizer = make_featurizer(featurizer)
    return TextClassifier(featurizer, model)


class TextClassifier(MultiLabelMixin, BaseEstimator):
    """A multi-label classifier over raw texts: ``featurizer`` then ``model``.

    ``fit`` clones both, fits the featurizer on the training texts and the model on its output;
    ``predict_proba`` featurizes new texts with the fitted featurizer. Any tagwise model (or any
    scikit-learn estimator whose ``predict_proba`` returns an (n_samples, n_labels) array) works
    unchanged on the text features. :func:`tagwise.save_model` stores the featurizer (TF-IDF
    vocabulary and idf as arrays, never pickle) and the model as nested artifacts.

    Parameters
    ----------
    featurizer : text featurizer or None
        Texts → features; ``None`` means :class:`TfidfFeaturizer` with its defaults.
    model : multi-label estimator or None
        Fitted on the features; ``None`` means ``make_model("linear")``.
    threshold : float
        Decision threshold used when neither ``thresholds_`` nor the model's own are set.

    Attributes
    ----------
    featurizer_, model_ : the fitted clones
    classes_ : ndarray of shape (n_labels,), label names
    n_features_in_ : int, the width of the featurized input the model sees
    thresholds_ : ndarray of shape (n_labels,), optional; set it (e.g. from a tuner) to override
        the model's thresholds — it is saved with the model
    """

    _artifact_kind = "text"
    _artifact_input = "text"

    def __init__(
        self, featurizer: Any = None, model: Any = None, *, threshold: float = 0.5
    ) -> None:
        self.featurizer = featurizer
        self.model = model
        self.threshold = threshold

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.sparse = False
        return tags

    def fit(self, X: Any, Y: Any, **fit_params: Any) -> TextClassifier:
        """Fit on texts ``X`` (sequence of str, length n_samples) and targets ``Y``.

        ``Y`` is a 0/1 matrix of shape (n_samples, n_labels), dense or CSR, or a list of label-name
        lists. Extra keyword arguments go to the model's ``fit``.
        """
        texts = check_texts(X)
        if Y is None:
            raise DataFormatError("TextClassifier needs targets: call fit(texts, Y).")
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {self.threshold}.")
        if self.featurizer is None:
            from tagwise.text._tfidf import TfidfFeaturizer

            featurizer: Any = TfidfFeaturizer()
        else:
            featurizer = clone(self.featurizer)
        model = _default_model() if self.model is None else clone(self.model)
        features = featurizer.fit_transform(texts)
        n_rows = Y.shape[0] if hasattr(Y, "shape") else len(Y)
        if n_rows != len(texts):
            raise DataFormatError(
                f"{len(texts)} texts but {n_rows} rows of labels; give one label row per text."
            )
        if fit_params.get("X_val") is not None:  # a validation set (e.g. for threshold tuning)
            fit_params = {
                **fit_params,
                "X_val": featurizer.transform(check_texts(fit_params["X_val"])),
            }
        model.fit(features, Y, **fit_params)
        self.featurizer_, self.model_ = featurizer, model
        self.classes_ = np.asarray(model.classes_)
        self.n_features_in_ = int(features.shape[1])
        if hasattr(self, "thresholds_"):
            del self.thresholds_  # thresholds tuned for an earlier fit do not carry over
        return self

    def transform(self, X: Any) -> Any:
        """The model's input for texts ``X``: shape (n_samples, n_features_in_)."""
        check_is_fitted(self, "model_")
        return self.featurizer_.transform(check_texts(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Label probabilities of shape (n_samples, n_labels) for texts ``X``."""
        proba = self.model_.predict_proba(self.transform(X))
        return np.asarray(proba, dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 label matrix of shape (n_samples, n_labels).

        ``thresholds_`` decide when set; otherwise the model's own ``predict`` (which may apply a
        tuned threshold strategy, such as :class:`tagwise.thresholds.ThresholdedClassifier`).
        """
        if getattr(self, "thresholds_", None) is not None or not hasattr(self.model_, "predict"):
            return super().predict(X)
        return np.asarray(self.model_.predict(self.transform(X)), dtype=np.int64)

    def predict_labels(
        self, X: Any, *, threshold: float | None = None, top_k: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """Label names with probabilities per text, highest first (see ``predict``)."""
        own = getattr(self, "thresholds_", None) is not None
        if threshold is not None or top_k is not None or own or not hasattr(self.model_, "predict"):
            return super().predict_labels(X, threshold=threshold, top_k=top_k)
        features = self.transform(X)
        proba = np.asarray(self.model_.predict_proba(features), dtype=np.float64)
        keep = np.asarray(self.model_.predict(features)).astype(bool)
        names = [str(c) for c in self.classes_]  # ours: the CLI may rename them after fit
        return ranked_labels(proba, keep, names)

    def _decision_thresholds(self) -> np.ndarray:
        own = getattr(self, "thresholds_", None)
        if own is not None:
            return np.asarray(own, dtype=np.float64)
        inner = getattr(self.model_, "_decision_thresholds", None)
        if inner is not None:
            return np.asarray(inner(), dtype=np.float64)
        return np.full(len(self.classes_), float(self.threshold))

    # artifact protocol: featurizer_ and model_ are saved as nested artifacts by tagwise.io
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        check_is_fitted(self, "model_")
        arrays: dict[str, np.ndarray] = {}
        if getattr(self, "thresholds_", None) is not None:
            arrays["thresholds"] = np.asarray(self.thresholds_, dtype=np.float64)
        return {"featurizer": self.featurizer_, "model": self.model_}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        featurizer, model = state.get("featurizer"), state.get("model")
        if not hasattr(featurizer, "transform") or not hasattr(model, "predict_proba"):
            raise ModelFormatError("text model state lacks its featurizer or model; it is damaged.")
        self.featurizer_, self.model_ = featurizer, model
        if "thresholds" in arrays:
            thresholds = np.asarray(arrays["thresholds"], dtype=np.float64)
            if thresholds.shape != (len(self.classes_),):
                raise ModelFormatError(
                    f"text model has {thresholds.shape[0]} thresholds for "
                    f"{len(self.classes_)} labels; it is damaged."
                )
            self.thresholds_ = thresholds
