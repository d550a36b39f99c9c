"""Per-batch image augmentation through the engine's augmentation kernels."""

import numpy as np
import pytest

from core.data import Augmentation, DataError, Dataset, augmented_batches, preview_grid


def _images(n=4, h=9, w=7, c=2):
    return np.random.default_rng(0).random((n, h, w, c)).astype(np.float32)


def test_no_ranges_is_the_identity_and_flips_mirror():
    x = _images()
    rng = np.random.default_rng(0)
    assert np.array_equal(Augmentation()(x, rng), x)
    assert np.allclose(Augmentation(rotation=0.0, crop=0.0, scale=0.0)(x, rng), x)
    flipped = Augmentation(flip_horizontal=True)(x, np.random.default_rng(5))
    for a, b in zip(flipped, x):
        assert np.array_equal(a, b) or np.array_equal(a, b[:, ::-1])
    assert any(not np.array_equal(a, b) for a, b in zip(flipped, x))
    vertical = Augmentation(flip_vertical=True)(x, np.random.default_rng(5))
    assert all(np.array_equal(a, b) or np.array_equal(a, b[::-1]) for a, b in zip(vertical, x))


def test_geometric_maps_match_their_definition():
    aug = Augmentation(translation=0.2)
    m = aug.matrices(np.random.default_rng(1), 3, 9, 7)
    assert np.allclose(m[:, :, :2], np.eye(2))  # a pure shift
    x = _images(3)
    shifted = Augmentation(translation=0.2, fill_mode="constant")(x, np.random.default_rng(1))
    for k in range(3):
        sx, sy = 3 + m[k, 0, 2], 4 + m[k, 1, 2]  # output pixel (row 4, column 3) reads input (sy, sx)
        y0, x0 = int(np.floor(sy)), int(np.floor(sx))
        ay, ax = sy - y0, sx - x0
        img = x[k]
        expected = ((1 - ay) * ((1 - ax) * img[y0, x0] + ax * img[y0, x0 + 1])
                    + ay * ((1 - ax) * img[y0 + 1, x0] + ax * img[y0 + 1, x0 + 1]))
        assert np.allclose(shifted[k, 4, 3], expected, atol=1e-5)
    rot = Augmentation(rotation=90).matrices(np.random.default_rng(0), 1, 9, 9)
    centre = np.array([4.0, 4.0, 1.0])
    assert np.allclose(rot[0] @ centre, [4.0, 4.0])  # rotation about the image centre
    assert np.allclose(np.linalg.det(rot[0, :, :2]), 1.0)
    crop = Augmentation(crop=0.5).matrices(np.random.default_rng(0), 50, 9, 9)
    corners = np.einsum("nij,j->ni", crop, [8.0, 8.0, 1.0])
    assert np.all(corners <= 8 + 1e-9) and np.all(crop[:, :, 2] >= -1e-9)  # crops stay inside the image


def test_augmentation_is_seeded_and_varies_per_batch():
    data = Dataset(_images(10, c=1), np.arange(10) % 2)
    aug = Augmentation(rotation=20, scale=0.1, translation=0.1, crop=0.2, noise=0.05, flip_horizontal=True)
    first = list(augmented_batches(data, aug, batch_size=4, seed=3))
    again = list(augmented_batches(data, aug, batch_size=4, seed=3))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, again))
    assert [len(b[0]) for b in first] == [4, 4, 2] and first[0][0].dtype == np.float32
    other = list(augmented_batches(data, aug, batch_size=4, seed=4))
    assert not np.array_equal(first[0][0], other[0][0])


def test_preview_grid_tiles_the_original_and_its_variants():
    image = _images(1, 6, 5, 1)[0]
    grid = preview_grid(image, Augmentation(rotation=30, noise=0.1), rows=2, cols=3)
    assert grid.shape == (12, 15, 1)
    assert np.array_equal(grid[:6, :5], image)
    assert not np.array_equal(grid[:6, 5:10], image)
    assert preview_grid(image[..., 0], Augmentation(), 1, 2).shape == (6, 10, 1)


def test_bad_settings_and_inputs():
    with pytest.raises(DataError, match="rotation must be between 0 and 180"):
        Augmentation(rotation=270)
    with pytest.raises(DataError, match="fill_mode"):
        Augmentation(fill_mode="mirror")
    with pytest.raises(DataError, match=r"image batches \(n, height, width, channels\)"):
        Augmentation(noise=0.1)(np.zeros((3, 4)), np.random.default_rng(0))
