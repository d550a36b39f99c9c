"""Text for shapes, shared by the layers' error messages, shape inference, summaries and the CLI.

A leaf module: it imports nothing of the project, so that any module, the layers included, can import it at
module level.
"""

from __future__ import annotations

from typing import Sequence


def format_shape(shape: Sequence[int | None] | None) -> str:
    """Keras's notation with the batch axis: ``(None, 28, 28, 1)`` for the per-sample shape ``(28, 28, 1)``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["None"] + [str(d) for d in shape]) + ")"
