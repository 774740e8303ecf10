"""What ``goemotions_finetune.py`` and ``reuters_finetune.py`` share: fine-tune, save, blend.

``finetune`` fits ``TransformerClassifier`` with the settings of ``add_fit_arguments`` and saves
its probabilities for the given texts under ``benchmarks/.cache`` (and the model itself with
``--save DIR``); ``scaled_mix`` mixes its log-odds with the linear pipeline's scores;
``crossed_f1`` scores a decision rule on one half of a hold-out after fitting it on the other,
both ways.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.special import logit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.io import save_model  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.text import TransformerClassifier  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE  # noqa: E402

WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0)


def add_fit_arguments(parser: argparse.ArgumentParser, epochs: int) -> None:
    """The fine-tuning settings, on the ``fit`` sub-command."""
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=3e-3)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads on CPU")
    parser.add_argument("--save", type=Path, default=None, help="also save the fitted model here")


def finetune(
    args: argparse.Namespace,
    prefix: str,
    texts: list[str],
    Y: np.ndarray,
    outputs: dict[str, list[str]],
) -> Path:
    """Fine-tune on ``texts``/``Y`` (n, n_labels); save each output's probabilities, no scores."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
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
    model.fit(texts, Y)
    fit_s = time.perf_counter() - t0
    for h in model.history_:
        print(f"epoch {h['epoch']}: loss {h['loss']:.4f}, {h['seconds']:.0f} s", flush=True)
    if args.save:  # for throughput runs on the fitted weights (`load_model` reads it back)
        save_model(model, args.save)
    t0 = time.perf_counter()
    probabilities = {name: model.predict_proba(out) for name, out in outputs.items()}
    predict_s = time.perf_counter() - t0
    device = str(next(model.module_.parameters()).device)
    path = CACHE / (
        f"{prefix}_{device.split(':')[0]}_e{args.epochs}_lr{args.lr:g}"
        f"_len{args.max_length}_s{args.seed}.npz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **probabilities, fit_s=fit_s, predict_s=predict_s, device=device)
    n = sum(len(out) for out in outputs.values())
    print(
        f"fine-tuned on {device} in {fit_s:.0f} s ({args.epochs * len(texts) / fit_s:.1f} "
        f"texts/s); predicted {n} texts in {predict_s:.0f} s; wrote {path}"
    )
    return path


def logits(P: np.ndarray) -> np.ndarray:
    """Probabilities of any shape → log-odds, finite at 0 and 1."""
    return logit(np.clip(np.asarray(P, dtype=np.float64), 1e-7, 1 - 1e-7))


def scaled_mix(
    linear_fit: np.ndarray, tuned_fit: np.ndarray
) -> Callable[[float, np.ndarray, np.ndarray], np.ndarray]:
    """``mix(w, linear, tuned)``: each model's scores divided by their standard deviation on the
    split the weight is chosen on (one scale per model, so both speak in comparable units),
    averaged with weight ``w`` on the fine-tuned side; arrays of shape (n, n_labels)."""
    linear_scale, tuned_scale = linear_fit.std(), tuned_fit.std()

    def mix(w: float, linear: np.ndarray, tuned: np.ndarray) -> np.ndarray:
        return (1 - w) * linear / linear_scale + w * tuned / tuned_scale

    return mix


def crossed_f1(
    decide: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    S: np.ndarray,
    Y: np.ndarray,
    halves: tuple[np.ndarray, np.ndarray],
) -> tuple[float, float]:
    """Mean (micro-F1, macro-F1) of ``decide(y_fit, s_fit, s)`` fitted on a half, scored on the
    other, both ways; ``S`` and ``Y`` have shape (n, n_labels)."""
    micro, macro = [], []
    for fit_rows, score_rows in (halves, halves[::-1]):
        pred = decide(Y[fit_rows], S[fit_rows], S[score_rows])
        micro.append(micro_f1(Y[score_rows], pred))
        macro.append(macro_f1(Y[score_rows], pred))
    return float(np.mean(micro)), float(np.mean(macro))
