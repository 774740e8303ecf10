"""Batch prediction memory: ``tagwise predict MODEL big.jsonl -o out.parquet`` on growing files.

Writes JSONL files of N rows (103 random features each, the shape of MULAN's yeast) for each N
in ``--rows``, runs ``tagwise predict MODEL_DIR FILE -o FILE.parquet`` on each in a fresh
process, and reports wall time and the process's peak resident memory (``ru_maxrss``). Memory
that does not grow with N is the goal: the input is read and written in chunks.

Usage::

    python benchmarks/predict_stream.py                    # 100k and 400k rows
    python benchmarks/predict_stream.py --rows 50000,200000

The model is the serving benchmark's MLP on yeast (``benchmarks/.cache/serve/mlp``, trained by
``benchmarks/serve.py`` if missing).
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

HERE = Path(__file__).resolve().parent


def write_jsonl(path: Path, n_rows: int, n_features: int) -> None:
    rng = np.random.default_rng(0)
    with open(path, "w") as fh:
        for start in range(0, n_rows, 10_000):
            block = rng.normal(size=(min(10_000, n_rows - start), n_features)).round(4)
            fh.writelines(
                json.dumps({"id": f"r{start + i}", "features": row}) + "\n"
                for i, row in enumerate(block.tolist())
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,400000")
    parser.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from serve import prepare  # the serving benchmark's cached MLP on yeast

    model_dir = prepare("mlp")[0]
    n_features = int(json.loads((model_dir / "manifest.json").read_text())["n_features_in"])
    print("| rows | input MB | wall s | rows/s | peak RSS MB |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.rows.split(",")):
            src, dst = Path(tmp) / f"in{n}.jsonl", Path(tmp) / f"out{n}.parquet"
            write_jsonl(src, n, n_features)
            code = (
                "import resource, sys; from tagwise.cli import main; rc = main(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
                "sys.exit(rc)"
            )
            cmd = [sys.executable, "-c", code, "predict", str(model_dir), str(src), "-o", str(dst)]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                sys.exit(proc.stderr)
            rss_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
            size_mb = src.stat().st_size / 2**20
            print(f"| {n} | {size_mb:.0f} | {wall:.1f} | {n / wall:.0f} | {rss_mb:.0f} |")
            src.unlink()


if __name__ == "__main__":
    main()
