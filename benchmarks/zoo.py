"""The model zoo on the MULAN train/test splits: quality by CV on train, speed vs peers.

Usage::

    python benchmarks/zoo.py quality [--datasets yeast,scene,emotions] [--folds 3]
    python benchmarks/zoo.py speed   [--what mlknn,linear,rakel,rakel-lp] [--datasets ...]

``quality``: for each dataset every tagwise candidate is cross-validated on the *training* split
(K folds); the out-of-fold probabilities choose one global threshold per candidate (best micro-F1)
and the candidate with the best out-of-fold micro-F1 is "selected". Every candidate is then refit
on the whole training split and scored once on the test split at its CV threshold. Nothing is
tuned on the test split. Each candidate is also scored with "at least one label" (``+≥1``: an
empty row gets its top label; the threshold re-tuned the same way). ``speed``: fit+predict time
and peak memory of tagwise vs peers, each measured in a fresh subprocess (peers run in
``benchmarks/.env-zoo``, created with ``python3 -m venv benchmarks/.env-zoo &&
benchmarks/.env-zoo/bin/pip install scikit-learn scikit-multilearn-ng``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEER_PY = ROOT / "benchmarks" / ".env-zoo" / "bin" / "python"
DATA = ROOT.parent / "shared" / "datasets"
SMALL = ("yeast", "scene", "emotions")
ALL = ("yeast", "scene", "emotions", "bibtex", "delicious", "corel5k")
# The RAkEL speed rows, both the best of benchmarks/rakel_cv.py (3-fold CV subset accuracy on
# bibtex's training split): "rakel" with each labelset's combinations seen once pooled into one
# class (the pick), "rakel-lp" without pooling (min_count=1; 4x slower)
RAKEL = {
    "rakel": {"C": 30.0, "min_count": 2, "evidence_weight": 0.15},
    "rakel-lp": {"C": 10.0, "evidence_weight": 0.25},
}


def load(name: str):
    """(X_train, Y_train, X_test, Y_test): tagwise's reader, or the stand-in in a peer venv."""
    try:
        from tagwise.data import load_dataset

        tr, te = load_dataset(name, "train", home=DATA), load_dataset(name, "test", home=DATA)
        dense = lambda Y: Y.toarray() if hasattr(Y, "toarray") else np.asarray(Y)  # noqa: E731
        return tr.X, dense(tr.Y), te.X, dense(te.Y)
    except ImportError:  # the peers' venv has no tagwise
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import _quick_arff

        return _quick_arff.load(DATA, name)


def precision_at(Y: np.ndarray, P: np.ndarray, k: int) -> float:
    top = np.argsort(-P, axis=1, kind="stable")[:, :k]
    return float(np.take_along_axis(Y, top, axis=1).sum(axis=1).mean() / k)


def scores(Y: np.ndarray, P: np.ndarray, thr: float | np.ndarray) -> dict[str, float]:
    """All metrics; ``thr`` is a global threshold or the 0/1 predictions themselves."""
    from tagwise.metrics import example_f1, hamming_loss, macro_f1, micro_f1, subset_accuracy

    pred = thr if isinstance(thr, np.ndarray) else (P >= thr).astype(np.int64)
    return {
        "hamming": hamming_loss(Y, pred),
        "subset": subset_accuracy(Y, pred),
        "micro_f1": micro_f1(Y, pred),
        "macro_f1": macro_f1(Y, pred),
        "example_f1": example_f1(Y, pred),
        "p@1": precision_at(Y, P, 1),
        "p@5": precision_at(Y, P, 5),
    }


def candidates(name: str, n_labels: int, n_samples: int) -> dict[str, object]:
    """Generic candidates (the same rules for every dataset; only cost decides what runs)."""
    from tagwise.models import make_model

    out = {
        "linear C=0.1": make_model("linear", C=0.1),
        "linear C=1": make_model("linear", C=1.0),
        "linear C=0.1 weighted": make_model("linear", C=0.1, class_weight="balanced"),
        "mlknn k=10": make_model("mlknn", k=10),
    }
    if n_labels <= 100:  # chains, powersets and the MLP are for few labels (see AutoClassifier)
        out["chain C=0.1"] = make_model("chain", C=0.1)
        out["ecc 10 C=0.1"] = make_model("ecc", C=0.1, n_chains=10, random_state=0)
        out["rakel-d k=3"] = make_model("rakel", k=3, C=0.1, random_state=0)
        out["lp"] = make_model("lp", C=0.1)
        out["mlp"] = make_model("mlp", random_state=0)
        out["mlp asymmetric"] = make_model("mlp", loss="asymmetric", random_state=0)
    else:  # many labels on a loaded 2-core machine: one C grid point less, MLPs with 30 epochs
        del out["linear C=0.1 weighted"]
        # AdamW (decoupled weight decay): with Adam's coupled L2 the weights of rare sparse
        # features are pushed to zero at the learning rate (Adam normalises the gradient) and
        # the net collapses to its biases on bag-of-words data (bibtex, holdout inside train:
        # micro-F1 0.05 with "adam", 0.47 with "adamw")
        out["mlp 30ep adamw"] = make_model("mlp", epochs=30, optimizer="adamw", random_state=0)
        out["mlp 30ep asymmetric adamw"] = make_model(
            "mlp", epochs=30, optimizer="adamw", loss="asymmetric", random_state=0
        )
    return out


def out_of_fold(model, Xtr, Ytr, folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Out-of-fold probabilities; an MLP trains all its folds in one stacked run (fit_many)."""
    from sklearn.base import clone

    oof = np.zeros(Ytr.shape)
    if hasattr(model, "fit_many"):
        for m, (_, va) in zip(model.fit_many(Xtr, Ytr, [tr for tr, _ in folds]), folds):
            oof[va] = m.predict_proba(Xtr[va])
        return oof
    for tr, va in folds:
        oof[va] = clone(model).fit(Xtr[tr], Ytr[tr]).predict_proba(Xtr[va])
    return oof


def cross_fitted_per_label(Y, oof, folds) -> tuple[float, object]:
    """Honest CV micro-F1 of per-label thresholds, and the thresholds fitted on all of ``oof``.

    Per-label thresholds tuned on the same out-of-fold scores they are scored on would flatter
    themselves; so for each fold the thresholds are fitted on the *other* folds' out-of-fold
    scores and applied to this fold (cross-fitting), and only that score enters selection.
    """
    from tagwise.metrics import micro_f1
    from tagwise.thresholds import PerLabelThreshold

    pred = np.zeros(Y.shape, dtype=np.int64)
    for tr, va in folds:
        pred[va] = PerLabelThreshold().fit(Y[tr], oof[tr]).apply(oof[va])
    return micro_f1(Y, pred), PerLabelThreshold().fit(Y, oof)


def decide(P: np.ndarray, thr: float, at_least_one: bool = False) -> np.ndarray:
    """0/1 predictions at a global threshold; ``at_least_one`` adds each empty row's top label."""
    from tagwise.thresholds import ensure_at_least_one

    pred = (P >= thr).astype(np.int64)
    return ensure_at_least_one(pred, P) if at_least_one else pred


def best_threshold(Y: np.ndarray, P: np.ndarray, at_least_one: bool = False) -> tuple[float, float]:
    """(CV micro-F1, threshold): the grid threshold with the best micro-F1 of ``decide``."""
    from tagwise.metrics import micro_f1

    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    return max((micro_f1(Y, decide(P, t, at_least_one)), float(t)) for t in grid)


def quality(datasets: list[str], n_folds: int, only: str | None) -> None:
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    for name in datasets:
        Xtr, Ytr, Xte, Yte = load(name)
        folds = list(KFold(n_folds, shuffle=True, random_state=0).split(Xtr))
        rows = []
        for label, model in candidates(name, Ytr.shape[1], Xtr.shape[0]).items():
            if only and not any(o in label for o in only.split(",")):
                continue
            t0 = time.perf_counter()
            oof = out_of_fold(model, Xtr, Ytr, folds)
            cv_seconds = time.perf_counter() - t0
            cv_f1, thr = best_threshold(Ytr, oof)
            cv_pl, per_label = cross_fitted_per_label(Ytr, oof, folds)
            t0 = time.perf_counter()
            P = clone(model).fit(Xtr, Ytr).predict_proba(Xte)
            seconds = time.perf_counter() - t0
            rows.append((label, cv_f1, f"{thr:.2f}", seconds, scores(Yte, P, thr)))
            cv_a1, thr_a1 = best_threshold(Ytr, oof, at_least_one=True)
            rows.append(
                (
                    f"{label} +≥1",
                    cv_a1,
                    f"{thr_a1:.2f} ≥1",
                    seconds,
                    scores(Yte, P, decide(P, thr_a1, at_least_one=True)),
                )
            )
            pred = per_label.apply(P).astype(np.int64)
            rows.append(
                (f"{label} +per-label thr", cv_pl, "per-label", seconds, scores(Yte, P, pred))
            )
            print(
                f"  [{name}] {label}: CV {cv_seconds:.0f} s, fit+predict {seconds:.0f} s; "
                f"CV miF1 {cv_f1:.3f} (per-label {cv_pl:.3f}); test miF1 "
                f"{rows[-3][4]['micro_f1']:.3f}, P@1 {rows[-3][4]['p@1']:.3f}",
                file=sys.stderr,
            )
        chosen = max(rows, key=lambda r: r[1])[0]
        print(f"\n### {name} (selected by {n_folds}-fold CV micro-F1 on train: **{chosen}**)\n")
        print(
            "| model | CV miF1 | thr | fit+pred s | Hamming | subset | miF1 | maF1 | exF1 |", end=""
        )
        print(" P@1 | P@5 |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for label, cv_f1, thr, sec, s in rows:
            mark = " *" if label == chosen else ""
            print(
                f"| {label}{mark} | {cv_f1:.3f} | {thr} | {sec:.1f} | {s['hamming']:.4f} | "
                f"{s['subset']:.3f} | {s['micro_f1']:.3f} | {s['macro_f1']:.3f} | "
                f"{s['example_f1']:.3f} | {s['p@1']:.3f} | {s['p@5']:.3f} |"
            )
        sys.stdout.flush()


# -- speed: each measurement in a fresh process ---------------------------------------------------
def worker(what: str, who: str, name: str, out: str) -> None:
    """Fit+predict one model; write seconds, peak-RSS increase and predictions."""
    if who == "ours":
        import torch  # noqa: F401  (import cost is not part of fit+predict)
    Xtr, Ytr, Xte, _ = load(name)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    if what == "mlknn" and who == "ours":
        from tagwise.models import MLkNN

        P = MLkNN(k=10, include_self=True).fit(Xtr, Ytr).predict_proba(Xte)
    elif what == "mlknn":
        from skmultilearn.adapt import MLkNN as PeerMLkNN

        P = PeerMLkNN(k=10).fit(Xtr, Ytr).predict_proba(Xte).toarray()
    elif what == "linear" and who == "ours":
        from tagwise.models import LinearOneVsRest

        # intercept_penalty=1: the peer's model (liblinear regularises the intercept)
        P = LinearOneVsRest(C=1.0, intercept_penalty=1.0).fit(Xtr, Ytr).predict_proba(Xte)
    elif what == "linear":
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        m = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(Xtr, Ytr)
        P = np.asarray(m.predict_proba(Xte))
    elif what in RAKEL and who == "ours":
        from tagwise.models import RakelClassifier

        # co-occurrence groups of 3, of 8 and of all labels (on bibtex one group: an LP block)
        model = RakelClassifier(
            k=(3, 8, Ytr.shape[1]),
            mode="cooccurrence",
            decision="labelset",
            at_least_one=True,
            random_state=0,
            **RAKEL[what],
        )
        P = model.fit(Xtr, Ytr).predict(Xte).astype(float)
    elif what == "rakel-paper" and who == "ours":  # the paper's RAkEL-d k=3, for comparison
        from tagwise.models import RakelClassifier

        P = RakelClassifier(k=3, C=1.0, random_state=0).fit(Xtr, Ytr).predict(Xte).astype(float)
    elif what == "lp" and who == "ours":  # tagwise's own label powerset, beside RAkEL
        from tagwise.models import LabelPowerset

        P = LabelPowerset(C=1.0).fit(Xtr, Ytr).predict(Xte).astype(float)
    elif what == "rakel":  # the peer: scikit-multilearn's label powerset
        from sklearn.linear_model import LogisticRegression
        from skmultilearn.problem_transform import LabelPowerset as PeerLP

        P = PeerLP(LogisticRegression(max_iter=1000)).fit(Xtr, Ytr).predict(Xte).toarray()
    else:
        raise SystemExit(f"unknown {what}/{who}")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024  # MiB
    np.save(out, np.asarray(P, dtype=np.float64))
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mib": peak}))


def run_worker(what: str, who: str, name: str, tmp: Path) -> tuple[dict, np.ndarray]:
    python = sys.executable if who == "ours" else str(PEER_PY)
    out = tmp / f"{what}_{who}_{name}.npy"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [python, __file__, "_worker", what, who, name, str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1]), np.load(out)


def mcnemar(Y: np.ndarray, P: np.ndarray, Q: np.ndarray) -> str:
    """Rows whose whole label set only P / only Q gets right, and the exact McNemar p-value
    (two-sided binomial test on those discordant rows) of "P and Q are equally accurate"."""
    from scipy.stats import binomtest

    p_right, q_right = (P == Y).all(axis=1), (Q == Y).all(axis=1)
    only_p, only_q = int((p_right & ~q_right).sum()), int((q_right & ~p_right).sum())
    pvalue = binomtest(only_p, only_p + only_q).pvalue if only_p + only_q else 1.0
    return f"right only by tagwise {only_p}, only by the peer {only_q}: McNemar p {pvalue:.2f}"


def speed(what: list[str], datasets: list[str]) -> None:
    from tagwise.metrics import micro_f1, subset_accuracy

    tmp = Path(tempfile.gettempdir()) / "tagwise-zoo"
    tmp.mkdir(exist_ok=True)
    print(
        "| comparison | dataset | tagwise s | peer s | speed-up | tagwise MiB | peer MiB |", end=""
    )
    print(" agreement / quality |")
    print("|---|---|---|---|---|---|---|---|")
    for w in what:
        for name in datasets:
            ours, P = run_worker(w, "ours", name, tmp)
            peer, Q = run_worker("rakel" if w == "rakel-lp" else w, "peer", name, tmp)
            _, _, _, Yte = load(name)
            if w == "mlknn":
                note = f"same 0/1 predictions in {np.mean((P >= 0.5) == (Q >= 0.5)):.4%} of cells"
            elif w == "linear":
                note = (
                    f"micro-F1 tagwise {micro_f1(Yte, (P >= 0.5).astype(int)):.4f} vs "
                    f"peer {micro_f1(Yte, (Q >= 0.5).astype(int)):.4f}; CPU s tagwise "
                    f"{ours['cpu_s']:.2f} vs peer {peer['cpu_s']:.2f} "
                    f"({peer['cpu_s'] / ours['cpu_s']:.1f}x)"
                )
            else:  # RAkEL and tagwise's LP, both against the peer's LP (run once)
                lp, R = run_worker("lp", "ours", name, tmp)
                d3, D = run_worker("rakel-paper", "ours", name, tmp)
                note = (
                    f"subset acc. RAkEL {subset_accuracy(Yte, P.astype(int)):.4f} vs "
                    f"peer LP {subset_accuracy(Yte, Q.astype(int)):.4f} "
                    f"({mcnemar(Yte, P, Q)}); tagwise LP "
                    f"{lp['seconds']:.2f} s, +{lp['peak_mib']:.0f} MiB, subset acc. "
                    f"{subset_accuracy(Yte, R.astype(int)):.4f}; RAkEL-d k=3 (no at_least_one) "
                    f"{d3['seconds']:.2f} s, subset acc. "
                    f"{subset_accuracy(Yte, D.astype(int)):.4f} (the paper's vote)"
                )
            print(
                f"| {w} | {name} | {ours['seconds']:.2f} | {peer['seconds']:.2f} | "
                f"{peer['seconds'] / ours['seconds']:.1f}x | {ours['peak_mib']:.0f} | "
                f"{peer['peak_mib']:.0f} | {note} |"
            )
            sys.stdout.flush()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["quality", "speed"])
    parser.add_argument("--datasets", default=",".join(SMALL))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--what", default="mlknn,linear,rakel")
    parser.add_argument(
        "--only", default=None, help="quality: candidates whose name contains one of these"
    )
    args = parser.parse_args()
    datasets = [d for d in args.datasets.split(",") if d]
    if args.mode == "quality":
        quality(datasets, args.folds, args.only)
    else:
        speed([w for w in args.what.split(",") if w], datasets)


if __name__ == "__main__":
    main()
