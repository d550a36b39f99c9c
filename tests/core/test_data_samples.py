"""Every built-in sample loads, has consistent metadata and trains its starter network; the digits MLP reaches
95 % test accuracy."""

import numpy as np
import pytest

from core.data import DataError, Dataset, list_samples, load_sample, sample_names
from core.data.samples import CATEGORIES, get_spec
from core.starters import starter, train_starter



def _small_params(name):
    names = {p["name"] for p in get_spec(name).info()["params"]}
    return {"n": 40} if "n" in names else {}


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_trains_its_starter_for_one_epoch(name):
    data = load_sample(name, **_small_params(name))
    assert isinstance(data, Dataset) and len(data) > 0
    assert data.name == name and data.description and data.source and data.license
    x, y = data.arrays()
    assert x.dtype == np.float32 and np.all(np.isfinite(x))
    if data.task == "classification":
        assert y.dtype.kind in "iu" and data.num_classes == len(data.class_names) >= 2
        assert set(np.unique(y)) <= set(range(data.num_classes))
    else:
        assert y.dtype == np.float32 and data.target_names
    recipe = starter(name, data)
    model = recipe.model()
    history = model.fit(x, y, epochs=1, batch_size=recipe.batch_size, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x[:3]).shape == (3,) + data.output_shape


def test_listing_covers_every_category_with_parameter_ranges():
    listing = list_samples()
    assert {s["category"] for s in listing} == set(CATEGORIES)
    assert {"xor", "circles", "moons", "spirals", "spirals_n", "blobs", "sine", "polynomial", "step", "surface",
            "digits", "shapes", "iris", "wine", "breast_cancer", "sine_forecast", "random_walk",
            "waveforms"} <= {s["name"] for s in listing}
    for sample in listing:
        for p in sample["params"]:
            if p["kind"] != "choice":
                assert p["min"] <= p["default"] <= p["max"], (sample["name"], p)
    assert all(s["category"] == "tabular" for s in list_samples("tabular"))


def test_same_seed_same_data_and_other_seed_other_data():
    a, b, c = (load_sample("spirals_n", n=60, arms=4, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.num_classes == 4


def test_parameters_are_checked_against_their_ranges():
    with pytest.raises(DataError, match="sample 'xor': parameter 'n' must be an integer ≥ 20 and ≤ 20000, got 5"):
        load_sample("xor", n=5)
    with pytest.raises(DataError, match="parameter 'n' must be an integer"):
        load_sample("xor", n=20.5)
    assert load_sample("xor", n=40.0, noise=0).x.shape[0] == 40
    with pytest.raises(DataError, match="no parameter.*radius.*parameters are n, noise, seed"):
        load_sample("xor", radius=2)
    with pytest.raises(DataError, match="one of 'next', 'sequence'"):
        load_sample("sine_forecast", target="later")
    with pytest.raises(DataError, match="no sample named 'mnist'"):
        load_sample("mnist")


def test_shapes_and_sequence_variants():
    shapes = load_sample("shapes", n=40)
    assert shapes.input_shape == (28, 28, 1) and shapes.class_names == ["circle", "square", "triangle", "cross"]
    assert 0.0 <= shapes.x.min() and shapes.x.max() <= 1.0
    seq = load_sample("sine_forecast", n=20, steps=10, target="sequence")
    assert seq.task == "sequence-to-sequence" and seq.x.shape == (20, 10, 1) and seq.y.shape == (20, 10, 1)
    assert np.allclose(seq.y[:, :-1, 0], seq.x[:, 1:, 0], atol=0.5)  # targets are the next values


def test_digits_file_is_the_uci_test_set():
    digits = load_sample("digits")
    assert digits.x.shape == (1797, 8, 8, 1) and digits.num_classes == 10
    assert np.bincount(digits.y).min() >= 170


def test_digits_mlp_reaches_95_percent_test_accuracy():
    result = train_starter("digits", seed=0)
    assert result["metric"] == "accuracy"
    assert result["score"] >= 0.95, result


@pytest.mark.parametrize("name,variant,kind", [("shapes", "cnn", "Conv2D"), ("waveforms", "cnn1d", "Conv1D"),
                                               ("sine_forecast", "lstm", "LSTM")])
def test_image_and_sequence_starters_are_convolutional_or_recurrent(name, variant, kind):
    data = load_sample(name, n=40)
    recipe = starter(name, data)
    types = [recipe.graph.layer(i).type_name for i in recipe.graph.topological_order()]
    assert recipe.variant == variant and kind in types
    x, y = data.arrays()
    assert recipe.model().predict(x[:2]).shape == (2,) + data.output_shape


def test_every_sample_has_its_score_recorded_in_the_samples_readme():
    from core.data.samples.files import samples_dir
    readme = (samples_dir() / "README.md").read_text()
    for name in sample_names():
        assert f"| `{name}` |" in readme, name
