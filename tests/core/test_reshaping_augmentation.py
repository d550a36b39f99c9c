"""Reshaping and augmentation layers: NumPy equivalence, Keras config forms, errors, augmentation behaviour.

Gradients and the cpu-vs-reference match of every example config run in the registry-wide check
(tests/core/test_layers_registry.py); here the transposed maps are also checked on larger images by the
adjoint identity <A x, y> = <x, Aᵀ y>.
"""

import numpy as np
import pytest

from core import (Cropping2D, Permute, RandomCrop, RandomFlip, RandomRotation, RandomTranslation, RandomZoom,
                  RepeatVector, ZeroPadding2D)
from core.errors import ConfigError, ShapeError
from core.kernels import get_backend
from core.layers import registry
from core.layers.augmentation import augment_batch, augment_preview
from core.layers.base import Context

BACKENDS = ("reference", "cpu")
AUGMENTATIONS = (RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomCrop)
RESHAPING = (Permute, RepeatVector, Cropping2D, ZeroPadding2D)


def run(layer, x, backend="cpu", training=True, seed=0, dout=None):
    ctx = Context(k=get_backend(backend), rng=np.random.default_rng(seed), training=training)
    out, cache = layer.forward(ctx, [x], [])
    if dout is None:
        return out
    return out, layer.backward(ctx, dout, cache, [], True)[0][0]


def images(n=4, h=5, w=6, c=2, seed=0):
    return np.random.default_rng(seed).standard_normal((n, h, w, c)).astype(np.float32)


# -- reshaping -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_reshaping_layers_match_numpy_forward_and_backward(backend):
    x = images(3, 4, 5, 2)
    cases = [(Permute((3, 1, 2)), lambda a: np.transpose(a, (0, 3, 1, 2)), lambda d: np.transpose(d, (0, 2, 3, 1))),
             (Cropping2D(((1, 0), (2, 1))), lambda a: a[:, 1:, 2:-1],
              lambda d: np.pad(d, ((0, 0), (1, 0), (2, 1), (0, 0)))),
             (ZeroPadding2D(((1, 2), (0, 3))), lambda a: np.pad(a, ((0, 0), (1, 2), (0, 3), (0, 0))),
              lambda d: d[:, 1:-2, :-3])]
    for layer, fwd, bwd in cases:
        dout = np.random.default_rng(1).standard_normal(fwd(x).shape).astype(np.float32)
        out, dx = run(layer, x, backend, dout=dout)
        assert out.shape[1:] == layer.output_shape([x.shape[1:]])
        np.testing.assert_array_equal(out, fwd(x))
        np.testing.assert_array_equal(dx, bwd(dout))
    v = x.reshape(3, -1)
    out, dv = run(RepeatVector(3), v, backend, dout=np.ones((3, 3, v.shape[1]), np.float32))
    np.testing.assert_array_equal(out, np.repeat(v[:, None], 3, axis=1))
    np.testing.assert_array_equal(dv, np.full_like(v, 3.0))
    assert RepeatVector(3).output_shape([(40,)]) == (3, 40)


@pytest.mark.parametrize("cls,key", [(Cropping2D, "cropping"), (ZeroPadding2D, "padding")])
def test_sides_accept_keras_forms_and_give_keras_form_back(cls, key):
    forms = [(2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))), (((0, 1), (2, 3)), ((0, 1), (2, 3))),
             (((0, 1), [2, 3]), ((0, 1), (2, 3))), ((0, 1, 2, 3), ((0, 1), (2, 3))),
             ((2,), ((2, 2), (2, 2)))]
    for given, keras in forms:
        layer = cls(given)
        assert layer.get_config()[key] == keras
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
    assert cls.from_config({key: [[1, 2], [3, 4]]}).config[key] == (1, 2, 3, 4)
    for bad in [(1, 2, 3), ((1,), (2, 3)), -1, ((1, 2), (3, -1)), "1", 1.5]:
        with pytest.raises(ConfigError, match=f"{cls.type_name}: parameter '{key}'"):
            cls(bad)


def test_permute_refuses_non_permutations_and_rank_mismatch():
    for dims in [(1, 1), (0, 1), (2, -1), (1, 3)]:
        with pytest.raises(ConfigError, match=r"Permute: parameter 'dims' must be a permutation of 1\.\.n"):
            Permute(dims)
    with pytest.raises(ShapeError, match=r"Permute 'p'.*has 3 per sample.*permutation of 1\.\.3"):
        Permute((2, 1), name="p").output_shape([(2, 3, 4)])
    assert Permute((2, 1)).output_shape([(3, 7)]) == (7, 3)


def test_shape_errors_name_the_layer_and_say_how_to_fix():
    with pytest.raises(ShapeError, match=r"Cropping2D 'crop'.*5 rows high.*at most 4 rows"):
        Cropping2D(((3, 2), (0, 0)), name="crop").output_shape([(5, 6, 2)])
    with pytest.raises(ShapeError, match=r"Cropping2D 'crop'.*6 columns wide.*at most 5 columns"):
        Cropping2D((0, 3), name="crop").output_shape([(5, 6, 2)])
    assert Cropping2D(((2, 2), (0, 5))).output_shape([(5, 6, 2)]) == (1, 1, 2)
    with pytest.raises(ShapeError, match=r"RepeatVector 'rep'.*\(None, 3, 4\).*Flatten"):
        RepeatVector(2, name="rep").output_shape([(3, 4)])
    for cls in AUGMENTATIONS + (Cropping2D, ZeroPadding2D):
        with pytest.raises(ShapeError, match=rf"{cls.type_name} 'aug'.*\(height, width, channels\).*\(None, 20\)"):
            cls(name="aug").output_shape([(20,)])


def test_configs_round_trip_and_keras_factor_forms():
    for name in ("Permute", "RepeatVector", "Cropping2D", "ZeroPadding2D") + tuple(c.type_name for c in AUGMENTATIONS):
        cls = registry.get(name)
        for config, _ in cls.examples():
            layer = cls.from_config(config, name="x")
            again = cls.from_config(layer.get_config(), name="x")
            assert again.get_config() == layer.get_config() and again.config == layer.config
        assert cls.category == ("Reshaping" if cls in RESHAPING else "Augmentation")
    assert RandomRotation(0.2).get_config()["factor"] == 0.2
    assert RandomRotation([0.3, -0.1]).get_config()["factor"] == (-0.1, 0.3)
    zoom = RandomZoom(0.2, (0.1, 0.3), "constant", "nearest", 5, 1.5)
    assert zoom.config == {"height_factor": 0.2, "width_factor": (0.1, 0.3), "fill_mode": "constant",
                           "interpolation": "nearest", "seed": 5, "fill_value": 1.5}
    assert RandomZoom(0.2).config["width_factor"] is None
    assert RandomCrop(3, 4).output_shape([(5, 6, 2)]) == (3, 4, 2)


@pytest.mark.parametrize("bad", [lambda: RandomRotation(1.5), lambda: RandomZoom((0.1, 0.2, 0.3)),
                                 lambda: RandomTranslation(0.1, (-1.2, 0.0)), lambda: RandomFlip("diagonal"),
                                 lambda: RandomRotation(0.1, fill_mode="mirror"), lambda: RandomCrop(0, 3),
                                 lambda: RandomZoom(0.1, interpolation="bicubic")])
def test_bad_augmentation_configs_are_refused(bad):
    with pytest.raises(ConfigError, match="parameter"):
        bad()


# -- augmentation ----------------------------------------------------------------------------------------------
def _augmentation_layers():
    return [RandomFlip(), RandomRotation(0.3), RandomZoom(0.3, 0.2), RandomTranslation(0.3, 0.3),
            RandomRotation(0.2, fill_mode="constant", interpolation="nearest", fill_value=2.0)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_at_inference(backend):
    x = images()
    dout = images(seed=3)
    for layer in _augmentation_layers() + [RandomCrop(5, 6)]:
        out, dx = run(layer, x, backend, training=False, dout=dout)
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(dx, dout)


def test_seeded_reproducibility_in_training():
    x = images(8)
    for layer in _augmentation_layers() + [RandomCrop(3, 4)]:
        first = run(layer, x, seed=11)
        np.testing.assert_array_equal(first, run(layer, x, seed=11))
        assert not np.array_equal(first, run(layer, x, seed=12)), layer.type_name
        np.testing.assert_allclose(run(layer, x, "reference", seed=11), first, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_flips_are_exact(backend):
    x = images(40, 3, 4, 2)
    variants = {"horizontal": [x, x[:, :, ::-1]], "vertical": [x, x[:, ::-1]],
                "horizontal_and_vertical": [x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]}
    for mode, options in variants.items():
        out, dx = run(RandomFlip(mode), x, backend, seed=4, dout=x)
        which = [[k for k, v in enumerate(options) if np.array_equal(out[i], v[i])] for i in range(len(x))]
        assert all(len(w) == 1 for w in which), mode
        assert {w[0] for w in which} == set(range(len(options))), mode
        np.testing.assert_array_equal(dx, out)  # a flip is its own transpose


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_quarter_turns_match_rot90(backend, interpolation):
    x = images(2, 6, 6, 3)
    for factor, k in [(0.25, 1), (-0.25, -1), (0.5, 2)]:
        out = run(RandomRotation((factor, factor), interpolation=interpolation), x, backend)
        expected = np.rot90(x, k, axes=(1, 2))
        np.testing.assert_allclose(out[:, 1:-1, 1:-1], expected[:, 1:-1, 1:-1], atol=1e-5)


def _bilinear(img, ys, xs):
    """Separable linear interpolation of one-channel ``img`` at row coords ``ys`` and column coords ``xs``."""
    rows = np.array([np.interp(xs, np.arange(img.shape[1]), r) for r in img])
    return np.array([np.interp(ys, np.arange(img.shape[0]), c) for c in rows.T]).T


@pytest.mark.parametrize("backend", BACKENDS)
def test_zoom_matches_hand_computed_cases(backend):
    x = images(1, 5, 5, 1)
    img = x[0, :, :, 0]
    # zoom out 2x (factor +1): output pixel i reads input 2i - 2; outside is the constant 7
    out = run(RandomZoom((1.0, 1.0), fill_mode="constant", fill_value=7.0), x, backend)[0, :, :, 0]
    expected = np.full((5, 5), 7.0)
    expected[1:4, 1:4] = img[0:5:2, 0:5:2]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # zoom in 2x (factor -0.5): output pixel i reads input 0.5 i + 1, between pixels
    out = run(RandomZoom((-0.5, -0.5)), x, backend)[0, :, :, 0]
    coords = 0.5 * np.arange(5) + 1
    np.testing.assert_allclose(out, _bilinear(img, coords, coords), atol=1e-5)
    # width only: rows untouched
    out = run(RandomZoom((0.0, 0.0), (-0.5, -0.5)), x, backend)[0, :, :, 0]
    np.testing.assert_allclose(out, _bilinear(img, np.arange(5.0), coords), atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_translation_matches_hand_computed_cases(backend):
    x = images(1, 5, 5, 2)
    # one row down (0.2 of 5), two columns left (-0.4 of 5): out[y, x] = in[y - 1, x + 2]
    out = run(RandomTranslation((0.2, 0.2), (-0.4, -0.4), fill_mode="constant", fill_value=7.0), x, backend)[0]
    expected = np.full((5, 5, 2), 7.0)
    expected[1:, :3] = x[0, :4, 2:]
    np.testing.assert_allclose(out, expected, atol=1e-6)
    out = run(RandomTranslation((0.2, 0.2), (-0.4, -0.4), fill_mode="reflect"), x, backend)[0]
    rows, cols = [0, 0, 1, 2, 3], [2, 3, 4, 4, 3]  # reflect: index -1 reads 0, 5 reads 4, 6 reads 3
    np.testing.assert_allclose(out, x[0][np.ix_(rows, cols)], atol=1e-6)
    out = run(RandomTranslation((0.0, 0.0), (0.1, 0.1), fill_mode="nearest"), x, backend)[0]  # half a column right
    expected = np.concatenate([x[0, :, :1], (x[0, :, :-1] + x[0, :, 1:]) / 2], axis=1)
    np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_crop_windows_in_training_and_centre_resize_at_inference(backend):
    x = images(6, 5, 6, 2)
    out = run(RandomCrop(3, 4), x, backend, seed=2)
    positions = set()
    for i in range(len(x)):
        hits = [(t, l) for t in range(3) for l in range(3) if np.array_equal(out[i], x[i, t:t + 3, l:l + 4])]
        assert hits, f"sample {i} is not a window of its image"
        positions.add(hits[0])
    assert len(positions) > 1  # each image gets its own position
    # inference: the largest centred window with the target's aspect ratio, resized (2x2 block means here)
    y = images(2, 6, 8, 1)
    out = run(RandomCrop(2, 4), y, backend, training=False)
    blocks = y[:, 1:5].reshape(2, 2, 2, 4, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(out, blocks, atol=1e-6)
    # training on an image smaller than the window resizes it (2x nearest-clamped bilinear upsampling)
    small = images(1, 2, 2, 1)
    out = run(RandomCrop(4, 4), small, backend)[0, :, :, 0]
    coords = np.clip((np.arange(4) + 0.5) / 2 - 0.5, 0, 1)
    np.testing.assert_allclose(out, _bilinear(small[0, :, :, 0], coords, coords), atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backward_is_the_transposed_map(backend):
    x = images(3, 8, 9, 3, seed=5)
    layers = [RandomRotation(0.5, fill_mode=m, interpolation=i, fill_value=0.0)
              for m in ("reflect", "wrap", "constant", "nearest") for i in ("bilinear", "nearest")]
    layers += [RandomZoom((-0.6, 0.8), 0.5, fill_mode="reflect"), RandomTranslation(0.7, 0.7, fill_mode="wrap"),
               RandomCrop(5, 4), RandomCrop(11, 7), RandomFlip()]
    for layer in layers:
        out = run(layer, x, backend, seed=9)
        y = np.random.default_rng(6).standard_normal(out.shape).astype(np.float32)
        _, dx = run(layer, x, backend, seed=9, dout=y)
        lhs, rhs = float(np.sum(out.astype(np.float64) * y)), float(np.sum(x.astype(np.float64) * dx))
        assert abs(lhs - rhs) <= 1e-4 * (1 + abs(lhs)), (layer, lhs, rhs)


def test_augment_preview_and_batch():
    image = (np.arange(64, dtype=np.uint8) * 3).reshape(8, 8)
    steps = [{"class_name": "RandomFlip", "config": {"mode": "horizontal", "name": "flip", "trainable": True}},
             ("RandomRotation", {"factor": 0.1}), RandomCrop(6, 6)]
    grid = augment_preview(image, steps, n=5, seed=3)
    assert grid.shape == (5, 6, 6) and grid.dtype == np.float32
    np.testing.assert_array_equal(grid, augment_preview(image, steps, n=5, seed=3))
    assert not np.array_equal(grid, augment_preview(image, steps, n=5, seed=4))
    assert len({g.tobytes() for g in grid}) == 5
    colour = augment_preview(np.zeros((8, 8, 3), np.float32), ["RandomZoom"], n=2, seed=0)
    assert colour.shape == (2, 8, 8, 3)
    batch = augment_batch(images(4), [RandomTranslation(0.2, 0.2)], np.random.default_rng(0))
    assert batch.shape == (4, 5, 6, 2)
    with pytest.raises(ShapeError, match="single image"):
        augment_preview(images(2), steps)
    with pytest.raises(ConfigError, match="has weights"):
        augment_preview(image, ["Dense"])
    with pytest.raises(ConfigError, match="cannot make an augmentation layer"):
        augment_preview(image, [42])
    with pytest.raises(ShapeError, match="Cropping2D"):
        augment_preview(image, [("Cropping2D", {"cropping": 4})])


def test_keras_file_entries_round_trip_in_keras_forms():
    from core.io.keras_config import layer_from_keras, layer_to_keras

    for name in ("Permute", "RepeatVector", "Cropping2D", "ZeroPadding2D") + tuple(c.type_name for c in AUGMENTATIONS):
        cls = registry.get(name)
        for config, _ in cls.examples():
            layer = cls.from_config(config, name="x")
            assert layer_from_keras(layer_to_keras(layer), "3.5.0").config == layer.config
    assert layer_to_keras(Cropping2D(((1, 0), (2, 1)), name="c"))["config"]["cropping"] == [[1, 0], [2, 1]]
    written_by_keras3 = [
        {"class_name": "RandomRotation", "config": {"name": "rr", "trainable": True, "dtype": "float32",
                                                    "factor": [-0.1, 0.25], "data_format": "channels_last",
                                                    "fill_mode": "constant", "fill_value": 0.0,
                                                    "interpolation": "nearest", "seed": 1234}},
        {"class_name": "ZeroPadding2D", "config": {"name": "zp", "trainable": True, "dtype": "float32",
                                                   "padding": [[1, 2], [0, 3]], "data_format": "channels_last"}}]
    rotation, padding = (layer_from_keras(entry, "3.5.0") for entry in written_by_keras3)
    assert rotation.config["factor"] == (-0.1, 0.25) and rotation.config["seed"] == 1234
    assert padding.output_shape([(4, 4, 1)]) == (7, 7, 1)
