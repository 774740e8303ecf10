"""Choose the RAkEL configuration for the bibtex speed row by CV on the *training* split only.

Usage::

    python benchmarks/rakel_cv.py [--dataset bibtex] [--folds 3]

Every configuration of a small grid (k, disjoint/overlapping, C, with and without
``at_least_one``) is scored by K-fold subset accuracy on the training split; label powerset is
cross-validated beside it as the reference. The test split is not read. The winner is what
``benchmarks/zoo.py speed --what rakel`` runs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import load


def main() -> None:
    from sklearn.model_selection import KFold

    from tagwise.metrics import subset_accuracy
    from tagwise.models import LabelPowerset, RakelClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="bibtex")
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    X, Y, _, _ = load(args.dataset)
    folds = list(KFold(args.folds, shuffle=True, random_state=0).split(X))
    grid = [("lp C=1", LabelPowerset, {"C": 1.0})]
    for k, mode, C in itertools.product((3, 10), ("disjoint", "overlapping"), (0.3, 1.0)):
        params = {"k": k, "mode": mode, "C": C, "random_state": 0}
        grid.append((f"rakel k={k} {mode} C={C}", RakelClassifier, params))
    head = f"{args.dataset}, {args.folds}-fold CV on train"
    print(f"| {head} | subset acc. | +at_least_one | s/fit |")
    print("|---|---|---|---|")
    for name, cls, params in grid:
        plain, filled, seconds = [], [], []
        for tr, va in folds:
            t0 = time.perf_counter()
            model = cls(**params).fit(X[tr], Y[tr])
            seconds.append(time.perf_counter() - t0)
            plain.append(subset_accuracy(Y[va], model.predict(X[va])))
            if cls is RakelClassifier:
                model.set_params(at_least_one=True)
                filled.append(subset_accuracy(Y[va], model.predict(X[va])))
        extra = f"{np.mean(filled):.4f}" if filled else "-"
        print(f"| {name} | {np.mean(plain):.4f} | {extra} | {np.mean(seconds):.1f} |", flush=True)


if __name__ == "__main__":
    main()
