"""The decision rule of ``tagwise train`` on raw text, compared on a hold-out of the training file.

Usage::

    python benchmarks/text_cli_default.py

The raw Reuters-21578 ModApte training file (``modapte_train.jsonl.gz``: 9 603 stories, 115
topics, 1 828 stories without any) is cut once (iterative stratification, seed 0) into A (2/3)
and B (1/3). The CLI's default text model (TF-IDF → ``LinearOneVsRest(**TEXT_MODEL)``, squared
hinge) is fitted on A; each threshold rule is fitted on 3-fold out-of-fold scores of A and scored
once on B, with and without "at least one label". The test file is not read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.cli._common import TEXT_MODEL  # noqa: E402
from tagwise.data import read  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.text import text_pipeline  # noqa: E402
from tagwise.thresholds import make_strategy, out_of_fold_scores  # noqa: E402

TRAIN = ROOT.parent / "shared" / "datasets" / "reuters21578" / "modapte_train.jsonl.gz"


def main() -> None:
    data = read(TRAIN, text_column="body", label_column="topics")
    texts = list(data.text)
    Y = data.Y.toarray() if sp.issparse(data.Y) else np.asarray(data.Y)
    splitter = MultilabelStratifiedKFold(3, shuffle=True, random_state=0)
    A, B = next(splitter.split(np.zeros((len(texts), 1)), Y))
    text_A, text_B = [texts[i] for i in A], [texts[i] for i in B]
    t0 = time.perf_counter()
    model = make_model("linear", **TEXT_MODEL)  # the CLI's default text model
    pipeline = text_pipeline(model, "tfidf")
    oof_A = out_of_fold_scores(pipeline, text_A, Y[A], cv=3, random_state=0)  # fits clones
    scores_B = pipeline.fit(text_A, Y[A]).predict_proba(text_B)
    print(
        f"raw Reuters training file: {len(texts)} texts, {Y.shape[1]} labels, "
        f"{int((Y.sum(axis=1) == 0).sum())} without any; A {len(A)}, B {len(B)} "
        f"({time.perf_counter() - t0:.0f} s)\n"
    )
    print("| threshold rule | at least one label | B micro-F1 | B macro-F1 |")
    print("|---|---|---|---|")
    for spec in ("fixed:0.5", "global", "per_label", "per_label:30"):
        for at_least_one in (False, True):
            pred = make_strategy(spec, at_least_one=at_least_one).fit(Y[A], oof_A).apply(scores_B)
            print(
                f"| {spec} | {at_least_one} | {micro_f1(Y[B], pred):.4f} "
                f"| {macro_f1(Y[B], pred):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
