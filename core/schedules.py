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
from core.params import REQUIRED, Param, validate_values

_SCHEDULES: dict[str, type["LearningRateSchedule"]] = {}


def register(cls: type["LearningRateSchedule"]) -> type["LearningRateSchedule"]:
    _SCHEDULES[cls.__name__] = cls
    return cls


def _positive(name: str, default: Any = REQUIRED, help: str = "", nullable: bool = False) -> Param:
    return Param(name, "float", default, help, min=0.0, min_open=True, nullable=nullable)


def _non_negative(name: str, default: Any = REQUIRED, help: str = "", nullable: bool = False) -> Param:
    return Param(name, "float", default, help, min=0.0, nullable=nullable)


_STAIRCASE = Param("staircase", "bool", False, "round the exponent down (the rate changes every decay_steps)")


class LearningRateSchedule:
    """Base class: ``__call__(step)`` gives the rate for update number ``step`` (0-based).

    A schedule declares its constructor's parameters as ``params`` (:class:`core.params.Param`, with their
    ranges); :meth:`_set` checks the given values against them and keeps them, and :meth:`get_config` gives them
    back under the same names.
    """

    params: ClassVar[tuple[Param, ...]] = ()

    def _set(self, **values: Any) -> None:
        """Check ``values`` against :attr:`params` (a ConfigError names the schedule, the value and its range)."""
        for name, value in validate_values(type(self).__name__, self.params, values).items():
            setattr(self, name, value)

    def __call__(self, step: int) -> float:
        if step < 0:
            raise ConfigError(f"{type(self).__name__}: the step must be ≥ 0, got {step}")
        return float(self.rate(int(step)))

    def rate(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.params}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register
class ExponentialDecay(LearningRateSchedule):
    """``lr₀ · decay_rate^(step / decay_steps)``; with ``staircase`` the exponent is rounded down."""

    params = (_positive("initial_learning_rate", help="the rate of the first update"),
              _positive("decay_steps", help="updates over which the rate is multiplied by decay_rate"),
              _non_negative("decay_rate", help="factor applied every decay_steps updates"), _STAIRCASE)

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self._set(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate,
                  staircase=staircase)

    def rate(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)


@register
class InverseTimeDecay(LearningRateSchedule):
    """Time-based decay ``lr₀ / (1 + decay_rate · step / decay_steps)`` (floored ratio with ``staircase``)."""

    params = (_positive("initial_learning_rate", help="the rate of the first update"),
              _positive("decay_steps", help="updates per unit of decay"),
              _non_negative("decay_rate", help="how fast the rate falls"), _STAIRCASE)

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self._set(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate,
                  staircase=staircase)

    def rate(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate / (1.0 + self.decay_rate * (math.floor(p) if self.staircase else p))


@register
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step ≤ boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step ≤ boundaries[i]``,
    ``values[-1]`` after the last boundary."""

    params = (_non_negative("boundaries", help="each: the update count after which the next value applies"),
              _non_negative("values", help="each: the rate up to its boundary"))

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str | None = None) -> None:
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ConfigError(f"PiecewiseConstantDecay: give one more value than boundaries (got "
                              f"{len(boundaries)} boundaries and {len(values)} values)")
        if any(b >= a for a, b in zip(boundaries[1:], boundaries)):
            raise ConfigError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        each_boundary, each_value = self.params
        self.boundaries = [int(each_boundary.validate("PiecewiseConstantDecay", b)) for b in boundaries]
        self.values = [each_value.validate("PiecewiseConstantDecay", v) for v in values]

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

    params = (_non_negative("initial_learning_rate", help="the rate of the first update (warm-up starts here)"),
              _positive("decay_steps", help="updates over which the rate decays"),
              _non_negative("alpha", 0.0, "the final rate, as a fraction of the start"),
              _non_negative("warmup_target", None, "the rate reached after the warm-up (None: no warm-up)",
                            nullable=True),
              _non_negative("warmup_steps", 0.0, "updates of linear warm-up"))

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str | None = None,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self._set(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps, alpha=alpha,
                  warmup_target=warmup_target, warmup_steps=warmup_steps)

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

    params = (_positive("initial_learning_rate", help="the rate of the first epoch"),
              _non_negative("drop_rate", 0.5, "factor applied every epochs_drop epochs"),
              _positive("epochs_drop", 10.0, "epochs between drops"),
              _positive("steps_per_epoch", None, "updates per epoch (None: set by the trainer)", nullable=True))

    def __init__(self, initial_learning_rate: float, drop_rate: float = 0.5, epochs_drop: int = 10,
                 steps_per_epoch: int | None = None, name: str | None = None) -> None:
        self._set(initial_learning_rate=initial_learning_rate, drop_rate=drop_rate, epochs_drop=epochs_drop,
                  steps_per_epoch=steps_per_epoch)
        self.epochs_drop = int(self.epochs_drop)
        self.steps_per_epoch = None if steps_per_epoch is None else int(self.steps_per_epoch)
        self._fixed = steps_per_epoch is not None

    def set_steps_per_epoch(self, steps: int) -> None:
        """Told by the trainer; ignored when ``steps_per_epoch`` was given to the constructor."""
        if not self._fixed:
            self.steps_per_epoch = int(self.params[3].validate("StepDecay", steps))

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
