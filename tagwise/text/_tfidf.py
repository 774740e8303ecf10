"""Sparse TF-IDF features over word and character n-grams.

Word uni+bigrams carry topic; character n-grams within word boundaries (``char_wb``) add
robustness to inflection, misspelling and rare words — the combination is a strong classic
baseline for text categorisation (Joachims, ECML 1998, for the linear-SVM setting). Term
frequencies are sublinear, ``1 + log(tf)`` (Manning, Raghavan & Schütze, IR book §6.4.1), so one
repeated word does not dominate a document. Each block is L2-normalised by scikit-learn and
weighted before the blocks are stacked.

The fitted state persists as arrays and JSON only: every vocabulary is one UTF-8 byte array plus
term offsets, the idf weights a float array — never pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from tagwise.exceptions import ConfigError, DataFormatError, ModelFormatError
from tagwise.text._input import check_texts

__all__ = ["TfidfFeaturizer", "pack_terms", "unpack_terms"]

_BLOCKS = ("word", "char")


def pack_terms(terms: list[str]) -> dict[str, np.ndarray]:
    """Strings → a UTF-8 byte array and int64 end offsets (safetensors holds numbers only)."""
    encoded = [t.encode("utf-8", "surrogatepass") for t in terms]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return {"bytes": blob if blob.size else np.zeros(0, np.uint8), "ends": ends}


def unpack_terms(blob: np.ndarray, ends: np.ndarray) -> list[str]:
    """Inverse of :func:`pack_terms`."""
    raw = np.asarray(blob, dtype=np.uint8).tobytes()
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]])[: len(ends)]
    return [raw[s:e].decode("utf-8", "surrogatepass") for s, e in zip(starts, ends, strict=True)]


class TfidfFeaturizer(TransformerMixin, BaseEstimator):
    """Texts → sparse TF-IDF of shape (n_samples, n_word_terms + n_char_terms), float32 CSR.

    Parameters
    ----------
    word_ngram_range : (int, int)
        Word n-gram lengths; ``None`` drops the word block.
    char_ngram_range : (int, int)
        Character n-gram lengths inside word boundaries; ``None`` drops the character block.
    min_df : int
        Ignore terms in fewer training documents (removes typos and ids; shrinks the model).
    max_df : float
        Ignore terms in more than this share of documents.
    max_features : int or None
        Keep at most this many terms per block (the most frequent).
    sublinear_tf : bool
        Use ``1 + log(tf)``.
    lowercase, strip_accents
        Normalisation before tokenising (as in scikit-learn's ``TfidfVectorizer``).
    char_weight : float
        Weight of the character block relative to the word block (each block has unit norm).
    """

    _artifact_kind = "tfidf"

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (2, 5),
        min_df: int = 2,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        lowercase: bool = True,
        strip_accents: str | None = "unicode",
        char_weight: float = 1.0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.char_weight = char_weight

    def _vectorizer(self, block: str) -> TfidfVectorizer:
        ngrams = self.word_ngram_range if block == "word" else self.char_ngram_range
        assert ngrams is not None
        return TfidfVectorizer(
            analyzer="word" if block == "word" else "char_wb",
            ngram_range=(int(ngrams[0]), int(ngrams[1])),
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            # keep one-letter words ("I", "a"): they matter for emotions
            token_pattern=r"(?u)\b\w+\b" if block == "word" else None,
            dtype=np.float32,
        )

    def _blocks(self) -> list[str]:
        blocks = [b for b in _BLOCKS if getattr(self, f"{b}_ngram_range") is not None]
        if not blocks:
            raise ConfigError(
                "TfidfFeaturizer needs word_ngram_range or char_ngram_range (both are None)."
            )
        for b in blocks:
            lo, hi = getattr(self, f"{b}_ngram_range")
            if not 1 <= lo <= hi:
                raise ConfigError(
                    f"{b}_ngram_range must be (min, max) with 1 <= min <= max, got ({lo}, {hi})."
                )
        if self.char_weight < 0:
            raise ConfigError(f"char_weight must be >= 0, got {self.char_weight}.")
        return blocks

    def fit(self, X: Any, y: Any = None) -> TfidfFeaturizer:
        """Learn vocabularies and idf weights from texts (``y`` is ignored)."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        texts = check_texts(X)
        self.vectorizers_: dict[str, TfidfVectorizer] = {}
        parts = []
        for block in self._blocks():
            vec = self._vectorizer(block)
            try:
                parts.append(vec.fit_transform(texts))
            except InvalidParameterError as exc:  # a ValueError too: a bad setting, not the data
                raise ConfigError(f"TfidfFeaturizer: {exc}") from None
            except ValueError as exc:  # sklearn: "empty vocabulary; perhaps the documents ..."
                raise DataFormatError(
                    f"TF-IDF found no {block} terms in {len(texts)} training texts ({exc}); give "
                    "more or longer texts, or lower min_df (CLI: --set featurizer.min_df=1)."
                ) from None
            self.vectorizers_[block] = vec
        self.n_features_out_ = sum(p.shape[1] for p in parts)
        return self._stack(parts)

    def _stack(self, parts: list[sp.csr_matrix]) -> sp.csr_matrix:
        weights = [1.0 if b == "word" else float(self.char_weight) for b in self.vectorizers_]
        out = sp.hstack(
            [p * w if w != 1.0 else p for p, w in zip(parts, weights, strict=True)], format="csr"
        )
        return out.astype(np.float32, copy=False)

    def transform(self, X: Any) -> sp.csr_matrix:
        """TF-IDF of new texts; terms unseen in training are ignored (an all-zero row is valid)."""
        check_is_fitted(self, "vectorizers_")
        texts = check_texts(X)
        return self._stack([vec.transform(texts) for vec in self.vectorizers_.values()])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vectorizers_")
        names = [
            f"{b}:{t}" for b, v in self.vectorizers_.items() for t in v.get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)

    # artifact protocol (nested inside a TextClassifier)
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        check_is_fitted(self, "vectorizers_")
        arrays: dict[str, np.ndarray] = {}
        for block, vec in self.vectorizers_.items():
            terms = vec.get_feature_names_out().tolist()  # ordered by column index
            packed = pack_terms(terms)
            arrays[f"{block}.terms"] = packed["bytes"]
            arrays[f"{block}.ends"] = packed["ends"]
            arrays[f"{block}.idf"] = np.asarray(vec.idf_, dtype=np.float64)
        return {"blocks": list(self.vectorizers_)}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.vectorizers_ = {}
        for block in state["blocks"]:
            if block not in _BLOCKS:
                raise ModelFormatError(
                    f"unknown TF-IDF block {block!r} in the model; it is damaged."
                )
            try:
                terms = unpack_terms(arrays[f"{block}.terms"], arrays[f"{block}.ends"])
                idf = np.asarray(arrays[f"{block}.idf"], dtype=np.float64)
            except (KeyError, UnicodeDecodeError) as exc:
                raise ModelFormatError(
                    f"TF-IDF {block} vocabulary is missing or damaged ({exc})."
                ) from None
            if len(terms) != len(idf):
                raise ModelFormatError(
                    f"TF-IDF {block} block has {len(terms)} terms but {len(idf)} idf weights; "
                    "the model is damaged."
                )
            vec = self._vectorizer(block)
            vec.vocabulary_ = {t: i for i, t in enumerate(terms)}
            vec.idf_ = idf
            self.vectorizers_[block] = vec
        self.n_features_out_ = sum(len(v.vocabulary_) for v in self.vectorizers_.values())
