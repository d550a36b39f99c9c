"""The source text the script generators share: literals, calls laid out as black lays them out, and the error a
generator raises (:mod:`core.io.codegen` for the model, :mod:`core.io.codegen_training` for its training)."""

from __future__ import annotations

import json
from typing import Any

from core.errors import NeuroCanvasError

WIDTH = 88
INDENT = "    "


class CodegenError(NeuroCanvasError):
    """The design has something the target library cannot express."""


def literal(value: Any, keras: bool = True) -> str:
    """Python source for a config value (double-quoted strings, tuples with their comma)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = [literal(v, keras) for v in value]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, keras) for v in value) + "]"
    if isinstance(value, dict):
        if keras and set(value) <= {"l1", "l2"}:
            return call("keras.regularizers.L1L2", [], {k: value.get(k, 0.0) for k in ("l1", "l2")})
        return "{" + ", ".join(f"{json.dumps(k)}: {literal(v, keras)}" for k, v in value.items()) + "}"
    return repr(value)


class Code:
    """A call in generated source, rendered on one line when it fits in :data:`WIDTH` and one argument a line
    otherwise (nested calls likewise), as black formats it."""

    def __init__(self, func: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.func = func
        self.parts: list[tuple[str | None, Any]] = [(None, a) for a in args] + list(kwargs.items())

    def render(self, indent: str = "", lead: int = 0) -> str:
        """The source; ``indent`` is the line's indentation and ``lead`` the characters before the call on it."""
        flat = [(f"{k}=" if k else "") + (v.render() if isinstance(v, Code) else v) for k, v in self.parts]
        one_line = f"{self.func}(" + ", ".join(flat) + ")"
        if (len(indent) + lead + len(one_line) <= WIDTH and "\n" not in one_line) or not self.parts:
            return one_line
        inner = indent + INDENT
        lines = []
        for k, v in self.parts:
            key = f"{k}=" if k else ""
            text = v.render(inner, len(key)) if isinstance(v, Code) else v
            lines.append(f"{inner}{key}{text},\n")
        return f"{self.func}(\n" + "".join(lines) + f"{indent})"


def call(func: str, args: list[str], kwargs: dict[str, Any], indent: str = "", raw: bool = False,
         keras: bool = True, lead: int = 0) -> str:
    """``func(args..., key=value...)`` formatted by :class:`Code`; values are literals unless ``raw``."""
    return code(func, args, kwargs, raw, keras).render(indent, lead)


def code(func: str, args: list[str], kwargs: dict[str, Any], raw: bool = False, keras: bool = True) -> Code:
    values = {k: v if raw or isinstance(v, Code) else literal(v, keras) for k, v in kwargs.items()}
    return Code(func, list(args), values)
