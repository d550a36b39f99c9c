"""``core.data.load_file``: one dispatch by file type for every data file, and an error that lists the types."""

import gzip
import struct

import h5py
import numpy as np
import pytest
from PIL import Image

from core.data import DataError, load_file, supported_types

X = np.arange(24, dtype=np.float32).reshape(6, 4)
Y = np.array([0, 1, 2, 0, 1, 2])


def _idx(path, array, code):
    header = b"\x00\x00" + bytes([code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(">u1").tobytes())


def test_csv(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i * 2},{'cat' if i % 2 else 'dog'}" for i in range(8)]
    (tmp_path / "pets.csv").write_text("\n".join(rows) + "\n")
    data = load_file(tmp_path / "pets.csv")
    assert data.name == "pets" and data.task == "classification" and data.input_shape == (2,)


def test_npz_and_npy_pair(tmp_path):
    np.savez(tmp_path / "d.npz", x=X, y=Y)
    data = load_file(str(tmp_path / "d.npz"))
    assert data.name == "d" and data.num_classes == 3 and np.array_equal(data.x, X)
    np.save(tmp_path / "train_x.npy", X)
    np.save(tmp_path / "train_y.npy", Y)
    data = load_file(tmp_path / "train_x.npy")
    assert data.task == "classification" and np.array_equal(data.x, X) and np.array_equal(data.y, Y)
    np.save(tmp_path / "alone.npy", X)
    with pytest.raises(DataError, match="holds the inputs only"):
        load_file(tmp_path / "alone.npy")


def test_hdf5(tmp_path):
    with h5py.File(tmp_path / "d.hdf5", "w") as f:
        f["x"], f["y"] = X, Y.astype(np.float32)
    data = load_file(tmp_path / "d.hdf5")
    assert data.task == "regression" and np.array_equal(data.x, X)


def test_mnist_idx_raw_and_gzipped(tmp_path):
    images = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    _idx(tmp_path / "train-images-idx3-ubyte", images, 0x08)
    _idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 1, 0]), 0x08)
    data = load_file(tmp_path / "train-images-idx3-ubyte")
    assert data.input_shape == (3, 3, 1) and data.name == "train-images" and list(data.y) == [0, 1, 1, 0]
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        source = (tmp_path / name.replace("t10k", "train")).read_bytes()
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(source))
    assert load_file(tmp_path / "t10k-images-idx3-ubyte.gz").input_shape == (3, 3, 1)
    with pytest.raises(DataError, match="holds labels"):
        load_file(tmp_path / "train-labels-idx1-ubyte")


def test_image_folder(tmp_path):
    for k, name in enumerate(("cats", "dogs")):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(2):
            Image.new("L", (5, 4), color=40 * (k + i)).save(tmp_path / "pets" / name / f"{i}.png")
    data = load_file(tmp_path / "pets")
    assert data.class_names == ["cats", "dogs"] and data.input_shape == (4, 5, 1)


def test_a_wrong_type_names_the_supported_types(tmp_path):
    (tmp_path / "notes.doc").write_text("words")
    with pytest.raises(DataError) as info:
        load_file(tmp_path / "notes.doc")
    message = str(info.value)
    assert "cannot read notes.doc" in message
    for label in supported_types():
        assert label in message
    assert all(kind in message for kind in ("CSV", ".npz", ".npy", "HDF5", "IDX", "folder of images"))
    with pytest.raises(DataError, match="does not exist"):
        load_file(tmp_path / "missing.csv")
