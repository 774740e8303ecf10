"""A stack of G independent MLPs evaluated together with batched matrix products.

Small networks on small data are dominated by per-step framework overhead, not arithmetic. Training
the G models of a cross-validation (or an ensemble) as one stacked network turns G small steps into
one step of the same cost: every weight has a leading model axis and ``torch.baddbmm`` applies all
G layers at once. Model ``g`` only ever sees its own rows, so the G models are independent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "INITS", "StackedMLP"]

ACTIVATIONS = {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "silu": nn.functional.silu,
    "leaky_relu": nn.functional.leaky_relu,
}

# name → function(fan_in, fan_out) giving the bound of a uniform init (Keras / PyTorch conventions)
INITS = {
    "he_uniform": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
    "glorot_uniform": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    "torch": lambda fan_in, fan_out: 1.0 / math.sqrt(fan_in),  # nn.Linear's default bound
}


class StackedMLP(nn.Module):
    """G independent MLPs ``n_features → hidden… → n_outputs`` with a leading model axis.

    Parameters
    ----------
    n_models : int
        G, the number of independent networks.
    n_features, n_outputs : int
        Input and output widths.
    hidden : sequence of int
        Hidden layer widths (empty for a linear model).
    activation : str
        Key of :data:`ACTIVATIONS`.
    dropout : float
        Dropout probability after each hidden activation.
    hidden_init, output_init : str
        Keys of :data:`INITS` for the hidden and output weights; biases start at zero.
    generators : list of torch.Generator, length G
        One generator per model, so model g is initialised exactly as it would be alone.
    label_embedding_dim : int or None
        When set (``r``), the output layer is factorised as ``last hidden → r → n_outputs``: two
        weight matrices with nothing non-linear between them, i.e. a rank-``r`` output layer
        ``W = A B``. The rows of ``B`` are ``r``-dimensional label embeddings, so labels that
        co-occur share directions and rare labels borrow strength from frequent ones (the
        low-rank label-space idea of Yu et al., "Large-scale Multi-label Learning with Missing
        Labels", ICML 2014; Bhatia et al., SLEEC, NeurIPS 2015). Both factors use
        ``output_init``; the middle bias is kept (it is equivalent to a bias on the labels).
    """

    def __init__(
        self,
        n_models: int,
        n_features: int,
        n_outputs: int,
        hidden: Sequence[int],
        *,
        activation: str = "relu",
        dropout: float = 0.0,
        hidden_init: str = "he_uniform",
        output_init: str = "glorot_uniform",
        generators: Sequence[torch.Generator],
        label_embedding_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.n_hidden = len(hidden)
        self.label_embedding_dim = label_embedding_dim
        embedding = [label_embedding_dim] if label_embedding_dim else []
        widths = [n_features, *hidden, *embedding, n_outputs]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
            init = output_init if i >= self.n_hidden else hidden_init
            bound = INITS[init](fan_in, fan_out)
            w = torch.empty(n_models, fan_in, fan_out)
            for g, gen in enumerate(generators):
                # Draw in (fan_out, fan_in) order like nn.Linear: a lone model matches torch's.
                w[g] = (torch.rand(fan_out, fan_in, generator=gen) * 2 - 1).mul_(bound).T
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(n_models, 1, fan_out)))
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]
        self.dropout = float(dropout)
        # Per-model input standardisation, fitted on each model's own training rows.
        self.input_shift: torch.Tensor
        self.input_scale: torch.Tensor
        self.register_buffer("input_shift", torch.zeros(n_models, 1, n_features))
        self.register_buffer("input_scale", torch.ones(n_models, 1, n_features))

    def set_input_scaling(self, shift: torch.Tensor, scale: torch.Tensor) -> None:
        """Inputs become ``(x - shift) / scale``; both of shape (G, n_features)."""
        self.input_shift.copy_(shift.reshape(self.input_shift.shape))
        self.input_scale.copy_(scale.reshape(self.input_scale.shape))

    @property
    def n_models(self) -> int:
        return int(self.weights[0].shape[0])

    def select(self, models: slice) -> StackedMLP:
        """Models ``models`` (a slice of the stack) as a new stack that shares no memory."""
        widths = [w.shape[2] for w in self.weights]
        n_models = len(range(*models.indices(self.n_models)))
        picked = StackedMLP(
            n_models,
            self.weights[0].shape[1],
            widths[-1],
            widths[: self.n_hidden],
            activation=self.activation_name,
            dropout=self.dropout,
            generators=[torch.Generator() for _ in range(n_models)],
            label_embedding_dim=self.label_embedding_dim,
        )
        picked.load_state_dict({k: v[models].clone() for k, v in self.state_dict().items()})
        return picked.train(self.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (G, B, n_outputs) for inputs of shape (G, B, n_features)."""
        x = (x - self.input_shift) / self.input_scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < self.n_hidden:  # no non-linearity inside the (factorised) output layer
                x = self.activation(x)
                if self.dropout > 0 and self.training:
                    x = nn.functional.dropout(x, self.dropout, training=True)
        return x
