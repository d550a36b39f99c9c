"""Out-of-range layer parameters: infinities and sizes no machine can hold give a ConfigError naming the parameter
and its allowed range, before anything is allocated, never an OverflowError or a MemoryError."""

import numpy as np
import pytest

from core.api import Sequential
from core.errors import ConfigError, ShapeError
from core.initializers import initialize
from core.layers.conv import Conv1D, Conv2D
from core.layers.core import Dense, InputLayer
from core.layers.recurrent import GRU, LSTM, ConvLSTM2D, SimpleRNN
from core.params import Param


@pytest.mark.parametrize("make, name", [
    (lambda v: Dense(v), "units"),
    (lambda v: Conv2D(v, 3), "filters"),
    (lambda v: Conv2D(4, v), "kernel_size"),
    (lambda v: Conv1D(4, (v,)), "kernel_size"),
    (lambda v: Conv2D(4, 3, strides=(1, v)), "strides"),
    (lambda v: LSTM(v), "units"),
    (lambda v: GRU(v), "units"),
    (lambda v: SimpleRNN(v), "units"),
    (lambda v: ConvLSTM2D(v, 3), "filters"),
    (lambda v: InputLayer(shape=(v, 3)), "shape"),
])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e300, 10**40])
def test_non_finite_or_huge_values_name_the_parameter_and_its_range(make, name, value):
    with pytest.raises(ConfigError, match=rf"parameter '{name}' must be .*(≤|up to) \d+"):
        make(value)


def test_a_param_spec_refuses_infinity_for_every_numeric_kind():
    for param in (Param("n", "int", 1, min=1), Param("k", "ints", 1, min=1, length=2),
                  Param("s", "shape", (1,))):
        with pytest.raises(ConfigError, match=f"parameter '{param.name}'"):
            param.validate("Owner", float("inf"))
    assert Param("s", "shape", (1,)).validate("Owner", (2**31 - 1,)) == (2**31 - 1,)
    with pytest.raises(ConfigError, match="up to 2147483647"):
        Param("s", "shape", (1,)).validate("Owner", (2**31,))


def test_a_dense_layer_too_large_to_allocate_is_refused_when_it_is_made():
    with pytest.raises(ConfigError, match=r"Dense: its kernel would hold 10,000,000,000 values \(10000 × 1000000, "
                                          r"37.3 GiB.*lower units \(now 1000000, allowed: an integer ≥ 1 and ≤ 1000000\)"):
        Dense(10**6, input_dim=10**4)
    assert Dense(10, input_dim=4).config["units"] == 10


@pytest.mark.parametrize("layers, named", [
    ([InputLayer(shape=(10**6,)), Dense(10**6)], "units"),
    ([InputLayer(shape=(64, 64, 3000)), Conv2D(100_000, 3)], "filters"),
    ([InputLayer(shape=(10, 50_000)), LSTM(100_000)], "units"),
    ([InputLayer(shape=(10, 8, 8, 5000)), ConvLSTM2D(20_000, 3)], "filters"),
])
def test_a_network_with_a_weight_too_large_to_allocate_is_refused_before_allocating(layers, named):
    model = Sequential(layers)
    with pytest.raises((ConfigError, ShapeError), match=rf"would hold [\d,]+ values.*lower {named} \(now"):
        model.count_params()


def test_the_initialiser_refuses_a_weight_too_large_to_draw():
    with pytest.raises(ConfigError, match="would hold 1,000,000,000,000 values"):
        initialize("glorot_uniform", (10**6, 10**6), np.random.default_rng(0))
    assert initialize("zeros", (3, 4), np.random.default_rng(0)).shape == (3, 4)


def test_flattening_a_shape_whose_product_passes_64_bits_does_not_wrap():
    from core.layers.core import Flatten
    shape = (2**21, 2**21, 2**22)  # 2**64 values: NumPy's int64 product wraps to 0
    assert Flatten().output_shape([shape]) == (2**64,)
    model = Sequential([InputLayer(shape=shape), Flatten(), Dense(2)])
    with pytest.raises((ConfigError, ShapeError), match="would hold 36,893,488,147,419,103,232 values"):
        model.count_params()
