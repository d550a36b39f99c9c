"""Augmentation preview: one training image and eight augmented versions of it under the chosen settings,
re-drawn on demand (a new seed each time)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.evaluation.base import EvaluationView
from app.evaluation.predictions import image_pixmap
from core.data import Augmentation, DataError, preview_grid


class AugmentationPreview(QWidget, EvaluationView):
    """Reads the augmentation settings from the training form; shows a 3×3 grid, the original top left."""

    key = "augmentation"
    title = "Augmentation"

    @classmethod
    def for_form(cls, form: Any) -> "AugmentationPreview":
        return cls(form)

    def __init__(self, form: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.image: np.ndarray | None = None
        self.seed = 0
        self.picture = QLabel()
        self.picture.setObjectName("augmentationGrid")
        self.picture.setAlignment(Qt.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)  # the pixmap follows the space
        self.picture.setMinimumSize(120, 120)
        self.grid: np.ndarray | None = None
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.redraw_button = QPushButton("Redraw")
        self.redraw_button.clicked.connect(self.redraw_new)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.redraw_button, 0, Qt.AlignLeft)
        for box in (form.aug_rotation, form.aug_scale, form.aug_translation, form.aug_noise):
            box.valueChanged.connect(self.redraw)
        form.aug_flip.toggled.connect(self.redraw)
        self.set_image(None)

    def data_changed(self, data: Any) -> None:
        """Preview the data set's first image (nothing for data that is not images)."""
        self.set_image(data.x[0] if len(data.input_shape) == 3 else None)

    def set_image(self, image: np.ndarray | None) -> None:
        self.image = None if image is None else np.asarray(image, dtype=np.float32)
        self.redraw_button.setEnabled(self.image is not None)
        self.redraw()

    def settings(self) -> Augmentation:
        f = self.form
        return Augmentation(noise=f.aug_noise.value(), flip_horizontal=f.aug_flip.isChecked(),
                            rotation=f.aug_rotation.value(), scale=f.aug_scale.value(),
                            translation=f.aug_translation.value())

    def redraw_new(self) -> None:
        self.seed += 1
        self.redraw()

    def redraw(self) -> None:
        if self.image is None:
            self.grid = None
            self.picture.clear()
            self.note.setText("Augmentation applies to image data sets (digits, shapes): choose one to preview it.")
            return
        try:
            grid = preview_grid(self.image, self.settings(), 3, 3, seed=self.seed)
        except DataError as exc:
            self.note.setText(f"⚠ {exc}")
            return
        self.grid = grid
        self.note.setText("The first training image (top left) and eight augmented versions of it.")
        self._show_grid()

    def _show_grid(self) -> None:
        """The grid as large as the space allows, at a whole number of screen pixels per image pixel: every tile
        the same size, edge to edge, with no uneven rows or columns between them."""
        if self.grid is None:
            return
        h, w = self.grid.shape[:2]
        scale = max(1, min(self.picture.width() // w, self.picture.height() // h))
        self.picture.setPixmap(image_pixmap(self.grid, scale * max(h, w)))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._show_grid()
