"""Run config: defaults < file < --set."""

import pytest

from tagwise import ConfigError
from tagwise.config import load_config, parse_override, resolve_config


def test_file_then_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[model]\nname = "mlp"\nepochs = 20\n[cv]\nn_splits = 5\n')
    config = resolve_config(
        path, ["model.epochs=7", "model.hidden_layer_sizes=[8, 4]", "data.path=x.csv"]
    )
    assert config["model"] == {"name": "mlp", "epochs": 7, "hidden_layer_sizes": [8, 4]}
    assert config["cv"]["n_splits"] == 5 and config["cv"]["n_repeats"] == 3  # default kept
    assert config["data"]["path"] == "x.csv"


def test_yaml_and_json(tmp_path):
    pytest.importorskip("yaml")
    (tmp_path / "a.yaml").write_text("model:\n  epochs: 3\n")
    assert load_config(tmp_path / "a.yaml")["model"]["epochs"] == 3
    (tmp_path / "a.json").write_text('{"cv": {"n_splits": 4}}')
    assert load_config(tmp_path / "a.json")["cv"]["n_splits"] == 4


def test_parse_override_values():
    assert parse_override("model.lr=0.01") == ("model", "lr", 0.01)
    assert parse_override("model.activation=relu") == ("model", "activation", "relu")
    assert parse_override("train.flag=true") == ("train", "flag", True)


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"expected SECTION\.KEY=VALUE"):
        parse_override("epochs=3")
    with pytest.raises(ConfigError, match="unknown section 'modle'"):
        parse_override("modle.epochs=3")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nepochs = 3\n")
    with pytest.raises(ConfigError, match=r"bad\.toml.*malformed config"):
        load_config(bad)
    unknown = tmp_path / "u.toml"
    unknown.write_text("[training]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[training\]"):
        load_config(unknown)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "c.ini").write_text("")
    with pytest.raises(ConfigError, match="unknown config format"):
        load_config(tmp_path / "c.ini")
