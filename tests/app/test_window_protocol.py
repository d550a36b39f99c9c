"""The protocols that let helper modules act on the window and the scene without importing them: the real
classes provide every member the protocols name (else the helpers would fail at run time, not at import)."""

from __future__ import annotations

import typing

import pytest

from app.canvas.interactions import Canvas
from app.window_protocol import DocumentWindow, MenuWindow


def _members(protocol: type) -> set[str]:
    names = set()
    for cls in protocol.__mro__:
        if cls in (typing.Protocol, typing.Generic, object):
            continue
        names |= {n for n in vars(cls) if not n.startswith("_")} | set(getattr(cls, "__annotations__", {}))
    return names


@pytest.mark.parametrize("protocol", [DocumentWindow, MenuWindow])
def test_the_main_window_provides_what_its_helpers_use(window, protocol):
    missing = sorted(n for n in _members(protocol) if not hasattr(window, n))
    assert missing == [] and len(_members(protocol)) > 5


def test_the_scene_provides_what_the_interactions_use(window):
    missing = sorted(n for n in _members(Canvas) if not hasattr(window.scene, n))
    assert missing == [] and {"try_connect", "push", "graph"} <= _members(Canvas)
