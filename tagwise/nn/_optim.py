"""Optimisers for stacked models, with a per-model "active" mask.

``torch.optim`` treats a stacked tensor as one parameter. Here every model keeps its own step
count, so a model that has no batch this step (its training set is shorter) or that stopped early
is left exactly untouched — the G models stay equivalent to G separate runs.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["OPTIMIZERS", "StackedOptimizer"]

OPTIMIZERS = ("adam", "adamw", "sgd")


class StackedOptimizer:
    """Adam, AdamW (decoupled weight decay) or SGD with momentum over stacked parameters.

    Every parameter has a leading model axis of length G. ``eps`` defaults to 1e-7 (Keras) so
    the tutorial configuration is reproduced faithfully.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        name: str = "adam",
        *,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        momentum: float = 0.9,
    ) -> None:
        self.params = list(params)
        self.name = name
        self.lr, self.weight_decay, self.eps, self.momentum = lr, weight_decay, eps, momentum
        self.beta1, self.beta2 = betas
        n_models = self.params[0].shape[0]
        self.steps = torch.zeros(n_models, device=self.params[0].device)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params] if name != "sgd" else []
        # While every model has taken every step, one scalar step count serves all of them and
        # the update runs as a few fused foreach kernels over all parameters.
        self.uniform = True
        self.t = 0

    def _step_all(self) -> None:
        self.t += 1
        self.steps += 1
        params: list[torch.Tensor] = [p for p in self.params if p.grad is not None]
        grads: list[torch.Tensor] = [p.grad for p in params if p.grad is not None]
        m = [self.m[i] for i, p in enumerate(self.params) if p.grad is not None]
        if self.name == "sgd":
            if self.weight_decay:
                grads = list(torch._foreach_add(grads, params, alpha=self.weight_decay))
            torch._foreach_mul_(m, self.momentum)
            torch._foreach_add_(m, grads)
            torch._foreach_add_(params, m, alpha=-self.lr)
            return
        v = [self.v[i] for i, p in enumerate(self.params) if p.grad is not None]
        if self.name == "adam" and self.weight_decay:
            grads = list(torch._foreach_add(grads, params, alpha=self.weight_decay))
        if self.name == "adamw" and self.weight_decay:
            torch._foreach_mul_(params, 1 - self.lr * self.weight_decay)
        torch._foreach_lerp_(m, grads, 1 - self.beta1)
        torch._foreach_mul_(v, self.beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta2)
        bias1 = 1 - self.beta1**self.t
        bias2 = 1 - self.beta2**self.t
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, bias2**0.5)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, m, denom, value=-self.lr / bias1)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """Update every model, or only those where ``active`` (bool, shape (G,)) is true."""
        if active is None and self.uniform:
            self._step_all()
            return
        self.uniform = False  # step counts may now differ between models
        if active is None:
            self.steps += 1
        else:
            self.steps += active.to(self.steps.dtype)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            shape = (-1,) + (1,) * (p.dim() - 1)
            mask = None if active is None else active.view(shape)
            update = self._update(i, p, p.grad, mask)
            p.sub_(update if mask is None else torch.where(mask, update, 0.0))

    def _update(
        self, i: int, p: torch.Tensor, grad: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        def keep(new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
            return new if mask is None else torch.where(mask, new, old)

        if self.name == "sgd":
            if self.weight_decay:
                grad = grad + self.weight_decay * p
            self.m[i] = keep(self.momentum * self.m[i] + grad, self.m[i])
            return self.lr * self.m[i]
        if self.name == "adam" and self.weight_decay:  # L2 penalty in the gradient (Adam)
            grad = grad + self.weight_decay * p
        self.m[i] = keep(torch.lerp(self.m[i], grad, 1 - self.beta1), self.m[i])
        self.v[i] = keep(torch.lerp(self.v[i], grad * grad, 1 - self.beta2), self.v[i])
        t = self.steps.clamp(min=1).view((-1,) + (1,) * (p.dim() - 1))
        m_hat = self.m[i] / (1 - self.beta1**t)
        v_hat = self.v[i] / (1 - self.beta2**t)
        update = self.lr * m_hat / (v_hat.sqrt() + self.eps)
        if self.name == "adamw" and self.weight_decay:  # decoupled decay (Loshchilov & Hutter 2019)
            update = update + self.lr * self.weight_decay * p
        return update
