"""The hostile-artifact corpus: each damaged or malicious model directory is refused with a clear
error, and the refusal has no side effect (no file written or changed, no module imported, no
pickle payload run)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from tagwise.data import make_multilabel
from tagwise.exceptions import ModelFormatError
from tagwise.io import _model_io, load_model, read_manifest, save_model
from tagwise.io._testing import TOY_KINDS, ToyLinearTagger, ToyTextTagger


@pytest.fixture(autouse=True)
def toy_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, target in TOY_KINDS.items():
        monkeypatch.setitem(_model_io.MODEL_KINDS, kind, target)


class _Payload:
    """A pickle that would create a marker file if it were ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    data = make_multilabel(60, 5, 3, random_state=0)
    return save_model(ToyLinearTagger().fit(data.X, data.Y), tmp_path / "model")


@pytest.fixture
def text_dir(tmp_path: Path) -> Path:
    texts = ["red apple", "green apple pie", "black cat", "a cat and a dog"] * 5
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]] * 5)
    return save_model(ToyTextTagger(estimator=ToyLinearTagger()).fit(texts, Y), tmp_path / "text")


def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def _write_manifest(root: Path, manifest: dict) -> None:
    (root / "manifest.json").write_text(json.dumps(manifest))


def _put(root: Path, name: str, data: bytes) -> None:
    """Write a file and record its (correct) hash: only the content itself is hostile."""
    (root / name).write_bytes(data)
    manifest = _manifest(root)
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    _write_manifest(root, manifest)


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.parent.rglob("*")):
        key = str(path.relative_to(root.parent))
        out[key] = (
            "link"
            if path.is_symlink()
            else (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir")
        )
    return out


def _refused(root: Path, match: str) -> None:
    before, modules = _snapshot(root), set(sys.modules)
    with pytest.raises(ModelFormatError, match=match):
        load_model(root)
    assert _snapshot(root) == before, "a refused load must not change anything on disk"
    assert not {m for m in set(sys.modules) - modules if "hostile" in m}


def test_pickle_renamed_into_the_arrays_file_is_refused_and_never_run(model_dir: Path) -> None:
    marker = model_dir.parent / "pwned"
    _put(model_dir, "arrays.safetensors", pickle.dumps(_Payload(marker)))
    _refused(model_dir, "safetensors header declares|unreadable safetensors")
    assert not marker.exists()


def test_pickle_renamed_into_an_npz_is_refused(model_dir: Path) -> None:
    marker = model_dir.parent / "pwned"
    _put(model_dir, "arrays.npz", pickle.dumps(_Payload(marker)))
    _refused(model_dir, "not an npz archive")
    assert not marker.exists()


def test_an_extra_pickle_file_in_the_directory_is_refused(model_dir: Path) -> None:
    (model_dir / "model.pkl").write_bytes(pickle.dumps(_Payload(model_dir.parent / "pwned")))
    _refused(model_dir, r"unexpected entries \['model.pkl'\]")


def test_npz_holding_object_arrays_is_refused(text_dir: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, vocab=np.array([_Payload(text_dir.parent / "pwned"), "x"], dtype=object))
    _put(text_dir, "arrays.npz", buffer.getvalue())
    _refused(text_dir, "Object arrays cannot be loaded when allow_pickle=False")
    assert not (text_dir.parent / "pwned").exists()


def test_npz_with_a_structured_dtype_is_refused(text_dir: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, vocab=np.zeros(3, dtype=[("a", "i4"), ("b", "f4")]))
    _put(text_dir, "arrays.npz", buffer.getvalue())
    _refused(text_dir, "unsupported dtype")


def test_npz_bomb_over_the_cap_is_refused(text_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, vocab=np.zeros(4_000_000, dtype="<U1"))  # 16 MB → a few KB
    _put(text_dir, "arrays.npz", buffer.getvalue())
    monkeypatch.setenv("TAGWISE_MAX_MODEL_BYTES", str(1_000_000))
    _refused(text_dir, "unpack to more than 1000000 bytes")


def test_unknown_model_kind_is_refused_without_importing_it(model_dir: Path) -> None:
    manifest = _manifest(model_dir)
    manifest["kind"] = "tagwise_hostile_module:Evil"
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "unknown model kind 'tagwise_hostile_module:Evil'")
    assert "tagwise_hostile_module" not in sys.modules


def test_unknown_kind_of_a_nested_model_is_refused(text_dir: Path) -> None:
    manifest = _manifest(text_dir)
    manifest["children"]["c1"]["kind"] = "os.system"
    _write_manifest(text_dir, manifest)
    _refused(text_dir, "unknown model kind 'os.system'")


def test_allow_list_entry_outside_tagwise_is_refused(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(_model_io.MODEL_KINDS, "toy-linear", "tagwise_hostile_module:Evil")
    _refused(model_dir, "maps outside tagwise")


def test_hash_mismatch_is_refused(model_dir: Path) -> None:
    data = bytearray((model_dir / "arrays.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (model_dir / "arrays.safetensors").write_bytes(bytes(data))
    _refused(model_dir, "checksum does not match the manifest")


def test_hash_mismatch_of_a_nested_manifest_is_refused(text_dir: Path) -> None:
    child = text_dir / "children" / "c1"
    manifest = _manifest(child)
    manifest["params"]["alpha"] = 1e9
    _write_manifest(child, manifest)
    _refused(text_dir, "checksum does not match its parent's manifest")


@pytest.mark.parametrize(
    "name", ["../outside.safetensors", "/etc/passwd", "sub/arrays.bin", ".hidden"]
)
def test_path_escaping_the_directory_is_refused(model_dir: Path, name: str) -> None:
    (model_dir.parent / "outside.safetensors").write_bytes(b"\0" * 16)
    manifest = _manifest(model_dir)
    manifest["files"][name] = "0" * 64
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "not a plain file name inside the model directory")


def test_path_escape_in_a_child_id_is_refused(text_dir: Path) -> None:
    manifest = _manifest(text_dir)
    manifest["children"]["../text"] = manifest["children"].pop("c1")
    _write_manifest(text_dir, manifest)
    _refused(text_dir, r"unexpected entries \['c1'\]|not a plain file name")


def test_symlinked_file_is_refused(model_dir: Path) -> None:
    real = model_dir.parent / "elsewhere.safetensors"
    real.write_bytes((model_dir / "arrays.safetensors").read_bytes())
    (model_dir / "arrays.safetensors").unlink()
    (model_dir / "arrays.safetensors").symlink_to(real)
    _refused(model_dir, "is a symbolic link")


def test_symlinked_manifest_is_refused(model_dir: Path) -> None:
    real = model_dir.parent / "manifest-elsewhere.json"
    real.write_bytes((model_dir / "manifest.json").read_bytes())
    (model_dir / "manifest.json").unlink()
    (model_dir / "manifest.json").symlink_to(real)
    _refused(model_dir, "is a symbolic link")


def test_symlinked_child_directory_is_refused(text_dir: Path) -> None:
    child = text_dir / "children" / "c1"
    child.rename(text_dir.parent / "c1-real")
    child.symlink_to(text_dir.parent / "c1-real", target_is_directory=True)
    _refused(text_dir, "must be a plain directory")


def test_safetensors_header_declaring_a_huge_size_is_refused(model_dir: Path) -> None:
    _put(model_dir, "arrays.safetensors", (1 << 60).to_bytes(8, "little") + b"{}")
    _refused(model_dir, "header declares 1152921504606846976 bytes")


def test_safetensors_tensor_past_the_end_of_the_file_is_refused(model_dir: Path) -> None:
    header = json.dumps(
        {"coef": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4_000_000]}}
    )
    blob = len(header).to_bytes(8, "little") + header.encode() + b"\0" * 16
    _put(model_dir, "arrays.safetensors", blob)
    _refused(model_dir, "declares 4000000 bytes at offsets")


def test_safetensors_object_dtype_entry_is_refused(model_dir: Path) -> None:
    header = json.dumps({"coef": {"dtype": "OBJECT", "shape": [1], "data_offsets": [0, 8]}})
    _put(
        model_dir,
        "arrays.safetensors",
        len(header).to_bytes(8, "little") + header.encode() + b"\0" * 8,
    )
    _refused(model_dir, "malformed header entry")


def test_truncated_safetensors_is_refused(model_dir: Path) -> None:
    _put(model_dir, "arrays.safetensors", b"\x01\x02")
    _refused(model_dir, "too short for a safetensors file")


def test_newer_format_version_is_refused(model_dir: Path) -> None:
    manifest = _manifest(model_dir)
    manifest["format_version"] = 99
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "format version 99 is newer than this tagwise supports")
    with pytest.raises(ModelFormatError, match="upgrade tagwise"):
        read_manifest(model_dir)


@pytest.mark.parametrize("version", ["1", 0, True, None])
def test_invalid_format_version_is_refused(model_dir: Path, version: object) -> None:
    manifest = _manifest(model_dir)
    manifest["format_version"] = version
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "is not valid")


def test_file_over_the_size_cap_is_refused_before_reading(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGWISE_MAX_MODEL_BYTES", "64")
    _refused(model_dir, "exceeds the cap of 64 bytes")


def test_manifest_over_its_cap_is_refused(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(_model_io.LIMITS), "manifest_bytes", 100)
    _refused(model_dir, "exceeds the cap of 100 bytes")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a tagwise model manifest"),
        (b'{"format": "tagwise-model", "format_version": 1}', "missing the 'kind' entry"),
    ],
)
def test_damaged_manifest_is_refused(model_dir: Path, content: bytes, match: str) -> None:
    (model_dir / "manifest.json").write_bytes(content)
    _refused(model_dir, match)


def test_missing_listed_file_is_refused(model_dir: Path) -> None:
    (model_dir / "arrays.safetensors").unlink()
    _refused(model_dir, "missing; the model directory is incomplete")


def test_non_string_hash_is_refused(model_dir: Path) -> None:
    manifest = _manifest(model_dir)
    manifest["files"]["arrays.safetensors"] = ["not", "a", "hash"]
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "is not a string")


def test_unknown_parameter_is_refused(model_dir: Path) -> None:
    manifest = _manifest(model_dir)
    manifest["params"]["__class__"] = "os.system"
    _write_manifest(model_dir, manifest)
    _refused(model_dir, "bad parameters for ToyLinearTagger")


def test_dangling_nested_reference_is_refused(text_dir: Path) -> None:
    manifest = _manifest(text_dir)
    manifest["state"]["estimator_"] = {"__tagwise_artifact__": "c7"}
    _write_manifest(text_dir, manifest)
    _refused(text_dir, "unknown nested model 'c7'")


def test_malformed_sparse_component_is_refused(model_dir: Path) -> None:
    from safetensors.numpy import save

    _put(model_dir, "arrays.safetensors", save({"coef::csr::data": np.zeros(3, np.float32)}))
    _refused(model_dir, "sparse array 'coef' is malformed")
    _put(model_dir, "arrays.safetensors", save({"coef::bsr::data": np.zeros(3, np.float32)}))
    _refused(model_dir, "not a known sparse component")


def test_too_deep_nesting_is_refused(text_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(_model_io.LIMITS), "max_depth", 0)
    _refused(text_dir, "nested more than 0 deep")


def test_too_many_files_are_refused(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(_model_io.LIMITS), "max_files", 0)
    _refused(model_dir, "lists too many files")


def test_children_entry_that_is_a_file_is_refused(text_dir: Path) -> None:
    import shutil

    shutil.rmtree(text_dir / "children" / "c1")
    (text_dir / "children" / "c1").write_bytes(b"{}")
    _refused(text_dir, "must be a plain directory, not a link or a file")


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="no model directory here"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelFormatError, match="no model directory here"):
        read_manifest(tmp_path / "nope")
    with pytest.raises(ModelFormatError, match="not a tagwise model directory"):
        load_model(tmp_path)
    with pytest.raises(ModelFormatError, match="not a tagwise model directory"):
        read_manifest(tmp_path)


def test_the_untouched_models_still_load(model_dir: Path, text_dir: Path) -> None:
    assert load_model(model_dir).coef_.shape == (3, 5)
    assert os.path.isdir(text_dir / "children")
    assert load_model(text_dir).predict_proba(["apple"]).shape == (1, 2)
