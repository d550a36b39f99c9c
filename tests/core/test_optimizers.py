"""Optimisers: update sequences against torch.optim, cpu kernels against the reference, config and state."""

import numpy as np
import pytest

from core import optimizers, schedules
from core.errors import ConfigError
from core.kernels import get_backend

A = np.array([1.0, 2.0, 0.5, 3.0])
W0 = np.array([0.5, -1.2, 2.0, -0.3])

# Produced by torch.optim (torch 2.13.0+cpu, float64) on L(w) = Σ ½·aᵢ·wᵢ² + sin(wᵢ), a = A, from W0: the
# parameters after each of 6 steps (rounded to 12 significant digits). Where torch places ε outside the square
# root and Keras inside, ε is tiny so the placement is immaterial; Nadam uses momentum_decay=1.0 (Keras's
# μₜ = β₁(1 − ½·0.96ᵗ)); torch's SGD weight decay is L2-in-the-loss, so the decoupled case shrank w by
# (1 − lr·λ) by hand before each torch step, as torch's AdamW does.
TORCH_SEQUENCES = {
    'sgd': [
        [0.362241743811, -0.996235775448, 1.94161468365, -0.305533648913],
        [0.232507093018, -0.851335215984, 1.8807717782, -0.309242210802],
        [0.111947206241, -0.746966116414, 1.81723671508, -0.311725994218],
        [0.00137844034147, -0.670948244226, 1.75077022404, -0.31338875817],
        [-0.0987593086878, -0.615081842101, 1.68113210207, -0.314501564097],
        [-0.188396104008, -0.573738096148, 1.60808670102, -0.315246163313],
    ],
    'sgd_momentum': [
        [0.362241743811, -0.996235775448, 1.94161468365, -0.305533648913],
        [0.108524662447, -0.667947413887, 1.82822499349, -0.314222494823],
        [-0.230084874646, -0.317407869808, 1.66022250207, -0.322879405237],
        [-0.609189674764, -0.0334454687388, 1.43493983789, -0.328639375008],
        [-0.971476223159, 0.128865710727, 1.14689455249, -0.329879772172],
        [-1.25679461442, 0.150001800259, 0.789177067292, -0.326640327536],
    ],
    'sgd_nesterov': [
        [0.238259313241, -0.812847973351, 1.88906789894, -0.310513932934],
        [-0.103226694876, -0.469528970486, 1.72177016956, -0.318916813025],
        [-0.471038770042, -0.23600302162, 1.49305499998, -0.32325904693],
        [-0.801650255939, -0.125136656093, 1.19455871466, -0.323714123019],
        [-1.0412309399, -0.121294632065, 0.816795596214, -0.321679618389],
        [-1.1645513035, -0.193577228435, 0.355969985599, -0.31882263508],
    ],
    'adagrad': [
        [0.402534966349, -1.10118291758, 1.9120691616, -0.317237014647],
        [0.334208740084, -1.0364804582, 1.8437420381, -0.316735481267],
        [0.279085423746, -0.986424945007, 1.78545560874, -0.316751312109],
        [0.231936586465, -0.945015722328, 1.73354436963, -0.316750813548],
        [0.190288971794, -0.909490805497, 1.68615038964, -0.316750829251],
        [0.152742823409, -0.878310976225, 1.64218033831, -0.316750828756],
    ],
    'rmsprop': [
        [0.468377223406, -1.1683772234, 1.96837722342, -0.331622776421],
        [0.445570291983, -1.14594727834, 1.94519525756, -0.309962602375],
        [0.426546371831, -1.1274273059, 1.92566090697, -0.319832764523],
        [0.409710156062, -1.11116450684, 1.90823722022, -0.315154545695],
        [0.394322093162, -1.09639742913, 1.89220786672, -0.317698703641],
        [0.379970371806, -1.08270368675, 1.87717273955, -0.316107696597],
    ],
    'rmsprop_centered_momentum': [
        [0.466666666675, -1.16666666667, 1.96666666669, -0.333333333133],
        [0.424667492806, -1.12511145158, 1.92422827023, -0.327110861301],
        [0.381510535622, -1.08309992723, 1.87993084856, -0.310239776215],
        [0.339404134194, -1.04293438589, 1.83588108051, -0.310459346487],
        [0.298724456295, -1.00501193941, 1.79243095282, -0.319054577161],
        [0.259247180951, -0.969112853432, 1.74935617652, -0.320092415483],
    ],
    'adadelta': [
        [0.49552788761, -1.19552787482, 1.99552799523, -0.304457602438],
        [0.491002551493, -1.19101304326, 1.99099210535, -0.308248954318],
        [0.486443830038, -1.18647913886, 1.98640820689, -0.311110229737],
        [0.481861624577, -1.1819380104, 1.9817840215, -0.313104521492],
        [0.477261882258, -1.17739676759, 1.97712405654, -0.314430007526],
        [0.472648579541, -1.17286013746, 1.97243122955, -0.315288138023],
    ],
    'adam': [
        [0.49, -1.19, 1.99, -0.31],
        [0.48000101343, -1.18000403765, 1.97999823158, -0.318999394842],
        [0.47000374215, -1.17001486864, 1.96999351316, -0.325110329494],
        [0.460008906377, -1.16003528873, 1.95998466486, -0.327220093204],
        [0.450017243566, -1.15006812723, 1.94997051142, -0.326262311365],
        [0.440029507234, -1.14011624031, 1.93994988505, -0.32346946993],
    ],
    'adam_amsgrad': [
        [0.49, -1.19, 1.99, -0.31],
        [0.48000101343, -1.18000403765, 1.97999823158, -0.318999394842],
        [0.47000374215, -1.17001486864, 1.96999351316, -0.325110329494],
        [0.460008906377, -1.16003528873, 1.95998466486, -0.327220093204],
        [0.450017243566, -1.15006812723, 1.94997051142, -0.326262311365],
        [0.440029507234, -1.14011624031, 1.93994988505, -0.32346946993],
    ],
    'adamw': [
        [0.4895, -1.1888, 1.988, -0.3097],
        [0.479011565618, -1.17761576127, 1.97600989211, -0.318455894466],
        [0.468535423324, -1.16645038537, 1.96402825952, -0.324515630476],
        [0.458072318134, -1.1553070193, 1.95205369047, -0.326711572549],
        [0.447623012354, -1.14418884808, 1.94008478209, -0.325829643365],
        [0.437188284282, -1.13309908711, 1.92812014409, -0.323077490215],
    ],
    'nadam': [
        [0.489372121967, -1.18937212197, 1.98937212197, -0.310627878033],
        [0.481649858823, -1.1816881304, 1.98161122353, -0.314818851656],
        [0.474555757275, -1.17464751894, 1.97446283889, -0.316987264233],
        [0.467562925703, -1.16772219858, 1.96740125775, -0.317998751868],
        [0.460489723628, -1.16073141558, 1.96024389538, -0.318327657277],
        [0.453265918176, -1.1536061371, 1.95291924771, -0.318297114322],
    ],
    'adamax': [
        [0.49, -1.19, 1.99, -0.31],
        [0.480010066954, -1.18006575209, 1.98003314067, -0.316867897976],
        [0.470031120738, -1.17019950014, 1.97009803051, -0.321179950601],
        [0.46006409592, -1.16040344047, 1.96019328875, -0.323467669487],
        [0.450109940268, -1.15067971523, 1.95031754888, -0.324212039111],
        [0.440169613218, -1.14103040605, 1.94046946199, -0.323839409726],
    ],
    'sgd_nesterov_decoupled_wd': [
        [0.235759313241, -0.806847973351, 1.87906789894, -0.309013932934],
        [-0.106542019799, -0.462600297253, 1.70151730974, -0.316813620989],
        [-0.472970572638, -0.231309771286, 1.46204312825, -0.321297036316],
        [-0.800247165203, -0.123842956982, 1.15218334772, -0.322307746805],
        [-1.03566449087, -0.123061750781, 0.762997069123, -0.320908393612],
        [-1.1554125663, -0.197081319842, 0.292721287571, -0.318534862795],
    ],
}

CASES = {
    "sgd": ("sgd", dict(learning_rate=0.1)),
    "sgd_momentum": ("sgd", dict(learning_rate=0.1, momentum=0.9)),
    "sgd_nesterov": ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "sgd_nesterov_decoupled_wd": ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    "adagrad": ("adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-10)),
    "rmsprop": ("rmsprop", dict(learning_rate=0.01, rho=0.9, epsilon=1e-10)),
    "rmsprop_centered_momentum": ("rmsprop", dict(learning_rate=0.01, rho=0.9, epsilon=1e-10, momentum=0.5,
                                                  centered=True)),
    "adadelta": ("adadelta", dict(learning_rate=1.0, rho=0.95, epsilon=1e-6)),
    "adam": ("adam", dict(learning_rate=0.01, epsilon=1e-12)),
    "adam_amsgrad": ("adam", dict(learning_rate=0.01, epsilon=1e-12, amsgrad=True)),
    "adamw": ("adamw", dict(learning_rate=0.01, epsilon=1e-12, weight_decay=0.1)),
    "nadam": ("nadam", dict(learning_rate=0.01, epsilon=1e-12)),
    "adamax": ("adamax", dict(learning_rate=0.01, epsilon=1e-12)),
}


def _grad(w):
    return np.resize(A, w.shape) * w + np.cos(w)


def _run(opt, backend, steps=6, w0=W0, dtype=np.float64):
    k = get_backend(backend)
    w = w0.astype(dtype)
    out = []
    for _ in range(steps):
        opt.apply(k, [(w, _grad(w).astype(dtype))])
        out.append(w.copy())
    return np.array(out)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_update_sequence_matches_torch(case, backend):
    name, kwargs = CASES[case]
    got = _run(optimizers.get(name, **kwargs), backend)
    np.testing.assert_allclose(got, np.array(TORCH_SEQUENCES[case]), rtol=0, atol=1e-6)


def _numpy_adam(steps, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    """Kingma & Ba's algorithm 1 with the ε̂ of their section 2 (ε̂ = ε·√(1−β₂ᵗ)), Keras's defaults."""
    w, m, v, out = W0.copy(), 0.0, 0.0, []
    for t in range(1, steps + 1):
        g = _grad(w)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2**t))
        out.append(w)
    return np.array(out)


def _numpy_adagrad(steps, lr=0.001, a0=0.1, eps=1e-7):
    w, acc, out = W0.copy(), np.full(4, a0), []
    for _ in range(steps):
        g = _grad(w)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_keras_defaults_match_published_formulas(backend):
    np.testing.assert_allclose(_run(optimizers.Adam(), backend, 8), _numpy_adam(8), rtol=0, atol=1e-9)
    np.testing.assert_allclose(_run(optimizers.Adagrad(), backend, 8), _numpy_adagrad(8), rtol=0, atol=1e-9)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_kernel_equals_reference(case, dtype):
    name, kwargs = CASES[case]
    w0 = np.random.default_rng(1).normal(size=(5, 7)).ravel()
    ref = _run(optimizers.get(name, **kwargs), "reference", 5, w0, dtype)
    cpu = _run(optimizers.get(name, **kwargs), "cpu", 5, w0, dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(cpu, ref, rtol=tol, atol=tol)
    assert cpu.dtype == dtype


@pytest.mark.parametrize("case", sorted(CASES) + ["global_clip"])
def test_one_flat_update_equals_updates_weight_by_weight(case):
    """Networks lay their weights out flat: one pass updates them all."""
    name, kwargs = CASES.get(case, ("sgd", dict(learning_rate=0.1, global_clipnorm=0.5)))
    shapes = [(3, 4), (4,), (30, 25)]
    rng = np.random.default_rng(4)
    flat_w = rng.normal(size=sum(int(np.prod(s)) for s in shapes)).astype(np.float32)
    flat_g = np.zeros_like(flat_w)
    split = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
    views = [(w.reshape(s), g.reshape(s)) for w, g, s in zip(np.split(flat_w, split), np.split(flat_g, split), shapes)]
    separate = [(w.copy(), g) for w, g in views]
    k = get_backend("cpu")
    flat_opt, separate_opt = optimizers.get(name, **kwargs), optimizers.get(name, **kwargs)
    for _ in range(3):
        for (w, g), (w2, _) in zip(views, separate):
            g[...] = _grad(w)
        flat_opt.apply(k, views, (flat_w, flat_g))
        separate_opt.apply(k, [(w2, _grad(w2).astype(np.float32)) for w2, _ in separate])
    for (w, _), (w2, _) in zip(views, separate):
        np.testing.assert_allclose(w, w2, rtol=1e-6, atol=1e-7)
    assert all(s.base is not None for group in flat_opt.slots for s in group)  # views of the flat slots


def test_keras2_lr_and_decay_aliases():
    opt = optimizers.SGD(lr=0.1, decay=0.5)
    rates = []
    for _ in range(4):
        rates.append(opt.current_learning_rate())
        opt.apply(get_backend("reference"), [(np.zeros(2), np.ones(2))])
    np.testing.assert_allclose(rates, [0.1 / (1 + 0.5 * t) for t in range(4)])
    with pytest.raises(ConfigError, match="not both"):
        optimizers.Adam(learning_rate=0.1, lr=0.1)


def test_gradient_clipping():
    k = get_backend("cpu")
    w = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=1.0).apply(k, [(w, np.array([3.0, 4.0]))])
    np.testing.assert_allclose(w, [-0.6, -0.8])
    w = np.zeros(2)
    optimizers.SGD(1.0, clipvalue=0.5).apply(k, [(w, np.array([3.0, -0.2]))])
    np.testing.assert_allclose(w, [-0.5, 0.2])
    a, b = np.zeros(1), np.zeros(1)
    optimizers.SGD(1.0, global_clipnorm=1.0).apply(k, [(a, np.array([3.0])), (b, np.array([4.0]))])
    np.testing.assert_allclose([a[0], b[0]], [-0.6, -0.8])


def test_schedule_as_learning_rate_uses_iteration_count():
    opt = optimizers.RMSprop(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5))
    seen = []
    for _ in range(3):
        seen.append(opt.current_learning_rate())
        opt.apply(get_backend("reference"), [(np.zeros(2), np.ones(2))])
    np.testing.assert_allclose(seen, [0.1, 0.1 * 0.5**0.5, 0.05])


def test_config_round_trip_with_keras_extras_and_schedule():
    keras_config = {"class_name": "SGD", "config": {
        "name": "sgd", "learning_rate": 0.0099999998, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
        "momentum": 0.9, "nesterov": True}}
    opt = optimizers.get(keras_config)
    assert isinstance(opt, optimizers.SGD) and opt.momentum == 0.9 and opt.nesterov
    for cls in (optimizers.Adam, optimizers.AdamW, optimizers.Nadam, optimizers.Adamax, optimizers.Adadelta,
                optimizers.Adagrad, optimizers.RMSprop, optimizers.SGD):
        original = cls(learning_rate=schedules.CosineDecay(0.01, 100, warmup_target=0.1, warmup_steps=10))
        again = optimizers.get({"class_name": cls.__name__, "config": original.get_config()})
        assert type(again) is cls and again.get_config() == original.get_config()
        assert again.current_learning_rate() == original.current_learning_rate()
    with pytest.raises(ConfigError, match="use_ema"):
        optimizers.get({"class_name": "Adam", "config": {"use_ema": True}})
    assert optimizers.AdamW().weight_decay == 0.004
    assert set(optimizers.names()) == {"sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam", "adamax"}


def test_state_copies_and_checks():
    k = get_backend("reference")
    opt = optimizers.RMSprop(momentum=0.9, centered=True)
    w = np.ones(3)
    opt.apply(k, [(w, np.ones(3))])
    state = opt.get_state()
    assert state["iterations"] == 1 and len(state["slots"][0]) == 3
    opt.apply(k, [(w, np.ones(3))])
    assert state["iterations"] == 1 and not np.shares_memory(state["slots"][0][0], opt.slots[0][0])
    with pytest.raises(ConfigError, match="slot"):
        optimizers.RMSprop().set_state(state)
    fresh = optimizers.RMSprop(momentum=0.9, centered=True)
    fresh.set_state(state)
    with pytest.raises(ConfigError, match="does not fit"):
        fresh.apply(k, [(np.ones(4), np.ones(4))])


def test_gradient_descent_modes():
    assert optimizers.gradient_descent_mode(100, 100) == "batch"
    assert optimizers.gradient_descent_mode(500, 100) == "batch"
    assert optimizers.gradient_descent_mode(1, 100) == "stochastic"
    assert optimizers.gradient_descent_mode(32, 100) == "mini-batch"
    assert [optimizers.batch_size_for_mode(m, 100) for m in ("batch", "stochastic", "mini-batch")] == [100, 1, 32]
    assert set(optimizers.GRADIENT_DESCENT_MODES) == {"batch", "stochastic", "mini-batch"}
    with pytest.raises(ConfigError):
        optimizers.batch_size_for_mode("full", 10)


@pytest.mark.parametrize("bad", [dict(momentum=1.5), dict(nesterov="yes"), dict(learning_rate=-1.0),
                                 dict(clipnorm=0.0)])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ConfigError, match="SGD"):
        optimizers.SGD(**bad)


# -- on a real network --------------------------------------------------------------------------------------

def _spiral(n=200, seed=0):
    """Two interleaved spiral arms (one turn each), labels one-hot."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n)) * 2 * np.pi
    label = np.arange(n) % 2
    angle = t + np.pi * label
    x = np.stack([np.cos(angle), np.sin(angle)], 1) * (t / (2 * np.pi))[:, None] + rng.normal(0, 0.02, (n, 2))
    return x.astype(np.float32), np.eye(2, dtype=np.float32)[label]


def _mlp(seed=0):
    from core import Dense, Sequential
    model = Sequential([Dense(16, activation="tanh", input_shape=(2,)), Dense(2, activation="softmax")])
    model.seed = seed
    return model


COMPARISON = {
    "SGD": ("sgd", dict(learning_rate=0.1)),
    "SGD momentum 0.9": ("sgd", dict(learning_rate=0.1, momentum=0.9)),
    "SGD Nesterov 0.9": ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "Adagrad": ("adagrad", dict(learning_rate=0.1)),
    "RMSprop": ("rmsprop", dict(learning_rate=0.01)),
    "Adadelta": ("adadelta", dict(learning_rate=1.0)),
    "Adam": ("adam", dict(learning_rate=0.01)),
    "Adam AMSGrad": ("adam", dict(learning_rate=0.01, amsgrad=True)),
    "AdamW": ("adamw", dict(learning_rate=0.01)),
    "Nadam": ("nadam", dict(learning_rate=0.01)),
    "Adamax": ("adamax", dict(learning_rate=0.02)),
}


def test_every_optimiser_trains_the_spiral():
    x, y = _spiral()
    rows = []
    for label, (name, kwargs) in COMPARISON.items():
        model = _mlp()
        model.compile(optimizer=optimizers.get(name, **kwargs), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        loss = model.fit(x, y, epochs=150, batch_size=32, verbose=0).history["loss"]
        rows.append((label, loss[0], loss[-1], model.history.history["accuracy"][-1]))
        assert loss[-1] < 0.75 * loss[0] and np.mean(loss[-10:]) < np.mean(loss[:10]), label
    print("\noptimiser            first-epoch loss  final loss  final accuracy  (spiral, 2-16-2, 150 epochs, batch 32)")
    for label, first, last, acc in rows:
        print(f"{label:20s} {first:16.4f} {last:11.4f} {acc:15.3f}")


@pytest.mark.parametrize("name, kwargs", [("adam", dict(learning_rate=0.01)),
                                          ("sgd", dict(learning_rate=0.1, momentum=0.9)),
                                          ("nadam", dict(learning_rate=0.01))])
def test_resume_from_saved_state_continues_exactly(name, kwargs):
    x, y = _spiral()
    straight = _mlp()
    straight.compile(optimizer=optimizers.get(name, **kwargs), loss="categorical_crossentropy")
    straight.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0)

    first = _mlp()
    first.compile(optimizer=optimizers.get(name, **kwargs), loss="categorical_crossentropy")
    first.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    weights, state = first.get_weights(), first.optimizer.get_state()

    resumed = _mlp(seed=7)
    resumed.compile(optimizer=optimizers.get(name, **kwargs), loss="categorical_crossentropy")
    resumed.set_weights(weights)
    resumed.optimizer.set_state(state)
    resumed.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 4 * 7
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_batch_gradient_descent_is_one_update_per_epoch_without_shuffling_copies():
    x, y = _spiral(64)
    results = []
    for shuffle in (True, False):
        model = _mlp()
        model.compile(optimizer=optimizers.SGD(0.5), loss="categorical_crossentropy")
        model.fit(x, y, epochs=5, batch_size=len(x), shuffle=shuffle, verbose=0)
        assert model.optimizer.iterations == 5
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)  # no permutation was drawn: the whole set in its own order
