"""Reuters R90 decision rules compared on a hold-out third of the *training* split.

Usage::

    python benchmarks/text_holdout.py [--C 1] [--no-char] [--no-embed]

The training split is cut once (iterative stratification, seed 0) into A (2/3) and B (1/3).
On A the pipeline of ``benchmarks/text.py reuters --char --embed --learner svc`` is fitted
as ``ThresholdedClassifier`` fits it: TF-IDF (+ MiniLM embeddings) on A, one ``LinearSVC`` per
label on A, and 3-fold out-of-fold scores of A for the thresholds. Every threshold strategy is
fitted on those out-of-fold scores and scored once on B, with at least one label per document.
Unlike ``text_features.py`` (thresholds fitted and scored on the same out-of-fold scores), B is
never seen by the thresholds, so the figures estimate test behaviour. The test split is not read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.svm import LinearSVC  # noqa: E402

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.thresholds import make_strategy, out_of_fold_scores  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE, reuters_featurizer  # noqa: E402

STRATEGIES = [
    {"name": "per_label", "tolerance": 0},
    "per_label",
    "per_label:10",
    "per_label:30",
    "per_label:60",
    "per_label:120",
    "global",
    "fixed:0.5",  # sigmoid(margin) >= 0.5: the SVM's own decision, margin >= 0
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--no-char", action="store_true")
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = parser.parse_args()
    train = load_dataset("reuters21578", "train", home=args.data)
    texts, Y = list(train.text), np.asarray(train.Y)
    A, B = next(MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(texts, Y))
    featurizer = reuters_featurizer(not args.no_char, not args.no_embed, CACHE)
    t0 = time.perf_counter()
    XA = featurizer.fit_transform([texts[i] for i in A])
    XB = featurizer.transform([texts[i] for i in B])
    model = make_model("br", estimator=LinearSVC(C=args.C))
    scores_B = model.fit(XA, Y[A]).predict_proba(XB)
    oof_A = out_of_fold_scores(model, XA, Y[A], cv=3, random_state=0)
    seconds = time.perf_counter() - t0
    print(
        f"Reuters R90, train split: fitted on A ({len(A)} docs), scored on B ({len(B)} docs); "
        f"C={args.C}, char={not args.no_char}, embed={not args.no_embed} ({seconds:.0f} s)\n"
    )
    print("| threshold strategy (+ at least one label) | B micro-F1 | B macro-F1 |")
    print("|---|---|---|")
    for spec in STRATEGIES:
        strategy = make_strategy(spec, at_least_one=True).fit(Y[A], oof_A)
        pred = strategy.apply(scores_B)
        print(f"| {spec} | {micro_f1(Y[B], pred):.4f} | {macro_f1(Y[B], pred):.4f} |", flush=True)


if __name__ == "__main__":
    main()
