"""Array-like sources that read only the rows asked for: memory-mapped ``.npy`` files and HDF5 datasets.

A source has ``shape``, ``dtype``, ``ndim``, ``len()`` and ``source[index]`` where the index is an int, a slice
or an array of row numbers; it returns a plain in-memory ndarray of just those rows. Row arrays are read in sorted
order (one pass over the file) and put back in the order asked for. ``numpy.asarray(source)`` reads everything,
so only call it on data that fits in memory.
"""

from __future__ import annotations

import math
import mmap
import os
from typing import Any, Callable

import numpy as np

from core.data.errors import DataError
from core.data.reading import npy_header, open_regular

RELEASE_BYTES = 32 * 2**20  # span of the file read before its mapped pages are handed back to the OS


class ArraySource:
    """Base of the lazy arrays: subclasses implement ``shape``, ``dtype`` and ``_read_sorted(rows)``."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, (int, np.integer)):
            return self.take(np.array([key]))[0]
        if isinstance(key, slice):
            return self.take(np.arange(*key.indices(len(self))))
        if isinstance(key, tuple):
            return self[key[0]][(slice(None),) + key[1:]]
        rows = np.asarray(key)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return self.take(rows)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The given rows, in the given order, as an in-memory array."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        n = len(self)
        if rows.size and (rows.min() < -n or rows.max() >= n):
            raise IndexError(f"row index out of range for a source of {n} rows")
        rows = np.where(rows < 0, rows + n, rows)
        if rows.size == 0:
            return np.empty((0,) + tuple(self.shape[1:]), dtype=self.dtype)
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        unique, inverse = np.unique(sorted_rows, return_inverse=True)
        block = self._read_sorted(unique)[inverse]
        out = np.empty_like(block)
        out[order] = block
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.take(np.arange(len(self)))
        return data if dtype is None else data.astype(dtype, copy=False)

    def chunks(self, rows: int = 4096):
        """Consecutive blocks of rows, for passes over the whole source (fitting a scaler, counting NaN)."""
        for start in range(0, len(self), rows):
            yield self.take(np.arange(start, min(len(self), start + rows)))

    def close(self) -> None:
        """Let go of the file behind the source (sources built on others close those)."""
        base = getattr(self, "base", None)
        if isinstance(base, ArraySource):
            base.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} shape={self.shape} dtype={self.dtype}>"


class NpyFile(ArraySource):
    """A ``.npy`` file mapped into memory, row by row; pages read are handed back to the OS as training goes,
    so the process's resident memory stays near one batch however large the file is."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        with open_regular(self.path) as f:
            shape, fortran, dtype = npy_header(f, self.path)
            offset = f.tell()
            size = os.fstat(f.fileno()).st_size
            if fortran and len(shape) > 1:
                raise DataError(f"{self.path} is stored in Fortran order, which cannot be read row by row: re-save "
                                "it with numpy.save(path, numpy.ascontiguousarray(array))")
            self.shape, self.dtype = tuple(shape), dtype
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            if size < offset + nbytes:
                raise DataError(f"{self.path} is truncated: the header promises {nbytes} bytes of data: re-create it")
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if nbytes else None  # keeps its own handle
        self._array = (np.frombuffer(self._map, dtype=dtype, count=count, offset=offset).reshape(shape) if nbytes
                       else np.empty(shape, dtype))

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        """Rows copied out one file window (``RELEASE_BYTES``) at a time, releasing each window's pages after
        copying it: the kernel maps neighbouring pages on every fault, so a scattered read of a few rows per
        window would otherwise keep most of the file resident."""
        out = np.empty((rows.size,) + self.shape[1:], dtype=self.dtype)
        row_bytes = max(1, int(np.prod(self.shape[1:])) * self.dtype.itemsize)
        window = max(1, RELEASE_BYTES // row_bytes)
        start = 0
        while start < rows.size:
            stop = int(np.searchsorted(rows, rows[start] + window, side="left"))
            first, last = int(rows[start]), int(rows[stop - 1])
            if last - first + 1 == stop - start:
                out[start:stop] = self._array[first:last + 1]
            else:
                out[start:stop] = self._array[rows[start:stop]]
            self.release()
            start = stop
        return out

    def release(self) -> None:
        """Drop the pages read so far from this process (they stay in the OS file cache)."""
        if self._map is not None and hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        self._array = None
        if self._map is not None:
            self._map.close()


class H5Array(ArraySource):
    """One HDF5 dataset, read a batch at a time (sorted row lists, as h5py requires)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.shape, self.dtype = tuple(dataset.shape), dataset.dtype

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        if rows[-1] - rows[0] + 1 == rows.size:
            return self.dataset[int(rows[0]):int(rows[-1]) + 1]
        return self.dataset[rows]

    def close(self) -> None:
        self.dataset.file.close()


class IndexedView(ArraySource):
    """A subset of another source's rows (a train/validation/test split of a lazy source)."""

    def __init__(self, base: Any, rows: np.ndarray) -> None:
        self.base, self.rows = base, np.asarray(rows, dtype=np.int64)
        self.shape, self.dtype = (len(self.rows),) + tuple(base.shape[1:]), base.dtype

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        return take(self.base, self.rows[rows])


class MappedView(ArraySource):
    """Another source with a function applied to every block read (fitted preprocessing of a lazy source)."""

    def __init__(self, base: Any, fn: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...],
                 dtype: Any = np.float32) -> None:
        self.base, self.fn = base, fn
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        return self.fn(take(self.base, rows))


def is_lazy(a: Any) -> bool:
    """Whether ``a`` reads from disk on demand (a source or a numpy memmap) rather than living in memory."""
    return isinstance(a, (ArraySource, np.memmap))


def take(a: Any, rows: np.ndarray) -> np.ndarray:
    """Rows of an array or a source, as an in-memory array."""
    if isinstance(a, ArraySource):
        return a.take(rows)
    return np.asarray(a[np.asarray(rows, dtype=np.int64)])


def iter_chunks(a: Any, rows: int = 4096):
    """Consecutive row blocks of an array or a source, each in memory."""
    for start in range(0, len(a), rows):
        yield np.asarray(a[start:min(len(a), start + rows)])
