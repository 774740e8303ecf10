"""Parsing speed and memory: tagwise's sparse ARFF and LIBSVM readers against liac-arff and
scikit-learn's ``load_svmlight_file``, side by side in one run.

Files: bibtex and delicious (train, MULAN sparse ARFF from ../shared/datasets, plus LIBSVM
copies written by tagwise) and a generated file of ``--big-mb`` MB (default 200) in both
formats with identical content. Every measurement runs in a fresh subprocess; time is the
median wall (and CPU) time of ``--repeats`` runs; memory is the peak of the Python/numpy
allocations during a second, untimed read (tracemalloc) and the peak RSS growth during the
timed read (VmHWM after reading, reset just before, minus VmRSS just before), both compared
with the size of the resulting CSR matrices (X data + indices + indptr, plus Y).

liac-arff is not a tagwise dependency: it runs from ``benchmarks/.env-parsing``::

    python3 -m venv benchmarks/.env-parsing
    benchmarks/.env-parsing/bin/pip install liac-arff numpy scipy
    python benchmarks/parsing.py                 # all files (liac-arff on the big file: minutes)
    python benchmarks/parsing.py --big-mb 0      # only the real datasets
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "benchmarks" / ".cache" / "parsing"
LIAC_PY = ROOT / "benchmarks" / ".env-parsing" / "bin" / "python"

CHILD = r"""
import json, sys, time
tool, path = sys.argv[1], sys.argv[2]
def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
def rss():
    # reset the high-water mark so that the peak of the imports does not count (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status("VmRSS:")
if tool == "liac-arff":
    import arff
else:
    import numpy as np, scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file
    from tagwise.data import read_arff, read_libsvm
# warm up on a tiny file of the same format, so that first-use costs (code pages, parser
# buffers) are not counted as memory for the data
import os, tempfile
tiny = os.path.join(tempfile.mkdtemp(), "tiny" + os.path.splitext(path)[1])
with open(tiny, "w") as f:
    if path.endswith(".arff"):
        f.write("@relation 'w: -C -1'\n@attribute a numeric\n@attribute b {0,1}\n")
        f.write("@data\n{0 1,1 1}\n")
    else:
        f.write("1 1:1\n")
if tool == "liac-arff":
    arff.load(open(tiny), return_type=arff.COO, encode_nominal=True)
elif tool == "sklearn":
    load_svmlight_file(tiny, multilabel=True, dtype=np.float32)
else:
    (read_arff if tiny.endswith(".arff") else read_libsvm)(tiny)
base = rss()
t = time.perf_counter()
c = time.process_time()
if tool == "liac-arff":
    with open(path) as f:
        d = arff.load(f, return_type=arff.COO, encode_nominal=True)
    out = {"nnz": len(d["data"][0])}
elif tool == "sklearn":
    X, y = load_svmlight_file(path, multilabel=True, dtype=np.float32)
    out = {"nnz": int(X.nnz)}
else:
    ds = (read_arff if path.endswith(".arff") else read_libsvm)(path)
    X, Y = ds.X, ds.Y
    csr = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    csr += (Y.data.nbytes + Y.indices.nbytes + Y.indptr.nbytes) if sp.issparse(Y) else Y.nbytes
    out = {"nnz": int(X.nnz), "csr_bytes": int(csr), "shape": list(X.shape)}
out["seconds"] = time.perf_counter() - t
out["cpu"] = time.process_time() - c
out["peak_growth"] = status("VmHWM:") - base
if tool != "liac-arff":
    # a second read under tracemalloc (numpy reports its buffers to it): the peak of the
    # Python/numpy allocations made while reading, without the fixed working set of the
    # interpreter and libraries that RSS growth includes. Not timed.
    import gc, tracemalloc
    if tool == "tagwise":
        del ds, X, Y
    else:
        del X, y
    gc.collect()
    tracemalloc.start()
    if tool == "sklearn":
        X, y = load_svmlight_file(path, multilabel=True, dtype=np.float32)
    else:
        ds = (read_arff if path.endswith(".arff") else read_libsvm)(path)
    out["traced_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps(out))
"""


def measure(tool: str, path: Path, repeats: int, timeout: int) -> dict | None:
    python = str(LIAC_PY) if tool == "liac-arff" else sys.executable
    runs = []
    for _ in range(repeats):
        try:
            done = subprocess.run(
                [python, "-c", CHILD, tool, str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            return {"seconds": float("inf"), "note": f"> {timeout} s"}
        if done.returncode != 0:
            print(f"{tool} on {path.name} failed: {done.stderr[-500:]}", file=sys.stderr)
            return None
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    result = dict(runs[0])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["peak_growth"] = statistics.median(r["peak_growth"] for r in runs)
    result["cpu"] = statistics.median(r["cpu"] for r in runs)
    if "traced_peak" in runs[0]:
        result["traced_peak"] = statistics.median(r["traced_peak"] for r in runs)
    return result


def libsvm_copy(arff: Path) -> Path:
    """The same data as LIBSVM (0-based, XMC header), written once by tagwise."""
    from tagwise.data import read_arff, write_libsvm

    out = CACHE / (arff.stem + ".svm")
    if not out.exists():
        ds = read_arff(arff)
        write_libsvm(out, ds.X, ds.Y, zero_based=True, header=False)
    return out


def generate(mb: int, seed: int = 0) -> tuple[Path, Path]:
    """A sparse multi-label dataset of about ``mb`` MB, as sparse ARFF and as LIBSVM."""
    arff, svm = CACHE / f"generated-{mb}mb.arff", CACHE / f"generated-{mb}mb.svm"
    if arff.exists() and svm.exists():
        return arff, svm
    rng = np.random.default_rng(seed)
    n_features, n_labels, per_row = 50_000, 1_000, 100
    n_rows = int(mb * 1e6 / (per_row * 14.0))  # ~14.5 bytes per entry: both files ≥ mb MB
    with open(arff, "w") as fa, open(svm, "w") as fs:
        fa.write(f"@relation 'generated: -C -{n_labels}'\n")
        fa.writelines(f"@attribute f{j} numeric\n" for j in range(n_features))
        fa.writelines(f"@attribute L{j} {{0,1}}\n" for j in range(n_labels))
        fa.write("@data\n")
        for start in range(0, n_rows, 2000):
            lines_a, lines_s = [], []
            for _ in range(min(2000, n_rows - start)):
                idx = np.sort(rng.choice(n_features, per_row, replace=False))
                val = [f"{v:.6f}" for v in rng.random(per_row)]
                labs = np.sort(rng.choice(n_labels, rng.integers(1, 6), replace=False))
                feats = [f"{j} {v}" for j, v in zip(idx.tolist(), val, strict=True)]
                lines_a.append(
                    "{" + ",".join(feats + [f"{n_features + k} 1" for k in labs]) + "}\n"
                )
                pairs = " ".join(f"{j}:{v}" for j, v in zip(idx.tolist(), val, strict=True))
                lines_s.append(",".join(map(str, labs.tolist())) + " " + pairs + "\n")
            fa.writelines(lines_a)
            fs.writelines(lines_s)
    return arff, svm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=int, default=200, help="generated file size; 0 skips it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--big-repeats", type=int, default=None, help="repeats on the big file (default --repeats)"
    )
    parser.add_argument("--timeout", type=int, default=1200, help="per-run limit in seconds")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    files = []
    for name in ("bibtex", "delicious"):
        arff = SHARED / name / f"{name}-train.arff"
        if arff.exists():
            files.append((name, arff, libsvm_copy(arff), args.repeats))
    if args.big_mb:
        arff, svm = generate(args.big_mb)
        files.append((f"generated {args.big_mb} MB", arff, svm, args.big_repeats or args.repeats))
    if not LIAC_PY.exists():
        print("benchmarks/.env-parsing missing: liac-arff column skipped", file=sys.stderr)
    rows = []
    for name, arff, svm, reps in files:
        res = {
            "tagwise ARFF": measure("tagwise", arff, reps, args.timeout),
            "liac-arff": measure("liac-arff", arff, reps, args.timeout)
            if LIAC_PY.exists()
            else None,
            "tagwise LIBSVM": measure("tagwise", svm, reps, args.timeout),
            "sklearn LIBSVM": measure("sklearn", svm, reps, args.timeout),
        }
        rows.append((name, arff, svm, res))
        print(f"done {name}", file=sys.stderr)
    print(table(rows))


def table(rows: list) -> str:
    """Markdown: wall seconds (CPU seconds) per reader, the ratios, and peak memory ÷ CSR size."""

    def sec(r: dict | None) -> str:
        if r is None:
            return "—"
        return r.get("note") or f"{r['seconds']:.3f} ({r['cpu']:.3f})"

    def ratio(a: dict | None, b: dict | None) -> str:
        if not a or not b or not np.isfinite(a["seconds"]) or not np.isfinite(b["seconds"]):
            return "—"
        return f"{a['seconds'] / b['seconds']:.1f}× ({a['cpu'] / b['cpu']:.1f}×)"

    lines = [
        "| file | MB (ARFF / LIBSVM) | nnz | tagwise ARFF | liac-arff | liac ÷ tagwise | "
        "tagwise LIBSVM | sklearn | tagwise ÷ sklearn | peak traced ÷ CSR size "
        "(tagwise ARFF / tagwise LIBSVM / sklearn) | peak RSS growth ÷ CSR size (same) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, arff, svm, r in rows:
        ta, la, ts, sk = r["tagwise ARFF"], r["liac-arff"], r["tagwise LIBSVM"], r["sklearn LIBSVM"]
        csr = (ts or ta or {}).get("csr_bytes")
        mem, traced = (
            " / ".join(
                f"{x[key] / csr:.2f}" if x and csr and key in x else "—" for x in (ta, ts, sk)
            )
            for key in ("peak_growth", "traced_peak")
        )
        mbs = f"{arff.stat().st_size / 1e6:.1f} / {svm.stat().st_size / 1e6:.1f}"
        lines.append(
            f"| {name} | {mbs} | {ta['nnz'] if ta else '—'} | {sec(ta)} | {sec(la)} | "
            f"{ratio(la, ta)} | {sec(ts)} | {sec(sk)} | {ratio(ts, sk)} | {traced} | {mem} |"
        )
    lines.append("")
    lines.append(
        "Times: median wall seconds (CPU seconds) of the repeats, each in a fresh process. "
        "Memory: peak of the Python/numpy allocations while reading (tracemalloc, a second "
        "read in the same process; scikit-learn's C++ buffers are invisible to it) and peak "
        "RSS growth, both divided by the result's CSR bytes (data + indices + indptr of X and Y)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
