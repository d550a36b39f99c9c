"""Export formats: one :class:`Exporter` class per format, registered by name.

``neurocanvas export --format``, File → Export and the tests all read :func:`exporters`. A new format is one
class (in a module of this package, imported below) that sets ``name``, ``label``, ``suffix`` and
``description``, implements ``write`` (or ``text`` for a :class:`TextExporter`) and calls ``register()``.
"""

from core.io.exporters.base import Exporter, TextExporter, exporters, get, names, register, unregister
from core.io.exporters import onnx_model, scripts, pytorch, diagrams, history, summaries  # noqa: F401  (they register)

__all__ = ["Exporter", "TextExporter", "exporters", "get", "names", "register", "unregister"]
