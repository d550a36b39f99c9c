"""One open design: its ``Graph``, its undo stack, its file, its modified state and its autosave.

Model files are Keras-compatible ``.h5`` (through ``core.io.h5``); a design can also be kept as a small JSON file
(``.ncd``), which is what the crash-recovery autosave writes.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from app import settings
from core import layout
from core.errors import ModelFileError, NeuroCanvasError
from core.graph import Graph
from core.io import design as design_mod

AUTOSAVE_MS = 3 * 60 * 1000
DESIGN_SUFFIX = design_mod.SUFFIX
H5_SUFFIXES = (".h5", ".hdf5")


class Document(QObject):
    """A design being edited. ``changed`` is emitted when the modified state or the file path changes."""

    changed = Signal()

    def __init__(self, graph: Graph | None = None, path: str | None = None, parent: QObject | None = None,
                 model: Any = None):
        super().__init__(parent)
        self.graph = model.graph if model is not None else (graph or Graph())
        self._model = model
        self.undo_stack = QUndoStack(self)
        self.path = path
        self._extra_modified = False
        self._trained_since_saved = False
        self.locked = False  # a run is going: the weights belong to the training thread
        self.recovery_path = settings.recovery_dir() / f"{os.getpid()}-{uuid.uuid4().hex}{DESIGN_SUFFIX}"
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    def _on_undo_stack_clean_changed(self, _clean: bool) -> None:
        self.changed.emit()

    # -- state ---------------------------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return self._extra_modified or self._trained_since_saved or not self.undo_stack.isClean()

    @property
    def trained_since_saved(self) -> bool:
        """Whether the model has trained (new weights, a longer history) since the file was last saved."""
        return self._trained_since_saved

    def mark_modified(self) -> None:
        """Mark changes that are not undo steps (e.g. a design opened from a recovery file)."""
        self._extra_modified = True
        self.changed.emit()

    def mark_trained(self) -> None:
        """A run changed the model's weights and history: unsaved work, though not an undo step. It goes to the
        recovery file at once, not at the next autosave: a crash must not take a long run with it."""
        self._trained_since_saved = True
        self.changed.emit()
        self.autosave()

    @property
    def model(self) -> Any:
        """The ``core.api.Model`` of this design (weights, training state), created on first use.

        A model read from an ``.h5`` file keeps its trained weights and history until the design changes.
        """
        if self._model is None:
            from core.api import Model
            self._model = Model.from_graph(self.graph)
        return self._model

    @property
    def existing_model(self) -> Any:
        """The model if one was read or made already, else None (without loading the engine to make one)."""
        return self._model

    @property
    def title(self) -> str:
        return Path(self.path).name if self.path else "Untitled"

    # -- files ---------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str, parent: QObject | None = None) -> "Document":
        """Read a design (``.h5`` or ``.ncd``); a file without canvas positions is laid out automatically."""
        model = read_model(path)
        graph = model.graph
        if any("pos" not in graph.meta(i) for i in graph.layer_ids):
            for layer_id, pos in layout.arrange(graph).items():
                graph.set_meta(layer_id, pos=pos)
        return cls(path=path, parent=parent, model=model)

    def save(self, path: str | None = None) -> None:
        """Write the design to ``path`` (or its current file) and mark it unmodified."""
        path = path or self.path
        if not path:
            raise ModelFileError("the design has no file yet: use Save As")
        if path.lower().endswith(H5_SUFFIXES):
            save_h5(self.model, path)
            self._trained_since_saved = False
        else:  # a design file keeps no weights: trained results stay unsaved
            design_mod.write_design(self.graph, path)
        self.path = path
        self._extra_modified = False
        self.undo_stack.setClean()
        self.discard_recovery()
        settings.add_recent_file(path)
        self.changed.emit()

    @property
    def recovery_model_path(self) -> Path:
        """Where the recovery keeps the trained model (weights, optimiser state, runs) beside the design."""
        return self.recovery_path.with_suffix(H5_SUFFIXES[0])

    def autosave(self) -> None:
        """Write unsaved work to the recovery file, offered back on the next start after a crash: the design, and
        where the model has trained, the whole model (weights, optimiser state, history, runs) beside it. While a
        run goes the weights are the training thread's, so the model written after the last run stays."""
        if not (self.modified and len(self.graph)):
            self.discard_recovery()
            return
        data = design_mod.snapshot(self.graph)
        data["file"] = self.path
        trained = self._model is not None and self._model.history is not None and bool(self._model.history.epoch)
        if trained and not self.locked:
            try:
                save_h5(self._model, str(self.recovery_model_path))
            except (NeuroCanvasError, OSError, ValueError):
                pass  # the design is still kept below
        if trained and self.recovery_model_path.exists():
            data["model"] = self.recovery_model_path.name
        else:
            self.recovery_model_path.unlink(missing_ok=True)
        tmp = self.recovery_path.with_suffix(".tmp")
        tmp.write_text(design_mod.to_json(data), encoding="utf-8")
        os.replace(tmp, self.recovery_path)

    def discard_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)
        self.recovery_model_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop autosaving and remove the recovery file (the user has saved or chosen to discard)."""
        self._autosave.stop()
        self.discard_recovery()


def read_model(path: str) -> Any:
    """The model stored in ``path``: a Keras ``.h5`` model file (with its weights) or a JSON design."""
    from core.api import Model

    if path.lower().endswith(H5_SUFFIXES):
        from core.api import load_model
        return load_model(path)
    return Model.from_graph(design_mod.read_design(path))


def save_h5(model: Any, path: str) -> None:
    """Write a Keras-compatible ``.h5`` file (weights, canvas positions and training state included)."""
    from core.api import save_model
    save_model(model, path)


def recovery_files() -> list[Path]:
    """Recovery files left by a session that did not close normally, newest first.

    Files written by another NeuroCanvas process that is still running are its live autosaves, not leftovers,
    and are skipped.
    """
    files = [p for p in settings.recovery_dir().glob(f"*{DESIGN_SUFFIX}") if not _written_by_other_live_process(p)]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


def discard_recovery_file(path: Path) -> None:
    """Remove a recovery file and the trained model kept beside it."""
    path.unlink(missing_ok=True)
    path.with_suffix(H5_SUFFIXES[0]).unlink(missing_ok=True)


def _written_by_other_live_process(path: Path) -> bool:
    pid_text = path.name.split("-", 1)[0]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def recover(path: Path, parent: QObject | None = None) -> Document:
    """A document holding what a recovery file kept, marked modified: the trained model where one was kept
    (weights, optimiser state, history and runs), else the design; the recovery files are removed."""
    data = design_mod.from_json(path.read_text(encoding="utf-8"))
    model_path = path.with_name(str(data.get("model") or "")) if data.get("model") else None
    doc = None
    if model_path is not None and model_path.parent == path.parent and model_path.is_file():
        try:
            model = read_model(str(model_path))
            doc = Document(path=data.get("file"), parent=parent, model=model)
        except (NeuroCanvasError, OSError, ValueError):
            doc = None  # a damaged model: the design is still there
    if doc is None:
        graph = Graph()
        design_mod.add_design(graph, data)
        doc = Document(graph, data.get("file"), parent)
    else:
        doc._trained_since_saved = True  # the weights were never saved to the user's file
    doc.mark_modified()
    path.unlink(missing_ok=True)
    if model_path is not None and model_path.parent == path.parent:
        model_path.unlink(missing_ok=True)
    return doc
