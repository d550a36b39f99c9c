"""A delimited text file read as a stream into compact columns, in bounded memory.

The file is read the way the csv module means it (``newline=""``: a line break inside quotes stays in the field,
and U+2028 or a form feed is an ordinary character), a block of rows at a time. Each column keeps its numbers as
one float64 array, the rows of its missing cells, and, while it has few distinct values, a code per cell into its
distinct strings (its categories or class labels). Nothing keeps every cell's text, so a 200 MB numeric file
takes a few times its final float32 array, not ten times the file.
"""

from __future__ import annotations

import csv
import io
import os
from array import array
from itertools import islice
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from core.data.errors import DataError
from core.data.reading import open_regular

MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
CATEGORY_CAP = 10_000  # distinct strings a column with text keeps codes for (its categories or class labels)
NUMERIC_CAP = 64  # distinct strings an all-number column keeps codes for; past it, only its numbers
BLOCK_ROWS = 4096
HEAD_ROWS = 21  # rows the header detection looks at


def is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


class Column:
    """One column's cells: numbers (NaN where none), missing rows, and codes into its distinct strings."""

    def __init__(self, cap: int = CATEGORY_CAP, numeric_cap: int = NUMERIC_CAP) -> None:
        self.numbers = array("d")
        self.missing = array("q")
        self.codes: array | None = array("i")
        self.categories: dict[str, int] = {}
        self.cap, self.numeric_cap = cap, numeric_cap
        self.text = 0  # cells that are neither numbers nor missing
        self.example: str | None = None  # the first of those
        self.overflow = 0  # the distinct-value count past which the codes were let go (0: kept)

    @property
    def numeric(self) -> bool:
        """Every cell a number (missing cells count against it until dropped or filled in)."""
        return self.text == 0 and not self.missing

    def extend(self, cells: Sequence[str], first_row: int) -> None:
        """Add one block of raw cells (rows ``first_row`` on)."""
        try:
            values = list(map(float, cells))
        except ValueError:
            values = self._parse_each(cells, first_row)
        else:
            total = sum(values)  # NaN when a cell is NaN (or infinities cancel): only then look cell by cell
            if total != total:  # "nan" and its kin are missing values, not numbers
                self.missing.extend(first_row + i for i, v in enumerate(values) if v != v and is_missing(cells[i]))
        self.numbers.extend(values)
        if self.codes is not None:
            self._add_codes(cells)

    def _parse_each(self, cells: Sequence[str], first_row: int) -> list[float]:
        values = []
        for i, cell in enumerate(cells):
            try:
                v = float(cell)
            except ValueError:
                v = float("nan")
                if is_missing(cell):
                    self.missing.append(first_row + i)
                else:
                    self.text += 1
                    if self.example is None:
                        self.example = cell.strip()
            else:
                if v != v and is_missing(cell):
                    self.missing.append(first_row + i)
            values.append(v)
        return values

    def _add_codes(self, cells: Sequence[str]) -> None:
        lookup = self.categories
        codes = []
        for cell in cells:
            text = cell.strip()
            code = lookup.get(text)
            if code is None:
                code = lookup[text] = len(lookup)
            codes.append(code)
        limit = self.cap if self.text else self.numeric_cap
        if len(lookup) > limit:
            self.codes, self.categories, self.overflow = None, {}, limit
        else:
            self.codes.extend(codes)

    def strings(self) -> list[str]:
        """The distinct strings, indexed by code."""
        out = [""] * len(self.categories)
        for text, code in self.categories.items():
            out[code] = text
        return out

    def code_of(self, text: str) -> int:
        return self.categories.setdefault(text, len(self.categories))

    def values(self, keep: np.ndarray | None) -> np.ndarray:
        a = np.frombuffer(self.numbers, dtype=np.float64)
        return a if keep is None else a[keep]

    def code_array(self, keep: np.ndarray | None) -> np.ndarray | None:
        if self.codes is None:
            return None
        a = np.frombuffer(self.codes, dtype=np.int32)
        return a if keep is None else a[keep]


class Table(NamedTuple):
    """A file's columns: the header row's names (None without one), the columns, the number of data rows."""

    names: list[str] | None
    columns: list[Column]
    rows: int


def read_table(path: str | os.PathLike, delimiter: str | None = None, header: bool | str = "auto",
               has_header: Any = None, numeric_cap: int = NUMERIC_CAP, cap: int = CATEGORY_CAP) -> Table:
    """Stream a delimited text file into columns (delimiter from the extension or sniffed; ``has_header``
    decides ``header='auto'`` from the first rows, stripped). A column of numbers only keeps the codes of up
    to ``numeric_cap`` distinct values (enough to tell a few class labels), one with text up to
    ``CATEGORY_CAP``."""
    path = os.fspath(path)
    handle = open_regular(path)
    reader = None
    with io.TextIOWrapper(handle, encoding="utf-8-sig", newline="") as f:
        try:
            sample = f.read(4096)
            f.seek(0)
            if "\x00" in sample:
                raise DataError(f"{path} looks binary, not a CSV text file: export it as CSV first")
            if delimiter is None:
                delimiter = "\t" if path.lower().endswith((".tsv", ".tab")) else _sniff(sample)
            reader = csv.reader(f, delimiter=delimiter)
            return _fill(path, reader, delimiter, header, has_header, (cap, numeric_cap))
        except UnicodeDecodeError as exc:
            raise DataError(f"{path} is not a UTF-8 text file (a byte cannot be decoded: {exc.reason}): save it as "
                            "CSV in UTF-8, or load binary data with the matching loader") from None
        except csv.Error as exc:
            raise _csv_error(path, exc, reader.line_num if reader else 1) from None
        except OSError as exc:
            raise DataError(f"{path} cannot be read ({exc.strerror or exc}): check the file") from None


def _fill(path: str, reader: Any, delimiter: str, header: bool | str, has_header: Any,
          caps: tuple[int, int]) -> Table:
    rows = _kept_rows(reader)
    head = list(islice(rows, HEAD_ROWS))
    if not head:
        raise DataError(f"{path} is empty: it needs a header row and at least two rows of data")
    width = len(head[0])
    _check_widths(path, head, width, 0, delimiter)
    stripped = [[cell.strip() for cell in row] for row in head]
    named = has_header(stripped) if header == "auto" else bool(header)
    columns = [Column(*caps) for _ in range(width)]
    block, count, offset = (head[1:] if named else head), 0, int(named)
    while block:
        _check_widths(path, block, width, offset + count, delimiter)
        for k, cells in enumerate(zip(*block)):
            columns[k].extend(cells, count)
        count += len(block)
        block = list(islice(rows, BLOCK_ROWS))
    return Table(stripped[0] if named else None, columns, count)


def _kept_rows(reader: Any) -> Iterator[list[str]]:
    """The rows with at least one non-blank cell."""
    for row in reader:
        if row and (row[0].strip() or any(cell.strip() for cell in row)):
            yield row


def _check_widths(path: str, block: list[list[str]], width: int, before: int, delimiter: str) -> None:
    if len(set(map(len, block))) > 1 or len(block[0]) != width:
        line = next(i for i, r in enumerate(block) if len(r) != width)
        raise DataError(f"{path}: row {before + line + 1} has {len(block[line])} fields but row 1 has {width}: "
                        f"every row needs the same number of columns (is the delimiter {delimiter!r} right?)")


def _csv_error(path: str, exc: csv.Error, line: int) -> DataError:
    if "field limit" in str(exc):
        return DataError(f"{path}: line {line} has a field longer than {csv.field_size_limit():,} characters: a "
                         "quote (\") opened there is probably never closed, so the rest of the file reads as one "
                         "field; close or remove it (or this is not a delimited text file)")
    return DataError(f"{path}: line {line} cannot be read as CSV ({exc}): check its quotes and delimiters")


def _sniff(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
