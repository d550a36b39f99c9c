"""The layer registry: one list of layer types that the palette, the inspector, the file formats, the code
exporter and validation all read.

A layer type registers itself with :func:`register`. Its class carries a Keras type name, a category, a
parameter spec (:class:`Param`) and a docstring whose first paragraph is the user-facing doc. Configs are
validated against the spec by :func:`validate_config`, which fills defaults and normalises values (a kernel size
``3`` becomes ``(3, 3)``), and raises :class:`~core.errors.ConfigError` naming the layer, the parameter and
what is allowed.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Iterator

from core.errors import ConfigError

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "shape", "str", "regularizer")


@dataclass(frozen=True)
class Param:
    """One parameter of a layer type.

    Attributes:
        name: the Keras config key.
        kind: one of ``PARAM_KINDS``. ``ints`` is an int or a tuple of ``length`` ints (kernel sizes, strides);
            ``shape`` is a tuple of ints of any length (``-1`` allowed once, as in Keras's Reshape);
            ``regularizer`` is None or ``{"l1": a, "l2": b}`` (Keras's ``'l1'``, ``'l2'``, ``'l1_l2'`` accepted).
        default: the value used when the parameter is not given.
        help: one line for tooltips and the inspector.
        min, max: the allowed range for numbers (inclusive unless ``min_open`` / ``max_open``).
        choices: the allowed values of a ``choice``.
        length: the tuple length of an ``ints`` parameter.
        nullable: whether ``None`` is allowed.
    """

    name: str
    kind: str
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple = ()
    length: int = 1
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")

    def describe(self) -> str:
        """What values are allowed, in words (used in error messages and the inspector)."""
        if self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in ("int", "float", "ints"):
            noun = {"int": "an integer", "float": "a number", "ints": _ints_noun(self.length)}[self.kind]
            text = noun + self._range_text()
        elif self.kind == "shape":
            text = "a tuple of positive integers (one -1 allowed)"
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "regularizer":
            text = "None, 'l1', 'l2', 'l1_l2' or {'l1': a, 'l2': b} with a, b ≥ 0"
        else:
            text = "a string"
        return text + (" or None" if self.nullable else "")

    def _range_text(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_open else '≥'} {_num(self.min)}")
        if self.max is not None:
            parts.append(f"{'<' if self.max_open else '≤'} {_num(self.max)}")
        return (" " + " and ".join(parts)) if parts else ""

    def validate(self, layer_type: str, value: Any) -> Any:
        """Return ``value`` normalised, or raise ConfigError saying what is allowed."""
        if value is None:
            if self.nullable:
                return None
            self._fail(layer_type, value)
        try:
            return getattr(self, "_check_" + self.kind)(value)
        except (TypeError, ValueError, KeyError):
            self._fail(layer_type, value)

    def _fail(self, layer_type: str, value: Any) -> None:
        raise ConfigError(f"{layer_type}: parameter '{self.name}' must be {self.describe()}, got {value!r}")

    def _in_range(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.min is not None and (v <= self.min if self.min_open else v < self.min):
            return False
        return not (self.max is not None and (v >= self.max if self.max_open else v > self.max))

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise TypeError
        if not self._in_range(int(value)):
            raise ValueError
        return int(value)

    def _check_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError
        if not self._in_range(float(value)):
            raise ValueError
        return float(value)

    def _check_bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError
        return value

    def _check_choice(self, value: Any) -> Any:
        if value not in self.choices:
            raise ValueError
        return value

    def _check_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError
        return value

    def _check_ints(self, value: Any) -> tuple[int, ...]:
        items = (value,) * self.length if isinstance(value, (int, float)) else tuple(value)
        if len(items) != self.length:
            raise ValueError
        return tuple(self._check_int(v) for v in items)

    def _check_regularizer(self, value: Any) -> dict[str, float]:
        if isinstance(value, str):
            value = KERAS_REGULARIZER_DEFAULTS[value]
        if not isinstance(value, dict) or not set(value) <= {"l1", "l2"}:
            raise TypeError
        out = {}
        for key in ("l1", "l2"):
            v = value.get(key, 0.0)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError
            out[key] = float(v)
        return out

    def _check_shape(self, value: Any) -> tuple[int, ...]:
        items = (value,) if isinstance(value, (int, float)) else tuple(value)
        out = []
        for v in items:
            if isinstance(v, bool) or int(v) != v or (v < 1 and v != -1):
                raise ValueError
            out.append(int(v))
        if not out or out.count(-1) > 1:
            raise ValueError
        return tuple(out)


KERAS_REGULARIZER_DEFAULTS = {"l1": {"l1": 0.01}, "l2": {"l2": 0.01}, "l1_l2": {"l1": 0.01, "l2": 0.01}}


def _ints_noun(length: int) -> str:
    return "an integer" if length == 1 else f"an integer or a tuple of {length} integers, each"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


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
    spec = {p.name: p for p in cls.params}
    unknown = sorted(set(config) - set(spec))
    if unknown:
        allowed = ", ".join(spec) or "none"
        raise ConfigError(f"{cls.type_name}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    return {name: p.validate(cls.type_name, config.get(name, p.default)) for name, p in spec.items()}
