"""Every model name the CLI accepts builds an estimator that tagwise can save (or says why not)."""

import numpy as np
import pytest

from tagwise import ModelFormatError, make_multilabel
from tagwise.io import MODEL_KINDS, save_model
from tagwise.models import MODEL_NAMES, make_model


@pytest.mark.parametrize("name", sorted(MODEL_NAMES))
def test_name_builds_an_estimator_with_a_known_kind(name):
    model = make_model(name)
    assert getattr(type(model), "_artifact_kind", None) in MODEL_KINDS


def test_binary_relevance_refuses_to_save_and_says_why(tmp_path):
    ds = make_multilabel(40, 4, 2, random_state=0)
    model = make_model("br").fit(ds.X, ds.Y)
    with pytest.raises(ModelFormatError, match="cannot be saved without pickle"):
        save_model(model, tmp_path / "br")
    assert not (tmp_path / "br").exists()
    assert np.asarray(model.predict_proba(ds.X)).shape == (40, 2)
