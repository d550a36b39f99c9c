"""The evaluation views the training panel shows, in tab order: a new view is one module with an
:class:`~app.evaluation.base.EvaluationView` class, and one line here."""

from __future__ import annotations

from app.evaluation.augment_view import AugmentationPreview
from app.evaluation.base import EvaluationView
from app.evaluation.boundary import BoundaryView
from app.evaluation.confusion import ConfusionView
from app.evaluation.health import HealthView
from app.evaluation.internals import InsideView
from app.evaluation.playground import OptimizerPlayground
from app.evaluation.predictions import PredictionsView

_VIEWS: list[type[EvaluationView]] = [
    BoundaryView,
    ConfusionView,
    PredictionsView,
    InsideView,
    HealthView,
    AugmentationPreview,
    OptimizerPlayground,
]


def evaluation_views() -> list[type[EvaluationView]]:
    """The view classes, in tab order (after the panel's own curves)."""
    return list(_VIEWS)


def register(cls: type[EvaluationView]) -> type[EvaluationView]:
    """Add a view class at the end (panels built afterwards show it); usable as a class decorator.

    Raises:
        ValueError: it lacks a ``key`` or ``title``, or another view has its key.
    """
    if not (cls.key and cls.title):
        raise ValueError(f"{cls.__name__} must set key and title")
    if any(v.key == cls.key and v is not cls for v in _VIEWS):
        raise ValueError(f"an evaluation view already has the key {cls.key!r}")
    if cls not in _VIEWS:
        _VIEWS.append(cls)
    return cls


def unregister(cls: type[EvaluationView]) -> None:
    """Remove a view class (for tests that register their own)."""
    if cls in _VIEWS:
        _VIEWS.remove(cls)
