"""Threshold strategies on the MULAN benchmarks (official train/test splits).

One base model per dataset (tagwise's LinearOneVsRest with default parameters) is fitted on the
training split. Its scores become label sets by

* ``fixed 0.5`` — the usual default;
* ``global`` — one threshold tuned for micro-F1;
* ``per_label`` — a threshold per label tuned for F1 (``PerLabelThreshold()``: labels with < 5
  positives in the tuning data keep the global threshold, and a label leaves the global threshold
  only as far as its F1 gain exceeds 0.5 standard errors — the one-standard-error rule);
* ``per_label exact`` — the same without the second guard (``tolerance=0``: the exact F1-optimal
  cut of every label), shown because it overfits flat F1 curves (it loses to 0.5 on scene);
* ``calibrated`` — every label's scores Platt-scaled, then one threshold for micro-F1
  (``CalibratedThreshold()``).

The tuned strategies are fitted on *training-side* held-out scores only — out-of-fold scores of
5 iterative-stratified folds (what ``ThresholdedClassifier(cv=5)`` does), or for the two large
datasets a stratified 20 % validation split of the training set (``ThresholdedClassifier.fit(X,
Y, X_val=..., Y_val=...)``), because 6 fits of 983 labels take too long on 2 cores. The test split
is used once, to report. All strategies share the same fitted model, so only the decision rule
differs.

    python benchmarks/thresholds.py                     # yeast scene bibtex delicious
    python benchmarks/thresholds.py yeast scene --tuning oof
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from tagwise.data import read
from tagwise.metrics import macro_f1, micro_f1
from tagwise.model_selection import MultilabelStratifiedShuffleSplit
from tagwise.models import LinearOneVsRest
from tagwise.thresholds import (
    CalibratedThreshold,
    FixedThreshold,
    GlobalThreshold,
    PerLabelThreshold,
    out_of_fold_scores,
)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
LARGE = 1_000_000  # n_train × n_labels above which "auto" tunes on a validation split


def dense(Y):
    return Y.toarray() if sp.issparse(Y) else np.asarray(Y)


def run(name: str, tuning: str, folds: int, seed: int) -> dict:
    train = read(DATASETS / name / f"{name}-train.arff")
    test = read(DATASETS / name / f"{name}-test.arff")
    X, Y, Xt, Yt = train.X, dense(train.Y), test.X, dense(test.Y)
    if tuning == "auto":
        tuning = "valid" if Y.shape[0] * Y.shape[1] > LARGE else "oof"
    base = LinearOneVsRest()
    t0 = time.perf_counter()
    if tuning == "oof":
        model = clone(base).fit(X, Y)
        tune_Y, tune_S = Y, out_of_fold_scores(base, X, Y, cv=folds, random_state=seed)
        how = f"out-of-fold, {folds} folds"
    else:
        split = MultilabelStratifiedShuffleSplit(1, test_size=0.2, random_state=seed)
        fit_idx, val_idx = next(split.split(X, Y))
        model = clone(base).fit(X[fit_idx], Y[fit_idx])
        tune_Y, tune_S = Y[val_idx], model.predict_proba(X[val_idx])
        how = "20 % validation split"
    scores = model.predict_proba(Xt)
    row = {
        "dataset": name,
        "n_train": Y.shape[0],
        "n_test": Yt.shape[0],
        "labels": Y.shape[1],
        "tuning": how,
    }
    strategies = {
        "fixed 0.5": FixedThreshold(0.5),
        "global": GlobalThreshold(),
        "per_label": PerLabelThreshold(),
        "per_label exact": PerLabelThreshold(tolerance=0),
        "calibrated": CalibratedThreshold(),
    }
    for label, strategy in strategies.items():
        pred = strategy.fit(tune_Y, tune_S).apply(scores)
        row[label] = (macro_f1(Yt, pred), micro_f1(Yt, pred))
    row["seconds"] = time.perf_counter() - t0
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", nargs="*", default=["yeast", "scene", "bibtex", "delicious"])
    ap.add_argument("--tuning", choices=["auto", "oof", "valid"], default="auto")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not DATASETS.is_dir():
        raise SystemExit(f"{DATASETS} not found: the MULAN datasets live in ../shared/datasets")
    print(
        "| dataset | train × labels | tuned on | macro-F1 @0.5 | global | **per-label** | "
        "Δ vs 0.5 | per-label exact | calibrated | micro-F1 @0.5 | micro-F1 global | "
        "micro-F1 per-label | micro-F1 calibrated | time (s) |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.datasets:
        r = run(name, args.tuning, args.folds, args.seed)
        gain = r["per_label"][0] - r["fixed 0.5"][0]
        print(
            f"| {name} | {r['n_train']} × {r['labels']} | {r['tuning']} | "
            f"{r['fixed 0.5'][0]:.4f} | {r['global'][0]:.4f} | **{r['per_label'][0]:.4f}** | "
            f"{gain:+.4f} | {r['per_label exact'][0]:.4f} | {r['calibrated'][0]:.4f} | "
            f"{r['fixed 0.5'][1]:.4f} | {r['global'][1]:.4f} | {r['per_label'][1]:.4f} | "
            f"{r['calibrated'][1]:.4f} | {r['seconds']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
