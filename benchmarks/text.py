"""Text benchmarks: Reuters-21578 ModApte (90 categories) and GoEmotions (28 labels), CPU pipelines.

Official splits, each test split scored once. Every choice is made on training-side data only:

* **Reuters-21578 / R90** — TF-IDF (word uni+bigrams, sublinear tf; ``--char`` adds char
  2-5-grams) → tagwise's ``LinearOneVsRest`` (``--loss squared_hinge``: an L2-loss linear SVM
  per label, or ``logistic``) → per-label F1 thresholds tuned on 3-fold out-of-fold scores of
  the training set (``--strategy``); every document keeps at least its best label (every R90
  training document has one). ``C`` is picked from a small grid by the out-of-fold micro-F1 on
  the training set (``--grid``; the chosen value is printed). ``--peer`` adds a row with one
  scikit-learn ``LinearSVC`` (liblinear) per label in place of tagwise's solver, same C.
  ``--embed`` puts MiniLM sentence embeddings beside the TF-IDF (``CombinedFeaturizer``);
  ``--learner svc`` uses tagwise's ``BinaryRelevance(LinearSVC(C))`` as the model.
* **GoEmotions** — TF-IDF (word uni+bigrams and char 2-5-grams) next to all-MiniLM-L6-v2
  sentence embeddings (``CombinedFeaturizer``) → LinearOneVsRest (squared hinge, C=0.1) →
  per-label thresholds tuned on the official dev split (``TextClassifier.fit(..., X_val=dev,
  Y_val=...)``); chosen on dev by ``benchmarks/goemotions_dev.py``. ``--go-features``,
  ``--go-loss`` and ``--go-c`` give other pipelines (the earlier pick: ``word+emb``,
  ``logistic``, 10).

Sentence embeddings are cached on disk (``benchmarks/.cache``, keyed by text + model), so only the
first run pays for embedding 54k sentences; the table says whether the cache was warm. Throughput
is measured with the cache switched off: "batch" predicts the whole test split in one call,
"single" predicts 200 test documents one call each (median latency → documents per second).

    python benchmarks/text.py                      # both datasets
    python benchmarks/text.py reuters --grid 1     # one C, no selection
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagwise.data import load_dataset  # noqa: E402
from tagwise.metrics import macro_f1, micro_f1  # noqa: E402
from tagwise.models import LinearOneVsRest, make_model  # noqa: E402
from tagwise.text import (  # noqa: E402
    CombinedFeaturizer,
    SentenceEmbedder,
    TextClassifier,
    TfidfFeaturizer,
)
from tagwise.thresholds import ThresholdedClassifier, make_strategy, out_of_fold_scores  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "benchmarks" / ".cache"


class LinearSVM(BaseEstimator):
    """Peer: one scikit-learn LinearSVC per label (liblinear), scores squashed to [0, 1].

    A reference row next to tagwise's ``LinearOneVsRest(loss="squared_hinge")`` (liblinear
    penalises the intercept, tagwise does not). ``predict_proba`` is ``sigmoid(score)``, a
    monotone score, which is all the per-label thresholds need. Labels without positives in
    training score 0.
    """

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: Any, Y: Any) -> LinearSVM:
        Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y)
        self.classes_ = np.arange(Y.shape[1])
        self.coef_ = np.zeros((X.shape[1], Y.shape[1]))
        self.intercept_ = np.full(Y.shape[1], -30.0)
        for j in np.flatnonzero((Y.sum(0) > 0) & (Y.sum(0) < len(Y))):
            svm = LinearSVC(C=self.C).fit(X, Y[:, j])
            self.coef_[:, j], self.intercept_[j] = svm.coef_[0], svm.intercept_[0]
        self.intercept_[Y.sum(0) == len(Y)] = 30.0
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(X @ self.coef_) + self.intercept_)))


def _reuters_model(args: argparse.Namespace, C: float, peer: bool = False) -> Any:
    if peer:
        return LinearSVM(C=C)
    if args.learner == "svc":  # tagwise BinaryRelevance over liblinear's L2-loss SVM
        return make_model("br", estimator=LinearSVC(C=C))
    return make_model("linear", loss=args.loss, C=C, class_weight=args.class_weight)


def _strategy(args: argparse.Namespace) -> Any:
    """``--strategy`` as a spec string (``per_label:5``) or JSON (``{"name": ...}``)."""
    spec = json.loads(args.strategy) if args.strategy.startswith("{") else args.strategy
    return make_strategy(spec, at_least_one=True)


def text_featurizer(char: bool, embed: bool, cache: Path) -> Any:
    """TF-IDF over words (+ char 2-5-grams), next to cached MiniLM sentence embeddings."""
    featurizer: Any = TfidfFeaturizer(char_ngram_range=(2, 5) if char else None)
    if embed:
        embedder = SentenceEmbedder(cache_dir=str(cache), batch_size=64)
        featurizer = CombinedFeaturizer([featurizer, embedder])
    return featurizer


def reuters(args: argparse.Namespace) -> list[dict[str, Any]]:
    train = load_dataset("reuters21578", "train", home=args.data)
    test = load_dataset("reuters21578", "test", home=args.data)
    featurizer = text_featurizer(args.char, args.embed, args.cache)
    t0 = time.perf_counter()
    best_c = args.grid[0]
    if len(args.grid) > 1:  # model selection on the training split only
        X = featurizer.fit_transform(train.text)
        scores = {}
        for C in args.grid:
            oof = out_of_fold_scores(_reuters_model(args, C), X, train.Y, cv=3, random_state=0)
            scores[C] = micro_f1(train.Y, _strategy(args).fit(train.Y, oof).apply(oof))
            print(f"  reuters: C={C} out-of-fold micro-F1 {scores[C]:.4f}", flush=True)
        best_c = max(scores, key=scores.__getitem__)
    select_s = time.perf_counter() - t0
    features = ("word+char" if args.char else "word") + (" + MiniLM emb." if args.embed else "")
    cw = f", class_weight={args.class_weight}" if args.class_weight else ""
    rows = []
    for peer in [False, True] if args.peer else [False]:
        model = ThresholdedClassifier(
            _reuters_model(args, best_c, peer),
            strategy=_strategy(args),
            at_least_one=True,
            cv=3,
            random_state=0,
        )
        clf = TextClassifier(featurizer, model)
        t0 = time.perf_counter()
        clf.fit(train.text, train.Y)
        fit_s = time.perf_counter() - t0
        learner = (
            "sklearn LinearSVC per label (peer)"
            if peer
            else "tagwise BinaryRelevance(LinearSVC)"
            if args.learner == "svc"
            else f"tagwise LinearOneVsRest {args.loss}{cw}"
        )
        name = f"TF-IDF ({features}) → {learner} (C={best_c}) → {args.strategy} thr., ≥1 label"
        row = score("Reuters-21578 R90", name, clf, test)
        row["train_s"] = fit_s
        row["note"] = (
            f"C chosen by 3-fold OOF on train in {select_s:.0f} s"
            if select_s > 1 and not peer
            else ("same C" if peer else "")
        )
        rows.append(row)
    return rows


def goemotions(args: argparse.Namespace) -> dict[str, Any]:
    train = load_dataset("goemotions", "train", home=args.data)
    dev = load_dataset("goemotions", "dev", home=args.data)
    test = load_dataset("goemotions", "test", home=args.data)
    char = args.go_features == "word+char+emb"
    featurizer = text_featurizer(char, True, args.cache)
    warm = _cache_is_warm(featurizer.featurizers[1], train.text[:200])
    model = ThresholdedClassifier(
        LinearOneVsRest(loss=args.go_loss, C=args.go_c), strategy="per_label"
    )
    clf = TextClassifier(featurizer, model)
    t0 = time.perf_counter()
    clf.fit(train.text, train.Y, X_val=dev.text, Y_val=dev.Y)
    fit_s = time.perf_counter() - t0
    tfidf = "TF-IDF word+char" if char else "TF-IDF word"
    name = f"{tfidf} + MiniLM emb. → {args.go_loss} (C={args.go_c}) → per-label thr. (dev)"
    row = score("GoEmotions", name, clf, test)
    row["train_s"] = fit_s
    row["note"] = "embeddings from the disk cache" if warm else "embeddings computed in this run"
    return [row]


def _cache_is_warm(embedder: SentenceEmbedder, texts: list[str]) -> bool:
    from tagwise.text._cache import shared_cache, text_keys

    embedder.fit(texts[:1])
    found, _ = shared_cache(embedder.fingerprint_, embedder.cache_dir).lookup(text_keys(texts))
    return bool(found.all())


def _no_cache(clf: TextClassifier) -> None:
    """Throughput must include embedding: switch every embedder's cache off."""
    feats = getattr(clf.featurizer_, "featurizers_", [clf.featurizer_])
    for f in feats:
        if isinstance(f, SentenceEmbedder):
            f.cache = False


def score(dataset: str, pipeline: str, clf: TextClassifier, test: Any) -> dict[str, Any]:
    P = clf.predict(test.text)  # the one look at the test labels
    row = {
        "dataset": dataset,
        "pipeline": pipeline,
        "micro_f1": micro_f1(test.Y, P),
        "macro_f1": macro_f1(test.Y, P),
    }
    _no_cache(clf)
    t0 = time.perf_counter()
    clf.predict(test.text)
    row["batch_docs_s"] = len(test.text) / (time.perf_counter() - t0)
    latencies = []
    for text in test.text[:200]:
        t0 = time.perf_counter()
        clf.predict([text])
        latencies.append(time.perf_counter() - t0)
    row["single_docs_s"] = 1.0 / statistics.median(latencies)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="*", default=["reuters", "goemotions"])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the benchmark datasets")
    parser.add_argument("--cache", type=Path, default=CACHE, help="embedding cache folder")
    parser.add_argument(
        "--grid",
        type=float,
        nargs="+",
        default=[0.5, 1.0, 2.0],
        help="C values tried for Reuters (out-of-fold on train)",
    )
    parser.add_argument("--char", action="store_true", help="Reuters: add char 2-5-grams")
    parser.add_argument(
        "--loss", default="squared_hinge", choices=["squared_hinge", "logistic"], help="Reuters"
    )
    parser.add_argument("--class-weight", default=None, help="Reuters: e.g. balanced")
    parser.add_argument(
        "--embed", action="store_true", help="Reuters: add MiniLM sentence embeddings"
    )
    parser.add_argument(
        "--learner",
        default="linear",
        choices=["linear", "svc"],
        help="Reuters: tagwise LinearOneVsRest, or BinaryRelevance(LinearSVC) (liblinear)",
    )
    parser.add_argument(
        "--strategy", default="per_label", help="Reuters threshold strategy (tagwise.thresholds)"
    )
    parser.add_argument(
        "--peer", action="store_true", help="Reuters: add the scikit-learn LinearSVC row"
    )
    # GoEmotions: the pipeline chosen on dev (benchmarks/goemotions_dev.py); the earlier pick
    # was --go-features word+emb --go-loss logistic --go-c 10
    parser.add_argument(
        "--go-features", default="word+char+emb", choices=["word+emb", "word+char+emb"]
    )
    parser.add_argument("--go-loss", default="squared_hinge", choices=["squared_hinge", "logistic"])
    parser.add_argument("--go-c", type=float, default=0.1, help="C of the GoEmotions model")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning)
    rows = [
        r for d in args.datasets for r in {"reuters": reuters, "goemotions": goemotions}[d](args)
    ]
    print(
        "\n| dataset | CPU pipeline | micro-F1 | macro-F1 | train s | predict docs/s (batch) "
        "| predict docs/s (single) | note |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['dataset']} | {r['pipeline']} | {r['micro_f1']:.4f} | {r['macro_f1']:.4f} | "
            f"{r['train_s']:.0f} | {r['batch_docs_s']:.0f} | {r['single_docs_s']:.0f} | "
            f"{r['note']} |"
        )


if __name__ == "__main__":
    main()
