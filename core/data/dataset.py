"""The Dataset: arrays plus what the rest of the app needs to use them without asking.

A Dataset knows its task kind, input shape, class or target names, feature names, a description and where the
data comes from. It splits itself (stratified by class), shuffles with a seed, yields batches that read only the
rows of the batch (so ``x`` may be an in-memory array, a numpy memmap or a lazy :mod:`core.data.sources` source),
and fits scaling on its training split.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from core.data.errors import DataError
from core.data.preprocessing import Preprocessing, make_scaler
from core.data.sources import IndexedView, MappedView, is_lazy, iter_chunks, take

TASKS = ("classification", "regression", "sequence-to-one", "sequence-to-sequence")


@dataclass(eq=False)
class Dataset:
    """Inputs ``x`` (samples first), targets ``y`` and what they mean.

    ``task`` is one of ``classification`` (``y`` holds integer labels ``0..n-1``), ``regression``,
    ``sequence-to-one`` (``x`` is ``(n, steps, features)``, one target per sequence) or ``sequence-to-sequence``
    (one target per step).
    """

    x: Any
    y: Any
    task: str = "classification"
    class_names: list[str] | None = None
    target_names: list[str] | None = None
    feature_names: list[str] | None = None
    name: str = "data"
    description: str = ""
    source: str = ""
    license: str = ""
    preprocessing: Preprocessing | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(f"unknown task kind {self.task!r}: use one of {', '.join(TASKS)}")
        if not is_lazy(self.x):
            self.x = np.asarray(self.x)
        if not is_lazy(self.y):
            self.y = np.asarray(self.y)
        check_arrays(self.x, self.y, self.name)
        if self.task == "classification":
            self._check_labels()

    def _check_labels(self) -> None:
        y = np.asarray(self.y) if not is_lazy(self.y) else np.asarray(self.y[:])
        if y.ndim != 1 or y.dtype.kind not in "biu":
            raise DataError(f"{self.name}: classification targets must be integer labels of shape (n,), got "
                            f"{y.dtype} {y.shape}: encode them with LabelEncoder (or use task='regression')")
        if y.size and y.min() < 0:
            raise DataError(f"{self.name}: class labels must be 0 or more, found {y.min()}")
        present = np.unique(y)
        if present.size < 2:
            name = self._class_name(int(present[0])) if present.size else "none"
            raise DataError(f"{self.name}: the target has only one class ({name}); a classifier needs at least "
                            "two: choose another target column or add samples of the other classes")
        if self.class_names is None:
            self.class_names = [str(i) for i in range(int(y.max()) + 1)]
        elif int(y.max()) >= len(self.class_names):
            raise DataError(f"{self.name}: label {int(y.max())} has no name among {len(self.class_names)} "
                            "class names: give one name per class")

    def __repr__(self) -> str:
        """One line: name, task, shapes and classes (the arrays themselves would flood a console)."""
        classes = f", {len(self.class_names)} classes" if self.class_names else ""
        return (f"Dataset({self.name!r}, {self.task}, x {tuple(self.x.shape)} {self.x.dtype}, "
                f"y {tuple(self.y.shape)} {self.y.dtype}{classes})")

    def _class_name(self, label: int) -> str:
        names = self.class_names or []
        return names[label] if label < len(names) else str(label)

    # -- what it holds --------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.x)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the network's output for one sample: ``(classes,)`` or the target shape."""
        if self.task == "classification":
            return (self.num_classes,)
        shape = tuple(self.y.shape[1:])
        return shape or (1,)

    @property
    def num_classes(self) -> int:
        return len(self.class_names or [])

    @property
    def lazy(self) -> bool:
        return is_lazy(self.x)

    def close(self) -> None:
        """Close the files behind lazy inputs (an HDF5 file stays open while its Dataset is in use)."""
        for a in (self.x, self.y):
            if hasattr(a, "close") and is_lazy(a) and not isinstance(a, np.memmap):
                a.close()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` in memory (reads a lazy source whole: only for data that fits)."""
        return np.asarray(self.x), np.asarray(self.y)

    def class_counts(self) -> dict[str, int]:
        y = np.asarray(self.y)
        return {self._class_name(int(c)): int(n) for c, n in zip(*np.unique(y, return_counts=True))}

    def summary(self) -> str:
        kind = f"{self.num_classes} classes" if self.task == "classification" else f"targets {self.output_shape}"
        return f"{self.name}: {len(self)} samples of shape {self.input_shape}, {self.task}, {kind}"

    # -- subsets, shuffling, splits -------------------------------------------------------------------------
    def _derive(self, **changes: Any) -> "Dataset":
        """A copy with some fields changed, without checking again (parts of checked data may be empty)."""
        out = copy.copy(self)
        out.notes = list(self.notes)
        for key, value in changes.items():
            setattr(out, key, value)
        return out

    def subset(self, rows: Sequence[int] | np.ndarray) -> "Dataset":
        """The given rows (lazy sources stay lazy: only the row numbers are kept)."""
        rows = np.asarray(rows, dtype=np.int64)
        x = IndexedView(self.x, rows) if is_lazy(self.x) else self.x[rows]
        y = IndexedView(self.y, rows) if is_lazy(self.y) else self.y[rows]
        return self._derive(x=x, y=y)

    def shuffled(self, seed: int | None = 0) -> "Dataset":
        return self.subset(np.random.default_rng(seed).permutation(len(self)))

    def split(self, validation: float = 0.15, test: float = 0.15, seed: int | None = 0,
              stratify: bool | None = None) -> "Splits":
        """Seeded train/validation/test split; stratified by class for classification unless told otherwise."""
        for label, frac in (("validation", validation), ("test", test)):
            if not 0.0 <= frac < 1.0:
                raise DataError(f"the {label} fraction must be in [0, 1), got {frac}")
        if validation + test >= 1.0:
            raise DataError(f"validation ({validation}) + test ({test}) leave no training data: keep their sum "
                            "below 1")
        rng = np.random.default_rng(seed)
        stratify = self.task == "classification" if stratify is None else stratify
        groups = _groups(np.asarray(self.y), rng) if stratify else [rng.permutation(len(self))]
        parts: list[list[np.ndarray]] = [[], [], []]
        for rows in groups:
            n_test, n_val = int(round(len(rows) * test)), int(round(len(rows) * validation))
            parts[2].append(rows[:n_test])
            parts[1].append(rows[n_test:n_test + n_val])
            parts[0].append(rows[n_test + n_val:])
        out = [np.sort(np.concatenate(p)) if p else np.empty(0, np.int64) for p in parts]
        if len(out[0]) == 0:
            raise DataError(f"{self.name} has too few samples ({len(self)}) to split: add data or lower the "
                            "validation and test fractions")
        for rows in out:
            rng.shuffle(rows)
        return Splits(self.subset(out[0]), self.subset(out[1]), self.subset(out[2]))

    # -- batches --------------------------------------------------------------------------------------------
    def batches(self, batch_size: int = 32, shuffle: bool = True, seed: int | None = 0,
                drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(x, y)`` batches in memory, each read on its own (sorted reads for lazy sources)."""
        if batch_size < 1:
            raise DataError(f"batch_size must be 1 or more, got {batch_size}")
        n = len(self)
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            rows = order[start:start + batch_size]
            if shuffle or is_lazy(self.x):
                yield take(self.x, rows), take(self.y, rows)
            else:
                yield np.asarray(self.x[start:start + batch_size]), np.asarray(self.y[start:start + batch_size])

    # -- preprocessing --------------------------------------------------------------------------------------
    def with_preprocessing(self, prep: Preprocessing) -> "Dataset":
        """This data set with fitted preprocessing applied to ``x`` (lazily for lazy sources)."""
        if is_lazy(self.x):
            x = MappedView(self.x, prep.apply, self.x.shape)
        else:
            x = prep.apply(self.x)
        return self._derive(x=x, preprocessing=prep)

    def fit_scaling(self, kind: str = "standard") -> Preprocessing:
        """A Preprocessing with a scaler fitted on this data set (call it on the training split only)."""
        scaler = make_scaler(kind).fit(self.x)
        return Preprocessing([scaler], self.class_names, self.feature_names)


class Splits(NamedTuple):
    """The three parts of a split data set."""

    train: Dataset
    validation: Dataset
    test: Dataset

    def scaled(self, kind: str = "standard") -> "Splits":
        """All three scaled with a scaler fitted on the training part only."""
        prep = self.train.fit_scaling(kind)
        return Splits(*(part.with_preprocessing(prep) for part in self))


def _groups(y: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Row numbers of each class, each group shuffled."""
    return [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]


def guess_task(y: Any, task: str = "auto") -> str:
    """``task`` itself, or for ``'auto'``: classification for integer labels of shape (n,), else regression."""
    if task != "auto":
        return task
    if getattr(y, "ndim", 1) == 0:
        return "regression"  # a single value: check_arrays says what is wrong with it
    y = np.asarray(y[:min(len(y), 100_000)])
    return "classification" if y.ndim == 1 and y.dtype.kind in "biu" else "regression"


def check_arrays(x: Any, y: Any, name: str = "data") -> None:
    """Raise a DataError that says how to fix it when ``x`` and ``y`` cannot train a network."""
    if x.ndim == 0 or len(x) == 0:
        raise DataError(f"{name}: the inputs are empty: give at least one sample")
    if y.ndim == 0:
        raise DataError(f"{name}: the targets are a single value ({np.asarray(y)!r}), not one per sample: save y "
                        "as an array with one target per sample, shape (n,) or (n, outputs)")
    if len(x) != len(y):
        raise DataError(f"{name}: the inputs have {len(x)} samples but the targets have {len(y)}: give one "
                        "target per sample (check that both come from the same rows)")
    for label, a in (("inputs", x), ("targets", y)):
        if a.dtype.kind not in "biuf":
            raise DataError(f"{name}: the {label} are not numeric ({a.dtype}): encode text columns (one-hot for "
                            "features, LabelEncoder for class labels) or drop them")
        bad = count_nonfinite(a)
        if bad:
            first = first_non_finite(a)
            raise DataError(f"{name}: the {label} contain {bad[0]} NaN and {bad[1]} infinite value(s), the first "
                            f"{first}: drop those rows or impute them (e.g. with the column mean)")


def count_nonfinite(a: Any) -> tuple[int, int] | None:
    """``(nan count, inf count)``, or None when every value is finite; lazy sources are read in blocks."""
    if a.dtype.kind != "f":
        return None
    nan = inf = 0
    for block in iter_chunks(a) if is_lazy(a) else [np.asarray(a)]:
        nan += int(np.count_nonzero(np.isnan(block)))
        inf += int(np.count_nonzero(np.isinf(block)))
    return (nan, inf) if nan or inf else None


class NonFinite(NamedTuple):
    """Where the first NaN or infinite value of an array is: its row (sample), its place in the row, the value."""

    row: int
    position: tuple[int, ...]
    value: float

    def __str__(self) -> str:
        place = f", column {self.position[0]}" if len(self.position) == 1 else (
            f", at {self.position}" if self.position else "")
        return f"in row {self.row}{place} ({self.value})"


def first_non_finite(x: Any, rows: int = 4096) -> NonFinite | None:
    """The first NaN or ±Inf of ``x`` in row order, or None when every value is finite (or ``x`` holds no
    floats). ``x`` may be an array, a nested list or a lazy source (read ``rows`` rows at a time)."""
    if not is_lazy(x):
        x = np.asarray(x)
    if x.dtype.kind not in "fc":
        return None
    if x.ndim == 0:
        return None if np.isfinite(x) else NonFinite(0, (), float(np.real(x)))
    for start in range(0, len(x), rows):
        block = np.asarray(x[start:start + rows])
        bad = ~np.isfinite(block)
        if bad.any():
            at = np.unravel_index(int(np.argmax(bad)), block.shape)
            return NonFinite(start + int(at[0]), tuple(int(i) for i in at[1:]), float(np.real(block[at])))
    return None


def first_non_finite_row(x: Any) -> int | None:
    """The index of the first sample (row) of ``x`` that holds a NaN or an infinite value; None when all are
    finite. For ``predict``/``evaluate`` to say which input row to fix."""
    found = first_non_finite(x)
    return None if found is None else found.row
