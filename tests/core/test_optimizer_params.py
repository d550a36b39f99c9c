"""Optimisers declare their options as Param specs: the spec lists what each one saves, with its defaults, and
construction refuses a value outside the range with a message naming the optimiser, the option and the range."""

from __future__ import annotations

import numpy as np
import pytest

from core import optimizers
from core.errors import ConfigError

CLASSES = sorted({type(optimizers.get(n)) for n in optimizers.names()}, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_spec_lists_every_saved_option_with_its_default(cls):
    spec = {p.name: p for p in cls.param_spec()}
    config = cls().get_config()
    assert set(config) - {"name"} | {"decay"} == set(spec)
    for name, value in config.items():
        if name != "name":
            assert value == spec[name].default, (cls.__name__, name)
    assert spec["learning_rate"].default == cls.default_learning_rate


@pytest.mark.parametrize("cls, option, bad, allowed", [
    (optimizers.SGD, "learning_rate", 0.0, "> 0"),
    (optimizers.SGD, "momentum", 1.0, "≥ 0 and < 1"),
    (optimizers.RMSprop, "momentum", -0.5, "≥ 0 and < 1"),
    (optimizers.RMSprop, "rho", 1.0, "≥ 0 and < 1"),
    (optimizers.Adadelta, "rho", 1.5, "≥ 0 and < 1"),
    (optimizers.Adam, "beta_1", 1.0, "≥ 0 and < 1"),
    (optimizers.Nadam, "beta_2", -0.1, "≥ 0 and < 1"),
    (optimizers.Adamax, "epsilon", 0.0, "> 0"),
    (optimizers.Adagrad, "initial_accumulator_value", -1.0, "≥ 0"),
    (optimizers.AdamW, "weight_decay", -0.1, "≥ 0"),
    (optimizers.Adam, "clipnorm", 0.0, "> 0"),
])
def test_a_value_outside_its_range_is_refused_with_the_range(cls, option, bad, allowed):
    with pytest.raises(ConfigError, match=rf"^{cls.__name__}: parameter '{option}' must be a number {allowed}"
                                          rf"( or None)?, got {bad!r}$"):
        cls(**{option: bad})


def test_flags_are_bools_and_numbers_become_floats():
    with pytest.raises(ConfigError, match="'amsgrad' must be true or false, got 'yes'"):
        optimizers.Adam(amsgrad="yes")
    sgd = optimizers.SGD(learning_rate=1, momentum=0, nesterov=np.bool_(True))
    assert sgd.nesterov is True and isinstance(sgd.learning_rate, float) and isinstance(sgd.momentum, float)
