"""One LinearOneVsRest fit on wide text features (Reuters TF-IDF): seconds, iterations, objective.

Usage::

    python benchmarks/linear_wide.py                      # word and word+char TF-IDF, both losses
    python benchmarks/linear_wide.py --peer               # + one liblinear fit per label (1 thread)
    PYTHONPATH=/path/to/old/checkout python benchmarks/linear_wide.py   # another tagwise version

Fits ``LinearOneVsRest(C, loss)`` (its defaults otherwise) on the ``TfidfFeaturizer`` output of
the Reuters-21578 training split (7 770 documents, 90 labels) and prints fit seconds, Newton
iterations and the summed training objective at the returned weights (``0.5 ||w||^2 + C sum
loss`` per label, intercept unpenalised; lower is better, and equal objectives mean equal
models). The peer, scikit-learn's ``LinearSVC`` / ``LogisticRegression(solver="liblinear")`` per
label, penalises its intercept, so its objective is not comparable and only its seconds are
shown. The test split is not read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if "PYTHONPATH" not in os.environ:  # an explicit PYTHONPATH measures another checkout
    sys.path.insert(0, str(ROOT))

import tagwise  # noqa: E402
from tagwise.data import load_dataset  # noqa: E402
from tagwise.models import LinearOneVsRest  # noqa: E402
from tagwise.text import TfidfFeaturizer  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
RUNS = [("word", "squared_hinge", 2.0), ("word", "logistic", 1.0)]
RUNS += [("word+char", "squared_hinge", 1.0), ("word+char", "logistic", 1.0)]


def objective(X, Y: np.ndarray, W: np.ndarray, b: np.ndarray, C: float, loss: str) -> float:
    S = np.where(Y > 0, 1.0, -1.0)
    Z = np.asarray(X @ W) + b
    cell = np.logaddexp(0, -S * Z) if loss == "logistic" else np.maximum(0, 1 - S * Z) ** 2
    return float(0.5 * (W * W).sum() + C * cell.sum())


def peer_seconds(X, Y: np.ndarray, C: float, loss: str) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    t0 = time.perf_counter()
    for j in range(Y.shape[1]):
        model = (
            LinearSVC(C=C)
            if loss == "squared_hinge"
            else LogisticRegression(C=C, solver="liblinear")
        )
        model.fit(X, Y[:, j])
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", action="store_true", help="also time liblinear per label")
    args = parser.parse_args()
    train = load_dataset("reuters21578", "train", home=DATA)
    Y = np.asarray(train.Y.toarray() if hasattr(train.Y, "toarray") else train.Y)
    print(f"tagwise from {Path(tagwise.__file__).parent}")
    print("| features | loss, C | shape | fit s | Newton it. | objective | liblinear s |")
    print("|---|---|---|---|---|---|---|")
    features = {}
    for name, loss, C in RUNS:
        if name not in features:
            char = (2, 5) if name == "word+char" else None
            features[name] = TfidfFeaturizer(char_ngram_range=char).fit_transform(train.text)
        X = features[name]
        t0 = time.perf_counter()
        model = LinearOneVsRest(C=C, loss=loss).fit(X, Y)
        seconds = time.perf_counter() - t0
        f = objective(X, Y, model.coef_, model.intercept_, C, loss)
        peer = f"{peer_seconds(X, Y, C, loss):.1f}" if args.peer else ""
        print(
            f"| {name} | {loss}, {C:g} | {X.shape[0]} × {X.shape[1]} | {seconds:.1f} "
            f"| {model.n_iter_} | {f:.1f} | {peer} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
