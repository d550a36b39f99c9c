"""Hostile and damaged .h5 files: each is refused with a ModelFileError, never a crash, a hang, a read outside
the file, an allocation out of proportion to the file, or a silent load of damaged data.

The files in ``tests/fixtures/hostile/`` are damaged copies of valid files that once segfaulted libhdf5 (an
attribute datatype damaged into a variable-length sequence) or made it loop forever (a zeroed block in the global
heap that holds variable-length strings); they are opened in a child process so that a regression fails the test
instead of ending the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from core import Dense, ModelFileError, Sequential, load_model
from core.api import save_model

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
ROOT = Path(__file__).resolve().parents[2]
KERNEL = "model_weights/dense/dense/kernel"
OPEN_IN_CHILD = """
import resource, signal, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
signal.alarm(20)
from core import ModelFileError, load_model
try:
    load_model(sys.argv[1])
except ModelFileError as exc:
    print("refused:", str(exc)[:300])
else:
    print("loaded")
"""


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.glob("*.h5")))
def test_damaged_files_that_crashed_libhdf5_are_refused(name):
    run = subprocess.run([sys.executable, "-c", OPEN_IN_CHILD, str(HOSTILE / name)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, f"the reading process ended with {run.returncode}: {run.stderr[-1000:]}"
    assert run.stdout.startswith("refused:") and name in run.stdout


@pytest.fixture
def saved(tmp_path) -> Path:
    model = Sequential([Dense(3, input_dim=4, name="dense")], name="m")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 4)), np.ones((4, 3)), epochs=1, verbose=0)
    path = tmp_path / "model.h5"
    save_model(model, path)
    return path


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and all(w in message for w in words), message
    return message


def _replace_kernel(path: Path, make) -> None:
    with h5py.File(path, "r+") as f:
        del f[KERNEL]
        make(f, KERNEL)


def test_an_external_link_is_never_followed(saved, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["kernel"] = np.full((4, 3), 7.0, np.float32)
    _replace_kernel(saved, lambda f, name: f.__setitem__(name, h5py.ExternalLink(str(other), "/kernel")))
    _refused(saved, "a link into another file")


def test_a_soft_link_is_never_followed(saved):
    def make(f, name):
        f["elsewhere"] = np.full((4, 3), 7.0, np.float32)
        f[name] = h5py.SoftLink("/elsewhere")
    _replace_kernel(saved, make)
    _refused(saved, "a soft link")


def test_our_group_behind_an_external_link_is_refused_not_skipped(saved, tmp_path):
    """h5py's ``get`` swallowed the error of a link it could not follow, and the file loaded without our group."""
    with h5py.File(saved, "r+") as f:
        del f["neurocanvas"]
        f["neurocanvas"] = h5py.ExternalLink(str(tmp_path / "missing.h5"), "/neurocanvas")
    _refused(saved, "never followed")


def test_raw_external_storage_is_never_read(saved, tmp_path):
    """A dataset whose values live in another file (``dcpl external``: any file, /etc/passwd included)."""
    raw = tmp_path / "secret.bin"
    raw.write_bytes(np.arange(12, dtype=np.float32).tobytes())

    def make(f, name):
        f.create_dataset(name, shape=(4, 3), dtype="f4", external=[(str(raw), 0, 48)])
    _replace_kernel(saved, make)
    _refused(saved, "external file")


def test_a_virtual_dataset_is_never_read(saved, tmp_path):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f["kernel"] = np.full((4, 3), 7.0, np.float32)

    def make(f, name):
        layout = h5py.VirtualLayout(shape=(4, 3), dtype="f4")
        layout[:] = h5py.VirtualSource(str(source), "kernel", shape=(4, 3))
        f.create_virtual_dataset(name, layout)
    _replace_kernel(saved, make)
    _refused(saved, "virtual dataset")


def _edit_state(path: Path, edit) -> None:
    with h5py.File(path, "r+") as f:
        doc = json.loads(f["neurocanvas/state.json"][()].tobytes())
        edit(f, doc)
        text = json.dumps(doc).encode()
        del f["neurocanvas/state.json"]
        f["neurocanvas/state.json"] = np.frombuffer(text, np.uint8)  # a new document, without a checksum


def test_one_array_referenced_many_times_is_refused(saved):
    """A 31 KB file drove 2.7 GB: one state array referenced 40 times, read each time."""
    def edit(f, doc):
        doc["optimizer_state"]["slots"] = [[{"__array__": 0}] * 2] * 40
    _edit_state(saved, edit)
    _refused(saved, "used twice")


def test_compressed_arrays_are_bounded_by_the_file_size(saved):
    """Chunked, compressed zeros declare far more than the file holds: refused before anything is read."""
    def edit(f, doc):
        f["neurocanvas/arrays"].create_dataset("99", shape=(1 << 28,), dtype="f4", chunks=(1 << 20,),
                                               compression="gzip")
        doc["preprocessing"] = {"huge": {"__array__": 99}}
    _edit_state(saved, edit)
    assert saved.stat().st_size < 200_000
    _refused(saved, "exhaust memory")


def test_a_contiguous_dataset_larger_than_the_file_is_refused(saved):
    with h5py.File(saved, "r+") as f:
        f["neurocanvas/arrays"].create_dataset("99", shape=(1 << 26,), dtype="f4")  # declared, never written
    _edit_state(saved, lambda f, d: d.update(preprocessing={"big": {"__array__": 99}}))
    _refused(saved, "neurocanvas/arrays/99")


def test_a_truncated_file_is_refused(saved, tmp_path):
    data = saved.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) - 100])
    _refused(cut, "truncated")


def test_a_long_option_value_is_quoted_short(saved):
    with h5py.File(saved, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][-1]["config"]["surprise_option"] = "x" * 1_000_000
        f.attrs["model_config"] = json.dumps(config).encode()
    message = _refused(saved, "surprise_option")
    assert len(message) < 1000


def test_a_flipped_bit_in_a_weight_is_noticed(saved):
    with h5py.File(saved, "r") as f:
        offset = f[KERNEL].id.get_offset()
    data = bytearray(saved.read_bytes())
    data[offset + 5] ^= 0x04  # a mantissa bit: still a finite number, nothing else would notice
    saved.write_bytes(bytes(data))
    _refused(saved, "checksum")


def test_a_flipped_bit_in_the_state_document_is_noticed(saved):
    with h5py.File(saved, "r") as f:
        offset = f["neurocanvas/state.json"].id.get_offset()
        text = f["neurocanvas/state.json"][()].tobytes()
    data = bytearray(saved.read_bytes())
    data[offset + text.index(b'"epoch"') + 2] ^= 0x01  # "epoch" becomes "dpoch": still valid JSON
    saved.write_bytes(bytes(data))
    _refused(saved, "state.json", "checksum")


def test_a_flipped_bit_in_a_state_array_is_noticed(saved):
    with h5py.File(saved, "r") as f:
        offset = f["neurocanvas/arrays/0"].id.get_offset()
    data = bytearray(saved.read_bytes())
    data[offset + 1] ^= 0x01
    saved.write_bytes(bytes(data))
    _refused(saved, "checksum")


def test_an_attribute_of_an_odd_type_is_refused(saved):
    with h5py.File(saved, "r+") as f:
        f["model_weights"].attrs["layer_names"] = np.zeros((2,), dtype=[("a", "i4"), ("b", "f8")])
    _refused(saved, "unsupported type")


def test_the_saved_file_still_loads_whole(saved):
    model = load_model(saved)
    assert model.optimizer is not None and model.history is not None
