"""Ranking quality (P@1/P@5) of tagwise candidates, selected by K-fold CV on the training split.

Usage::

    python benchmarks/zoo_rank.py --datasets bibtex [--folds 3] [--only "linear C=0.1,mlp"]

P@1 depends only on the order of each row's scores, so no threshold is involved. Each candidate's
out-of-fold probabilities on the *training* split are computed once (and cached under
``$TMPDIR/tagwise-zoo-rank/``); an average of two candidates' probabilities is scored on the
average of their out-of-fold probabilities, which is exactly the out-of-fold output of the
averaging model (each fold's blend sees only that fold's training rows). The candidate (single
or blend) with the best CV P@1 is selected; every candidate is refit on the whole training split
and scored once on the test split, the selected one marked. Nothing is tuned on the test split.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import load, out_of_fold, precision_at

CACHE = Path(tempfile.gettempdir()) / "tagwise-zoo-rank"


def candidates(n_labels: int) -> dict[str, object]:
    """Generic candidates: the linear C grid and MLPs with the default weight decay ("auto").

    Few-label sets (<= 100 labels, where AutoClassifier also considers them) add full-length MLPs
    (BCE and asymmetric loss), an ensemble of chains and ML-kNN: cheap at that size.
    """
    from tagwise.models import make_model

    out = {
        "linear C=0.1": make_model("linear", C=0.1),
        "linear C=0.3": make_model("linear", C=0.3),
        "linear C=1": make_model("linear", C=1.0),
        "mlp 30ep": make_model("mlp", epochs=30, random_state=0),
        "mlp 512 30ep": make_model("mlp", hidden_layer_sizes=[512], epochs=30, random_state=0),
    }
    if n_labels <= 100:
        out.update(
            {
                "mlp": make_model("mlp", random_state=0),
                "mlp asymmetric": make_model("mlp", loss="asymmetric", random_state=0),
                "mlp 512": make_model("mlp", hidden_layer_sizes=[512], random_state=0),
                "ecc 10 C=0.1": make_model("ecc", C=0.1, n_chains=10, random_state=0),
                "mlknn k=10": make_model("mlknn", k=10),
            }
        )
    return out


def cached(key: str, compute) -> tuple[np.ndarray, float]:
    path = CACHE / f"{key.replace(' ', '_').replace('=', '')}.npz"
    if path.exists():
        z = np.load(path)
        return z["P"], float(z["seconds"])
    t0 = time.perf_counter()
    P = compute()
    seconds = time.perf_counter() - t0
    CACHE.mkdir(exist_ok=True)
    np.savez_compressed(path, P=P, seconds=seconds)
    return P, seconds


def run(name: str, n_folds: int, only: str | None) -> None:
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    Xtr, Ytr, Xte, Yte = load(name)
    folds = list(KFold(n_folds, shuffle=True, random_state=0).split(Xtr))
    oof, test, secs = {}, {}, {}
    for label, model in candidates(Ytr.shape[1]).items():
        if only and not any(o in label for o in only.split(",")):
            continue
        oof[label], _ = cached(
            f"{name}-{n_folds}-oof-{label}", lambda m=model: out_of_fold(m, Xtr, Ytr, folds)
        )
        test[label], secs[label] = cached(
            f"{name}-test-{label}", lambda m=model: clone(m).fit(Xtr, Ytr).predict_proba(Xte)
        )
        print(
            f"  [{name}] {label}: CV P@1 {precision_at(Ytr, oof[label], 1):.4f}",
            file=sys.stderr,
        )
    rows = [(label, oof[label], test[label], secs[label]) for label in oof]
    for a, b in combinations(list(oof), 2):  # equal-weight probability averages of two models
        rows.append(
            (f"mean({a}, {b})", (oof[a] + oof[b]) / 2, (test[a] + test[b]) / 2, secs[a] + secs[b])
        )
    scored = [
        (label, precision_at(Ytr, o, 1), precision_at(Ytr, o, 5), t, s) for label, o, t, s in rows
    ]
    chosen = max(scored, key=lambda r: r[1])[0]
    print(f"\n### {name} (selected by {n_folds}-fold CV P@1 on train: **{chosen}**)\n")
    print("| model | CV P@1 | CV P@5 | fit+pred s | test P@1 | test P@5 |")
    print("|---|---|---|---|---|---|")
    for label, cv1, cv5, t, s in scored:
        mark = " *" if label == chosen else ""
        print(
            f"| {label}{mark} | {cv1:.4f} | {cv5:.4f} | {s:.1f} | "
            f"{precision_at(Yte, t, 1):.4f} | {precision_at(Yte, t, 5):.4f} |"
        )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="bibtex")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--only", default=None, help="candidates whose name contains one of these")
    args = parser.parse_args()
    for name in args.datasets.split(","):
        run(name, args.folds, args.only)


if __name__ == "__main__":
    main()
