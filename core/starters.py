"""Recommended starter networks: for each built-in sample, a small network and training settings that reach a good
score in seconds; the scores are recorded in ``samples/README.md``. The loss and metrics are the ones
:mod:`core.tasks` suggests for the network and the sample. Beside :mod:`core.templates` (the start page's
ready-made designs, fixed shapes), a starter is shaped for the data set it is given.

The shapes and waveforms starters are small convolutional networks and the sine-forecasting starter an LSTM
(``Starter.variant`` names the kind). The random-walk starter stays a small MLP: the best predictor there is
linear in the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from core import tasks
from core.api import Sequential
from core.data import Dataset, load_sample
from core.data.samples import get_spec
from core.graph import Graph


@dataclass
class Starter:
    """A starter network (``graph``) and how to train it."""

    sample: str
    graph: Graph
    loss: str
    learning_rate: float
    epochs: int
    batch_size: int
    metrics: list[str] = field(default_factory=list)
    scaling: str | None = None  # fitted on the training split before training
    optimizer: str = "adam"
    variant: str = "mlp"

    def optimizer_instance(self) -> Any:
        from core import optimizers
        return optimizers.get(self.optimizer, learning_rate=self.learning_rate)

    def model(self, seed: int = 0) -> Any:
        """A compiled Sequential model on the starter graph (each call builds a fresh graph of new weights)."""
        model = Sequential.from_graph(self.graph, name=f"{self.sample}_starter")
        model.compile(optimizer=self.optimizer_instance(), loss=self.loss, metrics=self.metrics, seed=seed)
        return model


def _sequential(layers: list) -> Graph:
    return Sequential(layers).graph


def _classifier(hidden: tuple[int, ...], activation: str = "relu", flatten: bool = False):
    def build(data: Dataset) -> Graph:
        from core import Dense, Flatten, InputLayer
        layers = [InputLayer(shape=data.input_shape)] + ([Flatten()] if flatten else [])
        layers += [Dense(units, activation=activation) for units in hidden]
        return _sequential(layers + [Dense(data.num_classes, activation="softmax")])
    return build


def _regressor(hidden: tuple[int, ...], activation: str = "tanh", flatten: bool = False):
    def build(data: Dataset) -> Graph:
        from core import Dense, Flatten, InputLayer, Reshape
        layers = [InputLayer(shape=data.input_shape)] + ([Flatten()] if flatten else [])
        layers += [Dense(units, activation=activation) for units in hidden]
        out = data.output_shape
        layers.append(Dense(int(np.prod(out))))
        if len(out) > 1:
            layers.append(Reshape(target_shape=out))
        return _sequential(layers)
    return build


def _conv_classifier(data: Dataset) -> Graph:
    from core import Conv2D, Dense, Flatten, InputLayer, MaxPooling2D
    return _sequential([InputLayer(shape=data.input_shape), Conv2D(8, 3, activation="relu"), MaxPooling2D(2),
                        Conv2D(16, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(32, activation="relu"),
                        Dense(data.num_classes, activation="softmax")])


def _conv1d_classifier(data: Dataset) -> Graph:
    from core import Conv1D, Dense, GlobalMaxPooling1D, InputLayer
    return _sequential([InputLayer(shape=data.input_shape), Conv1D(16, 5, activation="relu"), GlobalMaxPooling1D(),
                        Dense(data.num_classes, activation="softmax")])


def _lstm(units: int, classify: bool):
    def build(data: Dataset) -> Graph:
        from core import LSTM, Dense, InputLayer
        seq = data.task == "sequence-to-sequence"
        head = Dense(data.num_classes, activation="softmax") if classify else Dense(data.output_shape[-1])
        return _sequential([InputLayer(shape=data.input_shape), LSTM(units, return_sequences=seq), head])
    return build


# sample -> (builder, learning rate, epochs, batch size, scaling); the loss and metrics are core.tasks's
RECIPES: dict[str, tuple[Callable[[Dataset], Graph], float, int, int, str | None]] = {
    "xor": (_classifier((8, 8), "tanh"), 0.02, 60, 16, None),
    "circles": (_classifier((8, 8), "tanh"), 0.02, 60, 16, None),
    "moons": (_classifier((16, 16), "tanh"), 0.02, 60, 16, None),
    "spirals": (_classifier((32, 32, 32), "tanh"), 0.01, 150, 16, None),
    "spirals_n": (_classifier((32, 32, 32), "tanh"), 0.01, 150, 16, None),
    "blobs": (_classifier((8,), "tanh"), 0.02, 30, 16, None),
    "sine": (_regressor((32, 32)), 3e-3, 200, 16, None),
    "polynomial": (_regressor((32, 32)), 0.01, 150, 16, None),
    "step": (_regressor((64, 64)), 0.01, 200, 16, None),
    "surface": (_regressor((64, 64)), 0.01, 150, 16, None),
    "digits": (_classifier((64,), flatten=True), 1e-3, 40, 32, None),
    "shapes": (_conv_classifier, 3e-3, 20, 32, None),
    "iris": (_classifier((16,)), 0.01, 150, 16, "standard"),
    "wine": (_classifier((16,)), 0.01, 60, 16, "standard"),
    "breast_cancer": (_classifier((16,)), 3e-3, 40, 16, "standard"),
    "sine_forecast": (_lstm(16, False), 1e-2, 30, 32, None),
    "random_walk": (_regressor((16,), flatten=True), 3e-3, 60, 32, "standard"),
    "waveforms": (_conv1d_classifier, 1e-2, 30, 32, None),
}
VARIANTS = {"shapes": "cnn", "sine_forecast": "lstm", "waveforms": "cnn1d"}  # every other starter is an MLP


def starter(name: str, data: Dataset | None = None) -> Starter:
    """The recommended network and settings for a sample (shaped for ``data``, default: the default sample)."""
    get_spec(name)
    data = load_sample(name) if data is None else data
    build, lr, epochs, batch, scaling = RECIPES[name]
    graph = build(data)
    loss = tasks.suggest_loss(tasks.network_io(graph), data.task)
    return Starter(name, graph, loss, lr, epochs, batch, tasks.suggest_metrics(data.task), scaling,
                   variant=VARIANTS.get(name, "mlp"))


def train_starter(name: str, seed: int = 0, test: float = 0.2, epochs: int | None = None,
                  **params: Any) -> dict[str, Any]:
    """Train a sample's starter on a seeded split and score it on the held-out test part.

    Returns ``{"metric": "accuracy" or "r2", "score": ..., "test_loss": ..., "seconds": ..., "epochs": ...}``.
    """
    data = load_sample(name, **params)
    splits = data.split(validation=0.0, test=test, seed=seed)
    scaling = RECIPES[name][4]
    if scaling:
        splits = splits.scaled(scaling)
    recipe = starter(name, splits.train)
    model = recipe.model(seed=seed)
    x, y = splits.train.arrays()
    xt, yt = splits.test.arrays()
    started = time.perf_counter()
    model.fit(x, y, epochs=epochs or recipe.epochs, batch_size=recipe.batch_size, verbose=0)
    seconds = time.perf_counter() - started
    logs = model.evaluate(xt, yt, batch_size=256, verbose=0, return_dict=True)
    if data.task == "classification":
        metric, score = "accuracy", float(logs["accuracy"])
    else:
        metric, score = "r2", 1.0 - float(logs["loss"]) / float(np.var(yt))
    return {"sample": name, "variant": recipe.variant, "metric": metric, "score": score,
            "test_loss": float(logs["loss"]),
            "seconds": seconds, "epochs": epochs or recipe.epochs}
