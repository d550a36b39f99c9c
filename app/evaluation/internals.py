"""Inside the network: what one layer makes of one sample, and where an image network looked.

The drawing follows the output's rank, so a new layer type needs nothing here: feature maps ``(H, W, C)`` as a
grid of images, a sequence ``(time, features)`` as a heat strip, a vector as bars, the output layer as its
probabilities. For image inputs the sample is shown with its saliency (|gradient × input|) and, where the network
has a convolution, Grad-CAM on the last one. While a run goes the worker computes the look between batches (at most
twice a second) for the sample and layer asked for here; after it, the view looks at the final weights itself.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.evaluation.base import EvaluationView, RunContext
from app.evaluation.images import feature_grid, heat_rgb, image_pixmap, overlay_rgb
from app.training.worker import InsideRecord, InsideRequest
from core.inspect import Look, look

PICTURE_SIDE = 120  # the sample, saliency and Grad-CAM pictures, in pixels


def drawing_for(output: np.ndarray, is_output: bool) -> str:
    """How to draw a layer's output for one sample: ``probabilities`` (a classifier's output layer), ``maps`` (rank 3 and
    above: feature maps), ``strip`` (rank 2: time × features) or ``bars`` (a vector or a single value)."""
    if is_output:
        return "probabilities"
    rank = np.ndim(output)
    return "maps" if rank >= 3 else "strip" if rank == 2 else "bars"


class InsideView(QWidget, EvaluationView):
    """A sample spin box and a layer combo over the chosen layer's output and the sample's saliency pictures."""

    key = "inside"
    title = "Inside"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample = QSpinBox()
        self.sample.setObjectName("insideSample")
        self.sample.setMaximum(0)
        self.layer = QComboBox()
        self.layer.setObjectName("insideLayer")
        self.layer.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.summary = QLabel("Train, or open a trained model, to look inside the network.")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Sample"))
        top.addWidget(self.sample)
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer, 1)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(140)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.colours = pg.colormap.get("viridis")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=(70, 120, 190))
        self.plot.addItem(self.image)
        self.plot.addItem(self.bars)
        self.pictures = {name: QLabel() for name in ("sample", "saliency", "cam")}
        self.picture_boxes: dict[str, QWidget] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for name, text in (("sample", "sample"), ("saliency", "gradient × input"), ("cam", "Grad-CAM")):
            self.picture_boxes[name] = QWidget()
            box = QVBoxLayout(self.picture_boxes[name])
            box.setContentsMargins(0, 0, 0, 0)
            self.pictures[name].setAlignment(Qt.AlignCenter)
            self.pictures[name].setFixedSize(PICTURE_SIDE, PICTURE_SIDE)
            box.addWidget(self.pictures[name])
            caption = QLabel(text)
            caption.setAlignment(Qt.AlignCenter)
            caption.setObjectName(f"inside_{name}_caption")
            box.addWidget(caption)
            row.addWidget(self.picture_boxes[name])
        row.addStretch(1)
        self.picture_row = QWidget()
        self.picture_row.setLayout(row)
        self.picture_row.hide()
        middle = QHBoxLayout()
        middle.addWidget(self.plot, 1)
        middle.addWidget(self.picture_row, 0, Qt.AlignTop)  # beside the plot: the panel is wider than tall
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(middle, 1)
        self.context: RunContext | None = None
        self.request: InsideRequest | None = None
        self.running = False
        self.shown: tuple[int, Look] | None = None
        self._fresh: InsideRecord | None = None
        self._wanted_layer: str | None = None
        self.sample.valueChanged.connect(self._on_choice_changed)
        self.layer.currentIndexChanged.connect(self._on_choice_changed)

    # -- the panel's hooks -----------------------------------------------------------------------------------
    def applies_to(self, context: RunContext) -> bool:
        return isinstance(context.eval_x, np.ndarray) and len(context.eval_x) > 0 and context.network is not None

    def run_started(self, context: RunContext) -> None:
        self.context, self.running = context, True
        net = context.network
        wanted = self._wanted_layer or self.layer.currentData() or net.output_ids[0]
        self.layer.blockSignals(True)
        self.sample.blockSignals(True)
        self.layer.clear()
        for layer_id in net.order:
            layer = net.layers[layer_id]
            self.layer.addItem(f"{layer.name} · {layer.type_name} {tuple(net.output_shapes[layer_id])}", layer_id)
        found = self.layer.findData(wanted)
        self.layer.setCurrentIndex(found if found >= 0 else self.layer.findData(net.output_ids[0]))
        self.sample.setMaximum(len(context.eval_x) - 1)
        self.layer.blockSignals(False)
        self.sample.blockSignals(False)
        self.request = InsideRequest(context.eval_x, self.sample.value(), self.layer.currentData())

    def job_fields(self) -> dict[str, Any]:
        return {"inside": self.request} if self.request is not None else {}

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, InsideRecord):
                self._fresh = record

    def tick(self) -> None:
        if self._fresh is not None:
            record, self._fresh = self._fresh, None
            self.show_look(record.index, record.look)

    def run_finished(self, outcome: Any, context: RunContext) -> None:
        self.running = False
        self.tick()  # the final weights' look came with the last packet
        if self.shown is None or self.shown[0] != self.sample.value() or \
                self.shown[1].layer_id != self.layer.currentData():
            self._look_now()

    def layer_selected(self, layer_id: str | None) -> None:
        if layer_id is None:
            return
        self._wanted_layer = layer_id
        found = self.layer.findData(layer_id)
        if found >= 0:
            self.layer.setCurrentIndex(found)

    def show_sample(self, index: int) -> bool:
        if self.context is None or not 0 <= index < len(self.context.eval_x):
            return False
        self.sample.setValue(index)
        return True

    # -- choosing --------------------------------------------------------------------------------------------
    def _on_choice_changed(self) -> None:
        if self.request is None:
            return
        self.request.index, self.request.layer_id = self.sample.value(), self.layer.currentData()
        if self.running:
            self.summary.setText(f"Sample {self.sample.value()}: shown after the next batches.")
        else:
            self._look_now()

    def _look_now(self) -> None:
        """Look with the trained network itself: only between runs (one sample through it, on this thread)."""
        if self.running or self.context is None or self.request is None:
            return
        index = self.sample.value()
        with np.errstate(all="ignore"):
            seen = look(self.context.network, np.asarray(self.context.eval_x[index]), self.layer.currentData())
        self.show_look(index, seen)

    # -- drawing ---------------------------------------------------------------------------------------------
    def show_look(self, index: int, seen: Look) -> None:
        """Draw ``seen``, the look at sample ``index``."""
        self.shown = (index, seen)
        net = self.context.network if self.context is not None else None
        classify = self.context is not None and getattr(self.context.data, "task", "") == "classification"
        is_output = classify and net is not None and seen.layer_id in net.output_ids  # else drawn by its rank
        kind = drawing_for(seen.output, is_output)
        self.summary.setText(self._describe(index, seen, kind))
        if kind == "maps":
            maps = seen.output.reshape(-1, *seen.output.shape[-2:])  # deeper stacks: their leading axes as rows
            self._draw_image(feature_grid(maps))
        elif kind == "strip":
            self._draw_image(seen.output.T)  # features as rows, time along x
        else:
            values = seen.probabilities if kind == "probabilities" else np.atleast_1d(seen.output).reshape(-1)
            self._draw_bars(values, seen.predicted if kind == "probabilities" else None)
        self._draw_pictures(index, seen)

    def _describe(self, index: int, seen: Look, kind: str) -> str:
        context = self.context
        text = f"Sample {index}"
        if context is not None and getattr(context.data, "task", "") == "classification":
            names = list(getattr(context.data, "class_names", None) or [])
            name = (lambda c: names[c] if 0 <= c < len(names) else str(c))
            text += f": true {name(int(context.eval_labels[index]))}, predicted {name(seen.predicted)}"
            if seen.probabilities.size > 1:
                text += f" ({seen.probabilities[seen.predicted]:.0%})"
        what = {"probabilities": "output probabilities", "maps": f"{seen.output.shape[-1]} feature maps",
                "strip": "time × features", "bars": f"{np.size(seen.output)} values"}[kind]
        values = np.asarray(seen.output, float)
        finite = values[np.isfinite(values)]
        span = f", from {finite.min():.3g} to {finite.max():.3g}" if finite.size else ""
        return f"{text} · {what}{span}"

    def _draw_image(self, grid: np.ndarray) -> None:
        """A 2-D array in viridis, from its least to its greatest value; NaN (the gaps of a grid) in white."""
        self.bars.setOpts(x=[], height=[])
        values = np.asarray(grid, float)
        finite = np.isfinite(values)
        low, high = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 1.0)
        scaled = np.where(finite, (values - low) / max(high - low, 1e-12), 0.0)
        rgb = self.colours.map(scaled.ravel(), mode="byte")[:, :3].reshape(*values.shape, 3)
        rgb[~finite] = 255
        self.image.setImage(np.ascontiguousarray(np.flipud(rgb)), levels=(0, 255))
        self.image.setVisible(True)
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setAspectLocked(True)
        self.plot.autoRange()

    def _draw_bars(self, values: np.ndarray, highlight: int | None) -> None:
        self.image.setVisible(False)
        self.plot.setAspectLocked(False)
        values = np.nan_to_num(np.asarray(values, float))
        brushes = [pg.mkBrush(220, 120, 40) if i == highlight else pg.mkBrush(70, 120, 190)
                   for i in range(len(values))]
        self.bars.setOpts(x=np.arange(len(values)), height=values, width=0.8, brushes=brushes)
        names = list(getattr(self.context.data, "class_names", None) or []) if self.context is not None else []
        if highlight is not None and len(names) == len(values) and len(values) <= 20:
            self.plot.getAxis("bottom").setTicks([[(i, str(n)) for i, n in enumerate(names)]])
        else:
            self.plot.getAxis("bottom").setTicks(None)
        self.plot.autoRange()

    def _draw_pictures(self, index: int, seen: Look) -> None:
        if seen.saliency is None or self.context is None:
            self.picture_row.hide()
            return
        sample = np.asarray(self.context.eval_x[index])
        self.pictures["sample"].setPixmap(image_pixmap(sample, PICTURE_SIDE))
        self.pictures["saliency"].setPixmap(image_pixmap(heat_rgb(seen.saliency), PICTURE_SIDE))
        cam = seen.cam is not None
        self.picture_boxes["cam"].setVisible(cam)
        if cam:
            self.pictures["cam"].setPixmap(image_pixmap(overlay_rgb(sample, seen.cam), PICTURE_SIDE))
            caption = self.picture_boxes["cam"].findChild(QLabel, "inside_cam_caption")
            caption.setText("Grad-CAM" if np.nanmax(seen.cam) > 0 else "Grad-CAM: no positive evidence")
        self.picture_row.show()
