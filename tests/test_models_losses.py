"""Imbalance-aware losses: weighted BCE, focal, asymmetric — values against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tagwise.exceptions import ConfigError  # noqa: E402
from tagwise.nn._losses import make_loss, positive_weights  # noqa: E402


@pytest.fixture
def cells():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(1, 50, 4, generator=g, dtype=torch.float64)
    targets = (torch.rand(1, 50, 4, generator=g) < 0.2).to(torch.float64)
    return logits, targets


def test_positive_weights_inverse_frequency_clipped():
    Y = torch.tensor([[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]], dtype=torch.float64)
    w = positive_weights(Y, max_weight=2.0)
    np.testing.assert_allclose(w.numpy(), [2.0, 2.0, 1.0])  # 3 -> clipped 2; none -> max; 1/3 -> 1


def test_focal_with_gamma_zero_is_bce(cells):
    logits, targets = cells
    assert torch.allclose(
        make_loss("focal", gamma=0.0)(logits, targets, None),
        make_loss("bce")(logits, targets, None),
    )


def test_focal_down_weights_easy_cells():
    logits = torch.tensor([[[6.0, 0.1]]], dtype=torch.float64)
    targets = torch.tensor([[[1.0, 1.0]]], dtype=torch.float64)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    expected = ((1 - p) ** 2 * bce).mean()
    assert torch.allclose(make_loss("focal")(logits, targets, None), expected.reshape(1))


def test_asymmetric_matches_formula(cells):
    logits, targets = cells
    p = torch.sigmoid(logits)
    p_m = (p - 0.05).clamp(min=0)
    ref = -(targets * torch.log(p) + (1 - targets) * p_m**4 * torch.log(1 - p_m)).mean()
    got = make_loss("asymmetric")(logits, targets, None)
    assert torch.allclose(got, ref.reshape(1))


def test_weighted_bce_up_weights_positives(cells):
    logits, targets = cells
    weighted = make_loss("weighted_bce", Y=targets[0])(logits, targets, None)
    plain = make_loss("bce")(logits, targets, None)
    assert weighted.item() > plain.item()


def test_bad_loss_names_and_options():
    with pytest.raises(ConfigError, match="Did you mean 'focal'"):
        make_loss("focall")
    with pytest.raises(ConfigError, match="gamma >= 0"):
        make_loss("focal", gamma=-1.0)
    with pytest.raises(ConfigError, match="0 <= clip < 1"):
        make_loss("asymmetric", clip=1.5)
    with pytest.raises(ConfigError, match="needs the training labels"):
        make_loss("weighted_bce")


@pytest.mark.parametrize("loss", ["weighted_bce", "focal", "asymmetric"])
def test_mlp_trains_with_each_loss(loss):
    from sklearn.datasets import make_multilabel_classification

    from tagwise.models import MLPClassifier

    X, Y = make_multilabel_classification(120, 6, n_classes=3, random_state=0)
    model = MLPClassifier(loss=loss, epochs=3, random_state=0).fit(X.astype("float32"), Y)
    proba = model.predict_proba(X.astype("float32"))
    assert proba.shape == Y.shape and np.all((proba >= 0) & (proba <= 1))
