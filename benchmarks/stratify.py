"""Iterative stratification: tagwise vs the `iterative-stratification` package, side by side.

Both split the same label matrix into k folds (shuffled, same seeds); we time the whole split
(all k folds materialised) and score each partition with the distribution measures of Sechidis,
Tsoumakas & Vlahavas (2011): LD (label distribution), ED (example distribution), FZ (folds with a
label without positives), FLZ (fold-label pairs without positives); lower is better. A plain
shuffled KFold is shown for reference.

The peer runs in its own virtual environment (never a tagwise dependency)::

    python3 -m venv benchmarks/.env-stratify
    benchmarks/.env-stratify/bin/pip install numpy scikit-learn iterative-stratification
    python benchmarks/stratify.py                      # 100 000 × 100 labels, 5 folds, 3 runs
    python benchmarks/stratify.py --dataset delicious  # a real label matrix (MULAN)

Prints a markdown table: median time, speed-up, and the quality measures averaged over runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import KFold

from tagwise.model_selection import MultilabelStratifiedKFold, stratification_quality
from tagwise.model_selection._stratify import label_pairs

ROOT = Path(__file__).resolve().parents[1]
PEER_PYTHON = ROOT / "benchmarks" / ".env-stratify" / "bin" / "python"
DATASETS = ROOT.parent / "shared" / "datasets"

PEER_SCRIPT = r"""
import sys, time, numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
data = np.load(sys.argv[1])
Y, k, seeds = data["Y"], int(data["k"]), data["seeds"]
folds, times = [], []
for seed in seeds:
    t0 = time.perf_counter()
    splits = list(MultilabelStratifiedKFold(n_splits=k, shuffle=True,
                                            random_state=int(seed)).split(np.zeros(len(Y)), Y))
    times.append(time.perf_counter() - t0)
    f = np.empty(len(Y), dtype=np.int64)
    for j, (_, test) in enumerate(splits):
        f[test] = j
    folds.append(f)
np.savez(sys.argv[2], folds=np.array(folds), times=np.array(times))
"""


def synthetic_labels(n: int, n_labels: int, seed: int = 0) -> np.ndarray:
    """Power-law label frequencies (like real tag data) with correlated label groups."""
    rng = np.random.default_rng(seed)
    freq = 0.25 / (np.arange(n_labels) + 1) ** 0.9 + 0.0005  # 25 % … 0.3 %
    topic = rng.integers(0, 10, n)  # a latent topic per sample makes labels co-occur
    boost = rng.random((10, n_labels)) < 0.15
    p = np.clip(freq[None, :] * np.where(boost[topic], 3.0, 0.8), 0, 0.95)
    return (rng.random((n, n_labels)) < p).astype(np.int64)


def load_labels(name: str) -> np.ndarray:
    from tagwise.data import read

    ds = read(DATASETS / name / f"{name}-train.arff")
    Y = ds.Y
    return np.asarray(Y.toarray() if hasattr(Y, "toarray") else Y, dtype=np.int64)


def run_tagwise(Y: np.ndarray, k: int, seeds: list[int], order: int = 1):
    folds, times = [], []
    for seed in seeds:
        cv = MultilabelStratifiedKFold(k, shuffle=True, random_state=seed, order=order)
        t0 = time.perf_counter()
        splits = list(cv.split(None, Y))
        times.append(time.perf_counter() - t0)
        f = np.empty(len(Y), dtype=np.int64)
        for j, (_, test) in enumerate(splits):
            f[test] = j
        folds.append(f)
    return folds, times


def run_peer(Y: np.ndarray, k: int, seeds: list[int]):
    if not PEER_PYTHON.exists():
        sys.exit(f"peer venv missing: create {PEER_PYTHON.parent.parent} (see the docstring)")
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(inp, Y=Y.astype(np.int8), k=k, seeds=np.array(seeds))
        subprocess.run([str(PEER_PYTHON), "-c", PEER_SCRIPT, str(inp), str(out)], check=True)
        data = np.load(out)
        return list(data["folds"]), list(data["times"])


def run_kfold(Y: np.ndarray, k: int, seeds: list[int]):
    folds = []
    for seed in seeds:
        f = np.empty(len(Y), dtype=np.int64)
        for j, (_, test) in enumerate(KFold(k, shuffle=True, random_state=seed).split(Y)):
            f[test] = j
        folds.append(f)
    return folds, [float("nan")] * len(seeds)


def quality(Y: np.ndarray, pairs, folds: list[np.ndarray]) -> dict[str, float]:
    qs = [stratification_quality(Y, f) for f in folds]
    out = {key: float(np.mean([q[key] for q in qs])) for key in qs[0]}
    # LD over co-occurring label pairs: what second-order stratification improves
    out["LD_pairs"] = float(np.mean([stratification_quality(pairs, f)["LD"] for f in folds]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--labels", type=int, default=100)
    ap.add_argument("--dataset", help="a MULAN dataset under ../shared/datasets instead")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--second-order", action="store_true", help="also time order=2")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    Y = load_labels(args.dataset) if args.dataset else synthetic_labels(args.samples, args.labels)
    seeds = list(range(args.runs))
    what = args.dataset or "synthetic power-law"
    print(
        f"## {what}: {Y.shape[0]} samples × {Y.shape[1]} labels, cardinality "
        f"{Y.sum(1).mean():.2f}, {args.folds} folds, {args.runs} runs\n"
    )
    rows = {}
    rows["tagwise"] = run_tagwise(Y, args.folds, seeds)
    if args.second_order:
        rows["tagwise order=2"] = run_tagwise(Y, args.folds, seeds, order=2)
    rows["iterative-stratification 0.1.9"] = run_peer(Y, args.folds, seeds)
    rows["KFold (not stratified)"] = run_kfold(Y, args.folds, seeds)
    peer = float(np.median(rows["iterative-stratification 0.1.9"][1]))
    pairs = label_pairs(sp.csr_matrix(Y))
    print("| splitter | median time (s) | speed-up | LD ↓ | LD pairs ↓ | ED ↓ | FZ ↓ | FLZ ↓ |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    results = {}
    for name, (folds, times) in rows.items():
        q = quality(Y, pairs, folds)
        med = float(np.median(times))
        speed = f"{peer / med:.1f}×" if np.isfinite(med) else "—"
        t = f"{med:.3f}" if np.isfinite(med) else "—"
        print(
            f"| {name} | {t} | {speed} | {q['LD']:.3e} | {q['LD_pairs']:.3e} | {q['ED']:.2f} | "
            f"{q['FZ']:.1f} | "
            f"{q['FLZ']:.1f} |"
        )
        results[name] = {"times": [float(x) for x in times], "median_s": med, **q}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
