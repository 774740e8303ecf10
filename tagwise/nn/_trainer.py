"""The training loop for G stacked models, each on its own rows of one shared dataset.

Per step, model g takes the next mini-batch of its own shuffled training rows; one stacked forward/
backward/update serves all G. Shorter training sets are padded and masked so that every model sees
exactly the mini-batches it would see alone. Early stopping keeps, per model, the weights of the
epoch with the lowest validation loss and freezes a model once its patience runs out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from tagwise.nn._losses import LossFn
from tagwise.nn._modules import StackedMLP
from tagwise.nn._optim import StackedOptimizer

__all__ = ["TrainConfig", "gather_rows", "train_stacked"]


@dataclass(frozen=True)
class TrainConfig:
    """Loop settings; see :class:`tagwise.models.MLPClassifier` for their meaning."""

    epochs: int = 100
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 10
    tol: float = 1e-4


def gather_rows(
    X: torch.Tensor | sp.csr_matrix, idx: torch.Tensor, device: torch.device
) -> torch.Tensor:
    """Rows ``idx`` (shape (G, B)) of X as a dense float tensor of shape (G, B, n_features)."""
    if isinstance(X, torch.Tensor):
        return X[idx]
    rows = X[idx.reshape(-1).cpu().numpy()].toarray()  # densify only the batch
    return torch.from_numpy(rows).to(device).view(*idx.shape, -1)


def _pad(
    index_sets: Sequence[np.ndarray], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Index sets → (padded indices (G, n_max), lengths (G,))."""
    lengths = torch.tensor([len(s) for s in index_sets], device=device)
    padded = torch.zeros(len(index_sets), int(lengths.max()), dtype=torch.long, device=device)
    for g, s in enumerate(index_sets):
        padded[g, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return padded, lengths


def _shuffle(
    padded: torch.Tensor, lengths: torch.Tensor, generators: Sequence[torch.Generator]
) -> torch.Tensor:
    """Each model's rows in a fresh random order, padding last; drawn from the model's generator."""
    # Draw exactly len_g keys for model g (as a lone run would), then pad with keys that sort last.
    keys = torch.full(padded.shape, 2.0)
    for g, (gen, n) in enumerate(zip(generators, lengths.tolist())):
        keys[g, :n] = torch.rand(n, generator=gen)
    keys = keys.to(padded.device)
    return torch.take_along_dim(padded, keys.argsort(dim=1), dim=1)


def _split_validation(
    index_sets: Sequence[np.ndarray], fraction: float, generators: Sequence[torch.Generator]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    train, valid = [], []
    for s, gen in zip(index_sets, generators):
        order = torch.randperm(len(s), generator=gen).numpy()
        n_valid = max(1, round(fraction * len(s)))
        valid.append(np.asarray(s)[order[:n_valid]])
        train.append(np.asarray(s)[order[n_valid:]])
    return train, valid


def train_stacked(
    module: StackedMLP,
    X: torch.Tensor | sp.csr_matrix,
    Y: torch.Tensor,
    index_sets: Sequence[np.ndarray],
    config: TrainConfig,
    loss_fn: LossFn,
    generators: Sequence[torch.Generator],
    *,
    on_epoch: Callable[[int], None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Train ``module`` (G models) in place; model g learns from rows ``index_sets[g]``.

    Returns the per-model history: one dict per epoch with ``loss`` (and ``val_loss``).
    """
    device = Y.device
    G = module.n_models
    valid_sets: list[np.ndarray] = []
    if config.early_stopping:
        index_sets, valid_sets = _split_validation(
            index_sets, config.validation_fraction, generators
        )
    padded, lengths = _pad(index_sets, device)
    B = int(min(config.batch_size, int(lengths.max())))
    n_steps = math.ceil(int(lengths.max()) / B)
    offsets = torch.arange(B, device=device)
    optimizer = StackedOptimizer(
        module.parameters(),
        config.optimizer,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    stopper = _EarlyStopper(module, valid_sets, X, Y, loss_fn, config) if valid_sets else None
    histories: list[list[dict[str, Any]]] = [[] for _ in range(G)]
    all_active = torch.ones(G, dtype=torch.bool, device=device)
    for epoch in range(config.epochs):
        optimizer.lr = _scheduled_lr(config, epoch)
        module.train()
        order = _shuffle(padded, lengths, generators)
        epoch_loss = torch.zeros(G, device=device)
        for step in range(n_steps):
            start = step * B
            idx = order[:, start : start + B]
            row_mask = (start + offsets[: idx.shape[1]])[None, :] < lengths[:, None]  # (G, B)
            ragged = not bool(row_mask.all())
            active = row_mask.any(dim=1) if ragged else all_active
            if stopper is not None:
                active = active & stopper.running
            losses = loss_fn(
                module(gather_rows(X, idx, device)), Y[idx], row_mask if ragged else None
            )
            optimizer.zero_grad()
            # Models are independent: d(sum)/d(theta_g) = d(loss_g)/d(theta_g).
            losses.sum().backward()
            optimizer.step(None if bool(active.all()) else active)
            epoch_loss += losses.detach() * row_mask.sum(dim=1)
        epoch_loss /= lengths
        record = [{"epoch": epoch + 1, "loss": v} for v in epoch_loss.tolist()]
        if stopper is not None:
            for rec, v in zip(record, stopper.update(epoch).tolist()):
                rec["val_loss"] = v
        for g in range(G):
            if stopper is None or stopper.ran_epoch(g, epoch):
                histories[g].append(record[g])
        if on_epoch is not None:
            on_epoch(epoch + 1)
        if stopper is not None and not bool(stopper.running.any()):
            break
    if stopper is not None:
        stopper.restore_best()
    module.eval()
    return histories


def _scheduled_lr(config: TrainConfig, epoch: int) -> float:
    """Learning rate of ``epoch``: constant, or cosine-annealed to 0 (Loshchilov & Hutter 2017)."""
    if config.lr_schedule == "cosine":
        return config.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs))
    return config.learning_rate


class _EarlyStopper:
    """Per-model validation loss, patience and best weights."""

    def __init__(
        self,
        module: StackedMLP,
        valid_sets: Sequence[np.ndarray],
        X: Any,
        Y: torch.Tensor,
        loss_fn: LossFn,
        config: TrainConfig,
    ) -> None:
        self.module, self.X, self.Y, self.loss_fn, self.config = module, X, Y, loss_fn, config
        self.padded, self.lengths = _pad(valid_sets, Y.device)
        G = module.n_models
        self.best = torch.full((G,), math.inf, device=Y.device)
        self.bad_epochs = torch.zeros(G, dtype=torch.long, device=Y.device)
        self.running = torch.ones(G, dtype=torch.bool, device=Y.device)
        self.stopped_at = [math.inf] * G
        self.best_state = [p.detach().clone() for p in module.parameters()]

    @torch.no_grad()
    def update(self, epoch: int) -> torch.Tensor:
        self.module.eval()
        mask = (
            torch.arange(self.padded.shape[1], device=self.Y.device)[None, :]
            < self.lengths[:, None]
        )
        logits = self.module(gather_rows(self.X, self.padded, self.Y.device))
        val = self.loss_fn(logits, self.Y[self.padded], mask)
        improved = (val < self.best - self.config.tol) & self.running
        self.best = torch.where(improved, val, self.best)
        self.bad_epochs = torch.where(improved, 0, self.bad_epochs + 1)
        for saved, p in zip(self.best_state, self.module.parameters()):
            shape = (-1,) + (1,) * (p.dim() - 1)
            saved.copy_(torch.where(improved.view(shape), p, saved))
        newly_stopped = self.running & (self.bad_epochs >= self.config.patience)
        for g in torch.nonzero(newly_stopped).flatten().tolist():
            self.stopped_at[g] = epoch
        self.running &= ~newly_stopped
        return val

    def ran_epoch(self, g: int, epoch: int) -> bool:
        return epoch <= self.stopped_at[g]

    @torch.no_grad()
    def restore_best(self) -> None:
        for saved, p in zip(self.best_state, self.module.parameters()):
            p.copy_(saved)
