"""Reuters R90 decision rules compared on a hold-out third of the *training* split.

Usage::

    python benchmarks/text_holdout.py [--C 1] [--no-char] [--no-embed] [--finetune-epochs 2]
                                      [--learner svc|linear] [--split random|time]

The training split is cut once (iterative stratification, seed 0) into A (2/3) and B (1/3);
``--split time`` instead keeps the first 2/3 of the stories (they are in date order) as A and
the last third as B, as the ModApte test stories come after the training ones.
On A the pipeline of ``benchmarks/text.py reuters --char --embed --learner svc`` is fitted
as ``ThresholdedClassifier`` fits it: TF-IDF (+ MiniLM embeddings) on A, one ``LinearSVC`` per
label on A, and 3-fold out-of-fold scores of A for the thresholds. Every threshold strategy is
fitted on those out-of-fold scores and scored once on B, with at least one label per document.
``--learner linear`` puts tagwise's ``LinearOneVsRest(loss="squared_hinge")`` (the same L2-loss
SVM with an unpenalised intercept, all labels in one solve) in place of ``LinearSVC``.
Unlike ``text_features.py`` (thresholds fitted and scored on the same out-of-fold scores), B is
never seen by the thresholds, so the figures estimate test behaviour. The test split is not read.

``--finetune-epochs N`` also fine-tunes ``TransformerClassifier`` (MiniLM, on CPU) on A's texts
and scores it on B alone and blended with the SVM (mean of the logits at several weights; each
blend's ``per_label:30`` thresholds fitted on one half of B and scored on the other, both ways).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit, logit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.svm import LinearSVC  # noqa: E402

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.thresholds import make_strategy, out_of_fold_scores  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE, text_featurizer  # noqa: E402

STRATEGIES = [
    {"name": "per_label", "tolerance": 0},
    "per_label",
    "per_label:10",
    "per_label:30",
    "per_label:60",
    "per_label:120",
    "global",
    "calibrated:3",
    "calibrated:5",
    "calibrated:10",
    "fixed:0.5",  # sigmoid(margin) >= 0.5: the SVM's own decision, margin >= 0
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--no-char", action="store_true")
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--finetune-epochs", type=int, default=0)
    parser.add_argument("--learner", choices=["svc", "linear"], default="svc")
    parser.add_argument("--split", choices=["random", "time"], default="random")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = parser.parse_args()
    train = load_dataset("reuters21578", "train", home=args.data)
    texts, Y = list(train.text), np.asarray(train.Y)
    if args.split == "time":
        A, B = np.arange(2 * len(texts) // 3), np.arange(2 * len(texts) // 3, len(texts))
    else:
        A, B = next(MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(texts, Y))
    featurizer = text_featurizer(not args.no_char, not args.no_embed, CACHE)
    t0 = time.perf_counter()
    XA = featurizer.fit_transform([texts[i] for i in A])
    XB = featurizer.transform([texts[i] for i in B])
    if args.learner == "svc":
        model = make_model("br", estimator=LinearSVC(C=args.C))
    else:
        model = make_model("linear", loss="squared_hinge", C=args.C)
    scores_B = model.fit(XA, Y[A]).predict_proba(XB)
    oof_A = out_of_fold_scores(model, XA, Y[A], cv=3, random_state=0)
    seconds = time.perf_counter() - t0
    print(
        f"Reuters R90, train split: fitted on A ({len(A)} docs), scored on B ({len(B)} docs); "
        f"{args.split} split, {args.learner}, C={args.C}, char={not args.no_char}, "
        f"embed={not args.no_embed} "
        f"({seconds:.0f} s)\n"
    )
    print("| threshold strategy (+ at least one label) | B micro-F1 | B macro-F1 |")
    print("|---|---|---|")
    for spec in STRATEGIES:
        strategy = make_strategy(spec, at_least_one=True).fit(Y[A], oof_A)
        pred = strategy.apply(scores_B)
        print(f"| {spec} | {micro_f1(Y[B], pred):.4f} | {macro_f1(Y[B], pred):.4f} |", flush=True)
    if args.finetune_epochs:
        finetune_blend(
            args.finetune_epochs, [texts[i] for i in A], Y[A], [texts[i] for i in B], Y[B], scores_B
        )


def finetune_blend(
    epochs: int,
    texts_A: list[str],
    Y_A: np.ndarray,
    texts_B: list[str],
    Y_B: np.ndarray,
    svm_B: np.ndarray,
) -> None:
    """Fine-tune MiniLM on A; score it on B alone and blended with the SVM's B scores."""
    from tagwise.text import TransformerClassifier

    model = TransformerClassifier(epochs=epochs, lr=1e-4, head_lr=3e-3, device="cpu")
    t0 = time.perf_counter()
    model.fit(texts_A, Y_A)
    fit_s = time.perf_counter() - t0
    tuned_B = model.predict_proba(texts_B)
    alone = make_strategy("fixed:0.5", at_least_one=True).fit(Y_B, tuned_B).apply(tuned_B)
    print(
        f"\nfine-tuned MiniLM, {epochs} epochs on A: {fit_s:.0f} s "
        f"({epochs * len(texts_A) / fit_s:.1f} docs/s); on B at 0.5 (+ at least one label): "
        f"micro-F1 {micro_f1(Y_B, alone):.4f}, macro-F1 {macro_f1(Y_B, alone):.4f}\n"
    )
    half1, half2 = next(
        MultilabelStratifiedKFold(2, shuffle=True, random_state=0).split(svm_B, Y_B)
    )
    svm_logit, tuned_logit = (logit(np.clip(P, 1e-7, 1 - 1e-7)) for P in (svm_B, tuned_B))
    print("| weight of the fine-tuned logits | B micro-F1 (halves crossed) |")
    print("|---|---|")
    for w in (0.0, 0.2, 0.35, 0.5):
        blend = expit((1 - w) * svm_logit + w * tuned_logit)
        f1 = []
        for fit_rows, score_rows in ((half1, half2), (half2, half1)):
            rule = make_strategy("per_label:30", at_least_one=True).fit(
                Y_B[fit_rows], blend[fit_rows]
            )
            f1.append(micro_f1(Y_B[score_rows], rule.apply(blend[score_rows])))
        print(f"| {w} | {np.mean(f1):.4f} |", flush=True)


if __name__ == "__main__":
    main()
