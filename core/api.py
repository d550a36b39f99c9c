"""The Keras-like public API: ``Sequential``, ``Model``, ``Input``, ``compile``, ``fit``, ``evaluate``, ``predict``.

A model is a thin handle on a :class:`~core.graph.Graph` (``model.graph``), so the canvas and a script share one
representation: ``Model.from_graph(graph)`` wraps a drawn design, and ``model.graph`` opens a scripted one on
the canvas. The runnable :class:`~core.engine.Network` is built on first use and rebuilt after the graph changes.
Everything a file keeps of a model is declared here (``compiled``, ``history``, ``preprocessing``,
``dataset_info``) and handed to :mod:`core.io` as one :class:`~core.io.state.ModelState` (``model.state()``,
``Model.from_state``): :func:`save_model` and :func:`load_model` are the two ends.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

import numpy as np

from core import losses as losses_mod
from core import optimizers as optimizers_mod
from core.engine import Network, build, is_lazy, whole_number
from core.errors import ConfigError, GraphError, ModelFileError
from core.graph import Graph
from core.io import h5, weights as weights_io
from core.io.state import ModelState
from core.io.summary import summary_text
from core.layers.base import Layer, SymbolicTensor
from core.layers.core import InputLayer
from core.training import Callback, CompileSpec, History, RunRecord, Trainer, as_list


def Input(shape: Sequence[int] | int | None = None, name: str | None = None, *,
          batch_shape: Sequence[int | None] | None = None) -> SymbolicTensor:
    """A symbolic input for the functional style: ``inp = Input(shape=(20,))``."""
    if shape is None and batch_shape is not None:
        shape = tuple(batch_shape)[1:]
    if shape is None:
        raise ConfigError("Input needs a shape, e.g. Input(shape=(28, 28, 1))")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return SymbolicTensor(InputLayer(shape=shape, name=name), [])


STRUCTURE_EVENTS = ("layer_added", "layer_removed", "link_added", "link_removed", "config_changed")


class Model:
    """A network with Keras's training API. Build it functionally (``Model(inputs=inp, outputs=out)``) or from
    a graph (``Model.from_graph(graph)``)."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None) -> None:
        self.name = name or type(self).__name__.lower()
        self._graph: Graph | None = None
        self._attach(Graph() if outputs is None else _graph_from_tensors(as_list(inputs), as_list(outputs)))
        self._network: Network | None = None
        self._trainer: Trainer | None = None
        self._compiled: CompileSpec | None = None
        self.backend = "cpu"
        self.seed: int | None = 0
        #: The history of the training so far (``fit`` sets it; a loaded file brings it), or None.
        self.history: History | None = None
        #: The fitted steps new inputs go through before ``predict`` (:class:`core.data.Preprocessing`), or None.
        self.preprocessing: Any = None
        #: A JSON-able reference to the data set the model was trained on, or None.
        self.dataset_info: dict[str, Any] | None = None
        #: The training runs so far, oldest first (:class:`core.training.RunRecord`: settings, epochs, outcome).
        self.runs: list[RunRecord] = []
        #: The training settings chosen for the next run (what the training panel shows), or None.
        self.settings: dict[str, Any] | None = None

    @classmethod
    def from_graph(cls, graph: Graph, name: str | None = None) -> "Model":
        model = cls(name=name)
        model._attach(graph)
        return model

    def _attach(self, graph: Graph) -> None:
        """Use ``graph`` as this model's design; any edit of its structure or configs rebuilds the network."""
        for event in STRUCTURE_EVENTS:
            if self._graph is not None:
                getattr(self._graph.events, event).disconnect(self._invalidate)
            getattr(graph.events, event).connect(self._invalidate)
        self._graph = graph
        self._invalidate()

    # -- structure -----------------------------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def layers(self) -> list[Layer]:
        """The layers in order (the InputLayer excluded for Sequential models, as in Keras)."""
        return [self._graph.layer(i) for i in self._graph.topological_order()]

    def get_layer(self, name: str) -> Layer:
        return self._graph.layer(self._graph.id_of(name))

    def _invalidate(self, *args: Any) -> None:
        self._network = None
        self._trainer = None

    @property
    def network(self) -> Network:
        """The runnable network (built on first use, on the backend chosen in ``compile``)."""
        if self._network is None:
            self._network = build(self._graph, backend=self.backend, seed=self.seed)
        return self._network

    # -- Keras API -----------------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Sequence[Any] | None = None,
                backend: str = "cpu", seed: int | None = None, **kwargs: Any) -> None:
        """Choose the optimiser, loss and metrics (instances or Keras names), and the backend."""
        if loss is None:
            raise ConfigError("compile needs a loss, e.g. loss='categorical_crossentropy'")
        unused = sorted(set(kwargs) - {"loss_weights", "weighted_metrics", "run_eagerly", "steps_per_execution",
                                       "jit_compile"})
        if unused:
            raise ConfigError(f"compile: unknown argument(s) {', '.join(unused)}")
        self._compiled = CompileSpec(optimizers_mod.get(optimizer), losses_mod.get(loss), list(metrics or []))
        if backend != self.backend or (seed is not None and seed != self.seed):
            weights = self._network.get_weights() if self._network is not None else None
            self.backend, self.seed = backend, (self.seed if seed is None else seed)
            self._network = None
            if weights is not None:
                self.network.set_weights(weights)
        self._trainer = None

    @property
    def compiled(self) -> CompileSpec | None:
        """The optimiser, loss and metrics chosen by ``compile``, or None before it."""
        return self._compiled

    @property
    def optimizer(self) -> optimizers_mod.Optimizer | None:
        return self._compiled.optimizer if self._compiled else None

    @property
    def loss(self) -> losses_mod.Loss | None:
        return self._compiled.loss if self._compiled else None

    @property
    def trainer(self) -> Trainer:
        """The :class:`~core.training.Trainer` of the compiled model (kept while the design does not change, so
        that its epoch count and pause/stop controls carry over between ``fit`` calls)."""
        if self._compiled is None:
            raise ConfigError("the model must be compiled before training or evaluation: call "
                              "model.compile(optimizer=..., loss=...)")
        if self._trainer is None or self._trainer.network is not self.network:
            spec = self._compiled
            self._trainer = Trainer(self.network, spec.loss, spec.optimizer, spec.metrics, seed=self.seed)
            self._trainer.model = self
        return self._trainer

    def reset_weights(self, seed: int | None = None) -> None:
        """Fresh weights from the layers' initialisers, reproducible for ``seed`` (default: the model's seed) and
        the same on every backend; the optimiser and history are left to the caller."""
        fresh = build(self._graph, backend="cpu", seed=self.seed if seed is None else seed)
        self.network.set_weights(fresh.get_weights())

    def _prepare(self, x: Any) -> None:
        """Hook for Sequential's deferred input shape."""

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[Callback] | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True, initial_epoch: int = 0) -> History:
        """Train as Keras's ``fit`` does; returns a History with per-epoch metrics."""
        self._prepare(x)
        trainer = self.trainer
        if not 0.0 <= validation_split < 1.0:
            raise ConfigError(f"validation_split must be in [0, 1), got {validation_split!r}")
        xs, ys = as_list(x), as_list(y)
        if validation_split and validation_data is None:
            n = len(xs[0])
            cut = n - int(round(n * validation_split))
            if cut <= 0 or cut >= n:
                raise ConfigError(f"validation_split={validation_split} leaves no training or no validation "
                                  f"samples out of {n}")
            validation_data = ([_rows(a, cut, n) for a in xs], [_rows(t, cut, n) for t in ys])
            xs, ys = [_rows(a, 0, cut) for a in xs], [_rows(t, 0, cut) for t in ys]
        cbs = list(callbacks or [])
        level = _verbosity(verbose)
        if level:
            from core.progress import ProgressBar
            cbs.append(ProgressBar(level))
        epochs, initial_epoch = whole_number("epochs", epochs, 0), whole_number("initial_epoch", initial_epoch, 0)
        if epochs < initial_epoch:
            raise ConfigError(f"epochs is the epoch to train up to (as in Keras), so it cannot be below "
                              f"initial_epoch: got epochs={epochs}, initial_epoch={initial_epoch}")
        history = trainer.fit(xs, ys, epochs=epochs - initial_epoch, batch_size=_batch_size(batch_size),
                              validation_data=validation_data, shuffle=shuffle, callbacks=cbs,
                              initial_epoch=initial_epoch)
        self.history = history
        return history

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int | str = "auto",
                 return_dict: bool = False) -> Any:
        """Loss (and metrics) on the given data: a float without metrics, else ``[loss, metric, ...]``."""
        self._prepare(x)
        logs = self.trainer.evaluate(as_list(x), as_list(y), batch_size=_batch_size(batch_size))
        if _verbosity(verbose):
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> Any:
        """The network's outputs for ``x`` (an array, or a list of arrays for several outputs)."""
        self._prepare(x)
        outs = self.network.predict(as_list(x), _batch_size(batch_size))
        return outs[0] if len(outs) == 1 else outs

    def __call__(self, x: Any) -> Any:
        return self.predict(x)

    def get_weights(self) -> list[np.ndarray]:
        return self.network.get_weights()

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        self.network.set_weights(weights)

    def count_params(self) -> int:
        return self.network.count_params()

    def summary(self, print_fn: Any = None) -> None:
        (print_fn or print)(summary_text(self._graph, self.name))

    def save(self, filepath: Any) -> None:
        """Save to a Keras-compatible ``.h5`` file (design, weights, training state): :func:`save_model`."""
        save_model(self, filepath)

    def save_weights(self, filepath: Any) -> None:
        """Save only the weights, as Keras's ``save_weights('file.h5')`` does (atomically)."""
        h5.write_weights(self._graph, self.network_weights(), filepath)

    def load_weights(self, filepath: Any) -> None:
        """Load weights from a ``.h5`` model or weights file, layer by layer by name (shapes must match)."""
        net = self.network
        self.network.set_weights(weights_io.load_weights(filepath, [(net.layers[i].name, net.specs[i])
                                                                    for i in net.order]))

    def network_weights(self) -> dict[str, list[np.ndarray]]:
        """Host copies of every layer's weights, by layer id (Keras's order within a layer)."""
        net = self.network
        return {i: [np.array(net.ctx.k.to_host(w), copy=True) for w in net.weights[i]] for i in net.order}

    # -- state, as files hold it ---------------------------------------------------------------------------
    def state(self) -> ModelState:
        """Everything a model file keeps of this model (weights copied to the host)."""
        return ModelState(graph=self._graph, name=self.name, sequential=isinstance(self, Sequential),
                          weights=self.network_weights(), compiled=self._compiled, history=self.history,
                          preprocessing=self.preprocessing, dataset=self.dataset_info, runs=list(self.runs),
                          settings=self.settings)

    @classmethod
    def from_state(cls, state: ModelState) -> "Model":
        """The model a :class:`ModelState` describes (a Sequential one where the state says so)."""
        model = (Sequential if state.sequential else Model).from_graph(state.graph, name=state.name)
        if state.weights:
            net = model.network
            net.set_weights([w for i in net.order for w in state.weights.get(i, [])])
        if state.compiled is not None:
            spec = state.compiled
            model.compile(optimizer=spec.optimizer, loss=spec.loss, metrics=spec.metrics)
        model.history, model.preprocessing, model.dataset_info = state.history, state.preprocessing, state.dataset
        model.runs, model.settings = list(state.runs), state.settings
        return model


def save_model(model: "Model | Graph", path: Any) -> None:
    """Write ``model`` (or a bare :class:`~core.graph.Graph`, a design with fresh weights) to ``path`` as a
    Keras-compatible ``.h5`` file, atomically: the previous file stays intact if anything fails."""
    try:
        state = as_model(model).state()
    except ConfigError as exc:
        raise ModelFileError(f"save_model {exc}") from None
    h5.write_model(state, path)


def load_model(path: Any, compile: bool = True) -> "Model":
    """The model stored in a ``.h5`` file written here, by Keras 2 or by Keras 3.

    With ``compile`` (the default) the loss, metrics and optimiser are restored too (with the optimiser's exact
    state for our files); ``compile=False`` skips them, as in Keras.
    """
    return Model.from_state(h5.read_model(path, compile))


def as_model(model: "Model | Graph") -> "Model":
    """``model`` itself, or a model wrapping a graph (Sequential when the graph is a chain)."""
    if isinstance(model, Graph):
        return (Sequential if model.is_chain() else Model).from_graph(model)
    if not isinstance(model, Model):
        raise ConfigError(f"expected a Model or a Graph, got {type(model).__name__}")
    return model


class Sequential(Model):
    """A plain stack of layers, each feeding the next: ``model.add(Dense(64, input_dim=20))``."""

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None) -> None:
        super().__init__(name=name or "sequential")
        self._last: str | None = None
        for layer in layers or []:
            self.add(layer)

    @classmethod
    def from_graph(cls, graph: Graph, name: str | None = None) -> "Sequential":
        if not graph.is_chain():
            raise GraphError("this network is not a plain stack of layers: use Model.from_graph")
        model = super().from_graph(graph, name)
        model._last = graph.topological_order()[-1]
        return model

    @property
    def layers(self) -> list[Layer]:
        return [layer for layer in super().layers if layer.type_name != "InputLayer"]

    def add(self, layer: Layer) -> None:
        """Append a layer; the first one may carry ``input_shape`` / ``input_dim`` (or be an InputLayer)."""
        if isinstance(layer, SymbolicTensor) and layer.layer.type_name == "InputLayer" and self._last is None:
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise ConfigError(f"Sequential.add expects a layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._last is not None:
                raise GraphError("an InputLayer can only be the first layer of a Sequential model")
            self._last = self._graph.add_layer(layer)
            return
        if self._last is None and layer.input_shape_hint is not None:
            self._last = self._graph.add_layer(InputLayer(shape=layer.input_shape_hint))
        new = self._graph.add_layer(layer)
        if self._last is not None:
            self._graph.connect(self._last, new)
        self._last = new

    def pop(self) -> Layer:
        layers = self.layers
        if not layers:
            raise GraphError("the model has no layers to remove")
        layer_id = self._graph.id_of(layers[-1].name)
        previous = self._graph.inputs_of(layer_id)
        self._graph.remove_layer(layer_id)
        self._last = previous[0] if previous else None
        return layers[-1]

    def _prepare(self, x: Any) -> None:
        """Keras builds a Sequential model without an input shape on its first batch: so do we."""
        if self._graph.input_layers() or x is None:
            return
        order = self._graph.topological_order()
        if not order:
            raise GraphError("the model has no layers: add some with model.add(...)")
        first = as_list(x)[0]
        shape = tuple((first.shape if hasattr(first, "shape") else np.asarray(first).shape)[1:])
        first = order[0]
        inp = self._graph.add_layer(InputLayer(shape=shape))
        self._graph.connect(inp, first)


def _rows(a: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop``, left on disk for data read on demand (a slice of such a source would read it)."""
    if is_lazy(a) and not isinstance(a, np.memmap):
        from core.data.sources import IndexedView
        return IndexedView(a, np.arange(start, stop))
    return a[start:stop]


def _batch_size(batch_size: Any) -> Any:
    """Keras's default of 32 where none is given; anything else is the trainer's to check (0 is refused there)."""
    return 32 if batch_size is None else batch_size


def _verbosity(verbose: int | str) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def _graph_from_tensors(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> Graph:
    """Collect the layers between ``inputs`` and ``outputs`` into a graph, inputs first."""
    for t in inputs + outputs:
        if not isinstance(t, SymbolicTensor):
            raise ConfigError("Model(inputs=..., outputs=...) takes the results of Input(...) and of layer calls")
    order: list[SymbolicTensor] = []
    seen: set[int] = set()

    def visit(t: SymbolicTensor) -> None:
        if id(t) in seen:
            return
        seen.add(id(t))
        for parent in t.inputs:
            visit(parent)
        order.append(t)

    for t in inputs + outputs:
        visit(t)
    missing = [t.layer.name or "input" for t in order if not t.inputs and id(t) not in {id(i) for i in inputs}]
    if missing:
        raise GraphError(f"the outputs depend on input(s) {', '.join(missing)} not listed in Model(inputs=...)")
    graph = Graph()
    ids: dict[int, str] = {}
    for t in order:
        ids[id(t)] = graph.add_layer(t.layer)
        for slot, parent in enumerate(t.inputs):
            graph.connect(ids[id(parent)], ids[id(t)], slot)
    return graph
