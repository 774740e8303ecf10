"""MLPClassifier: the deep-learning multi-label recipe — one sigmoid output per label, BCE, Adam.

The tutorial configuration (Brownlee's "Multi-Label Classification with Deep Learning") is::

    MLPClassifier(hidden_layer_sizes=(20,), standardize=False, epochs=100, batch_size=32,
                  learning_rate=1e-3, hidden_init="he_uniform")

The defaults differ where measurement showed a better model (see ``benchmarks/seeds.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError
from tagwise.models._common import MultiLabelClassifier

__all__ = ["MLPClassifier"]


class MLPClassifier(MultiLabelClassifier):
    """Multi-label neural network (PyTorch): hidden layers → one sigmoid per label, BCE loss.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the hidden layers; ``()`` gives a linear model. ``"auto"`` is one layer of
        ``2 × n_labels`` units, at least 32 and at most 512 (a layer narrower than the output
        would be a bottleneck for many labels; small problems overfit wide layers).
    activation : {"relu", "gelu", "tanh", "sigmoid", "silu", "leaky_relu"}, default="relu"
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    hidden_init, output_init : {"he_uniform", "glorot_uniform", "torch"}
        Weight initialisation of hidden and output layers (biases start at zero).
    optimizer : {"adam", "adamw", "sgd"}, default="adam"
    learning_rate : float, default=3e-3
    lr_schedule : {"constant", "cosine"}, default="cosine"
        ``"cosine"`` anneals the learning rate to zero over ``epochs`` (Loshchilov & Hutter 2017).
    epochs : int, default=100
        Passes over the training data (the maximum when ``early_stopping``).
    batch_size : int or "auto", default="auto"
        ``"auto"`` is ``n_samples // 32`` clipped to [32, 512]: about 32 steps per epoch on
        larger data (small networks are dominated by per-step overhead), 32 on small data.
    weight_decay : float or "auto", default="auto"
        L2 penalty (decoupled for ``"adamw"``). ``"auto"`` is 3e-3 when the inputs are
        standardised (the penalty then has a consistent scale) and 0 otherwise: on raw sparse
        inputs such as TF-IDF, whose useful weights are large, Adam's L2 collapses the network
        (bibtex: micro-F1 0.00 with 3e-3, 0.42 with 0).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows and keep the weights of the epoch
        with the lowest validation loss; stop after ``patience`` epochs without improvement.
    validation_fraction : float, default=0.1
    patience : int, default=10
    standardize : {"auto", True, False}, default="auto"
        Scale features to zero mean and unit variance (fitted on the training rows). ``"auto"``
        standardises dense input and leaves sparse input (e.g. TF-IDF) as it is.
    loss : str, default="bce"
        A name from :data:`tagwise.nn.LOSSES`.
    label_embedding_dim : int or None, default=None
        Model label correlation in the output layer: with ``r`` set, the output weights are
        factorised as ``last hidden → r → n_labels`` (two matrices, no non-linearity between;
        a rank-``r`` output layer whose second factor holds one ``r``-dimensional embedding
        per label, shared structure for co-occurring labels). None is the usual full-rank
        output layer. Useful for many labels (``r`` well below ``n_labels``); it also cuts the
        output layer's parameters from ``h·L`` to ``r·(h + L)``.
    threshold : float, default=0.5
        Probability at or above which ``predict`` returns a label.
    device : {"auto", "cpu", "cuda", ...}, default="auto"
        ``"auto"`` uses CUDA when available.
    n_threads : int or None, default=None
        CPU threads for PyTorch during fit/predict; None picks 1 for small networks (where thread
        hand-off costs more than it saves) and all cores otherwise.
    n_ensemble : int, default=1
        Train this many networks from different random initialisations and average their
        probabilities (a deep ensemble; Lakshminarayanan et al. 2017). They train stacked, so
        the cost grows far less than linearly on small networks.
    random_state : int or None, default=None
        Seed for initialisation, shuffling, validation split and dropout.
    verbose : bool, default=False
        Print the loss per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        Label names (or 0 … n_labels-1).
    n_features_in_ : int
    thresholds_ : ndarray of shape (n_labels,)
    history_ : list of dict
        Per-epoch ``loss`` (and ``val_loss``).
    module_ : tagwise.nn.StackedMLP
        The trained network (a stack of one).
    """

    _artifact_kind = "mlp"

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | str = "auto",
        *,
        activation: str = "relu",
        dropout: float = 0.0,
        hidden_init: str = "he_uniform",
        output_init: str = "glorot_uniform",
        optimizer: str = "adam",
        learning_rate: float = 3e-3,
        lr_schedule: str = "cosine",
        epochs: int = 100,
        batch_size: int | str = "auto",
        weight_decay: float | str = "auto",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        standardize: str | bool = "auto",
        loss: str = "bce",
        label_embedding_dim: int | None = None,
        threshold: float = 0.5,
        device: str = "auto",
        n_threads: int | None = None,
        n_ensemble: int = 1,
        random_state: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.hidden_init = hidden_init
        self.output_init = output_init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.loss = loss
        self.label_embedding_dim = label_embedding_dim
        self.threshold = threshold
        self.device = device
        self.n_threads = n_threads
        self.n_ensemble = n_ensemble
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, Y: Any) -> MLPClassifier:
        """Train on X of shape (n_samples, n_features) and 0/1 Y of shape (n_samples, n_labels).

        Y may also be a DataFrame (its columns name the labels) or a list of label-name lists.
        """
        X, Y = validate_fit_data(self, X, Y)
        self._fit_many(X, Y, [np.arange(X.shape[0])], [self])
        return self

    def fit_many(
        self,
        X: Any,
        Y: Any,
        train_sets: Sequence[np.ndarray],
        *,
        on_epoch: Callable[[int], None] | None = None,
    ) -> list[MLPClassifier]:
        """Fit one clone of this estimator per row subset, all in one stacked training run.

        Model g equals ``clone(self).fit(X[train_sets[g]], Y[train_sets[g]])`` (same random
        draws when ``random_state`` is set and ``dropout`` is 0), at roughly the cost of one fit:
        this is how :func:`tagwise.model_selection.cross_validate` trains all folds together.
        """
        X, Y = validate_fit_data(self, X, Y)
        models = [clone(self) for _ in train_sets]
        for m in models:
            m.classes_, m.n_features_in_ = self.classes_, self.n_features_in_
        self._fit_many(X, Y, [np.asarray(s) for s in train_sets], models, on_epoch=on_epoch)
        return models

    def _fit_many(
        self,
        X: Any,
        Y: Any,
        train_sets: Sequence[np.ndarray],
        models: Sequence[MLPClassifier],
        on_epoch: Callable[[int], None] | None = None,
    ) -> None:
        import torch

        from tagwise.nn import StackedMLP, TrainConfig, make_loss, train_stacked

        self._check_params()
        device = _resolve_device(self.device)
        hidden = self._hidden_sizes(Y.shape[1])
        E = int(self.n_ensemble)
        # Ensemble member e of every model gets seed + e; models are laid out [set0×E, set1×E, …].
        seeds = [s + e for s in _seeds(self.random_state, len(train_sets)) for e in range(E)]
        train_sets = [rows for rows in train_sets for _ in range(E)]
        generators = [torch.Generator().manual_seed(s) for s in seeds]
        # Dropout masks come from the global generator; seed it too for reproducible runs.
        torch.manual_seed(seeds[0])
        n_features, n_labels = X.shape[1], Y.shape[1]
        batch_size = self._batch_size(max(len(rows) for rows in train_sets))
        r = None if self.label_embedding_dim is None else int(self.label_embedding_dim)
        inner = (*hidden, r) if r else hidden
        work = (
            batch_size
            * len(train_sets)
            * sum(a * b for a, b in zip((n_features, *inner), (*inner, n_labels)))
        )
        with _torch_threads(self.n_threads, work):
            module = StackedMLP(
                len(train_sets),
                n_features,
                n_labels,
                hidden,
                activation=self.activation,
                dropout=self.dropout,
                hidden_init=self.hidden_init,
                output_init=self.output_init,
                generators=generators,
                label_embedding_dim=r,
            )
            if self._standardizes(X):
                # One pass per distinct row set; ensemble members share their set's statistics.
                shift, scale = _column_stats(X, train_sets[::E])
                shift, scale = np.repeat(shift, E, axis=0), np.repeat(scale, E, axis=0)
                module.set_input_scaling(torch.from_numpy(shift), torch.from_numpy(scale))
            module.to(device)
            Xt = (
                X
                if sp.issparse(X)
                else torch.from_numpy(np.asarray(X, dtype=np.float32)).to(device)
            )
            Yd = Y.toarray() if sp.issparse(Y) else Y
            Yt = torch.from_numpy(np.asarray(Yd, dtype=np.float32)).to(device)
            config = TrainConfig(
                epochs=self.epochs,
                batch_size=batch_size,
                optimizer=self.optimizer,
                learning_rate=self.learning_rate,
                lr_schedule=self.lr_schedule,
                weight_decay=self._weight_decay(X),
                early_stopping=self.early_stopping,
                validation_fraction=self.validation_fraction,
                patience=self.patience,
            )
            # Losses that look at label frequencies see each model's own training rows only.
            loss_fn = make_loss(
                self.loss, Y=[Yt[torch.as_tensor(rows, device=device)] for rows in train_sets]
            )
            callback = on_epoch
            if self.verbose:
                callback = _verbose_callback(on_epoch, self.epochs)
            histories = train_stacked(
                module, Xt, Yt, train_sets, config, loss_fn, generators, on_epoch=callback
            )
        module.cpu()
        for g, model in enumerate(models):
            model.module_ = (
                module if E * len(models) == 1 else module.select(slice(g * E, (g + 1) * E)).eval()
            )
            model.history_ = histories[g]
            model.thresholds_ = fitted_thresholds(self.threshold, Y[train_sets[g * E]])
            model.device_ = str(device)

    def _hidden_sizes(self, n_labels: int) -> tuple[int, ...]:
        if isinstance(self.hidden_layer_sizes, str):
            if self.hidden_layer_sizes != "auto":
                raise ConfigError(
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r}: give 'auto' or layer widths "
                    "such as [64, 32]."
                )
            return (min(512, max(32, 2 * n_labels)),)
        return tuple(int(h) for h in self.hidden_layer_sizes)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return int(min(512, max(32, n_samples // 32)))
        if isinstance(self.batch_size, str):
            raise ConfigError(f"batch_size={self.batch_size!r}: give 'auto' or a positive integer.")
        return int(self.batch_size)

    def _weight_decay(self, X: Any) -> float:
        if self.weight_decay == "auto":
            return 3e-3 if self._standardizes(X) else 0.0
        return float(self.weight_decay)

    def _standardizes(self, X: Any) -> bool:
        if self.standardize == "auto":
            return not sp.issparse(X)
        return bool(self.standardize)

    def _check_params(self) -> None:
        from tagwise.nn import ACTIVATIONS, INITS, LOSSES, OPTIMIZERS

        choices: dict[str, Any] = {
            "activation": ACTIVATIONS,
            "hidden_init": INITS,
            "output_init": INITS,
            "optimizer": OPTIMIZERS,
            "lr_schedule": ("constant", "cosine"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} is not one of {', '.join(sorted(allowed))}."
                )
        if self.loss not in LOSSES:
            from tagwise.nn import make_loss

            make_loss(self.loss)  # raises with a did-you-mean
        checks = [
            ("epochs", self.epochs >= 1, "at least 1"),
            ("batch_size", self.batch_size == "auto" or int(self.batch_size) >= 1, "at least 1"),
            ("learning_rate", self.learning_rate > 0, "positive"),
            (
                "weight_decay",
                self.weight_decay == "auto"
                or (not isinstance(self.weight_decay, str) and self.weight_decay >= 0),
                "'auto' or non-negative",
            ),
            ("dropout", 0 <= self.dropout < 1, "in [0, 1)"),
            ("validation_fraction", 0 < self.validation_fraction < 1, "in (0, 1)"),
            ("patience", self.patience >= 1, "at least 1"),
            ("n_ensemble", self.n_ensemble >= 1, "at least 1"),
            (
                "label_embedding_dim",
                self.label_embedding_dim is None
                or (
                    isinstance(self.label_embedding_dim, (int, np.integer))
                    and not isinstance(self.label_embedding_dim, bool)
                    and self.label_embedding_dim >= 1
                ),
                "None or a positive integer",
            ),
            ("threshold", 0 <= self.threshold <= 1, "in [0, 1]"),
            (
                "hidden_layer_sizes",
                isinstance(self.hidden_layer_sizes, str)
                or all(int(h) >= 1 for h in self.hidden_layer_sizes),
                "positive widths",
            ),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(f"{name} must be {expected}, got {getattr(self, name)!r}.")

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each label, shape (n_samples, n_labels)."""
        import torch

        from tagwise.nn import gather_rows

        X = self._check_predict_input(X)
        Xt = X if sp.issparse(X) else torch.from_numpy(X)
        out = np.empty((X.shape[0], len(self.classes_)), dtype=np.float64)
        step = 8192
        rows = min(step, X.shape[0])  # a request of 8 rows is small work: one thread
        work = rows * sum(w.shape[0] * w.shape[1] * w.shape[2] for w in self.module_.weights)
        with _torch_threads(self.n_threads, work), torch.no_grad():
            self.module_.eval()
            for start in range(0, X.shape[0], step):
                idx = torch.arange(start, min(start + step, X.shape[0]))
                idx = idx.expand(self.module_.n_models, -1)  # every ensemble member sees the batch
                logits = self.module_(gather_rows(Xt, idx, torch.device("cpu")))
                out[start : start + idx.shape[1]] = torch.sigmoid(logits).mean(dim=0).numpy()
        return out

    # ------------------------------------------------------------------ persistence
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {name: t.detach().cpu().numpy() for name, t in self.module_.state_dict().items()}
        arrays["thresholds"] = np.asarray(self.thresholds_, dtype=np.float64)
        state = {
            "n_layers": len(self.module_.weights),
            "label_embedding_dim": self.module_.label_embedding_dim,
        }
        return state, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        import torch

        from tagwise.nn import StackedMLP

        n_layers = int(state["n_layers"])
        embedding = state.get("label_embedding_dim")  # absent in artifacts from before it
        widths = [arrays[f"weights.{i}"].shape[1] for i in range(n_layers)]
        n_models, _, n_labels = arrays[f"weights.{n_layers - 1}"].shape
        module = StackedMLP(
            n_models,
            widths[0],
            n_labels,
            widths[1 : n_layers - 1] if embedding else widths[1:],
            activation=self.activation,
            dropout=self.dropout,
            generators=[torch.Generator() for _ in range(n_models)],
            label_embedding_dim=int(embedding) if embedding else None,
        )
        module.load_state_dict(
            {k: torch.from_numpy(v) for k, v in arrays.items() if k != "thresholds"}
        )
        module.eval()
        self.module_ = module
        self.thresholds_ = arrays["thresholds"]
        self.history_: list[dict[str, Any]] = []


# ---------------------------------------------------------------------- helpers
def _seeds(random_state: Any, n: int) -> list[int]:
    """One torch seed per model; a fixed random_state gives every model that same seed."""
    if isinstance(random_state, (int, np.integer)):
        return [int(random_state)] * n
    rng = np.random.RandomState(random_state) if random_state is not None else np.random
    return [int(s) for s in rng.randint(0, 2**31 - 1, size=n)]


def _column_stats(X: Any, train_sets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-model mean and std of the training rows, shape (G, n_features); std 0 → 1."""
    shifts, scales = [], []
    for rows in train_sets:
        part = X[rows]
        if sp.issparse(part):
            mean = np.asarray(part.mean(axis=0)).ravel()
            var = np.asarray(part.multiply(part).mean(axis=0)).ravel() - mean**2
        else:
            mean, var = part.mean(axis=0, dtype=np.float64), part.var(axis=0, dtype=np.float64)
        std = np.sqrt(np.maximum(var, 0))
        shifts.append(mean)
        scales.append(np.where(std > 1e-12, std, 1.0))
    return np.asarray(shifts, dtype=np.float32), np.asarray(scales, dtype=np.float32)


def _resolve_device(device: str) -> Any:
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ConfigError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device='cuda' but no CUDA GPU is available; use device='auto' or 'cpu'.")
    return resolved


@contextmanager
def _torch_threads(n_threads: int | None, work: int) -> Any:
    """Temporarily set torch's intra-op threads: 1 for small per-step work, all cores otherwise."""
    import torch

    before = torch.get_num_threads()
    if n_threads is None:
        n_threads = 1 if work < 50_000_000 else max(1, os.cpu_count() or 1)
    if int(n_threads) == before:  # changing the pool has a cost of its own; skip when equal
        yield
        return
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _verbose_callback(inner: Callable[[int], None] | None, epochs: int) -> Callable[[int], None]:
    def report(epoch: int) -> None:
        print(f"epoch {epoch}/{epochs}", flush=True)
        if inner is not None:
            inner(epoch)

    return report
