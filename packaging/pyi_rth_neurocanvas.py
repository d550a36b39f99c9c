"""PyInstaller runtime hook: runs before NeuroCanvas in the bundle.

Numba caches compiled kernels next to their source files; the bundle's own folder may be read-only (installed
under /opt) and is replaced by every new build, so the cache goes to the user's cache folder instead, where
later starts find it. An explicit ``NUMBA_CACHE_DIR`` wins.
"""

import os

if not os.environ.get("NUMBA_CACHE_DIR"):
    _cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(_cache, "neurocanvas", "numba")
