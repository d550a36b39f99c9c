"""A tiny Qt-free observer: the graph and the trainer announce changes through :class:`Event` objects."""

from __future__ import annotations

from typing import Any, Callable


class Event:
    """A list of callbacks called in order of connection with the arguments given to :meth:`emit`."""

    __slots__ = ("_callbacks",)

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            callback(*args)
