"""NeuroCanvas's engine: everything GUI-free.

``from core import Sequential, Dense, Dropout, SGD`` gives a Keras-like API. Every registered layer type, every
loss and every optimiser is importable from here by its Keras class name.
"""

import core.startup  # noqa: F401  (first: BLAS thread settings, before NumPy loads)
from core import losses as _losses
from core import optimizers as _optimizers
from core.api import Input, Model, Sequential, load_model, save_model
from core.engine import Network, build
from core.errors import (ConfigError, CycleError, GraphError, ModelFileError, NeuroCanvasError, ShapeError,
                         TrainingError)
from core.graph import Graph, Link
from core.layers import registry as _registry
from core.training import Callback, History, Trainer
from core.version import __version__

_CLASSES = [*_registry.iter_classes(), *_losses.classes(), *_optimizers.classes()]
for _cls in _CLASSES:
    globals()[_cls.__name__] = _cls

__all__ = sorted(
    ["Input", "Model", "Sequential", "load_model", "save_model", "Network", "build", "Graph", "Link", "Callback",
     "History", "Trainer", "ConfigError", "CycleError", "GraphError", "ModelFileError", "NeuroCanvasError", "ShapeError", "TrainingError"]
    + [c.__name__ for c in _CLASSES])
