"""GoEmotions: fine-tuned MiniLM, alone and blended with the CPU pipeline, chosen on dev.

Usage::

    python benchmarks/goemotions_finetune.py fit [--device auto] [--epochs 3] [--lr 1e-4] ...
    python benchmarks/goemotions_finetune.py blend SCORES.npz [--test]

``fit`` fine-tunes ``TransformerClassifier`` (all-MiniLM-L6-v2 with a 28-logit head, binary
cross-entropy; mixed precision on a GPU) on the train split and writes its dev and test
probabilities, with the training time, to ``benchmarks/.cache/goemotions_finetune_*.npz``.
Nothing is scored there.

``blend`` fits the CPU pipeline of ``benchmarks/text.py goemotions`` (word+char TF-IDF + MiniLM
embeddings → ``LinearOneVsRest`` squared hinge, C=0.1) on train and mixes its dev scores with the
fine-tuned model's: each model's scores are divided by their standard deviation on dev (one
scale per model, so both speak in comparable units) and averaged with weight ``w`` on the
fine-tuned side. Each ``w`` is scored on dev as ``goemotions_dev.py`` does: per-label
thresholds tuned on one half of dev (iterative stratification, seed 0) and scored on the other,
both ways, at least one label per text. The ``w`` with the best dev macro-F1 is chosen; only
with ``--test`` are its thresholds tuned on the whole dev split and the test split scored, once,
together with the fine-tuned model alone (``w = 1``) and the CPU pipeline alone (``w = 0``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import LinearOneVsRest  # noqa: E402
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


def fit(args: argparse.Namespace) -> None:
    """Fine-tune on train; save dev and test probabilities (nothing is scored)."""
    train, dev, test = (load_dataset("goemotions", s, home=DATA) for s in ("train", "dev", "test"))
    finetune(
        args,
        "goemotions_finetune",
        list(train.text),
        np.asarray(train.Y),
        {"dev": list(dev.text), "test": list(test.text)},
    )


def linear_scores(dev: Any, test: Any) -> tuple[np.ndarray, np.ndarray]:
    """The CPU pipeline's dev and test scores (margins), fitted on train; cached on disk."""
    path = CACHE / "goemotions_linear_c0.1_scores.npz"
    if path.exists():
        saved = np.load(path)
        return saved["dev"], saved["test"]
    train = load_dataset("goemotions", "train", home=DATA)
    featurizer = text_featurizer(True, True, CACHE)
    model = LinearOneVsRest(loss="squared_hinge", C=0.1).fit(
        featurizer.fit_transform(train.text), train.Y
    )
    dev_s, test_s = (model.decision_function(featurizer.transform(d.text)) for d in (dev, test))
    np.savez(path, dev=dev_s, test=test_s)
    return dev_s, test_s


def _decide(y_fit: np.ndarray, s_fit: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Predictions on ``s`` with per-label thresholds tuned on (y_fit, s_fit), >= 1 label."""
    rule = make_strategy("per_label", at_least_one=True).fit(y_fit, expit(s_fit))
    return rule.apply(expit(s))


def blend(args: argparse.Namespace) -> None:
    """Choose the blend weight on dev; with --test, score the test split once."""
    dev, test = (load_dataset("goemotions", s, home=DATA) for s in ("dev", "test"))
    Y_dev, Y_test = np.asarray(dev.Y), np.asarray(test.Y)
    saved = np.load(args.scores)
    tuned_dev, tuned_test = logits(saved["dev"]), logits(saved["test"])
    lin_dev, lin_test = linear_scores(dev, test)
    mix = scaled_mix(lin_dev, tuned_dev)

    halves = next(MultilabelStratifiedKFold(2, shuffle=True, random_state=0).split(dev.text, Y_dev))
    print(
        f"fine-tuned scores: {args.scores.name} (fit {float(saved['fit_s']):.0f} s on "
        f"{saved['device']})\n"
    )
    print("| weight of the fine-tuned model | dev macro-F1 (halves crossed) | dev micro-F1 |")
    print("|---|---|---|")
    dev_macro = {}
    for w in WEIGHTS:
        micro, dev_macro[w] = crossed_f1(_decide, mix(w, lin_dev, tuned_dev), Y_dev, halves)
        print(f"| {w} | {dev_macro[w]:.4f} | {micro:.4f} |", flush=True)
    best = max(dev_macro, key=dev_macro.__getitem__)
    print(f"\nchosen on dev: w = {best}")
    if not args.test:
        return
    print("\n| model (per-label thresholds tuned on all of dev) | test micro-F1 | test macro-F1 |")
    print("|---|---|---|")
    for w, name in ((0.0, "CPU pipeline alone"), (1.0, "fine-tuned alone"), (best, "blend")):
        pred = _decide(Y_dev, mix(w, lin_dev, tuned_dev), mix(w, lin_test, tuned_test))
        print(f"| {name}, w = {w} | {micro_f1(Y_test, pred):.4f} | {macro_f1(Y_test, pred):.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fit", help="fine-tune on train, save dev/test probabilities")
    add_fit_arguments(f, epochs=3)
    b = sub.add_parser("blend", help="choose the blend on dev; --test scores test once")
    b.add_argument("scores", type=Path, help="an .npz written by `fit`")
    b.add_argument("--test", action="store_true", help="score the test split (once)")
    args = parser.parse_args()
    {"fit": fit, "blend": blend}[args.command](args)


if __name__ == "__main__":
    main()
