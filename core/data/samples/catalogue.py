"""The built-in samples, registered with their parameters, descriptions, sources and licences."""

from __future__ import annotations

from functools import partial

from core.data.dataset import Dataset
from core.data.samples import images, regression, sequences, toy2d
from core.data.samples.files import sample_path
from core.data.samples.registry import SampleParam, SampleSpec, register_sample

UCI = "UCI Machine Learning Repository (copy carried by scikit-learn; see samples/README.md)"
CC_BY = "CC BY 4.0"


def _n(default: int, low: int = 20, high: int = 20000) -> SampleParam:
    return SampleParam("n", "int", default, low, high, doc="number of samples")


def _noise(default: float, high: float = 1.0) -> SampleParam:
    return SampleParam("noise", "float", default, 0.0, high, doc="standard deviation of the gaussian noise")


SEED = SampleParam("seed", "int", 0, 0, 2**31 - 1, doc="random seed (same seed, same data)")
XY = ["x1", "x2"]


def _toy(fn, classes, **kw) -> Dataset:
    x, y = fn(**kw)
    names = classes if isinstance(classes, list) else [f"class {k}" for k in range(int(y.max()) + 1)]
    return Dataset(x, y, "classification", class_names=names, feature_names=XY)


def _reg(fn, features, **kw) -> Dataset:
    x, y = fn(**kw)
    return Dataset(x, y, "regression", target_names=["y"], feature_names=features)


def _digits() -> Dataset:
    x, y = images.digits()
    return Dataset(x, y, "classification", class_names=[str(k) for k in range(10)])


def _shapes(**kw) -> Dataset:
    x, y = images.shapes(**kw)
    return Dataset(x, y, "classification", class_names=list(images.SHAPES))


def _tabular(file: str) -> Dataset:
    from core.data.tabular import load_csv
    return load_csv(sample_path(file), target="class")


def _sine_forecast(target: str, **kw) -> Dataset:
    x, y = sequences.sine_forecast(target=target, **kw)
    task = "sequence-to-one" if target == "next" else "sequence-to-sequence"
    return Dataset(x, y, task, target_names=["next value"], feature_names=["value"])


def _random_walk(**kw) -> Dataset:
    x, y = sequences.random_walk(**kw)
    return Dataset(x, y, "sequence-to-one", target_names=["next log-price"], feature_names=["log-price"])


def _waveforms(**kw) -> Dataset:
    x, y = sequences.waveforms(**kw)
    return Dataset(x, y, "classification", class_names=list(sequences.WAVEFORMS), feature_names=["value"])


def _register_2d() -> None:
    base = (_n(400), )
    for name, title, fn, noise, extra, classes, text in [
        ("xor", "XOR", toy2d.xor, 0.05, (), ["same sign", "opposite signs"],
         "Four quadrants; the class is whether the two coordinates have opposite signs. Needs a hidden layer."),
        ("circles", "Circles", toy2d.circles, 0.05,
         (SampleParam("factor", "float", 0.5, 0.1, 0.9, doc="inner radius / outer radius"),),
         ["outer", "inner"], "A disc inside a ring: the boundary is a circle."),
        ("moons", "Two moons", toy2d.moons, 0.1, (), ["upper", "lower"], "Two interleaving half circles."),
        ("spirals", "Two spirals", partial(toy2d.spirals, arms=2), 0.03,
         (SampleParam("turns", "float", 1.0, 0.25, 3.0, doc="turns of each arm"),), None,
         "Two interleaved spiral arms: the classic hard case for a small network."),
        ("spirals_n", "N-arm spirals", toy2d.spirals, 0.03,
         (SampleParam("arms", "int", 3, 2, 8, doc="number of arms (classes)"),
          SampleParam("turns", "float", 0.75, 0.25, 3.0, doc="turns of each arm")), None,
         "Several interleaved spiral arms, one class each."),
        ("blobs", "Gaussian blobs", toy2d.blobs, 0.15,
         (SampleParam("centers", "int", 3, 2, 10, doc="number of clusters (classes)"),), None,
         "Gaussian clusters on a circle; the easiest case, separable by straight lines when the noise is low."),
    ]:
        register_sample(SampleSpec(name, title, "2-D classification", "classification", text,
                                   partial(_toy, fn, classes), base + (_noise(noise),) + extra + (SEED,)))


def _register_regression() -> None:
    for name, title, fn, features, extra, text in [
        ("sine", "Sine wave", regression.sine, ["x"],
         (SampleParam("periods", "float", 1.0, 0.25, 4.0, doc="periods over [-1, 1]"),),
         "y = sin(2π·periods·x) plus noise, for x in [-1, 1]."),
        ("polynomial", "Polynomial", regression.polynomial, ["x"],
         (SampleParam("degree", "int", 3, 1, 9, doc="degree of the polynomial"),),
         "A Chebyshev polynomial of the given degree plus noise, for x in [-1, 1]."),
        ("step", "Step function", regression.step, ["x"],
         (SampleParam("steps", "int", 3, 2, 10, doc="number of levels"),),
         "A staircase from -1 to 1: smooth networks struggle at the jumps."),
        ("surface", "2-D surface", regression.surface, XY, (), "y = sin(π·x1)·cos(π·x2) over [-1, 1]²."),
    ]:
        params = (_n(600 if name == "surface" else 400), _noise(0.05)) + extra + (SEED,)
        register_sample(SampleSpec(name, title, "regression", "regression", text, partial(_reg, fn, features),
                                   params))


def _register_images() -> None:
    register_sample(SampleSpec(
        "digits", "Handwritten digits (8×8)", "images", "classification",
        "1,797 handwritten digits 0-9 as 8×8 grey images with 17 levels (UCI optical recognition of "
        "handwritten digits, test set).", _digits, (), UCI + ": Optical Recognition of Handwritten Digits, "
        "E. Alpaydin and C. Kaynak, 1998", CC_BY))
    register_sample(SampleSpec(
        "shapes", "Shapes (28×28)", "images", "classification",
        "Filled circles, squares, triangles and crosses at random position, size and rotation, with pixel "
        "noise: for convolutions and augmentation.", _shapes,
        (_n(2000, 20, 20000), _noise(0.1, 0.5),
         SampleParam("min_scale", "float", 0.25, 0.1, 0.5, doc="smallest radius, fraction of the side"),
         SampleParam("max_scale", "float", 0.45, 0.1, 0.5, doc="largest radius, fraction of the side"), SEED)))


def _register_tabular() -> None:
    for name, title, file, text, credit in [
        ("iris", "Iris", "iris.csv", "150 iris flowers, 4 measurements, 3 species.", "Iris, R. A. Fisher, 1936"),
        ("wine", "Wine", "wine.csv", "178 wines, 13 chemical measurements, 3 cultivars.",
         "Wine, M. Forina et al., 1991"),
        ("breast_cancer", "Breast cancer", "breast_cancer.csv",
         "569 breast mass samples, 30 cell-nucleus measurements, malignant or benign.",
         "Breast Cancer Wisconsin (Diagnostic), W. H. Wolberg, W. N. Street, O. L. Mangasarian, 1995"),
    ]:
        register_sample(SampleSpec(name, title, "tabular", "classification", text, partial(_tabular, file), (),
                                   f"{UCI}: {credit}", CC_BY))


def _register_sequences() -> None:
    steps = SampleParam("steps", "int", 24, 4, 200, doc="time steps per window")
    register_sample(SampleSpec(
        "sine_forecast", "Sine forecasting", "sequences", "sequence-to-one",
        "Windows of noisy sine waves of random frequency and phase; predict the next value (or, with "
        "target='sequence', every next value).", _sine_forecast,
        (_n(600), steps, _noise(0.05),
         SampleParam("target", "choice", "next", choices=("next", "sequence"), doc="one value or every step"),
         SEED)))
    register_sample(SampleSpec(
        "random_walk", "Random-walk price", "sequences", "sequence-to-one",
        "A log-price whose returns carry momentum; predict the next value from a window.", _random_walk,
        (_n(600), steps, SampleParam("volatility", "float", 0.02, 0.001, 0.2, doc="size of the random steps"),
         SampleParam("momentum", "float", 0.8, 0.0, 0.95, doc="share of the last return carried over"), SEED)))
    register_sample(SampleSpec(
        "waveforms", "Waveform classification", "sequences", "classification",
        "Classify a window as a sine, square, triangle or sawtooth wave of random frequency and amplitude.",
        _waveforms, (_n(800), SampleParam("steps", "int", 48, 8, 400, doc="time steps per window"),
                     _noise(0.1), SEED)))


_register_2d()
_register_regression()
_register_images()
_register_tabular()
_register_sequences()
