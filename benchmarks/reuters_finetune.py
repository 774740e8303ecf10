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
import time
from pathlib import Path

import numpy as np
from scipy.special import expit, logit
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.text import TransformerClassifier  # noqa: E402
from tagwise.thresholds import make_strategy  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE, DATA, text_featurizer  # noqa: E402

WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0)
RULE = "calibrated:3"


def time_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A = the first 2/3 of the (date-ordered) training stories, B = the last third."""
    return np.arange(2 * n // 3), np.arange(2 * n // 3, n)


def fit(args: argparse.Namespace) -> None:
    """Fine-tune on A (or all of train); save B (or test) probabilities, nothing scored."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    train = load_dataset("reuters21578", "train", home=DATA)
    texts, Y = list(train.text), np.asarray(train.Y)
    if args.split == "time":
        A, B = time_split(len(texts))
        fit_texts, fit_Y, out_texts = [texts[i] for i in A], Y[A], [texts[i] for i in B]
    else:
        fit_texts, fit_Y = texts, Y
        out_texts = list(load_dataset("reuters21578", "test", home=DATA).text)
    model = TransformerClassifier(
        max_length=args.max_length,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        head_lr=args.head_lr,
        device=args.device,
        random_state=args.seed,
    )
    t0 = time.perf_counter()
    model.fit(fit_texts, fit_Y)
    fit_s = time.perf_counter() - t0
    for h in model.history_:
        print(f"epoch {h['epoch']}: loss {h['loss']:.4f}, {h['seconds']:.0f} s", flush=True)
    t0 = time.perf_counter()
    P = model.predict_proba(out_texts)
    predict_s = time.perf_counter() - t0
    device = str(next(model.module_.parameters()).device)
    out = CACHE / (
        f"reuters_finetune_{args.split}_{device.split(':')[0]}_e{args.epochs}_lr{args.lr:g}"
        f"_len{args.max_length}_s{args.seed}.npz"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, P=P, fit_s=fit_s, predict_s=predict_s, device=device)
    print(
        f"fine-tuned on {device} in {fit_s:.0f} s ({args.epochs * len(fit_texts) / fit_s:.1f} "
        f"docs/s); predicted {len(out_texts)} docs in {predict_s:.0f} s; wrote {out}"
    )


def svm_logits(split: str) -> np.ndarray:
    """The SVM pipeline's logits: fitted on A for B (``time``) or on train for test (``full``)."""
    path = CACHE / f"reuters_svm_c1_{split}_scores.npz"
    if path.exists():
        return np.load(path)["S"]
    train = load_dataset("reuters21578", "train", home=DATA)
    texts, Y = list(train.text), np.asarray(train.Y)
    if split == "time":
        A, B = time_split(len(texts))
        fit_texts, fit_Y, out_texts = [texts[i] for i in A], Y[A], [texts[i] for i in B]
    else:
        fit_texts, fit_Y = texts, Y
        out_texts = list(load_dataset("reuters21578", "test", home=DATA).text)
    featurizer = text_featurizer(True, True, CACHE)
    model = make_model("br", estimator=LinearSVC(C=1.0))
    model.fit(featurizer.fit_transform(fit_texts), fit_Y)
    S = _logits(model.predict_proba(featurizer.transform(out_texts)))
    np.savez(path, S=S)
    return S


def _logits(P: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(P, dtype=np.float64), 1e-7, 1 - 1e-7))


def blend(args: argparse.Namespace) -> None:
    """Choose the blend weight on B; with --test, score the test split once."""
    train = load_dataset("reuters21578", "train", home=DATA)
    Y_B = np.asarray(train.Y)[time_split(len(train.text))[1]]
    saved = np.load(args.time_scores)
    tuned_B, svm_B = _logits(saved["P"]), svm_logits("time")
    svm_scale, tuned_scale = svm_B.std(), tuned_B.std()

    def mix(w: float, svm: np.ndarray, tuned: np.ndarray) -> np.ndarray:
        return (1 - w) * svm / svm_scale + w * tuned / tuned_scale

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
        S = mix(w, svm_B, tuned_B)
        micro, macro = [], []
        for fit_rows, score_rows in (halves, halves[::-1]):
            pred = decide(Y_B[fit_rows], S[fit_rows], S[score_rows])
            micro.append(micro_f1(Y_B[score_rows], pred))
            macro.append(macro_f1(Y_B[score_rows], pred))
        b_micro[w] = float(np.mean(micro))
        print(f"| {w} | {b_micro[w]:.4f} | {np.mean(macro):.4f} |", flush=True)
    best = max(b_micro, key=b_micro.__getitem__)
    print(f"\nchosen on B: w = {best}")
    if args.test is None:
        return
    Y_test = np.asarray(load_dataset("reuters21578", "test", home=DATA).Y)
    tuned_test, svm_test = _logits(np.load(args.test)["P"]), svm_logits("full")
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
    f.add_argument("--device", default="auto")
    f.add_argument("--epochs", type=int, default=8)
    f.add_argument("--batch-size", type=int, default=32)
    f.add_argument("--lr", type=float, default=1e-4)
    f.add_argument("--head-lr", type=float, default=3e-3)
    f.add_argument("--max-length", type=int, default=64)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--threads", type=int, default=None, help="torch threads on CPU")
    b = sub.add_parser("blend", help="choose the blend on B; --test scores test once")
    b.add_argument("time_scores", type=Path, help="an .npz written by `fit --split time`")
    b.add_argument("--test", type=Path, default=None, help="an .npz of `fit --split full`")
    args = parser.parse_args()
    {"fit": fit, "blend": blend}[args.command](args)


if __name__ == "__main__":
    main()
