"""Readers for the user's own data: NumPy ``.npy``/``.npz`` and MNIST IDX (raw or gzipped).

CSV/TSV files are read by :func:`core.data.tabular.load_csv`, HDF5 files by :mod:`core.data.hdf5` and image
folders by :mod:`core.data.images`. ``.npy`` inputs are memory-mapped unless ``lazy=False``. Every file is opened
through :mod:`core.data.reading` (regular files only, sizes checked from the header before anything is
allocated), and every problem raises a :class:`~core.data.errors.DataError` that says what is wrong and how to
fix it.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import Dataset, guess_task
from core.data.errors import DataError
from core.data.reading import (GzipReader, check_array_size, check_expansion, check_regular, npy_header,
                                open_regular, read_exactly)
from core.data.sources import NpyFile

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_npy(x_path: str | os.PathLike, y_path: str | os.PathLike, lazy: bool = True, task: str = "auto",
             **info: Any) -> Dataset:
    """Inputs and targets from two ``.npy`` files; with ``lazy`` the inputs are memory-mapped, never loaded whole."""
    x = NpyFile(check_regular(x_path)) if lazy else _read_npy(x_path)
    y = _read_npy(y_path)
    return Dataset(x, y, guess_task(y, task), name=info.pop("name", Path(x_path).stem), source=os.fspath(x_path),
                   **info)


def _read_npy(path: str | os.PathLike) -> np.ndarray:
    """A whole ``.npy`` file, its header checked against the file's size before anything is allocated."""
    with open_regular(path) as handle:
        shape, fortran, dtype = npy_header(handle, path)
        nbytes = check_array_size(path, shape, dtype.itemsize)
        if os.fstat(handle.fileno()).st_size - handle.tell() < nbytes:
            raise DataError(f"{path} is truncated: the header promises {nbytes} bytes of data: re-create it")
        return _read_array(handle, shape, fortran, dtype, path)


def _read_array(handle: Any, shape: tuple[int, ...], fortran: bool, dtype: np.dtype, path: Any) -> np.ndarray:
    """The array data at the handle's position, read straight into the array (no second copy)."""
    array = np.empty(shape[::-1], dtype).T if fortran else np.empty(shape, dtype)
    if array.nbytes:
        view = memoryview(array.T if fortran else array).cast("B")
        got = handle.readinto(view)
        if got != array.nbytes:
            raise DataError(f"{path} is truncated: {got} of its {array.nbytes} bytes of data are there: re-create it")
    return array


def load_npz(path: str | os.PathLike, x: str = "x", y: str = "y", task: str = "auto", **info: Any) -> Dataset:
    """Inputs and targets from two arrays of an ``.npz`` archive, named by ``x`` and ``y``; each array's size is
    checked from its header (and its compression ratio) before it is read."""
    path = check_regular(path)
    try:
        with open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
            members = {(n[:-4] if n.endswith(".npy") else n): n for n in archive.namelist()}
            missing = [k for k in (x, y) if k not in members]
            if missing:
                raise DataError(f"{path} has no array(s) {', '.join(missing)}: it holds "
                                f"{', '.join(members) or 'none'}; pass x=... and y=... with those names")
            xs, ys = (_npz_member(archive, members[k], f"{path} (array {k!r})") for k in (x, y))
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as exc:
        raise DataError(f"{path} is not a readable .npz archive ({exc}): save it with numpy.savez") from None
    return Dataset(xs, ys, guess_task(ys, task), name=info.pop("name", Path(path).stem), source=path, **info)


def _npz_member(archive: zipfile.ZipFile, member: str, label: str) -> np.ndarray:
    entry = archive.getinfo(member)
    if entry.compress_type != zipfile.ZIP_STORED:
        check_expansion(label, entry.file_size, entry.compress_size)
    with archive.open(member) as handle:
        shape, fortran, dtype = npy_header(handle, label)
        nbytes = check_array_size(label, shape, dtype.itemsize)
        if nbytes > entry.file_size:
            raise DataError(f"{label} is truncated: the header promises {nbytes} bytes of data: re-create it")
        return _read_array(handle, shape, fortran, dtype, label)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One MNIST-style IDX file (raw or gzipped) as an array of its stored type.

    The header's shape is checked against the file (or, gzipped, against the decompression caps) before the
    data is read, and a gzip stream is read only as far as the header says.
    """
    with open_regular(path) as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        source = GzipReader(handle, os.fspath(path)) if gzipped else handle
        head = source.read(4)
        if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in IDX_TYPES:
            raise DataError(f"{path} is not an IDX file (its first bytes are {head.hex()}, not 0000 + a type "
                            "code): MNIST files are named like train-images-idx3-ubyte(.gz)")
        ndim = head[3]
        if ndim == 0:
            raise DataError(f"{path}: the IDX header is cut short: download the file again")
        shape = tuple(int(d) for d in np.frombuffer(read_exactly(source, 4 * ndim, path, "the IDX header"), ">u4"))
        dtype = np.dtype(IDX_TYPES[head[2]])
        nbytes = check_array_size(path, shape, dtype.itemsize, "the IDX data")
        expected = 4 + 4 * ndim + nbytes
        if gzipped:
            check_expansion(path, expected, source.compressed)
        else:
            size = os.fstat(handle.fileno()).st_size
            if size != expected:
                raise DataError(f"{path}: the header promises shape {shape} ({expected} bytes) but the file has "
                                f"{size} bytes: it is truncated or damaged; download it again")
        data = read_exactly(source, nbytes, path, f"the data of shape {shape}")
        if gzipped and source.read(1):
            raise DataError(f"{path}: the file holds more data than its header's shape {shape}: it is damaged; "
                            "download it again")
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx(images: str | os.PathLike, labels: str | os.PathLike, scale: bool = True, **info: Any) -> Dataset:
    """MNIST-style images and labels from IDX files: images become ``(n, h, w, 1)`` float32 (in ``[0, 1]`` for
    8-bit data with ``scale``)."""
    x, y = read_idx(images), read_idx(labels)
    if y.ndim != 1:
        raise DataError(f"{labels} holds an array of shape {y.shape}, not labels: pass the labels file second")
    if x.ndim == 3:
        x = x[..., None]
    x = x.astype(np.float32) / 255.0 if (scale and x.dtype == np.uint8) else x.astype(np.float32)
    return Dataset(x, y.astype(np.int64), "classification", name=info.pop("name", Path(images).stem),
                   source=os.fspath(images), **info)
