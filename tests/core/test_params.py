"""The shared parameter spec: ranges in words, normalised values, the owner's error class, required values."""

from __future__ import annotations

import pytest

from core.data.errors import DataError
from core.errors import ConfigError
from core.layers import registry
from core.params import REQUIRED, Param, validate_values

RATE = Param("learning_rate", "float", 0.01, "step size", min=0.0, min_open=True)
MOMENTUM = Param("momentum", "float", 0.0, min=0.0, max=1.0, max_open=True)


def test_the_layer_registry_re_exports_the_one_spec():
    assert registry.Param is Param


def test_open_and_closed_bounds_are_checked_and_said():
    assert MOMENTUM.validate("SGD", 0) == 0.0 and isinstance(MOMENTUM.validate("SGD", 0), float)
    with pytest.raises(ConfigError, match=r"SGD: parameter 'momentum' must be a number ≥ 0 and < 1, got 1"):
        MOMENTUM.validate("SGD", 1)
    with pytest.raises(ConfigError, match=r"must be a number > 0, got 0"):
        RATE.validate("SGD", 0)
    with pytest.raises(ConfigError, match="got nan"):
        RATE.validate("SGD", float("nan"))
    with pytest.raises(ConfigError, match="got True"):
        RATE.validate("SGD", True)


def test_the_owner_chooses_the_error_class():
    n = Param("n", "int", 200, min=20, max=20000)
    with pytest.raises(DataError, match=r"sample 'blobs': parameter 'n' must be an integer ≥ 20 and ≤ 20000"):
        n.validate("sample 'blobs'", 5, DataError)
    with pytest.raises(DataError, match="integer"):
        n.validate("sample 'blobs'", 20.5, DataError)


def test_validate_values_fills_defaults_and_refuses_unknown_or_missing_keys():
    steps = Param("decay_steps", "int", REQUIRED, min=1)
    assert validate_values("Decay", [RATE, steps], {"decay_steps": 10.0}) == {"learning_rate": 0.01,
                                                                                "decay_steps": 10}
    with pytest.raises(ConfigError, match="Decay: give decay_steps"):
        validate_values("Decay", [RATE, steps], {})
    with pytest.raises(ConfigError, match="unknown parameter.*lr; allowed: learning_rate, decay_steps"):
        validate_values("Decay", [RATE, steps], {"lr": 1, "decay_steps": 1})


def test_to_dict_describes_the_field_a_form_builds():
    assert MOMENTUM.to_dict() == {"name": "momentum", "kind": "float", "default": 0.0, "min": 0.0, "max": 1.0,
                                  "min_open": False, "max_open": True, "choices": [], "doc": ""}
    assert Param("s", "int", REQUIRED).to_dict()["default"] is None and repr(REQUIRED) == "REQUIRED"


def test_numpy_bools_are_bools():
    import numpy as np
    flag = Param("centered", "bool", False)
    assert flag.validate("RMSprop", np.bool_(True)) is True
    with pytest.raises(ConfigError, match="true or false, got 1"):
        flag.validate("RMSprop", 1)
