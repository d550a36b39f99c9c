"""Exports by format name, for callers that hold a ``--format`` value: thin functions over the registry in
:mod:`core.io.exporters`, where each format is one :class:`~core.io.exporters.Exporter` class.

The text makers :func:`history_csv` and :func:`summary_markdown` live with their formats and are re-exported here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.io import exporters
from core.io.exporters.history import history_csv
from core.io.exporters.summaries import summary_markdown

__all__ = ["default_path", "export", "formats", "history_csv", "summary_markdown"]


def formats() -> dict[str, tuple[str, str]]:
    """Every registered format name with its file suffix and description, in registration order."""
    return {cls.name: (cls.suffix, cls.description) for cls in exporters.exporters()}


def default_path(model_path: str | os.PathLike, fmt: str) -> Path:
    """Where an export of the model file goes by default: beside it, same stem, the format's suffix."""
    return exporters.get(fmt).default_path(model_path)


def export(model: Any, path: str | os.PathLike, fmt: str, weights_file: str | None = None) -> Path:
    """Write ``model`` (a :class:`core.api.Model`) to ``path`` in format ``fmt`` (a registered name).

    ``weights_file`` is the ``.h5`` file the scripts load their weights from (by default the model's stem with
    ``.h5``, in the script's folder). Returns the path written.

    Raises:
        NeuroCanvasError: the format is unknown (the message lists them), or it cannot export this model.
    """
    return exporters.get(fmt).export(model, path, weights_file)
