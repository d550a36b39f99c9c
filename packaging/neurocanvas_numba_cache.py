"""Numba cache locator for the frozen bundle (named by ``NUMBA_CACHE_LOCATOR_CLASSES``, set in the runtime hook).

In a PyInstaller bundle the kernels' code objects carry relative file names (``core/kernels/cpu/dense.py``). Numba's
own fallback for frozen programs turns them into absolute paths against the current folder, so the same kernel
gets a new cache folder for every folder the program is started from. This locator keys the cache on the module's
package path alone, under ``NUMBA_CACHE_DIR``; like Numba's, it stamps entries with the executable's content hash
(``_SourceFileBackedLocatorMixin``), so a new build, whose executable carries the new code, recompiles once.
"""

from __future__ import annotations

import os
import sys

from numba.core.caching import _CacheLocator, _SourceFileBackedLocatorMixin


class BundleCacheLocator(_SourceFileBackedLocatorMixin, _CacheLocator):
    """Cache files of a frozen program's kernels in ``$NUMBA_CACHE_DIR/<package path>``."""

    def __init__(self, py_func, py_file: str):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        package = os.path.dirname(py_file).strip("/\\").replace("/", "_").replace("\\", "_") or "main"
        self._cache_path = os.path.join(os.environ["NUMBA_CACHE_DIR"], package)

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file: str):
        if not getattr(sys, "frozen", False) or not os.environ.get("NUMBA_CACHE_DIR") or os.path.isabs(py_file):
            return None  # not a bundle's relative file name: leave it to Numba's own locators
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None  # an unwritable cache folder: the next locator (Numba's user-wide one) is tried
        return self
