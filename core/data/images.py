"""Image folders: one subfolder of images per class, read with Pillow.

Each image's size is taken from its header before it is decoded: an image claiming more pixels than
:data:`MAX_PIXELS` (a PNG that says 100,000×100,000 in a few kilobytes) is refused with its size, and so is a
folder whose images together would not fit in :data:`~core.data.reading.MAX_ARRAY_BYTES` as float32.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.reading import MAX_ARRAY_BYTES, gib, open_regular

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MAX_PIXELS = 50_000_000  # one image's pixels (about 7000×7000); Pillow's own bomb limit is 89 million
BANDS = {"L": 1, "RGB": 3}


def load_image_folder(path: str | os.PathLike, size: Sequence[int] | None = None, mode: str | None = None,
                      **info: Any) -> Dataset:
    """Images in one subfolder per class (``root/cat/*.png``, ``root/dog/*.jpg``), read with Pillow.

    Args:
        size: ``(height, width)`` to resize every image to; None keeps the size, which must then be the same
            for all images.
        mode: ``'L'`` (grey, 1 channel) or ``'RGB'`` (3 channels) to convert every image to; None keeps the
            mode, which must then be the same for all.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder: give a folder with one subfolder of images per class")
    if mode not in (None, "L", "RGB"):
        raise DataError(f"mode must be 'L' (grey) or 'RGB', got {mode!r}")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files = [(k, f) for k, c in enumerate(classes) for f in sorted((root / c).iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise DataError(f"{root} has no images in class subfolders ({', '.join(IMAGE_SUFFIXES)}): put each "
                        f"class's images in its own subfolder, e.g. {root}/cats/1.png")
    used = sorted({k for k, _ in files})
    if len(used) < 2:
        raise DataError(f"{root}: only the class '{classes[used[0]]}' has images; a classifier needs at least two "
                        "class subfolders with images")
    budget = _Budget(root, len(files))
    images = [_read_image(f, size, mode, budget) for _, f in files]
    _check_uniform(images, files, "size", lambda im: im.size, "pass size=(height, width) to resize them all")
    _check_uniform(images, files, "mode", lambda im: im.mode, "pass mode='L' or mode='RGB' to convert them all")
    x = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
    if x.ndim == 3:
        x = x[..., None]
    remap = {k: i for i, k in enumerate(used)}
    y = np.array([remap[k] for k, _ in files], dtype=np.int64)
    return Dataset(x, y, "classification", class_names=[classes[k] for k in used],
                   name=info.pop("name", root.name), source=os.fspath(root), **info)


class _Budget:
    """The float32 bytes the images read so far will take once stacked, refused past the cap."""

    def __init__(self, root: Path, count: int) -> None:
        self.root, self.count, self.used = root, count, 0

    def take(self, file: Path, pixels: int, bands: int) -> None:
        self.used += pixels * bands * 4
        if self.used > MAX_ARRAY_BYTES:
            raise DataError(f"{self.root}: the {self.count} images take more than {gib(MAX_ARRAY_BYTES)} as "
                            f"float32 (past {file.name}): pass size=(height, width) to shrink them as they are "
                            "read, or use fewer images")


def _read_image(file: Path, size: Sequence[int] | None, mode: str | None, budget: _Budget) -> Any:
    from PIL import Image, UnidentifiedImageError
    try:
        with open_regular(file) as handle, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle) as im:
                _check_pixels(file, im.size)
                bands = BANDS.get(mode or im.mode, len(im.getbands()))
                budget.take(file, int(size[0]) * int(size[1]) if size is not None else im.size[0] * im.size[1],
                            bands)
                im.load()
                if mode is not None and im.mode != mode:
                    im = im.convert(mode)
                elif im.mode not in ("L", "RGB"):
                    raise DataError(f"{file} has colour mode {im.mode}: pass mode='L' or mode='RGB' to convert it")
                if size is not None:
                    im = im.resize((int(size[1]), int(size[0])), Image.BILINEAR)
                return im.copy()
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{file} is too large to read ({exc}): shrink it below {MAX_PIXELS:,} pixels first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{file} cannot be read as an image ({exc}): remove it or replace it with a valid "
                        "PNG/JPEG/BMP file") from exc


def _check_pixels(file: Path, dims: tuple[int, int]) -> None:
    width, height = dims
    if width * height > MAX_PIXELS:
        raise DataError(f"{file} claims {width}×{height} pixels ({width * height:,}), more than the "
                        f"{MAX_PIXELS:,} NeuroCanvas decodes in one image: shrink it first (a network takes "
                        "small images, e.g. 224×224), or remove it if it should not be that large")


def _check_uniform(images: list, files: list, what: str, key: Any, fix: str) -> None:
    groups: dict[Any, list[Path]] = {}
    for im, (_, f) in zip(images, files):
        groups.setdefault(key(im), []).append(f)
    if len(groups) > 1:
        parts = "; ".join(f"{len(v)} are {k[1]}×{k[0]}" if what == "size" else f"{len(v)} are {k}" for k, v in
                          sorted(groups.items(), key=lambda kv: -len(kv[1])))
        example = min(groups.values(), key=len)[0]
        raise DataError(f"the images have mixed {what}s ({parts}; e.g. {example}): {fix}")
