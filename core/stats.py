"""Design totals for the status area: layers, parameters and an estimate of FLOPs per sample."""

from __future__ import annotations

import math

from core.graph import Graph
from core.shapes import LayerStatus


def layer_flops(graph: Graph, layer_id: str, status: LayerStatus) -> int:
    """Floating-point operations of one layer for one sample.

    Uses the layer's own ``flops(input_shapes)`` when it has one; otherwise counts a multiply and an add per
    weight for every output position (exact for Dense and convolutions, a lower bound for recurrent layers),
    and one operation per output value for layers without weights.
    """
    if not status.ok:
        return 0
    layer = graph.layer(layer_id)
    own = getattr(layer, "flops", None)
    if callable(own):
        try:
            return int(own(status.input_shapes))
        except Exception:  # a layer's estimate must never break the status bar
            pass
    out = status.output_shape or ()
    positions = math.prod(out[:-1]) if len(out) > 1 else 1
    if status.params:
        return 2 * status.params * positions
    return 0 if layer.type_name in ("InputLayer", "Flatten", "Reshape", "Dropout") else math.prod(out)


def totals(graph: Graph, status: dict[str, LayerStatus]) -> dict[str, int]:
    """``layers``, ``params``, ``flops`` and ``errors`` (layers with a problem of their own)."""
    return {
        "layers": len(status),
        "params": sum(s.params for s in status.values()),
        "flops": sum(layer_flops(graph, i, s) for i, s in status.items()),
        "errors": sum(1 for s in status.values() if not s.ok and not s.error.startswith("waiting for")),
    }


def human(n: float) -> str:
    """``1234567`` → ``1.23 M``."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return str(int(n))
