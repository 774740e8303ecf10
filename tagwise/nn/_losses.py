"""Multi-label losses on stacked logits, selectable by name.

Every loss maps logits and 0/1 targets of shape (G, B, n_labels) and a row mask of shape (G, B)
to one loss per model, shape (G,): the mean over labels and valid rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from tagwise.exceptions import ConfigError, did_you_mean

__all__ = ["LOSSES", "LossFn", "make_loss", "positive_weights"]

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def _masked_mean(per_cell: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return per_cell.mean(dim=(1, 2))
    per_row = per_cell.mean(dim=2)  # (G, B)
    mask = mask.to(per_row.dtype)
    return (per_row * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def bce(**_: Any) -> LossFn:
    """Binary cross-entropy on logits (sigmoid + BCE, numerically stable)."""

    def loss(
        logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        cells = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        return _masked_mean(cells, mask)

    return loss


def positive_weights(Y: torch.Tensor, max_weight: float = 10.0) -> torch.Tensor:
    """Per-label weight of positives: inverse frequency n_neg / n_pos, clipped to [1, max_weight].

    Clipping keeps a label with a handful of positives from dominating the gradient (and from
    an infinite weight when it has none).
    """
    Y = Y.reshape(-1, Y.shape[-1]).to(torch.float64)
    pos = Y.sum(dim=0)
    neg = Y.shape[0] - pos
    return (neg / pos.clamp(min=1.0)).clamp(min=1.0, max=float(max_weight))


def weighted_bce(
    Y: torch.Tensor | list[torch.Tensor] | None = None, max_weight: float = 10.0, **_: Any
) -> LossFn:
    """BCE with automatic positive weights per label (inverse frequency, clipped).

    ``Y`` is the training label matrix, or one per stacked model (each model's weights then come
    from its own training rows only, e.g. its CV fold), giving weights of shape (G, 1, n_labels).
    """
    if Y is None:
        raise ConfigError("loss 'weighted_bce' needs the training labels to set its weights.")
    if isinstance(Y, list):
        weights = torch.stack([positive_weights(y, max_weight) for y in Y])[:, None, :]
    else:
        weights = positive_weights(Y, max_weight)

    def loss(
        logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        cells = F.binary_cross_entropy_with_logits(
            logits, targets, pos_weight=weights.to(logits.dtype), reduction="none"
        )
        return _masked_mean(cells, mask)

    return loss


def focal(gamma: float = 2.0, **_: Any) -> LossFn:
    """Focal loss (Lin et al., ICCV 2017): BCE scaled by (1 - p_t)^gamma (easy cells count less)."""
    if gamma < 0:
        raise ConfigError(f"focal loss needs gamma >= 0, got {gamma}.")

    def loss(
        logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        cells = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p_t = torch.exp(-cells)  # probability given to the true value of each cell
        return _masked_mean((1.0 - p_t) ** gamma * cells, mask)

    return loss


def asymmetric(
    gamma_pos: float = 0.0, gamma_neg: float = 4.0, clip: float = 0.05, **_: Any
) -> LossFn:
    """Asymmetric loss (Ridnik et al., ICCV 2021) for the many easy negatives of multi-label data.

    Positives: ``-(1 - p)^gamma_pos log p``. Negatives use a shifted probability
    ``p_m = max(p - clip, 0)`` — very easy negatives are discarded entirely — and
    ``-p_m^gamma_neg log(1 - p_m)``.
    """
    if min(gamma_pos, gamma_neg) < 0 or not 0 <= clip < 1:
        raise ConfigError(
            f"asymmetric loss needs gamma_pos, gamma_neg >= 0 and 0 <= clip < 1; got "
            f"gamma_pos={gamma_pos}, gamma_neg={gamma_neg}, clip={clip}."
        )

    def loss(
        logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        p = torch.sigmoid(logits)
        log_p = F.logsigmoid(logits)
        p_m = (p - clip).clamp(min=0.0) if clip > 0 else p
        log_1m = torch.log((1.0 - p_m).clamp(min=1e-8))
        pos = (1.0 - p) ** gamma_pos * log_p
        neg = p_m**gamma_neg * log_1m
        return _masked_mean(-(targets * pos + (1.0 - targets) * neg), mask)

    return loss


# name → factory(Y=label matrix (n, L) as a float tensor, **options) → LossFn
LOSSES: dict[str, Callable[..., LossFn]] = {
    "bce": bce,
    "weighted_bce": weighted_bce,
    "focal": focal,
    "asymmetric": asymmetric,
}


def make_loss(name: str, **options: Any) -> LossFn:
    """The loss called ``name``; an unknown name is a ConfigError with a did-you-mean."""
    factory = LOSSES.get(name)
    if factory is None:
        hint = did_you_mean(name, LOSSES)
        raise ConfigError(
            f"unknown loss {name!r}; choose one of {', '.join(sorted(LOSSES))}.{hint}"
        )
    return factory(**options)
