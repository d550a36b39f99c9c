"""The contract every export format fulfils, and the registry the command line, File → Export and the tests read.

An export format is one small :class:`Exporter` subclass: its ``name`` (the value of ``neurocanvas export
--format``), a ``label`` for the menu, the file ``suffix``, a one-line ``description``, what it needs of the model
(``needs_history``: only a trained model has one) and :meth:`Exporter.export`. Calling :func:`register` on the
class makes it appear everywhere at once, in registration order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from core.errors import NeuroCanvasError


class Exporter:
    """Writes a model (a :class:`core.api.Model`) to one file in one format.

    Subclasses set the class attributes and implement :meth:`write`; :meth:`export` checks what the format needs
    before anything is written.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    suffix: ClassVar[str] = ""
    description: ClassVar[str] = ""
    stem_suffix: ClassVar[str] = ""  # what the default file name adds to the model's stem ("_keras")
    needs_history: ClassVar[bool] = False  # a training history, so only a trained model exports
    writes_script: ClassVar[bool] = False  # a script that loads its weights from the model's .h5 file

    def missing(self, model: Any) -> str | None:
        """Why ``model`` cannot be exported in this format (a sentence that says what to do), or None."""
        if self.needs_history and not (getattr(getattr(model, "history", None), "history", None)):
            return ("the model has no training history to export: train it first (the history is saved in "
                    "the .h5 file with the weights)")
        return None

    def export(self, model: Any, path: str | os.PathLike, weights_file: str | None = None) -> Path:
        """Write ``model`` to ``path``; returns the path written.

        ``weights_file`` is the ``.h5`` file a script loads its weights from (by default the model's name with
        ``.h5``, in the script's folder); other formats ignore it.

        Raises:
            NeuroCanvasError: the model lacks what the format needs, or the format cannot express it.
        """
        reason = self.missing(model)
        if reason:
            raise NeuroCanvasError(reason)
        path = Path(path)
        self.write(model, path, weights_file or f"{model.name}.h5")
        return path

    def write(self, model: Any, path: Path, weights_file: str) -> None:
        """Write the file (the format's own work, after :meth:`export` has checked the model)."""
        raise NotImplementedError(f"{type(self).__name__} must implement write(model, path, weights_file)")

    @classmethod
    def default_path(cls, model_path: str | os.PathLike) -> Path:
        """Where an export of the model file goes by default: beside it, named after it, with the suffix."""
        path = Path(model_path)
        return path.with_name(path.stem + cls.stem_suffix + cls.suffix)

    @classmethod
    def register(cls) -> type["Exporter"]:
        """Add this format to the registry (see :func:`register`)."""
        return register(cls)


class TextExporter(Exporter):
    """A format whose file is text made by :meth:`text`."""

    def write(self, model: Any, path: Path, weights_file: str) -> None:
        path.write_text(self.text(model, weights_file), encoding="utf-8")

    def text(self, model: Any, weights_file: str) -> str:
        raise NotImplementedError(f"{type(self).__name__} must implement text(model, weights_file)")


_REGISTRY: dict[str, type[Exporter]] = {}
_REQUIRED = ("name", "label", "suffix", "description")


def register(cls: type[Exporter]) -> type[Exporter]:
    """Add an :class:`Exporter` subclass under its ``name``; usable as a class decorator.

    Raises:
        ValueError: a required attribute is empty, or another class already has the name.
    """
    empty = [attr for attr in _REQUIRED if not getattr(cls, attr)]
    if empty:
        raise ValueError(f"{cls.__name__} must set {', '.join(empty)}")
    if not cls.suffix.startswith("."):
        raise ValueError(f"{cls.__name__}.suffix must start with a dot, got {cls.suffix!r}")
    known = _REGISTRY.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"export format {cls.name!r} is already registered by {known.__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a format (for tests that register their own)."""
    _REGISTRY.pop(name, None)


def exporters() -> list[type[Exporter]]:
    """Every registered format, in registration order."""
    return list(_REGISTRY.values())


def names() -> list[str]:
    """The registered format names (the choices of ``neurocanvas export --format``)."""
    return list(_REGISTRY)


def get(name: str) -> Exporter:
    """An exporter for format ``name``.

    Raises:
        NeuroCanvasError: no format has that name (the message lists them).
    """
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise NeuroCanvasError(f"unknown export format {name!r}: choose one of {', '.join(_REGISTRY)}") from None
