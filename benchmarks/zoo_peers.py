"""The peers' quality on the MULAN test splits, scored with tagwise's metrics (example-F1 too).

Usage::

    python benchmarks/zoo_peers.py [--datasets yeast,scene,emotions] [--only "ovr,mlknn"]

The issue's peer table gives micro-F1 and P@1 only; the quality target also asks tagwise's
CV-selected model to beat the best peer's *example*-F1, so the peers are run here. Each peer is
fitted on the training split in ``benchmarks/.env-zoo`` (scikit-learn, scikit-multilearn-ng; see
``zoo.py``), in a fresh process, with its defaults and its own decisions (``predict``, i.e. a 0.5
threshold); its predictions and scores come back as arrays and are scored here with
``tagwise.metrics``, exactly like tagwise's models in ``zoo.py``. Costly peers are skipped on the
many-label sets (listed in ``SKIP``), as a user with this 2-core machine would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ALL, PEER_PY, ROOT, load, scores

PEERS = ("ovr", "chain", "lp", "mlknn", "mlp", "forest")
# peer -> labels above which it is not run (hours on 2 cores, or > 300 s measured before)
SKIP = {"chain": 200, "lp": 200, "mlknn": 500, "forest": 200, "mlp": 500}


def make_peer(who: str):
    """The peer estimator, as a user would write it."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.multioutput import ClassifierChain
    from sklearn.neural_network import MLPClassifier

    if who == "ovr":
        return OneVsRestClassifier(LogisticRegression(solver="liblinear"))
    if who == "chain":
        return ClassifierChain(LogisticRegression(max_iter=1000), random_state=0)
    if who == "lp":
        from skmultilearn.problem_transform import LabelPowerset

        return LabelPowerset(LogisticRegression(max_iter=1000))
    if who == "mlknn":
        from skmultilearn.adapt import MLkNN

        return MLkNN(k=10)
    if who == "mlp":
        return MLPClassifier(random_state=0)
    if who == "forest":
        return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2)
    raise SystemExit(f"unknown peer {who}")


def worker(who: str, name: str, out: str) -> None:
    """Fit one peer on train; save its test scores and 0/1 predictions."""
    Xtr, Ytr, Xte, _ = load(name)
    dense = lambda M: M.toarray() if hasattr(M, "toarray") else np.asarray(M)  # noqa: E731
    t0 = time.perf_counter()
    model = make_peer(who).fit(Xtr, Ytr)
    pred = dense(model.predict(Xte))
    proba = model.predict_proba(Xte)
    if isinstance(proba, list):  # random forest: one (n, 2) array per label
        proba = np.column_stack([p[:, 1] if p.shape[1] > 1 else 0 * p[:, 0] for p in proba])
    seconds = time.perf_counter() - t0
    np.savez(out, P=dense(proba).astype(np.float64), pred=pred.astype(np.int64))
    print(json.dumps({"seconds": seconds}))


def run_peer(who: str, name: str, tmp: Path) -> tuple[float, np.ndarray, np.ndarray]:
    out = tmp / f"peer_{who}_{name}.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [str(PEER_PY), __file__, "_worker", who, name, str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    if res.returncode:
        raise RuntimeError(res.stderr.strip().splitlines()[-1])
    z = np.load(out)
    return json.loads(res.stdout.strip().splitlines()[-1])["seconds"], z["P"], z["pred"]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(ALL))
    parser.add_argument("--only", default=",".join(PEERS))
    args = parser.parse_args()
    tmp = Path(tempfile.gettempdir()) / "tagwise-zoo-peers"
    tmp.mkdir(exist_ok=True)
    for name in args.datasets.split(","):
        _, _, _, Yte = load(name)
        print(f"\n### {name}\n")
        print("| peer | fit+pred s | Hamming | subset | miF1 | maF1 | exF1 | P@1 | P@5 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for who in args.only.split(","):
            if Yte.shape[1] > SKIP.get(who, 10**9):
                print(f"| {who} | skipped ({Yte.shape[1]} labels) | | | | | | | |")
                continue
            try:
                seconds, P, pred = run_peer(who, name, tmp)
            except RuntimeError as exc:  # a peer that crashes is a result too
                print(f"| {who} | failed: {exc} | | | | | | | |")
                continue
            s = scores(Yte, P, pred)
            print(
                f"| {who} | {seconds:.1f} | {s['hamming']:.4f} | {s['subset']:.3f} | "
                f"{s['micro_f1']:.3f} | {s['macro_f1']:.3f} | {s['example_f1']:.3f} | "
                f"{s['p@1']:.3f} | {s['p@5']:.3f} |"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
