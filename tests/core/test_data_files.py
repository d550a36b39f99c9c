"""NumPy, HDF5, MNIST IDX and image-folder loaders, on small files written here, with every bad input."""

import gzip
import struct

import h5py
import numpy as np
import pytest

from core.data import (DataError, H5Array, NpyFile, hdf5_arrays, load_hdf5, load_idx, load_image_folder, load_npy,
                       load_npz, read_idx)


def test_npy_pair_is_memory_mapped_and_checked(tmp_path):
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.array([0, 1, 0, 1, 0, 1]))
    data = load_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert isinstance(data.x, NpyFile) and data.task == "classification" and data.input_shape == (4,)
    assert np.array_equal(np.asarray(data.x), x)
    assert np.array_equal(load_npy(tmp_path / "x.npy", tmp_path / "y.npy", lazy=False).x, x)
    np.save(tmp_path / "short.npy", np.zeros(5))
    with pytest.raises(DataError, match="6 samples but the targets have 5"):
        load_npy(tmp_path / "x.npy", tmp_path / "short.npy")
    bad = x.copy()
    bad[1, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(DataError, match="1 NaN and 0 infinite"):
        load_npy(tmp_path / "nan.npy", tmp_path / "y.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 6, dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="holds Python objects"):
        load_npy(tmp_path / "obj.npy", tmp_path / "y.npy")
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(DataError, match="is empty"):
        load_npy(tmp_path / "empty.npy", tmp_path / "y.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="not a valid .npy file"):
        load_npy(tmp_path / "junk.npy", tmp_path / "y.npy")
    (tmp_path / "cut.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated"):
        load_npy(tmp_path / "cut.npy", tmp_path / "y.npy")
    np.save(tmp_path / "text.npy", np.array(["a", "b", "c", "d", "e", "f"]))
    with pytest.raises(DataError, match="not numeric"):
        load_npy(tmp_path / "text.npy", tmp_path / "y.npy")


def test_npz_arrays_are_chosen_by_name(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((4, 2, 2), np.float32), targets=np.array([0.5, 1, 2, 3]))
    data = load_npz(tmp_path / "d.npz", x="images", y="targets")
    assert data.task == "regression" and data.input_shape == (2, 2)
    with pytest.raises(DataError, match="no array.*x, y: it holds images, targets"):
        load_npz(tmp_path / "d.npz")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_npz(tmp_path / "bad.npz")


def test_hdf5_is_read_a_batch_at_a_time(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["group/x"] = x
        f["group/y"] = np.arange(50) % 3
    assert hdf5_arrays(tmp_path / "d.h5") == {"group/x": ((50, 3), "float32"), "group/y": ((50,), "int64")}
    data = load_hdf5(tmp_path / "d.h5", x="group/x", y="group/y")
    assert isinstance(data.x, H5Array) and data.num_classes == 3
    rows = np.array([7, 2, 7, 40])
    assert np.array_equal(data.x[rows], x[rows])  # unsorted, repeated rows: read sorted, returned as asked
    batches = list(data.batches(16, seed=0))
    assert sum(len(b[0]) for b in batches) == 50
    assert np.array_equal(load_hdf5(tmp_path / "d.h5", "group/x", "group/y", lazy=False).x, x)
    with pytest.raises(DataError, match="no dataset 'x': it holds group/x .*group/y"):
        load_hdf5(tmp_path / "d.h5", x="x", y="group/y")
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF not really")
    with pytest.raises(DataError, match="not a readable HDF5 file"):
        load_hdf5(tmp_path / "bad.h5", x="x", y="y")
    data.close()
    assert not data.x.dataset  # the file is closed


def _idx(array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_mnist_idx_raw_and_gzipped(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    (tmp_path / "images-idx3-ubyte").write_bytes(_idx(images))
    (tmp_path / "labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.array([1, 0, 2], np.uint8))))
    data = load_idx(tmp_path / "images-idx3-ubyte", tmp_path / "labels-idx1-ubyte.gz")
    assert data.x.shape == (3, 4, 5, 1) and data.x.dtype == np.float32
    assert np.allclose(data.x[..., 0], images / 255.0) and data.y.tolist() == [1, 0, 2]
    floats = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    (tmp_path / "f.idx").write_bytes(_idx(floats, 0x0D))
    assert np.array_equal(read_idx(tmp_path / "f.idx"), floats)
    (tmp_path / "cut").write_bytes(_idx(images)[:-7])
    with pytest.raises(DataError, match="truncated or damaged"):
        read_idx(tmp_path / "cut")
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "png")
    (tmp_path / "labels4").write_bytes(_idx(np.array([1, 0, 2, 1], np.uint8)))
    with pytest.raises(DataError, match="3 samples but the targets have 4"):
        load_idx(tmp_path / "images-idx3-ubyte", tmp_path / "labels4")
    with pytest.raises(DataError, match="pass the labels file second"):
        load_idx(tmp_path / "images-idx3-ubyte", tmp_path / "images-idx3-ubyte")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(_idx(images))[:-12])
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(tmp_path / "broken.gz")


def _image(path, size=(6, 5), mode="L", value=128):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


def test_image_folder_classes_sizes_and_modes(tmp_path):
    for name in ("a.png", "b.bmp"):
        _image(tmp_path / "cats" / name)
    _image(tmp_path / "dogs" / "c.png", value=255)
    (tmp_path / "dogs" / "notes.txt").write_text("ignored")
    data = load_image_folder(tmp_path)
    assert data.class_names == ["cats", "dogs"] and data.y.tolist() == [0, 0, 1]
    assert data.x.shape == (3, 5, 6, 1) and data.x.max() == pytest.approx(1.0)
    _image(tmp_path / "dogs" / "big.png", size=(10, 10))
    with pytest.raises(DataError, match=r"mixed sizes \(3 are 5×6; 1 are 10×10; e.g. .*big.png\): pass size="):
        load_image_folder(tmp_path)
    resized = load_image_folder(tmp_path, size=(8, 8))
    assert resized.x.shape == (4, 8, 8, 1)
    _image(tmp_path / "dogs" / "colour.png", size=(10, 10), mode="RGB")
    with pytest.raises(DataError, match="mixed modes.*pass mode='L' or mode='RGB'"):
        load_image_folder(tmp_path, size=(8, 8))
    assert load_image_folder(tmp_path, size=(8, 8), mode="RGB").x.shape == (5, 8, 8, 3)
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(DataError, match="broken.jpg cannot be read as an image"):
        load_image_folder(tmp_path, size=(8, 8), mode="L")


def test_image_folder_bad_layouts(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    with pytest.raises(DataError, match="has no images in class subfolders"):
        load_image_folder(tmp_path / "empty")
    _image(tmp_path / "one" / "cats" / "a.png")
    (tmp_path / "one" / "dogs").mkdir()
    with pytest.raises(DataError, match="only the class 'cats' has images"):
        load_image_folder(tmp_path / "one")
    with pytest.raises(DataError, match="mode must be 'L'"):
        load_image_folder(tmp_path / "one", mode="CMYK")
