"""Multi-label losses on stacked logits, selectable by name.

Every loss maps logits and 0/1 targets of shape (G, B, n_labels) and a row mask of shape (G, B)
to one loss per model, shape (G,): the mean over labels and valid rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from tagwise.exceptions import ConfigError

__all__ = ["LOSSES", "LossFn", "make_loss"]

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


# name → factory(Y=label matrix (n, L) as a float tensor, **options) → LossFn
LOSSES: dict[str, Callable[..., LossFn]] = {"bce": bce}


def make_loss(name: str, **options: Any) -> LossFn:
    """The loss called ``name``; an unknown name is a ConfigError with a did-you-mean."""
    factory = LOSSES.get(name)
    if factory is None:
        close = difflib.get_close_matches(name, list(LOSSES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown loss {name!r}; choose one of {', '.join(sorted(LOSSES))}.{hint}"
        )
    return factory(**options)
