"""The state of a model that a file holds: :class:`ModelState`, the one object ``core.io`` reads and writes.

A :class:`core.api.Model` hands its state over with ``model.state()`` and is made from one with
``Model.from_state(state)``; the file formats never see the model itself, so the dependency runs one way
(api → io).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.graph import Graph
from core.training import CompileSpec, History, RunRecord


@dataclass
class ModelState:
    """A design with its weights and training state.

    Attributes:
        graph: the design (layers, links, and each layer's metadata such as its canvas position).
        name: the model's name (Keras's ``name``).
        sequential: whether it is a ``Sequential`` model (else a functional ``Model``).
        weights: host arrays by layer id, each layer's in Keras's order; a layer left out keeps fresh weights.
        compiled: the optimiser (with its state), loss and metrics, or None when not compiled.
        history: the training history (per epoch, and per batch where recorded), or None.
        preprocessing: the fitted input preprocessing (a :class:`core.data.preprocessing.Preprocessing`), or None.
        dataset: a reference to the data set it was trained on (JSON-able), or None.
        runs: the training runs, oldest first (each one's settings, epochs and outcome).
        settings: the training settings chosen for the next run (JSON-able), or None.
    """

    graph: Graph
    name: str = "model"
    sequential: bool = False
    weights: dict[str, list[np.ndarray]] = field(default_factory=dict)
    compiled: CompileSpec | None = None
    history: History | None = None
    preprocessing: Any = None
    dataset: dict[str, Any] | None = None
    runs: list[RunRecord] = field(default_factory=list)
    settings: dict[str, Any] | None = None
