"""Convolution and pooling: Keras's numbers, Keras's padding arithmetic, and shape errors that say how to fix.

Gradients and the cpu-vs-reference match of every layer here run in tests/core/test_layers_registry.py; this
file checks what that check cannot: agreement with Keras itself and with definitions written independently of
the kernels (brute-force loops over output cells, the adjoint identity of the transposed convolution).
"""

from pathlib import Path

import h5py
import numpy as np
import pytest

from core.api import Sequential
from core.errors import ShapeError
from core.graph import Graph
from core.kernels import get_backend
from core.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from core.layers.core import Dense, Flatten, InputLayer
from core.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                                 MaxPooling1D, MaxPooling2D, UpSampling2D)
from core.optimizers import Adam
from core.shapes import check_buildable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACKENDS = ["reference", "cpu"]


def _keras_weights(path):
    """Every weight of a Keras .h5 file, read by order: layer_names, then each group's weight_names."""
    out = []
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        for layer in group.attrs["layer_names"]:
            names = group[layer].attrs["weight_names"]
            out += [np.asarray(group[layer][n]) for n in names]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_cnn_fixture_is_reproduced(backend):
    model = Sequential([
        Conv2D(6, 5, padding="same", activation="relu", input_shape=(28, 28, 1)), MaxPooling2D(2),
        Conv2D(16, 5, activation="relu"), AveragePooling2D(2), Flatten(), Dense(10, activation="softmax")])
    model.backend = backend
    model.set_weights(_keras_weights(FIXTURES / "keras3_cnn.h5"))
    io = np.load(FIXTURES / "keras3_cnn_io.npz")
    np.testing.assert_allclose(model.predict(io["x"]), io["y"], atol=1e-5, rtol=0)


def _brute_conv2d(x, w, b, strides, pads, out_hw, dilation):
    """A definition of Keras's convolution with explicit per-cell loops."""
    n, h, wd, _ = x.shape
    y = np.zeros((n,) + out_hw + (w.shape[3],))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            for p in range(w.shape[0]):
                for q in range(w.shape[1]):
                    r, c = i * strides[0] - pads[0] + p * dilation[0], j * strides[1] - pads[1] + q * dilation[1]
                    if 0 <= r < h and 0 <= c < wd:
                        y[:, i, j] += x[:, r, c] @ w[p, q]
    return y + b


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k,s,d,shape,pads,out_hw", [
    ((4, 4), (2, 2), (1, 1), (7, 8), (1, 1), (4, 4)),   # total pad (3, 2): the smaller half goes before
    ((2, 3), (1, 1), (1, 1), (5, 5), (0, 1), (5, 5)),   # even kernel: pad 0 before, 1 after
    ((3, 3), (1, 1), (2, 2), (5, 4), (2, 2), (5, 4)),   # dilated: span 5, pad 2 each side
    ((3, 3), (3, 2), (1, 1), (7, 6), (1, 0), (3, 3)),
])
def test_conv2d_same_padding_matches_keras_arithmetic(backend, k, s, d, shape, pads, out_hw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2,) + shape + (3,))
    w = rng.standard_normal(k + (3, 4))
    b = rng.standard_normal(4)
    assert Conv2D(4, k, s, "same", d).output_shape([shape + (3,)]) == out_hw + (4,)
    y = get_backend(backend).conv2d_forward(x, w, b, s, "same", d)
    np.testing.assert_allclose(y, _brute_conv2d(x, w, b, s, pads, out_hw, d), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv1d_causal_sees_only_the_past(backend):
    x = np.zeros((1, 6, 1))
    x[0, 3, 0] = 1.0
    w = np.ones((3, 1, 1))
    y = get_backend(backend).conv1d_forward(x, w, None, 1, "causal", 2)
    # output t = x[t] + x[t-2] + x[t-4]: the impulse at 3 reaches steps 3 and 5 only
    np.testing.assert_array_equal(y[0, :, 0], [0, 0, 0, 1, 0, 1])
    assert Conv1D(1, 3, padding="causal", dilation_rate=2).output_shape([(6, 1)]) == (6, 1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config,shape", [
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (3, 4)),
    ({"kernel_size": (2, 3), "strides": (2, 3), "padding": "valid"}, (2, 3)),
    ({"kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1}, (3, 3)),
    ({"kernel_size": 3, "strides": 2, "padding": "valid", "output_padding": (1, 0)}, (2, 3)),
])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(backend, config, shape):
    """<conv(u), v> = <u, conv_transpose(v)> for the Conv2D that maps the transposed output back."""
    k = get_backend(backend)
    layer = Conv2DTranspose(filters=2, **config)
    out_shape = layer.output_shape([shape + (3,)])
    rng = np.random.default_rng(1)
    w = rng.standard_normal(layer.weight_specs([shape + (3,)])[0].shape)   # (kh, kw, out=2, in=3)
    v = rng.standard_normal((2,) + shape + (3,))
    u = rng.standard_normal((2,) + out_shape)
    strides, padding, dilation = layer.config["strides"], layer.config["padding"], layer.config["dilation_rate"]
    conv_u = k.conv2d_forward(u, w, None, strides, padding, dilation)
    assert conv_u.shape == v.shape
    transposed = k.conv2d_transpose_forward(v, w, None, strides, padding, dilation, out_shape[:2])
    assert transposed.shape == u.shape
    np.testing.assert_allclose(np.sum(conv_u * v), np.sum(u * transposed), rtol=1e-10)


def test_conv2d_transpose_output_sizes_follow_keras():
    assert Conv2DTranspose(8, 3, strides=2, padding="same").output_shape([(7, 5, 4)]) == (14, 10, 8)
    assert Conv2DTranspose(8, 3, strides=2).output_shape([(7, 5, 4)]) == (15, 11, 8)
    assert Conv2DTranspose(8, 2, strides=3).output_shape([(7, 5, 4)]) == (21, 15, 8)
    assert Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=1).output_shape([(7, 5, 4)]) == \
        (14, 10, 8)
    assert Conv2DTranspose(8, 3, strides=2).weight_specs([(7, 5, 4)])[0].shape == (3, 3, 8, 4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_pooling_ignores_padding(backend):
    k = get_backend(backend)
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)            # [[1 2 3] [4 5 6] [7 8 9]]
    avg = k.avg_pool2d_forward(x, (2, 2), (2, 2), "same")   # pads one row and column after
    np.testing.assert_allclose(avg[0, :, :, 0], [[3.0, 4.5], [7.5, 9.0]])
    neg = -x
    top, _ = k.max_pool2d_forward(neg, (2, 2), (2, 2), "same")
    np.testing.assert_allclose(top[0, :, :, 0], [[-1.0, -3.0], [-7.0, -9.0]])   # padding never wins


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_pool_gradient_goes_to_the_winner(backend):
    k = get_backend(backend)
    x = np.array([[1.0, 5.0, 2.0], [3.0, 0.0, 4.0], [9.0, 6.0, 7.0]]).reshape(1, 3, 3, 1)
    y, index = k.max_pool2d_forward(x, (2, 2), (1, 1), "valid")
    np.testing.assert_array_equal(y[0, :, :, 0], [[5.0, 5.0], [9.0, 7.0]])
    dx = k.max_pool2d_backward(np.ones_like(y), index, x.shape)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 2, 0], [0, 0, 0], [1, 0, 1]])


def test_pooling_output_shapes():
    assert MaxPooling2D(3, strides=2, padding="same").output_shape([(7, 8, 3)]) == (4, 4, 3)
    assert AveragePooling2D().output_shape([(7, 8, 3)]) == (3, 4, 3)
    assert MaxPooling1D(3, strides=1).output_shape([(10, 2)]) == (8, 2)
    assert AveragePooling1D(padding="same").output_shape([(5, 2)]) == (3, 2)
    assert GlobalAveragePooling2D(keepdims=True).output_shape([(5, 4, 3)]) == (1, 1, 3)
    assert GlobalMaxPooling1D().output_shape([(5, 3)]) == (3,)
    assert UpSampling2D((2, 3)).output_shape([(4, 5, 2)]) == (8, 15, 2)


def test_bilinear_upsampling_uses_half_pixel_centres():
    """TensorFlow's and PyTorch's resize of [0, 1] by 2 is [0, 0.25, 0.75, 1]."""
    layer = UpSampling2D(size=(1, 2), interpolation="bilinear")
    from core.layers.base import Context
    y, _ = layer.forward(Context(k=get_backend("cpu"), rng=np.random.default_rng(0)),
                         [np.array([0.0, 1.0]).reshape(1, 1, 2, 1)], [])
    np.testing.assert_allclose(y.reshape(-1), [0.0, 0.25, 0.75, 1.0])


def _error(layer, shape) -> str:
    graph = Graph()
    inp = graph.add_layer(InputLayer(shape=shape))
    graph.connect(inp, graph.add_layer(layer))
    with pytest.raises(ShapeError) as info:
        check_buildable(graph)
    return str(info.value)


def test_conv2d_on_flat_input_says_to_reshape():
    text = _error(Conv2D(4, 3, name="c1"), (784,))
    assert "Conv2D 'c1'" in text
    assert "expects images (None, height, width, channels) but gets (None, 784)" in text
    assert "add a Reshape to (28, 28, 1) before it" in text
    assert "Reshape to (20, 30, 1)" in _error(Conv2D(4, 3), (20, 30))


def test_conv1d_on_wrong_rank_says_what_to_do():
    assert "expects sequences (None, steps, channels) but gets (None, 20): add a Reshape to (20, 1)" in \
        _error(Conv1D(4, 3), (20,))
    assert "Reshape to (12, 3) before it, or use a 2-D layer" in _error(Conv1D(4, 3), (3, 4, 3))


def test_windows_larger_than_the_input_are_refused_with_a_fix():
    text = _error(Conv2D(4, 5, name="big"), (3, 8, 1))
    assert "Conv2D 'big'" in text and "kernel window 5×5 is larger than the input (None, 3, 8, 1)" in text
    assert "padding='same'" in text
    assert "window 5×5" in _error(Conv2D(4, 3, dilation_rate=2), (4, 4, 1))   # dilation widens the span
    text = _error(MaxPooling2D(4, name="pool"), (3, 3, 2))
    assert "MaxPooling2D 'pool'" in text and "pool window 4×4 is larger than the input (None, 3, 3, 2)" in text
    assert "pool window 3 is larger" in _error(AveragePooling1D(3), (2, 5))
    assert MaxPooling2D(4, padding="same").output_shape([(3, 3, 2)]) == (1, 1, 2)


def test_invalid_combinations_are_refused():
    assert "dilation_rate > 1" in _error(Conv2D(2, 3, strides=2, dilation_rate=2), (9, 9, 1))
    assert "output_padding" in _error(Conv2DTranspose(2, 3, strides=2, output_padding=2), (4, 4, 1))
    assert "expects images" in _error(MaxPooling2D(), (10, 3))


@pytest.mark.parametrize("channels", [2, 5])
def test_large_batches_are_convolved_in_slices(monkeypatch, channels):
    """Batches whose im2col matrix would pass the size limit are done a slice at a time, with the same result."""
    from core.kernels.cpu import conv as cpu_conv
    monkeypatch.setattr(cpu_conv, "CHUNK_BYTES", 3000)
    ref, cpu = get_backend("reference"), get_backend("cpu")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 6, 5, channels))
    w = rng.standard_normal((3, 3, channels, 4))
    b = rng.standard_normal(4)
    y, kept = cpu.conv2d_forward_keep(x, w, b, (1, 2), "same", (1, 1))
    assert kept[1] is None   # nothing large is held until backward
    np.testing.assert_allclose(y, ref.conv2d_forward(x, w, b, (1, 2), "same", (1, 1)), rtol=1e-12)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(cpu.conv2d_backward_kept(kept, w, dy, (1, 2), "same", (1, 1), True),
                         ref.conv2d_backward(x, w, dy, (1, 2), "same", (1, 1), True)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_a_small_cnn_learns_where_the_bright_bar_is():
    """End to end through fit: Conv2D, pooling and Conv2DTranspose train, and the loss falls well below chance."""
    rng = np.random.default_rng(0)
    n = 256
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    for i in range(n):
        col = rng.integers(0, 4) + 4 * y[i]   # a vertical bar in the left (0) or right (1) half
        x[i, :, col, 0] += 1.0
    model = Sequential([
        Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)), MaxPooling2D(2),
        Conv2DTranspose(4, 2, strides=2, activation="relu"), AveragePooling2D(2),
        Conv2D(4, 3, activation="relu"), Flatten(), Dense(2, activation="softmax")])
    model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.05 < 0.6 < losses[0], losses


@pytest.mark.parametrize("layer,shape", [(Conv2D(3, 2, kernel_regularizer={"l2": 0.5}, bias_regularizer="l1"),
                                          (4, 4, 2)),
                                         (Conv1D(3, 2, kernel_regularizer={"l2": 0.5}, bias_regularizer="l1"),
                                          (5, 2)),
                                         (Conv2DTranspose(3, 2, kernel_regularizer={"l2": 0.5},
                                                          bias_regularizer="l1"), (3, 3, 2))])
def test_convolutions_carry_keras_regularisers_into_the_loss(layer, shape):
    model = Sequential([InputLayer(shape=shape), layer])
    net = model.network
    kernel, bias = net.get_weights()
    net.set_weights([kernel, np.full_like(bias, -2.0)])
    specs = net.specs[net.order[-1]]
    assert specs[0].regularizer == {"l1": 0.0, "l2": 0.5} and specs[1].regularizer["l1"] > 0
    expected = 0.5 * np.sum(kernel.astype(np.float64) ** 2) + specs[1].regularizer["l1"] * 2.0 * bias.size
    np.testing.assert_allclose(net.regularization(add_gradients=False), expected, rtol=1e-5)
