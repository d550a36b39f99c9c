"""The layer registry: one list of layer types that the palette, the inspector, the file formats, the code
exporter and validation all read.

A layer type registers itself with :func:`register`. Its class carries a Keras type name, a category, a
parameter spec (:class:`core.params.Param`, re-exported here) and a docstring whose first paragraph is the
user-facing doc. Configs are validated against the spec by :func:`validate_config`, which fills defaults and
normalises values (a kernel size ``3`` becomes ``(3, 3)``), and raises :class:`~core.errors.ConfigError` naming
the layer, the parameter and what is allowed.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterator

from core.errors import ConfigError
from core.params import KERAS_REGULARIZER_DEFAULTS, PARAM_KINDS, Param, validate_values

__all__ = ["KERAS_REGULARIZER_DEFAULTS", "PARAM_KINDS", "Param", "all_types", "by_category", "doc", "get",
           "iter_classes", "register", "validate_config"]

_REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: add a layer type to the registry under its Keras name (the class name by default)."""
    name = cls.__dict__.get("type_name") or cls.__name__
    cls.type_name = name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"layer type {name!r} registered twice")
    names = [p.name for p in cls.params]
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: duplicate parameter names {names}")
    _REGISTRY[name] = cls
    return cls


def _ensure_loaded() -> None:
    import core.layers  # noqa: F401  (importing the package registers every layer type)


def get(type_name: str) -> type:
    """The layer class registered as ``type_name``; a ConfigError lists the known types otherwise."""
    _ensure_loaded()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise ConfigError(f"unknown layer type {type_name!r}; known types: {', '.join(sorted(_REGISTRY))}") from None


def all_types() -> list[str]:
    """Every registered type name, sorted."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def by_category() -> dict[str, list[str]]:
    """Type names grouped by category, for the palette."""
    groups: dict[str, list[str]] = {}
    for name in all_types():
        groups.setdefault(_REGISTRY[name].category, []).append(name)
    return groups


def iter_classes() -> Iterator[type]:
    for name in all_types():
        yield _REGISTRY[name]


def doc(type_name: str) -> str:
    """The first paragraph of the layer class's docstring: what it does, its input and output shapes."""
    text = inspect.getdoc(get(type_name)) or ""
    return text.split("\n\n")[0].replace("\n", " ").strip()


def validate_config(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """Check ``config`` against ``cls.params``; return a full config with defaults filled in and values normalised.

    Unknown keys are refused, so that a typo never passes silently.
    """
    return validate_values(cls.type_name, cls.params, config)
