"""The training settings form: data set (a sample with its parameters, or the user's own file), validation split,
preprocessing, loss, optimiser with its parameters, learning-rate schedule, epochs, batch size with the three
gradient-descent modes named, augmentation, seed and backend."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.device_check import ask_device_backends
from app.training.param_fields import box_value, param_box
from app.widgets import compact_combo, guard_wheel
from core import losses, optimizers
from core.data import list_samples
from core.kernels import backends

SCHEDULES = {"constant": "Constant", "ExponentialDecay": "Exponential decay (×0.9 per epoch)",
             "InverseTimeDecay": "Inverse time decay (per epoch)", "CosineDecay": "Cosine decay over the run",
             "StepDecay": "Step decay (halve every third of the run)"}
SKIPPED_OPTIMIZER_KEYS = {"name", "learning_rate", "global_clipnorm", "clipvalue", "decay"}


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
        self._device_backends: list[str] = []
        for info in backends():
            if not info.oracle:  # the reference kernels check the others; too slow to train on
                self.backend.addItem(info.label, info.name)
                if not info.is_host:
                    self._offer_backend(info.name, False, "checking for a device…")
                    self._device_backends.append(info.name)
        self._check_backends_in_background()
        form.addRow("Backend", self.backend)

    def _check_backends_in_background(self) -> None:
        """Ask another process whether the device backends work: loading numba's CUDA part holds the interpreter
        for over a second, which would freeze the window as it opens (see app.device_check)."""
        def done(states: dict[str, tuple[bool, str]]) -> None:
            if shiboken6.isValid(self):
                for name in self._device_backends:
                    available, reason = states.get(name, (False, "the check for a device gave no answer"))
                    self._offer_backend(name, available, reason)

        ask_device_backends(done)

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

    # -- the settings as a model file keeps them ------------------------------------------------------------
    def data_reference(self) -> dict[str, Any]:
        """The chosen data set as a file refers to it: a sample with its parameters, or the user's file."""
        info = self.sample.currentData()
        if "dataset" in info:
            return {"file": info.get("path") or info["dataset"].source, "name": info["dataset"].name}
        return {"sample": info["name"], "params": self.sample_values()}

    def settings(self) -> dict[str, Any]:
        """Every setting of the next run (:func:`core.training.run_settings`' form)."""
        from core.training import run_settings
        augmentation = None
        if self.augmentation.isChecked():
            augmentation = {"flip_horizontal": self.aug_flip.isChecked(), "rotation": self.aug_rotation.value(),
                            "scale": self.aug_scale.value(), "translation": self.aug_translation.value(),
                            "noise": self.aug_noise.value()}
        return run_settings(self.data_reference(), loss=self.loss.currentText(),
                            optimizer=self.optimizer_instance(), epochs=self.epochs.value(),
                            batch_size=self.batch_size.value(), validation_split=self.validation.value(),
                            preprocessing=self.preprocessing.currentData(), seed=self.seed.value(),
                            backend=self.backend.currentData(), schedule=self.schedule.currentData(),
                            augmentation=augmentation)

    def apply(self, settings: dict[str, Any]) -> list[str]:
        """Show ``settings`` (from :meth:`settings`, a model file or ``neurocanvas train``); returns what could
        not be applied, in words (a file's values are a stranger's: each is checked against the form's range)."""
        problems: list[str] = []
        data = settings.get("data")
        if isinstance(data, dict):
            problems += self._apply_data(data)
        self._set_number(self.validation, settings.get("validation_split"))
        index = self.preprocessing.findData(settings.get("preprocessing"))
        if index >= 0:
            self.preprocessing.setCurrentIndex(index)
        loss = settings.get("loss")
        if isinstance(loss, str) and self.loss.findText(loss) >= 0:
            self.loss.setCurrentText(loss)
            self.loss_chosen_by_user = True  # the loss it trained with stays, whatever the suggestion
        problems += self._apply_optimizer(settings.get("optimizer"))
        index = self.schedule.findData(settings.get("schedule"))
        if index >= 0:
            self.schedule.setCurrentIndex(index)
        for box, key in ((self.epochs, "epochs"), (self.batch_size, "batch_size"), (self.seed, "seed")):
            self._set_number(box, settings.get(key))
        index = self.backend.findData(settings.get("backend"))
        if index >= 0:
            self.backend.setCurrentIndex(index)
        augmentation = settings.get("augmentation")
        self.augmentation.setChecked(isinstance(augmentation, dict))
        if isinstance(augmentation, dict):
            self.aug_flip.setChecked(bool(augmentation.get("flip_horizontal")))
            for box, key in ((self.aug_rotation, "rotation"), (self.aug_scale, "scale"),
                             (self.aug_translation, "translation"), (self.aug_noise, "noise")):
                self._set_number(box, augmentation.get(key))
        return problems

    def _apply_data(self, data: dict[str, Any]) -> list[str]:
        if "sample" in data:
            if not self.select_sample(str(data["sample"])):
                return [f"the sample data set {data['sample']!r} is not in this version"]
            params = data.get("params") if isinstance(data.get("params"), dict) else {}
            for name, value in params.items():
                box = self.param_boxes.get(name)
                if isinstance(box, QComboBox):
                    if box.findText(str(value)) >= 0:
                        box.setCurrentText(str(value))
                elif box is not None:
                    self._set_number(box, value)
            return []
        path = data.get("file")
        if not isinstance(path, str) or not path:
            return []
        for index in range(self.sample.count()):
            if self.sample.itemData(index).get("path") == path:
                self.sample.setCurrentIndex(index)
                return []
        from app.training.data_import import dataset_entry
        from core.data import DataError, load_file
        try:
            dataset = load_file(path)
        except (DataError, OSError, ValueError) as exc:
            return [f"its data file cannot be read ({exc}); choose a data set or open the file again"]
        self.sample.addItem(f"{dataset.name} (your data)", dataset_entry(dataset, path))
        self.sample.setCurrentIndex(self.sample.count() - 1)
        return []

    def select_sample(self, name: str) -> bool:
        """Choose the sample data set ``name``; False when there is none of that name."""
        for index in range(self.sample.count()):
            if self.sample.itemData(index).get("name") == name and "dataset" not in self.sample.itemData(index):
                self.sample.setCurrentIndex(index)
                return True
        return False

    def _apply_optimizer(self, optimizer: Any) -> list[str]:
        if not isinstance(optimizer, dict) or self.optimizer.findText(str(optimizer.get("name"))) < 0:
            return [] if optimizer is None else [f"the optimiser {optimizer!r} is not offered here"]
        self.optimizer.setCurrentText(str(optimizer["name"]))
        self._set_number(self.learning_rate, optimizer.get("learning_rate"))
        for key, box in self.optimizer_boxes.items():
            value = optimizer.get(key)
            if isinstance(box, QCheckBox):
                box.setChecked(bool(value))
            elif value is not None:
                self._set_number(box, value)
        return []

    @staticmethod
    def _set_number(box: Any, value: Any) -> None:
        """Set a spin box from a file's value, if it is a number within the box's range."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        if box.minimum() <= value <= box.maximum():
            box.setValue(int(value) if isinstance(box, QSpinBox) else float(value))

    def describe(self) -> str:
        """A short name of the run's settings, for the legend (e.g. ``adam lr 0.001 · batch 16``)."""
        text = f"{self.optimizer.currentText()} lr {self.learning_rate.value():g}"
        extras = [f"{k} {b.value():g}" for k, b in self.optimizer_boxes.items()
                  if k == "momentum" and b.value()]
        extras += ["nesterov" for k, b in self.optimizer_boxes.items() if k == "nesterov" and b.isChecked()]
        if self.schedule.currentData() != "constant":
            extras.append(self.schedule.currentData())
        return " ".join([text, *extras]) + f" · batch {self.batch_size.value()}"
