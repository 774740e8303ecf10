"""Choose the RAkEL configuration for the bibtex speed row by CV on the *training* split only.

Usage::

    python benchmarks/rakel_cv.py [--dataset bibtex] [--folds 3]
    python benchmarks/rakel_cv.py --k 3+8 --modes cooccurrence --C 10,30 --weights 0.1,0.2
    python benchmarks/rakel_cv.py --k 3+8+all --modes cooccurrence --min-count 1,3

``all`` stands for the number of labels (co-occurrence groups of all labels: on bibtex one LP
block); ``--min-count`` pools each labelset's rarer combinations into one class.

Every configuration of a small grid (k, disjoint/overlapping/cooccurrence, C) is fitted once per
fold and scored by subset accuracy on the held-out part with each decision rule: the paper's
vote, the vote with ``at_least_one``, and ``decision="labelset"`` (at least one label) at several
``evidence_weight`` values. Label powerset is cross-validated beside it as the reference. The
test split is not read. The winner is what ``benchmarks/zoo.py speed --what rakel`` runs.
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


def decisions(model, X, Y, weights: list[float]) -> dict[str, float]:
    """Subset accuracy of each decision rule of a fitted RAkEL on (X, Y)."""
    from tagwise.metrics import subset_accuracy

    vote = {"decision": "vote", "at_least_one": False}
    rules = {"vote": vote, "vote+≥1": vote | {"at_least_one": True}}
    for w in weights:
        labelset = {"decision": "labelset", "evidence_weight": w, "at_least_one": True}
        rules[f"labelset w={w}"] = labelset
    out = {}
    for name, params in rules.items():
        model.set_params(**params)
        out[name] = subset_accuracy(Y, model.predict(X))
    return out


def main() -> None:
    from sklearn.model_selection import KFold

    from tagwise.metrics import subset_accuracy
    from tagwise.models import LabelPowerset, RakelClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="bibtex")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument(
        "--k",
        default="3,5,8,3+8,5+8+12,3+5+8",
        help="labelset sizes, comma-separated; 3+8: co-occurrence groups of both sizes together",
    )
    parser.add_argument("--modes", default="disjoint,overlapping,cooccurrence")
    parser.add_argument("--C", default="3,10,30", help="regularisation values, comma-separated")
    parser.add_argument(
        "--min-count", default="1", help="RAkEL's min_count values, comma-separated"
    )
    parser.add_argument(
        "--decision-tol", type=float, default=0.005, help="RAkEL's decision_tol (0: to tol)"
    )
    parser.add_argument(
        "--weights",
        default="0.2,0.3,0.4,0.5,0.7",
        help="labelset evidence weights, comma-separated",
    )
    args = parser.parse_args()
    X, Y, _, _ = load(args.dataset)
    folds = list(KFold(args.folds, shuffle=True, random_state=0).split(X))
    lp, seconds = [], []
    for tr, va in folds:
        t0 = time.perf_counter()
        model = LabelPowerset(C=1.0).fit(X[tr], Y[tr])
        seconds.append(time.perf_counter() - t0)
        lp.append(subset_accuracy(Y[va], model.predict(X[va])))
    print(
        f"{args.dataset}, {args.folds}-fold CV on train: lp C=1 subset accuracy "
        f"{np.mean(lp):.4f} ({np.mean(seconds):.1f} s/fit)\n"
    )
    weights = [float(w) for w in args.weights.split(",")]
    rules = ["vote", "vote+≥1"] + [f"labelset w={w}" for w in weights]
    print(f"| RAkEL | {' | '.join(rules)} | s/fit |")
    print("|---" * (len(rules) + 2) + "|")
    best = (0.0, "")
    grid = itertools.product(
        [
            tuple(Y.shape[1] if k == "all" else int(k) for k in ks.split("+"))
            for ks in args.k.split(",")
        ],
        args.modes.split(","),
        [float(C) for C in args.C.split(",")],
        [int(m) for m in args.min_count.split(",")],
    )
    for sizes, mode, C, min_count in grid:
        if len(sizes) > 1 and mode != "cooccurrence":
            continue  # several sizes at once: co-occurrence groups only
        k = sizes if len(sizes) > 1 else sizes[0]
        scores: dict[str, list[float]] = {r: [] for r in rules}
        seconds = []
        for tr, va in folds:
            t0 = time.perf_counter()
            model = RakelClassifier(
                k=k,
                mode=mode,
                C=C,
                min_count=min_count,
                decision_tol=args.decision_tol,
                random_state=0,
            ).fit(X[tr], Y[tr])
            seconds.append(time.perf_counter() - t0)
            for rule, value in decisions(model, X[va], Y[va], weights).items():
                scores[rule].append(value)
        means = {r: float(np.mean(v)) for r, v in scores.items()}
        name = f"k={'+'.join(map(str, sizes))} {mode} C={C}"
        name += f" min_count={min_count}" if min_count > 1 else ""
        best = max(best, *((m, f"{name}, {r}") for r, m in means.items()))
        cells = " | ".join(f"{means[r]:.4f}" for r in rules)
        print(f"| {name} | {cells} | {np.mean(seconds):.1f} |", flush=True)
    print(f"\nbest: {best[1]} ({best[0]:.4f})")


if __name__ == "__main__":
    main()
