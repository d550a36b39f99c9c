"""NeuroCanvas's desktop application (PySide6): the designer window, its canvas, library and inspector.

``core`` never imports this package; the application is one client of the engine.
"""

import core.startup  # noqa: F401  (first: BLAS thread settings, before anything loads NumPy)
from app.compat import protect_none

__all__ = ["__version__"]

from core.version import __version__  # noqa: E402  (one version for engine and application)

protect_none()
