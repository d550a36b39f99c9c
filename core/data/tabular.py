"""CSV/TSV files: header detection, target column choice, categorical columns one-hot encoded, missing values.

``load_csv`` reads a delimited text file into a :class:`~core.data.dataset.Dataset`. Text feature columns are
one-hot encoded (``colour=red``, ``colour=blue``, ...); a text target becomes class labels. Missing cells
(empty, ``NA``, ``NaN``, ``?``, ``null``) are counted per column and either refused with those counts
(``missing='error'``, the default), dropped (``'drop'``) or imputed (``'mean'``, ``'median'``,
``'most_frequent'``).
"""

from __future__ import annotations

import csv
import os
from typing import Any, Sequence

import numpy as np

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.preprocessing import LabelEncoder

MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
IMPUTE = ("mean", "median", "most_frequent")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_rows(path: str | os.PathLike, delimiter: str | None = None) -> list[list[str]]:
    """The file's rows as lists of stripped strings (delimiter from the extension or sniffed)."""
    path = os.fspath(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError as exc:
        raise DataError(f"{path} does not exist: check the path") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not a UTF-8 text file (byte {exc.start} cannot be decoded): save it as "
                        "CSV in UTF-8, or load binary data with the matching loader") from exc
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror}): check its permissions") from exc
    if "\x00" in text:
        raise DataError(f"{path} looks binary, not a CSV text file: export it as CSV first")
    if not text.strip():
        raise DataError(f"{path} is empty: it needs a header row and at least two rows of data")
    if delimiter is None:
        delimiter = "\t" if path.lower().endswith((".tsv", ".tab")) else _sniff(text)
    rows = [[cell.strip() for cell in row] for row in csv.reader(text.splitlines(), delimiter=delimiter)]
    rows = [row for row in rows if any(row)]
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        width = len(rows[0])
        line = next(i for i, r in enumerate(rows) if len(r) != width)
        raise DataError(f"{path}: row {line + 1} has {len(rows[line])} fields but row 1 has {width}: every row "
                        f"needs the same number of columns (is the delimiter {delimiter!r} right?)")
    return rows


def _sniff(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


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
    rows = read_rows(path, delimiter)
    head = has_header(rows) if header == "auto" else bool(header)
    names = rows[0] if head else [f"column_{k + 1}" for k in range(len(rows[0]))]
    data = rows[1:] if head else rows
    if len(data) < 2:
        raise DataError(f"{path} has {len(data)} data row(s): at least two are needed to train")
    columns = [list(col) for col in zip(*data)]
    targets = [_column_index(t, names, path) for t in (target if isinstance(target, (list, tuple)) else [target])]
    dropped = {_column_index(c, names, path) for c in drop_columns}
    features = [k for k in range(len(names)) if k not in targets and k not in dropped]
    if not features:
        raise DataError(f"{path}: no feature columns are left besides the target: check target= and drop_columns=")
    keep, notes = _handle_missing(columns, names, features + targets, missing, path)
    columns = [[c[i] for i in keep] for c in columns]
    x, feature_names = _encode_features(columns, names, features, max_categories, path)
    y, task, class_names, target_names = _encode_targets(columns, names, targets, task, path)
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


def _handle_missing(columns, names, used, policy, path) -> tuple[list[int], list[str]]:
    """Rows to keep, after dropping or imputing (in place) the missing cells of the used columns."""
    n = len(columns[0])
    holes = {k: [i for i, v in enumerate(columns[k]) if v.lower() in MISSING] for k in used}
    holes = {k: rows for k, rows in holes.items() if rows}
    if not holes:
        return list(range(n)), []
    counts = ", ".join(f"'{names[k]}': {len(r)}" for k, r in holes.items())
    if policy == "error":
        raise DataError(f"{path} has missing values ({counts}): pass missing='drop' to drop those rows, or "
                        "missing='mean', 'median' or 'most_frequent' to fill them in")
    if policy == "drop":
        bad = set().union(*holes.values())
        if len(bad) >= n - 1:
            raise DataError(f"{path}: dropping rows with missing values ({counts}) leaves {n - len(bad)} rows: "
                            "impute them instead (missing='mean' or 'most_frequent')")
        return [i for i in range(n) if i not in bad], [f"dropped {len(bad)} rows with missing values ({counts})"]
    if policy not in IMPUTE:
        raise DataError(f"unknown missing-value policy {policy!r}: use 'error', 'drop', " + ", ".join(IMPUTE))
    for k, rows in holes.items():
        columns[k] = _impute(columns[k], rows, policy, names[k], path)
    return list(range(n)), [f"imputed missing values with the column {policy} ({counts})"]


def _impute(column: list[str], rows: list[int], policy: str, name: str, path: Any) -> list[str]:
    present = [v for i, v in enumerate(column) if i not in set(rows)]
    if not present:
        raise DataError(f"{path}: column '{name}' has no values at all: drop it (drop_columns=[{name!r}])")
    numeric = all(_is_number(v) for v in present)
    if policy == "most_frequent" or not numeric:
        values, counts = np.unique(present, return_counts=True)
        fill = str(values[np.argmax(counts)])
    else:
        nums = np.array([float(v) for v in present])
        fill = repr(float(np.mean(nums) if policy == "mean" else np.median(nums)))
    out = list(column)
    for i in rows:
        out[i] = fill
    return out


def _encode_features(columns, names, features, max_categories, path) -> tuple[np.ndarray, list[str]]:
    blocks, feature_names = [], []
    for k in features:
        col = columns[k]
        if all(_is_number(v) for v in col):
            values = np.array([float(v) for v in col])
            _check_finite(values, names[k], path)
            blocks.append(values[:, None])
            feature_names.append(names[k])
            continue
        categories = sorted(set(col))
        if len(categories) > max_categories:
            raise DataError(f"{path}: column '{names[k]}' is not numeric and has {len(categories)} distinct values "
                            f"(e.g. {col[0]!r}): drop it (drop_columns=[{names[k]!r}]) or raise max_categories "
                            "to one-hot encode it")
        codes = np.array([categories.index(v) for v in col])
        blocks.append((codes[:, None] == np.arange(len(categories))[None, :]).astype(np.float64))
        feature_names.extend(f"{names[k]}={c}" for c in categories)
    return np.concatenate(blocks, axis=1).astype(np.float32), feature_names


def _check_finite(values: np.ndarray, name: str, path: Any) -> None:
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise DataError(f"{path}: column '{name}' has {bad} infinite value(s): replace them or drop those rows")


def _encode_targets(columns, names, targets, task, path):
    cols = [columns[k] for k in targets]
    numeric = all(_is_number(v) for c in cols for v in c)
    if task == "auto":
        few = numeric and len(cols) == 1 and all(float(v).is_integer() for v in cols[0]) and \
            len(set(cols[0])) <= 20
        task = "classification" if (not numeric or few) else "regression"
    if task == "classification":
        if len(cols) != 1:
            raise DataError(f"{path}: classification takes one target column, got {len(cols)}: choose one")
        labels = [_int_text(v) for v in cols[0]] if numeric else cols[0]
        encoder = LabelEncoder().fit(labels)
        if len(encoder.classes) < 2:
            raise DataError(f"{path}: the target column '{names[targets[0]]}' has only one class "
                            f"({encoder.classes[0]!r}): choose another target column (target=...)")
        return encoder.transform(labels), task, encoder.classes, [names[targets[0]]]
    if not numeric:
        bad = [names[k] for k, c in zip(targets, cols) if not all(_is_number(v) for v in c)]
        raise DataError(f"{path}: regression targets must be numbers but column(s) {', '.join(bad)} hold text: "
                        "use task='classification' or choose numeric target columns")
    y = np.array([[float(v) for v in row] for row in zip(*cols)], dtype=np.float32)
    for k, col in zip(targets, y.T):
        _check_finite(col, names[k], path)
    return y, "regression", None, [names[k] for k in targets]


def _int_text(v: str) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else v
