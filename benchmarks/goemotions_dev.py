"""GoEmotions pipelines compared on the dev split (the test split is not read).

Usage::

    python benchmarks/goemotions_dev.py [--configs word+emb:logistic:10 ...]

Each configuration ``FEATURES:LOSS:C`` (features ``word``, ``word+char``, either with ``+emb``
for the cached MiniLM embeddings beside the TF-IDF) is fitted once on the train split and scores
dev. Thresholds are tuned on one half of dev (iterative stratification, seed 0) and scored on
the other, both ways; the table gives the mean of the two halves' macro- and micro-F1, for
per-label thresholds (the rule of ``benchmarks/text.py goemotions``) and one global threshold
(``--rules`` for others, e.g. ``per_label:30``), each with at least one label per text (every
GoEmotions text has one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.model_selection import MultilabelStratifiedKFold  # noqa: E402
from tagwise.models import LinearOneVsRest  # noqa: E402
from tagwise.thresholds import make_strategy  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from text import CACHE, DATA, text_featurizer  # noqa: E402

CONFIGS = [
    "word+emb:logistic:10",  # benchmarks/text.py goemotions (chosen on dev earlier)
    "word+emb:squared_hinge:0.25",
    "word+char:squared_hinge:0.25",  # the CLI's default text model
    "word+char+emb:squared_hinge:0.1",
    "word+char+emb:squared_hinge:0.25",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=CONFIGS)
    parser.add_argument("--rules", nargs="+", default=["per_label", "global"])
    args = parser.parse_args()
    train, dev = (load_dataset("goemotions", s, home=DATA) for s in ("train", "dev"))
    Y, Y_dev = np.asarray(train.Y), np.asarray(dev.Y)
    halves = next(MultilabelStratifiedKFold(2, shuffle=True, random_state=0).split(dev.text, Y_dev))
    print("| features | loss | C | fit s | thresholds | dev macro-F1 | dev micro-F1 |")
    print("|---|---|---|---|---|---|---|")
    built: dict[str, tuple[object, object]] = {}
    for config in args.configs:
        features, loss, C = config.split(":")
        if features not in built:  # one featurization per feature set
            f = text_featurizer("char" in features, "emb" in features, CACHE)
            built[features] = (f.fit_transform(train.text), f.transform(dev.text))
        X, X_dev = built[features]
        t0 = time.perf_counter()
        scores = LinearOneVsRest(loss=loss, C=float(C)).fit(X, Y).predict_proba(X_dev)
        seconds = time.perf_counter() - t0
        for spec in args.rules:
            macro, micro = [], []
            for fit_rows, score_rows in (halves, halves[::-1]):
                rule = make_strategy(spec, at_least_one=True).fit(Y_dev[fit_rows], scores[fit_rows])
                pred = rule.apply(scores[score_rows])
                macro.append(macro_f1(Y_dev[score_rows], pred))
                micro.append(micro_f1(Y_dev[score_rows], pred))
            print(
                f"| {features} | {loss} | {C} | {seconds:.0f} | {spec} | {np.mean(macro):.4f} "
                f"| {np.mean(micro):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
