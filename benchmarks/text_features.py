"""Reuters R90 feature sets compared by out-of-fold micro-F1 on the training split only.

Usage::

    python benchmarks/text_features.py 0,0.5,1 2          # word TF-IDF (+ alpha * MiniLM emb.)
    python benchmarks/text_features.py 0.5,1 2 --char     # word+char TF-IDF (+ alpha * emb.)

Arguments: embedding weights ``alpha`` (0 = TF-IDF alone) and C values, comma-separated. 3 folds
of the training split; per fold the TF-IDF is fitted on the fold's training part and one
scikit-learn ``LinearSVC`` per label scores the held-out part; per-label thresholds (tolerance 0)
plus at least one label are then fitted and scored on these out-of-fold scores (so the figures
are optimistic in absolute terms, but comparable between feature sets). Embeddings come from
the disk cache of ``benchmarks/text.py`` (``benchmarks/.cache``). The test split is not read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.text import SentenceEmbedder, TfidfFeaturizer  # noqa: E402
from tagwise.thresholds import make_strategy  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE, DATA, LinearSVM  # noqa: E402


def out_of_fold(texts: list[str], Y: np.ndarray, E: np.ndarray | None, C: float, char: bool):
    """(n_samples, n_labels) sigmoid(LinearSVC margin) of each row, from the fold leaving it out
    (``text.py``'s ``LinearSVM``: a label without positives in the fold scores sigmoid(-30))."""
    S = np.zeros(Y.shape)
    for a, b in KFold(3, shuffle=True, random_state=0).split(Y):
        tfidf = TfidfFeaturizer(char_ngram_range=(2, 5) if char else None)
        Xa = tfidf.fit_transform([texts[i] for i in a])
        Xb = tfidf.transform([texts[i] for i in b])
        if E is not None:
            Xa, Xb = sp.hstack([Xa, E[a]]).tocsr(), sp.hstack([Xb, E[b]]).tocsr()
        S[b] = LinearSVM(C=C).fit(Xa, Y[a]).predict_proba(Xb)
    return S


def main() -> None:
    alphas = [float(x) for x in sys.argv[1].split(",")]
    grid = [float(x) for x in sys.argv[2].split(",")]
    char = "--char" in sys.argv
    train = load_dataset("reuters21578", "train", home=DATA)
    Y = train.Y.toarray() if hasattr(train.Y, "toarray") else np.asarray(train.Y)
    E = (
        SentenceEmbedder(cache_dir=str(CACHE), batch_size=64)
        .fit(train.text[:1])
        .transform(train.text)
    )
    for alpha in alphas:
        for C in grid:
            t0 = time.perf_counter()
            S = out_of_fold(train.text, Y, None if alpha == 0 else alpha * E, C, char)
            strategy = make_strategy({"name": "per_label", "tolerance": 0}, at_least_one=True)
            pred = strategy.fit(Y, S).apply(S)
            print(
                f"{'word+char' if char else 'word'} + {alpha} x emb, C={C}: out-of-fold micro-F1 "
                f"{micro_f1(Y, pred):.4f}, macro-F1 {macro_f1(Y, pred):.4f} "
                f"({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
