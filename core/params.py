"""The parameter spec shared by every configurable part: layers, sample data sets, optimisers and schedules.

A :class:`Param` says what a parameter is (``kind``), its default, its allowed range or choices and one line of
help. It validates a value, normalises it (a kernel size ``3`` becomes ``(3, 3)``) and, when the value is not
allowed, raises an error naming the owner, the parameter and what is allowed. The inspector, the training form
and the command line build their fields and messages from the same spec.

This module is a leaf: it imports nothing of the project but :mod:`core.errors` (and NumPy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from core.errors import ConfigError

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "shape", "str", "regularizer")
MAX_DIMENSION = 2**31 - 1  # the largest dimension of a ``shape`` (Keras and ONNX store them as int32)
KERAS_REGULARIZER_DEFAULTS = {"l1": {"l1": 0.01}, "l2": {"l2": 0.01}, "l1_l2": {"l1": 0.01, "l2": 0.01}}


class _Required:
    """The default of a parameter that must be given (a schedule's ``decay_steps``)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """One parameter of a layer type, a sample, an optimiser or a schedule.

    Attributes:
        name: the config key (Keras's, where Keras has one).
        kind: one of ``PARAM_KINDS``. ``ints`` is an int or a tuple of ``length`` ints (kernel sizes, strides);
            ``shape`` is a tuple of ints of any length (``-1`` allowed once, as in Keras's Reshape);
            ``regularizer`` is None or ``{"l1": a, "l2": b}`` (Keras's ``'l1'``, ``'l2'``, ``'l1_l2'`` accepted).
        default: the value used when the parameter is not given (:data:`REQUIRED` when it must be).
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

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """What values are allowed, in words (used in error messages and the inspector)."""
        if self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in ("int", "float", "ints"):
            noun = {"int": "an integer", "float": "a number", "ints": _ints_noun(self.length)}[self.kind]
            text = noun + self._range_text()
        elif self.kind == "shape":
            text = f"a tuple of positive integers up to {MAX_DIMENSION} (one -1 allowed)"
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

    def validate(self, owner: str, value: Any, error: type[Exception] = ConfigError) -> Any:
        """Return ``value`` normalised, or raise ``error`` saying what ``owner``'s parameter allows."""
        if value is None:
            if self.nullable:
                return None
            self._fail(owner, value, error)
        try:
            return getattr(self, "_check_" + self.kind)(value)
        except (TypeError, ValueError, KeyError, OverflowError):  # OverflowError: int(inf)
            self._fail(owner, value, error)

    def _fail(self, owner: str, value: Any, error: type[Exception]) -> None:
        raise error(f"{owner}: parameter '{self.name}' must be {self.describe()}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """A plain description for listings (``neurocanvas samples``, the training form); ``doc`` is the help."""
        return {"name": self.name, "kind": self.kind, "default": None if self.required else self.default,
                "min": self.min, "max": self.max, "min_open": self.min_open, "max_open": self.max_open,
                "choices": list(self.choices), "doc": self.help}

    def _in_range(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.min is not None and (v <= self.min if self.min_open else v < self.min):
            return False
        return not (self.max is not None and (v >= self.max if self.max_open else v > self.max))

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value) or \
                int(value) != value:
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
        if not isinstance(value, (bool, np.bool_)):  # NumPy's too: configs read from files may hold them
            raise TypeError
        return bool(value)

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
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer)) or not _finite(v) or \
                    int(v) != v or (v < 1 and v != -1) or v > MAX_DIMENSION:
                raise ValueError
            out.append(int(v))
        if not out or out.count(-1) > 1:
            raise ValueError
        return tuple(out)


def validate_values(owner: str, params: Iterable[Param], values: Mapping[str, Any],
                    error: type[Exception] = ConfigError) -> dict[str, Any]:
    """Check ``values`` against ``params``: a full dict with defaults filled in and every value normalised.

    Unknown keys are refused (a typo never passes silently), and so is a missing :data:`REQUIRED` parameter.
    """
    spec = {p.name: p for p in params}
    unknown = sorted(set(values) - set(spec))
    if unknown:
        raise error(f"{owner}: unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(spec) or 'none'}")
    missing = [p.name for p in spec.values() if p.required and p.name not in values]
    if missing:
        raise error(f"{owner}: give {', '.join(missing)}")
    return {name: p.validate(owner, values.get(name, p.default), error) for name, p in spec.items()}


def _finite(value: Any) -> bool:
    """False for inf and NaN (which ``int()`` cannot take); True for every int, however large."""
    return isinstance(value, (int, np.integer)) or math.isfinite(value)


def _ints_noun(length: int) -> str:
    return "an integer" if length == 1 else f"an integer or a tuple of {length} integers, each"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)
