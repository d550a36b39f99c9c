"""Errors a user can act on.

Every error raised by the engine for a user mistake derives from :class:`NeuroCanvasError`, and its message says
what is wrong and how to fix it. The GUI shows the message as it is.
"""


class NeuroCanvasError(Exception):
    """Base class of every error the user is meant to read."""


class ConfigError(NeuroCanvasError, ValueError):
    """A layer, loss or optimiser parameter has a wrong type or is out of range."""


class GraphError(NeuroCanvasError):
    """An edit the graph refuses: unknown layer, duplicate name, a slot already taken."""


class CycleError(GraphError):
    """A connection would make a cycle."""


class ShapeError(NeuroCanvasError, ValueError):
    """Tensor shapes do not fit together."""


class TrainingError(NeuroCanvasError):
    """Training cannot start or had to stop (e.g. the loss became NaN)."""


class ModelFileError(NeuroCanvasError):
    """A model file cannot be read or written."""
