"""The optimiser base class: learning rate (a number or a schedule), the Keras-2 ``decay``, gradient clipping,
decoupled weight decay, the slots each weight keeps and the state that saves and restores them exactly.

A subclass names its slots and runs one kernel per update (see :class:`Optimizer`); the checks here are what every
optimiser uses for its options, so that all of them refuse a bad value with the same message.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, ClassVar

import numpy as np

from core import schedules
from core.errors import ConfigError
from core.params import Param


def unit_interval(name: str, default: float, help: str) -> Param:
    """A rate in [0, 1), as momentum, β₁, β₂ and ρ: at 1 nothing new would ever enter the average."""
    return Param(name, "float", default, help, min=0.0, max=1.0, max_open=True)


def positive(name: str, default: float | None, help: str, nullable: bool = False) -> Param:
    """A number > 0 (ε, clipping norms)."""
    return Param(name, "float", default, help, min=0.0, min_open=True, nullable=nullable)


EPSILON = positive("epsilon", 1e-7, "added to the denominator so that it is never zero")

# The options every optimiser takes; learning_rate and weight_decay take each class's own default.
SHARED_PARAMS = (
    positive("learning_rate", 0.001, "step size of each update (or a schedule of it)"),
    Param("decay", "float", 0.0, "Keras 2's time-based decay: lr / (1 + decay · iterations)", min=0.0),
    positive("clipnorm", None, "Rescale the gradient of each weight to at most this norm (guards against "
             "exploding gradients and NaN)", nullable=True),
    positive("clipvalue", None, "clip each gradient component to ± this value", nullable=True),
    positive("global_clipnorm", None, "rescale all gradients together to at most this norm", nullable=True),
    Param("weight_decay", "float", None, "decoupled weight decay λ: w ← w − lr·λ·w", min=0.0, nullable=True),
)


# Keras config keys that change nothing here when they hold their default value (jit_compile never does).
_KERAS_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                   "loss_scale_factor": None, "gradient_accumulation_steps": None, "is_legacy_optimizer": False}


class Optimizer:
    """Base class: learning rate (number or schedule), Keras-2 ``decay``, clipping and decoupled weight decay.

    Subclasses set ``slot_names`` (per instance when slots depend on options), declare their own options in
    ``params`` (:class:`core.params.Param`, with their ranges: :meth:`_check` refuses a value outside them) and
    define ``update(k, w, g, slots, lr, step)`` on flat arrays.
    """

    params: ClassVar[tuple[Param, ...]] = ()  # the class's own options, after SHARED_PARAMS
    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    slot_names: tuple[str, ...] = ()
    slot_initial_value: float = 0.0
    default_learning_rate: ClassVar[float] = 0.001
    default_weight_decay: ClassVar[float | None] = None

    def __init__(self, learning_rate: float | Callable[[int], float] | dict | None = None, *,
                 lr: float | None = None, decay: float = 0.0, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 weight_decay: float | None = None, name: str | None = None) -> None:
        if learning_rate is not None and lr is not None:
            raise ConfigError(f"{type(self).__name__}: give learning_rate or lr, not both")
        rate = learning_rate if learning_rate is not None else lr
        rate = self.default_learning_rate if rate is None else rate
        rate = schedules.deserialize(rate) if isinstance(rate, dict) else rate
        self.learning_rate = rate if callable(rate) else self._check("learning_rate", rate)
        self.decay = self._check("decay", decay)
        self.clipnorm = self._check("clipnorm", clipnorm)
        self.clipvalue = self._check("clipvalue", clipvalue)
        self.global_clipnorm = self._check("global_clipnorm", global_clipnorm)
        wd = self.default_weight_decay if weight_decay is None else weight_decay
        self.weight_decay = self._check("weight_decay", wd) or 0.0
        self.optimizer_name = name or self.name
        self.iterations = 0
        self.slots: list[list[np.ndarray]] = []
        self._flat_slots: list[np.ndarray] | None = None  # one array per slot name when the slots are laid out flat
        self._slots_on: Any = None  # the kernels whose memory holds the slots
        self._fitted_flat: np.ndarray | None = None  # the flat weights the slots were last checked against
        self._restored = False

    @classmethod
    def param_spec(cls) -> tuple[Param, ...]:
        """Every option with its default and range: the shared ones (this class's defaults), then its own."""
        defaults = {"learning_rate": cls.default_learning_rate, "weight_decay": cls.default_weight_decay}
        shared = tuple(replace(p, default=defaults[p.name]) if p.name in defaults else p for p in SHARED_PARAMS)
        return shared + cls.params

    def _check(self, name: str, value: Any) -> Any:
        """``value`` checked against option ``name``'s spec: a ConfigError names the optimiser, the option, the
        value and the range."""
        spec = next(p for p in self.param_spec() if p.name == name)
        return spec.validate(type(self).__name__, value)

    # -- learning rate -------------------------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        """The rate the next update will use."""
        base = self.learning_rate(self.iterations) if callable(self.learning_rate) else self.learning_rate
        return float(base) / (1.0 + self.decay * self.iterations) if self.decay else float(base)

    def set_steps_per_epoch(self, steps: int) -> None:
        """Called by the trainer before training: epoch-based schedules (step decay) learn the epoch length."""
        setter = getattr(self.learning_rate, "set_steps_per_epoch", None)
        if setter is not None:
            setter(steps)

    # -- updates -------------------------------------------------------------------------------------------
    def build(self, weights: list[np.ndarray], k: Any = None, flat: bool = False) -> None:
        """Create the slots for ``weights`` (done on the first ``apply`` if not before), in the memory of the
        kernels ``k`` (host memory when None); with ``flat``, each slot of every weight is a view of one flat array
        per slot name (see :meth:`apply`)."""
        if flat:
            self._flat_slots = _flat_copies([[np.full(w.shape, self.slot_initial_value, w.dtype)
                                              for _ in self.slot_names] for w in weights], len(self.slot_names))
            self.slots = _slot_views(self._flat_slots, weights)
        else:
            self.slots = [[_on(k, np.full(w.shape, self.slot_initial_value, w.dtype)) for _ in self.slot_names]
                          for w in weights]
        self._slots_on, self._fitted_flat = None, None

    def apply(self, k: Any, pairs: list[tuple[np.ndarray, np.ndarray]],
              flat: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """One update of every ``(weight, gradient)`` pair, in place.

        ``flat`` is ``(weights, gradients)`` as two flat host arrays of which the pairs are consecutive views (as
        :class:`~core.engine.Network` lays them out): the update then runs once over all of them. Per-weight
        ``clipnorm`` needs each weight's own norm and goes weight by weight.
        """
        weights = [w for w, _ in pairs]
        flat = flat if self.clipnorm is None else None
        if (flat is None or self._fitted_flat is not flat[0]) and not self._slots_fit(weights):
            if self._restored:
                raise ConfigError(f"{type(self).__name__}: the restored optimiser state does not fit this network's "
                                  "weights (different layers or shapes): restore the state saved with this network")
            self.build(weights, k, flat=flat is not None)
        self._restored = False
        if self._slots_on is not k:  # restored, or from another backend
            moved = [[k.to_device(s) for s in group] for group in self.slots]
            if any(m is not s for new, old in zip(moved, self.slots) for m, s in zip(new, old)):
                self.slots, self._flat_slots = moved, None
            self._slots_on = k
        self._fitted_flat = None if flat is None else flat[0]  # the slots fit every weight laid out in it
        lr = self.current_learning_rate()
        self.iterations += 1
        self.prepare_step(self.iterations)
        if flat is not None:
            if self._flat_slots is None:  # slots restored from a file, or built weight by weight: lay them out flat
                self._flat_slots = _flat_copies(self.slots, len(self.slot_names))
                self.slots = _slot_views(self._flat_slots, weights)
            (g,) = self._clipped(k, [flat[1]])
            self.update(k, flat[0], g, self._flat_slots, lr, self.iterations)
            return
        grads = self._clipped(k, [g for _, g in pairs])
        for (w, _), g, slots in zip(pairs, grads, self.slots):
            self.update(k, w.reshape(-1), g.reshape(-1), [s.reshape(-1) for s in slots], lr, self.iterations)

    def _slots_fit(self, weights: list[np.ndarray]) -> bool:
        return len(self.slots) == len(weights) and all(
            len(group) == len(self.slot_names) and all(s.shape == w.shape for s in group)
            for group, w in zip(self.slots, weights))

    def prepare_step(self, step: int) -> None:
        """Hook run once per update before the per-weight kernels (step-wide scalars)."""

    def update(self, k: Any, w: np.ndarray, g: np.ndarray, slots: list[np.ndarray], lr: float, step: int) -> None:
        raise NotImplementedError

    def _clipped(self, k: Any, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.clipvalue is None and self.clipnorm is None and self.global_clipnorm is None:
            return grads
        if self.clipvalue is not None:
            grads = [k.clip_values(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [_scale_to_norm(k, g, math.sqrt(k.sum_squares(g)), self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(k.sum_squares(g) for g in grads))
            grads = [_scale_to_norm(k, g, norm, self.global_clipnorm) for g in grads]
        return [np.ascontiguousarray(g) if isinstance(g, np.ndarray) else g for g in grads]

    # -- state ---------------------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras 3's config keys (``decay`` only when set, as Keras 3 refuses it)."""
        rate = self.learning_rate
        config = {"name": self.optimizer_name,
                  "learning_rate": schedules.serialize(rate) if callable(rate) else rate,
                  "weight_decay": self.weight_decay or None, "clipnorm": self.clipnorm,
                  "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        """An optimiser from a Keras config; Keras 3 keys that only hold their defaults are ignored."""
        config = {k: v for k, v in config.items() if k != "jit_compile"}
        for key, default in _KERAS_DEFAULTS.items():
            value = config.pop(key, default)
            if value != default:
                raise ConfigError(f"{cls.__name__}: option {key}={value!r} is not supported; remove it")
        return cls(**config)

    def get_state(self) -> dict[str, Any]:
        """Iteration count, a constant learning rate (callbacks may change it) and copies of every slot: enough
        to continue exactly where training stopped."""
        state: dict[str, Any] = {"iterations": self.iterations,
                                 "slots": [[_host_copy(s) for s in group] for group in self.slots]}
        if not callable(self.learning_rate):
            state["learning_rate"] = self.learning_rate
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned; checked against the weights on the next ``apply``."""
        try:
            iterations = int(state["iterations"])
            slots = [[np.array(s, copy=True) for s in group] for group in state["slots"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{type(self).__name__}: invalid optimiser state ({exc}); it needs 'iterations' and "
                              "'slots' as written by get_state()") from None
        if iterations < 0 or any(len(group) != len(self.slot_names) for group in slots):
            raise ConfigError(f"{type(self).__name__}: the state holds {[len(g) for g in slots][:1]} slot(s) per "
                              f"weight but this optimiser uses {len(self.slot_names)} ({', '.join(self.slot_names)}):"
                              " restore it into an optimiser configured as the saved one")
        self.iterations, self.slots, self._restored = iterations, slots, bool(slots)
        self._flat_slots, self._slots_on, self._fitted_flat = None, None, None
        if "learning_rate" in state and not callable(self.learning_rate):
            self.learning_rate = float(state["learning_rate"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


def _scale_to_norm(k: Any, g: np.ndarray, norm: float, limit: float) -> np.ndarray:
    return k.scale(g, limit / norm) if norm > limit else g


def _on(k: Any, value: np.ndarray) -> Any:
    """``value`` in the memory of the kernels ``k`` (kept on the host when there are none)."""
    return value if k is None else k.to_device(value)


def _host_copy(value: Any) -> np.ndarray:
    """A NumPy copy of a slot, wherever it lives (host or device memory)."""
    return value.copy_to_host() if hasattr(value, "copy_to_host") else np.array(value, copy=True)


def _flat_copies(slots: list[list[np.ndarray]], count: int) -> list[np.ndarray]:
    """``count`` flat host arrays, the k-th the concatenation of slot k of every weight."""
    return [np.concatenate([np.asarray(_host_copy(group[n])).reshape(-1) for group in slots])
            if slots else np.zeros(0) for n in range(count)]


def _slot_views(flat: list[np.ndarray], weights: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Per weight, views of the flat slot arrays in the weights' shapes (the layout of :func:`_flat_copies`)."""
    views, start = [], 0
    for w in weights:
        views.append([f[start:start + w.size].reshape(w.shape) for f in flat])
        start += w.size
    return views
