"""Readers for the user's own data: NumPy ``.npy``/``.npz``, HDF5, MNIST IDX (raw or gzipped) and image folders.

CSV/TSV files are read by :func:`core.data.tabular.load_csv`. ``.npy`` files are memory-mapped and HDF5 datasets
stay on disk (read a batch at a time) unless ``lazy=False``. Every problem raises a
:class:`~core.data.errors.DataError` that says what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.sources import H5Array, NpyFile

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _check_file(path: str | os.PathLike) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path} does not exist: check the path")
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder, not a file: choose the data file inside it")
    if os.path.getsize(path) == 0:
        raise DataError(f"{path} is empty (0 bytes): re-create or re-download it")
    return path


def _guess_task(y: Any, task: str) -> str:
    if task != "auto":
        return task
    y = np.asarray(y[:min(len(y), 100_000)])
    return "classification" if y.ndim == 1 and y.dtype.kind in "biu" else "regression"


def load_npy(x_path: str | os.PathLike, y_path: str | os.PathLike, lazy: bool = True, task: str = "auto",
             **info: Any) -> Dataset:
    """Inputs and targets from two ``.npy`` files; with ``lazy`` the inputs are memory-mapped, never loaded whole."""
    x = _open_npy(x_path, lazy)
    y = np.asarray(_open_npy(y_path, False))
    return Dataset(x, y, _guess_task(y, task), name=info.pop("name", Path(x_path).stem), source=os.fspath(x_path),
                   **info)


def _open_npy(path: str | os.PathLike, lazy: bool) -> Any:
    path = _check_file(path)
    if lazy:
        return NpyFile(path)
    try:
        with open(path, "rb") as handle:
            array = np.load(handle, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path} cannot be read as a NumPy array ({exc}): save it with numpy.save, with a "
                        "numeric dtype") from exc
    except OSError as exc:
        raise DataError(f"{path} is not a valid .npy file ({exc}): save it with numpy.save") from exc
    return array


def load_npz(path: str | os.PathLike, x: str = "x", y: str = "y", task: str = "auto", **info: Any) -> Dataset:
    """Inputs and targets from two arrays of an ``.npz`` archive, named by ``x`` and ``y``."""
    path = _check_file(path)
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            keys = list(archive.keys())
            missing = [k for k in (x, y) if k not in keys]
            if missing:
                raise DataError(f"{path} has no array(s) {', '.join(missing)}: it holds {', '.join(keys) or 'none'}; "
                                "pass x=... and y=... with those names")
            xs, ys = archive[x], archive[y]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable .npz archive ({exc}): save it with numpy.savez") from exc
    return Dataset(xs, ys, _guess_task(ys, task), name=info.pop("name", Path(path).stem), source=path, **info)


def hdf5_arrays(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], str]]:
    """Every dataset in an HDF5 file: ``{path inside the file: (shape, dtype)}``, to choose from."""
    import h5py
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    with _open_h5(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, (obj.shape, str(obj.dtype)))
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def _open_h5(path: str | os.PathLike) -> Any:
    import h5py
    path = _check_file(path)
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"{path} is not a readable HDF5 file ({exc}): check that it was written completely") from exc


def load_hdf5(path: str | os.PathLike, x: str, y: str, lazy: bool = True, task: str = "auto",
              **info: Any) -> Dataset:
    """Inputs and targets from two datasets of an HDF5 file; with ``lazy`` the inputs are read a batch at a time
    (the file stays open while the Dataset lives)."""
    f = _open_h5(path)
    for key in (x, y):
        if key not in f or not hasattr(f[key], "shape"):
            listing = ", ".join(f"{k} {s}" for k, (s, _) in hdf5_arrays(path).items())
            f.close()
            raise DataError(f"{path} has no dataset {key!r}: it holds {listing or 'none'}; pass x=... and y=...")
    xs = H5Array(f[x]) if lazy else f[x][()]
    ys = f[y][()]
    if not lazy:
        f.close()
    return Dataset(xs, ys, _guess_task(ys, task), name=info.pop("name", Path(path).stem), source=os.fspath(path),
                   **info)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One MNIST-style IDX file (raw or gzipped) as an array of its stored type."""
    path = _check_file(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is a damaged gzip file ({exc}): download it again") from exc
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (its first bytes are {raw[:4].hex()}, not 0000 + a type code): "
                        "MNIST files are named like train-images-idx3-ubyte(.gz)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: the IDX header is cut short: download the file again")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: the header promises shape {shape} ({expected} bytes) but the file has "
                        f"{len(raw)} bytes: it is truncated or damaged; download it again")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


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


def load_image_folder(path: str | os.PathLike, size: Sequence[int] | None = None, mode: str | None = None,
                      **info: Any) -> Dataset:
    """Images in one subfolder per class (``root/cat/*.png``, ``root/dog/*.jpg``), read with Pillow.

    Args:
        size: ``(height, width)`` to resize every image to; None keeps the size, which must then be the same
            for all images.
        mode: ``'L'`` (grey, 1 channel) or ``'RGB'`` (3 channels) to convert every image to; None keeps the
            mode, which must then be the same for all.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder: give a folder with one subfolder of images per class")
    if mode not in (None, "L", "RGB"):
        raise DataError(f"mode must be 'L' (grey) or 'RGB', got {mode!r}")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files = [(k, f) for k, c in enumerate(classes) for f in sorted((root / c).iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise DataError(f"{root} has no images in class subfolders ({', '.join(IMAGE_SUFFIXES)}): put each "
                        f"class's images in its own subfolder, e.g. {root}/cats/1.png")
    used = sorted({k for k, _ in files})
    if len(used) < 2:
        raise DataError(f"{root}: only the class '{classes[used[0]]}' has images; a classifier needs at least two "
                        "class subfolders with images")
    images = [_read_image(f, size, mode) for _, f in files]
    _check_uniform(images, files, "size", lambda im: im.size, "pass size=(height, width) to resize them all")
    _check_uniform(images, files, "mode", lambda im: im.mode, "pass mode='L' or mode='RGB' to convert them all")
    x = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
    if x.ndim == 3:
        x = x[..., None]
    remap = {k: i for i, k in enumerate(used)}
    y = np.array([remap[k] for k, _ in files], dtype=np.int64)
    return Dataset(x, y, "classification", class_names=[classes[k] for k in used],
                   name=info.pop("name", root.name), source=os.fspath(root), **info)


def _read_image(file: Path, size: Sequence[int] | None, mode: str | None) -> Any:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(file) as im:
            im.load()
            if mode is not None and im.mode != mode:
                im = im.convert(mode)
            elif im.mode not in ("L", "RGB"):
                raise DataError(f"{file} has colour mode {im.mode}: pass mode='L' or mode='RGB' to convert it")
            if size is not None:
                im = im.resize((int(size[1]), int(size[0])), Image.BILINEAR)
            return im.copy()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise DataError(f"{file} cannot be read as an image ({exc}): remove it or replace it with a valid "
                        "PNG/JPEG/BMP file") from exc


def _check_uniform(images: list, files: list, what: str, key: Any, fix: str) -> None:
    groups: dict[Any, list[Path]] = {}
    for im, (_, f) in zip(images, files):
        groups.setdefault(key(im), []).append(f)
    if len(groups) > 1:
        parts = "; ".join(f"{len(v)} are {k[1]}×{k[0]}" if what == "size" else f"{len(v)} are {k}" for k, v in
                          sorted(groups.items(), key=lambda kv: -len(kv[1])))
        example = min(groups.values(), key=len)[0]
        raise DataError(f"the images have mixed {what}s ({parts}; e.g. {example}): {fix}")
