"""Dataset registry: fetch from a mirror with checksums, load by name, the datasets CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tagwise.cli import main
from tagwise.data import REGISTRY, ChecksumError, data_home, fetch, load_dataset
from tagwise.data._fetch import sha256
from tagwise.exceptions import DataFormatError, TagwiseError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets not present")


def test_registry_knows_eight_datasets_with_checksums():
    assert set(REGISTRY) == {
        "yeast",
        "emotions",
        "scene",
        "bibtex",
        "delicious",
        "corel5k",
        "reuters21578",
        "goemotions",
    }
    for info in REGISTRY.values():
        assert set(info.splits.values()) <= set(info.files)
        assert all(len(d) == 64 for d in info.files.values())
        assert info.citation


def test_data_home_from_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("TAGWISE_DATA", str(tmp_path / "h"))
    assert data_home() == tmp_path / "h"
    monkeypatch.delenv("TAGWISE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert data_home() == tmp_path / "c" / "tagwise" / "datasets"
    assert data_home(tmp_path) == tmp_path


@needs_shared
def test_fetch_from_mirror_then_load(tmp_path):
    folder = fetch("emotions", source=SHARED, home=tmp_path)
    assert folder == tmp_path / "emotions"
    train = load_dataset("emotions", "train", home=tmp_path)
    test = load_dataset("emotions", split="test", home=tmp_path)
    assert (train.n_samples, test.n_samples, train.n_labels) == (391, 202, 6)
    assert train.name == "emotions/train" and train.Y.dtype == np.int64
    with pytest.raises(
        DataFormatError, match=r"emotions has no split 'dev'; its splits are train, test"
    ):
        load_dataset("emotions", "dev", home=tmp_path)


@needs_shared
def test_raw_text_datasets(tmp_path):
    fetch("goemotions", source=SHARED, home=tmp_path)
    ds = load_dataset("goemotions", "dev", home=tmp_path)
    assert ds.X is None and ds.n_samples == 5426 and ds.n_labels == 28
    assert len(ds.text) == len(ds.ids) == 5426 and ds.label_names[0] == "admiration"
    assert ds.cardinality == pytest.approx(1.1758, abs=1e-4)


def test_checksum_mismatch_is_an_error_and_installs_nothing(tmp_path):
    mirror = tmp_path / "mirror" / "emotions"
    mirror.mkdir(parents=True)
    for f in REGISTRY["emotions"].files:
        (mirror / f).write_text("not the real file\n")
    with pytest.raises(ChecksumError, match=r"emotions/emotions-train\.arff: sha256 mismatch"):
        fetch("emotions", source=tmp_path / "mirror", home=tmp_path / "home")
    assert not (tmp_path / "home" / "emotions" / "emotions-train.arff").exists()


@needs_shared
def test_corrupted_installed_file_is_not_loaded(tmp_path):
    fetch("emotions", source=SHARED, home=tmp_path)
    target = tmp_path / "emotions" / "emotions-test.arff"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(ChecksumError, match="sha256 mismatch"):
        load_dataset("emotions", "test", home=tmp_path)


def test_missing_unknown_and_offline(tmp_path):
    with pytest.raises(
        DataFormatError, match=r"yeast is not installed .*tagwise datasets fetch yeast"
    ):
        load_dataset("yeast", home=tmp_path)
    with pytest.raises(DataFormatError, match=r"unknown dataset 'yaest'.*Did you mean 'yeast'"):
        load_dataset("yaest", home=tmp_path)
    with pytest.raises(DataFormatError, match=r"is not in the mirror"):
        fetch("yeast", source=tmp_path / "empty", home=tmp_path)
    with pytest.raises(TagwiseError, match="no public download location"):
        fetch("reuters21578", home=tmp_path)


def test_download_failure_says_use_from(tmp_path, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(TagwiseError, match=r"cannot download .*offline\? .*--from DIR"):
        fetch("yeast", home=tmp_path)


def test_cli_list_info_fetch(tmp_path, capsys):
    assert main(["datasets", "list", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("\t")[0] == "name" and len(out) == 9
    assert main(["datasets", "list", "--json", "--data-home", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(REGISTRY) and not any(r["installed"] for r in rows)
    assert main(["datasets", "info", "scene"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_labels"] == 6 and "Boutell" in info["citation"]
    assert main(["datasets", "fetch", "nope"]) == 1
    assert "unknown dataset 'nope'" in capsys.readouterr().err


@needs_shared
def test_cli_fetch_from_mirror(tmp_path, capsys):
    mirror = tmp_path / "m"
    shutil.copytree(SHARED / "emotions", mirror / "emotions")
    home = tmp_path / "home"
    assert (
        main(["datasets", "fetch", "emotions", "--from", str(mirror), "--data-home", str(home)])
        == 0
    )
    assert capsys.readouterr().out.strip() == str(home / "emotions")
    digest = REGISTRY["emotions"].files["emotions.xml"]
    assert sha256(home / "emotions" / "emotions.xml") == digest
    (mirror / "emotions" / "emotions.xml").chmod(0o644)
    (mirror / "emotions" / "emotions.xml").write_text("<labels/>")
    assert (
        main(
            [
                "datasets",
                "fetch",
                "emotions",
                "--force",
                "--from",
                str(mirror),
                "--data-home",
                str(home),
            ]
        )
        == 1
    )
    assert "sha256 mismatch" in capsys.readouterr().err
