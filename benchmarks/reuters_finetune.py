"""Reuters R90: fine-tuned MiniLM blended with the SVM pipeline, chosen on a time hold-out.

Usage::

    python benchmarks/reuters_finetune.py fit --split time [--epochs 8] [--max-length 64] ...
    python benchmarks/reuters_finetune.py fit --split full [--epochs 8] [--max-length 64] ...
    python benchmarks/reuters_finetune.py blend TIME.npz [--test FULL.npz]

``fit --split time`` fine-tunes ``TransformerClassifier`` (all-MiniLM-L6-v2 with a 90-logit
head, binary cross-entropy; mixed precision on a GPU) on the first 2/3 of the training stories
(A; they are in date order, as in ``text_holdout.py --split time``) and writes its probabilities
for the last third (B). ``fit --split full`` fine-tunes on the whole training split and writes
its test probabilities. Both go to ``benchmarks/.cache/reuters_finetune_*.npz``; nothing is
scored there.

``blend`` mixes the fine-tuned model with the SVM pipeline of ``benchmarks/text.py reuters
--char --embed --learner svc --grid 1`` (word+char TF-IDF + MiniLM embeddings, one ``LinearSVC``
per label, C=1): each model's logits are divided by their standard deviation on B (one scale per
model) and averaged with weight ``w`` on the fine-tuned side. Each ``w`` is scored on B:
``calibrated:3`` thresholds (the pipeline's rule) fitted on one half of B (iterative
stratification, seed 0) and scored on the other, both ways, at least one label per story. The
``w`` with the best B micro-F1 is chosen. Only with ``--test`` is the test split read: both
models fitted on the whole training split, their test logits mixed with the same scales and
weight, and ``calibrated:3`` thresholds fitted on all of B's blended scores (models fitted on A)
— one fit of the rule on held-out scores, where ``text.py`` uses 3-fold out-of-fold scores of the
training split. ``w = 0`` (the SVM alone) and ``w = 1`` are scored the same way beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.thresholds import make_strategy  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from finetune_blend import (  # noqa: E402
    WEIGHTS,
    add_fit_arguments,
    crossed_f1,
    finetune,
    logits,
    scaled_mix,
)
from text import CACHE, DATA, text_featurizer  # noqa: E402

RULE = "calibrated:3"


def time_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A = the first 2/3 of the (date-ordered) training stories, B = the last third."""
    return np.arange(2 * n // 3), np.arange(2 * n // 3, n)


def fit_and_scored(split: str) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts and targets to fit on, and the texts to score: A and B, or train and test."""
    train = load_dataset("reuters21578", "train", home=DATA)
    texts, Y = list(train.text), np.asarray(train.Y)
    if split == "time":
        A, B = time_split(len(texts))
        return [texts[i] for i in A], Y[A], [texts[i] for i in B]
    return texts, Y, list(load_dataset("reuters21578", "test", home=DATA).text)


def fit(args: argparse.Namespace) -> None:
    """Fine-tune on A (or all of train); save B (or test) probabilities, nothing scored."""
    fit_texts, fit_Y, out_texts = fit_and_scored(args.split)
    finetune(args, f"reuters_finetune_{args.split}", fit_texts, fit_Y, {"P": out_texts})


def svm_logits(split: str) -> np.ndarray:
    """The SVM pipeline's logits: fitted on A for B (``time``) or on train for test (``full``)."""
    path = CACHE / f"reuters_svm_c1_{split}_scores.npz"
    if path.exists():
        return np.load(path)["S"]
    fit_texts, fit_Y, out_texts = fit_and_scored(split)
    featurizer = text_featurizer(True, True, CACHE)
    model = make_model("br", estimator=LinearSVC(C=1.0))
    model.fit(featurizer.fit_transform(fit_texts), fit_Y)
    S = logits(model.predict_proba(featurizer.transform(out_texts)))
    np.savez(path, S=S)
    return S


def blend(args: argparse.Namespace) -> None:
    """Choose the blend weight on B; with --test, score the test split once."""
    train = load_dataset("reuters21578", "train", home=DATA)
    Y_B = np.asarray(train.Y)[time_split(len(train.text))[1]]
    saved = np.load(args.time_scores)
    tuned_B, svm_B = logits(saved["P"]), svm_logits("time")
    mix = scaled_mix(svm_B, tuned_B)

    def decide(y_fit: np.ndarray, s_fit: np.ndarray, s: np.ndarray) -> np.ndarray:
        rule = make_strategy(RULE, at_least_one=True).fit(y_fit, expit(s_fit))
        return rule.apply(expit(s))

    halves = next(MultilabelStratifiedKFold(2, shuffle=True, random_state=0).split(svm_B, Y_B))
    print(
        f"fine-tuned scores: {args.time_scores.name} (fit {float(saved['fit_s']):.0f} s on "
        f"{saved['device']}); B = {len(Y_B)} stories\n"
    )
    alone = decide(Y_B, tuned_B, tuned_B)  # an optimistic ceiling: rule fitted on B itself
    print(
        f"fine-tuned alone, {RULE} fitted and scored on all of B (optimistic): micro-F1 "
        f"{micro_f1(Y_B, alone):.4f}, macro-F1 {macro_f1(Y_B, alone):.4f}\n"
    )
    print("| weight of the fine-tuned model | B micro-F1 (halves crossed) | B macro-F1 |")
    print("|---|---|---|")
    b_micro = {}
    for w in WEIGHTS:
        b_micro[w], macro = crossed_f1(decide, mix(w, svm_B, tuned_B), Y_B, halves)
        print(f"| {w} | {b_micro[w]:.4f} | {macro:.4f} |", flush=True)
    best = max(b_micro, key=b_micro.__getitem__)
    print(f"\nchosen on B: w = {best}")
    if args.test is None:
        return
    Y_test = np.asarray(load_dataset("reuters21578", "test", home=DATA).Y)
    tuned_test, svm_test = logits(np.load(args.test)["P"]), svm_logits("full")
    print(f"\n| model ({RULE} fitted on all of B) | test micro-F1 | test macro-F1 |")
    print("|---|---|---|")
    for w, name in ((0.0, "SVM pipeline alone"), (1.0, "fine-tuned alone"), (best, "blend")):
        pred = decide(Y_B, mix(w, svm_B, tuned_B), mix(w, svm_test, tuned_test))
        print(f"| {name}, w = {w} | {micro_f1(Y_test, pred):.4f} | {macro_f1(Y_test, pred):.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fit", help="fine-tune on A (time) or train (full), save probabilities")
    f.add_argument("--split", choices=["time", "full"], required=True)
    add_fit_arguments(f, epochs=8)
    b = sub.add_parser("blend", help="choose the blend on B; --test scores test once")
    b.add_argument("time_scores", type=Path, help="an .npz written by `fit --split time`")
    b.add_argument("--test", type=Path, default=None, help="an .npz of `fit --split full`")
    args = parser.parse_args()
    {"fit": fit, "blend": blend}[args.command](args)


if __name__ == "__main__":
    main()
