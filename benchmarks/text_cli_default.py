"""The decision rule of ``tagwise train`` on raw text, compared on a hold-out of the training file.

Usage::

    python benchmarks/text_cli_default.py [--data reuters goemotions]

The raw Reuters-21578 ModApte training file (``modapte_train.jsonl.gz``: 9 603 stories, 115
topics, 1 828 stories without any) is cut once (iterative stratification, seed 0) into A (2/3)
and B (1/3), as ``text_cli_model.py`` cuts it; GoEmotions is train (A) → dev (B). The CLI's
default text model (TF-IDF → ``LinearOneVsRest(**TEXT_MODEL)``, squared hinge) is fitted on A;
each threshold rule is fitted on 3-fold out-of-fold scores of A and scored once on B, with and
without "at least one label".
The test file is not read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.cli._common import TEXT_MODEL  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.text import text_pipeline  # noqa: E402
from tagwise.thresholds import make_strategy, out_of_fold_scores  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text_cli_model import holdout  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["reuters"], choices=["reuters", "goemotions"])
    for name in parser.parse_args().data:
        compare_rules(name)


def compare_rules(name: str) -> None:
    """Every rule, fitted on A's out-of-fold scores, scored once on B."""
    text_A, Y_A, text_B, Y_B = holdout(name)
    t0 = time.perf_counter()
    model = make_model("linear", **TEXT_MODEL)  # the CLI's default text model
    pipeline = text_pipeline(model, "tfidf")
    oof_A = out_of_fold_scores(pipeline, text_A, Y_A, cv=3, random_state=0)  # fits clones
    scores_B = pipeline.fit(text_A, Y_A).predict_proba(text_B)
    unlabelled = int((Y_A.sum(axis=1) == 0).sum() + (Y_B.sum(axis=1) == 0).sum())
    what = "raw Reuters training file" if name == "reuters" else "GoEmotions train + dev"
    print(
        f"{what}: {len(text_A) + len(text_B)} texts, {Y_A.shape[1]} labels, "
        f"{unlabelled} without any; A {len(text_A)}, B {len(text_B)} "
        f"({time.perf_counter() - t0:.0f} s)\n"
    )
    print("| threshold rule | at least one label | B micro-F1 | B macro-F1 |")
    print("|---|---|---|---|")
    for spec in ("fixed:0.5", "global", "per_label", "per_label:30", "calibrated", "calibrated:10"):
        for at_least_one in (False, True):
            pred = make_strategy(spec, at_least_one=at_least_one).fit(Y_A, oof_A).apply(scores_B)
            print(
                f"| {spec} | {at_least_one} | {micro_f1(Y_B, pred):.4f} "
                f"| {macro_f1(Y_B, pred):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
