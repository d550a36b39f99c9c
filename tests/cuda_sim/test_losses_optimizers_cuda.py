"""Every loss and every optimiser on the cuda backend against the cpu backend (rtol 1e-4): losses through the
trainer (fused from logits where the output activation allows it, else on the copied-back outputs), optimisers
through several in-place steps on device weights and slots."""

import numpy as np
import pytest

from core import losses, optimizers
from core.engine import build
from core.graph import Graph
from core.kernels import get_backend
from core.layers import registry
from core.training import Trainer

TOL = dict(rtol=1e-4, atol=1e-6)


def _network(backend, activation, units=4):
    g = Graph()
    inp = g.add_layer(registry.get("InputLayer")(shape=(5,)))
    hidden = g.add_layer(registry.get("Dense")(6, activation="tanh"))
    out = g.add_layer(registry.get("Dense")(units, activation=activation))
    g.connect(inp, hidden)
    g.connect(hidden, out)
    return build(g, backend=backend, seed=3)


def _targets(name, rng, n, units):
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, units, n)
    if name in ("categorical_crossentropy",):
        return np.eye(units, dtype=np.float32)[rng.integers(0, units, n)]
    if name in ("binary_crossentropy", "hinge"):
        return rng.integers(0, 2, (n, units)).astype(np.float32)
    return rng.standard_normal((n, units)).astype(np.float32)


ACTIVATIONS = {"categorical_crossentropy": "softmax", "sparse_categorical_crossentropy": "softmax",
               "binary_crossentropy": "sigmoid"}


LOSS_CASES = [(name, False) for name in losses.names()] + [(name, True) for name in sorted(ACTIVATIONS)]


@pytest.mark.parametrize("name,fused", LOSS_CASES, ids=[f"{n}-{'logits' if f else 'outputs'}" for n, f in LOSS_CASES])
def test_loss_and_gradients_match_cpu(name, fused):
    if fused:
        activation = ACTIVATIONS.get(name, "linear")
    else:  # an output activation the loss cannot fold in: the loss runs on the outputs copied to the host
        activation = {"softmax": "sigmoid", "sigmoid": "softmax"}.get(ACTIVATIONS.get(name), "tanh")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    y = _targets(name, rng, 7, 4)
    results = []
    for backend in ("cpu", "cuda"):
        net = _network(backend, activation)
        trainer = Trainer(net, name, optimizers.get("sgd"))
        value, outputs = trainer.compute_loss([x], [y], training=True)
        grads = [get_backend(backend).to_host(g) for _, g in net.trainable()]
        results.append((value, outputs, grads))
    (v_cpu, o_cpu, g_cpu), (v_gpu, o_gpu, g_gpu) = results
    np.testing.assert_allclose(v_gpu, v_cpu, **TOL)
    np.testing.assert_allclose(o_gpu[0], o_cpu[0], **TOL)
    assert isinstance(o_gpu[0], np.ndarray), "outputs come back to the host"
    for a, b in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


OPTIMIZER_CASES = [("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.9, "nesterov": True}),
                   ("adagrad", {}), ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "centered": True}),
                   ("adadelta", {"learning_rate": 1.0}), ("adam", {}), ("adam", {"amsgrad": True}),
                   ("adamw", {}), ("nadam", {}), ("adamax", {}),
                   ("sgd", {"clipvalue": 0.1}), ("adam", {"clipnorm": 0.5}), ("rmsprop", {"global_clipnorm": 0.5}),
                   ("sgd", {"weight_decay": 0.1})]


def test_every_optimiser_is_covered():
    assert {name for name, _ in OPTIMIZER_CASES} == set(optimizers.names())


@pytest.mark.parametrize("name,options", OPTIMIZER_CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                               enumerate(OPTIMIZER_CASES)])
def test_optimiser_steps_match_cpu(name, options):
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,))]
    grads = [[rng.standard_normal(w.shape).astype(np.float32) for w in weights] for _ in range(3)]
    finals = []
    for backend in ("cpu", "cuda"):
        k = get_backend(backend)
        opt = optimizers.get(name, **options)
        ws = [k.to_device(w.copy()) for w in weights]
        for step in grads:
            opt.apply(k, list(zip(ws, [k.to_device(g) for g in step])))
        state = opt.get_state()
        finals.append(([k.to_host(w) for w in ws], [s for group in state["slots"] for s in group]))
    for a, b in zip(finals[1][0] + finals[1][1], finals[0][0] + finals[0][1]):
        assert isinstance(a, np.ndarray)
        np.testing.assert_allclose(a, b, **TOL)


def test_cuda_backend_has_every_cpu_kernel():
    cpu, cuda = get_backend("cpu"), get_backend("cuda")
    assert set(vars(cuda)) == set(vars(cpu))
