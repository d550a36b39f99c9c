"""Every screenshot the documentation shows is in the repository, and the lifecycle pictures are named as the
generator writes them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "resources" / "designer-guide.md"]
LINK = re.compile(r"\]\(([^)\s]*screenshots/[^)\s]+\.png)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_screenshot_a_document_links_to_exists(document):
    links = LINK.findall(document.read_text(encoding="utf-8"))
    assert links, f"{document.name} shows no screenshot"
    missing = [link for link in links if not (document.parent / link).is_file()]
    assert missing == []


def test_the_lifecycle_pictures_are_all_there():
    pytest.importorskip("PySide6")
    from app import lifecycle_screenshots as shots

    names = {shots.file_name(kind, size, scheme) for kind in ("start", "training", "reopened")
             for size in shots.SIZES for scheme in shots.SCHEMES}
    assert "training_1366x768_dark.png" in names and len(names) == 12
    assert names <= {p.name for p in shots.DEFAULT_FOLDER.glob("*.png")}
