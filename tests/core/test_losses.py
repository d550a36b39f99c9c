"""Every loss: gradient against finite differences in float64; the softmax/sigmoid losses taken from logits against the
composition of activation and loss; the Numba cross-entropy kernel against the NumPy reference."""

import numpy as np
import pytest

from core import losses
from core.errors import ConfigError, ShapeError
from core.kernels import get_backend


def _data(name, rng, shape=(4, 3)):
    if name in ("binary_crossentropy",):
        return rng.uniform(0.05, 0.95, shape), rng.integers(0, 2, shape).astype(float)
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        logits = rng.standard_normal(shape)
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        labels = rng.integers(0, shape[1], shape[0])
        return p, (labels if name.startswith("sparse") else np.eye(shape[1])[labels])
    if name == "hinge":
        return rng.standard_normal(shape) * 2, rng.choice([-1.0, 1.0], shape)
    return rng.standard_normal(shape), rng.standard_normal(shape)


@pytest.mark.parametrize("name", losses.names())
def test_loss_gradient_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    loss = losses.get(name)
    y_pred, y_true = _data(name, rng)
    _, grad = loss(y_pred, y_true)
    eps = 1e-6
    for idx in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (loss(up, y_true)[0] - loss(down, y_true)[0]) / (2 * eps)
        assert grad[idx] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (name, idx)


def test_loss_values_follow_their_definitions():
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert losses.get("mse")(p, t)[0] == pytest.approx(np.mean((p - t) ** 2))
    assert losses.get("mae")(p, t)[0] == pytest.approx(np.mean(np.abs(p - t)))
    assert losses.get("rmse")(p, t)[0] == pytest.approx(np.sqrt(np.mean((p - t) ** 2)))
    assert losses.get("sum_of_squares")(p, t)[0] == pytest.approx(0.5 * np.sum((p - t) ** 2) / 2)
    assert losses.get("absolute_error")(p, t)[0] == pytest.approx(np.sum(np.abs(p - t)) / 2)
    assert losses.get("categorical_crossentropy")(p, t)[0] == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    assert losses.get("hinge")(p, t)[0] == pytest.approx(np.mean(np.maximum(0, 1 - (2 * t - 1) * p)))
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert losses.get("binary_crossentropy")(p, t)[0] == pytest.approx(bce)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_xent_from_logits_equals_composition(backend, sparse):
    rng = np.random.default_rng(1)
    k = get_backend(backend)
    logits = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    loss = losses.get("sparse_categorical_crossentropy" if sparse else "categorical_crossentropy")
    targets = labels if sparse else np.eye(4)[labels]
    value, dz = loss.from_logits(k, logits, targets)
    probs = k.activation_forward(logits, 4)
    ref_value, dp = loss(probs, targets)
    ref_dz = k.activation_backward(logits, probs, dp, 4)
    assert value == pytest.approx(ref_value, rel=1e-6)
    np.testing.assert_allclose(dz, ref_dz, rtol=1e-6, atol=1e-9)


def test_sigmoid_bce_from_logits_equals_composition():
    rng = np.random.default_rng(2)
    k = get_backend("cpu")
    z = rng.standard_normal((6, 2))
    t = rng.integers(0, 2, (6, 2)).astype(float)
    loss = losses.get("binary_crossentropy")
    value, dz = loss.from_logits(k, z, t)
    p = k.activation_forward(z, 1)
    ref, dp = loss(p, t)
    assert value == pytest.approx(ref, rel=1e-6)
    np.testing.assert_allclose(dz, dp * p * (1 - p), rtol=1e-6)


def test_cross_entropy_from_logits_is_stable_for_huge_logits():
    k = get_backend("cpu")
    logits = np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    value, grad = losses.get("sparse_categorical_crossentropy").from_logits(k, logits, np.array([1]))
    assert np.isfinite(value) and value == pytest.approx(2000.0)
    assert np.all(np.isfinite(grad))


def test_cpu_xent_kernel_matches_reference_float32():
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((64, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    for targets in (labels, np.eye(10, dtype=np.float32)[labels]):
        a = get_backend("cpu").softmax_xent(logits, targets)
        b = get_backend("reference").softmax_xent(logits, targets)
        assert a[0] == pytest.approx(b[0], rel=1e-5)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-5, atol=1e-7)


def test_bad_targets_and_names_are_explained():
    with pytest.raises(ShapeError, match="integer labels"):
        losses.get("categorical_crossentropy")(np.ones((3, 4)) / 4, np.array([0, 1, 2]))
    with pytest.raises(ShapeError, match=r"0\.\.3"):
        losses.get("sparse_categorical_crossentropy")(np.ones((2, 4)) / 4, np.array([0, 7]))
    with pytest.raises(ConfigError, match="unknown loss"):
        losses.get("crossentropy")
