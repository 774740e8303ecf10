"""The PyTorch engine: stacked modules, masked optimisers, losses and the training loop.

Importing this package imports torch; ``import tagwise`` alone does not.
"""

from tagwise.nn._losses import LOSSES, LossFn, make_loss
from tagwise.nn._modules import ACTIVATIONS, INITS, StackedMLP
from tagwise.nn._optim import OPTIMIZERS, StackedOptimizer
from tagwise.nn._trainer import TrainConfig, gather_rows, train_stacked

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "LossFn",
    "StackedMLP",
    "StackedOptimizer",
    "TrainConfig",
    "gather_rows",
    "make_loss",
    "train_stacked",
]
