"""The model of ``tagwise train`` on raw text, compared on training-side hold-outs only.

Usage::

    python benchmarks/text_cli_model.py [--data reuters goemotions] [--models linear:C=1 ...]

Two hold-outs, neither of them a test split:

- ``reuters``: the raw Reuters-21578 ModApte training file (``modapte_train.jsonl.gz``, 115
  topics, 1 828 stories without any) cut once (iterative stratification, seed 0) into A (2/3)
  and B (1/3), as in ``benchmarks/text_cli_default.py``;
- ``goemotions``: GoEmotions' train split as A, its dev split as B.

The CLI's featurizer (word + char TF-IDF, ``make_featurizer("tfidf")``) is fitted once on A's
texts; each model is fitted on A's features and its decision rule is the CLI's text default
when the model was chosen: one global threshold fitted on 3-fold out-of-fold scores of A (the
default is now ``calibrated``; see ``text_cli_default.py``), at least one label per text iff
every text of A has one. Every model is scored once on B. (The folds share A's vocabulary and
idf, which the CLI refits per fold: the same for every row, so the rows stay comparable.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.config import parse_override  # noqa: E402
from tagwise.data import load_dataset, read  # noqa: E402
from tagwise.metrics import example_f1, macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import make_model  # noqa: E402
from tagwise.text import make_featurizer  # noqa: E402
from tagwise.thresholds import make_strategy, out_of_fold_scores  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
MODELS = [
    "linear:C=1",  # the default before this benchmark
    "linear:C=4",
    "linear:C=16",
    "linear:loss=squared_hinge,C=0.25",
    "linear:loss=squared_hinge,C=1",
]


def holdout(name: str) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Texts and 0/1 labels of A and B (see the module docstring)."""
    if name == "goemotions":
        train, dev = (load_dataset("goemotions", s, home=DATASETS) for s in ("train", "dev"))
        return list(train.text), np.asarray(train.Y), list(dev.text), np.asarray(dev.Y)
    path = DATASETS / "reuters21578" / "modapte_train.jsonl.gz"
    data = read(path, text_column="body", label_column="topics")
    texts = list(data.text)
    Y = data.Y.toarray() if sp.issparse(data.Y) else np.asarray(data.Y)
    A, B = next(MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(texts, Y))
    return [texts[i] for i in A], Y[A], [texts[i] for i in B], Y[B]


def parse_model(spec: str) -> object:
    """``name:key=value,...`` → an unfitted model (values read as ``--set`` reads them)."""
    name, _, rest = spec.partition(":")
    params = dict(parse_override(f"model.{item}")[1:] for item in filter(None, rest.split(",")))
    return make_model(name, **params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["reuters", "goemotions"])
    parser.add_argument("--models", nargs="+", default=MODELS)
    args = parser.parse_args()
    print("| hold-out | model | fit s (3 OOF + 1) | B micro-F1 | B macro-F1 | B example-F1 |")
    print("|---|---|---|---|---|---|")
    for name in args.data:
        text_A, Y_A, text_B, Y_B = holdout(name)
        featurizer = make_featurizer("tfidf")
        X_A = featurizer.fit_transform(text_A)
        X_B = featurizer.transform(text_B)
        at_least_one = bool(Y_A.sum(axis=1).min() > 0)
        for spec in args.models:
            model = parse_model(spec)
            t0 = time.perf_counter()
            oof = out_of_fold_scores(model, X_A, Y_A, cv=3, random_state=0)
            scores = model.fit(X_A, Y_A).predict_proba(X_B)
            seconds = time.perf_counter() - t0
            rule = make_strategy("global", at_least_one=at_least_one).fit(Y_A, oof)
            pred = rule.apply(scores)
            print(
                f"| {name} ({len(text_A)} → {len(text_B)}, {X_A.shape[1]} features) | {spec} "
                f"| {seconds:.0f} | {micro_f1(Y_B, pred):.4f} | {macro_f1(Y_B, pred):.4f} "
                f"| {example_f1(Y_B, pred):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
