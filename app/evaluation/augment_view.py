"""Augmentation preview: one training image and eight augmented versions of it under the chosen settings,
re-drawn on demand (a new seed each time)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

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
        side = max(180, min(self.width(), self.height()) - 60)
        self.picture.setPixmap(image_pixmap(grid, side))
