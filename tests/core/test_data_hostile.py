"""Hostile data files: each is refused with a DataError that says what is wrong and what to do, never a raw
exception, a hang or a read until memory runs out."""

import gzip
import os
import struct
import subprocess
import sys
import tracemalloc
import zlib

import h5py
import numpy as np
import pytest
from PIL import Image

from core.data import DataError, NpyFile, load_csv, load_file, load_hdf5, load_image_folder, load_npy, load_npz, read_idx

POSIX = pytest.mark.skipif(os.name != "posix", reason="devices and FIFOs are POSIX paths")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _idx_header(code, dims):
    return b"\x00\x00" + bytes([code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


# -- CSV -------------------------------------------------------------------------------------------------------
def test_a_field_over_the_csv_limit_names_the_line_and_the_likely_open_quote(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,2\n3," + "9" * 200_000 + "\n4,5\n")
    with pytest.raises(DataError, match=r"line 3 has a field longer than 131,072 characters.*quote"):
        load_csv(path)
    (tmp_path / "quote.csv").write_text('a,b\n1,"2\n' + "3,4\n" * 40_000)
    with pytest.raises(DataError, match="never closed"):
        load_csv(tmp_path / "quote.csv")


def test_csv_rows_are_split_as_the_csv_module_means_not_on_every_unicode_line_break(tmp_path):
    path = tmp_path / "breaks.csv"
    path.write_bytes('a,b,label\n1,"x\u2028y",0\n2,"p\nq",1\n3,4\f,0\n5,6,1\n'.encode())
    data = load_csv(path)
    assert len(data) == 4 and data.x[:, 0].tolist() == [1, 2, 3, 5]
    assert data.feature_names == ["a", "b=4", "b=6", "b=p\nq", "b=x\u2028y"]
    assert data.y.tolist() == [0, 1, 0, 1]


def test_a_large_numeric_csv_is_read_without_keeping_its_text(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60_000, 12)) * 100
    lines = [",".join(f"f{i}" for i in range(12)) + ",y"]
    lines += [",".join(f"{v:.5f}" for v in row) + f",{k % 3}" for k, row in enumerate(values)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    try:
        data = load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.x.shape == (60_000, 12) and np.allclose(data.x, values, atol=1e-4)
    # All the text held at once took over 12 times the file (25 times the float32 array); streamed, a few times.
    assert peak < 8 * data.x.nbytes, f"peak {peak} bytes for a {data.x.nbytes}-byte array"


# -- files that are not files ----------------------------------------------------------------------------------
def _in_child(code: str) -> str:
    """Run ``code`` in a child with 4 GiB of address space and a minute: a read that never ends fails it."""
    prelude = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, (2**32, 2**32))\n"
               f"sys.path.insert(0, {REPO!r})\nfrom core.data import *\n")
    try:
        done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the read did not end")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@POSIX
def test_a_device_is_refused_before_it_is_read():
    code = ("try:\n    load_csv('/dev/zero')\nexcept DataError as e:\n    print('refused:', e)\n"
            "try:\n    read_idx('/dev/zero')\nexcept DataError as e:\n    print('refused:', e)\n")
    out = _in_child(code)
    assert out.count("refused: /dev/zero is a character device, not a data file") == 2


@POSIX
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    code = (f"for f in (load_csv, load_file, load_npz, read_idx):\n    try:\n        f({str(fifo)!r})\n"
            "    except DataError as e:\n        print('refused:', e)\n")
    assert _in_child(code).count("is a pipe (FIFO), not a data file") == 4


def test_a_path_swapped_for_a_fifo_after_the_check_is_refused_by_the_open(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "swapped.csv"
    os.mkfifo(fifo)
    from core.data import reading
    monkeypatch.setattr(reading, "check_regular", lambda path: os.fspath(path))  # the race: the first check passed
    with pytest.raises(DataError, match="pipe"):
        reading.open_regular(fifo)


# -- gzip ------------------------------------------------------------------------------------------------------
def test_corrupt_gzip_is_a_data_error(tmp_path):
    good = gzip.compress(_idx_header(0x08, [4]) + b"\0\1\0\1")
    (tmp_path / "bad-labels-idx1-ubyte.gz").write_bytes(good[:10] + b"\xff" * 20 + good[30:])
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(tmp_path / "bad-labels-idx1-ubyte.gz")


def test_a_gzip_that_expands_a_thousandfold_is_refused_before_it_is_read(tmp_path):
    count = 80 * 2**20 // 1024  # 80 MiB of 32×32 images, all zeros: about 80 KiB gzipped
    body = _idx_header(0x08, [count, 32, 32]) + bytes(count * 1024)
    (tmp_path / "bomb-images-idx3-ubyte.gz").write_bytes(gzip.compress(body, compresslevel=9))
    del body
    with pytest.raises(DataError, match=r"expands \d+-fold.*decompression bomb"):
        read_idx(tmp_path / "bomb-images-idx3-ubyte.gz")


def test_a_gzip_past_the_absolute_cap_is_refused_and_says_so(tmp_path, monkeypatch):
    from core.data import reading
    monkeypatch.setattr(reading, "MAX_EXPANDED_BYTES", 2**20)
    body = _idx_header(0x08, [2048, 32, 32]) + np.random.default_rng(0).integers(0, 255, 2048 * 1024, np.uint8).tobytes()
    (tmp_path / "big-images-idx3-ubyte.gz").write_bytes(gzip.compress(body))
    with pytest.raises(DataError, match=r"expands to 2.0 MiB or more, above the 1.0 MiB.*gunzip"):
        read_idx(tmp_path / "big-images-idx3-ubyte.gz")


def test_a_gzip_stream_longer_than_its_header_is_not_read_to_its_end(tmp_path):
    body = _idx_header(0x08, [4]) + b"\0\1\0\1" + bytes(8 * 2**20)
    (tmp_path / "long-labels-idx1-ubyte.gz").write_bytes(gzip.compress(body))
    with pytest.raises(DataError, match="more data than its header"):
        read_idx(tmp_path / "long-labels-idx1-ubyte.gz")


# -- IDX -------------------------------------------------------------------------------------------------------
def test_idx_dimensions_that_wrap_around_64_bits_are_caught(tmp_path):
    (tmp_path / "wrap-images-idx3-ubyte").write_bytes(_idx_header(0x0E, [2**31, 2**31, 4]))  # 2**64 bytes: 0
    with pytest.raises(DataError, match=r"shape \(2147483648, 2147483648, 4\) would take .* TiB"):
        read_idx(tmp_path / "wrap-images-idx3-ubyte")
    (tmp_path / "huge-images-idx3-ubyte").write_bytes(_idx_header(0x08, [60000, 28, 28]) + bytes(16))
    with pytest.raises(DataError, match="truncated or damaged"):
        read_idx(tmp_path / "huge-images-idx3-ubyte")


# -- NumPy -----------------------------------------------------------------------------------------------------
def _npy_with_header(path, header: str, data: bytes = b""):
    text = header.ljust(117) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + data)


def test_npy_headers_that_cannot_be_true_are_refused(tmp_path):
    np.save(tmp_path / "y.npy", np.array([0, 1, 0, 1]))
    _npy_with_header(tmp_path / "neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4, -2), }", bytes(32))
    for lazy in (True, False):
        with pytest.raises(DataError, match=r"impossible shape \(4, -2\)"):
            load_npy(tmp_path / "neg.npy", tmp_path / "y.npy", lazy=lazy)
    _npy_with_header(tmp_path / "big.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }")
    with pytest.raises(DataError, match="would take 8.0 TiB"):
        load_npy(tmp_path / "y.npy", tmp_path / "big.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 4, dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="holds Python objects.*never read"):
        load_npy(tmp_path / "y.npy", tmp_path / "obj.npy")
    with pytest.raises(DataError, match="holds Python objects"):
        NpyFile(tmp_path / "obj.npy")


def test_an_npz_member_is_sized_from_its_header_before_it_is_read(tmp_path):
    import zipfile
    path = tmp_path / "lie.npz"
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }".ljust(117) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        with archive.open("y.npy", "w") as f:
            np.lib.format.write_array(f, np.array([0, 1]))
    with pytest.raises(DataError, match=r"lie.npz \(array 'x'\).*would take 8.0 TiB"):
        load_npz(path)
    np.savez(tmp_path / "obj.npz", x=np.zeros((2, 2)), y=np.array([{"a": 1}, {}], dtype=object))
    with pytest.raises(DataError, match="holds Python objects"):
        load_npz(tmp_path / "obj.npz")


def test_a_scalar_target_is_named_in_npz_and_hdf5_files(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((4, 2), np.float32), y=np.float32(3))
    with pytest.raises(DataError, match="targets are a single value.*one target per sample"):
        load_file(tmp_path / "s.npz")
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f["x"], f["y"] = np.zeros((4, 2), np.float32), np.float32(3)
    with pytest.raises(DataError, match="targets are a single value"):
        load_file(tmp_path / "s.h5")
    with h5py.File(tmp_path / "sx.h5", "w") as f:
        f["x"], f["y"] = np.float32(1), np.zeros(4)
    with pytest.raises(DataError, match="inputs are empty"):
        load_hdf5(tmp_path / "sx.h5", "x", "y")


# -- HDF5 ------------------------------------------------------------------------------------------------------
@pytest.fixture
def other_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    return path


def test_hdf5_links_to_other_files_are_refused(tmp_path, other_file):
    with h5py.File(tmp_path / "ext.h5", "w") as f:
        f["x"] = h5py.ExternalLink(str(other_file), "/x")
        f["y"] = np.array([0, 1, 0, 1])
    for lazy in (True, False):
        with pytest.raises(DataError, match=r"'x' is a link to another file \(.*other.h5:/x\).*stored in the file"):
            load_hdf5(tmp_path / "ext.h5", "x", "y", lazy=lazy)
    with h5py.File(tmp_path / "nested.h5", "w") as f:
        f["data"] = h5py.ExternalLink(str(other_file), "/")
        f["y"] = np.array([0, 1, 0, 1])
    with pytest.raises(DataError, match="link to another file"):
        load_hdf5(tmp_path / "nested.h5", "data/x", "y")


def test_hdf5_data_kept_outside_the_file_is_refused(tmp_path, other_file):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(bytes(32))
    with h5py.File(tmp_path / "external.h5", "w") as f:
        f.create_dataset("x", shape=(4, 2), dtype=np.float32, external=[(str(raw), 0, 32)])
        f["y"] = np.array([0, 1, 0, 1])
    with pytest.raises(DataError, match="keeps its data in external files"):
        load_file(tmp_path / "external.h5")
    with h5py.File(tmp_path / "virtual.h5", "w") as f:
        layout = h5py.VirtualLayout(shape=(4, 2), dtype=np.float32)
        layout[:] = h5py.VirtualSource(str(other_file), "x", shape=(4, 2))
        f.create_virtual_dataset("x", layout)
        f["y"] = np.array([0, 1, 0, 1])
    with pytest.raises(DataError, match="virtual dataset whose data lies in other files"):
        load_file(tmp_path / "virtual.h5")


def test_hdf5_soft_links_are_followed_inside_the_file_but_a_loop_is_refused(tmp_path):
    with h5py.File(tmp_path / "loop.h5", "w") as f:
        f["x"], f["y"] = h5py.SoftLink("/y"), h5py.SoftLink("/x")
    with pytest.raises(DataError, match="soft link that leads to itself"):
        load_file(tmp_path / "loop.h5")
    with h5py.File(tmp_path / "soft.h5", "w") as f:
        f["group/inputs"], f["y"] = np.ones((4, 2), np.float32), np.array([0, 1, 0, 1])
        f["x"] = h5py.SoftLink("/group/inputs")
    data = load_file(tmp_path / "soft.h5")
    assert data.x.shape == (4, 2) and data.num_classes == 2


def test_an_hdf5_dataset_too_large_for_memory_is_refused_from_its_header(tmp_path):
    with h5py.File(tmp_path / "fill.h5", "w") as f:  # declared, never written: almost nothing on disk
        f.create_dataset("x", shape=(4, 2), dtype=np.float32)
        f.create_dataset("y", shape=(2**40,), dtype=np.float64, chunks=(2**16,))
    with pytest.raises(DataError, match=r"dataset 'y'\).*would take 8.0 TiB"):
        load_hdf5(tmp_path / "fill.h5", "x", "y")


# -- images ----------------------------------------------------------------------------------------------------
def _png_claiming(width, height, rows=4):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = zlib.compress(b"".join(b"\0" + bytes(width) for _ in range(rows)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def _folder(tmp_path, first: bytes):
    for name in ("a", "b"):
        (tmp_path / "pics" / name).mkdir(parents=True)
    (tmp_path / "pics" / "a" / "0.png").write_bytes(first)
    Image.new("L", (4, 4)).save(tmp_path / "pics" / "b" / "0.png")
    return tmp_path / "pics"


def test_a_png_claiming_ten_billion_pixels_is_refused_from_its_header(tmp_path):
    folder = _folder(tmp_path, _png_claiming(100_000, 100_000))
    with pytest.raises(DataError, match="0.png is too large to read.*shrink it below"):
        load_file(folder)


def test_images_over_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    from core.data import images
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    img = Image.new("L", (40, 40))
    folder = _folder(tmp_path, b"")
    img.save(folder / "a" / "0.png")
    with pytest.raises(DataError, match=r"claims 40×40 pixels \(1,600\), more than the 1,000"):
        load_image_folder(folder)


def test_a_folder_too_large_as_float32_is_refused(tmp_path, monkeypatch):
    from core.data import images
    monkeypatch.setattr(images, "MAX_ARRAY_BYTES", 100)
    folder = _folder(tmp_path, b"")
    Image.new("L", (4, 4)).save(folder / "a" / "0.png")
    Image.new("L", (4, 4)).save(folder / "a" / "1.png")
    with pytest.raises(DataError, match="take more than 100 bytes as float32.*size="):
        load_image_folder(folder)


# -- NaN and Inf: where the first one is -----------------------------------------------------------------------
def test_first_non_finite_row_finds_the_first_nan_or_inf(tmp_path):
    from core.data import first_non_finite, first_non_finite_row
    x = np.ones((10_000, 3), np.float32)
    assert first_non_finite_row(x) is None and first_non_finite(x) is None
    x[9000, 2], x[6000, 1] = np.inf, np.nan
    assert first_non_finite_row(x) == 6000
    found = first_non_finite(x)
    assert found.row == 6000 and found.position == (1,) and np.isnan(found.value)
    assert str(found) == "in row 6000, column 1 (nan)"
    assert first_non_finite_row(np.arange(5)) is None  # integers are always finite
    assert first_non_finite_row([[1.0, 2.0], [3.0, -np.inf]]) == 1
    np.save(tmp_path / "x.npy", x)
    assert first_non_finite_row(NpyFile(tmp_path / "x.npy")) == 6000  # lazy sources are read in blocks
    pictures = np.zeros((3, 2, 2, 1))
    pictures[2, 1, 0, 0] = np.inf
    assert first_non_finite(pictures) == (2, (1, 0, 0), np.inf)


def test_the_refusal_of_non_finite_data_says_where_the_first_one_is():
    from core.data import Dataset
    x = np.ones((6, 2))
    x[4, 1] = np.nan
    with pytest.raises(DataError, match=r"1 NaN and 0 infinite value\(s\), the first in row 4, column 1"):
        Dataset(x, np.array([0, 1, 0, 1, 0, 1]))
