"""The training settings form: data set (a sample with its parameters, or the user's own file), validation split,
preprocessing, loss, optimiser with its parameters, learning-rate schedule, epochs, batch size with the three
gradient-descent modes named, augmentation, seed and backend."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.training.param_fields import box_value, param_box
from app.widgets import compact_combo, guard_wheel
from app.worker_thread import run_in_background
from core import losses, optimizers
from core.data import list_samples
from core.kernels import backends

SCHEDULES = {"constant": "Constant", "ExponentialDecay": "Exponential decay (×0.9 per epoch)",
             "InverseTimeDecay": "Inverse time decay (per epoch)", "CosineDecay": "Cosine decay over the run",
             "StepDecay": "Step decay (halve every third of the run)"}
SKIPPED_OPTIMIZER_KEYS = {"name", "learning_rate", "global_clipnorm", "clipvalue", "decay"}


def device_backend_states() -> dict[str, tuple[bool, str]]:
    """Whether each backend that needs a device can train here, and why not (probing loads drivers: slow)."""
    return {info.name: info.status for info in backends() if not info.is_host and not info.oracle}


def number_box(value: float, low: float, high: float, decimals: int = 4, step: float = 0.01) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def int_box(value: int, low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


class SettingsForm(QWidget):
    """All settings of a run. ``dataset_changed`` fires when the data set choice or its parameters change."""

    dataset_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._data_group())
        layout.addWidget(self._learning_group())
        layout.addWidget(self._augmentation_group())
        layout.addStretch(1)
        self.loss_chosen_by_user = False
        self.samples_in_data = 0
        self._on_sample_changed()
        self._on_optimizer_changed()
        for combo in self.findChildren(QComboBox):
            compact_combo(combo)  # the column stays narrow: long titles are elided, never cut off
        guard_wheel(self)

    # -- groups --------------------------------------------------------------------------------------------
    def _data_group(self) -> QGroupBox:
        box = QGroupBox("Data")
        form = QFormLayout(box)
        self.sample = QComboBox()
        self.sample.setObjectName("sampleCombo")
        for info in list_samples():
            self.sample.addItem(f"{info['title']} ({info['category']})", info)
        self.sample.currentIndexChanged.connect(self._on_sample_changed)
        self.open_file = QPushButton("Open file…")
        self.open_file.setToolTip("Train on your own CSV, NumPy, HDF5, IDX file or image folder")
        form.addRow("Data set", self.sample)
        form.addRow("", self.open_file)  # its own row: beside the list it pushed past the column's edge
        self.sample_params = QWidget()
        self.sample_form = QFormLayout(self.sample_params)
        self.sample_form.setContentsMargins(12, 0, 0, 0)
        form.addRow(self.sample_params)
        self.data_info = QLabel()
        self.data_info.setObjectName("dataInfo")
        self.data_info.setWordWrap(True)
        form.addRow(self.data_info)
        self.validation = number_box(0.2, 0.0, 0.5, 2, 0.05)
        self.validation.setToolTip("Fraction held out (stratified) to measure generalisation each epoch")
        form.addRow("Validation split", self.validation)
        self.preprocessing = QComboBox()
        self.preprocessing.addItem("None", None)
        self.preprocessing.addItem("Standardise (mean 0, std 1)", "standard")
        self.preprocessing.addItem("Min-max to [0, 1]", "minmax")
        self.preprocessing.setToolTip("Fitted on the training split only, then applied to every split")
        form.addRow("Preprocessing", self.preprocessing)
        return box

    def _learning_group(self) -> QGroupBox:
        box = QGroupBox("Learning")
        form = QFormLayout(box)
        self.loss = QComboBox()
        self.loss.setObjectName("lossCombo")
        self.loss.addItems(losses.names())
        self.loss.activated.connect(self._on_loss_activated)
        form.addRow("Loss", self.loss)
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        self.optimizer.addItems(optimizers.names())
        self.optimizer.setCurrentText("adam")
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        form.addRow("Optimiser", self.optimizer)
        self.learning_rate = number_box(0.01, 1e-6, 10.0, 6, 0.001)
        form.addRow("Learning rate", self.learning_rate)
        self.optimizer_params_box = QWidget()
        self.optimizer_form = QFormLayout(self.optimizer_params_box)
        self.optimizer_form.setContentsMargins(12, 0, 0, 0)
        form.addRow(self.optimizer_params_box)
        self.schedule = QComboBox()
        for key, title in SCHEDULES.items():
            self.schedule.addItem(title, key)
        form.addRow("Schedule", self.schedule)
        self.epochs = int_box(30, 1, 100000)
        form.addRow("Epochs", self.epochs)
        self._run_rows(form)
        return box

    def _run_rows(self, form: QFormLayout) -> None:
        """Batch size with its gradient-descent mode, seed and backend."""
        self.batch_size = int_box(16, 1, 1000000)
        self.mode = QComboBox()
        self.mode.setObjectName("modeCombo")
        for key, title in optimizers.GRADIENT_DESCENT_MODES.items():
            self.mode.addItem(title, key)
        self.mode.setCurrentIndex(self.mode.findData("mini-batch"))
        self.mode.activated.connect(self._on_mode_chosen)
        self.batch_size.valueChanged.connect(self._show_mode)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Gradient descent", self.mode)
        self.seed = int_box(0, 0, 2**31 - 1)
        self.seed.setToolTip("Same seed, same initial weights and batch order: runs are repeatable")
        form.addRow("Seed", self.seed)
        self.backend = QComboBox()
        for info in backends():
            if not info.oracle:  # the reference kernels check the others; too slow to train on
                self.backend.addItem(info.label, info.name)
                if not info.is_host:
                    self._offer_backend(info.name, False, "checking for a device…")
        self._check_backends_in_background()
        form.addRow("Backend", self.backend)

    def _check_backends_in_background(self) -> None:
        """Ask whether the device backends work on a background thread: loading numba takes most of a second,
        which would otherwise freeze the window as it opens."""
        answer: list[dict[str, tuple[bool, str]]] = []

        def done() -> None:
            if answer and shiboken6.isValid(self):
                for name, (available, reason) in answer[0].items():
                    self._offer_backend(name, available, reason)

        run_in_background(lambda: answer.append(device_backend_states()), done)

    def _offer_backend(self, name: str, available: bool, reason: str) -> None:
        """Enable the choice of backend ``name``, or disable it with the reason as its tooltip."""
        index = self.backend.findData(name)
        self.backend.model().item(index).setEnabled(available)
        self.backend.setItemData(index, None if available else reason, 3)  # Qt.ToolTipRole
        self.backend.setToolTip("" if available else f"{self.backend.itemText(index)}: {reason}")

    def _augmentation_group(self) -> QGroupBox:
        self.augmentation = QGroupBox("Augmentation (images)")
        self.augmentation.setCheckable(True)
        self.augmentation.setChecked(False)
        form = QFormLayout(self.augmentation)
        self.aug_flip = QCheckBox("Flip left-right")
        self.aug_rotation = number_box(10.0, 0.0, 180.0, 1, 5.0)
        self.aug_scale = number_box(0.1, 0.0, 0.9, 2, 0.05)
        self.aug_translation = number_box(0.1, 0.0, 1.0, 2, 0.05)
        self.aug_noise = number_box(0.0, 0.0, 10.0, 2, 0.05)
        form.addRow(self.aug_flip)
        form.addRow("Rotation (°)", self.aug_rotation)
        form.addRow("Scale", self.aug_scale)
        form.addRow("Translation", self.aug_translation)
        form.addRow("Noise", self.aug_noise)
        return self.augmentation

    # -- reactions -----------------------------------------------------------------------------------------
    def _on_sample_changed(self) -> None:
        while self.sample_form.rowCount():
            self.sample_form.removeRow(0)
        self.param_boxes: dict[str, Any] = {}
        for p in self.sample.currentData()["params"]:
            if p["kind"] == "choice":
                box = QComboBox()
                box.addItems([str(c) for c in p["choices"]])
                box.setCurrentText(str(p["default"]))
                box.currentIndexChanged.connect(self.dataset_changed)
            elif p["kind"] == "int":
                box = int_box(int(p["default"]), int(p["min"]), int(p["max"]))
                box.valueChanged.connect(self.dataset_changed)
            else:
                box = number_box(float(p["default"]), float(p["min"]), float(p["max"]), 3, 0.01)
                box.valueChanged.connect(self.dataset_changed)
            box.setToolTip(p["doc"])
            self.sample_form.addRow(p["name"], box)
            self.param_boxes[p["name"]] = box
        guard_wheel(self.sample_params)
        self.dataset_changed.emit()

    def _on_optimizer_changed(self) -> None:
        while self.optimizer_form.rowCount():
            self.optimizer_form.removeRow(0)
        optimizer = optimizers.get(self.optimizer.currentText())
        config = optimizer.get_config()
        self.learning_rate.setValue(config["learning_rate"])
        self.optimizer_boxes: dict[str, Any] = {}
        self.optimizer_params = {p.name: p for p in optimizer.param_spec()}  # the options with their ranges
        for key, param in self.optimizer_params.items():
            value = config.get(key, param.default)
            if key in SKIPPED_OPTIMIZER_KEYS or (value is None and key != "clipnorm"):
                continue
            box = param_box(param, value)
            self.optimizer_form.addRow(key, box)
            self.optimizer_boxes[key] = box
        guard_wheel(self.optimizer_params_box)

    def _on_loss_activated(self) -> None:
        self.loss_chosen_by_user = True

    def suggest_loss(self, name: str) -> None:
        """Pre-select ``name`` unless the user chose a loss themselves."""
        if not self.loss_chosen_by_user:
            self.loss.setCurrentText(name)

    def _on_mode_chosen(self) -> None:
        n = max(1, self.samples_in_data)
        mode = self.mode.currentData()
        size = optimizers.batch_size_for_mode(mode, n, min(32, n) if self.batch_size.value() in (1, n) else
                                              self.batch_size.value())
        self.batch_size.setValue(size)

    def _show_mode(self) -> None:
        if self.samples_in_data:
            mode = optimizers.gradient_descent_mode(self.batch_size.value(), self.samples_in_data)
            self.mode.setCurrentIndex(self.mode.findData(mode))

    def set_training_samples(self, n: int) -> None:
        """The training split's size, which decides what batch size means which gradient-descent mode."""
        self.samples_in_data = n
        self._show_mode()

    # -- values --------------------------------------------------------------------------------------------
    def sample_values(self) -> dict[str, Any]:
        out = {}
        for name, box in self.param_boxes.items():
            out[name] = box.currentText() if isinstance(box, QComboBox) else box.value()
        return out

    def optimizer_instance(self) -> Any:
        kwargs: dict[str, Any] = {}
        for key, box in self.optimizer_boxes.items():
            kwargs[key] = box_value(self.optimizer_params[key], box)
        return optimizers.get(self.optimizer.currentText(), learning_rate=self.learning_rate_value(), **kwargs)

    def learning_rate_value(self) -> Any:
        """The learning rate: a number, or a schedule built from the run's length."""
        from core import schedules
        lr, kind = self.learning_rate.value(), self.schedule.currentData()
        steps = max(1, -(-max(1, self.samples_in_data) // self.batch_size.value()))
        epochs = self.epochs.value()
        if kind == "ExponentialDecay":
            return schedules.ExponentialDecay(lr, steps, 0.9)
        if kind == "InverseTimeDecay":
            return schedules.InverseTimeDecay(lr, steps, 0.5)
        if kind == "CosineDecay":
            return schedules.CosineDecay(lr, steps * epochs)
        if kind == "StepDecay":
            return schedules.StepDecay(lr, 0.5, max(1, epochs // 3))
        return lr

    def augmentation_instance(self) -> Any:
        if not (self.augmentation.isEnabled() and self.augmentation.isChecked()):
            return None
        from core.data import Augmentation
        return Augmentation(noise=self.aug_noise.value(), flip_horizontal=self.aug_flip.isChecked(),
                            rotation=self.aug_rotation.value(), scale=self.aug_scale.value(),
                            translation=self.aug_translation.value())

    def describe(self) -> str:
        """A short name of the run's settings, for the legend (e.g. ``adam lr 0.001 · batch 16``)."""
        text = f"{self.optimizer.currentText()} lr {self.learning_rate.value():g}"
        extras = [f"{k} {b.value():g}" for k, b in self.optimizer_boxes.items()
                  if k == "momentum" and b.value()]
        extras += ["nesterov" for k, b in self.optimizer_boxes.items() if k == "nesterov" and b.isChecked()]
        if self.schedule.currentData() != "constant":
            extras.append(self.schedule.currentData())
        return " ".join([text, *extras]) + f" · batch {self.batch_size.value()}"
