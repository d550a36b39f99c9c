"""Recurrent layers: Keras's own outputs reproduced from its files, go_backwards and return_sequences semantics,
regularisers, shape errors, and a small sequence problem that the LSTM learns.

Gradients and the fast-vs-reference match are covered by the registry-wide check (tests/core/test_layers_registry.py).
"""

from pathlib import Path

import h5py
import numpy as np
import pytest

import core
from core.errors import ShapeError
from core.kernels import get_backend
from core.layers.base import Context

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def keras_weights(path: Path) -> list[np.ndarray]:
    """Every weight of a Keras .h5 file in load order: layer_names order, each group's weight_names order."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        out = []
        for layer in group.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            names = group[layer].attrs["weight_names"]
            out += [np.array(group[layer][n.decode() if isinstance(n, bytes) else n]) for n in names]
        return out


@pytest.mark.parametrize("backend", ["cpu", "reference"])
def test_keras3_stacked_lstm_reproduces_keras(backend):
    io = np.load(FIXTURES / "keras3_lstm_io.npz")
    model = core.Sequential([core.InputLayer(shape=(12, 8)), core.LSTM(16, return_sequences=True), core.LSTM(8),
                             core.Dense(3)])
    model.compile(optimizer="adam", loss="mse", backend=backend)
    model.set_weights(keras_weights(FIXTURES / "keras3_lstm.h5"))
    np.testing.assert_allclose(model.predict(io["x"]), io["y"], atol=1e-5, rtol=0)


@pytest.mark.parametrize("backend", ["cpu", "reference"])
def test_keras2_gru_reset_after_reproduces_keras(backend):
    io = np.load(FIXTURES / "keras2_gru_io.npz")
    model = core.Sequential([core.InputLayer(shape=(12, 8)), core.GRU(16), core.Dense(3)])
    model.compile(optimizer="adam", loss="mse", backend=backend)
    model.set_weights(keras_weights(FIXTURES / "keras2_gru.h5"))
    np.testing.assert_allclose(model.predict(io["x"]), io["y"], atol=1e-5, rtol=0)


def _run(layer, x, weights, backend="cpu"):
    ctx = Context(k=get_backend(backend), rng=np.random.default_rng(0))
    return layer.forward(ctx, [x], weights)[0]


def _case(layer, shape=(4, 5, 3), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    ws = [rng.normal(0, 0.5, s.shape).astype(np.float32) for s in layer.weight_specs([shape[1:]])]
    return x, ws


@pytest.mark.parametrize("cls,extra", [(core.SimpleRNN, {}), (core.LSTM, {}), (core.GRU, {}),
                                       (core.GRU, {"reset_after": False})])
@pytest.mark.parametrize("backend", ["cpu", "reference"])
def test_sequence_semantics(cls, extra, backend):
    """The last state equals the last element of the returned sequence; go_backwards reads the reversed input and
    returns its sequence in processing order, as Keras does."""
    last = cls(3, **extra)
    x, ws = _case(last)
    seq = cls(3, return_sequences=True, **extra)
    back_seq = cls(3, return_sequences=True, go_backwards=True, **extra)
    y_last, y_seq = _run(last, x, ws, backend), _run(seq, x, ws, backend)
    assert y_last.shape == (4, 3) and y_seq.shape == (4, 5, 3)
    np.testing.assert_allclose(y_seq[:, -1], y_last, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_run(back_seq, x, ws, backend), _run(seq, x[:, ::-1].copy(), ws, backend),
                               rtol=1e-6, atol=1e-6)


def test_gru_reset_after_changes_the_result():
    """The two GRU variants differ only in where the reset gate applies: with a zero recurrent bias they agree
    on the first step (h_prev = 0) and differ later."""
    after, before = core.GRU(3, return_sequences=True), core.GRU(3, return_sequences=True, reset_after=False)
    x, ws = _case(after)
    ws_before = [ws[0], ws[1], ws[2][0]]
    ws[2][1] = 0
    y_after, y_before = _run(after, x, ws), _run(before, x, ws_before)
    np.testing.assert_allclose(y_after[:, 0], y_before[:, 0], rtol=1e-6, atol=1e-6)
    assert np.abs(y_after[:, -1] - y_before[:, -1]).max() > 1e-3


def test_weight_layouts_and_regularisers_follow_keras():
    lstm = core.LSTM(5, kernel_regularizer="l2", recurrent_regularizer={"l1": 0.1})
    specs = lstm.weight_specs([(7, 3)])
    assert [(s.name, s.shape) for s in specs] == [("kernel", (3, 20)), ("recurrent_kernel", (5, 20)),
                                                  ("bias", (20,))]
    assert specs[0].regularizer["l2"] > 0 and specs[1].regularizer == {"l1": 0.1, "l2": 0.0}
    assert specs[2].regularizer is None
    assert [s.shape for s in core.GRU(4, use_bias=False).weight_specs([(2, 3)])] == [(3, 12), (4, 12)]
    assert core.GRU(4, reset_after=False).weight_specs([(2, 3)])[2].shape == (12,)
    assert core.GRU(4).weight_specs([(2, 3)])[2].shape == (2, 12)
    assert core.LSTM(4).get_config()["recurrent_initializer"] == "orthogonal"


@pytest.mark.parametrize("cls", [core.SimpleRNN, core.GRU, core.LSTM])
def test_flat_input_is_refused_with_a_fix(cls):
    with pytest.raises(ShapeError) as err:
        cls(4, name="rnn").output_shape([(20,)])
    message = str(err.value)
    assert f"{cls.__name__} 'rnn'" in message and "(None, 20)" in message
    assert "Reshape to (steps, features)" in message and "Dense" in message


def test_image_input_is_refused_with_a_reshape_hint():
    model = core.Sequential([core.InputLayer(shape=(28, 28, 1)), core.LSTM(8, name="lstm")])
    with pytest.raises(ShapeError, match=r"LSTM 'lstm'.*\(None, 28, 28, 1\).*Reshape\(\(28, 28\)\)"):
        model.predict(np.zeros((1, 28, 28, 1), np.float32))


def test_cell_activation_cannot_be_softmax():
    with pytest.raises(core.errors.ConfigError, match="activation"):
        core.LSTM(4, activation="softmax")


def test_lstm_learns_which_half_of_the_sequence_is_larger():
    """The label depends on the whole sequence (sum of the first half vs the second): training must improve."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8, 2)).astype(np.float32)
    labels = (x[:, :4, 0].sum(axis=1) > x[:, 4:, 0].sum(axis=1)).astype(int)
    model = core.Sequential([core.InputLayer(shape=(8, 2)), core.LSTM(8), core.Dense(2, activation="softmax")])
    model.compile(optimizer=core.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=20, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


@pytest.mark.parametrize("backend", ["cpu", "reference"])
def test_conv_lstm_with_1x1_kernels_is_an_lstm_per_pixel(backend):
    """A 1×1 ConvLSTM2D applies one LSTM to every pixel's sequence independently."""
    lstm = core.LSTM(3, return_sequences=True, go_backwards=True)
    x, ws = _case(lstm, shape=(2, 4, 5))
    conv = core.ConvLSTM2D(3, 1, return_sequences=True, go_backwards=True)
    images = np.ascontiguousarray(np.stack([x, x[::-1]], axis=2).reshape(2, 4, 2, 1, 5))  # 2×1 pixels
    conv_ws = [ws[0].reshape(1, 1, 5, 12), ws[1].reshape(1, 1, 3, 12), ws[2]]
    got = _run(conv, images, conv_ws, backend)
    assert got.shape == (2, 4, 2, 1, 3) == (2,) + conv.output_shape([(4, 2, 1, 5)])
    np.testing.assert_allclose(got[:, :, 0, 0], _run(lstm, x, ws, backend), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[:, :, 1, 0], _run(lstm, x[::-1].copy(), ws, backend), rtol=1e-5, atol=1e-6)


def test_conv_lstm_shapes_and_errors():
    layer = core.ConvLSTM2D(4, 3, name="clstm")
    assert layer.output_shape([(5, 10, 8, 2)]) == (8, 6, 4)
    assert core.ConvLSTM2D(4, 3, strides=2, padding="same", return_sequences=True).output_shape(
        [(5, 10, 8, 2)]) == (5, 5, 4, 4)
    assert [s.shape for s in layer.weight_specs([(5, 10, 8, 2)])] == [(3, 3, 2, 16), (3, 3, 4, 16), (16,)]
    with pytest.raises(ShapeError, match=r"ConvLSTM2D 'clstm'.*\(None, 28, 28, 1\).*\(1, 28, 28, 1\)"):
        layer.output_shape([(28, 28, 1)])
    with pytest.raises(ShapeError, match="larger than the input"):
        layer.output_shape([(5, 2, 8, 2)])


def test_unit_forget_bias_starts_the_forget_gate_at_one():
    import core

    lstm = core.Sequential([core.LSTM(3, input_shape=(4, 2))]).get_weights()[2]
    np.testing.assert_array_equal(lstm, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = core.Sequential([core.LSTM(3, input_shape=(4, 2), unit_forget_bias=False)]).get_weights()[2]
    assert not plain.any()
    conv = core.Sequential([core.ConvLSTM2D(2, 3, input_shape=(2, 5, 5, 1))]).get_weights()[2]
    np.testing.assert_array_equal(conv, [0, 0, 1, 1, 0, 0, 0, 0])
