"""The error raised for data a user gave that cannot be used as it is."""

from core.errors import NeuroCanvasError


class DataError(NeuroCanvasError, ValueError):
    """A data file or array cannot be used as it is; the message says what is wrong and how to fix it."""
