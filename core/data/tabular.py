"""CSV/TSV files: header detection, target column choice, categorical columns one-hot encoded, missing values.

``load_csv`` reads a delimited text file into a :class:`~core.data.dataset.Dataset`. Text feature columns are
one-hot encoded (``colour=red``, ``colour=blue``, ...); a text target becomes class labels. Missing cells
(empty, ``NA``, ``NaN``, ``?``, ``null``) are counted per column and either refused with those counts
(``missing='error'``, the default), dropped (``'drop'``) or imputed (``'mean'``, ``'median'``,
``'most_frequent'``).

The file is streamed into compact columns by :mod:`core.data.columns` (bounded memory, the csv module's own
reading of quotes and line breaks); only the final arrays are built whole.
"""

from __future__ import annotations

import csv
import os
from array import array
from typing import Any, Sequence

import numpy as np

from core.data.columns import CATEGORY_CAP, MISSING, NUMERIC_CAP, Column, read_table
from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.preprocessing import LabelEncoder

IMPUTE = ("mean", "median", "most_frequent")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def has_header(rows: list[list[str]]) -> bool:
    """A first row is a header when some column is numeric below it but not in it, or when the whole first row
    is text and the csv sniffer agrees."""
    if len(rows) < 2:
        return False
    first, rest = rows[0], rows[1:21]
    for k, cell in enumerate(first):
        below = [r[k] for r in rest if r[k].lower() not in MISSING]
        if below and all(_is_number(v) for v in below) and not _is_number(cell) and cell.lower() not in MISSING:
            return True
    if any(_is_number(c) for c in first):
        return False
    text = "\n".join(",".join(f'"{c}"' for c in r) for r in rows[:20])
    try:
        return csv.Sniffer().has_header(text)
    except csv.Error:
        return False


def load_csv(path: str | os.PathLike, target: int | str | Sequence[int | str] | None = -1,
             header: bool | str = "auto", delimiter: str | None = None, missing: str = "error",
             task: str = "auto", drop_columns: Sequence[int | str] = (), max_categories: int = 50,
             name: str | None = None) -> Dataset:
    """Read a CSV/TSV file into a Dataset.

    Args:
        path: the file (``.tsv``/``.tab`` use tabs; otherwise the delimiter is sniffed).
        target: the target column(s), by name or index (negative counts from the end); default the last.
        header: True, False or ``'auto'`` (detected).
        missing: ``'error'``, ``'drop'`` or an imputation: ``'mean'``, ``'median'``, ``'most_frequent'``.
        task: ``'classification'``, ``'regression'`` or ``'auto'`` (text or few integer values: classes).
        drop_columns: columns to leave out (names or indexes).
        max_categories: a text feature column with more distinct values than this is refused as free text.
    """
    table = read_table(path, delimiter, header, has_header, numeric_cap=max(NUMERIC_CAP, max_categories + 1),
                       cap=max(CATEGORY_CAP, max_categories + 1))
    names = table.names or [f"column_{k + 1}" for k in range(len(table.columns))]
    if table.rows < 2:
        raise DataError(f"{path} has {table.rows} data row(s): at least two are needed to train")
    columns = table.columns
    targets = [_column_index(t, names, path) for t in (target if isinstance(target, (list, tuple)) else [target])]
    dropped = {_column_index(c, names, path) for c in drop_columns}
    features = [k for k in range(len(names)) if k not in targets and k not in dropped]
    if not features:
        raise DataError(f"{path}: no feature columns are left besides the target: check target= and drop_columns=")
    keep, notes = _handle_missing(columns, names, features + targets, missing, path, table.rows)
    x, feature_names = _encode_features(columns, names, features, max_categories, path, keep)
    y, task, class_names, target_names = _encode_targets(columns, names, targets, task, path, keep)
    return Dataset(x, y, task=task, class_names=class_names, target_names=target_names,
                   feature_names=feature_names, name=name or os.path.basename(os.fspath(path)),
                   source=os.fspath(path), notes=notes)


def _column_index(key: int | str, names: list[str], path: Any) -> int:
    if isinstance(key, (int, np.integer)):
        if not -len(names) <= key < len(names):
            raise DataError(f"{path} has {len(names)} columns; column index {key} does not exist")
        return int(key) % len(names)
    if key not in names:
        raise DataError(f"{path} has no column named {key!r}: the columns are {', '.join(names)}")
    return names.index(key)


def _handle_missing(columns: list[Column], names, used, policy, path, n) -> tuple[np.ndarray | None, list[str]]:
    """Rows to keep (None: all), after dropping or imputing (in place) the missing cells of the used columns."""
    holes = {k: np.frombuffer(columns[k].missing, dtype=np.int64) for k in used if len(columns[k].missing)}
    if not holes:
        return None, []
    counts = ", ".join(f"'{names[k]}': {len(r)}" for k, r in holes.items())
    if policy == "error":
        raise DataError(f"{path} has missing values ({counts}): pass missing='drop' to drop those rows, or "
                        "missing='mean', 'median' or 'most_frequent' to fill them in")
    if policy == "drop":
        bad = np.unique(np.concatenate(list(holes.values())))
        if len(bad) >= n - 1:
            raise DataError(f"{path}: dropping rows with missing values ({counts}) leaves {n - len(bad)} rows: "
                            "impute them instead (missing='mean' or 'most_frequent')")
        for k in holes:
            columns[k].missing = array("q")  # their rows are left out
        return np.setdiff1d(np.arange(n), bad), [f"dropped {len(bad)} rows with missing values ({counts})"]
    if policy not in IMPUTE:
        raise DataError(f"unknown missing-value policy {policy!r}: use 'error', 'drop', " + ", ".join(IMPUTE))
    for k, rows in holes.items():
        _impute(columns[k], rows.copy(), policy, names[k], path, n)
    return None, [f"imputed missing values with the column {policy} ({counts})"]


def _impute(column: Column, rows: np.ndarray, policy: str, name: str, path: Any, n: int) -> None:
    """Fill the column's missing cells in place: the mean or median of its numbers, or its most frequent value."""
    present = np.ones(n, dtype=bool)
    present[rows] = False
    if not present.any():
        raise DataError(f"{path}: column '{name}' has no values at all: drop it (drop_columns=[{name!r}])")
    numeric = column.text == 0
    if policy == "most_frequent" or not numeric:
        fill = _most_frequent(column, present, name, path)
    else:
        nums = column.values(None)[present]
        fill = repr(float(np.mean(nums) if policy == "mean" else np.median(nums)))
    numbers = column.values(None)
    numbers[rows] = float(fill) if _is_number(fill) else np.nan
    if not _is_number(fill):
        column.text += len(rows)
    if column.codes is not None:
        np.frombuffer(column.codes, dtype=np.int32)[rows] = column.code_of(fill)
    column.missing = array("q")


def _most_frequent(column: Column, present: np.ndarray, name: str, path: Any) -> str:
    """The most frequent present value: the smallest string among ties, as numpy.unique orders them (for a
    column of many distinct numbers, whose spellings are not kept, the most frequent number, the smallest among
    ties)."""
    codes = column.code_array(None)
    if codes is not None:
        strings = column.strings()
        counts = np.bincount(codes[present], minlength=len(strings))
        return min(strings[c] for c in np.flatnonzero(counts == counts.max()))
    if column.text:
        raise DataError(f"{path}: column '{name}' has more than {column.overflow} distinct values to choose the most "
                        f"frequent from: drop it (drop_columns=[{name!r}]) or use missing='drop'")
    values, counts = np.unique(column.values(None)[present], return_counts=True)
    return repr(float(values[np.argmax(counts)]))


def _encode_features(columns, names, features, max_categories, path, keep) -> tuple[np.ndarray, list[str]]:
    """The feature matrix (float32), built in place column by column; text columns one-hot encoded."""
    plans, feature_names = [], []
    for k in features:
        col = columns[k]
        if col.numeric:
            plans.append((k, None))
            feature_names.append(names[k])
            continue
        codes = col.code_array(keep)
        present = np.unique(codes) if codes is not None else None
        if present is None or len(present) > max_categories:
            count = f"more than {col.overflow}" if present is None else str(len(present))
            example = col.strings()[codes[0]] if codes is not None else col.example
            raise DataError(f"{path}: column '{names[k]}' is not numeric and has {count} distinct values "
                            f"(e.g. {example!r}): drop it (drop_columns=[{names[k]!r}]) or raise max_categories "
                            "to one-hot encode it")
        strings = col.strings()
        categories = sorted(strings[c] for c in present)
        rank = np.zeros(len(strings), dtype=np.int64)
        rank[[col.categories[c] for c in categories]] = np.arange(len(categories))
        plans.append((k, (rank[codes], len(categories))))
        feature_names.extend(f"{names[k]}={c}" for c in categories)
    rows = columns[features[0]].values(keep).shape[0]
    x = np.empty((rows, len(feature_names)), dtype=np.float32)
    at = 0
    for k, onehot in plans:
        if onehot is None:
            values = columns[k].values(keep)
            _check_finite(values, names[k], path)
            x[:, at] = values
            at += 1
        else:
            ranks, width = onehot
            x[:, at:at + width] = ranks[:, None] == np.arange(width)[None, :]
            at += width
    return x, feature_names


def _check_finite(values: np.ndarray, name: str, path: Any) -> None:
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise DataError(f"{path}: column '{name}' has {bad} infinite value(s): replace them or drop those rows")


def _encode_targets(columns, names, targets, task, path, keep):
    cols = [columns[k] for k in targets]
    numeric = all(c.text == 0 for c in cols)
    if task == "auto":
        task = "classification" if (not numeric or _few_integers(cols, keep)) else "regression"
    if task == "classification":
        if len(cols) != 1:
            raise DataError(f"{path}: classification takes one target column, got {len(cols)}: choose one")
        labels, classes = _class_labels(cols[0], numeric, names[targets[0]], path, keep)
        if len(classes) < 2:
            raise DataError(f"{path}: the target column '{names[targets[0]]}' has only one class "
                            f"({classes[0]!r}): choose another target column (target=...)")
        return labels, task, classes, [names[targets[0]]]
    if not numeric:
        bad = [names[k] for k, c in zip(targets, cols) if c.text]
        raise DataError(f"{path}: regression targets must be numbers but column(s) {', '.join(bad)} hold text: "
                        "use task='classification' or choose numeric target columns")
    y = np.stack([c.values(keep) for c in cols], axis=1).astype(np.float32)
    for k, col in zip(targets, y.T):
        _check_finite(col, names[k], path)
    return y, "regression", None, [names[k] for k in targets]


def _few_integers(cols: list[Column], keep) -> bool:
    """One numeric target column of integer values with at most 20 distinct spellings: class labels."""
    if len(cols) != 1 or cols[0].codes is None:
        return False
    values = cols[0].values(keep)
    return bool(np.all(np.isfinite(values) & (values == np.floor(values)))) and \
        len(np.unique(cols[0].code_array(keep))) <= 20


def _class_labels(col: Column, numeric: bool, name: str, path: Any, keep) -> tuple[np.ndarray, list[str]]:
    """Integer labels and the sorted class names of a target column (numbers named like ``'2'``, not ``'2.0'``)."""
    codes = col.code_array(keep)
    if codes is not None:
        present = np.unique(codes)
        strings = col.strings()
        texts = {int(c): (_int_text(strings[c]) if numeric else strings[c]) for c in present}
    else:
        values = col.values(keep)
        if not (numeric and np.all(np.isfinite(values) & (values == np.floor(values)))):
            raise DataError(f"{path}: the target column '{name}' has more than {col.overflow} distinct values, too many "
                            "for classes: use task='regression', or choose another target column")
        present, codes = np.unique(values, return_inverse=True)
        texts = {i: str(int(v)) for i, v in enumerate(present)}
        present = np.arange(len(present))
    encoder = LabelEncoder().fit(texts.values())
    index = {c: i for i, c in enumerate(encoder.classes)}
    lut = np.zeros(int(present.max()) + 1, dtype=np.int64)
    for code, text in texts.items():
        lut[code] = index[text]
    return lut[codes], encoder.classes


def _int_text(v: str) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else v
