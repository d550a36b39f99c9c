"""Learning-rate schedules: callables ``schedule(step) -> learning rate``, with Keras's names and formulas.

Any optimiser takes one as ``learning_rate=``; it is called with the optimiser's iteration count (the number of
updates done so far, 0 for the first update), exactly as Keras does. Progressive decay comes in two forms:
time-based ``lr / (1 + decay·t)`` (:class:`InverseTimeDecay` with ``decay_steps=1``, also the Keras-2 ``decay``
argument of every optimiser) and :class:`ExponentialDecay`.

Epoch-based schedules: :class:`StepDecay` counts epochs, so it needs the number of updates per epoch. The
:class:`~core.training.Trainer` tells it before training (``set_steps_per_epoch``, from the data size and batch
size); give ``steps_per_epoch`` yourself to fix it. Reduce-on-plateau watches a metric, so it is a callback:
:class:`core.callbacks.ReduceLROnPlateau`; any function of the epoch can also drive the rate through
:class:`core.callbacks.LearningRateScheduler`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Sequence

from core.errors import ConfigError

_SCHEDULES: dict[str, type["LearningRateSchedule"]] = {}


def register(cls: type["LearningRateSchedule"]) -> type["LearningRateSchedule"]:
    _SCHEDULES[cls.__name__] = cls
    return cls


def _number(owner: str, name: str, value: Any, positive: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise ConfigError(f"{owner}: '{name}' must be a {'positive' if positive else 'non-negative'} number, "
                          f"got {value!r}")
    return float(value)


class LearningRateSchedule:
    """Base class: ``__call__(step)`` gives the rate for update number ``step`` (0-based)."""

    config_keys: ClassVar[tuple[str, ...]] = ()

    def __call__(self, step: int) -> float:
        if step < 0:
            raise ConfigError(f"{type(self).__name__}: the step must be ≥ 0, got {step}")
        return float(self.rate(int(step)))

    def rate(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.config_keys}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register
class ExponentialDecay(LearningRateSchedule):
    """``lr₀ · decay_rate^(step / decay_steps)``; with ``staircase`` the exponent is rounded down."""

    config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase")

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = _number("ExponentialDecay", "initial_learning_rate", initial_learning_rate, True)
        self.decay_steps = _number("ExponentialDecay", "decay_steps", decay_steps, True)
        self.decay_rate = _number("ExponentialDecay", "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def rate(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)


@register
class InverseTimeDecay(LearningRateSchedule):
    """Time-based decay ``lr₀ / (1 + decay_rate · step / decay_steps)`` (floored ratio with ``staircase``)."""

    config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase")

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = _number("InverseTimeDecay", "initial_learning_rate", initial_learning_rate, True)
        self.decay_steps = _number("InverseTimeDecay", "decay_steps", decay_steps, True)
        self.decay_rate = _number("InverseTimeDecay", "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def rate(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate / (1.0 + self.decay_rate * (math.floor(p) if self.staircase else p))


@register
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step ≤ boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step ≤ boundaries[i]``,
    ``values[-1]`` after the last boundary."""

    config_keys = ("boundaries", "values")

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str | None = None) -> None:
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ConfigError(f"PiecewiseConstantDecay: give one more value than boundaries (got "
                              f"{len(boundaries)} boundaries and {len(values)} values)")
        if any(b >= a for a, b in zip(boundaries[1:], boundaries)):
            raise ConfigError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        self.boundaries = [int(_number("PiecewiseConstantDecay", "boundaries", b)) for b in boundaries]
        self.values = [_number("PiecewiseConstantDecay", "values", v) for v in values]

    def rate(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]


@register
class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter) with optional linear warm-up, as Keras 3.

    Without warm-up: ``lr₀ · ((1 − α) · ½(1 + cos(π · min(step, decay_steps) / decay_steps)) + α)``. With
    ``warmup_target``: the rate rises linearly from ``lr₀`` to ``warmup_target`` over ``warmup_steps``, then decays
    from ``warmup_target`` with the formula above over ``decay_steps``.
    """

    config_keys = ("initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps")

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str | None = None,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate = _number("CosineDecay", "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number("CosineDecay", "decay_steps", decay_steps, True)
        self.alpha = _number("CosineDecay", "alpha", alpha)
        self.warmup_target = None if warmup_target is None else _number("CosineDecay", "warmup_target",
                                                                         warmup_target)
        self.warmup_steps = _number("CosineDecay", "warmup_steps", warmup_steps)

    def _decayed(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def rate(self, step):
        if self.warmup_target is None:
            return self._decayed(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decayed(step - self.warmup_steps, self.warmup_target)


@register
class StepDecay(LearningRateSchedule):
    """Step decay: ``lr₀ · drop_rate^⌊epoch / epochs_drop⌋``, the epoch being ``step // steps_per_epoch``.

    ``steps_per_epoch`` is set by the trainer before training unless given here; :meth:`for_epoch` gives the
    rate of an epoch directly (e.g. for :class:`core.callbacks.LearningRateScheduler`).
    """

    config_keys = ("initial_learning_rate", "drop_rate", "epochs_drop", "steps_per_epoch")

    def __init__(self, initial_learning_rate: float, drop_rate: float = 0.5, epochs_drop: int = 10,
                 steps_per_epoch: int | None = None, name: str | None = None) -> None:
        self.initial_learning_rate = _number("StepDecay", "initial_learning_rate", initial_learning_rate, True)
        self.drop_rate = _number("StepDecay", "drop_rate", drop_rate)
        self.epochs_drop = int(_number("StepDecay", "epochs_drop", epochs_drop, True))
        self.steps_per_epoch = None if steps_per_epoch is None else int(
            _number("StepDecay", "steps_per_epoch", steps_per_epoch, True))
        self._fixed = steps_per_epoch is not None

    def set_steps_per_epoch(self, steps: int) -> None:
        """Told by the trainer; ignored when ``steps_per_epoch`` was given to the constructor."""
        if not self._fixed:
            self.steps_per_epoch = int(_number("StepDecay", "steps_per_epoch", steps, True))

    def for_epoch(self, epoch: int) -> float:
        return self.initial_learning_rate * self.drop_rate ** (int(epoch) // self.epochs_drop)

    def rate(self, step):
        if self.steps_per_epoch is None:
            raise ConfigError("StepDecay counts epochs: give steps_per_epoch (updates per epoch), or train it with "
                              "fit, which sets it from the data size and batch size")
        return self.for_epoch(step // self.steps_per_epoch)

    def get_config(self):
        config = super().get_config()
        if not self._fixed:
            config["steps_per_epoch"] = None
        return config


def names() -> list[str]:
    """The schedules' class names, for menus."""
    return sorted(_SCHEDULES)


def serialize(schedule: Any) -> dict[str, Any]:
    """Keras's ``{"class_name": ..., "config": ...}`` form of a schedule."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ConfigError(f"cannot save the learning-rate function {schedule!r}: use a schedule from "
                          f"core.schedules ({', '.join(names())})")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    """A schedule from :func:`serialize`'s form (Keras's own, for the schedules both have)."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in _SCHEDULES:
        raise ConfigError(f"unknown learning-rate schedule {name!r}; choose one of {', '.join(names())}")
    return _SCHEDULES[name].from_config(dict(config.get("config", {})))


def get(identifier: Any) -> Any:
    """A schedule from an instance, a serialized dict, or a plain number (returned as it is)."""
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return identifier
