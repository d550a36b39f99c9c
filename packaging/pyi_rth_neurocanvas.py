"""PyInstaller runtime hook: runs in the bundle before NeuroCanvas starts.

Compiled kernels are cached in the user's cache folder (``$XDG_CACHE_HOME/neurocanvas/numba``, by default
``~/.cache/neurocanvas/numba``; an explicit ``NUMBA_CACHE_DIR`` wins), found by the same path whatever folder the
program is started from (see ``neurocanvas_numba_cache.py``); Numba's own locators stay as the fallback.
"""

import os

if not os.environ.get("NUMBA_CACHE_DIR"):
    _cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(_cache, "neurocanvas", "numba")
os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES", "neurocanvas_numba_cache.BundleCacheLocator,"
                      "UserProvidedCacheLocator,InTreeCacheLocator,UserWideCacheLocator")
