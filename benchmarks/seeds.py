"""The deep-learning tutorial's two multi-label problems: tutorial config vs tagwise defaults.

Problem 1 (reference): make_multilabel_classification(n_samples=1000, n_features=10, n_classes=3,
n_labels=2, random_state=1); MLP 20 ReLU (he_uniform), Adam, BCE, 100 epochs, batch 32; 10×3
repeated k-fold (RepeatedKFold, random_state=1, the tutorial's protocol). Tutorial: subset
accuracy 0.812; Keras 3 on this machine class: 0.816 ± 0.032 in 280 s (from the issue; Keras is not
installed here).

Problem 2: make_multilabel_classification(n_samples=10000, n_features=6, n_classes=3, n_labels=2,
random_state=42), 33 % test split; MLP 32-16-8, 50 epochs, batch 250; test binary accuracy
(1 − Hamming loss). Tutorial 0.856; Keras here 0.861 in 8 s to fit (from the issue).

Peer in the same run: scikit-learn's MLPClassifier (multi-label capable) with the tutorial's
configuration. Run:  python benchmarks/seeds.py [--repeats N]   (prints a markdown table)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RepeatedKFold, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

from tagwise import reference_problem
from tagwise.metrics import hamming_loss, macro_f1, micro_f1, subset_accuracy
from tagwise.models import MLPClassifier

TUTORIAL_1 = dict(
    hidden_layer_sizes=(20,),
    standardize=False,
    epochs=100,
    batch_size=32,
    learning_rate=1e-3,
    lr_schedule="constant",
    weight_decay=0.0,
    hidden_init="he_uniform",
)
TUTORIAL_2 = dict(
    hidden_layer_sizes=(32, 16, 8),
    standardize=False,
    epochs=50,
    batch_size=250,
    learning_rate=1e-3,
    lr_schedule="constant",
    weight_decay=0.0,
    hidden_init="he_uniform",
)


def fmt(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def cv_tagwise(params: dict, X, Y, splits, seed: int) -> tuple[dict[str, list[float]], float]:
    """All folds trained stacked (tagwise's cross_validate fast path), timed end to end."""
    t0 = time.perf_counter()
    models = MLPClassifier(random_state=seed, **params).fit_many(X, Y, [tr for tr, _ in splits])
    scores = score_folds([(m.predict(X[te]), Y[te]) for m, (_, te) in zip(models, splits)])
    return scores, time.perf_counter() - t0


def cv_sequential(params: dict, X, Y, splits, seed: int) -> tuple[dict[str, list[float]], float]:
    """One fit per fold, one after the other (what a user's own loop would do)."""
    t0 = time.perf_counter()
    pairs = []
    for tr, te in splits:
        model = MLPClassifier(random_state=seed, **params).fit(X[tr], Y[tr])
        pairs.append((model.predict(X[te]), Y[te]))
    return score_folds(pairs), time.perf_counter() - t0


def cv_sklearn(X, Y, splits, seed: int) -> tuple[dict[str, list[float]], float]:
    t0 = time.perf_counter()
    pairs = []
    for tr, te in splits:
        model = SklearnMLP(
            hidden_layer_sizes=(20,),
            solver="adam",
            batch_size=32,
            max_iter=100,
            learning_rate_init=1e-3,
            alpha=0.0,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[tr], Y[tr])
        pairs.append((model.predict(X[te]), Y[te]))
    return score_folds(pairs), time.perf_counter() - t0


def score_folds(pairs) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"subset": [], "hamming": [], "micro": [], "macro": []}
    for pred, true in pairs:
        out["subset"].append(subset_accuracy(true, pred))
        out["hamming"].append(hamming_loss(true, pred))
        out["micro"].append(micro_f1(true, pred))
        out["macro"].append(macro_f1(true, pred))
    return out


def problem_1(repeats: int) -> None:
    ds = reference_problem()
    X, Y = ds.X, ds.Y
    splits = list(RepeatedKFold(n_splits=10, n_repeats=3, random_state=1).split(X))
    rows = []
    for name, run in [
        (
            "tagwise, tutorial config, stacked folds",
            lambda s: cv_tagwise(TUTORIAL_1, X, Y, splits, s),
        ),
        ("tagwise, defaults, stacked folds", lambda s: cv_tagwise({}, X, Y, splits, s)),
        ("tagwise, defaults, fold by fold", lambda s: cv_sequential({}, X, Y, splits, s)),
        ("scikit-learn MLPClassifier, tutorial config", lambda s: cv_sklearn(X, Y, splits, s)),
    ]:
        times, first = [], None
        for seed in range(repeats):
            scores, seconds = run(seed)
            times.append(seconds)
            first = first or scores
        rows.append((name, first, times))
    print("\n### Problem 1: reference problem, 10×3 repeated k-fold (30 fits)\n")
    print(
        "| model | subset accuracy | Hamming loss | micro-F1 | macro-F1 | "
        f"wall s (median of {repeats}) |"
    )
    print("|---|---|---|---|---|---|")
    for name, s, times in rows:
        print(
            f"| {name} | {fmt(s['subset'])} | {fmt(s['hamming'])} | {fmt(s['micro'])} | "
            f"{fmt(s['macro'])} | {np.median(times):.2f} |"
        )
    print("| tutorial (published) | 0.812 | | | | |")
    print("| Keras 3 / TensorFlow (issue, same machine class) | 0.816 ± 0.032 | | | | 280 |")


def problem_2(repeats: int) -> None:
    X, Y = make_multilabel_classification(
        n_samples=10000, n_features=6, n_classes=3, n_labels=2, random_state=42
    )
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.33, random_state=42)
    print("\n### Problem 2: 10 000 × 6, 3 labels, 33 % test split\n")
    print(
        "| model | test binary accuracy (1 − Hamming) | subset accuracy | "
        f"fit s (median of {repeats}) |"
    )
    print("|---|---|---|---|")
    for name, params in [
        ("tagwise, tutorial config (32-16-8, 50 epochs, batch 250)", TUTORIAL_2),
        ("tagwise, tutorial net + standardised input", {**TUTORIAL_2, "standardize": "auto"}),
        ("tagwise, defaults", {}),
    ]:
        times, accs, subsets = [], [], []
        for seed in range(repeats):
            t0 = time.perf_counter()
            model = MLPClassifier(random_state=seed, **params).fit(Xtr, Ytr)
            times.append(time.perf_counter() - t0)
            pred = model.predict(Xte)
            accs.append(1 - hamming_loss(Yte, pred))
            subsets.append(subset_accuracy(Yte, pred))
        print(f"| {name} | {fmt(accs)} | {fmt(subsets)} | {np.median(times):.2f} |")
    print("| tutorial (published) | 0.856 | | |")
    print("| Keras (issue, same machine class) | 0.861 | | 8 |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions (seeds)")
    args = parser.parse_args()
    MLPClassifier(epochs=1).fit(
        np.ones((4, 2)), np.eye(2, dtype=int)[[0, 1, 0, 1]]
    )  # warm up torch
    problem_1(args.repeats)
    problem_2(args.repeats)
